//! [`Visit`]: one patient's visit at the reader, as a sans-IO state machine over the typed
//! states of [`typed`](super::typed).

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::outcome::{
    AuditEvent, ConsentStatus, EligibilityOnlyReason, EndReason, MethodChoice, Outcome,
    RefusalReason, StaffId, VisitEvent, VisitResult,
};
use super::screen::Screen;
use super::settings::{StaffCheckAvailability, VisitSettings};
use super::typed::{
    ConsentFlow, ConsentStep, FaceAttempt, FaceResult, FreshRetryCount, IdentityEvidence, PinEntry,
    PinResult, PinSubmission, StaffCheck, StaffCheckResult, SubmissionPoll,
};
use crate::SecretBytes;
use crate::apdu::{Command, HexBytes};
use crate::card::{
    CardFaceEntries, CardKind, CardState, Exchange, Pin, PinKind, PinSlot, PinStatus, Poll,
    QueryPinStatus, ReadRecord, SmartphonePlatform, UserAuthCertificate, VerifyOutcome, VerifyPin,
    read_card_face, read_card_kind, read_user_auth_certificate,
};
use crate::error::{CardIncompatible, Error};
use crate::face::{FaceCapture, FaceMatchError, MatchScore};
use crate::facility::{ReaderId, ReaderMode, StaffPasscodeCheck};
use crate::reader::{ReaderCapabilities, TransportError};
use crate::time::Timestamp;

/// What a visit needs to know about its reader and facility, fixed for the visit.
#[derive(Clone, Debug)]
pub struct ReaderContext {
    /// The reader.
    pub reader: ReaderId,
    /// Its mode (set by the facility's admin).
    pub mode: ReaderMode,
    /// Since when it is in that mode.
    pub mode_since: Timestamp,
    /// The facility's staff passcode, when one is set.
    pub staff_passcode: Option<StaffPasscodeCheck>,
    /// What the card reader can do.
    pub capabilities: ReaderCapabilities,
}

impl ReaderContext {
    /// The context of `reader` at `facility`, with the reader's capabilities.
    #[must_use]
    pub fn from_facility(
        facility: &crate::facility::Facility,
        reader: ReaderId,
        capabilities: ReaderCapabilities,
    ) -> Option<Self> {
        let settings = facility.reader_settings(reader)?;
        Some(Self {
            reader,
            mode: settings.mode,
            mode_since: settings.since,
            staff_passcode: facility.staff_passcode_check(),
            capabilities,
        })
    }
}

/// An input to the visit.
#[derive(Debug)]
#[non_exhaustive]
pub enum Input<'a> {
    /// Time passed (check the deadline and the legacy-mode reminder).
    Tick,
    /// A card was placed on the reader.
    CardPlaced,
    /// The card was taken away.
    CardRemoved,
    /// The card was reset.
    CardReset,
    /// The card's response to the last [`Output::Transmit`].
    CardResponse(&'a [u8]),
    /// The last [`Output::Transmit`] could not be sent.
    TransportFailed(TransportError),
    /// 照合番号B, read from the card face by the reader's OCR.
    VerificationNumberB(Pin),
    /// The OCR could not read 照合番号B.
    VerificationNumberBUnreadable,
    /// The patient (or staff) chose a method.
    Choose(MethodChoice),
    /// A legal representative (法定代理人) declares they enter the PIN.
    DeclareLegalRepresentative,
    /// The patient confirms they want to use the PIN's last try.
    ConfirmLastTry,
    /// The patient entered a PIN (checked for format before anything is sent).
    PinEntered(SecretBytes),
    /// The camera took the capture asked for.
    FaceCaptured(FaceCapture),
    /// The camera could not take a capture.
    FaceCaptureFailed,
    /// The face matcher answered.
    FaceMatched(Result<MatchScore, FaceMatchError>),
    /// Staff entered the facility's visual-check passcode on the reader.
    StaffPasscode {
        /// Who.
        staff_id: StaffId,
        /// The passcode.
        passcode: SecretBytes,
    },
    /// Staff confirmed the visual check on the terminal (legacy visual mode).
    StaffConfirmedOnTerminal {
        /// Who.
        staff_id: StaffId,
    },
    /// An iPhone authenticated its holder (Face ID / Touch ID); the reader passes in the
    /// user-authentication certificate it read from the phone, when it has it.
    IPhoneAuthenticated {
        /// The certificate's DER.
        certificate_der: Option<Vec<u8>>,
    },
    /// The patient answered the consent screen shown.
    ConsentAnswer(bool),
}

impl Input<'_> {
    fn kind(&self) -> InputKind {
        match self {
            Self::Tick => InputKind::Tick,
            Self::CardPlaced => InputKind::CardPlaced,
            Self::CardRemoved => InputKind::CardRemoved,
            Self::CardReset => InputKind::CardReset,
            Self::CardResponse(_) => InputKind::CardResponse,
            Self::TransportFailed(_) => InputKind::TransportFailed,
            Self::VerificationNumberB(_) | Self::VerificationNumberBUnreadable => {
                InputKind::VerificationNumberB
            }
            Self::Choose(_) => InputKind::Choose,
            Self::DeclareLegalRepresentative => InputKind::DeclareLegalRepresentative,
            Self::ConfirmLastTry => InputKind::ConfirmLastTry,
            Self::PinEntered(_) => InputKind::PinEntered,
            Self::FaceCaptured(_) | Self::FaceCaptureFailed => InputKind::FaceCapture,
            Self::FaceMatched(_) => InputKind::FaceMatched,
            Self::StaffPasscode { .. } => InputKind::StaffPasscode,
            Self::StaffConfirmedOnTerminal { .. } => InputKind::StaffConfirmedOnTerminal,
            Self::IPhoneAuthenticated { .. } => InputKind::IPhoneAuthenticated,
            Self::ConsentAnswer(_) => InputKind::ConsentAnswer,
        }
    }
}

/// The kind of an [`Input`], for errors and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum InputKind {
    Tick,
    CardPlaced,
    CardRemoved,
    CardReset,
    CardResponse,
    TransportFailed,
    VerificationNumberB,
    Choose,
    DeclareLegalRepresentative,
    ConfirmLastTry,
    PinEntered,
    FaceCapture,
    FaceMatched,
    StaffPasscode,
    StaffConfirmedOnTerminal,
    IPhoneAuthenticated,
    ConsentAnswer,
}

