// onshi for .NET: a small wrapper over the generated P/Invoke layer (NativeMethods.g.cs).
// Handles are SafeHandles (freed by Dispose or, as a last resort, the finalizer), failures are
// OnshiException with the native status and message, outputs are copied into managed memory.
// Builds with C# 7.3 and Mono's mcs (-unsafe); runs on .NET Framework 4.x and .NET 6+, x86
// and x64 (the native library must match the process: onshi_ffi.dll for win-x86 or win-x64).
//
// Ownership: every object owns its native handle; copy what Poll returns before the next
// call, which the wrapper does for you. Secrets (PINs, passwords, the passcode) are passed as
// byte arrays the wrapper pins for the call only: wipe them (Array.Clear) when done.
using System;
using System.Runtime.InteropServices;
using System.Text;
using Onshi.Native;

namespace Onshi
{
    /// <summary>A call into onshi failed: the native status and the thread's last error message.</summary>
    public class OnshiException : Exception
    {
        /// <summary>The native status (OnshiStatus), stable across versions.</summary>
        public int Status { get; private set; }

        internal OnshiException(int status, string message) : base(message) { Status = status; }
    }

    /// <summary>The reader's transport failed; feed Error back with Visit.TransportFailed.</summary>
    public class TransportException : OnshiException
    {
        /// <summary>Why (an OnshiTransportError value).</summary>
        public TransportError Error { get; private set; }

        internal TransportException(TransportError error, string message)
            : base((int)OnshiStatus.Transport, message) { Error = error; }
    }

    /// <summary>The kinds of Output (OnshiOutputKind).</summary>
    public enum OutputKind : uint
    {
        Transmit = (uint)OnshiOutputKind.Transmit,
        Show = (uint)OnshiOutputKind.Show,
        CaptureFace = (uint)OnshiOutputKind.CaptureFace,
        MatchFace = (uint)OnshiOutputKind.MatchFace,
        Audit = (uint)OnshiOutputKind.Audit,
        StaffNotice = (uint)OnshiOutputKind.StaffNotice,
        Wait = (uint)OnshiOutputKind.Wait,
        Finished = (uint)OnshiOutputKind.Finished,
    }

    /// <summary>Whether a command is sent while the card is this program's alone.</summary>
    public enum Span : uint
    {
        Shared = (uint)OnshiSpan.Shared,
        Exclusive = (uint)OnshiSpan.Exclusive,
        ExclusiveHold = (uint)OnshiSpan.ExclusiveHold,
    }

    /// <summary>A card event the reader reported.</summary>
    public enum CardEvent : uint
    {
        Placed = (uint)OnshiCardEvent.Placed,
        Removed = (uint)OnshiCardEvent.Removed,
        Reset = (uint)OnshiCardEvent.Reset,
    }

    /// <summary>Why a command could not be sent or its answer was lost.</summary>
    public enum TransportError : uint
    {
        NoService = (uint)OnshiTransportError.NoService,
        NoReader = (uint)OnshiTransportError.NoReader,
        NoCard = (uint)OnshiTransportError.NoCard,
        CardRemoved = (uint)OnshiTransportError.CardRemoved,
        CardReset = (uint)OnshiTransportError.CardReset,
        CardChanged = (uint)OnshiTransportError.CardChanged,
        SharingViolation = (uint)OnshiTransportError.SharingViolation,
        Timeout = (uint)OnshiTransportError.Timeout,
        ResponseTooLong = (uint)OnshiTransportError.ResponseTooLong,
        Failed = (uint)OnshiTransportError.Failed,
    }

    /// <summary>A reader mode.</summary>
    public enum ReaderMode : uint
    {
        Unattended = (uint)OnshiReaderMode.Unattended,
        PinOnly = (uint)OnshiReaderMode.PinOnly,
        LegacyVisual = (uint)OnshiReaderMode.LegacyVisual,
    }

    /// <summary>A method on the identity screen.</summary>
    public enum Method : uint
    {
        Face = (uint)OnshiMethod.Face,
        Pin = (uint)OnshiMethod.Pin,
        StaffCheck = (uint)OnshiMethod.StaffCheck,
    }

    /// <summary>The answer to the prescription question.</summary>
    public enum Prescription : uint
    {
        Electronic = (uint)OnshiPrescription.Electronic,
        Paper = (uint)OnshiPrescription.Paper,
    }

