//! The visit's states as types. Each transition consumes the state it leaves, and the values
//! that unlock the next step can only be made by the step before:
//!
//! - a [`FreshRetryCount`] comes only from the card's own report of tries left, above zero; a
//!   [`PinEntry`] needs one, and [`PinEntry::submit`] consumes the entry, so the same count
//!   never lets two PINs through;
//! - an [`IdentityEvidence`] comes only from a PIN the card accepted, a face the policy
//!   accepted, the staff passcode, or the terminal's visual-check confirmation; a
//!   [`ConsentFlow`] needs one.
//!
//! [`Visit`](super::Visit) drives these types; vendors who build their own loop can use them
//! directly. The wrong order does not compile:
//!
//! ```compile_fail
//! use onshi::reception::{FreshRetryCount, PinEntry};
//! // There is no way to make a retry count without the card's report.
//! let entry = PinEntry::new(FreshRetryCount { tries_left: 3 });
//! ```
//!
//! ```compile_fail
//! use onshi::reception::{ConsentFlow, ConsentSettings, IdentityEvidence, IdentityMethod};
//! // Nor evidence without a check.
//! let evidence = IdentityEvidence { method: IdentityMethod::Pin, at: todo!() };
//! let consent = ConsentFlow::start(evidence, &ConsentSettings::default(), todo!());
//! ```
//!
//! ```compile_fail
//! # fn f(entry: onshi::reception::PinEntry, pin: onshi::card::Pin, pin2: onshi::card::Pin) {
//! // A submitted entry is gone: a second PIN needs the card's next report.
//! let first = entry.submit(pin);
//! let second = entry.submit(pin2);
//! # }
//! ```

use alloc::vec::Vec;
use core::num::NonZeroU8;

use super::outcome::{
    ConsentAnswer, ConsentRecord, IdentityMethod, SmartphonePlatform, StaffCheckKind, StaffId,
};
use super::screen::Screen;
use super::settings::{ConsentItem, ConsentSettings};
use crate::SecretBytes;
use crate::card::{
    CardState, Exchange, Pin, PinKind, PinSlot, PinStatus, Poll, VerifyOutcome, VerifyPin,
};
use crate::error::Error;
use crate::face::{FaceMatchError, FacePolicy, MatchScore};
use crate::facility::StaffPasscodeCheck;
use crate::reader::TransportError;
use crate::time::Timestamp;

/// The user-authentication PIN's tries left, as the card just reported them: at least one.
#[derive(Debug, PartialEq, Eq)]
pub struct FreshRetryCount {
    tries_left: NonZeroU8,
}

impl FreshRetryCount {
    /// The count from a status the card reported; `None` unless tries are left.
    pub(crate) fn from_status(status: PinStatus) -> Option<Self> {
        match status {
            PinStatus::Remaining(n) => NonZeroU8::new(n).map(|tries_left| Self { tries_left }),
            _ => None,
        }
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
}

/// Proof that the patient's identity was checked. Made only by the checks.
#[derive(Debug, PartialEq, Eq)]
pub struct IdentityEvidence {
    method: IdentityMethod,
    at: Timestamp,
}

impl IdentityEvidence {
    /// How identity was checked.
    #[must_use]
    pub const fn method(&self) -> &IdentityMethod {
        &self.method
    }

    /// When.
    #[must_use]
    pub const fn at(&self) -> Timestamp {
        self.at
    }

    /// Staff confirmed on the terminal, in the legacy visual mode, and the card was read.
    pub(crate) const fn legacy_terminal(staff_id: StaffId, at: Timestamp) -> Self {
        Self {
            method: IdentityMethod::StaffCheck {
                staff_id,
                kind: StaffCheckKind::LegacyTerminal,
            },
            at,
        }
    }

    /// The iPhone authenticated its holder and the reader passed that in.
    pub(crate) const fn iphone(at: Timestamp) -> Self {
        Self {
            method: IdentityMethod::Smartphone {
                platform: SmartphonePlatform::IPhone,
            },
            at,
        }
    }
}

/// Why a PIN was not submitted. Nothing was sent to the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitRefused {
    /// One try is left and the patient has not confirmed they want to use it.
    #[error("the last try has not been confirmed")]
    LastTryNotConfirmed,
    /// The PIN is not a user-authentication PIN.
    #[error("not a user-authentication PIN")]
    WrongKind,
}

