//! The sans-IO machinery every card operation runs on.
//!
//! A [`CardOperation`] decides which command comes next from the replies it gets; an
//! [`Exchange`] runs one operation: it encodes the commands, recovers from `61 xx`/`6C xx` for
//! read-only commands (never for VERIFY or signing), counts traffic, and keeps [`CardState`]
//! honest after transport errors. [`Card`](super::Card) drives an exchange over a
//! [`CardReader`](crate::CardReader); the reception flow drives the same exchanges from its own
//! loop.

use alloc::vec::Vec;
use core::num::NonZeroU8;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Application, PinSlot, PinStatus};
use crate::apdu::{Command, CommandBuf, FileId, Response, StatusMeaning, StatusWord};
use crate::error::{CardMisbehaved, Error, Operation};
use crate::reader::{CardEvent, ReaderCapabilities, TransportError};

/// How many `61 xx`/`6C xx` rounds one command may take before the card is called faulty.
const MAX_RECOVERY_ROUNDS: u8 = 16;

/// APDU traffic counted by the card layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeStats {
    /// Command APDUs sent.
    pub commands: u32,
    /// Bytes of the command APDUs.
    pub command_bytes: u64,
    /// Bytes of the responses, status words included.
    pub response_bytes: u64,
    /// VERIFY commands that carried a PIN (user-authentication, signing or card-info PIN):
    /// each may spend a try.
    pub pin_verifications: u32,
    /// VERIFY commands that carried another key: 照合番号A or B, the birth-date key.
    pub key_verifications: u32,
}

/// Which DF the card has current, as far as the card layer knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Selection {
    /// Not known: nothing selected yet, or forgotten.
    Unknown,
    /// The power-on (MF-level) state, after selecting the Issuer Security Domain.
    MasterFile,
    /// This application.
    Application(Application),
}

/// What the card layer knows about the card on the reader. It only ever holds what the card
/// reported; after a reset, a removal or an unclear transport error it forgets.
#[derive(Clone, Debug)]
pub struct CardState {
    selected: Selection,
    current_file: Option<FileId>,
    verified: [bool; PinSlot::ALL.len()],
    pins: [PinStatus; PinSlot::ALL.len()],
    /// Bumped whenever what was known about the card is forgotten: a retry count from an
    /// earlier epoch belongs to a card state that no longer holds (perhaps another card).
    epoch: u32,
    addressing: KeyAddressing,
    capabilities: ReaderCapabilities,
    stats: ExchangeStats,
}

/// How VERIFY and the retry query name the key EF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAddressing {
    /// P2 = `80 | SFI`: the command names its key EF itself, so another program's SELECT on a
    /// shared reader cannot redirect it (`00 20 00 98` is the user-authentication PIN). The
    /// default; a card that refuses the form for the retry query (which spends nothing) is
    /// switched to the next one.
    #[default]
    ShortFileId,
    /// SELECT EF (answered exactly `90 00`), then P2 = `80`, "the key of the current EF", all
    /// in one exclusive span.
    SelectedFile,
}

/// A retry count above zero, as the card reported it to this [`CardState`] since it last
/// forgot the card: what a VERIFY needs. Only the card layer makes one
/// ([`CardState::fresh_count`]), and a VERIFY consumes it, so a count never lets two PINs
/// through, and a count of one card never reaches another.
#[derive(Debug, PartialEq, Eq)]
pub struct FreshRetryCount {
    slot: PinSlot,
    tries_left: NonZeroU8,
    epoch: u32,
}

impl FreshRetryCount {
    /// The PIN.
    #[must_use]
    pub const fn slot(&self) -> PinSlot {
        self.slot
    }

    /// Tries left.
    #[must_use]
    pub const fn tries_left(&self) -> u8 {
        self.tries_left.get()
    }

    /// Whether a wrong PIN now would block it.
    #[must_use]
    pub const fn is_last_try(&self) -> bool {
        self.tries_left.get() == 1
    }

    pub(crate) const fn epoch(&self) -> u32 {
        self.epoch
    }
}

