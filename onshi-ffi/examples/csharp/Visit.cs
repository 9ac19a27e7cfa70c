// One patient's visit from C#, on the virtual card: the facility (kept in an SQLite file) with
// one reader, the patient's card placed, PIN chosen, a wrong PIN once, then the right one,
// consent, the outcome.
//
//   bash onshi-ffi/examples/run.sh csharp
//
// A product replaces SimReader with its PC/SC reader, camera and face matcher.
using System;
using System.Text;
using Onshi;

static class Example
{
    static int Main(string[] args)
    {
        string path = args.Length > 0 ? args[0] : "onshi-example.db";
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // The pepper keys the staff passcode's hash: a product keeps it in DPAPI or a key store.
        byte[] pepper = Encoding.ASCII.GetBytes("example pepper, not for products");
        byte[] password = Encoding.ASCII.GetBytes("correct horse battery staple");

        using (var facility = Facility.Open(path, pepper, "admin", password, now))
        using (var reader = new SimReader())
        {
            var admin = facility.Login("admin", password, now);
            if (!facility.HasReader(1)) facility.AddReader(admin, 1, now);
            facility.Logout(admin, now);

            reader.Place("standard", now);
            using (var visit = facility.BeginVisit(1, false, Trust.Virtual, null, now))
            {
                // A call out of order throws, with the native status and message, and
                // changes nothing.
                try
                {
                    visit.ConsentAnswer(now, true);
                }
                catch (OnshiException refused)
                {
                    Console.WriteLine("[host] consent before a card: status " + refused.Status + ": " + refused.Message);
                }
                bool held = false;
                int pins = 0;
                while (true)
                {
                    // Card events first: a command meant for a card that changed is never sent.
                    var cardEvent = reader.TakeCardEvent();
                    if (cardEvent.HasValue) visit.Card(now, cardEvent.Value);

                    Output output = visit.Poll();
                    bool waits = output.Kind == OutputKind.Wait || output.Kind == OutputKind.CaptureFace
                        || output.Kind == OutputKind.MatchFace || output.Kind == OutputKind.Finished;
                    if (held && (waits || (output.Kind == OutputKind.Transmit && output.Span == Span.Shared)))
                    {
                        reader.EndExclusive();
                        held = false;
                    }
                    switch (output.Kind)
                    {
                        case OutputKind.Transmit:
                            if (output.Span != Span.Shared && !held)
                            {
                                reader.BeginExclusive();
                                held = true;
                            }
                            try
                            {
                                int len = reader.Transmit(output.Bytes, output.ResponseCapacity);
                                visit.CardResponse(now, reader.Response(), len);
                            }
                            catch (TransportException failure)
                            {
                                visit.TransportFailed(now, failure.Error);
                            }
                            finally
                            {
                                Array.Clear(output.Bytes, 0, output.Bytes.Length); // it may carry a PIN
                                if (held && output.Span != Span.ExclusiveHold)
                                {
                                    reader.EndExclusive();
                                    held = false;
                                }
                            }
                            break;
                        case OutputKind.Show:
                            Console.WriteLine("[screen] " + output.Text);
                            break;
                        case OutputKind.StaffNotice:
                            Console.WriteLine("[staff]  " + output.Text);
                            break;
                        case OutputKind.Audit:
                            Console.WriteLine("[audit]  " + output.Json);
                            break;
                        case OutputKind.CaptureFace:
                            visit.FaceCaptured(now, SimReader.CaptureFace(true));
                            break;
                        case OutputKind.MatchFace:
                            visit.FaceMatched(now, SimReader.MatchFaces(output.Bytes, output.Capture));
                            break;
                        case OutputKind.Wait:
                            // The people at the reader act on the screen shown; a product arms a
                            // timer for output.Until instead.
                            if (visit.Accepts(InputKind.VerificationNumberB))
                            {
                                byte[] digits = SimReader.OcrVerificationNumberB("standard", now);
                                Console.WriteLine("[ocr]    照合番号B read from the card face");
                                visit.VerificationNumberB(now, digits);
                                Array.Clear(digits, 0, digits.Length);
                            }
                            else if (visit.Accepts(InputKind.PinEntered))
                            {
                                byte[] pin = Encoding.ASCII.GetBytes(pins++ == 0 ? "9999" : "1234");
                                Console.WriteLine("[patient] enters a " + (pins == 1 ? "wrong" : "right") + " PIN");
                                visit.PinEntered(now, pin);
                                Array.Clear(pin, 0, pin.Length);
                            }
                            else if (visit.Accepts(InputKind.ConsentAnswer))
                            {
                                Console.WriteLine("[patient] consents");
                                visit.ConsentAnswer(now, true);
                            }
                            else if (visit.Accepts(InputKind.PrescriptionChosen))
                            {
                                Console.WriteLine("[patient] chooses an electronic prescription");
                                visit.PrescriptionChosen(now, Prescription.Electronic);
                            }
                            else if (visit.Accepts(InputKind.Choose))
                            {
                                Console.WriteLine("[patient] chooses the PIN");
                                visit.Choose(now, Method.Pin);
                            }
                            else
                            {
                                now = output.Until;
                                visit.Tick(now);
                            }
                            break;
                        case OutputKind.Finished:
                            Console.WriteLine("outcome: " + output.Text);
                            facility.Finish(visit, now);
                            facility.VerifyAudit();
                            goto finished;
                        default:
                            Console.Error.WriteLine("unknown output " + output.Kind);
                            return 1;
                    }
                }
            finished:;
            }
        }
        int live = Library.LiveHandles();
        Console.WriteLine("live handles: " + live);
        return live == 0 ? 0 : 1;
    }
}