/// An input the visit does not take at this stage. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not taken while the visit is at {stage:?}")]
pub struct InputRejected {
    /// Where the visit stands.
    pub stage: VisitStage,
    /// The input refused.
    pub input: InputKind,
}

/// A command APDU to transmit. It may hold a PIN: `Debug` masks it and it is zeroized on drop.
pub struct Transmit {
    bytes: Zeroizing<Vec<u8>>,
    response_capacity: usize,
}

impl Transmit {
    /// The encoded command.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes the response can have (Ne plus the status word): size the receive buffer from it.
    #[must_use]
    pub const fn response_capacity(&self) -> usize {
        self.response_capacity
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Command::parse(&self.bytes) {
            Ok(command) => write!(f, "Transmit({command})"),
            Err(_) => write!(f, "Transmit({})", HexBytes(&self.bytes)),
        }
    }
}

/// Something the visit asks its driver to do or tells it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// Send this command to the card and feed back [`Input::CardResponse`] (or
    /// [`Input::TransportFailed`]).
    Transmit(Transmit),
    /// Show this screen.
    Show(Screen),
    /// Take a live capture with the camera and feed back [`Input::FaceCaptured`].
    CaptureFace,
    /// Ask the face matcher and feed back [`Input::FaceMatched`].
    MatchFace {
        /// The chip photo.
        chip_photo: Vec<u8>,
        /// The capture.
        capture: FaceCapture,
    },
    /// Feed [`Input::Tick`] at this time if nothing else happens before.
    Deadline(Timestamp),
    /// Record this audit event.
    Audit(AuditEvent),
    /// Tell the staff (on the terminal, not the patient's screen).
    StaffNotice(StaffNotice),
    /// The visit is over.
    Finished(Outcome),
}

/// A message for the staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StaffNotice {
    /// The reader is still in the legacy visual mode: the next patients cannot use face
    /// authentication until an admin switches it back.
    LegacyModeStillOn {
        /// The reader.
        reader: ReaderId,
        /// Since when.
        since: Timestamp,
    },
}

/// Where a visit stands, for products that store or display it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum VisitStage {
    AwaitingCard,
    ReadingCard,
    AwaitingStaffConfirmation,
    ChoosingMethod,
    AwaitingVerificationNumberB,
    ReadingPhoto,
    FaceCapture { attempt: u8 },
    FaceMatching { attempt: u8 },
    QueryingPin,
    LastTryWarning,
    PinEntry { tries_left: u8 },
    VerifyingPin,
    ReadingCertificate,
    PinBlocked,
    StaffPasscode { attempts_left: u8 },
    Consent,
    Finished,
}

/// The photo on the card, as far as the visit knows.
#[derive(Debug, PartialEq, Eq)]
enum Photo {
    Unknown,
    Present(Vec<u8>),
    Absent,
    /// 照合番号B could not be used, so the photo cannot be read.
    Unreadable,
}

/// A card operation in flight, other than a PIN submission.
#[derive(Debug)]
enum CardTask {
    Kind(Exchange<ReadRecord<CardKind>>),
    Certificate(Exchange<ReadRecord<UserAuthCertificate>>),
    PinStatus(PinSlot, Exchange<QueryPinStatus>),
    VerifyB(Exchange<VerifyPin>),
    Photo(Exchange<ReadRecord<CardFaceEntries>>),
}

#[derive(Debug)]
enum TaskResult {
    Kind(CardKind),
    Certificate(UserAuthCertificate),
    PinStatus(PinSlot, PinStatus),
    VerifyB(VerifyOutcome),
    Photo(Box<CardFaceEntries>),
}

enum TaskPoll {
    Transmit(Transmit),
    Done(Result<TaskResult, Error>),
}

fn task_poll<T>(poll: Poll<'_, T>, wrap: impl FnOnce(T) -> TaskResult) -> TaskPoll {
    match poll {
        Poll::Transmit {
            command,
            response_capacity,
        } => TaskPoll::Transmit(Transmit {
            bytes: Zeroizing::new(command.to_vec()),
            response_capacity,
        }),
        Poll::Done(result) => TaskPoll::Done(result.map(wrap)),
    }
}

/// Applies `$call` to the exchange in any task and wraps the output.
macro_rules! with_task {
    ($task:expr, |$exchange:ident| $call:expr) => {
        match $task {
            CardTask::Kind($exchange) => task_poll($call, TaskResult::Kind),
            CardTask::Certificate($exchange) => task_poll($call, TaskResult::Certificate),
            CardTask::PinStatus(slot, $exchange) => {
                let slot = *slot;
                task_poll($call, move |status| TaskResult::PinStatus(slot, status))
            }
            CardTask::VerifyB($exchange) => task_poll($call, TaskResult::VerifyB),
            CardTask::Photo($exchange) => {
                task_poll($call, |entries| TaskResult::Photo(Box::new(entries)))
            }
        }
    };
}

#[derive(Debug)]
enum Stage {
    AwaitingCard,
    ReadingCard,
    AwaitingStaffConfirmation,
    Choosing,
    AwaitingVerificationNumberB,
    ReadingPhoto,
    FaceCapture(FaceAttempt),
    FaceMatching(FaceAttempt),
    QueryingPin,
    LastTryWarning(PinEntry),
    PinEntry(PinEntry),
    VerifyingPin(PinSubmission),
    ReadingCertificate(IdentityEvidence),
    PinBlocked,
    StaffPasscode(StaffCheck),
    Consent(ConsentFlow),
    Finished,
}

