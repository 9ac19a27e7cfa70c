//! The 2025 on-reader staff photo check (「職員による顔写真確認」): a staff member compares the
//! patient with the card's photo and enters the facility passcode; wrong passcodes are
//! limited per visit (and counted across visits by the facility).

use super::{Ctx, Stage, consent, present_choices};
use crate::reception::VisitStage;
use crate::reception::evidence::{StaffCheck, StaffCheckResult};
use crate::reception::io::{RejectReason, UserInput};
use crate::reception::outcome::{MethodChoice, VisitEvent};
use crate::reception::policy::NotOffered;
use crate::reception::screen::Screen;

/// The staff check stage.
#[derive(Debug)]
pub(in crate::reception) struct Staff {
    check: StaffCheck,
}

impl Staff {
    pub(super) fn public(&self) -> VisitStage {
        VisitStage::StaffPasscode {
            attempts_left: self.check.attempts_left(),
        }
    }

    pub(super) fn user(
        self,
        ctx: &mut Ctx,
        input: UserInput,
    ) -> Result<Stage, (Self, RejectReason)> {
        match input {
            UserInput::StaffPasscode { staff_id, passcode } => {
                let Some(expected) = ctx.context.staff_passcode.clone() else {
                    let why = RejectReason::NotOffered {
                        method: MethodChoice::StaffCheck,
                        why: NotOffered::NoPasscode,
                    };
                    return Err((self, why));
                };
                Ok(
                    match self
                        .check
                        .submit(staff_id.clone(), &passcode, &expected, ctx.now)
                    {
                        StaffCheckResult::Confirmed(evidence) => {
                            ctx.audit(VisitEvent::StaffPasscodeAccepted { staff_id });
                            consent::identity_confirmed(ctx, evidence)
                        }
                        StaffCheckResult::Wrong(next) => {
                            ctx.facts.staff_failures = ctx.facts.staff_failures.saturating_add(1);
                            ctx.facts.staff_attempts_left = next.attempts_left();
                            ctx.audit(VisitEvent::StaffPasscodeRejected {
                                staff_id,
                                failures: ctx.facts.staff_failures,
                            });
                            ctx.show(Screen::StaffPasscodeWrong {
                                attempts_left: next.attempts_left(),
                            });
                            Stage::Staff(Self { check: next })
                        }
                        StaffCheckResult::Withdrawn => {
                            ctx.facts.staff_failures = ctx.facts.staff_failures.saturating_add(1);
                            ctx.facts.staff_attempts_left = 0;
                            ctx.audit(VisitEvent::StaffPasscodeRejected {
                                staff_id,
                                failures: ctx.facts.staff_failures,
                            });
                            ctx.audit(VisitEvent::StaffCheckWithdrawn);
                            present_choices(ctx)
                        }
                    },
                )
            }
            UserInput::DeclareLegalRepresentative => match super::declare_representative(ctx) {
                Ok(()) => Ok(Stage::Staff(self)),
                Err(why) => Err((self, why)),
            },
            _ => Err((self, RejectReason::NotExpected)),
        }
    }
}

/// The staff check was chosen.
pub(super) fn start(ctx: &mut Ctx, check: StaffCheck) -> Stage {
    ctx.show(Screen::StaffPasscode {
        attempts_left: check.attempts_left(),
    });
    Stage::Staff(Staff { check })
}
