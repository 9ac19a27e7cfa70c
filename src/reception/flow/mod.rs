//! The visit's states, one file per group, each holding its own data and handling the inputs
//! it takes: it returns the next state, and writes its outputs and card tasks into the
//! [`Ctx`]. Calls go one way: the visit dispatches to a state; a state uses the policy table,
//! the card tasks and the transitions here; nothing calls back up.
//!
//! | State | File | Waits for |
//! |---|---|---|
//! | [`Stage::AwaitingCard`] | here | a card, an iPhone |
//! | [`Stage::Reading`] | `reading` | the card (token, certificate, PIN status, photo), 照合番号B |
//! | [`Stage::Choosing`] | here | the patient's choice |
//! | [`Stage::Face`] | `face` | the camera, the matcher |
//! | [`Stage::Pin`] | `pin` | the PIN, the last-try confirmation, the card |
//! | [`Stage::Staff`] | `staff` | the staff passcode |
//! | [`Stage::AwaitingStaffConfirmation`] | here | the terminal's confirmation (legacy mode) |
//! | [`Stage::Recovering`] | `recovery` | the card's identity, after a reset or a failure |
//! | [`Stage::Locking`], [`Stage::Consent`] | `consent` | the card (locking the key), the consent answers |

mod consent;
mod face;
mod pin;
mod reading;
mod recovery;
mod staff;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub(super) use consent::Consent;
pub(super) use face::Face;
pub(super) use pin::PinStage;
pub(super) use reading::Reading;
pub(super) use recovery::Recovering;
pub(super) use staff::Staff;

use super::VisitStage;
use super::card_io::{CardIdentity, CardTask, TaskPoll, TaskResult};
use super::evidence::{ChipPhoto, IdentityEvidence, StaffCheck};
use super::io::{Output, ReaderContext, RejectReason, StaffNotice, UserInput};
use super::outcome::{
    AuditEvent, ConsentStatus, EligibilityOnlyReason, EndReason, MethodChoice, Outcome,
    PrescriptionIssue, RefusalReason, Verification, VisitEvent, VisitResult,
};
use super::policy::{self, Availability, PhotoKnowledge, Situation, StaffCheckState};
use super::screen::Screen;
use super::settings::VisitSettings;
use crate::card::authenticity::{AuthenticityError, Challenge};
use crate::card::{CardKind, CardState, Pin, PinStatus, TokenInfo, UserAuthCertificate};
use crate::error::Error;
use crate::facility::ReaderMode;
use crate::facility::StaffPasscodeCheck;
use crate::reader::TransportError;
use crate::time::Timestamp;

/// The photo, as far as the visit knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Photo {
    Unknown,
    /// Read from a card face that verified.
    Present(ChipPhoto),
    /// A card face that verified, without a photo.
    Absent,
    Unreadable,
    /// Read from a card face that did not verify.
    NotGenuine,
}

impl Photo {
    const fn knowledge(&self) -> PhotoKnowledge {
        match self {
            Self::Unknown => PhotoKnowledge::Unknown,
            Self::Present(_) => PhotoKnowledge::Present,
            Self::Absent => PhotoKnowledge::Absent,
            Self::Unreadable => PhotoKnowledge::Unreadable,
            Self::NotGenuine => PhotoKnowledge::NotGenuine,
        }
    }
}