/// One patient's visit at the reader, sans-IO: feed inputs with [`Visit::handle`], drain
/// outputs with [`Visit::poll`]. It never reads a clock, never blocks, never touches a device.
///
/// See the [module documentation](super) for the run loop.
#[derive(Debug)]
pub struct Visit {
    context: ReaderContext,
    settings: VisitSettings,
    started_at: Timestamp,
    now: Timestamp,
    deadline: Timestamp,
    stage: Stage,
    card: CardState,
    task: Option<CardTask>,
    card_kind: Option<CardKind>,
    certificate: Option<UserAuthCertificate>,
    eligibility_only: Option<EligibilityOnlyReason>,
    user_pin: PinStatus,
    fresh_pin: Option<FreshRetryCount>,
    verification_b: Option<Pin>,
    photo: Photo,
    face_failed: bool,
    staff_attempts_left: u8,
    staff_failures: u8,
    staff_confirmation: Option<StaffId>,
    legal_representative: bool,
    reminded: bool,
    outputs: VecDeque<Output>,
    outcome: Option<Outcome>,
}

impl Visit {
    /// A visit starting at `now` on the reader described by `context`.
    #[must_use]
    pub fn new(context: ReaderContext, settings: VisitSettings, now: Timestamp) -> Self {
        let capabilities = context.capabilities;
        let mut visit = Self {
            staff_attempts_left: settings.staff_passcode_attempts,
            deadline: now.saturating_add_seconds(settings.idle_timeout_seconds),
            context,
            settings,
            started_at: now,
            now,
            stage: Stage::AwaitingCard,
            card: CardState::new(capabilities),
            task: None,
            card_kind: None,
            certificate: None,
            eligibility_only: None,
            user_pin: PinStatus::Unknown,
            fresh_pin: None,
            verification_b: None,
            photo: Photo::Unknown,
            face_failed: false,
            staff_failures: 0,
            staff_confirmation: None,
            legal_representative: false,
            reminded: false,
            outputs: VecDeque::new(),
            outcome: None,
        };
        visit.audit(VisitEvent::VisitStarted {
            mode: visit.context.mode,
        });
        let first = if visit.context.mode == ReaderMode::LegacyVisual {
            Screen::WaitingForStaff
        } else {
            Screen::PlaceCard
        };
        visit.show(first);
        visit.emit(Output::Deadline(visit.deadline));
        visit.check_reminder();
        visit
    }

