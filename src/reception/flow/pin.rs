//! The PIN: the count the card reports, the last-try confirmation, the entry, one guarded
//! VERIFY per entry, and on an Android phone the certificate read after it.

use alloc::vec::Vec;

use super::{Ctx, Stage, consent, present_choices, reading, refuse};
use crate::card::authenticity::{AuthenticityError, verify_pin_key};
use crate::card::{CardKey, CardKind, PinSlot, PinStatus, SmartphonePlatform, VerifyOutcome};
use crate::reception::VisitStage;
use crate::reception::card_io::{CardTask, TaskResult};
use crate::reception::evidence::{IdentityEvidence, PinEntry, PinSubmission, user_pin};
use crate::reception::io::{InputKind, RejectReason, UserInput};
use crate::reception::outcome::{MethodChoice, RefusalReason, VisitEvent};
use crate::reception::screen::Screen;

#[derive(Debug)]
enum Step {
    /// Asking the card for the count.
    Querying,
    /// One try left: the patient confirms, or chooses another way.
    LastTryWarning(PinEntry),
    /// Waiting for the PIN.
    Entry(PinEntry),
    /// The count re-read and the VERIFY, in flight.
    Verifying(PinSubmission),
    /// Android: the certificate, readable once the PIN is verified.
    ReadingCertificate(IdentityEvidence),
    /// The user-authentication key is signing the visit's challenge.
    ProvingKey(IdentityEvidence),
}

/// What the user-authentication key signs after the PIN: the visit's challenge, for this
/// purpose.
const PIN_KEY: &str = "onshi user-authentication key";

/// The PIN stage.
#[derive(Debug)]
pub(in crate::reception) struct PinStage {
    step: Step,
}

impl PinStage {
    pub(super) fn public(&self) -> VisitStage {
        match &self.step {
            Step::Querying => VisitStage::QueryingPin,
            Step::LastTryWarning(_) => VisitStage::LastTryWarning,
            Step::Entry(entry) => VisitStage::PinEntry {
                tries_left: entry.tries_left(),
            },
            Step::Verifying(_) | Step::ProvingKey(_) => VisitStage::VerifyingPin,
            Step::ReadingCertificate(_) => VisitStage::ReadingCertificate,
        }
    }

    /// Whether the card is proving the PIN's key (a card error now means it cannot).
    pub(super) const fn proving_key(&self) -> bool {
        matches!(self.step, Step::ProvingKey(_))
    }

    /// While the entry is on screen the patient may choose another way.
    pub(super) const fn takes_choice(&self) -> bool {
        matches!(self.step, Step::Entry(_) | Step::LastTryWarning(_))
    }

    pub(super) fn expected(&self) -> Vec<InputKind> {
        match self.step {
            Step::Entry(_) => alloc::vec![InputKind::PinEntered],
            Step::LastTryWarning(_) => alloc::vec![InputKind::ConfirmLastTry],
            _ => Vec::new(),
        }
    }

    pub(super) fn user(
        self,
        ctx: &mut Ctx,
        input: UserInput,
    ) -> Result<Stage, (Self, RejectReason)> {
        match (self.step, input) {
            (Step::Entry(mut entry), UserInput::DeclareLegalRepresentative)
            | (Step::LastTryWarning(mut entry), UserInput::DeclareLegalRepresentative) => {
                if let Err(why) = super::declare_representative(ctx) {
                    return Err((restore(entry), why));
                }
                entry.declare_legal_representative();
                Ok(Stage::Pin(restore(entry)))
            }
            (
                step @ (Step::Querying
                | Step::Verifying(_)
                | Step::ReadingCertificate(_)
                | Step::ProvingKey(_)),
                UserInput::DeclareLegalRepresentative,
            ) => match super::declare_representative(ctx) {
                Ok(()) => Ok(Stage::Pin(Self { step })),
                Err(why) => Err((Self { step }, why)),
            },
            (Step::LastTryWarning(mut entry), UserInput::ConfirmLastTry) => {
                entry.confirm_last_try();
                ctx.audit(VisitEvent::LastTryConfirmed);
                ctx.show(Screen::EnterPin {
                    tries_left: entry.tries_left(),
                });
                Ok(Stage::Pin(Self {
                    step: Step::Entry(entry),
                }))
            }
            (Step::Entry(entry), UserInput::PinEntered(input)) => {
                let Some(pin) = user_pin(&input) else {
                    ctx.audit(VisitEvent::PinFormatRejected);
                    ctx.show(Screen::PinFormatInvalid {
                        tries_left: entry.tries_left(),
                    });
                    return Ok(Stage::Pin(Self {
                        step: Step::Entry(entry),
                    }));
                };
                match entry.submit(pin) {
                    Ok(mut submission) => {
                        ctx.audit(VisitEvent::PinSubmitted {
                            by_legal_representative: submission.is_legal_representative(),
                        });
                        if let Some(operation) = submission.take_operation() {
                            ctx.facts.unlocked = true;
                            // The proof of the key follows in the same exclusive span.
                            let operation = if ctx.settings.prove_pin_key {
                                operation.holding_span()
                            } else {
                                operation
                            };
                            ctx.start(CardTask::verify(operation));
                        }
                        Ok(Stage::Pin(Self {
                            step: Step::Verifying(submission),
                        }))
                    }
                    Err((entry, _)) => Ok(enter(ctx, entry)),
                }
            }
            (step, _) => Err((Self { step }, RejectReason::NotExpected)),
        }
    }

