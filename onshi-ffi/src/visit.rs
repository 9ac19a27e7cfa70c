//! One patient's visit: create it, feed it inputs, poll its outputs, free it. It mirrors
//! [`onshi::reception::Visit`] one to one.

use std::ffi::{CString, c_char};

use onshi::card::authenticity::TrustAnchors;
use onshi::card::{Pin, PinKind, Span};
use onshi::face::{FaceCapture, FaceMatchError, MatchScore};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    CardIdentity, Input, InputKind, InputRejected, MethodChoice, Output, PrescriptionIssue,
    ReaderContext, StaffId, UserInput, Visit, VisitSettings,
};
use onshi::time::Timestamp;
use onshi::{CardEvent, ReaderCapabilities, SecretBytes, TransportError};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::registry::{self, HandleObject};
use crate::{
    Failure, FfiResult, OnshiStatus, bytes_in, challenge_in, choice, entry, json_in, json_out,
    merged, out_ptr, out_str, str_in, text_out, write_out,
};

/// A visit (opaque; a handle, see the crate's rules).
pub struct OnshiVisit {
    _private: [u8; 0],
}

/// What `onshi_visit_poll` hands out: the kind, and the fields that kind uses (the others are
/// zero or null). Every pointer stays valid until the next call with the same visit.
#[repr(C)]
#[derive(Debug)]
pub struct OnshiOutput {
    /// `WAIT`: when to feed `onshi_visit_tick` at the latest (Unix seconds).
    pub until: i64,
    /// `TRANSMIT`: the command APDU to send (it may carry a PIN: it is wiped at the next call).
    /// `MATCH_FACE`: the chip photo (JPEG 2000 as the card holds it).
    pub bytes: *const u8,
    /// Length of `bytes`.
    pub bytes_len: usize,
    /// `MATCH_FACE`: the live capture to compare with the chip photo.
    pub capture: *const u8,
    /// Length of `capture`.
    pub capture_len: usize,
    /// `TRANSMIT`: the largest response possible (Ne plus the status word): size the receive
    /// buffer from it.
    pub response_capacity: usize,
    /// `SHOW`, `AUDIT`, `STAFF_NOTICE`, `FINISHED`: the screen, audit event, notice or outcome
    /// as JSON (NUL-terminated UTF-8; onshi's serde form).
    pub json: *const c_char,
    /// `SHOW`, `STAFF_NOTICE`, `FINISHED`: a text to show as is (Japanese / English for a
    /// screen); null for the others.
    pub text: *const c_char,
    /// An [`OnshiOutputKind`].
    pub kind: u32,
    /// `TRANSMIT`: an [`OnshiSpan`]: whether to send it while the card is this program's alone.
    pub span: u32,
}

/// The kinds of [`OnshiOutput`]. Exhaustive: a host handles each.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiOutputKind {
    /// Send `bytes` to the card; feed back `onshi_visit_card_response` or
    /// `onshi_visit_transport_failed`. Feed any card event the reader reports first: then drop
    /// the command and poll again.
    Transmit = 1,
    /// Show the screen in `json` (`text` is its Japanese / English text).
    Show = 2,
    /// Take a live capture with the camera; feed back `onshi_visit_face_captured`.
    CaptureFace = 3,
    /// Compare `bytes` (the chip photo) with `capture`; feed back `onshi_visit_face_matched`.
    MatchFace = 4,
    /// Record the audit event in `json`.
    Audit = 5,
    /// Tell the staff (`json`, `text`), on the terminal, not the patient's screen.
    StaffNotice = 6,
    /// Nothing to do until an input comes, or until `until`: then feed `onshi_visit_tick`.
    /// The end of every burst of outputs.
    Wait = 7,
    /// The visit is over: the outcome is in `json`, its summary in `text`. Polling again
    /// gives it again.
    Finished = 8,
}

/// Whether a command must be sent while the card is this program's alone
/// (`SCardBeginTransaction`): begin before it unless begun; end after its answer unless it
/// says hold. A held span also ends before any command that is not exclusive and before
/// anything that waits.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiSpan {
    /// Other programs may send commands before and after it.
    Shared = 0,
    /// Exclusive; end the span after the answer.
    Exclusive = 1,
    /// Exclusive; keep the span after the answer (the next command relies on this one).
    ExclusiveHold = 2,
}

/// A card event the reader reported.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiCardEvent {
    /// A card was placed.
    Placed = 1,
    /// The card was taken away.
    Removed = 2,
    /// The card was reset (powered again).
    Reset = 3,
}