    /// The next output, if any.
    pub fn poll(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Where the visit stands.
    #[must_use]
    pub fn stage(&self) -> VisitStage {
        match &self.stage {
            Stage::AwaitingCard => VisitStage::AwaitingCard,
            Stage::ReadingCard => VisitStage::ReadingCard,
            Stage::AwaitingStaffConfirmation => VisitStage::AwaitingStaffConfirmation,
            Stage::Choosing => VisitStage::ChoosingMethod,
            Stage::AwaitingVerificationNumberB => VisitStage::AwaitingVerificationNumberB,
            Stage::ReadingPhoto => VisitStage::ReadingPhoto,
            Stage::FaceCapture(attempt) => VisitStage::FaceCapture {
                attempt: attempt.number(),
            },
            Stage::FaceMatching(attempt) => VisitStage::FaceMatching {
                attempt: attempt.number(),
            },
            Stage::QueryingPin => VisitStage::QueryingPin,
            Stage::LastTryWarning(_) => VisitStage::LastTryWarning,
            Stage::PinEntry(entry) => VisitStage::PinEntry {
                tries_left: entry.tries_left(),
            },
            Stage::VerifyingPin(_) => VisitStage::VerifyingPin,
            Stage::ReadingCertificate(_) => VisitStage::ReadingCertificate,
            Stage::PinBlocked => VisitStage::PinBlocked,
            Stage::StaffPasscode(check) => VisitStage::StaffPasscode {
                attempts_left: check.attempts_left(),
            },
            Stage::Consent(_) => VisitStage::Consent,
            Stage::Finished => VisitStage::Finished,
        }
    }

    /// The outcome, once the visit is over.
    #[must_use]
    pub const fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// What the card layer knows (traffic counters included).
    #[must_use]
    pub const fn card_state(&self) -> &CardState {
        &self.card
    }

    /// The methods the identity screen would offer now.
    #[must_use]
    pub fn available_methods(&self) -> Vec<MethodChoice> {
        let mut options = Vec::new();
        let smartphone = self.card_kind.is_some_and(CardKind::is_smartphone);
        let photo_possible = !matches!(self.photo, Photo::Absent | Photo::Unreadable);
        if self.context.mode == ReaderMode::Unattended
            && !smartphone
            && photo_possible
            && !self.face_failed
        {
            options.push(MethodChoice::Face);
        }
        if self.context.mode != ReaderMode::LegacyVisual
            && matches!(self.user_pin, PinStatus::Remaining(_) | PinStatus::Unknown)
        {
            options.push(MethodChoice::Pin);
        }
        let staff_allowed = match self.settings.staff_check {
            StaffCheckAvailability::Always => true,
            StaffCheckAvailability::AfterFaceFailure => {
                self.face_failed
                    || self.photo == Photo::Unreadable
                    || self.context.mode == ReaderMode::PinOnly
                    || self.user_pin == PinStatus::Blocked
            }
            StaffCheckAvailability::Never => false,
        };
        if staff_allowed
            && self.context.mode != ReaderMode::LegacyVisual
            && !smartphone
            && self.photo != Photo::Absent
            && self.context.staff_passcode.is_some()
            && self.staff_attempts_left > 0
        {
            options.push(MethodChoice::StaffCheck);
        }
        options
    }

    /// Feeds one input at time `now`.
    ///
    /// # Errors
    ///
    /// [`InputRejected`] when the visit does not take this input at its stage; nothing
    /// changes then.
    pub fn handle(&mut self, now: Timestamp, input: Input<'_>) -> Result<(), InputRejected> {
        let kind = input.kind();
        let rejected = InputRejected {
            stage: self.stage(),
            input: kind,
        };
        if matches!(self.stage, Stage::Finished) {
            return Err(rejected);
        }
        let before = self.now;
        if now > self.now {
            self.now = now;
        }
        if kind == InputKind::Tick {
            self.tick();
            return Ok(());
        }
        if self.dispatch(input).is_err() {
            self.now = before;
            return Err(rejected);
        }
        if !matches!(self.stage, Stage::Finished) {
            self.deadline = self
                .now
                .saturating_add_seconds(self.settings.idle_timeout_seconds);
            self.emit(Output::Deadline(self.deadline));
        }
        Ok(())
    }

    fn dispatch(&mut self, input: Input<'_>) -> Result<(), ()> {
        match input {
            Input::Tick => Ok(()),
            Input::CardPlaced => self.card_placed(),
            Input::CardRemoved => self.card_removed(),
            Input::CardReset => {
                self.card_reset();
                Ok(())
            }
            Input::CardResponse(bytes) => self.card_response(bytes),
            Input::TransportFailed(error) => self.transport_failed(error),
            Input::VerificationNumberB(pin) => {
                if pin.kind() != PinKind::VerificationNumberB || self.verification_b.is_some() {
                    return Err(());
                }
                self.audit(VisitEvent::VerificationNumberBRead);
                self.verification_b = Some(pin);
                if matches!(self.stage, Stage::AwaitingVerificationNumberB) {
                    self.start_photo_read();
                }
                Ok(())
            }
            Input::VerificationNumberBUnreadable => {
                if self.verification_b.is_some() || self.photo != Photo::Unknown {
                    return Err(());
                }
                self.audit(VisitEvent::VerificationNumberBUnusable);
                self.photo = Photo::Unreadable;
                match self.stage {
                    Stage::AwaitingVerificationNumberB => self.face_impossible(),
                    // The identity screen is up: show it again without face.
                    Stage::Choosing => self.card_read(),
                    _ => {}
                }
                Ok(())
            }
            Input::Choose(choice) => self.choose(choice),
            Input::DeclareLegalRepresentative => self.declare_representative(),
            Input::ConfirmLastTry => self.confirm_last_try(),
            Input::PinEntered(pin) => self.pin_entered(&pin),
            Input::FaceCaptured(capture) => self.face_captured(capture),
            Input::FaceCaptureFailed => {
                self.face_matched(Err(FaceMatchError::NoFaceInCapture), true)
            }
            Input::FaceMatched(result) => self.face_matched(result, false),
            Input::StaffPasscode { staff_id, passcode } => self.staff_passcode(staff_id, &passcode),
            Input::StaffConfirmedOnTerminal { staff_id } => self.staff_confirmed(staff_id),
            Input::IPhoneAuthenticated { certificate_der } => self.iphone(certificate_der),
            Input::ConsentAnswer(agreed) => self.consent_answer(agreed),
        }
    }

    // ---- outputs ----

    fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn show(&mut self, screen: Screen) {
        self.emit(Output::Show(screen));
    }

    fn audit(&mut self, event: VisitEvent) {
        self.emit(Output::Audit(AuditEvent {
            at: self.now,
            event,
        }));
    }

    // ---- time ----

    fn tick(&mut self) {
        self.check_reminder();
        if self.now >= self.deadline {
            match core::mem::replace(&mut self.stage, Stage::Finished) {
                Stage::Consent(flow) => {
                    self.confirmed_without_consent(flow.abandon(), EndReason::TimedOut);
                }
                _ => self.end(EndReason::TimedOut),
            }
        }
    }

    fn check_reminder(&mut self) {
        if self.context.mode == ReaderMode::LegacyVisual
            && !self.reminded
            && self.now.seconds_since(self.context.mode_since)
                >= self.settings.legacy_mode_reminder_seconds
        {
            self.reminded = true;
            self.audit(VisitEvent::LegacyModeReminder {
                since: self.context.mode_since,
            });
            self.emit(Output::StaffNotice(StaffNotice::LegacyModeStillOn {
                reader: self.context.reader,
                since: self.context.mode_since,
            }));
        }
    }

    // ---- the card ----

    fn card_placed(&mut self) -> Result<(), ()> {
        if !matches!(self.stage, Stage::AwaitingCard) || self.card_kind.is_some() {
            return Err(());
        }
        self.audit(VisitEvent::CardPlaced);
        self.card.forget_card();
        self.stage = Stage::ReadingCard;
        self.show(Screen::ReadingCard);
        self.start_task(CardTask::Kind(Exchange::new(read_card_kind())));
        Ok(())
    }

    fn card_removed(&mut self) -> Result<(), ()> {
        if matches!(self.stage, Stage::AwaitingCard) && self.card_kind.is_none() {
            // Nothing was read from a card: there is nothing to remove.
            return Err(());
        }
        self.audit(VisitEvent::CardRemoved);
        self.task = None;
        self.card.forget_card();
        match core::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::Consent(flow) => {
                self.confirmed_without_consent(flow.abandon(), EndReason::CardRemoved);
            }
            // Without its certificate (Android reads it after the PIN) eligibility cannot be
            // confirmed: nothing is.
            _ => self.end(EndReason::CardRemoved),
        }
        Ok(())
    }

    fn card_reset(&mut self) {
        self.audit(VisitEvent::CardReset);
        self.card.forget_card();
        self.fresh_pin = None;
        if self.user_pin != PinStatus::NotSet {
            self.user_pin = PinStatus::Unknown;
        }
        match self.stage {
            // Before identity: read the card again from the start, counts included.
            Stage::ReadingCard
            | Stage::Choosing
            | Stage::ReadingPhoto
            | Stage::QueryingPin
            | Stage::LastTryWarning(_)
            | Stage::PinEntry(_)
            | Stage::VerifyingPin(_)
            | Stage::PinBlocked
            | Stage::AwaitingStaffConfirmation
            | Stage::AwaitingVerificationNumberB
            | Stage::FaceCapture(_)
            | Stage::FaceMatching(_)
            | Stage::StaffPasscode(_)
            // Android, PIN verified but certificate not read: the reset ended the verified state.
            | Stage::ReadingCertificate(_) => {
                self.task = None;
                self.card_kind = None;
                self.stage = Stage::ReadingCard;
                self.show(Screen::ReadingCard);
                self.start_task(CardTask::Kind(Exchange::new(read_card_kind())));
            }
            // With identity confirmed (or no card yet), a reset changes nothing.
            _ => {}
        }
    }

    fn start_task(&mut self, mut task: CardTask) {
        let poll = with_task!(&mut task, |exchange| exchange.start(&mut self.card));
        self.task = Some(task);
        self.task_poll(poll);
    }