/// What the visit learned about the card and the people, across states.
#[derive(Debug)]
pub(super) struct Facts {
    pub(super) kind: Option<CardKind>,
    pub(super) token: Option<TokenInfo>,
    pub(super) certificate: Option<UserAuthCertificate>,
    pub(super) identity: Option<CardIdentity>,
    pub(super) eligibility_only: Option<EligibilityOnlyReason>,
    pub(super) renewal_alert: bool,
    pub(super) user_pin: PinStatus,
    pub(super) verification_b: Option<Pin>,
    pub(super) b_unreadable: bool,
    pub(super) photo: Photo,
    pub(super) face_failed: bool,
    pub(super) staff_attempts_left: u8,
    pub(super) staff_failures: u8,
    pub(super) legal_representative: bool,
    /// An iPhone's authentication was passed in instead of a card.
    pub(super) iphone: bool,
    /// A VERIFY was sent in this visit and the application has not been left since: a key
    /// may be unlocked on the card (even if its answer was lost).
    pub(super) unlocked: bool,
    /// A method chosen that needs the photo, while the photo was not read yet: started once
    /// it is, if it is still offered then.
    pub(super) chosen_before_photo: Option<MethodChoice>,
    /// What was verified about the card.
    pub(super) verification: Verification,
    /// The patient's answer to the prescription question.
    pub(super) prescription: Option<PrescriptionIssue>,
}

impl Facts {
    fn new(settings: &VisitSettings) -> Self {
        Self {
            kind: None,
            token: None,
            certificate: None,
            identity: None,
            eligibility_only: None,
            renewal_alert: false,
            user_pin: PinStatus::Unknown,
            verification_b: None,
            b_unreadable: false,
            photo: Photo::Unknown,
            face_failed: false,
            staff_attempts_left: settings.staff_passcode_attempts,
            staff_failures: 0,
            legal_representative: false,
            iphone: false,
            unlocked: false,
            chosen_before_photo: None,
            verification: Verification::default(),
            prescription: None,
        }
    }

    pub(super) const fn card_kind(&self) -> Option<CardKind> {
        self.kind
    }

    /// Forgets the card, keeping what belongs to the people (wrong staff passcodes, the legal
    /// representative's declaration): a new card is read from the start.
    fn forget_card(&mut self) {
        self.kind = None;
        self.token = None;
        self.certificate = None;
        self.identity = None;
        self.eligibility_only = None;
        self.renewal_alert = false;
        self.user_pin = PinStatus::Unknown;
        self.verification_b = None;
        self.b_unreadable = false;
        self.photo = Photo::Unknown;
        self.face_failed = false;
        self.iphone = false;
        self.unlocked = false;
        self.chosen_before_photo = None;
        self.verification = Verification::default();
        self.prescription = None;
    }
}

/// Everything a state works with: the context, the settings, the clock, the card layer's
/// state, the facts, the outputs, and the card task in flight.
pub(super) struct Ctx {
    pub(super) context: ReaderContext,
    /// This visit's challenge; each use derives its own from it.
    pub(super) challenge: Challenge,
    pub(super) settings: VisitSettings,
    pub(super) started_at: Timestamp,
    pub(super) now: Timestamp,
    pub(super) card: CardState,
    pub(super) facts: Facts,
    outputs: VecDeque<Output>,
    task: Option<CardTask>,
    /// A task that finished without sending anything, for the dispatcher to deliver.
    ready: Option<Result<TaskResult, Error>>,
    pub(super) recoveries_left: u8,
    pub(super) reminded: bool,
    pub(super) outcome: Option<Outcome>,
}

impl Ctx {
    pub(super) fn new(
        context: ReaderContext,
        settings: VisitSettings,
        now: Timestamp,
        challenge: Challenge,
    ) -> Self {
        let capabilities = context.capabilities;
        Self {
            challenge,
            facts: Facts::new(&settings),
            recoveries_left: settings.recoveries,
            context,
            settings,
            started_at: now,
            now,
            card: CardState::new(capabilities),
            outputs: VecDeque::new(),
            task: None,
            ready: None,
            reminded: false,
            outcome: None,
        }
    }

    pub(super) fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    pub(super) fn next_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    pub(super) fn show(&mut self, screen: Screen) {
        self.emit(Output::Show(screen));
    }

    pub(super) fn audit(&mut self, event: VisitEvent) {
        let at = self.now;
        self.emit(Output::Audit(AuditEvent { at, event }));
    }

    pub(super) fn has_task(&self) -> bool {
        self.task.is_some()
    }