    pub(super) fn card(self, ctx: &mut Ctx, result: TaskResult) -> Stage {
        match (self.step, result) {
            (Step::Querying, TaskResult::PinStatus(PinSlot::UserAuth, status)) => {
                ctx.audit(VisitEvent::PinStatusRead { status });
                ctx.facts.user_pin = status;
                match new_entry(ctx) {
                    Some(entry) => enter(ctx, entry),
                    None => present_choices(ctx),
                }
            }
            (Step::Verifying(submission), TaskResult::Verify(outcome)) => {
                verified(ctx, submission, outcome)
            }
            (Step::ReadingCertificate(evidence), TaskResult::Certificate(certificate)) => {
                match reading::trusted_certificate(ctx, certificate, true) {
                    Some(reason) => refuse(ctx, reason),
                    None => prove_key(ctx, evidence),
                }
            }
            (Step::ProvingKey(evidence), TaskResult::Signature(answer)) => {
                let challenge = ctx.challenge.for_purpose(PIN_KEY);
                let proven = ctx
                    .facts
                    .certificate
                    .as_ref()
                    .map_or(Err(AuthenticityError::PinKeyNotProven), |certificate| {
                        verify_pin_key(certificate, &challenge, &answer)
                    });
                match proven {
                    Ok(()) => {
                        ctx.facts.verification.pin_key = true;
                        ctx.audit(VisitEvent::PinKeyProven);
                        consent::identity_confirmed(ctx, evidence)
                    }
                    Err(problem) => key_not_proven(ctx, problem),
                }
            }
            (step, _) => Stage::Pin(Self { step }),
        }
    }

    /// Back after a reset or a failure: the count is asked again (a VERIFY whose answer was
    /// lost may have spent a try), and the entry shows what the card says now. On a phone the
    /// reset ended the verified PIN, so it is asked again.
    pub(super) fn resume(self, ctx: &mut Ctx) -> Stage {
        drop(self);
        start(ctx)
    }
}

fn restore(entry: PinEntry) -> PinStage {
    if entry.needs_last_try_confirmation() {
        PinStage {
            step: Step::LastTryWarning(entry),
        }
    } else {
        PinStage {
            step: Step::Entry(entry),
        }
    }
}

/// The PIN was chosen (or is the only way): the entry with the card's count, asking it first
/// when it is not fresh.
pub(super) fn start(ctx: &mut Ctx) -> Stage {
    match new_entry(ctx) {
        Some(entry) => enter(ctx, entry),
        None => {
            ctx.start(CardTask::pin_status(PinSlot::UserAuth));
            Stage::Pin(PinStage {
                step: Step::Querying,
            })
        }
    }
}

/// An entry for the count the card reported to this visit, if it is fresh and above zero.
fn new_entry(ctx: &Ctx) -> Option<PinEntry> {
    let count = ctx.card.fresh_count(PinSlot::UserAuth)?;
    let platform = match ctx.facts.card_kind() {
        Some(CardKind::Smartphone(platform)) => Some(platform),
        _ => None,
    };
    let mut entry = PinEntry::new(count, platform);
    if ctx.facts.legal_representative {
        entry.declare_legal_representative();
    }
    Some(entry)
}