    fn task_poll(&mut self, poll: TaskPoll) {
        match poll {
            TaskPoll::Transmit(transmit) => self.emit(Output::Transmit(transmit)),
            TaskPoll::Done(result) => {
                self.task = None;
                match result {
                    Ok(result) => self.task_done(result),
                    Err(error) => self.card_error(&error),
                }
            }
        }
    }

    fn card_response(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if let Stage::VerifyingPin(submission) = &mut self.stage {
            let next = owned_transmit(submission.handle_response(&mut self.card, bytes));
            return self.submission_progress(next);
        }
        let Some(mut task) = self.task.take() else {
            return Err(());
        };
        let poll = with_task!(&mut task, |exchange| exchange
            .handle_response(&mut self.card, bytes));
        self.task = Some(task);
        self.task_poll(poll);
        Ok(())
    }

    fn transport_failed(&mut self, error: TransportError) -> Result<(), ()> {
        if let Stage::VerifyingPin(submission) = &mut self.stage {
            let next = owned_transmit(submission.handle_transport_error(&mut self.card, error));
            return self.submission_progress(next);
        }
        let Some(mut task) = self.task.take() else {
            return Err(());
        };
        let poll = with_task!(&mut task, |exchange| exchange
            .handle_transport_error(&mut self.card, error));
        self.task_poll(poll);
        Ok(())
    }

    /// After the PIN submission moved: emit its next command, or conclude.
    fn submission_progress(&mut self, next: Option<Transmit>) -> Result<(), ()> {
        if let Some(transmit) = next {
            self.emit(Output::Transmit(transmit));
            return Ok(());
        }
        let Stage::VerifyingPin(submission) = core::mem::replace(&mut self.stage, Stage::Finished)
        else {
            return Err(());
        };
        match submission.finish(self.now) {
            Ok(PinResult::Verified(evidence)) => {
                self.audit(VisitEvent::PinAccepted);
                self.user_pin = self.card.pin_status(PinSlot::UserAuth);
                if self.card_kind.is_some_and(CardKind::is_smartphone) {
                    // Android: the certificate is read after the PIN.
                    self.stage = Stage::ReadingCertificate(evidence);
                    self.start_task(CardTask::Certificate(Exchange::new(
                        read_user_auth_certificate(),
                    )));
                } else {
                    self.identity_confirmed(evidence);
                }
            }
            Ok(PinResult::Wrong(entry)) => {
                let tries_left = entry.tries_left();
                self.audit(VisitEvent::PinRejected { tries_left });
                self.user_pin = PinStatus::Remaining(tries_left);
                self.show(Screen::WrongPin { tries_left });
                self.enter_pin(entry);
            }
            Ok(PinResult::Blocked) => {
                self.audit(VisitEvent::PinBlocked);
                self.user_pin = PinStatus::Blocked;
                self.pin_blocked();
            }
            Err(error) => {
                self.user_pin = self.card.pin_status(PinSlot::UserAuth);
                self.card_error(&error);
            }
        }
        Ok(())
    }

    fn task_done(&mut self, result: TaskResult) {
        match result {
            TaskResult::Kind(kind) => {
                self.audit(VisitEvent::CardKindRead { kind });
                self.card_kind = Some(kind);
                match kind {
                    CardKind::JukiCard => self.refuse(RefusalReason::NotAMyNumberCard),
                    // Before the iPhone flow reaches the card reader's own screen, the phone
                    // authenticates its holder itself (Input::IPhoneAuthenticated): its token on
                    // the reader is not a card to check here.
                    CardKind::Smartphone(SmartphonePlatform::IPhone) => {
                        self.refuse(RefusalReason::NotAMyNumberCard);
                    }
                    CardKind::Smartphone(SmartphonePlatform::Android) => {
                        self.start_task(CardTask::PinStatus(
                            PinSlot::UserAuth,
                            Exchange::new(QueryPinStatus::new(PinSlot::UserAuth)),
                        ))
                    }
                    CardKind::MyNumberCard => self.start_task(CardTask::Certificate(
                        Exchange::new(read_user_auth_certificate()),
                    )),
                }
            }
            TaskResult::Certificate(certificate) => self.certificate_read(certificate),
            TaskResult::PinStatus(PinSlot::UserAuth, status) => {
                self.audit(VisitEvent::PinStatusRead { status });
                self.user_pin = status;
                self.fresh_pin = FreshRetryCount::from_status(status);
                match self.stage {
                    Stage::QueryingPin => match self.fresh_pin.take() {
                        Some(count) => self.enter_pin(self.new_entry(count)),
                        None => self.pin_blocked(),
                    },
                    _ => self.card_read(),
                }
            }
            TaskResult::PinStatus(_, status) => match status {
                // 照合番号B is presented only while the card has tries to spare.
                PinStatus::Remaining(n) if n >= self.settings.verification_number_b_reserve => {
                    match self.verification_b.clone() {
                        Some(pin) => self.start_task(CardTask::VerifyB(Exchange::new(
                            VerifyPin::new(PinSlot::CardFaceVerificationB, pin),
                        ))),
                        None => self.face_impossible(),
                    }
                }
                _ => {
                    self.audit(VisitEvent::VerificationNumberBUnusable);
                    self.photo = Photo::Unreadable;
                    self.face_impossible();
                }
            },
            TaskResult::VerifyB(VerifyOutcome::Verified) => {
                self.start_task(CardTask::Photo(Exchange::new(read_card_face())));
            }
            TaskResult::VerifyB(_) => {
                self.audit(VisitEvent::VerificationNumberBUnusable);
                self.photo = Photo::Unreadable;
                self.face_impossible();
            }
            TaskResult::Photo(entries) => match entries.photo {
                Some(photo) => {
                    self.audit(VisitEvent::PhotoRead);
                    self.photo = Photo::Present(photo);
                    self.face_attempt(FaceAttempt::first(self.settings.face));
                }
                None => {
                    self.audit(VisitEvent::NoPhotoOnCard);
                    self.photo = Photo::Absent;
                    let options = self.available_methods();
                    self.show(Screen::NoPhotoOnCard {
                        options: options.clone(),
                    });
                    self.offer(options);
                }
            },
        }
    }