/// The PIN entry screen: holds a fresh count above zero.
#[derive(Debug, PartialEq, Eq)]
pub struct PinEntry {
    count: FreshRetryCount,
    legal_representative: bool,
    last_try_confirmed: bool,
    smartphone: bool,
}

impl PinEntry {
    /// Entry with the card's fresh count.
    #[must_use]
    pub const fn new(count: FreshRetryCount) -> Self {
        Self {
            count,
            legal_representative: false,
            last_try_confirmed: false,
            smartphone: false,
        }
    }

    /// For a smartphone's JPKI (Android): success is recorded as smartphone authentication.
    #[must_use]
    pub(crate) const fn on_smartphone(mut self) -> Self {
        self.smartphone = true;
        self
    }

    /// Tries left, as the card reported.
    #[must_use]
    pub const fn tries_left(&self) -> u8 {
        self.count.tries_left()
    }

    /// Records that a legal representative (法定代理人) enters the PIN.
    pub fn declare_legal_representative(&mut self) {
        self.legal_representative = true;
    }

    /// Whether a legal representative declared they enter the PIN.
    #[must_use]
    pub const fn is_legal_representative(&self) -> bool {
        self.legal_representative
    }

    /// Whether the last try must be confirmed before a PIN is accepted.
    #[must_use]
    pub const fn needs_last_try_confirmation(&self) -> bool {
        self.count.is_last_try() && !self.last_try_confirmed
    }

    /// The patient confirmed they want to use the last try.
    pub fn confirm_last_try(&mut self) {
        self.last_try_confirmed = true;
    }

    /// Leaves the entry without submitting: the count is still the card's last report.
    #[must_use]
    pub fn cancel(self) -> FreshRetryCount {
        self.count
    }

    /// Submits `pin`: one VERIFY, run by the returned submission.
    ///
    /// # Errors
    ///
    /// The entry back, with the reason, when the last try is not confirmed or the PIN is not a
    /// user-authentication PIN. Nothing is sent.
    pub fn submit(self, pin: Pin) -> Result<PinSubmission, (Self, SubmitRefused)> {
        if pin.kind() != PinKind::UserAuth {
            return Err((self, SubmitRefused::WrongKind));
        }
        if self.needs_last_try_confirmation() {
            return Err((self, SubmitRefused::LastTryNotConfirmed));
        }
        Ok(PinSubmission {
            exchange: Exchange::new(VerifyPin::new(PinSlot::UserAuth, pin)),
            legal_representative: self.legal_representative,
            smartphone: self.smartphone,
            result: None,
        })
    }
}

/// Where a PIN submission stands.
#[derive(Debug)]
pub enum SubmissionPoll<'a> {
    /// Transmit this command and pass the response to
    /// [`PinSubmission::handle_response`].
    Transmit {
        /// The encoded command (it holds the PIN: send it, do not log it).
        command: &'a [u8],
        /// Bytes the response can have.
        response_capacity: usize,
    },
    /// The card answered; call [`PinSubmission::finish`].
    Finished,
}

/// One PIN on its way to the card: exactly one VERIFY, never resent.
#[derive(Debug)]
pub struct PinSubmission {
    exchange: Exchange<VerifyPin>,
    legal_representative: bool,
    smartphone: bool,
    result: Option<Result<VerifyOutcome, Error>>,
}