    /// Starts a card task: its first command goes out now.
    pub(super) fn start(&mut self, mut task: CardTask) {
        let poll = task.start(&mut self.card);
        self.task = Some(task);
        self.absorb(poll);
    }

    fn absorb(&mut self, poll: TaskPoll) {
        match poll {
            TaskPoll::Transmit(transmit) => self.emit(Output::Transmit(transmit)),
            TaskPoll::Done(result) => {
                self.task = None;
                self.ready = Some(result);
            }
        }
    }

    /// The card's answer to the task in flight; `false` with no task.
    pub(super) fn card_response(&mut self, bytes: &[u8]) -> bool {
        let Some(mut task) = self.task.take() else {
            return false;
        };
        let poll = task.response(&mut self.card, bytes);
        self.task = Some(task);
        self.absorb(poll);
        true
    }

    /// The task's command could not be sent; `false` with no task.
    pub(super) fn transport_failed(&mut self, error: TransportError) -> bool {
        let Some(mut task) = self.task.take() else {
            return false;
        };
        let poll = task.transport_error(&mut self.card, error);
        self.task = Some(task);
        self.absorb(poll);
        true
    }

    /// Drops the task in flight (the card it was talking to is gone or was reset) and every
    /// request still queued for the interrupted stage: a command made for a card before an
    /// event is never handed out after it, and a capture or match asked before it is asked
    /// again, if at all, by the stage that resumes.
    pub(super) fn drop_task(&mut self) {
        self.task = None;
        self.ready = None;
        self.outputs.retain(|output| {
            !matches!(
                output,
                Output::Transmit(_) | Output::CaptureFace | Output::MatchFace { .. }
            )
        });
    }

    pub(super) fn take_ready(&mut self) -> Option<Result<TaskResult, Error>> {
        self.ready.take()
    }

    /// Staff passcode attempts left in this visit: the visit's own limit, and what the
    /// facility's check still holds.
    pub(super) fn staff_attempts_left(&self) -> u8 {
        let held = self
            .context
            .staff_passcode
            .as_ref()
            .map_or(0, StaffPasscodeCheck::attempts_left);
        self.facts.staff_attempts_left.min(held)
    }

    /// Everything the policy table needs.
    pub(super) fn situation(&self) -> Situation {
        Situation {
            mode: self.context.mode,
            card: self.facts.card_kind().unwrap_or(CardKind::MyNumberCard),
            photo: self.facts.photo.knowledge(),
            pin: self.facts.user_pin,
            face_failed: self.facts.face_failed,
            staff: if self.context.staff_passcode.is_none() {
                StaffCheckState::NoPasscode
            } else if self.staff_attempts_left() == 0 {
                StaffCheckState::Withdrawn
            } else {
                StaffCheckState::Available
            },
            staff_policy: self.settings.staff_check,
        }
    }

    /// The methods offered now.
    pub(super) fn methods(&self) -> Vec<MethodChoice> {
        policy::offer(&self.situation()).methods
    }

    /// The methods the patient could switch to instead of `current`: offered now, or offered
    /// once the photo is read.
    pub(super) fn other_ways(&self, current: MethodChoice) -> Vec<MethodChoice> {
        let situation = self.situation();
        MethodChoice::ALL
            .into_iter()
            .filter(|method| *method != current)
            .filter(|method| {
                matches!(
                    policy::availability(*method, &situation),
                    Availability::Offered | Availability::NeedsPhoto
                )
            })
            .collect()
    }
}

/// Where the visit stands.
#[derive(Debug)]
pub(super) enum Stage {
    AwaitingCard,
    Reading(Reading),
    Choosing,
    Face(Face),
    Pin(PinStage),
    Staff(Staff),
    AwaitingStaffConfirmation,
    Recovering(Recovering),
    Consent(Consent),
    /// The visit's result is decided; the keys a VERIFY unlocked are being locked first.
    Closing(VisitResult),
    Finished,
}

impl Stage {
    /// Whether the result is decided and the keys are being locked.
    pub(super) const fn is_closing(&self) -> bool {
        matches!(self, Self::Closing(_))
    }

