//! The values that unlock the next step of a visit, made only by the step before.
//!
//! - a [`FreshRetryCount`](crate::card::FreshRetryCount) comes only from the card's report
//!   (the card layer makes it) and a PIN entry consumes it;
//! - a [`ChipPhoto`] comes only from the card layer's read of the card face;
//! - an [`IdentityEvidence`] comes only from a PIN the card accepted, a face match against a
//!   [`ChipPhoto`], the staff passcode, the terminal's confirmation naming the card on the
//!   reader, or an iPhone's authentication with its certificate; consent needs one.
//!
//! None of their constructors is public: a caller cannot make evidence of a check that did
//! not happen.
//!
//! ```compile_fail
//! use onshi::reception::IdentityEvidence;
//! // There is no way to make evidence without a check.
//! let evidence = IdentityEvidence { method: todo!(), at: todo!() };
//! ```

use alloc::vec::Vec;

use super::outcome::{ConsentAnswer, ConsentRecord, IdentityMethod, StaffCheckKind, StaffId};
use super::screen::Screen;
use super::settings::{ConsentItem, ConsentSettings};
use crate::SecretBytes;
use crate::card::authenticity::VerifiedCardFace;
use crate::card::{FreshRetryCount, Pin, PinKind, SmartphonePlatform, VerifyPin};
use crate::face::{FaceMatchError, FacePolicy, MatchScore};
use crate::facility::StaffPasscodeCheck;
use crate::facility::visits::PasscodeAttempt;
use crate::time::Timestamp;

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

    /// Staff confirmed on the terminal, in the legacy visual mode, naming the card on the
    /// reader.
    pub(crate) const fn legacy_terminal(staff_id: StaffId, at: Timestamp) -> Self {
        Self {
            method: IdentityMethod::StaffCheck {
                staff_id,
                kind: StaffCheckKind::LegacyTerminal,
            },
            at,
        }
    }

    /// The iPhone authenticated its holder (Face ID / Touch ID) and passed its certificate.
    pub(crate) const fn iphone(at: Timestamp) -> Self {
        Self {
            method: IdentityMethod::Smartphone {
                platform: SmartphonePlatform::IPhone,
            },
            at,
        }
    }

    /// The card accepted the PIN.
    pub(crate) const fn pin(method: IdentityMethod, at: Timestamp) -> Self {
        Self { method, at }
    }
}

/// The face photo of a card face the card layer verified (the issuer's signature, and the
/// card's answer to this visit's challenge): the only thing a face is matched against. Made
/// only from a [`VerifiedCardFace`], which only the card layer makes.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipPhoto {
    image: Vec<u8>,
}

impl ChipPhoto {
    /// The photo of a verified card face, when the card has one.
    pub(crate) fn from_verified(card_face: &VerifiedCardFace) -> Option<Self> {
        card_face
            .entries()
            .photo
            .clone()
            .map(|image| Self { image })
    }

    /// The image (JPEG 2000, as stored).
    #[must_use]
    pub fn image(&self) -> &[u8] {
        &self.image
    }
}

/// `Debug` shows the size only: a face image is biometric data and stays out of logs.
impl core::fmt::Debug for ChipPhoto {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ChipPhoto({} bytes)", self.image.len())
    }
}

/// Why a PIN was not submitted. Nothing was sent to the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SubmitRefused {
    /// One try is left and the patient has not confirmed they want to use it.
    LastTryNotConfirmed,
}

/// The PIN entry screen: holds a fresh count above zero.
#[derive(Debug)]
pub(crate) struct PinEntry {
    count: FreshRetryCount,
    legal_representative: bool,
    last_try_confirmed: bool,
    platform: Option<SmartphonePlatform>,
}

impl PinEntry {
    /// Entry with the card's fresh count.
    pub(crate) const fn new(count: FreshRetryCount, platform: Option<SmartphonePlatform>) -> Self {
        Self {
            count,
            legal_representative: false,
            last_try_confirmed: false,
            platform,
        }
    }

    pub(crate) const fn tries_left(&self) -> u8 {
        self.count.tries_left()
    }