/// Why a command could not be sent or its answer was lost (PC/SC's failures).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiTransportError {
    /// The smart-card service is not running (`SCARD_E_NO_SERVICE`).
    NoService = 1,
    /// No reader is connected.
    NoReader = 2,
    /// No card on the reader; not sent.
    NoCard = 3,
    /// The card was removed; it may have reached the card.
    CardRemoved = 4,
    /// The card was reset before the command; not sent.
    CardReset = 5,
    /// Another card was placed; not sent.
    CardChanged = 6,
    /// Another program holds the card exclusively.
    SharingViolation = 7,
    /// The card did not answer in time; it may have reached the card.
    Timeout = 8,
    /// The response did not fit the buffer; the command was executed.
    ResponseTooLong = 9,
    /// Any other failure.
    Failed = 10,
}

/// A reader mode (set by the facility's admin).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiReaderMode {
    /// 無人運転: the patient picks face or PIN.
    Unattended = 1,
    /// 暗証番号認証固定: PIN only.
    PinOnly = 2,
    /// 目視確認モード switched on the terminal (the legacy way).
    LegacyVisual = 3,
}

/// A method on the identity screen.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiMethod {
    /// 顔認証.
    Face = 1,
    /// 暗証番号.
    Pin = 2,
    /// 目視確認 by staff on the reader.
    StaffCheck = 3,
}

/// The answer to the prescription question.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiPrescription {
    /// 電子処方箋.
    Electronic = 1,
    /// 紙の処方箋.
    Paper = 2,
}

/// Why the face matcher gave no score.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiFaceMatchError {
    /// No face in the capture.
    NoFaceInCapture = 1,
    /// The chip photo could not be decoded.
    PhotoUnreadable = 2,
    /// The liveness check failed.
    LivenessFailed = 3,
    /// The matcher itself failed.
    MatcherFailed = 4,
}

/// The trust anchors a card must chain to.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiTrust {
    /// J-LIS's production hierarchy (real cards).
    Production = 1,
    /// J-LIS's test hierarchy (test cards).
    JlisTest = 2,
    /// The virtual card's (needs the `sim` feature).
    Virtual = 3,
}

pub(crate) const MODES: [(u32, ReaderMode); 3] = [
    (OnshiReaderMode::Unattended as u32, ReaderMode::Unattended),
    (OnshiReaderMode::PinOnly as u32, ReaderMode::PinOnly),
    (
        OnshiReaderMode::LegacyVisual as u32,
        ReaderMode::LegacyVisual,
    ),
];

pub(crate) const TRANSPORT_ERRORS: [(u32, TransportError); 10] = [
    (
        OnshiTransportError::NoService as u32,
        TransportError::NoService,
    ),
    (
        OnshiTransportError::NoReader as u32,
        TransportError::NoReader,
    ),
    (OnshiTransportError::NoCard as u32, TransportError::NoCard),
    (
        OnshiTransportError::CardRemoved as u32,
        TransportError::CardRemoved,
    ),
    (
        OnshiTransportError::CardReset as u32,
        TransportError::CardReset,
    ),
    (
        OnshiTransportError::CardChanged as u32,
        TransportError::CardChanged,
    ),
    (
        OnshiTransportError::SharingViolation as u32,
        TransportError::SharingViolation,
    ),
    (OnshiTransportError::Timeout as u32, TransportError::Timeout),
    (
        OnshiTransportError::ResponseTooLong as u32,
        TransportError::ResponseTooLong { capacity: 0 },
    ),
    (
        OnshiTransportError::Failed as u32,
        TransportError::Failed { code: 0 },
    ),
];

pub(crate) const CARD_EVENTS: [(u32, CardEvent); 3] = [
    (OnshiCardEvent::Placed as u32, CardEvent::Inserted),
    (OnshiCardEvent::Removed as u32, CardEvent::Removed),
    (OnshiCardEvent::Reset as u32, CardEvent::Reset),
];

/// The host's code for a transport error.
pub(crate) fn transport_code(error: TransportError) -> u32 {
    let kind = match error {
        TransportError::NoService => OnshiTransportError::NoService,
        TransportError::NoReader => OnshiTransportError::NoReader,
        TransportError::NoCard => OnshiTransportError::NoCard,
        TransportError::CardRemoved => OnshiTransportError::CardRemoved,
        TransportError::CardReset => OnshiTransportError::CardReset,
        TransportError::CardChanged => OnshiTransportError::CardChanged,
        TransportError::SharingViolation => OnshiTransportError::SharingViolation,
        TransportError::Timeout => OnshiTransportError::Timeout,
        TransportError::ResponseTooLong { .. } => OnshiTransportError::ResponseTooLong,
        _ => OnshiTransportError::Failed,
    };
    kind as u32
}