    pub(super) fn public(&self) -> VisitStage {
        match self {
            Self::AwaitingCard => VisitStage::AwaitingCard,
            Self::Reading(reading) => reading.public(),
            Self::Choosing => VisitStage::ChoosingMethod,
            Self::Face(face) => face.public(),
            Self::Pin(pin) => pin.public(),
            Self::Staff(staff) => staff.public(),
            Self::AwaitingStaffConfirmation => VisitStage::AwaitingStaffConfirmation,
            Self::Recovering(_) => VisitStage::Recovering,
            Self::Consent(consent) => consent.public(),
            Self::Closing(_) => VisitStage::LockingCard,
            Self::Finished => VisitStage::Finished,
        }
    }

    /// Handles a person's input; the state back with the reason when it does not take it.
    pub(super) fn user(
        self,
        ctx: &mut Ctx,
        input: UserInput,
    ) -> Result<Self, (Self, RejectReason)> {
        // Inputs taken whatever the state, while a card is on the reader.
        match input {
            UserInput::VerificationNumberB(pin) => reading::verification_number_b(self, ctx, pin),
            UserInput::VerificationNumberBUnreadable => reading::b_unreadable(self, ctx),
            UserInput::Choose(method) if self.takes_choice() => choose(self, ctx, method),
            input => match self {
                Self::AwaitingCard => awaiting_card(ctx, input),
                Self::Reading(reading) => reading
                    .user(ctx, input)
                    .map_err(|(r, why)| (Self::Reading(r), why)),
                Self::Face(face) => face
                    .user(ctx, input)
                    .map_err(|(f, why)| (Self::Face(f), why)),
                Self::Pin(pin) => pin.user(ctx, input).map_err(|(p, why)| (Self::Pin(p), why)),
                Self::Staff(staff) => staff
                    .user(ctx, input)
                    .map_err(|(s, why)| (Self::Staff(s), why)),
                Self::AwaitingStaffConfirmation => legacy_confirmation(ctx, input),
                Self::Consent(consent) => consent
                    .user(ctx, input)
                    .map_err(|(c, why)| (Self::Consent(c), why)),
                Self::Choosing => match input {
                    UserInput::DeclareLegalRepresentative => declare_representative(ctx)
                        .map(|()| Self::Choosing)
                        .map_err(|why| (Self::Choosing, why)),
                    _ => Err((Self::Choosing, RejectReason::NotExpected)),
                },
                stage @ (Self::Recovering(_) | Self::Closing(_) | Self::Finished) => {
                    Err((stage, RejectReason::NotExpected))
                }
            },
        }
    }

    /// Whether the state takes a declaration that a legal representative is present: until
    /// identity is confirmed, while the patient is at the reader (not during a recheck, not
    /// while the staff confirm on the terminal).
    const fn takes_declaration(&self) -> bool {
        matches!(
            self,
            Self::AwaitingCard
                | Self::Reading(_)
                | Self::Choosing
                | Self::Face(_)
                | Self::Pin(_)
                | Self::Staff(_)
        )
    }

    /// Whether the state shows a method choice (or lets the patient switch method).
    fn takes_choice(&self) -> bool {
        match self {
            Self::Choosing | Self::Staff(_) => true,
            Self::Pin(pin) => pin.takes_choice(),
            _ => false,
        }
    }