    pub(crate) fn declare_legal_representative(&mut self) {
        self.legal_representative = true;
    }

    pub(crate) const fn needs_last_try_confirmation(&self) -> bool {
        self.count.is_last_try() && !self.last_try_confirmed
    }

    pub(crate) fn confirm_last_try(&mut self) {
        self.last_try_confirmed = true;
    }

    /// Submits `pin`: the card operation that re-reads the count and sends one VERIFY.
    pub(crate) fn submit(self, pin: Pin) -> Result<PinSubmission, (Self, SubmitRefused)> {
        if self.needs_last_try_confirmation() {
            return Err((self, SubmitRefused::LastTryNotConfirmed));
        }
        Ok(PinSubmission {
            method: match (self.platform, self.legal_representative) {
                (Some(platform), _) => IdentityMethod::Smartphone { platform },
                (None, true) => IdentityMethod::PinByLegalRepresentative,
                (None, false) => IdentityMethod::Pin,
            },
            legal_representative: self.legal_representative,
            platform: self.platform,
            operation: Some(VerifyPin::new(self.count, pin)),
        })
    }
}

/// A PIN on its way to the card.
#[derive(Debug)]
pub(crate) struct PinSubmission {
    method: IdentityMethod,
    legal_representative: bool,
    platform: Option<SmartphonePlatform>,
    operation: Option<VerifyPin>,
}

impl PinSubmission {
    /// The card operation (taken once).
    pub(crate) fn take_operation(&mut self) -> Option<VerifyPin> {
        self.operation.take()
    }

    /// The evidence of the card's acceptance.
    pub(crate) fn verified(self, at: Timestamp) -> IdentityEvidence {
        IdentityEvidence::pin(self.method, at)
    }

    /// A new entry for the count the card reports now, keeping who enters it.
    pub(crate) fn retry(&self, count: FreshRetryCount) -> PinEntry {
        PinEntry {
            count,
            legal_representative: self.legal_representative,
            last_try_confirmed: false,
            platform: self.platform,
        }
    }

    pub(crate) const fn is_legal_representative(&self) -> bool {
        self.legal_representative
    }
}

/// A typed PIN of the user-authentication kind, from what the keypad gave.
pub(crate) fn user_pin(input: &SecretBytes) -> Option<Pin> {
    core::str::from_utf8(input.expose_secret())
        .ok()
        .and_then(|text| Pin::new(PinKind::UserAuth, text).ok())
}

/// One face capture and match, against the chip photo the card layer read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FaceAttempt {
    attempt: u8,
    policy: FacePolicy,
    photo: ChipPhoto,
}

/// What a face match gave.
#[derive(Debug)]
pub(crate) enum FaceResult {
    /// Accepted.
    Confirmed(IdentityEvidence),
    /// Rejected; another attempt is allowed.
    Retry(FaceAttempt),
    /// Rejected, and no attempt is left: offer the fallback.
    Failed,
}

impl FaceAttempt {
    /// The first attempt under `policy`, against `photo`.
    pub(crate) const fn first(policy: FacePolicy, photo: ChipPhoto) -> Self {
        Self {
            attempt: 1,
            policy,
            photo,
        }
    }

    pub(crate) const fn number(&self) -> u8 {
        self.attempt
    }

    pub(crate) const fn allowed(&self) -> u8 {
        self.policy.attempts_before_fallback
    }

    pub(crate) const fn photo(&self) -> &ChipPhoto {
        &self.photo
    }

    /// Judges the matcher's answer with the policy.
    pub(crate) fn judge(
        self,
        result: Result<MatchScore, FaceMatchError>,
        now: Timestamp,
    ) -> FaceResult {
        match result {
            Ok(score) if self.policy.accepts(Ok(score)) => {
                FaceResult::Confirmed(IdentityEvidence {
                    method: IdentityMethod::Face { score },
                    at: now,
                })
            }
            _ if self.attempt < self.policy.attempts_before_fallback => FaceResult::Retry(Self {
                attempt: self.attempt + 1,
                ..self
            }),
            _ => FaceResult::Failed,
        }
    }
}

