//! The card layer alone, for hosts that only need a PIN's status, a PIN check with the
//! lockout guard, or the user-authentication certificate: sans-IO, like the visit. Begin one
//! operation, then poll: send each `TRANSMIT` and feed the answer back, until `DONE` or
//! `FAILED`.

use std::ffi::{CString, c_char};

use onshi::card::{
    CardOperation, CardState, Exchange, Pin, PinSlot, Poll, QueryPinStatus, ReadRecord,
    UserAuthCertificate, VerifyPin, read_user_auth_certificate,
};
use onshi::{Error, TransportError};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::registry::{self, HandleObject};
use crate::visit::{CARD_EVENTS, TRANSPORT_ERRORS, capabilities, span_code};
use crate::{Failure, FfiResult, OnshiStatus, bytes_in, choice, entry, json_out, out_ptr, out_str};

/// A card on a reader, as the card layer knows it (opaque; a handle).
pub struct OnshiCard {
    _private: [u8; 0],
}

/// What `onshi_card_poll` hands out. Pointers stay valid until the next call with the card.
#[repr(C)]
#[derive(Debug)]
pub struct OnshiCardStep {
    /// `TRANSMIT`: the command APDU (it may carry a PIN: wiped once its answer or failure is
    /// fed). `DONE` of
    /// `onshi_card_read_certificate`: the certificate's DER.
    pub bytes: *const u8,
    /// Length of `bytes`.
    pub bytes_len: usize,
    /// `TRANSMIT`: the largest response possible.
    pub response_capacity: usize,
    /// `DONE`: the result as JSON; `FAILED`: `{"code": "...", "message": "..."}` with onshi's
    /// stable error code (`transport.card_removed`, `usage.pin_blocked`, …).
    pub json: *const c_char,
    /// An [`OnshiCardStepKind`].
    pub kind: u32,
    /// `TRANSMIT`: an [`OnshiSpan`](crate::OnshiSpan).
    pub span: u32,
}

/// The kinds of [`OnshiCardStep`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiCardStepKind {
    /// No operation runs.
    Idle = 0,
    /// Send `bytes`; feed back `onshi_card_response` or `onshi_card_transport_failed`.
    Transmit = 1,
    /// The operation succeeded: its result is in `json` (and `bytes`).
    Done = 2,
    /// The operation failed: `json` says why.
    Failed = 3,
}

/// A PIN's place on the card.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiPinSlot {
    /// 利用者証明用暗証番号 (JPKI, 4 digits): the PIN used at the reader.
    UserAuth = 1,
    /// 署名用パスワード (JPKI).
    Signing = 2,
    /// 券面事項入力補助用暗証番号 (card-info AP).
    CardInfo = 3,
    /// 照合番号A, card-info AP.
    CardInfoVerificationA = 4,
    /// 照合番号B, card-info AP.
    CardInfoVerificationB = 5,
    /// 照合番号A, card-face AP.
    CardFaceVerificationA = 6,
    /// 照合番号B, card-face AP.
    CardFaceVerificationB = 7,
    /// The birth-date key, card-face AP.
    CardFaceBirthDate = 8,
}

const SLOTS: [(u32, PinSlot); 8] = [
    (OnshiPinSlot::UserAuth as u32, PinSlot::UserAuth),
    (OnshiPinSlot::Signing as u32, PinSlot::Signing),
    (OnshiPinSlot::CardInfo as u32, PinSlot::CardInfo),
    (
        OnshiPinSlot::CardInfoVerificationA as u32,
        PinSlot::CardInfoVerificationA,
    ),
    (
        OnshiPinSlot::CardInfoVerificationB as u32,
        PinSlot::CardInfoVerificationB,
    ),
    (
        OnshiPinSlot::CardFaceVerificationA as u32,
        PinSlot::CardFaceVerificationA,
    ),
    (
        OnshiPinSlot::CardFaceVerificationB as u32,
        PinSlot::CardFaceVerificationB,
    ),
    (
        OnshiPinSlot::CardFaceBirthDate as u32,
        PinSlot::CardFaceBirthDate,
    ),
];