impl CardState {
    /// A fresh state for a card on a reader with these capabilities.
    #[must_use]
    pub const fn new(capabilities: ReaderCapabilities) -> Self {
        Self {
            selected: Selection::Unknown,
            current_file: None,
            verified: [false; PinSlot::ALL.len()],
            pins: [PinStatus::Unknown; PinSlot::ALL.len()],
            epoch: 0,
            addressing: KeyAddressing::ShortFileId,
            capabilities,
            stats: ExchangeStats {
                commands: 0,
                command_bytes: 0,
                response_bytes: 0,
                pin_verifications: 0,
                key_verifications: 0,
            },
        }
    }

    /// The PIN status the card last reported for `slot`.
    #[must_use]
    pub fn pin_status(&self, slot: PinSlot) -> PinStatus {
        match self.pins.get(slot.index()) {
            Some(status) => *status,
            None => PinStatus::Unknown,
        }
    }

    /// Whether `slot` was verified and its application has stayed selected since.
    #[must_use]
    pub fn is_verified(&self, slot: PinSlot) -> bool {
        self.selected == Selection::Application(slot.application())
            && self.verified.get(slot.index()).copied().unwrap_or(false)
    }

    /// The selected application, as far as the card layer knows.
    #[must_use]
    pub const fn selected_application(&self) -> Option<Application> {
        match self.selected {
            Selection::Application(application) => Some(application),
            Selection::Unknown | Selection::MasterFile => None,
        }
    }

    /// Whether the card is known to be at MF level (no application selected).
    #[must_use]
    pub fn is_at_master_file(&self) -> bool {
        self.selected == Selection::MasterFile
    }

    /// Traffic so far.
    #[must_use]
    pub const fn stats(&self) -> ExchangeStats {
        self.stats
    }

    /// The reader's capabilities.
    #[must_use]
    pub const fn capabilities(&self) -> ReaderCapabilities {
        self.capabilities
    }

    /// A fresh count for `slot`: the card's last report of it, at least one try, since the
    /// card was last forgotten. `None` when unknown, blocked or not set: ask the card first.
    #[must_use]
    pub fn fresh_count(&self, slot: PinSlot) -> Option<FreshRetryCount> {
        let PinStatus::Remaining(tries) = self.pin_status(slot) else {
            return None;
        };
        Some(FreshRetryCount {
            slot,
            tries_left: NonZeroU8::new(tries)?,
            epoch: self.epoch,
        })
    }

    pub(crate) const fn epoch(&self) -> u32 {
        self.epoch
    }

    /// How the key EFs are named to this card.
    #[must_use]
    pub const fn key_addressing(&self) -> KeyAddressing {
        self.addressing
    }