/// The on-reader staff check: a staff member enters the facility passcode.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct StaffCheck {
    attempts_left: u8,
}

/// What a staff passcode gave.
#[derive(Debug)]
pub(crate) enum StaffCheckResult {
    /// Right passcode.
    Confirmed(IdentityEvidence),
    /// Wrong; this many attempts are left.
    Wrong(StaffCheck),
    /// Wrong, and no attempt is left: the check is withdrawn for the visit.
    Withdrawn,
}

impl StaffCheck {
    /// A check that allows `attempts` wrong passcodes; `None` when none are left.
    pub(crate) const fn new(attempts: u8) -> Option<Self> {
        if attempts == 0 {
            None
        } else {
            Some(Self {
                attempts_left: attempts,
            })
        }
    }

    pub(crate) const fn attempts_left(&self) -> u8 {
        self.attempts_left
    }

    /// Checks the passcode entered by `staff_id`.
    pub(crate) fn submit(
        self,
        staff_id: StaffId,
        passcode: &SecretBytes,
        check: &StaffPasscodeCheck,
        now: Timestamp,
    ) -> StaffCheckResult {
        match check.attempt(passcode) {
            PasscodeAttempt::Accepted => StaffCheckResult::Confirmed(IdentityEvidence {
                method: IdentityMethod::StaffCheck {
                    staff_id,
                    kind: StaffCheckKind::OnReader,
                },
                at: now,
            }),
            // Every copy of the visit's check shares its attempts: none left ends it too.
            PasscodeAttempt::NoneLeft => StaffCheckResult::Withdrawn,
            PasscodeAttempt::Rejected => match self
                .attempts_left
                .saturating_sub(1)
                .min(check.attempts_left())
            {
                0 => StaffCheckResult::Withdrawn,
                left => StaffCheckResult::Wrong(Self {
                    attempts_left: left,
                }),
            },
        }
    }
}

/// The consent screens, reachable only with identity evidence.
#[derive(Debug)]
pub(crate) struct ConsentFlow {
    evidence: IdentityEvidence,
    items: Vec<ConsentItem>,
    /// `None` while the blanket question is on screen, then the index of the item asked.
    position: Option<usize>,
    blanket_question: bool,
    answers: Vec<ConsentAnswer>,
    /// How long the consent lets the data be viewed, in hours.
    available_hours: u32,
}

/// What a consent answer leads to.
#[derive(Debug)]
pub(crate) enum ConsentStep {
    /// The next screen.
    Next(ConsentFlow),
    /// Every item is answered.
    Finished(IdentityEvidence, ConsentRecord),
}

impl ConsentFlow {
    /// Starts the consent screens for the patient whose identity `evidence` proves.
    pub(crate) fn start(
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
            available_hours: settings.available_hours,
        };
        if flow.items.is_empty() {
            return flow.finish(false, now);
        }
        ConsentStep::Next(flow)
    }

    /// The screen to show.
    pub(crate) fn screen(&self) -> Screen {
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
    pub(crate) fn current_item(&self) -> Option<&ConsentItem> {
        self.position.and_then(|i| self.items.get(i))
    }

    /// Answers the screen shown.
    pub(crate) fn answer(mut self, agreed: bool, now: Timestamp) -> ConsentStep {
        match self.position {
            None if agreed => {
                self.answers = self
                    .items
                    .iter()
                    .map(|item| ConsentAnswer {
                        item: item.clone(),
                        agreed: true,
                        at: now,
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
                        at: now,
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
    pub(crate) fn abandon(self) -> IdentityEvidence {
        self.evidence
    }

    fn finish(self, blanket: bool, now: Timestamp) -> ConsentStep {
        ConsentStep::Finished(
            self.evidence,
            ConsentRecord {
                blanket,
                answers: self.answers,
                at: now,
                available_until: now
                    .saturating_add_seconds(i64::from(self.available_hours).saturating_mul(3600)),
            },
        )
    }
}
