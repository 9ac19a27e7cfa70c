//! After a reset or a card or reader failure: the card's identity is read again (token, then
//! certificate), and the visit goes back to where the patient was if it is the same card, or
//! reads the new card from the start if it is not.

use alloc::boxed::Box;

use super::{Ctx, Stage, card_changed, reading};
use crate::reception::card_io::{CardTask, TaskResult, serial_hex};
use crate::reception::outcome::VisitEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Token,
    Certificate,
}

/// Checking the card's identity before going back.
#[derive(Debug)]
pub(in crate::reception) struct Recovering {
    resume: Box<Stage>,
    step: Step,
}

/// Starts the identity check; the interrupted state waits in it.
pub(super) fn start(ctx: &mut Ctx, interrupted: Stage) -> Stage {
    ctx.drop_task();
    ctx.card.forget_card();
    ctx.audit(VisitEvent::CardRecheck);
    if ctx.facts.identity.is_none() || ctx.facts.iphone {
        // Nothing was read that could be lost: read the card from the start.
        drop(interrupted);
        return reading::start(ctx);
    }
    ctx.start(CardTask::token());
    Stage::Recovering(Recovering {
        resume: Box::new(interrupted),
        step: Step::Token,
    })
}

impl Recovering {
    pub(super) fn card(self, ctx: &mut Ctx, result: TaskResult) -> Stage {
        let known = ctx.facts.identity.clone();
        match (self.step, result, known) {
            (Step::Token, TaskResult::Token(token), Some(known)) => {
                if token.serial_number != known.chip_serial || token.kind != token_kind(ctx) {
                    return card_changed(Stage::Recovering(self), ctx);
                }
                if known.certificate_serial.is_some() && !ctx.facts.iphone {
                    let Some(kind) = ctx.facts.card_kind() else {
                        return card_changed(Stage::Recovering(self), ctx);
                    };
                    if !kind.is_smartphone() {
                        ctx.start(CardTask::certificate());
                        return Stage::Recovering(Self {
                            resume: self.resume,
                            step: Step::Certificate,
                        });
                    }
                }
                resume(ctx, *self.resume)
            }
            (Step::Certificate, TaskResult::Certificate(certificate), Some(known)) => {
                if known.certificate_serial.as_deref()
                    != Some(serial_hex(certificate.serial()).as_str())
                {
                    return card_changed(Stage::Recovering(self), ctx);
                }
                resume(ctx, *self.resume)
            }
            (step, _, _) => Stage::Recovering(Self {
                resume: self.resume,
                step,
            }),
        }
    }
}

fn token_kind(ctx: &Ctx) -> crate::card::CardKind {
    ctx.facts
        .card_kind()
        .unwrap_or(crate::card::CardKind::MyNumberCard)
}

/// The same card: back to where the patient was, asking again what the card layer forgot.
fn resume(ctx: &mut Ctx, stage: Stage) -> Stage {
    ctx.audit(VisitEvent::SameCard);
    match stage {
        Stage::Reading(reading) => reading.resume(ctx),
        Stage::Pin(pin) => pin.resume(ctx),
        Stage::Face(face) => face.resume(ctx),
        Stage::Consent(consent) => consent.resume(ctx),
        Stage::Recovering(inner) => resume(ctx, *inner.resume),
        other => other,
    }
}