    /// Forgets everything about the card: after a reset, a removal or a new card, nothing that
    /// was selected or verified holds, every retry count must be asked again, and no count
    /// handed out before is accepted any more.
    pub fn forget_card(&mut self) {
        self.selected = Selection::Unknown;
        self.current_file = None;
        self.verified = [false; PinSlot::ALL.len()];
        self.pins = [PinStatus::Unknown; PinSlot::ALL.len()];
        self.addressing = KeyAddressing::ShortFileId;
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Takes note of a card event reported by the reader.
    pub fn card_event(&mut self, _event: CardEvent) {
        self.forget_card();
    }

    /// Takes note of a failed transmission: whatever its kind, what was known is forgotten.
    /// The command may have reached the card (a reader that reports the service stopped may
    /// have delivered it first), the card may have been reset or changed.
    pub fn transport_failed(&mut self, _error: TransportError) {
        self.forget_card();
    }

    pub(crate) fn set_key_addressing(&mut self, addressing: KeyAddressing) {
        self.addressing = addressing;
    }

    pub(crate) fn set_pin_status(&mut self, slot: PinSlot, status: PinStatus) {
        if let Some(entry) = self.pins.get_mut(slot.index()) {
            *entry = status;
        }
    }

    pub(crate) fn set_verified(&mut self, slot: PinSlot) {
        if let Some(entry) = self.verified.get_mut(slot.index()) {
            *entry = true;
        }
    }

    pub(crate) const fn current_file(&self) -> Option<FileId> {
        self.current_file
    }

    pub(crate) fn application_selected(&mut self, application: Application) {
        self.selected = Selection::Application(application);
        self.current_file = None;
        // Selecting an application ends the security status of the one left; re-selecting
        // the same one keeps its own (real-card evidence, fact 10).
        for slot in PinSlot::ALL {
            if slot.application() != application {
                self.clear_verified(slot);
            }
        }
    }

    /// The Issuer Security Domain was selected: MF level, every security status ended.
    pub(crate) fn master_file_selected(&mut self) {
        self.selected = Selection::MasterFile;
        self.current_file = None;
        self.verified = [false; PinSlot::ALL.len()];
    }

    /// A SELECT of an application was not answered `90 00`: which DF is current is unknown.
    pub(crate) fn selection_unknown(&mut self) {
        self.selected = Selection::Unknown;
        self.current_file = None;
    }

    pub(crate) fn file_selected(&mut self, file: FileId) {
        self.current_file = Some(file);
    }

    /// A SELECT of an EF (or a read by short identifier) was not answered `90 00`: which EF is
    /// current is unknown.
    pub(crate) fn file_unknown(&mut self) {
        self.current_file = None;
    }

    fn clear_verified(&mut self, slot: PinSlot) {
        if let Some(entry) = self.verified.get_mut(slot.index()) {
            *entry = false;
        }
    }
}

/// A command an operation wants sent.
#[derive(Clone, Debug)]
pub struct Request {
    command: CommandBuf,
    operation: Operation,
    recovery: Recovery,
    span: Span,
    verified_slot: Option<PinSlot>,
}

/// Whether a command must be sent while the card is this program's alone
/// ([`CardReader::begin_exclusive`](crate::CardReader::begin_exclusive)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Span {
    /// No need: other programs may send commands before and after it.
    #[default]
    Shared,
    /// Inside an exclusive span, begun before it if none is held.
    Exclusive {
        /// Keep the span after the answer: the next command relies on this one (the VERIFY
        /// after the count it was checked against). Otherwise it ends after the answer.
        hold: bool,
    },
}

/// Whether a command may be repeated to recover from `61 xx`/`6C xx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Read-only: GET RESPONSE after `61 xx`, resend with the right Le after `6C xx`.
    ReadOnly,
    /// Never repeated (VERIFY, signing, anything that changes the card).
    Never,
}

impl Request {
    /// A request to send `command` on behalf of `operation`.
    #[must_use]
    pub fn new(command: Command<'_>, operation: Operation, recovery: Recovery) -> Self {
        Self {
            command: command.into(),
            operation,
            recovery,
            span: Span::Shared,
            verified_slot: None,
        }
    }

    /// The same request, to be sent in `span`.
    #[must_use]
    pub const fn in_span(mut self, span: Span) -> Self {
        self.span = span;
        self
    }

    /// The same request, marked as the VERIFY of `slot` with a value (for the traffic counts).
    #[must_use]
    pub const fn verifying(mut self, slot: PinSlot) -> Self {
        self.verified_slot = Some(slot);
        self
    }

    /// The span it must be sent in.
    #[must_use]
    pub const fn span(&self) -> Span {
        self.span
    }

    /// The command.
    #[must_use]
    pub const fn command(&self) -> &CommandBuf {
        &self.command
    }

    /// The operation it belongs to.
    #[must_use]
    pub const fn operation(&self) -> Operation {
        self.operation
    }
}

/// The card's final answer to a request: after any `61 xx`/`6C xx` recovery, the whole data
/// and the last status word.
#[derive(Clone, Copy, Debug)]
pub struct Reply<'a> {
    /// The status word.
    pub status: StatusWord,
    /// The response data.
    pub data: &'a [u8],
}

/// What an operation does next.
#[derive(Debug)]
pub enum Step<T> {
    /// Send this command and call the operation again with the reply.
    Send(Request),
    /// The operation is finished.
    Done(T),
}

/// One card operation as a state machine: it is called first with no reply, then with the
/// reply to each command it asked for, until it is done.
pub trait CardOperation {
    /// What the operation produces.
    type Output;