pub(crate) fn span_code(span: Span) -> u32 {
    let span = match span {
        Span::Shared => OnshiSpan::Shared,
        Span::Exclusive { hold: false } => OnshiSpan::Exclusive,
        Span::Exclusive { hold: true } => OnshiSpan::ExclusiveHold,
    };
    span as u32
}

/// A visit and the output last handed out, kept until the next call.
pub(crate) struct VisitObject {
    pub(crate) visit: Visit,
    /// The facility handle that began it, if one did.
    pub(crate) facility: Option<usize>,
    out_bytes: Zeroizing<Vec<u8>>,
    out_capture: Zeroizing<Vec<u8>>,
    out_json: Option<CString>,
    out_text: Option<CString>,
}

impl HandleObject for VisitObject {
    const KIND: &'static str = "visit";
    type Opaque = OnshiVisit;
}

impl VisitObject {
    pub(crate) fn new(visit: Visit, facility: Option<usize>) -> Self {
        Self {
            visit,
            facility,
            out_bytes: Zeroizing::new(Vec::new()),
            out_capture: Zeroizing::new(Vec::new()),
            out_json: None,
            out_text: None,
        }
    }

    /// Forgets (and wipes) the output last handed out.
    fn clear_output(&mut self) {
        self.out_bytes = Zeroizing::new(Vec::new());
        self.out_capture = Zeroizing::new(Vec::new());
        self.out_json = None;
        self.out_text = None;
    }
}

/// Runs `body` on a visit, the output last handed out wiped first.
fn with_visit(
    visit: *mut OnshiVisit,
    body: impl FnOnce(&mut VisitObject) -> FfiResult,
) -> OnshiStatus {
    entry(|| {
        registry::with::<VisitObject, _>(visit, |object| {
            object.clear_output();
            body(object)
        })
    })
}

/// Feeds one input at `now`.
fn feed(
    visit: *mut OnshiVisit,
    now: i64,
    input: impl FnOnce() -> FfiResult<Input<'static>>,
) -> OnshiStatus {
    with_visit(visit, |object| {
        let input = input()?;
        handle(object, now, input)
    })
}

fn handle(object: &mut VisitObject, now: i64, input: Input<'_>) -> FfiResult {
    object
        .visit
        .handle(Timestamp::from_unix_seconds(now), input)
        .map_err(rejected)
}

fn rejected(error: InputRejected) -> Failure {
    Failure::new(OnshiStatus::InputRejected, error.to_string())
}

/// Where a visit runs, for `onshi_visit_new` (the facility makes it with
/// `onshi_facility_begin_visit`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextJson {
    reader: u16,
    mode: ReaderMode,
    #[serde(default)]
    mode_since: i64,
    #[serde(default = "default_reminder")]
    legacy_reminder_seconds: i64,
    #[serde(default)]
    extended_length: bool,
    #[serde(default)]
    trust: TrustJson,
}

fn default_reminder() -> i64 {
    30 * 60
}

/// The trust anchors, by name.
#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TrustJson {
    #[default]
    Production,
    JlisTest,
    Virtual,
}

pub(crate) const TRUSTS: [(u32, TrustJson); 3] = [
    (OnshiTrust::Production as u32, TrustJson::Production),
    (OnshiTrust::JlisTest as u32, TrustJson::JlisTest),
    (OnshiTrust::Virtual as u32, TrustJson::Virtual),
];

pub(crate) fn trust_anchors(trust: TrustJson) -> FfiResult<TrustAnchors> {
    match trust {
        TrustJson::Production => Ok(TrustAnchors::production()),
        TrustJson::JlisTest => Ok(TrustAnchors::jlis_test()),
        #[cfg(feature = "sim")]
        TrustJson::Virtual => Ok(onshi::sim::trust_anchors()),
        #[cfg(not(feature = "sim"))]
        TrustJson::Virtual => Err(Failure::new(
            OnshiStatus::Unsupported,
            "the virtual card's trust anchors need the `sim` feature",
        )),
    }
}

pub(crate) fn capabilities(extended_length: u32) -> ReaderCapabilities {
    if extended_length != 0 {
        ReaderCapabilities::EXTENDED_LENGTH
    } else {
        ReaderCapabilities::SHORT_ONLY
    }
}