/// The operation running.
enum Running {
    PinStatus(Exchange<QueryPinStatus>),
    Verify(Exchange<VerifyPin>),
    Certificate(Exchange<ReadRecord<UserAuthCertificate>>),
}

/// What the operation needs or gave, owned.
enum Pending {
    Transmit {
        command: Zeroizing<Vec<u8>>,
        response_capacity: usize,
        span: u32,
    },
    Done {
        json: CString,
        bytes: Vec<u8>,
    },
    Failed(CString),
}

struct CardObject {
    state: CardState,
    running: Option<Running>,
    pending: Option<Pending>,
    /// The step last handed out, kept until the next call.
    out: Option<Pending>,
}

impl HandleObject for CardObject {
    const KIND: &'static str = "card";
    type Opaque = OnshiCard;
}

#[derive(Serialize)]
struct FailureJson<'a> {
    code: &'a str,
    message: String,
}

fn pending<T>(
    poll: Poll<'_, T>,
    done: impl FnOnce(T) -> FfiResult<(CString, Vec<u8>)>,
) -> FfiResult<Pending> {
    Ok(match poll {
        Poll::Transmit {
            command,
            response_capacity,
            span,
        } => Pending::Transmit {
            command: Zeroizing::new(command.to_vec()),
            response_capacity,
            span: span_code(span),
        },
        Poll::Done(Ok(value)) => {
            let (json, bytes) = done(value)?;
            Pending::Done { json, bytes }
        }
        Poll::Done(Err(error)) => Pending::Failed(failure_json(&error)?),
    })
}

fn failure_json(error: &Error) -> FfiResult<CString> {
    json_out(&FailureJson {
        code: error.code(),
        message: error.to_string(),
    })
}

fn certificate_result(certificate: UserAuthCertificate) -> FfiResult<(CString, Vec<u8>)> {
    Ok((json_out(&certificate)?, certificate.der().to_vec()))
}

/// What moves the running operation.
#[derive(Clone, Copy)]
enum Event<'a> {
    Start,
    Response(&'a [u8]),
    TransportFailed(TransportError),
}

impl Running {
    /// One step of the operation: what it needs next, or its result.
    fn advance(&mut self, state: &mut CardState, event: Event<'_>) -> FfiResult<Pending> {
        fn drive<'e, O: CardOperation>(
            exchange: &'e mut Exchange<O>,
            state: &mut CardState,
            event: Event<'_>,
        ) -> Poll<'e, O::Output> {
            match event {
                Event::Start => exchange.start(state),
                Event::Response(bytes) => exchange.handle_response(state, bytes),
                Event::TransportFailed(error) => exchange.handle_transport_error(state, error),
            }
        }
        match self {
            Self::PinStatus(exchange) => pending(drive(exchange, state, event), |status| {
                Ok((json_out(&status)?, Vec::new()))
            }),
            Self::Verify(exchange) => pending(drive(exchange, state, event), |outcome| {
                Ok((json_out(&outcome)?, Vec::new()))
            }),
            Self::Certificate(exchange) => {
                pending(drive(exchange, state, event), certificate_result)
            }
        }
    }
}

impl CardObject {
    /// Moves the running operation one step and keeps what it needs next.
    fn step(&mut self, event: Event<'_>) -> FfiResult {
        let Some(running) = self.running.as_mut() else {
            return Err(Failure::new(
                OnshiStatus::OutOfOrder,
                "no card operation is running",
            ));
        };
        let pending = running.advance(&mut self.state, event)?;
        if !matches!(pending, Pending::Transmit { .. }) {
            self.running = None;
        }
        self.pending = Some(pending);
        Ok(())
    }

    fn start(&mut self, running: Running) -> FfiResult {
        if self.running.is_some() || self.pending.is_some() {
            return Err(Failure::new(
                OnshiStatus::OutOfOrder,
                "a card operation is running, or its result was not polled yet",
            ));
        }
        self.running = Some(running);
        self.step(Event::Start)
    }
}