    fn certificate_read(&mut self, certificate: UserAuthCertificate) {
        self.audit(VisitEvent::CertificateRead {
            serial: format!("{}", HexBytes(certificate.serial())).replace(' ', ""),
            not_after: certificate.not_after(),
        });
        let now = self.now;
        let smartphone = self.card_kind.is_some_and(CardKind::is_smartphone);
        let grace_end = certificate
            .not_after()
            .date()
            .add_months(self.settings.expired_certificate_grace_months)
            .start_utc()
            .saturating_add_seconds(certificate.not_after().unix_seconds().rem_euclid(86_400));
        let refusal = if now < certificate.not_before() {
            Some(RefusalReason::CertificateNotYetValid)
        } else if now <= certificate.not_after() {
            None
        } else if smartphone {
            Some(RefusalReason::SmartphoneCertificateExpired)
        } else if now <= grace_end {
            self.eligibility_only = Some(EligibilityOnlyReason::CertificateExpiredRecently);
            None
        } else {
            Some(RefusalReason::CertificateExpired)
        };
        self.certificate = Some(certificate);
        if let Some(reason) = refusal {
            self.refuse(reason);
            return;
        }
        match core::mem::replace(&mut self.stage, Stage::ReadingCard) {
            Stage::ReadingCertificate(evidence) => self.identity_confirmed(evidence),
            Stage::ReadingCard if self.context.mode == ReaderMode::LegacyVisual => self.card_read(),
            Stage::ReadingCard => self.start_task(CardTask::PinStatus(
                PinSlot::UserAuth,
                Exchange::new(QueryPinStatus::new(PinSlot::UserAuth)),
            )),
            other => self.stage = other,
        }
    }

    /// The card was read: go on to the identity check.
    fn card_read(&mut self) {
        if self.context.mode == ReaderMode::LegacyVisual {
            match self.staff_confirmation.clone() {
                Some(staff_id) => {
                    self.identity_confirmed(IdentityEvidence::legacy_terminal(staff_id, self.now));
                }
                None => {
                    self.stage = Stage::AwaitingStaffConfirmation;
                    self.show(Screen::WaitingForStaff);
                }
            }
            return;
        }
        let options = self.available_methods();
        if self.context.mode == ReaderMode::PinOnly && options.contains(&MethodChoice::Pin) {
            // 暗証番号認証固定: no choice screen; the staff check stays reachable from the entry.
            self.offer(alloc::vec![MethodChoice::Pin]);
            return;
        }
        let pin_tries_left = self.user_pin.tries_left();
        if options.len() > 1 {
            self.show(Screen::ChooseMethod {
                options: options.clone(),
                pin_tries_left: pin_tries_left.filter(|_| options.contains(&MethodChoice::Pin)),
            });
        }
        self.offer(options);
    }

    /// Waits for a choice among `options`, choosing on the patient's behalf when there is
    /// one, and ending the visit when there is none.
    fn offer(&mut self, options: Vec<MethodChoice>) {
        match options.as_slice() {
            [] => self.end(EndReason::NoMethodLeft),
            [only] => {
                self.stage = Stage::Choosing;
                let _ = self.choose(*only);
            }
            _ => self.stage = Stage::Choosing,
        }
    }

    fn card_error(&mut self, error: &Error) {
        self.audit(VisitEvent::CardError {
            error: format!("{error}"),
        });
        match error {
            Error::Transport(TransportError::CardRemoved | TransportError::NoCard) => {
                if self.card_removed().is_err() {
                    self.end(EndReason::CardRemoved);
                }
            }
            Error::CardIncompatible(CardIncompatible::ApplicationMissing(_))
            | Error::MalformedCardData(crate::error::MalformedCardData::Record { .. })
                if self.card_kind.is_none() =>
            {
                self.refuse(RefusalReason::NotAMyNumberCard);
            }
            _ => self.end(EndReason::CardOrReaderError),
        }
    }

    // ---- choosing ----

    fn choose(&mut self, choice: MethodChoice) -> Result<(), ()> {
        let choosing = matches!(
            self.stage,
            Stage::Choosing
                | Stage::PinBlocked
                | Stage::LastTryWarning(_)
                | Stage::PinEntry(_)
                | Stage::StaffPasscode(_)
        );
        if !choosing || !self.available_methods().contains(&choice) {
            return Err(());
        }
        // Leaving a PIN entry keeps its count: nothing was sent.
        match core::mem::replace(&mut self.stage, Stage::Choosing) {
            Stage::PinEntry(entry) | Stage::LastTryWarning(entry) => {
                self.fresh_pin = Some(entry.cancel());
            }
            _ => {}
        }
        self.audit(VisitEvent::MethodChosen { method: choice });
        match choice {
            MethodChoice::Face => self.start_face(),
            MethodChoice::Pin => match self.fresh_pin.take() {
                Some(count) => self.enter_pin(self.new_entry(count)),
                None => {
                    self.stage = Stage::QueryingPin;
                    self.start_task(CardTask::PinStatus(
                        PinSlot::UserAuth,
                        Exchange::new(QueryPinStatus::new(PinSlot::UserAuth)),
                    ));
                }
            },
            MethodChoice::StaffCheck => match StaffCheck::new(self.staff_attempts_left) {
                Some(check) => {
                    self.show(Screen::StaffPasscode {
                        attempts_left: check.attempts_left(),
                    });
                    self.stage = Stage::StaffPasscode(check);
                }
                None => return Err(()),
            },
        }
        Ok(())
    }

    // ---- face ----

    fn start_face(&mut self) {
        match &self.photo {
            Photo::Present(_) => self.face_attempt(FaceAttempt::first(self.settings.face)),
            _ if self.verification_b.is_some() => self.start_photo_read(),
            _ => {
                self.stage = Stage::AwaitingVerificationNumberB;
                self.show(Screen::ReadingCard);
            }
        }
    }

    fn start_photo_read(&mut self) {
        self.stage = Stage::ReadingPhoto;
        self.show(Screen::ReadingCard);
        self.start_task(CardTask::PinStatus(
            PinSlot::CardFaceVerificationB,
            Exchange::new(QueryPinStatus::new(PinSlot::CardFaceVerificationB)),
        ));
    }