/// Creates a visit at `now` on a reader the host describes, without a facility (so without
/// the on-reader staff check, which needs the facility's passcode: use
/// `onshi_facility_begin_visit` in a product). `context_json`:
/// `{"reader": 1, "mode": "unattended" | "pin_only" | "legacy_visual", "mode_since": 0,
/// "legacy_reminder_seconds": 1800, "extended_length": false, "trust": "production" |
/// "jlis_test" | "virtual"}` (only `reader` and `mode` are required). `settings_json`: null,
/// or the settings to change from the defaults (onshi's `VisitSettings`, e.g.
/// `{"idle_timeout_seconds": 90}`). `challenge`: 32 fresh random bytes, or null to draw them
/// from the OS. Free the visit with `onshi_visit_free`.
///
/// # Safety
///
/// The strings are null or NUL-terminated; `challenge` is null or points to 32 bytes; `out`
/// points to a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_new(
    context_json: *const c_char,
    settings_json: *const c_char,
    now: i64,
    challenge: *const u8,
    out: *mut *mut OnshiVisit,
) -> OnshiStatus {
    entry(|| {
        // SAFETY: the caller's promises, passed on.
        let context = unsafe { json_in(context_json, "the context") }?.ok_or_else(|| {
            Failure::new(OnshiStatus::NullPointer, "the context is null or empty")
        })?;
        let context: ContextJson = serde_json::from_value(context).map_err(|error| {
            Failure::new(OnshiStatus::InvalidJson, format!("the context: {error}"))
        })?;
        // SAFETY: as above.
        let settings: VisitSettings = merged(
            unsafe { json_in(settings_json, "the settings") }?,
            "the settings",
        )?;
        // SAFETY: as above.
        let challenge = unsafe { challenge_in(challenge) }?;
        let reader_context = ReaderContext {
            reader: ReaderId::new(context.reader),
            mode: context.mode,
            mode_since: Timestamp::from_unix_seconds(context.mode_since),
            staff_passcode: None,
            capabilities: capabilities(u32::from(context.extended_length)),
            legacy_reminder_seconds: context.legacy_reminder_seconds,
            trust: trust_anchors(context.trust)?,
        };
        let visit = Visit::new(
            reader_context,
            settings,
            Timestamp::from_unix_seconds(now),
            challenge,
        );
        let handle = registry::insert(VisitObject::new(visit, None))?;
        // SAFETY: the caller promises `out` is writable.
        unsafe { write_out(out, handle, "out") }
    })
}

/// The default visit settings as JSON (onshi's `VisitSettings`): what `settings_json` changes.
/// A static string, never freed.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_settings_default_json(out: *mut *const c_char) -> OnshiStatus {
    static DEFAULTS: std::sync::OnceLock<CString> = std::sync::OnceLock::new();
    entry(|| {
        let json = match DEFAULTS.get() {
            Some(json) => json,
            None => {
                let json = json_out(&VisitSettings::default())?;
                DEFAULTS.get_or_init(|| json)
            }
        };
        // SAFETY: the caller's promise.
        unsafe { write_out(out, json.as_ptr(), "out") }
    })
}

/// Frees a visit (null is a no-op). A visit begun by a facility is handed back with
/// `onshi_facility_finish` first.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_free(visit: *mut OnshiVisit) -> OnshiStatus {
    entry(|| registry::remove::<VisitObject>(visit))
}

/// The next output, written to `out`; its pointers stay valid until the next call with this
/// visit. Poll until `WAIT` or `FINISHED`.
///
/// # Safety
///
/// `out` points to a writable `OnshiOutput`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_poll(
    visit: *mut OnshiVisit,
    out: *mut OnshiOutput,
) -> OnshiStatus {
    if out.is_null() {
        return entry(|| Err(Failure::new(OnshiStatus::NullPointer, "out is null")));
    }
    with_visit(visit, |object| {
        let mut output = OnshiOutput {
            until: 0,
            bytes: std::ptr::null(),
            bytes_len: 0,
            capture: std::ptr::null(),
            capture_len: 0,
            response_capacity: 0,
            json: std::ptr::null(),
            text: std::ptr::null(),
            kind: 0,
            span: 0,
        };
        let kind = match object.visit.poll() {
            Output::Transmit(command) => {
                object.out_bytes.extend_from_slice(command.bytes());
                output.response_capacity = command.response_capacity();
                output.span = span_code(command.span());
                OnshiOutputKind::Transmit
            }
            Output::Show(screen) => {
                object.out_json = Some(json_out(&screen)?);
                object.out_text = Some(text_out(screen.text().to_string())?);
                OnshiOutputKind::Show
            }
            Output::CaptureFace => OnshiOutputKind::CaptureFace,
            Output::MatchFace {
                chip_photo,
                capture,
            } => {
                object.out_bytes.extend_from_slice(&chip_photo);
                object.out_capture.extend_from_slice(capture.image());
                OnshiOutputKind::MatchFace
            }
            Output::Audit(event) => {
                object.out_json = Some(json_out(&event)?);
                OnshiOutputKind::Audit
            }
            Output::StaffNotice(notice) => {
                object.out_json = Some(json_out(&notice)?);
                object.out_text = Some(text_out(notice.to_string())?);
                OnshiOutputKind::StaffNotice
            }
            Output::Wait { until } => {
                output.until = until.unix_seconds();
                OnshiOutputKind::Wait
            }
            Output::Finished(outcome) => {
                object.out_json = Some(json_out(&outcome)?);
                object.out_text = Some(text_out(outcome.to_string())?);
                OnshiOutputKind::Finished
            }
        };
        output.kind = kind as u32;
        (output.bytes, output.bytes_len) = out_ptr(&object.out_bytes);
        (output.capture, output.capture_len) = out_ptr(&object.out_capture);
        output.json = out_str(object.out_json.as_ref());
        output.text = out_str(object.out_text.as_ref());
        // SAFETY: non-null (checked above), and the caller promises it is writable.
        unsafe { out.write(output) };
        Ok(())
    })
}