    /// A card task finished.
    pub(super) fn card(self, ctx: &mut Ctx, result: Result<TaskResult, Error>) -> Self {
        match result {
            Ok(result) => match self {
                Self::Reading(reading) => reading.card(ctx, result),
                Self::Pin(pin) => pin.card(ctx, result),
                Self::Recovering(recovering) => recovering.card(ctx, result),
                Self::Consent(consent) => consent.card(ctx, result),
                Self::Closing(result_of_visit) => {
                    if matches!(result, TaskResult::Left) {
                        ctx.facts.unlocked = false;
                        ctx.audit(VisitEvent::KeysLocked);
                    }
                    finish(ctx, result_of_visit)
                }
                // No other state waits for the card.
                other => other,
            },
            Err(_) if matches!(&self, Self::Consent(consent) if consent.locking()) => {
                let Self::Consent(consent) = self else {
                    return self;
                };
                consent.lock_failed(ctx)
            }
            Err(_) if matches!(self, Self::Closing(_)) => {
                let Self::Closing(result_of_visit) = self else {
                    return self;
                };
                ctx.audit(VisitEvent::KeysLockFailed);
                finish(ctx, result_of_visit)
            }
            Err(error) => card_error(self, ctx, &error),
        }
    }
}

/// Inputs while no card is known: an iPhone's authentication.
fn awaiting_card(ctx: &mut Ctx, input: UserInput) -> Result<Stage, (Stage, RejectReason)> {
    match input {
        UserInput::IPhoneAuthenticated { certificate_der } => reading::iphone(ctx, certificate_der),
        UserInput::DeclareLegalRepresentative => declare_representative(ctx)
            .map(|()| Stage::AwaitingCard)
            .map_err(|why| (Stage::AwaitingCard, why)),
        _ => Err((Stage::AwaitingCard, RejectReason::NotExpected)),
    }
}

/// A legal representative (法定代理人) declares they enter the PIN. Once per visit.
pub(super) fn declare_representative(ctx: &mut Ctx) -> Result<(), RejectReason> {
    if ctx.facts.legal_representative {
        return Err(RejectReason::AlreadyDeclared);
    }
    ctx.facts.legal_representative = true;
    ctx.audit(VisitEvent::LegalRepresentativeDeclared);
    Ok(())
}

/// The patient chose a method on a screen that offers it.
fn choose(
    stage: Stage,
    ctx: &mut Ctx,
    method: MethodChoice,
) -> Result<Stage, (Stage, RejectReason)> {
    match policy::availability(method, &ctx.situation()) {
        Availability::Offered => {}
        Availability::NeedsPhoto => {
            // Offered if the card has a photo: read it, then start the method if it is.
            drop(stage);
            ctx.audit(VisitEvent::MethodChosen { method });
            ctx.facts.chosen_before_photo = Some(method);
            return Ok(reading::read_photo(ctx).unwrap_or_else(|| present_choices(ctx)));
        }
        Availability::NotOffered(why) => {
            return Err((stage, RejectReason::NotOffered { method, why }));
        }
    }
    // Leaving a PIN entry or the staff check keeps nothing that was not sent.
    drop(stage);
    ctx.audit(VisitEvent::MethodChosen { method });
    Ok(start_method(ctx, method))
}

/// Starts `method` (offered: the caller checked).
fn start_method(ctx: &mut Ctx, method: MethodChoice) -> Stage {
    match method {
        MethodChoice::Face => match &ctx.facts.photo {
            Photo::Present(photo) => {
                let photo = photo.clone();
                face::start(ctx, photo)
            }
            _ => present_choices(ctx),
        },
        MethodChoice::Pin => pin::start(ctx),
        MethodChoice::StaffCheck => match StaffCheck::new(ctx.staff_attempts_left()) {
            Some(check) => staff::start(ctx, check),
            None => present_choices(ctx),
        },
    }
}

