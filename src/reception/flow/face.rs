//! Face authentication: captures matched against the chip photo the card layer read, under
//! the face policy; after the last failed attempt, the other ways.

use alloc::vec::Vec;

use super::{Ctx, Stage, consent, present_choices};
use crate::face::{FaceMatchError, MatchScore};
use crate::reception::VisitStage;
use crate::reception::evidence::{ChipPhoto, FaceAttempt, FaceResult};
use crate::reception::io::{InputKind, Output, RejectReason, UserInput};
use crate::reception::outcome::VisitEvent;
use crate::reception::screen::Screen;

#[derive(Debug)]
enum Step {
    /// Waiting for the camera.
    Capture(FaceAttempt),
    /// Waiting for the matcher.
    Matching(FaceAttempt),
}

/// The face stage.
#[derive(Debug)]
pub(in crate::reception) struct Face {
    step: Step,
}

impl Face {
    pub(super) fn public(&self) -> VisitStage {
        match &self.step {
            Step::Capture(attempt) => VisitStage::FaceCapture {
                attempt: attempt.number(),
            },
            Step::Matching(attempt) => VisitStage::FaceMatching {
                attempt: attempt.number(),
            },
        }
    }

    /// Back after a card recheck: the capture or match that was asked before it was dropped,
    /// so the same attempt is captured again (the attempt count does not move).
    pub(super) fn resume(self, ctx: &mut Ctx) -> Stage {
        match self.step {
            Step::Capture(attempt) | Step::Matching(attempt) => capture(ctx, attempt),
        }
    }

    pub(super) fn expected(&self) -> Vec<InputKind> {
        match self.step {
            Step::Capture(_) => alloc::vec![InputKind::FaceCapture],
            Step::Matching(_) => alloc::vec![InputKind::FaceMatched],
        }
    }

    pub(super) fn user(
        self,
        ctx: &mut Ctx,
        input: UserInput,
    ) -> Result<Stage, (Self, RejectReason)> {
        match (self.step, input) {
            (Step::Capture(attempt), UserInput::FaceCaptured(capture)) => {
                ctx.emit(Output::MatchFace {
                    chip_photo: attempt.photo().image().to_vec(),
                    capture,
                });
                Ok(Stage::Face(Self {
                    step: Step::Matching(attempt),
                }))
            }
            (Step::Capture(attempt), UserInput::FaceCaptureFailed) => {
                Ok(judge(ctx, attempt, Err(FaceMatchError::NoFaceInCapture)))
            }
            (Step::Matching(attempt), UserInput::FaceMatched(result)) => {
                Ok(judge(ctx, attempt, result))
            }
            (step, UserInput::DeclareLegalRepresentative) => {
                match super::declare_representative(ctx) {
                    Ok(()) => Ok(Stage::Face(Self { step })),
                    Err(why) => Err((Self { step }, why)),
                }
            }
            (step, _) => Err((Self { step }, RejectReason::NotExpected)),
        }
    }
}

/// The face was chosen: the first capture.
pub(super) fn start(ctx: &mut Ctx, photo: ChipPhoto) -> Stage {
    capture(ctx, FaceAttempt::first(ctx.settings.face, photo))
}

fn capture(ctx: &mut Ctx, attempt: FaceAttempt) -> Stage {
    ctx.show(Screen::FaceCapture {
        attempt: attempt.number(),
        of: attempt.allowed(),
    });
    ctx.audit(VisitEvent::FaceCaptureRequested {
        attempt: attempt.number(),
    });
    ctx.emit(Output::CaptureFace);
    Stage::Face(Face {
        step: Step::Capture(attempt),
    })
}

fn judge(ctx: &mut Ctx, attempt: FaceAttempt, result: Result<MatchScore, FaceMatchError>) -> Stage {
    ctx.audit(VisitEvent::FaceMatched {
        attempt: attempt.number(),
        score: result,
        accepted: ctx.settings.face.accepts(result),
    });
    match attempt.judge(result, ctx.now) {
        FaceResult::Confirmed(evidence) => consent::identity_confirmed(ctx, evidence),
        FaceResult::Retry(next) => capture(ctx, next),
        FaceResult::Failed => {
            ctx.audit(VisitEvent::FaceFailed);
            ctx.facts.face_failed = true;
            present_choices(ctx)
        }
    }
}