/// Time passed: feed it at `WAIT`'s `until` (or any time; it checks the deadline).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_tick(visit: *mut OnshiVisit, now: i64) -> OnshiStatus {
    feed(visit, now, || Ok(Input::Tick))
}

/// The reader reported a card event (an [`OnshiCardEvent`]).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_card_event(
    visit: *mut OnshiVisit,
    now: i64,
    event: u32,
) -> OnshiStatus {
    feed(visit, now, || {
        Ok(Input::Card(choice(event, &CARD_EVENTS, "card event")?))
    })
}

/// The card's answer (data and status word) to the last `TRANSMIT`.
///
/// # Safety
///
/// `response` points to `len` readable bytes (or is null with `len` 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_card_response(
    visit: *mut OnshiVisit,
    now: i64,
    response: *const u8,
    len: usize,
) -> OnshiStatus {
    with_visit(visit, |object| {
        // SAFETY: the caller's promise.
        let bytes = unsafe { bytes_in(response, len) }?;
        handle(object, now, Input::CardResponse(bytes))
    })
}

/// The last `TRANSMIT` could not be sent, or its answer was lost (an
/// [`OnshiTransportError`]).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_transport_failed(
    visit: *mut OnshiVisit,
    now: i64,
    error: u32,
) -> OnshiStatus {
    feed(visit, now, || {
        Ok(Input::TransportFailed(choice(
            error,
            &TRANSPORT_ERRORS,
            "transport error",
        )?))
    })
}

/// 照合番号B as the reader's OCR read it from the card face: the 14 ASCII digits (birth date
/// YYMMDD with the Japanese era year, expiry year, security code). A secret: wiped after use.
///
/// # Safety
///
/// `digits` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_verification_number_b(
    visit: *mut OnshiVisit,
    now: i64,
    digits: *const u8,
    len: usize,
) -> OnshiStatus {
    with_visit(visit, |object| {
        // SAFETY: the caller's promise.
        let bytes = unsafe { bytes_in(digits, len) }?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Failure::new(OnshiStatus::InvalidUtf8, "照合番号B is not UTF-8"))?;
        let pin = Pin::new(PinKind::VerificationNumberB, text).map_err(|error| {
            Failure::new(OnshiStatus::InvalidArgument, format!("照合番号B: {error}"))
        })?;
        handle(object, now, UserInput::VerificationNumberB(pin).into())
    })
}

/// The OCR could not read 照合番号B.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_verification_number_b_unreadable(
    visit: *mut OnshiVisit,
    now: i64,
) -> OnshiStatus {
    feed(visit, now, || {
        Ok(UserInput::VerificationNumberBUnreadable.into())
    })
}

/// The patient (or staff) chose a method (an [`OnshiMethod`]).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_choose(visit: *mut OnshiVisit, now: i64, method: u32) -> OnshiStatus {
    const METHODS: [(u32, MethodChoice); 3] = [
        (OnshiMethod::Face as u32, MethodChoice::Face),
        (OnshiMethod::Pin as u32, MethodChoice::Pin),
        (OnshiMethod::StaffCheck as u32, MethodChoice::StaffCheck),
    ];
    feed(visit, now, || {
        Ok(UserInput::Choose(choice(method, &METHODS, "method")?).into())
    })
}