/// Shows what the patient can do now: the policy table's offer, after reading the photo if
/// the offer depends on it. One method is chosen for the patient; none ends the visit.
pub(super) fn present_choices(ctx: &mut Ctx) -> Stage {
    if ctx.context.mode == ReaderMode::LegacyVisual {
        return legacy_awaiting_confirmation(ctx);
    }
    let offer = policy::offer(&ctx.situation());
    // 暗証番号認証固定: the PIN is asked at once, before any photo is read (the staff check, if
    // chosen from the entry, reads it then).
    if ctx.context.mode == ReaderMode::PinOnly
        && ctx.facts.chosen_before_photo.is_none()
        && offer.methods.contains(&MethodChoice::Pin)
    {
        return pin::start(ctx);
    }
    if offer.needs_photo
        && let Some(stage) = reading::read_photo(ctx)
    {
        return stage;
    }
    let options = offer.methods;
    if let Some(method) = ctx.facts.chosen_before_photo.take()
        && options.contains(&method)
    {
        return start_method(ctx, method);
    }
    let pin_tries_left = ctx
        .facts
        .user_pin
        .tries_left()
        .filter(|_| options.contains(&MethodChoice::Pin));
    // The screen says why the choice is what it is.
    let screen = if ctx.facts.user_pin == PinStatus::Blocked
        && ctx.facts.card_kind()
            != Some(CardKind::Smartphone(
                crate::card::SmartphonePlatform::IPhone,
            )) {
        Screen::PinBlocked {
            options: options.clone(),
        }
    } else if ctx.facts.photo == Photo::Absent {
        Screen::NoPhotoOnCard {
            options: options.clone(),
        }
    } else if ctx.facts.face_failed {
        Screen::FaceFailed {
            options: options.clone(),
        }
    } else {
        Screen::ChooseMethod {
            options: options.clone(),
            pin_tries_left,
        }
    };
    match options.as_slice() {
        [] => {
            // Nothing to choose from: the blocked-PIN screen still says where to reset it;
            // a choice screen with nothing on it is not shown.
            if matches!(
                screen,
                Screen::PinBlocked { .. } | Screen::NoPhotoOnCard { .. }
            ) {
                ctx.show(screen);
            }
            end(ctx, EndReason::NoMethodLeft)
        }
        [only] => {
            if !matches!(screen, Screen::ChooseMethod { .. }) {
                ctx.show(screen);
            }
            start_method(ctx, *only)
        }
        _ => {
            ctx.show(screen);
            Stage::Choosing
        }
    }
}

/// Legacy visual mode: staff check the card's holder and confirm it on the terminal.
fn legacy_awaiting_confirmation(ctx: &mut Ctx) -> Stage {
    ctx.show(Screen::WaitingForStaff);
    if let Some(card) = ctx.facts.identity.clone() {
        let reader = ctx.context.reader;
        ctx.emit(Output::StaffNotice(StaffNotice::ConfirmCard {
            reader,
            card,
        }));
    }
    Stage::AwaitingStaffConfirmation
}

/// The terminal's confirmation, naming the card on the reader.
fn legacy_confirmation(ctx: &mut Ctx, input: UserInput) -> Result<Stage, (Stage, RejectReason)> {
    match input {
        UserInput::StaffConfirmedOnTerminal { staff_id, card } => {
            if !ctx
                .facts
                .identity
                .as_ref()
                .is_some_and(|read| *read == card)
            {
                return Err((Stage::AwaitingStaffConfirmation, RejectReason::AnotherCard));
            }
            ctx.audit(VisitEvent::StaffConfirmedOnTerminal {
                staff_id: staff_id.clone(),
            });
            let evidence = IdentityEvidence::legacy_terminal(staff_id, ctx.now);
            Ok(consent::identity_confirmed(ctx, evidence))
        }
        _ => Err((Stage::AwaitingStaffConfirmation, RejectReason::NotExpected)),
    }
}