impl PinSubmission {
    /// Starts the exchange (SELECTs first if the card is not positioned).
    pub fn start(&mut self, state: &mut CardState) -> SubmissionPoll<'_> {
        let poll = self.exchange.start(state);
        Self::convert(&mut self.result, poll)
    }

    /// Passes the card's response to the last command.
    pub fn handle_response(&mut self, state: &mut CardState, bytes: &[u8]) -> SubmissionPoll<'_> {
        let poll = self.exchange.handle_response(state, bytes);
        Self::convert(&mut self.result, poll)
    }

    /// Reports that the last command could not be transmitted. Nothing is resent.
    pub fn handle_transport_error(
        &mut self,
        state: &mut CardState,
        error: TransportError,
    ) -> SubmissionPoll<'_> {
        let poll = self.exchange.handle_transport_error(state, error);
        Self::convert(&mut self.result, poll)
    }

    fn convert<'a>(
        slot: &mut Option<Result<VerifyOutcome, Error>>,
        poll: Poll<'a, VerifyOutcome>,
    ) -> SubmissionPoll<'a> {
        match poll {
            Poll::Transmit {
                command,
                response_capacity,
            } => SubmissionPoll::Transmit {
                command,
                response_capacity,
            },
            Poll::Done(result) => {
                *slot = Some(result);
                SubmissionPoll::Finished
            }
        }
    }

    /// What the card said.
    ///
    /// # Errors
    ///
    /// The exchange's error (transport, card), or [`UsageError::OutOfOrder`](crate::error::UsageError::OutOfOrder)
    /// before the card answered.
    pub fn finish(self, now: Timestamp) -> Result<PinResult, Error> {
        let outcome = self
            .result
            .unwrap_or(Err(crate::error::UsageError::OutOfOrder.into()))?;
        Ok(match outcome {
            VerifyOutcome::Verified => {
                let method = match (self.smartphone, self.legal_representative) {
                    (true, _) => IdentityMethod::Smartphone {
                        platform: SmartphonePlatform::Android,
                    },
                    (false, true) => IdentityMethod::PinByLegalRepresentative,
                    (false, false) => IdentityMethod::Pin,
                };
                PinResult::Verified(IdentityEvidence { method, at: now })
            }
            VerifyOutcome::WrongPin { tries_left } => {
                match FreshRetryCount::from_status(PinStatus::Remaining(tries_left)) {
                    Some(count) => PinResult::Wrong(PinEntry {
                        count,
                        legal_representative: self.legal_representative,
                        last_try_confirmed: false,
                        smartphone: self.smartphone,
                    }),
                    None => PinResult::Blocked,
                }
            }
            VerifyOutcome::Blocked => PinResult::Blocked,
        })
    }
}

/// What a PIN submission gave.
#[derive(Debug)]
pub enum PinResult {
    /// The card accepted it.
    Verified(IdentityEvidence),
    /// Wrong; a new entry with the card's new count.
    Wrong(PinEntry),
    /// The PIN is blocked now (or was).
    Blocked,
}

/// One face capture and match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaceAttempt {
    attempt: u8,
    policy: FacePolicy,
}

/// What a face match gave.
#[derive(Debug)]
pub enum FaceResult {
    /// Accepted.
    Confirmed(IdentityEvidence),
    /// Rejected; another attempt is allowed.
    Retry(FaceAttempt),
    /// Rejected, and no attempt is left: offer the fallback.
    Failed,
}

impl FaceAttempt {
    /// The first attempt under `policy`.
    #[must_use]
    pub const fn first(policy: FacePolicy) -> Self {
        Self { attempt: 1, policy }
    }

    /// Attempt number, from 1.
    #[must_use]
    pub const fn number(&self) -> u8 {
        self.attempt
    }

    /// Attempts allowed.
    #[must_use]
    pub const fn allowed(&self) -> u8 {
        self.policy.attempts_before_fallback
    }

    /// Judges the matcher's answer with the policy.
    #[must_use]
    pub fn judge(self, result: Result<MatchScore, FaceMatchError>, now: Timestamp) -> FaceResult {
        match result {
            Ok(score) if self.policy.accepts(Ok(score)) => {
                FaceResult::Confirmed(IdentityEvidence {
                    method: IdentityMethod::Face { score },
                    at: now,
                })
            }
            _ if self.attempt < self.policy.attempts_before_fallback => FaceResult::Retry(Self {
                attempt: self.attempt + 1,
                policy: self.policy,
            }),
            _ => FaceResult::Failed,
        }
    }
}

/// The on-reader staff check: a staff member enters the facility passcode.
#[derive(Debug, PartialEq, Eq)]
pub struct StaffCheck {
    attempts_left: u8,
}

/// What a staff passcode gave.
#[derive(Debug)]
pub enum StaffCheckResult {
    /// Right passcode.
    Confirmed(IdentityEvidence),
    /// Wrong; this many attempts are left.
    Wrong(StaffCheck),
    /// Wrong, and no attempt is left: the check is withdrawn for the visit.
    Withdrawn,
}

impl StaffCheck {
    /// A check that allows `attempts` wrong passcodes; `None` when none are left.
    #[must_use]
    pub const fn new(attempts: u8) -> Option<Self> {
        if attempts == 0 {
            None
        } else {
            Some(Self {
                attempts_left: attempts,
            })
        }
    }