    fn face_attempt(&mut self, attempt: FaceAttempt) {
        self.show(Screen::FaceCapture {
            attempt: attempt.number(),
            of: attempt.allowed(),
        });
        self.audit(VisitEvent::FaceCaptureRequested {
            attempt: attempt.number(),
        });
        self.emit(Output::CaptureFace);
        self.stage = Stage::FaceCapture(attempt);
    }

    fn face_captured(&mut self, capture: FaceCapture) -> Result<(), ()> {
        let (Stage::FaceCapture(attempt), Photo::Present(photo)) = (&self.stage, &self.photo)
        else {
            return Err(());
        };
        let (attempt, chip_photo) = (*attempt, photo.clone());
        self.stage = Stage::FaceMatching(attempt);
        self.emit(Output::MatchFace {
            chip_photo,
            capture,
        });
        Ok(())
    }

    fn face_matched(
        &mut self,
        result: Result<MatchScore, FaceMatchError>,
        capture_failed: bool,
    ) -> Result<(), ()> {
        let attempt = match (&self.stage, capture_failed) {
            (Stage::FaceMatching(attempt), false) | (Stage::FaceCapture(attempt), true) => *attempt,
            _ => return Err(()),
        };
        let accepted = self.settings.face.accepts(result);
        self.audit(VisitEvent::FaceMatched {
            attempt: attempt.number(),
            score: result,
            accepted,
        });
        match attempt.judge(result, self.now) {
            FaceResult::Confirmed(evidence) => self.identity_confirmed(evidence),
            FaceResult::Retry(next) => self.face_attempt(next),
            FaceResult::Failed => {
                self.audit(VisitEvent::FaceFailed);
                self.face_failed = true;
                let options = self.available_methods();
                self.show(Screen::FaceFailed {
                    options: options.clone(),
                });
                self.offer(options);
            }
        }
        Ok(())
    }

    /// Face authentication cannot happen (no usable 照合番号B): offer what is left.
    fn face_impossible(&mut self) {
        self.face_failed = true;
        let options = self.available_methods();
        self.show(Screen::FaceFailed {
            options: options.clone(),
        });
        self.offer(options);
    }

    // ---- PIN ----

    fn new_entry(&self, count: FreshRetryCount) -> PinEntry {
        let mut entry = PinEntry::new(count);
        if self.card_kind.is_some_and(CardKind::is_smartphone) {
            entry = entry.on_smartphone();
        }
        if self.legal_representative {
            entry.declare_legal_representative();
        }
        entry
    }

    fn enter_pin(&mut self, entry: PinEntry) {
        if entry.needs_last_try_confirmation() {
            let staff_check_offered = self.available_methods().contains(&MethodChoice::StaffCheck);
            self.show(Screen::LastTryWarning {
                staff_check_offered,
            });
            self.stage = Stage::LastTryWarning(entry);
        } else {
            self.show(Screen::EnterPin {
                tries_left: entry.tries_left(),
            });
            self.stage = Stage::PinEntry(entry);
        }
    }

    fn declare_representative(&mut self) -> Result<(), ()> {
        match &mut self.stage {
            Stage::PinEntry(entry) | Stage::LastTryWarning(entry) => {
                entry.declare_legal_representative();
            }
            Stage::Choosing => {}
            _ => return Err(()),
        }
        self.legal_representative = true;
        self.audit(VisitEvent::LegalRepresentativeDeclared);
        Ok(())
    }

    fn confirm_last_try(&mut self) -> Result<(), ()> {
        if !matches!(self.stage, Stage::LastTryWarning(_)) {
            return Err(());
        }
        let Stage::LastTryWarning(mut entry) = core::mem::replace(&mut self.stage, Stage::Choosing)
        else {
            return Err(());
        };
        entry.confirm_last_try();
        self.audit(VisitEvent::LastTryConfirmed);
        self.show(Screen::EnterPin {
            tries_left: entry.tries_left(),
        });
        self.stage = Stage::PinEntry(entry);
        Ok(())
    }

    fn pin_entered(&mut self, input: &SecretBytes) -> Result<(), ()> {
        if !matches!(self.stage, Stage::PinEntry(_)) {
            return Err(());
        }
        let Stage::PinEntry(entry) = core::mem::replace(&mut self.stage, Stage::Choosing) else {
            return Err(());
        };
        let pin = core::str::from_utf8(input.expose_secret())
            .ok()
            .and_then(|text| Pin::new(PinKind::UserAuth, text).ok());
        let Some(pin) = pin else {
            self.audit(VisitEvent::PinFormatRejected);
            self.show(Screen::PinFormatInvalid {
                tries_left: entry.tries_left(),
            });
            self.stage = Stage::PinEntry(entry);
            return Ok(());
        };
        let by_legal_representative = entry.is_legal_representative();
        match entry.submit(pin) {
            Ok(mut submission) => {
                self.audit(VisitEvent::PinSubmitted {
                    by_legal_representative,
                });
                let next = owned_transmit(submission.start(&mut self.card));
                self.stage = Stage::VerifyingPin(submission);
                self.submission_progress(next)?;
            }
            Err((entry, _)) => self.enter_pin(entry),
        }
        Ok(())
    }

    fn pin_blocked(&mut self) {
        let options = self.available_methods();
        self.show(Screen::PinBlocked {
            options: options.clone(),
        });
        self.stage = Stage::PinBlocked;
        if options.is_empty() {
            self.end(EndReason::NoMethodLeft);
        }
    }

    // ---- staff ----

