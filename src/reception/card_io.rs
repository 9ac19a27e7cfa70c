//! The visit's one path to the card: a card operation in flight, whatever it is, run as an
//! [`Exchange`] and polled through one type; and the card's identity, by which a visit tells
//! whether the card on the reader is still the one it read.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::io::Transmit;
use crate::apdu::Command;
use crate::card::{
    Application, CardFaceEntries, CardKey, CardOperation, CardState, CardVerifiableCertificate,
    Exchange, LeaveApplication, Pin, PinSlot, PinStatus, Poll, QueryPinStatus, Reply,
    ReserveOutcome, Sign, SignatureScheme, Span, Step, TokenInfo, UserAuthCertificate,
    VerifyOutcome, VerifyPin, VerifyWithReserve, read_card_face, read_card_verifiable_certificate,
    read_token_info, read_user_auth_certificate,
};
use crate::error::Error;
use crate::reader::TransportError;

/// Which card this is: the chip serial of its JPKI token and the serial of its
/// user-authentication certificate (unknown on an Android phone until its PIN is verified).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardIdentity {
    /// The token's serial number (EF 0006).
    pub chip_serial: String,
    /// The user-authentication certificate's serial number, as hex, when it was read.
    pub certificate_serial: Option<String>,
}

impl CardIdentity {
    /// Whether `other` can be the same card: the same chip, and the same certificate where
    /// both know it.
    #[must_use]
    pub fn same_card(&self, other: &Self) -> bool {
        self.chip_serial == other.chip_serial
            && match (&self.certificate_serial, &other.certificate_serial) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl fmt::Display for CardIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chip {}", self.chip_serial)?;
        if let Some(serial) = &self.certificate_serial {
            write!(f, ", certificate {serial}")?;
        }
        Ok(())
    }
}

/// A certificate serial as upper-case hex.
pub(super) fn serial_hex(serial: &[u8]) -> String {
    alloc::format!("{}", crate::apdu::CompactHex(serial))
}

/// What a finished card task gave.
#[derive(Debug)]
pub(super) enum TaskResult {
    Token(TokenInfo),
    Certificate(UserAuthCertificate),
    PinStatus(PinSlot, PinStatus),
    Verify(VerifyOutcome),
    Reserve(ReserveOutcome),
    CardFace(Box<CardFaceEntries>),
    CvCertificate(Box<CardVerifiableCertificate>),
    Signature(Vec<u8>),
    Left,
}

/// Where a card task stands after a step.
pub(super) enum TaskPoll {
    Transmit(Transmit),
    Done(Result<TaskResult, Error>),
}

/// An operation whose every command is sent inside an exclusive span that it keeps for the
/// command after it.
struct HoldingSpan<O>(O);

impl<O: CardOperation> CardOperation for HoldingSpan<O> {
    type Output = O::Output;

    fn step(
        &mut self,
        state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<O::Output>, Error> {
        Ok(match self.0.step(state, reply)? {
            Step::Send(request) => Step::Send(request.in_span(Span::Exclusive { hold: true })),
            done @ Step::Done(_) => done,
        })
    }
}

/// One card operation in flight. `Send`, so that a visit can move between threads (a host's
/// worker pool, the C ABI's handles).
pub(super) struct CardTask {
    exchange: Box<dyn Running + Send>,
}

impl fmt::Debug for CardTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardTask")
    }
}

/// An exchange whose output becomes a [`TaskResult`].
trait Running {
    fn start(&mut self, state: &mut CardState) -> TaskPoll;
    fn response(&mut self, state: &mut CardState, bytes: &[u8]) -> TaskPoll;
    fn transport_error(&mut self, state: &mut CardState, error: TransportError) -> TaskPoll;
}

struct Wrapped<O: CardOperation, F> {
    exchange: Exchange<O>,
    wrap: F,
}

impl<O: CardOperation, F: Fn(O::Output) -> TaskResult> Wrapped<O, F> {
    fn poll(wrap: &F, poll: Poll<'_, O::Output>) -> TaskPoll {
        match poll {
            Poll::Transmit {
                command,
                response_capacity,
                span,
            } => TaskPoll::Transmit(Transmit {
                secret: Command::parse(command).is_ok_and(|c| c.has_secret_data()),
                bytes: Zeroizing::new(command.to_vec()),
                response_capacity,
                span,
            }),
            Poll::Done(result) => TaskPoll::Done(result.map(wrap)),
        }
    }
}