/// A legal representative (法定代理人) declares they enter the PIN.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_declare_legal_representative(
    visit: *mut OnshiVisit,
    now: i64,
) -> OnshiStatus {
    feed(visit, now, || {
        Ok(UserInput::DeclareLegalRepresentative.into())
    })
}

/// The patient confirms they want to use the PIN's last try.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_confirm_last_try(visit: *mut OnshiVisit, now: i64) -> OnshiStatus {
    feed(visit, now, || Ok(UserInput::ConfirmLastTry.into()))
}

/// The patient entered a PIN (the bytes typed; checked for format before anything is sent).
/// A secret: copied into memory that is wiped after use.
///
/// # Safety
///
/// `pin` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_pin_entered(
    visit: *mut OnshiVisit,
    now: i64,
    pin: *const u8,
    len: usize,
) -> OnshiStatus {
    with_visit(visit, |object| {
        // SAFETY: the caller's promise.
        let bytes = unsafe { bytes_in(pin, len) }?;
        let pin = SecretBytes::copy_from(bytes);
        handle(object, now, UserInput::PinEntered(pin).into())
    })
}

/// The camera took the capture asked for (`CAPTURE_FACE`).
///
/// # Safety
///
/// `image` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_face_captured(
    visit: *mut OnshiVisit,
    now: i64,
    image: *const u8,
    len: usize,
) -> OnshiStatus {
    with_visit(visit, |object| {
        // SAFETY: the caller's promise.
        let bytes = unsafe { bytes_in(image, len) }?;
        let capture = FaceCapture::new(bytes.to_vec());
        handle(object, now, UserInput::FaceCaptured(capture).into())
    })
}

/// The camera could not take a capture.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_face_capture_failed(visit: *mut OnshiVisit, now: i64) -> OnshiStatus {
    feed(visit, now, || Ok(UserInput::FaceCaptureFailed.into()))
}

/// The face matcher's similarity, 0 to 1000 (‰).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_face_matched(
    visit: *mut OnshiVisit,
    now: i64,
    score_per_mille: u16,
) -> OnshiStatus {
    feed(visit, now, || {
        if score_per_mille > 1000 {
            return Err(Failure::new(
                OnshiStatus::InvalidArgument,
                "a score is 0 to 1000",
            ));
        }
        Ok(UserInput::FaceMatched(Ok(MatchScore::from_per_mille(score_per_mille))).into())
    })
}

/// The face matcher failed (an [`OnshiFaceMatchError`]).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_face_match_failed(
    visit: *mut OnshiVisit,
    now: i64,
    error: u32,
) -> OnshiStatus {
    const ERRORS: [(u32, FaceMatchError); 4] = [
        (
            OnshiFaceMatchError::NoFaceInCapture as u32,
            FaceMatchError::NoFaceInCapture,
        ),
        (
            OnshiFaceMatchError::PhotoUnreadable as u32,
            FaceMatchError::PhotoUnreadable,
        ),
        (
            OnshiFaceMatchError::LivenessFailed as u32,
            FaceMatchError::LivenessFailed,
        ),
        (
            OnshiFaceMatchError::MatcherFailed as u32,
            FaceMatchError::MatcherFailed,
        ),
    ];
    feed(visit, now, || {
        Ok(UserInput::FaceMatched(Err(choice(error, &ERRORS, "face match error")?)).into())
    })
}

/// A staff id from the host.
///
/// # Safety
///
/// As [`str_in`].
unsafe fn staff_id(id: *const c_char) -> FfiResult<StaffId> {
    // SAFETY: the caller's promise, passed on.
    let id = unsafe { str_in(id, "the staff id") }?;
    StaffId::new(id).ok_or_else(|| {
        Failure::new(
            OnshiStatus::InvalidArgument,
            "a staff id is 1 to 32 printable ASCII characters",
        )
    })
}

/// Staff entered the facility's visual-check passcode on the reader (the on-reader staff
/// check). A secret: wiped after use.
///
/// # Safety
///
/// `staff_id` is NUL-terminated; `passcode` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_staff_passcode(
    visit: *mut OnshiVisit,
    now: i64,
    staff_id: *const c_char,
    passcode: *const u8,
    len: usize,
) -> OnshiStatus {
    with_visit(visit, |object| {
        // SAFETY: the caller's promise.
        let staff_id = unsafe { self::staff_id(staff_id) }?;
        // SAFETY: the caller's promise.
        let passcode = SecretBytes::copy_from(unsafe { bytes_in(passcode, len) }?);
        handle(
            object,
            now,
            UserInput::StaffPasscode { staff_id, passcode }.into(),
        )
    })
}