/// A card task ended with an error: recover where it makes sense, end otherwise.
pub(super) fn card_error(stage: Stage, ctx: &mut Ctx, error: &Error) -> Stage {
    ctx.audit(VisitEvent::CardError {
        code: error.code().into(),
    });
    // A card that answers a request to sign with an error (a key it does not hold, a PIN it
    // did not really verify) cannot prove what it was asked to. Inside the exclusive span no
    // other program can have caused it.
    let signature_refused = matches!(
        error,
        Error::CardMisbehaved(_) | Error::Usage(crate::error::UsageError::PinNotVerified(_))
    );
    match &stage {
        Stage::Pin(pin) if pin.proving_key() && signature_refused => {
            return pin::key_not_proven(ctx, AuthenticityError::PinKeyNotProven);
        }
        Stage::Reading(reading) if reading.proving_presence() && signature_refused => {
            return reading::card_face_not_genuine(ctx, AuthenticityError::CardNotPresent);
        }
        _ => {}
    }
    match error {
        Error::Transport(TransportError::CardRemoved | TransportError::NoCard) => {
            card_removed(stage, ctx)
        }
        Error::CardIncompatible(crate::error::CardIncompatible::ApplicationMissing(_))
        | Error::MalformedCardData(crate::error::MalformedCardData::Record { .. })
            if ctx.facts.token.is_none() =>
        {
            refuse(ctx, RefusalReason::NotAMyNumberCard)
        }
        // A card whose answers cannot be trusted, or a reader that failed: read the card's
        // identity again and go back to where the patient was (a bounded number of times).
        Error::Transport(_)
        | Error::CardMisbehaved(_)
        | Error::MalformedCardData(crate::error::MalformedCardData::Response(_))
            if ctx.recoveries_left > 0 =>
        {
            ctx.recoveries_left -= 1;
            recovery::start(ctx, stage)
        }
        _ => end(ctx, EndReason::CardOrReaderError),
    }
}

/// A card was placed: read it.
pub(super) fn card_placed(ctx: &mut Ctx) -> Stage {
    reading::start(ctx)
}

/// The card was reset: check its identity, then go back to where the patient was.
pub(super) fn reset(stage: Stage, ctx: &mut Ctx) -> Stage {
    match stage {
        // A warm reset keeps what a VERIFY unlocked (real-card evidence, fact 10): lock again.
        Stage::Closing(result) => {
            ctx.drop_task();
            ctx.card.forget_card();
            ctx.start(CardTask::leave());
            Stage::Closing(result)
        }
        stage => recovery::start(ctx, stage),
    }
}

/// No input for the idle timeout: the visit ends (with identity confirmed, the consent is not).
pub(super) fn timed_out(stage: Stage, ctx: &mut Ctx, reason: EndReason) -> Stage {
    match stage {
        Stage::Consent(consent) => consent.abandoned(ctx, reason),
        // The result is decided; a card that does not answer the lock ends it as decided.
        Stage::Closing(result) => {
            ctx.audit(VisitEvent::KeysLockFailed);
            finish(ctx, result)
        }
        Stage::Finished => Stage::Finished,
        _ => end(ctx, reason),
    }
}

/// The card was taken off the reader (which powers it down: whatever a VERIFY unlocked is
/// locked again).
pub(super) fn card_removed(stage: Stage, ctx: &mut Ctx) -> Stage {
    ctx.drop_task();
    ctx.card.forget_card();
    ctx.facts.unlocked = false;
    match stage {
        Stage::Consent(consent) => consent.removed(ctx),
        Stage::Closing(result) => finish(ctx, result),
        _ => end(ctx, EndReason::CardRemoved),
    }
}

/// Another card was placed where one was known: everything read from the old card goes,
/// identity evidence included, and the new card is read from the start.
pub(super) fn card_changed(stage: Stage, ctx: &mut Ctx) -> Stage {
    if let Stage::Closing(result) = stage {
        // The card whose result was decided left the reader (and was powered down).
        ctx.facts.unlocked = false;
        return finish(ctx, result);
    }
    drop(stage);
    ctx.drop_task();
    ctx.card.forget_card();
    ctx.facts.forget_card();
    ctx.audit(VisitEvent::CardChanged);
    reading::start(ctx)
}

/// Nothing can be confirmed: the visit ends.
pub(super) fn end(ctx: &mut Ctx, reason: EndReason) -> Stage {
    ctx.show(Screen::Ended { reason });
    close(ctx, VisitResult::NotConfirmed { reason })
}

/// The card cannot be used: the visit ends.
pub(super) fn refuse(ctx: &mut Ctx, reason: RefusalReason) -> Stage {
    ctx.show(Screen::Refused { reason });
    close(ctx, VisitResult::Refused { reason })
}