impl<O: CardOperation, F: Fn(O::Output) -> TaskResult> Running for Wrapped<O, F> {
    fn start(&mut self, state: &mut CardState) -> TaskPoll {
        let poll = self.exchange.start(state);
        Self::poll(&self.wrap, poll)
    }

    fn response(&mut self, state: &mut CardState, bytes: &[u8]) -> TaskPoll {
        let poll = self.exchange.handle_response(state, bytes);
        Self::poll(&self.wrap, poll)
    }

    fn transport_error(&mut self, state: &mut CardState, error: TransportError) -> TaskPoll {
        let poll = self.exchange.handle_transport_error(state, error);
        Self::poll(&self.wrap, poll)
    }
}

impl CardTask {
    fn new<O, F>(operation: O, wrap: F) -> Self
    where
        O: CardOperation + Send + 'static,
        F: Fn(O::Output) -> TaskResult + Send + 'static,
    {
        Self {
            exchange: Box::new(Wrapped {
                exchange: Exchange::new(operation),
                wrap,
            }),
        }
    }

    /// Reads the JPKI token: kind and chip serial.
    pub(super) fn token() -> Self {
        Self::new(read_token_info(), TaskResult::Token)
    }

    /// Reads the user-authentication certificate.
    pub(super) fn certificate() -> Self {
        Self::new(read_user_auth_certificate(), TaskResult::Certificate)
    }

    /// Reads the user-authentication certificate inside the exclusive span a VERIFY held, and
    /// holds it for the signature that follows (an Android phone's certificate is readable
    /// only after the PIN, and the PIN-key proof comes after it).
    pub(super) fn certificate_holding_span() -> Self {
        Self::new(
            HoldingSpan(read_user_auth_certificate()),
            TaskResult::Certificate,
        )
    }

    /// Asks a key's retry count.
    pub(super) fn pin_status(slot: PinSlot) -> Self {
        Self::new(QueryPinStatus::new(slot), move |status| {
            TaskResult::PinStatus(slot, status)
        })
    }

    /// One guarded VERIFY.
    pub(super) fn verify(operation: VerifyPin) -> Self {
        Self::new(operation, TaskResult::Verify)
    }

    /// Presents a machine-read key (照合番号B) if at least `reserve` tries are left.
    pub(super) fn verify_with_reserve(slot: PinSlot, pin: Pin, reserve: u8) -> Self {
        Self::new(
            VerifyWithReserve::new(slot, pin, reserve),
            TaskResult::Reserve,
        )
    }

    /// Reads the card face.
    pub(super) fn card_face() -> Self {
        Self::new(read_card_face(), |entries| {
            TaskResult::CardFace(Box::new(entries))
        })
    }

    /// Reads an application's card-verifiable certificate (EF 0004).
    pub(super) fn cv_certificate(application: Application) -> Self {
        Self::new(
            read_card_verifiable_certificate(application),
            |certificate| TaskResult::CvCertificate(Box::new(certificate)),
        )
    }

    /// Has `key` sign `input` (PKCS#1 v1.5 over the input as given) in an exclusive span:
    /// the card-face key after selecting its application again inside the span; the
    /// user-authentication key in the span its VERIFY held.
    pub(super) fn sign(key: CardKey, input: Vec<u8>) -> Self {
        let sign = Sign::new(key, SignatureScheme::Verbatim, input).exclusive();
        let sign = if key.unlocked_by().is_none() {
            sign.selecting_again()
        } else {
            sign
        };
        Self::new(sign, TaskResult::Signature)
    }

    /// Leaves the selected application, locking its keys.
    pub(super) fn leave() -> Self {
        Self::new(LeaveApplication::new(), |()| TaskResult::Left)
    }

    pub(super) fn start(&mut self, state: &mut CardState) -> TaskPoll {
        self.exchange.start(state)
    }

    pub(super) fn response(&mut self, state: &mut CardState, bytes: &[u8]) -> TaskPoll {
        self.exchange.response(state, bytes)
    }

    pub(super) fn transport_error(
        &mut self,
        state: &mut CardState,
        error: TransportError,
    ) -> TaskPoll {
        self.exchange.transport_error(state, error)
    }
}