/// Staff confirmed on the terminal (legacy visual mode) that they checked the card the visit
/// announced: `card_json` is the `card` of that `STAFF_NOTICE` (`confirm_card`).
///
/// # Safety
///
/// Both strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_staff_confirmed_on_terminal(
    visit: *mut OnshiVisit,
    now: i64,
    staff_id: *const c_char,
    card_json: *const c_char,
) -> OnshiStatus {
    feed(visit, now, || {
        // SAFETY: the caller's promise.
        let staff_id = unsafe { self::staff_id(staff_id) }?;
        // SAFETY: the caller's promise.
        let card = unsafe { json_in(card_json, "the card") }?
            .ok_or_else(|| Failure::new(OnshiStatus::NullPointer, "the card is null"))?;
        let card: CardIdentity = serde_json::from_value(card).map_err(|error| {
            Failure::new(OnshiStatus::InvalidJson, format!("the card: {error}"))
        })?;
        Ok(UserInput::StaffConfirmedOnTerminal { staff_id, card }.into())
    })
}

/// An iPhone authenticated its holder; `der` is the user-authentication certificate the
/// reader read from the phone.
///
/// # Safety
///
/// `der` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_iphone_authenticated(
    visit: *mut OnshiVisit,
    now: i64,
    der: *const u8,
    len: usize,
) -> OnshiStatus {
    with_visit(visit, |object| {
        // SAFETY: the caller's promise.
        let certificate_der = unsafe { bytes_in(der, len) }?.to_vec();
        handle(
            object,
            now,
            UserInput::IPhoneAuthenticated { certificate_der }.into(),
        )
    })
}

/// The patient answered the consent screen shown (non-zero: yes).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_consent_answer(
    visit: *mut OnshiVisit,
    now: i64,
    yes: u32,
) -> OnshiStatus {
    feed(visit, now, || Ok(UserInput::ConsentAnswer(yes != 0).into()))
}

/// Staff record that the patient's consent cannot be obtained (同意取得困難).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_consent_not_obtainable(
    visit: *mut OnshiVisit,
    now: i64,
) -> OnshiStatus {
    feed(visit, now, || Ok(UserInput::ConsentNotObtainable.into()))
}

/// The patient answered the prescription question (an [`OnshiPrescription`]).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_visit_prescription_chosen(
    visit: *mut OnshiVisit,
    now: i64,
    prescription: u32,
) -> OnshiStatus {
    const ISSUES: [(u32, PrescriptionIssue); 2] = [
        (
            OnshiPrescription::Electronic as u32,
            PrescriptionIssue::Electronic,
        ),
        (OnshiPrescription::Paper as u32, PrescriptionIssue::Paper),
    ];
    feed(visit, now, || {
        Ok(UserInput::PrescriptionChosen(choice(prescription, &ISSUES, "prescription")?).into())
    })
}

/// A JSON string the visit hands out, valid until the next call with this visit.
fn json_query(
    visit: *mut OnshiVisit,
    out: *mut *const c_char,
    value: impl FnOnce(&Visit) -> FfiResult<CString>,
) -> OnshiStatus {
    if out.is_null() {
        return entry(|| Err(Failure::new(OnshiStatus::NullPointer, "out is null")));
    }
    with_visit(visit, |object| {
        let json = value(&object.visit)?;
        let json = object.out_json.insert(json);
        // SAFETY: non-null (checked above), and the caller promises it is writable.
        unsafe { out.write(json.as_ptr()) };
        Ok(())
    })
}

/// Where the visit stands (onshi's `VisitStage` as JSON, e.g. `{"stage":"pin_entry",
/// "tries_left":3}`), valid until the next call with this visit.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_stage_json(
    visit: *mut OnshiVisit,
    out: *mut *const c_char,
) -> OnshiStatus {
    json_query(visit, out, |visit| json_out(&visit.stage()))
}

/// The kinds of input the visit takes now, a JSON array of names (`"choose"`,
/// `"pin_entered"`, `"consent_answer"`, …), so a UI can enable its controls; valid until the
/// next call with this visit.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_expected_inputs_json(
    visit: *mut OnshiVisit,
    out: *mut *const c_char,
) -> OnshiStatus {
    json_query(visit, out, |visit| json_out(&visit.expected_inputs()))
}

/// The methods the identity screen offers now, a JSON array (`["face","pin"]`); valid until
/// the next call with this visit.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_available_methods_json(
    visit: *mut OnshiVisit,
    out: *mut *const c_char,
) -> OnshiStatus {
    json_query(visit, out, |visit| json_out(&visit.available_methods()))
}

