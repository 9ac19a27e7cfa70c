//! After the identity is confirmed: the card's keys are locked again (the application a PIN
//! or 照合番号B unlocked is left, so no other program on the terminal can use them), then the
//! consent screens, then the prescription question.

use alloc::boxed::Box;

use super::{Ctx, Stage, finish_confirmed};
use crate::reception::VisitStage;
use crate::reception::card_io::{CardTask, TaskResult};
use crate::reception::evidence::{ConsentFlow, ConsentStep, IdentityEvidence};
use crate::reception::io::{RejectReason, UserInput};
use crate::reception::outcome::{ConsentRecord, ConsentStatus, EndReason, VisitEvent};
use crate::reception::screen::Screen;

#[derive(Debug)]
enum Step {
    /// Leaving the application before the consent.
    Locking(IdentityEvidence),
    /// A consent screen is up.
    Asking(ConsentFlow),
    /// The consent is finished; the prescription question is up.
    Prescription(Box<(IdentityEvidence, ConsentRecord)>),
}

/// The consent stage.
#[derive(Debug)]
pub(in crate::reception) struct Consent {
    step: Step,
}

impl Consent {
    pub(super) const fn public(&self) -> VisitStage {
        match self.step {
            Step::Locking(_) => VisitStage::LockingCard,
            Step::Asking(_) => VisitStage::Consent,
            Step::Prescription(_) => VisitStage::ChoosingPrescription,
        }
    }

    pub(super) const fn asking(&self) -> bool {
        matches!(self.step, Step::Asking(_))
    }

    pub(super) const fn choosing_prescription(&self) -> bool {
        matches!(self.step, Step::Prescription(_))
    }

    pub(super) const fn locking(&self) -> bool {
        matches!(self.step, Step::Locking(_))
    }

    pub(super) fn user(
        self,
        ctx: &mut Ctx,
        input: UserInput,
    ) -> Result<Stage, (Self, RejectReason)> {
        match (self.step, input) {
            (Step::Asking(flow), UserInput::ConsentAnswer(agreed)) => {
                let item = flow.current_item().cloned();
                ctx.audit(VisitEvent::ConsentAnswered { item, agreed });
                Ok(match flow.answer(agreed, ctx.now) {
                    ConsentStep::Next(flow) => {
                        ctx.show(flow.screen());
                        Stage::Consent(Self {
                            step: Step::Asking(flow),
                        })
                    }
                    ConsentStep::Finished(evidence, record) => consented(ctx, evidence, record),
                })
            }
            (Step::Asking(flow), UserInput::ConsentNotObtainable) => {
                ctx.audit(VisitEvent::ConsentNotObtainable);
                let status = ConsentStatus::NotObtainable { at: ctx.now };
                Ok(finish_confirmed(ctx, flow.abandon(), status))
            }
            (Step::Prescription(answered), UserInput::PrescriptionChosen(choice)) => {
                let (evidence, record) = *answered;
                ctx.audit(VisitEvent::PrescriptionChosen { choice });
                ctx.facts.prescription = Some(choice);
                Ok(finish_confirmed(
                    ctx,
                    evidence,
                    ConsentStatus::Given(record),
                ))
            }
            (step, _) => Err((Self { step }, RejectReason::NotExpected)),
        }
    }

    pub(super) fn card(self, ctx: &mut Ctx, result: TaskResult) -> Stage {
        match (self.step, result) {
            (Step::Locking(evidence), TaskResult::Left) => {
                ctx.facts.unlocked = false;
                ctx.audit(VisitEvent::KeysLocked);
                ask(ctx, evidence)
            }
            (step, _) => Stage::Consent(Self { step }),
        }
    }

    /// Leaving the application failed: the card stays on the reader with a key possibly
    /// unlocked until it is removed or reset. Recorded; the consent goes on.
    pub(super) fn lock_failed(self, ctx: &mut Ctx) -> Stage {
        ctx.audit(VisitEvent::KeysLockFailed);
        match self.step {
            Step::Locking(evidence) => ask(ctx, evidence),
            step @ (Step::Asking(_) | Step::Prescription(_)) => Stage::Consent(Self { step }),
        }
    }

    /// Back after a reset or a failure, with the card's identity checked.
    pub(super) fn resume(self, ctx: &mut Ctx) -> Stage {
        match self.step {
            Step::Locking(evidence) => lock(ctx, evidence),
            step @ (Step::Asking(_) | Step::Prescription(_)) => Stage::Consent(Self { step }),
        }
    }

    /// The card was removed, or the patient walked away: identity stays confirmed, the
    /// consent is not (nothing of it is kept) unless it was finished before the prescription
    /// question, which then stays unanswered.
    pub(super) fn abandoned(self, ctx: &mut Ctx, reason: EndReason) -> Stage {
        let evidence = match self.step {
            Step::Locking(evidence) => evidence,
            Step::Asking(flow) => flow.abandon(),
            Step::Prescription(answered) => {
                let (evidence, record) = *answered;
                return finish_confirmed(ctx, evidence, ConsentStatus::Given(record));
            }
        };
        let consent = if ctx.facts.eligibility_only.is_some() {
            ConsentStatus::NotAsked
        } else {
            ConsentStatus::NotFinished { reason }
        };
        finish_confirmed(ctx, evidence, consent)
    }

    pub(super) fn removed(self, ctx: &mut Ctx) -> Stage {
        self.abandoned(ctx, EndReason::CardRemoved)
    }
}

/// Identity confirmed: lock the keys if a VERIFY was sent, then the consent.
pub(super) fn identity_confirmed(ctx: &mut Ctx, evidence: IdentityEvidence) -> Stage {
    ctx.audit(VisitEvent::IdentityConfirmed {
        method: evidence.method().clone(),
    });
    if ctx.facts.unlocked {
        lock(ctx, evidence)
    } else {
        ask(ctx, evidence)
    }
}

fn lock(ctx: &mut Ctx, evidence: IdentityEvidence) -> Stage {
    ctx.start(CardTask::leave());
    Stage::Consent(Consent {
        step: Step::Locking(evidence),
    })
}

/// The consent screens (none when only eligibility may be confirmed).
fn ask(ctx: &mut Ctx, evidence: IdentityEvidence) -> Stage {
    if ctx.facts.eligibility_only.is_some() {
        return finish_confirmed(ctx, evidence, ConsentStatus::NotAsked);
    }
    match ConsentFlow::start(evidence, &ctx.settings.consent, ctx.now) {
        ConsentStep::Next(flow) => {
            ctx.show(flow.screen());
            Stage::Consent(Consent {
                step: Step::Asking(flow),
            })
        }
        ConsentStep::Finished(evidence, record) => consented(ctx, evidence, record),
    }
}

/// Every consent item answered: the prescription question, if the settings ask it.
fn consented(ctx: &mut Ctx, evidence: IdentityEvidence, record: ConsentRecord) -> Stage {
    if !ctx.settings.consent.ask_prescription {
        return finish_confirmed(ctx, evidence, ConsentStatus::Given(record));
    }
    ctx.show(Screen::ChoosePrescription);
    Stage::Consent(Consent {
        step: Step::Prescription(Box::new((evidence, record))),
    })
}