    /// Wrong passcodes still allowed.
    #[must_use]
    pub const fn attempts_left(&self) -> u8 {
        self.attempts_left
    }

    /// Checks the passcode entered by `staff_id`.
    #[must_use]
    pub fn submit(
        self,
        staff_id: StaffId,
        passcode: &SecretBytes,
        check: &StaffPasscodeCheck,
        now: Timestamp,
    ) -> StaffCheckResult {
        if check.matches(passcode) {
            return StaffCheckResult::Confirmed(IdentityEvidence {
                method: IdentityMethod::StaffCheck {
                    staff_id,
                    kind: StaffCheckKind::OnReader,
                },
                at: now,
            });
        }
        match self.attempts_left.saturating_sub(1) {
            0 => StaffCheckResult::Withdrawn,
            left => StaffCheckResult::Wrong(Self {
                attempts_left: left,
            }),
        }
    }
}

/// The consent screens, reachable only with identity evidence.
#[derive(Debug)]
pub struct ConsentFlow {
    evidence: IdentityEvidence,
    items: Vec<ConsentItem>,
    /// `None` while the blanket question is on screen, then the index of the item asked.
    position: Option<usize>,
    /// Whether the screens start with the blanket question.
    blanket_question: bool,
    answers: Vec<ConsentAnswer>,
}

/// What a consent answer leads to.
#[derive(Debug)]
pub enum ConsentStep {
    /// The next screen.
    Next(ConsentFlow),
    /// Every item is answered.
    Finished(IdentityEvidence, ConsentRecord),
}

impl ConsentFlow {
    /// Starts the consent screens for the patient whose identity `evidence` proves.
    #[must_use]
    pub fn start(
        evidence: IdentityEvidence,
        settings: &ConsentSettings,
        now: Timestamp,
    ) -> ConsentStep {
        let flow = Self {
            evidence,
            items: settings.items.clone(),
            position: if settings.blanket_option {
                None
            } else {
                Some(0)
            },
            blanket_question: settings.blanket_option,
            answers: Vec::new(),
        };
        if flow.items.is_empty() {
            return flow.finish(false, now);
        }
        ConsentStep::Next(flow)
    }

    /// The screen to show.
    #[must_use]
    pub fn screen(&self) -> Screen {
        let blanket = usize::from(self.blanket_question);
        let of = self.items.len() + blanket;
        match self.position {
            None => Screen::Consent {
                item: None,
                index: 1,
                of,
            },
            Some(i) => Screen::Consent {
                item: self.items.get(i).cloned(),
                index: i + 1 + blanket,
                of,
            },
        }
    }

    /// The item on screen, or `None` for the blanket question.
    #[must_use]
    pub fn current_item(&self) -> Option<&ConsentItem> {
        self.position.and_then(|i| self.items.get(i))
    }

    /// Answers the screen shown.
    #[must_use]
    pub fn answer(mut self, agreed: bool, now: Timestamp) -> ConsentStep {
        match self.position {
            None if agreed => {
                self.answers = self
                    .items
                    .iter()
                    .map(|item| ConsentAnswer {
                        item: item.clone(),
                        agreed: true,
                    })
                    .collect();
                self.finish(true, now)
            }
            None => {
                self.position = Some(0);
                ConsentStep::Next(self)
            }
            Some(i) => {
                if let Some(item) = self.items.get(i) {
                    self.answers.push(ConsentAnswer {
                        item: item.clone(),
                        agreed,
                    });
                }
                if i + 1 < self.items.len() {
                    self.position = Some(i + 1);
                    ConsentStep::Next(self)
                } else {
                    self.finish(false, now)
                }
            }
        }
    }

    /// Leaves the screens unfinished: nothing answered so far is kept.
    #[must_use]
    pub fn abandon(self) -> IdentityEvidence {
        self.evidence
    }

    /// The identity evidence the flow was started with.
    #[must_use]
    pub const fn evidence(&self) -> &IdentityEvidence {
        &self.evidence
    }

    fn finish(self, blanket: bool, now: Timestamp) -> ConsentStep {
        ConsentStep::Finished(
            self.evidence,
            ConsentRecord {
                blanket,
                answers: self.answers,
                at: now,
            },
        )
    }
}