    /// <summary>The trust anchors a card must chain to.</summary>
    public enum Trust : uint
    {
        Production = (uint)OnshiTrust.Production,
        JlisTest = (uint)OnshiTrust.JlisTest,
        Virtual = (uint)OnshiTrust.Virtual,
    }

    /// <summary>A kind of input, for Visit.Accepts.</summary>
    public enum InputKind : uint
    {
        Tick = (uint)OnshiInputKind.Tick,
        CardPlaced = (uint)OnshiInputKind.CardPlaced,
        CardRemoved = (uint)OnshiInputKind.CardRemoved,
        CardReset = (uint)OnshiInputKind.CardReset,
        CardResponse = (uint)OnshiInputKind.CardResponse,
        TransportFailed = (uint)OnshiInputKind.TransportFailed,
        VerificationNumberB = (uint)OnshiInputKind.VerificationNumberB,
        Choose = (uint)OnshiInputKind.Choose,
        DeclareLegalRepresentative = (uint)OnshiInputKind.DeclareLegalRepresentative,
        ConfirmLastTry = (uint)OnshiInputKind.ConfirmLastTry,
        PinEntered = (uint)OnshiInputKind.PinEntered,
        FaceCapture = (uint)OnshiInputKind.FaceCapture,
        FaceMatched = (uint)OnshiInputKind.FaceMatched,
        StaffPasscode = (uint)OnshiInputKind.StaffPasscode,
        StaffConfirmedOnTerminal = (uint)OnshiInputKind.StaffConfirmedOnTerminal,
        IPhoneAuthenticated = (uint)OnshiInputKind.IPhoneAuthenticated,
        ConsentAnswer = (uint)OnshiInputKind.ConsentAnswer,
        ConsentNotObtainable = (uint)OnshiInputKind.ConsentNotObtainable,
        PrescriptionChosen = (uint)OnshiInputKind.PrescriptionChosen,
    }

    /// <summary>An account's role.</summary>
    public enum Role : uint
    {
        Admin = (uint)OnshiRole.Admin,
        General = (uint)OnshiRole.General,
    }

    /// <summary>One output of a visit, copied out of native memory.</summary>
    public sealed class Output
    {
        /// <summary>What to do.</summary>
        public OutputKind Kind;
        /// <summary>Transmit: the command (it may carry a PIN: clear it after sending). MatchFace: the chip photo.</summary>
        public byte[] Bytes;
        /// <summary>MatchFace: the live capture.</summary>
        public byte[] Capture;
        /// <summary>Transmit: the largest response possible.</summary>
        public int ResponseCapacity;
        /// <summary>Transmit: the exclusive span.</summary>
        public Span Span;
        /// <summary>Wait: when to Tick at the latest (Unix seconds).</summary>
        public long Until;
        /// <summary>Show, Audit, StaffNotice, Finished: onshi's JSON.</summary>
        public string Json;
        /// <summary>Show, StaffNotice, Finished: a text to show as is.</summary>
        public string Text;
    }

    internal static unsafe class Call
    {
        /// <summary>Throws for a failed status, with the thread's last error message.</summary>
        internal static void Check(OnshiStatus status)
        {
            if (status == OnshiStatus.Ok) return;
            throw new OnshiException((int)status, status + ": " + LastError());
        }

        internal static string LastError()
        {
            UIntPtr needed;
            NativeMethods.onshi_last_error_message(null, UIntPtr.Zero, &needed);
            var buffer = new byte[(int)needed.ToUInt32()];
            fixed (byte* p = buffer)
            {
                if (NativeMethods.onshi_last_error_message(p, (UIntPtr)buffer.Length, &needed) != OnshiStatus.Ok)
                    return "(no message)";
            }
            return Encoding.UTF8.GetString(buffer, 0, Math.Max(0, buffer.Length - 1));
        }

        /// <summary>A NUL-terminated UTF-8 copy of a string.</summary>
        internal static byte[] Utf8(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text + "\0");
            return bytes;
        }