fn with_card(card: *mut OnshiCard, body: impl FnOnce(&mut CardObject) -> FfiResult) -> OnshiStatus {
    entry(|| {
        registry::with::<CardObject, _>(card, |object| {
            object.out = None;
            body(object)
        })
    })
}

/// A card on a reader that passes extended-length APDUs when `extended_length` is non-zero;
/// the handle goes to `out`. Tell it of every card event (`onshi_card_card_event`).
///
/// # Safety
///
/// `out` points to a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_card_new(
    extended_length: u32,
    out: *mut *mut OnshiCard,
) -> OnshiStatus {
    entry(|| {
        if out.is_null() {
            return Err(Failure::new(OnshiStatus::NullPointer, "out is null"));
        }
        let handle = registry::insert(CardObject {
            state: CardState::new(capabilities(extended_length)),
            running: None,
            pending: None,
            out: None,
        })?;
        // SAFETY: non-null, and the caller promises it is writable.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a card (null is a no-op).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_card_free(card: *mut OnshiCard) -> OnshiStatus {
    entry(|| registry::remove::<CardObject>(card))
}

/// The reader reported a card event (an [`OnshiCardEvent`](crate::OnshiCardEvent)):
/// everything known of the card is forgotten, and a running operation fails without sending
/// its next command.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_card_card_event(card: *mut OnshiCard, event: u32) -> OnshiStatus {
    with_card(card, |object| {
        let event = choice(event, &CARD_EVENTS, "card event")?;
        if object.running.is_some() {
            return transport_failed(object, event.interrupted_command());
        }
        object.state.card_event(event);
        Ok(())
    })
}

/// Starts asking a PIN's retry count (an [`OnshiPinSlot`]), spending no try. Its `DONE` JSON
/// is `{"status":"remaining","tries":3}`, `{"status":"blocked"}` or `{"status":"not_set"}`;
/// it also gives `onshi_card_verify` the fresh count it needs.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_card_pin_status(card: *mut OnshiCard, slot: u32) -> OnshiStatus {
    with_card(card, |object| {
        let slot = choice(slot, &SLOTS, "PIN slot")?;
        object.start(Running::PinStatus(Exchange::new(QueryPinStatus::new(slot))))
    })
}

/// Starts one PIN check with the lockout guard: it needs a count the card reported for this
/// slot (its `onshi_card_pin_status`, or the answer to the last VERIFY); `OUT_OF_ORDER` without
/// one, after a card event or a transport failure, or for a blocked PIN. It re-reads the count
/// in the same exclusive span and sends exactly one VERIFY only if it is unchanged; never
/// resent. Its `DONE` JSON is
/// `{"result":"verified"}`, `{"result":"wrong_pin","tries_left":2}`, `{"result":"blocked"}`
/// or `{"result":"count_changed","now":{…}}`. The PIN (ASCII, checked for the slot's format
/// first) is wiped after use.
///
/// # Safety
///
/// `pin` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_card_verify(
    card: *mut OnshiCard,
    slot: u32,
    pin: *const u8,
    len: usize,
) -> OnshiStatus {
    with_card(card, |object| {
        let slot = choice(slot, &SLOTS, "PIN slot")?;
        // SAFETY: the caller's promise.
        let bytes = Zeroizing::new(unsafe { bytes_in(pin, len) }?.to_vec());
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Failure::new(OnshiStatus::InvalidUtf8, "the PIN is not UTF-8"))?;
        let pin = Pin::new(slot.kind(), text).map_err(|error| {
            Failure::new(OnshiStatus::InvalidArgument, format!("the PIN: {error}"))
        })?;
        if object.running.is_some() || object.pending.is_some() {
            return Err(Failure::new(
                OnshiStatus::OutOfOrder,
                "a card operation is running, or its result was not polled yet",
            ));
        }
        let count = object.state.fresh_count(slot).ok_or_else(|| {
            Failure::new(
                OnshiStatus::OutOfOrder,
                "no fresh retry count for this PIN: ask its status first (onshi_card_pin_status); \
                 a blocked PIN is never tried",
            )
        })?;
        object.start(Running::Verify(Exchange::new(VerifyPin::new(count, pin))))
    })
}