/// A kind of input, for `onshi_visit_accepts`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiInputKind {
    /// `onshi_visit_tick`.
    Tick = 1,
    /// `onshi_visit_card_event` with `PLACED`.
    CardPlaced = 2,
    /// `onshi_visit_card_event` with `REMOVED`.
    CardRemoved = 3,
    /// `onshi_visit_card_event` with `RESET`.
    CardReset = 4,
    /// `onshi_visit_card_response`.
    CardResponse = 5,
    /// `onshi_visit_transport_failed`.
    TransportFailed = 6,
    /// `onshi_visit_verification_number_b` (or `_unreadable`).
    VerificationNumberB = 7,
    /// `onshi_visit_choose`.
    Choose = 8,
    /// `onshi_visit_declare_legal_representative`.
    DeclareLegalRepresentative = 9,
    /// `onshi_visit_confirm_last_try`.
    ConfirmLastTry = 10,
    /// `onshi_visit_pin_entered`.
    PinEntered = 11,
    /// `onshi_visit_face_captured` (or `_capture_failed`).
    FaceCapture = 12,
    /// `onshi_visit_face_matched` (or `_match_failed`).
    FaceMatched = 13,
    /// `onshi_visit_staff_passcode`.
    StaffPasscode = 14,
    /// `onshi_visit_staff_confirmed_on_terminal`.
    StaffConfirmedOnTerminal = 15,
    /// `onshi_visit_iphone_authenticated`.
    IPhoneAuthenticated = 16,
    /// `onshi_visit_consent_answer`.
    ConsentAnswer = 17,
    /// `onshi_visit_consent_not_obtainable`.
    ConsentNotObtainable = 18,
    /// `onshi_visit_prescription_chosen`.
    PrescriptionChosen = 19,
}

const INPUT_KINDS: [(u32, InputKind); 19] = [
    (OnshiInputKind::Tick as u32, InputKind::Tick),
    (OnshiInputKind::CardPlaced as u32, InputKind::CardPlaced),
    (OnshiInputKind::CardRemoved as u32, InputKind::CardRemoved),
    (OnshiInputKind::CardReset as u32, InputKind::CardReset),
    (OnshiInputKind::CardResponse as u32, InputKind::CardResponse),
    (
        OnshiInputKind::TransportFailed as u32,
        InputKind::TransportFailed,
    ),
    (
        OnshiInputKind::VerificationNumberB as u32,
        InputKind::VerificationNumberB,
    ),
    (OnshiInputKind::Choose as u32, InputKind::Choose),
    (
        OnshiInputKind::DeclareLegalRepresentative as u32,
        InputKind::DeclareLegalRepresentative,
    ),
    (
        OnshiInputKind::ConfirmLastTry as u32,
        InputKind::ConfirmLastTry,
    ),
    (OnshiInputKind::PinEntered as u32, InputKind::PinEntered),
    (OnshiInputKind::FaceCapture as u32, InputKind::FaceCapture),
    (OnshiInputKind::FaceMatched as u32, InputKind::FaceMatched),
    (
        OnshiInputKind::StaffPasscode as u32,
        InputKind::StaffPasscode,
    ),
    (
        OnshiInputKind::StaffConfirmedOnTerminal as u32,
        InputKind::StaffConfirmedOnTerminal,
    ),
    (
        OnshiInputKind::IPhoneAuthenticated as u32,
        InputKind::IPhoneAuthenticated,
    ),
    (
        OnshiInputKind::ConsentAnswer as u32,
        InputKind::ConsentAnswer,
    ),
    (
        OnshiInputKind::ConsentNotObtainable as u32,
        InputKind::ConsentNotObtainable,
    ),
    (
        OnshiInputKind::PrescriptionChosen as u32,
        InputKind::PrescriptionChosen,
    ),
];

/// Whether the visit takes an input of this kind (an [`OnshiInputKind`]) now: 1 or 0 in
/// `out`. A choice is taken only for a method offered (`onshi_visit_available_methods_json`).
///
/// # Safety
///
/// `out` points to a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_visit_accepts(
    visit: *mut OnshiVisit,
    kind: u32,
    out: *mut u32,
) -> OnshiStatus {
    with_visit(visit, |object| {
        let kind = choice(kind, &INPUT_KINDS, "input kind")?;
        let accepts = u32::from(object.visit.accepts(kind));
        // SAFETY: the caller's promise.
        unsafe { write_out(out, accepts, "out") }
    })
}