    /// The next step, given the reply to the previous command (`None` at the start).
    ///
    /// # Errors
    ///
    /// Any [`Error`]; the exchange ends with it.
    fn step(
        &mut self,
        state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<Self::Output>, Error>;

    /// This operation followed by `f` on its output.
    fn map<F, T>(self, f: F) -> Map<Self, F>
    where
        Self: Sized,
        F: FnOnce(Self::Output) -> Result<T, Error>,
    {
        Map {
            operation: self,
            f: Some(f),
        }
    }
}

/// An operation whose output is transformed (see [`CardOperation::map`]).
#[derive(Debug)]
pub struct Map<O, F> {
    operation: O,
    f: Option<F>,
}

impl<O, F, T> CardOperation for Map<O, F>
where
    O: CardOperation,
    F: FnOnce(O::Output) -> Result<T, Error>,
{
    type Output = T;

    fn step(&mut self, state: &mut CardState, reply: Option<Reply<'_>>) -> Result<Step<T>, Error> {
        match self.operation.step(state, reply)? {
            Step::Send(request) => Ok(Step::Send(request)),
            Step::Done(output) => match self.f.take() {
                Some(f) => f(output).map(Step::Done),
                // A finished operation is not stepped again by `Exchange`.
                None => Err(Error::Usage(crate::error::UsageError::OutOfOrder)),
            },
        }
    }
}

/// What an [`Exchange`] needs next.
#[derive(Debug)]
pub enum Poll<'a, T> {
    /// Transmit these bytes to the card and pass the response to
    /// [`Exchange::handle_response`]. `response_capacity` is the largest response possible
    /// (Ne plus the status word): size the receive buffer from it.
    Transmit {
        /// The encoded command APDU.
        command: &'a [u8],
        /// Bytes the response can have.
        response_capacity: usize,
        /// Whether it must be sent while the card is this program's alone.
        span: Span,
    },
    /// The operation is finished. An exclusive span still held ends here.
    Done(Result<T, Error>),
}

/// Runs one [`CardOperation`]: encodes its commands, handles `61 xx`/`6C xx` for read-only
/// commands, counts traffic and updates the [`CardState`].
///
/// ```
/// use onshi::card::{CardState, Exchange, Poll, QueryPinStatus, PinSlot, PinStatus};
/// use onshi::ReaderCapabilities;
///
/// let mut state = CardState::new(ReaderCapabilities::SHORT_ONLY);
/// let mut exchange = Exchange::new(QueryPinStatus::new(PinSlot::UserAuth));
/// let mut poll = exchange.start(&mut state);
/// // A card that answers 90 00 to the SELECT and 63 C3 to the retry query `00 20 00 98`.
/// let answers: [&[u8]; 2] = [&[0x90, 0x00], &[0x63, 0xC3]];
/// for answer in answers {
///     assert!(matches!(poll, Poll::Transmit { .. }));
///     poll = exchange.handle_response(&mut state, answer);
/// }
/// let Poll::Done(status) = poll else { panic!() };
/// assert_eq!(status?, PinStatus::Remaining(3));
/// # Ok::<(), onshi::Error>(())
/// ```
#[derive(Debug)]
pub struct Exchange<O: CardOperation> {
    operation: O,
    in_flight: Option<InFlight>,
    encoded: Zeroizing<Vec<u8>>,
    finished: bool,
}

#[derive(Debug)]
struct InFlight {
    request: Request,
    /// Data gathered over `61 xx` rounds.
    collected: Zeroizing<Vec<u8>>,
    rounds: u8,
    /// The largest response the command in flight can have.
    capacity: usize,
}

impl<O: CardOperation> Exchange<O> {
    /// An exchange that will run `operation`.
    #[must_use]
    pub fn new(operation: O) -> Self {
        Self {
            operation,
            in_flight: None,
            encoded: Zeroizing::new(Vec::new()),
            finished: false,
        }
    }