    fn staff_passcode(&mut self, staff_id: StaffId, passcode: &SecretBytes) -> Result<(), ()> {
        let Some(check) = self.context.staff_passcode.clone() else {
            return Err(());
        };
        if !matches!(self.stage, Stage::StaffPasscode(_)) {
            return Err(());
        }
        let Stage::StaffPasscode(staff_check) =
            core::mem::replace(&mut self.stage, Stage::Choosing)
        else {
            return Err(());
        };
        match staff_check.submit(staff_id.clone(), passcode, &check, self.now) {
            StaffCheckResult::Confirmed(evidence) => {
                self.audit(VisitEvent::StaffPasscodeAccepted { staff_id });
                self.identity_confirmed(evidence);
            }
            StaffCheckResult::Wrong(next) => {
                self.staff_failures = self.staff_failures.saturating_add(1);
                self.staff_attempts_left = next.attempts_left();
                self.audit(VisitEvent::StaffPasscodeRejected {
                    staff_id,
                    failures: self.staff_failures,
                });
                self.show(Screen::StaffPasscodeWrong {
                    attempts_left: next.attempts_left(),
                });
                self.stage = Stage::StaffPasscode(next);
            }
            StaffCheckResult::Withdrawn => {
                self.staff_failures = self.staff_failures.saturating_add(1);
                self.staff_attempts_left = 0;
                self.audit(VisitEvent::StaffPasscodeRejected {
                    staff_id,
                    failures: self.staff_failures,
                });
                self.audit(VisitEvent::StaffCheckWithdrawn);
                let options = self.available_methods();
                self.show(Screen::ChooseMethod {
                    options: options.clone(),
                    pin_tries_left: self.user_pin.tries_left(),
                });
                self.offer(options);
            }
        }
        Ok(())
    }

    fn staff_confirmed(&mut self, staff_id: StaffId) -> Result<(), ()> {
        if self.context.mode != ReaderMode::LegacyVisual || self.staff_confirmation.is_some() {
            return Err(());
        }
        self.audit(VisitEvent::StaffConfirmedOnTerminal {
            staff_id: staff_id.clone(),
        });
        self.staff_confirmation = Some(staff_id.clone());
        match self.stage {
            Stage::AwaitingStaffConfirmation => {
                self.identity_confirmed(IdentityEvidence::legacy_terminal(staff_id, self.now));
            }
            Stage::AwaitingCard => self.show(Screen::PlaceCard),
            _ => {}
        }
        Ok(())
    }

    fn iphone(&mut self, certificate_der: Option<Vec<u8>>) -> Result<(), ()> {
        if !matches!(self.stage, Stage::AwaitingCard)
            || self.card_kind.is_some()
            || self.context.mode == ReaderMode::LegacyVisual
        {
            return Err(());
        }
        self.card_kind = Some(CardKind::Smartphone(SmartphonePlatform::IPhone));
        let evidence = IdentityEvidence::iphone(self.now);
        self.stage = Stage::ReadingCertificate(evidence);
        match certificate_der.map(UserAuthCertificate::from_der) {
            Some(Ok(certificate)) => self.certificate_read(certificate),
            Some(Err(error)) => self.card_error(&error),
            None => {
                if let Stage::ReadingCertificate(evidence) =
                    core::mem::replace(&mut self.stage, Stage::Choosing)
                {
                    self.identity_confirmed(evidence);
                }
            }
        }
        Ok(())
    }

    // ---- consent and the end ----

    fn identity_confirmed(&mut self, evidence: IdentityEvidence) {
        self.audit(VisitEvent::IdentityConfirmed {
            method: evidence.method().clone(),
        });
        if self.eligibility_only.is_some() {
            self.finish_confirmed(evidence, ConsentStatus::NotAsked);
            return;
        }
        match ConsentFlow::start(evidence, &self.settings.consent, self.now) {
            ConsentStep::Next(flow) => {
                self.show(flow.screen());
                self.stage = Stage::Consent(flow);
            }
            ConsentStep::Finished(evidence, record) => {
                self.finish_confirmed(evidence, ConsentStatus::Given(record));
            }
        }
    }

    fn consent_answer(&mut self, agreed: bool) -> Result<(), ()> {
        if !matches!(self.stage, Stage::Consent(_)) {
            return Err(());
        }
        let Stage::Consent(flow) = core::mem::replace(&mut self.stage, Stage::Finished) else {
            return Err(());
        };
        let item = flow.current_item().cloned();
        self.audit(VisitEvent::ConsentAnswered { item, agreed });
        match flow.answer(agreed, self.now) {
            ConsentStep::Next(flow) => {
                self.show(flow.screen());
                self.stage = Stage::Consent(flow);
            }
            ConsentStep::Finished(evidence, record) => {
                self.finish_confirmed(evidence, ConsentStatus::Given(record));
            }
        }
        Ok(())
    }

    fn confirmed_without_consent(&mut self, evidence: IdentityEvidence, reason: EndReason) {
        let consent = if self.eligibility_only.is_some() {
            ConsentStatus::NotAsked
        } else {
            ConsentStatus::NotFinished { reason }
        };
        self.finish_confirmed(evidence, consent);
    }

    fn finish_confirmed(&mut self, evidence: IdentityEvidence, consent: ConsentStatus) {
        let consent_given = matches!(consent, ConsentStatus::Given(_));
        self.show(Screen::Done {
            eligibility_only: self.eligibility_only,
            consent_given,
        });
        self.finish(VisitResult::Confirmed {
            identity: evidence.method().clone(),
            identified_at: evidence.at(),
            consent,
            eligibility_only: self.eligibility_only,
        });
    }

    fn refuse(&mut self, reason: RefusalReason) {
        self.show(Screen::Refused { reason });
        self.finish(VisitResult::Refused { reason });
    }

    fn end(&mut self, reason: EndReason) {
        self.show(Screen::Ended { reason });
        self.finish(VisitResult::NotConfirmed { reason });
    }

    fn finish(&mut self, result: VisitResult) {
        self.task = None;
        self.stage = Stage::Finished;
        self.audit(VisitEvent::VisitEnded {
            result: result.clone(),
        });
        let outcome = Outcome {
            reader: self.context.reader,
            mode: self.context.mode,
            started_at: self.started_at,
            finished_at: self.now,
            result,
            card_kind: self.card_kind,
            certificate: self.certificate.clone(),
            staff_passcode_failures: self.staff_failures,
        };
        self.outcome = Some(outcome.clone());
        self.emit(Output::Finished(outcome));
    }
}

/// The command a PIN submission wants sent, copied for the driver; `None` once it finished.
fn owned_transmit(poll: SubmissionPoll<'_>) -> Option<Transmit> {
    match poll {
        SubmissionPoll::Transmit {
            command,
            response_capacity,
        } => Some(Transmit {
            bytes: Zeroizing::new(command.to_vec()),
            response_capacity,
        }),
        SubmissionPoll::Finished => None,
    }
}