/// Starts reading the user-authentication certificate (利用者証明用電子証明書). Its `DONE` gives
/// the DER in `bytes` and `{"serial", "subject", "issuer", "not_before", "not_after", "der"}`
/// in `json`.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_card_read_certificate(card: *mut OnshiCard) -> OnshiStatus {
    with_card(card, |object| {
        object.start(Running::Certificate(Exchange::new(
            read_user_auth_certificate(),
        )))
    })
}

/// What the running operation needs, or its result (given once; then `IDLE`). Pointers stay
/// valid until the next call with this card.
///
/// # Safety
///
/// `out` points to a writable `OnshiCardStep`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_card_poll(
    card: *mut OnshiCard,
    out: *mut OnshiCardStep,
) -> OnshiStatus {
    if out.is_null() {
        return entry(|| Err(Failure::new(OnshiStatus::NullPointer, "out is null")));
    }
    with_card(card, |object| {
        let mut step = OnshiCardStep {
            bytes: std::ptr::null(),
            bytes_len: 0,
            response_capacity: 0,
            json: std::ptr::null(),
            kind: OnshiCardStepKind::Idle as u32,
            span: 0,
        };
        // A command stays pending until its answer comes (its bytes live there until then);
        // a result is handed out once, and kept until the next call.
        let shown = match object.pending {
            Some(Pending::Transmit { .. }) => object.pending.as_ref(),
            _ => {
                object.out = object.pending.take();
                object.out.as_ref()
            }
        };
        let Some(shown) = shown else {
            // SAFETY: non-null (checked above), and the caller promises it is writable.
            unsafe { out.write(step) };
            return Ok(());
        };
        match shown {
            Pending::Transmit {
                command,
                response_capacity,
                span,
            } => {
                step.kind = OnshiCardStepKind::Transmit as u32;
                (step.bytes, step.bytes_len) = out_ptr(command);
                step.response_capacity = *response_capacity;
                step.span = *span;
            }
            Pending::Done { json, bytes } => {
                step.kind = OnshiCardStepKind::Done as u32;
                step.json = out_str(Some(json));
                (step.bytes, step.bytes_len) = out_ptr(bytes);
            }
            Pending::Failed(json) => {
                step.kind = OnshiCardStepKind::Failed as u32;
                step.json = out_str(Some(json));
            }
        }
        // SAFETY: non-null (checked above), and the caller promises it is writable.
        unsafe { out.write(step) };
        Ok(())
    })
}

fn expect_transmit(object: &CardObject) -> FfiResult {
    match object.pending {
        Some(Pending::Transmit { .. }) => Ok(()),
        _ => Err(Failure::new(
            OnshiStatus::OutOfOrder,
            "no command is waiting for an answer",
        )),
    }
}

/// The card's answer (data and status word) to the last `TRANSMIT`.
///
/// # Safety
///
/// `response` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_card_response(
    card: *mut OnshiCard,
    response: *const u8,
    len: usize,
) -> OnshiStatus {
    with_card(card, |object| {
        // SAFETY: the caller's promise.
        let bytes = unsafe { bytes_in(response, len) }?;
        expect_transmit(object)?;
        object.step(Event::Response(bytes))
    })
}

fn transport_failed(object: &mut CardObject, error: TransportError) -> FfiResult {
    object.step(Event::TransportFailed(error))
}

/// The last `TRANSMIT` could not be sent, or its answer was lost (an
/// [`OnshiTransportError`](crate::OnshiTransportError)): the operation fails, nothing is
/// resent, and every count is forgotten.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_card_transport_failed(card: *mut OnshiCard, error: u32) -> OnshiStatus {
    with_card(card, |object| {
        let error = choice(error, &TRANSPORT_ERRORS, "transport error")?;
        expect_transmit(object)?;
        transport_failed(object, error)
    })
}