    /// Starts the operation.
    pub fn start(&mut self, state: &mut CardState) -> Poll<'_, O::Output> {
        let step = self.operation.step(state, None);
        self.advance(state, step)
    }

    /// Passes the card's response (data and status word) to the command last returned.
    pub fn handle_response(&mut self, state: &mut CardState, bytes: &[u8]) -> Poll<'_, O::Output> {
        state.stats.response_bytes += bytes.len() as u64;
        let Some(mut in_flight) = self.in_flight.take() else {
            return self.finish(Err(unexpected_call()));
        };
        if bytes.len() > in_flight.capacity {
            // More than the command asked for: not an answer to it.
            state.forget_card();
            return self.finish(Err(CardMisbehaved::ResponseTooLong {
                operation: in_flight.request.operation,
                capacity: in_flight.capacity,
                len: bytes.len(),
            }
            .into()));
        }
        let response = match Response::parse(bytes) {
            Ok(response) => response,
            Err(error) => {
                // The card may have acted on the command; what it did is unknown.
                state.forget_card();
                return self.finish(Err(error.into()));
            }
        };
        let status = response.status();
        if in_flight.request.recovery == Recovery::ReadOnly {
            let follow_up = match status.meaning() {
                StatusMeaning::MoreDataAvailable { available } => {
                    in_flight.collected.extend_from_slice(response.data());
                    Command::get_response(u32::from(available)).map(|c| {
                        Request::new(c, Operation::GetResponse, Recovery::ReadOnly).command
                    })
                }
                StatusMeaning::WrongLe { exact } => {
                    in_flight.collected.clear();
                    in_flight
                        .request
                        .command
                        .as_command()
                        .with_expected_len(u32::from(exact))
                        .map(CommandBuf::from)
                }
                _ => {
                    in_flight.collected.extend_from_slice(response.data());
                    let step = self.operation.step(
                        state,
                        Some(Reply {
                            status,
                            data: &in_flight.collected,
                        }),
                    );
                    return self.advance(state, step);
                }
            };
            in_flight.rounds += 1;
            if in_flight.rounds > MAX_RECOVERY_ROUNDS {
                return self.finish(Err(CardMisbehaved::EndlessRecovery {
                    operation: in_flight.request.operation,
                }
                .into()));
            }
            return match follow_up {
                Ok(command) => {
                    let capacity = encode(&mut self.encoded, state, &command);
                    in_flight.capacity = capacity;
                    // A follow-up belongs to its command's span: nothing of another program's
                    // may come between them.
                    let span = in_flight.request.span;
                    self.in_flight = Some(in_flight);
                    Poll::Transmit {
                        command: &self.encoded,
                        response_capacity: capacity,
                        span,
                    }
                }
                Err(error) => self.finish(Err(error.into())),
            };
        }
        let step = self.operation.step(
            state,
            Some(Reply {
                status,
                data: response.data(),
            }),
        );
        self.advance(state, step)
    }

    /// Reports that the command last returned could not be transmitted. The exchange ends with
    /// the error; nothing is resent.
    pub fn handle_transport_error(
        &mut self,
        state: &mut CardState,
        error: TransportError,
    ) -> Poll<'_, O::Output> {
        state.transport_failed(error);
        self.in_flight = None;
        self.finish(Err(error.into()))
    }

    /// Whether the exchange has finished.
    #[must_use]
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    fn advance(
        &mut self,
        state: &mut CardState,
        step: Result<Step<O::Output>, Error>,
    ) -> Poll<'_, O::Output> {
        match step {
            Ok(Step::Send(request)) => {
                let capacity = encode(&mut self.encoded, state, &request.command);
                match request.verified_slot.map(|slot| slot.kind().is_pin()) {
                    Some(true) => state.stats.pin_verifications += 1,
                    Some(false) => state.stats.key_verifications += 1,
                    None => {}
                }
                let span = request.span;
                self.in_flight = Some(InFlight {
                    request,
                    collected: Zeroizing::new(Vec::new()),
                    rounds: 0,
                    capacity,
                });
                Poll::Transmit {
                    command: &self.encoded,
                    response_capacity: capacity,
                    span,
                }
            }
            Ok(Step::Done(output)) => self.finish(Ok(output)),
            Err(error) => self.finish(Err(error)),
        }
    }

    fn finish(&mut self, result: Result<O::Output, Error>) -> Poll<'_, O::Output> {
        self.finished = true;
        Poll::Done(result)
    }
}

/// Encodes `command` into `buffer`, counts it, and returns the response capacity.
fn encode(buffer: &mut Vec<u8>, state: &mut CardState, command: &CommandBuf) -> usize {
    let command = command.as_command();
    buffer.clear();
    command.encode_to_vec(buffer);
    state.stats.commands += 1;
    state.stats.command_bytes += buffer.len() as u64;
    command.expected_len() as usize + 2
}

/// The error for a response handed to an exchange that sent nothing.
fn unexpected_call() -> Error {
    Error::Usage(crate::error::UsageError::OutOfOrder)
}