        /// <summary>A managed copy of a native NUL-terminated UTF-8 string (null for null).</summary>
        internal static string Text(byte* text)
        {
            if (text == null) return null;
            int len = 0;
            while (text[len] != 0) len++;
            var bytes = new byte[len];
            Marshal.Copy((IntPtr)text, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>A managed copy of a native buffer (empty for null).</summary>
        internal static byte[] Bytes(byte* bytes, UIntPtr len)
        {
            var copy = new byte[(int)len.ToUInt32()];
            if (copy.Length > 0) Marshal.Copy((IntPtr)bytes, copy, 0, copy.Length);
            return copy;
        }
    }

    /// <summary>A native handle, freed exactly once by its free function.</summary>
    public sealed class OnshiHandle : SafeHandle
    {
        private readonly Func<IntPtr, OnshiStatus> free;

        internal OnshiHandle(IntPtr handle, Func<IntPtr, OnshiStatus> free) : base(IntPtr.Zero, true)
        {
            this.free = free;
            SetHandle(handle);
        }

        /// <summary>Null handles are invalid.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Frees the native object.</summary>
        protected override bool ReleaseHandle() { return free(handle) == OnshiStatus.Ok; }

        /// <summary>Runs a native call with this handle and another kept alive for it.</summary>
        internal void Use(OnshiHandle other, Func<IntPtr, IntPtr, OnshiStatus> call)
        {
            bool added = false;
            bool otherAdded = false;
            try
            {
                DangerousAddRef(ref added);
                other.DangerousAddRef(ref otherAdded);
                Call.Check(call(handle, other.DangerousGetHandle()));
            }
            finally
            {
                if (otherAdded) other.DangerousRelease();
                if (added) DangerousRelease();
            }
        }

        /// <summary>Runs a native call with the handle kept alive for it.</summary>
        internal void Use(Func<IntPtr, OnshiStatus> call)
        {
            bool added = false;
            try
            {
                DangerousAddRef(ref added);
                Call.Check(call(handle));
            }
            finally
            {
                if (added) DangerousRelease();
            }
        }
    }

    /// <summary>One patient's visit, driven like onshi's Rust Visit: feed inputs, Poll until Wait or Finished.</summary>
    public sealed unsafe class Visit : IDisposable
    {
        internal readonly OnshiHandle Handle;

        internal Visit(OnshiVisit* visit)
        {
            Handle = new OnshiHandle((IntPtr)visit, p => NativeMethods.onshi_visit_free((OnshiVisit*)p));
        }

        /// <summary>A visit without a facility (no on-reader staff check); see onshi_visit_new for the JSON.</summary>
        public static Visit Create(string contextJson, string settingsJson, long now)
        {
            var context = Call.Utf8(contextJson);
            var settings = settingsJson == null ? null : Call.Utf8(settingsJson);
            OnshiVisit* visit = null;
            fixed (byte* c = context)
            fixed (byte* s = settings)
            {
                Call.Check(NativeMethods.onshi_visit_new(c, s, now, null, &visit));
            }
            return new Visit(visit);
        }

        /// <summary>The next output, copied into managed memory.</summary>
        public Output Poll()
        {
            var output = new Output();
            Handle.Use(p =>
            {
                OnshiOutput native;
                var status = NativeMethods.onshi_visit_poll((OnshiVisit*)p, &native);
                if (status != OnshiStatus.Ok) return status;
                output.Kind = (OutputKind)native.kind;
                output.Bytes = Call.Bytes(native.bytes, native.bytes_len);
                output.Capture = Call.Bytes(native.capture, native.capture_len);
                output.ResponseCapacity = (int)native.response_capacity.ToUInt32();
                output.Span = (Span)native.span;
                output.Until = native.until;
                output.Json = Call.Text(native.json);
                output.Text = Call.Text(native.text);
                return status;
            });
            return output;
        }

        /// <summary>Whether the visit takes this input now.</summary>
        public bool Accepts(InputKind kind)
        {
            uint accepted = 0;
            Handle.Use(p =>
            {
                uint yes;
                var status = NativeMethods.onshi_visit_accepts((OnshiVisit*)p, (uint)kind, &yes);
                accepted = yes;
                return status;
            });
            return accepted != 0;
        }

        /// <summary>Time passed.</summary>
        public void Tick(long now) { Handle.Use(p => NativeMethods.onshi_visit_tick((OnshiVisit*)p, now)); }

        /// <summary>The reader reported a card event.</summary>
        public void Card(long now, CardEvent cardEvent)
        {
            Handle.Use(p => NativeMethods.onshi_visit_card_event((OnshiVisit*)p, now, (uint)cardEvent));
        }

        /// <summary>The card's answer to the last Transmit.</summary>
        public void CardResponse(long now, byte[] response, int length)
        {
            Handle.Use(p =>
            {
                fixed (byte* r = response) return NativeMethods.onshi_visit_card_response((OnshiVisit*)p, now, r, (UIntPtr)length);
            });
        }

        /// <summary>The last Transmit failed.</summary>
        public void TransportFailed(long now, TransportError error)
        {
            Handle.Use(p => NativeMethods.onshi_visit_transport_failed((OnshiVisit*)p, now, (uint)error));
        }

        /// <summary>照合番号B as the OCR read it (14 ASCII digits).</summary>
        public void VerificationNumberB(long now, byte[] digits)
        {
            Handle.Use(p =>
            {
                fixed (byte* d = digits) return NativeMethods.onshi_visit_verification_number_b((OnshiVisit*)p, now, d, (UIntPtr)digits.Length);
            });
        }

        /// <summary>The OCR could not read 照合番号B.</summary>
        public void VerificationNumberBUnreadable(long now)
        {
            Handle.Use(p => NativeMethods.onshi_visit_verification_number_b_unreadable((OnshiVisit*)p, now));
        }

        /// <summary>The patient chose a method.</summary>
        public void Choose(long now, Method method)
        {
            Handle.Use(p => NativeMethods.onshi_visit_choose((OnshiVisit*)p, now, (uint)method));
        }

        /// <summary>The patient confirms using the PIN's last try.</summary>
        public void ConfirmLastTry(long now) { Handle.Use(p => NativeMethods.onshi_visit_confirm_last_try((OnshiVisit*)p, now)); }

        /// <summary>The patient entered a PIN (ASCII digits; clear the array afterwards).</summary>
        public void PinEntered(long now, byte[] pin)
        {
            Handle.Use(p =>
            {
                fixed (byte* d = pin) return NativeMethods.onshi_visit_pin_entered((OnshiVisit*)p, now, d, (UIntPtr)pin.Length);
            });
        }

        /// <summary>The camera's capture.</summary>
        public void FaceCaptured(long now, byte[] image)
        {
            Handle.Use(p =>
            {
                fixed (byte* d = image) return NativeMethods.onshi_visit_face_captured((OnshiVisit*)p, now, d, (UIntPtr)image.Length);
            });
        }

        /// <summary>The face matcher's similarity, 0 to 1000.</summary>
        public void FaceMatched(long now, ushort scorePerMille)
        {
            Handle.Use(p => NativeMethods.onshi_visit_face_matched((OnshiVisit*)p, now, scorePerMille));
        }

        /// <summary>Staff entered the facility's passcode on the reader.</summary>
        public void StaffPasscode(long now, string staffId, byte[] passcode)
        {
            var id = Call.Utf8(staffId);
            Handle.Use(p =>
            {
                fixed (byte* i = id)
                fixed (byte* d = passcode)
                    return NativeMethods.onshi_visit_staff_passcode((OnshiVisit*)p, now, i, d, (UIntPtr)passcode.Length);
            });
        }

        /// <summary>The patient answered the consent screen.</summary>
        public void ConsentAnswer(long now, bool yes)
        {
            Handle.Use(p => NativeMethods.onshi_visit_consent_answer((OnshiVisit*)p, now, yes ? 1u : 0u));
        }

        /// <summary>Staff record that consent cannot be obtained.</summary>
        public void ConsentNotObtainable(long now)
        {
            Handle.Use(p => NativeMethods.onshi_visit_consent_not_obtainable((OnshiVisit*)p, now));
        }

        /// <summary>The patient answered the prescription question.</summary>
        public void PrescriptionChosen(long now, Prescription prescription)
        {
            Handle.Use(p => NativeMethods.onshi_visit_prescription_chosen((OnshiVisit*)p, now, (uint)prescription));
        }

        /// <summary>Frees the visit.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>A login; Dispose frees it without logging out.</summary>
    public sealed unsafe class Session : IDisposable
    {
        internal readonly OnshiHandle Handle;

        internal Session(OnshiSession* session)
        {
            Handle = new OnshiHandle((IntPtr)session, p => NativeMethods.onshi_session_free((OnshiSession*)p));
        }

        /// <summary>Frees the session.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>The facility: accounts, reader modes, the staff passcode, the audit trail, in one SQLite file.</summary>
    public sealed unsafe class Facility : IDisposable
    {
        private readonly OnshiHandle handle;

        private Facility(OnshiFacility* facility)
        {
            handle = new OnshiHandle((IntPtr)facility, p => NativeMethods.onshi_facility_free((OnshiFacility*)p));
        }

        /// <summary>Opens (on first use creates, with its first admin) the facility in the SQLite file at path.</summary>
        public static Facility Open(string path, byte[] pepper, string adminName, byte[] adminPassword, long now)
        {
            var p = Call.Utf8(path);
            var name = Call.Utf8(adminName);
            OnshiFacility* facility = null;
            fixed (byte* pp = p)
            fixed (byte* k = pepper)
            fixed (byte* n = name)
            fixed (byte* w = adminPassword)
            {
                Call.Check(NativeMethods.onshi_facility_open(pp, k, (UIntPtr)pepper.Length, n, w,
                    (UIntPtr)adminPassword.Length, now, &facility));
            }
            return new Facility(facility);
        }

        /// <summary>Logs in.</summary>
        public Session Login(string name, byte[] password, long now)
        {
            var n = Call.Utf8(name);
            OnshiSession* session = null;
            handle.Use(f =>
            {
                fixed (byte* np = n)
                fixed (byte* w = password)
                {
                    OnshiSession* s;
                    var status = NativeMethods.onshi_facility_login((OnshiFacility*)f, np, w, (UIntPtr)password.Length, now, &s);
                    session = s;
                    return status;
                }
            });
            return new Session(session);
        }

        /// <summary>Logs out and frees the session.</summary>
        public void Logout(Session session, long now)
        {
            handle.Use(session.Handle, (f, s) => NativeMethods.onshi_facility_logout((OnshiFacility*)f, (OnshiSession*)s, now));
            session.Handle.SetHandleAsInvalid();
        }

        /// <summary>Whether the reader exists.</summary>
        public bool HasReader(ushort reader)
        {
            var status = OnshiStatus.Ok;
            handle.Use(f =>
            {
                uint mode;
                status = NativeMethods.onshi_facility_reader_mode((OnshiFacility*)f, reader, &mode);
                return status == OnshiStatus.Facility ? OnshiStatus.Ok : status;
            });
            return status == OnshiStatus.Ok;
        }

        /// <summary>Adds a reader (admin).</summary>
        public void AddReader(Session admin, ushort reader, long now)
        {
            handle.Use(admin.Handle, (f, s) => NativeMethods.onshi_facility_add_reader((OnshiFacility*)f, (OnshiSession*)s, reader, now));
        }

        /// <summary>Switches a reader's mode (admin).</summary>
        public void SetReaderMode(Session admin, ushort reader, ReaderMode mode, long now)
        {
            handle.Use(admin.Handle, (f, s) => NativeMethods.onshi_facility_set_reader_mode((OnshiFacility*)f, (OnshiSession*)s, reader, (uint)mode, now));
        }

        /// <summary>Begins a visit at a reader; hand it back with Finish.</summary>
        public Visit BeginVisit(ushort reader, bool extendedLength, Trust trust, string settingsJson, long now)
        {
            var settings = settingsJson == null ? null : Call.Utf8(settingsJson);
            OnshiVisit* visit = null;
            handle.Use(f =>
            {
                fixed (byte* s = settings)
                {
                    OnshiVisit* v;
                    var status = NativeMethods.onshi_facility_begin_visit((OnshiFacility*)f, reader,
                        extendedLength ? 1u : 0u, (uint)trust, s, now, null, &v);
                    visit = v;
                    return status;
                }
            });
            return new Visit(visit);
        }

        /// <summary>Hands a finished visit back.</summary>
        public void Finish(Visit visit, long now)
        {
            handle.Use(visit.Handle, (f, v) => NativeMethods.onshi_facility_finish((OnshiFacility*)f, (OnshiVisit*)v, now));
        }

        /// <summary>The audit trail from a sequence number on, as JSON.</summary>
        public string AuditJson(ulong fromSeq)
        {
            string json = null;
            handle.Use(f =>
            {
                byte* text;
                var status = NativeMethods.onshi_facility_audit_json((OnshiFacility*)f, fromSeq, &text);
                if (status == OnshiStatus.Ok) json = Call.Text(text);
                return status;
            });
            return json;
        }

        /// <summary>Checks the audit trail's hash chain; throws with the first broken link.</summary>
        public void VerifyAudit() { handle.Use(f => NativeMethods.onshi_facility_verify_audit((OnshiFacility*)f)); }

        /// <summary>Frees the facility (everything is already stored).</summary>
        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>The virtual reader and card (native feature sim): visits without hardware.</summary>
    public sealed unsafe class SimReader : IDisposable
    {
        private readonly OnshiHandle handle;
        private readonly byte[] response = new byte[65538];

        /// <summary>An empty virtual reader.</summary>
        public SimReader()
        {
            OnshiSimReader* reader;
            Call.Check(NativeMethods.onshi_sim_reader_new(&reader));
            handle = new OnshiHandle((IntPtr)reader, p => NativeMethods.onshi_sim_reader_free((OnshiSimReader*)p));
        }

        /// <summary>Places a persona's card (standard, one-try-left, …).</summary>
        public void Place(string persona, long now)
        {
            var name = Call.Utf8(persona);
            handle.Use(r =>
            {
                fixed (byte* n = name) return NativeMethods.onshi_sim_reader_place((OnshiSimReader*)r, n, now);
            });
        }

        /// <summary>The card event since the last call, or null.</summary>
        public CardEvent? TakeCardEvent()
        {
            uint taken = 0;
            handle.Use(r =>
            {
                uint cardEvent;
                var status = NativeMethods.onshi_sim_reader_take_card_event((OnshiSimReader*)r, &cardEvent);
                taken = cardEvent;
                return status;
            });
            return taken == 0 ? (CardEvent?)null : (CardEvent)taken;
        }

        /// <summary>Sends a command; the answer is in Response()[0..length). Throws TransportException.</summary>
        public int Transmit(byte[] command, int capacity)
        {
            UIntPtr len = UIntPtr.Zero;
            uint error = 0;
            OnshiStatus status = OnshiStatus.Ok;
            try
            {
                handle.Use(r =>
                {
                    fixed (byte* c = command)
                    fixed (byte* a = response)
                    {
                        UIntPtr l;
                        uint e;
                        status = NativeMethods.onshi_sim_reader_transmit((OnshiSimReader*)r, c, (UIntPtr)command.Length,
                            a, (UIntPtr)Math.Min(capacity, response.Length), &l, &e);
                        len = l;
                        error = e;
                        return status;
                    }
                });
            }
            catch (OnshiException failure)
            {
                if (status == OnshiStatus.Transport) throw new TransportException((TransportError)error, failure.Message);
                throw;
            }
            return (int)len.ToUInt32();
        }

        /// <summary>The buffer the last answer is in.</summary>
        public byte[] Response() { return response; }

        /// <summary>Begins an exclusive span.</summary>
        public void BeginExclusive() { handle.Use(r => NativeMethods.onshi_sim_reader_begin_exclusive((OnshiSimReader*)r)); }

        /// <summary>Ends the exclusive span.</summary>
        public void EndExclusive() { handle.Use(r => NativeMethods.onshi_sim_reader_end_exclusive((OnshiSimReader*)r)); }

        /// <summary>照合番号B printed on a persona's card, as the OCR reads it.</summary>
        public static byte[] OcrVerificationNumberB(string persona, long now)
        {
            var name = Call.Utf8(persona);
            var digits = new byte[32];
            UIntPtr len;
            fixed (byte* n = name)
            fixed (byte* d = digits)
            {
                Call.Check(NativeMethods.onshi_sim_ocr_verification_number_b(n, now, d, (UIntPtr)digits.Length, &len));
            }
            var result = new byte[(int)len.ToUInt32()];
            Array.Copy(digits, result, result.Length);
            Array.Clear(digits, 0, digits.Length);
            return result;
        }

        /// <summary>What the virtual camera captures (the holder's face, or someone else's).</summary>
        public static byte[] CaptureFace(bool holder)
        {
            var image = new byte[65536];
            UIntPtr len;
            fixed (byte* i = image)
            {
                Call.Check(NativeMethods.onshi_sim_capture_face(holder ? 1u : 0u, i, (UIntPtr)image.Length, &len));
            }
            var capture = new byte[(int)len.ToUInt32()];
            Array.Copy(image, capture, capture.Length);
            return capture;
        }

        /// <summary>The virtual face matcher's similarity (0 to 1000).</summary>
        public static ushort MatchFaces(byte[] chipPhoto, byte[] capture)
        {
            ushort score;
            fixed (byte* p = chipPhoto)
            fixed (byte* c = capture)
            {
                Call.Check(NativeMethods.onshi_sim_match_faces(p, (UIntPtr)chipPhoto.Length, c, (UIntPtr)capture.Length, &score));
            }
            return score;
        }

        /// <summary>Frees the reader.</summary>
        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>Process-wide checks.</summary>
    public static unsafe class Library
    {
        /// <summary>Native handles not freed yet (a test checks it returns to where it was).</summary>
        public static int LiveHandles()
        {
            UIntPtr live;
            Call.Check(NativeMethods.onshi_live_handles(&live));
            return (int)live.ToUInt32();
        }
    }
}