/// Shows the entry, or the last-try warning first.
fn enter(ctx: &mut Ctx, entry: PinEntry) -> Stage {
    if entry.needs_last_try_confirmation() {
        let other_ways = ctx.other_ways(MethodChoice::Pin);
        ctx.show(Screen::LastTryWarning { other_ways });
        Stage::Pin(PinStage {
            step: Step::LastTryWarning(entry),
        })
    } else {
        ctx.show(Screen::EnterPin {
            tries_left: entry.tries_left(),
        });
        Stage::Pin(PinStage {
            step: Step::Entry(entry),
        })
    }
}

/// What the card said to the PIN.
fn verified(ctx: &mut Ctx, submission: PinSubmission, outcome: VerifyOutcome) -> Stage {
    match outcome {
        VerifyOutcome::Verified => {
            ctx.audit(VisitEvent::PinAccepted);
            ctx.facts.user_pin = ctx.card.pin_status(PinSlot::UserAuth);
            let evidence = submission.verified(ctx.now);
            if ctx.facts.card_kind() == Some(CardKind::Smartphone(SmartphonePlatform::Android)) {
                // Android: the certificate is read after the PIN, in the span the VERIFY held
                // for the PIN-key proof.
                ctx.start(if ctx.settings.prove_pin_key {
                    CardTask::certificate_holding_span()
                } else {
                    CardTask::certificate()
                });
                return Stage::Pin(PinStage {
                    step: Step::ReadingCertificate(evidence),
                });
            }
            prove_key(ctx, evidence)
        }
        VerifyOutcome::WrongPin { tries_left } => {
            ctx.audit(VisitEvent::PinRejected { tries_left });
            ctx.facts.user_pin = PinStatus::from_tries(tries_left);
            if tries_left > 0 {
                ctx.show(Screen::WrongPin { tries_left });
            }
            // At 0 the blocked-PIN screen says it all.
            retry(ctx, &submission)
        }
        VerifyOutcome::Blocked => {
            ctx.audit(VisitEvent::PinBlocked);
            ctx.facts.user_pin = PinStatus::Blocked;
            present_choices(ctx)
        }
        VerifyOutcome::CountChanged { now } => {
            // Another program spent tries while the patient typed: nothing was sent; the
            // entry shows the card's count (with the last-try warning if it is one).
            ctx.audit(VisitEvent::PinCountChanged { status: now });
            ctx.facts.user_pin = now;
            if let PinStatus::Remaining(tries_left) = now {
                ctx.show(Screen::PinCountChanged { tries_left });
            }
            retry(ctx, &submission)
        }
    }
}

/// The PIN was accepted: the user-authentication key signs the visit's challenge (unless the
/// facility turned the proof off), then identity is confirmed.
fn prove_key(ctx: &mut Ctx, evidence: IdentityEvidence) -> Stage {
    if !ctx.settings.prove_pin_key {
        return consent::identity_confirmed(ctx, evidence);
    }
    let challenge = ctx.challenge.for_purpose(PIN_KEY);
    ctx.start(CardTask::sign(CardKey::UserAuth, challenge.digest_info()));
    Stage::Pin(PinStage {
        step: Step::ProvingKey(evidence),
    })
}

/// The card accepted the PIN but did not prove it holds the certificate's key: refused.
pub(super) fn key_not_proven(ctx: &mut Ctx, problem: AuthenticityError) -> Stage {
    ctx.audit(VisitEvent::NotAuthentic { problem });
    refuse(ctx, RefusalReason::NotAuthentic)
}

/// A new entry for the count the card reports, or the choice without the PIN.
fn retry(ctx: &mut Ctx, submission: &PinSubmission) -> Stage {
    match ctx.card.fresh_count(PinSlot::UserAuth) {
        Some(count) => enter(ctx, submission.retry(count)),
        None => {
            if ctx.facts.user_pin == PinStatus::Blocked {
                ctx.audit(VisitEvent::PinBlocked);
            }
            present_choices(ctx)
        }
    }
}