/// The visit's result is decided: if a VERIFY unlocked a key on the card still on the reader,
/// the application is left first (whatever the result), then the visit finishes.
fn close(ctx: &mut Ctx, result: VisitResult) -> Stage {
    if ctx.facts.unlocked {
        ctx.drop_task();
        ctx.start(CardTask::leave());
        Stage::Closing(result)
    } else {
        finish(ctx, result)
    }
}

/// Identity confirmed: the outcome with its consent.
pub(super) fn finish_confirmed(
    ctx: &mut Ctx,
    evidence: IdentityEvidence,
    consent: ConsentStatus,
) -> Stage {
    let consent_given = matches!(consent, ConsentStatus::Given(_));
    ctx.show(Screen::Done {
        eligibility_only: ctx.facts.eligibility_only,
        consent_given,
        renewal_alert: ctx.facts.renewal_alert,
    });
    close(
        ctx,
        VisitResult::Confirmed {
            identity: evidence.method().clone(),
            identified_at: evidence.at(),
            consent,
            eligibility_only: ctx.facts.eligibility_only,
        },
    )
}

fn finish(ctx: &mut Ctx, result: VisitResult) -> Stage {
    ctx.drop_task();
    ctx.audit(VisitEvent::VisitEnded {
        result: result.clone(),
    });
    ctx.outcome = Some(Outcome {
        reader: ctx.context.reader,
        mode: ctx.context.mode,
        started_at: ctx.started_at,
        finished_at: ctx.now,
        result,
        card_kind: ctx.facts.card_kind(),
        card: ctx.facts.identity.clone(),
        certificate: ctx.facts.certificate.clone(),
        certificate_renewal_alert: ctx.facts.renewal_alert,
        staff_passcode_failures: ctx.facts.staff_failures,
        verification: Verification {
            hierarchy: Some(ctx.context.trust.hierarchy()),
            ..ctx.facts.verification
        },
        prescription: ctx.facts.prescription,
    });
    Stage::Finished
}

/// The inputs a state takes, for [`Visit::expected_inputs`](super::Visit::expected_inputs).
pub(super) fn expected(stage: &Stage, ctx: &Ctx) -> Vec<super::io::InputKind> {
    use super::io::InputKind as K;
    let mut kinds = Vec::new();
    if matches!(stage, Stage::Finished) {
        return kinds;
    }
    kinds.push(K::Tick);
    if ctx.has_task() {
        kinds.push(K::CardResponse);
        kinds.push(K::TransportFailed);
    }
    if matches!(stage, Stage::AwaitingCard) {
        kinds.push(K::CardPlaced);
        if ctx.context.mode == ReaderMode::Unattended {
            kinds.push(K::IPhoneAuthenticated);
        }
    } else {
        kinds.extend([K::CardPlaced, K::CardRemoved, K::CardReset]);
    }
    if reading::takes_verification_number_b(stage, ctx) {
        kinds.push(K::VerificationNumberB);
    }
    if !ctx.facts.legal_representative && stage.takes_declaration() {
        kinds.push(K::DeclareLegalRepresentative);
    }
    if stage.takes_choice() {
        kinds.push(K::Choose);
    }
    match stage {
        Stage::Face(face) => kinds.extend(face.expected()),
        Stage::Pin(pin) => kinds.extend(pin.expected()),
        Stage::Staff(_) => kinds.push(K::StaffPasscode),
        Stage::AwaitingStaffConfirmation => kinds.push(K::StaffConfirmedOnTerminal),
        Stage::Consent(consent) if consent.asking() => {
            kinds.extend([K::ConsentAnswer, K::ConsentNotObtainable]);
        }
        Stage::Consent(consent) if consent.choosing_prescription() => {
            kinds.push(K::PrescriptionChosen);
        }
        _ => {}
    }
    kinds.sort();
    kinds.dedup();
    kinds
}
