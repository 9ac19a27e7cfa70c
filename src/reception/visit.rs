//! [`Visit`]: one patient's visit at the reader, sans-IO. It dispatches each input to the
//! state it is in ([`flow`](super::flow)) and hands out what the states produced.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::flow::{self, Ctx, Stage};
use super::io::{
    Input, InputKind, InputRejected, Output, ReaderContext, RejectReason, StaffNotice,
};
use super::outcome::{EndReason, MethodChoice, Outcome, VisitEvent};
use super::screen::Screen;
use super::settings::VisitSettings;
use crate::card::CardState;
use crate::card::authenticity::Challenge;
use crate::facility::ReaderMode;
use crate::reader::CardEvent;
use crate::time::Timestamp;

/// Where a visit stands, for products that store or display it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum VisitStage {
    AwaitingCard,
    ReadingCard,
    AwaitingVerificationNumberB,
    ReadingPhoto,
    ChoosingMethod,
    AwaitingStaffConfirmation,
    FaceCapture {
        attempt: u8,
    },
    FaceMatching {
        attempt: u8,
    },
    QueryingPin,
    LastTryWarning,
    PinEntry {
        tries_left: u8,
    },
    VerifyingPin,
    ReadingCertificate,
    StaffPasscode {
        attempts_left: u8,
    },
    /// The card was reset, or failed: its identity is being checked before the visit goes on.
    Recovering,
    /// The keys a PIN or 照合番号B unlocked are being locked again.
    LockingCard,
    Consent,
    /// The prescription question (electronic or paper) is on screen.
    ChoosingPrescription,
    Finished,
}

/// One patient's visit at the reader, sans-IO: feed inputs with [`Visit::handle`], drain
/// outputs with [`Visit::poll`] until [`Output::Wait`]. It never reads a clock, never blocks,
/// never touches a device.
///
/// See the [module documentation](super) for the run loop.
#[derive(Debug)]
pub struct Visit {
    ctx: Ctx,
    stage: Stage,
    deadline: Timestamp,
}

// A visit can move between threads (a host's worker pool, the C ABI's handles).
const _: () = {
    const fn is_send<T: Send>() {}
    is_send::<Visit>();
};

impl core::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ctx")
            .field("reader", &self.context.reader)
            .field("mode", &self.context.mode)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Visit {
    /// A visit starting at `now` on the reader described by `context`. `challenge` is this
    /// visit's own: 32 fresh random bytes from the operating system (never reused), which the
    /// card signs to prove it is genuine and present.
    #[must_use]
    pub fn new(
        context: ReaderContext,
        settings: VisitSettings,
        now: Timestamp,
        challenge: Challenge,
    ) -> Self {
        let deadline = now.saturating_add_seconds(settings.idle_timeout_seconds);
        let mut ctx = Ctx::new(context, settings, now, challenge);
        ctx.audit(VisitEvent::VisitStarted {
            mode: ctx.context.mode,
        });
        ctx.show(Screen::PlaceCard);
        let mut visit = Self {
            ctx,
            stage: Stage::AwaitingCard,
            deadline,
        };
        visit.check_reminder();
        visit
    }

    /// The next output. When there is nothing else to do it is [`Output::Wait`] (or, once the
    /// visit is over, [`Output::Finished`]): that ends a burst.
    pub fn poll(&mut self) -> Output {
        if let Some(output) = self.ctx.next_output() {
            return output;
        }
        match &self.ctx.outcome {
            Some(outcome) => Output::Finished(outcome.clone()),
            None => Output::Wait {
                until: self.wake_at(),
            },
        }
    }

    /// When the visit wants a [`Input::Tick`] at the latest.
    fn wake_at(&self) -> Timestamp {
        match self.reminder_at() {
            Some(reminder) if reminder < self.deadline => reminder,
            _ => self.deadline,
        }
    }

    fn reminder_at(&self) -> Option<Timestamp> {
        (self.ctx.context.mode == ReaderMode::LegacyVisual && !self.ctx.reminded).then(|| {
            self.ctx
                .context
                .mode_since
                .saturating_add_seconds(self.ctx.context.legacy_reminder_seconds)
        })
    }

    /// Where the visit stands.
    #[must_use]
    pub fn stage(&self) -> VisitStage {
        self.stage.public()
    }

    /// The outcome, once the visit is over.
    #[must_use]
    pub const fn outcome(&self) -> Option<&Outcome> {
        self.ctx.outcome.as_ref()
    }

    /// The reader context the visit began with.
    pub(crate) const fn context(&self) -> &ReaderContext {
        &self.ctx.context
    }

    /// What the card layer knows (traffic counters included).
    #[must_use]
    pub const fn card_state(&self) -> &CardState {
        &self.ctx.card
    }

    /// The methods the identity screen offers now.
    #[must_use]
    pub fn available_methods(&self) -> Vec<MethodChoice> {
        self.ctx.methods()
    }

    /// The kinds of input the visit takes now (so a UI can enable and disable its controls).
    #[must_use]
    pub fn expected_inputs(&self) -> Vec<InputKind> {
        flow::expected(&self.stage, &self.ctx)
    }

    /// Whether the visit takes an input of this kind now. A choice is taken only for a method
    /// that is offered ([`available_methods`](Self::available_methods)).
    #[must_use]
    pub fn accepts(&self, kind: InputKind) -> bool {
        self.expected_inputs().contains(&kind)
    }

    /// Feeds one input at time `now`.
    ///
    /// # Errors
    ///
    /// [`InputRejected`] when the visit does not take this input now, with the reason; nothing
    /// changes then, and the idle deadline does not move.
    pub fn handle<'a>(
        &mut self,
        now: Timestamp,
        input: impl Into<Input<'a>>,
    ) -> Result<(), InputRejected> {
        let input = input.into();
        let kind = input.kind();
        let reject = |visit: &Self, reason| InputRejected {
            stage: visit.stage(),
            input: kind,
            reason,
        };
        if self.ctx.outcome.is_some() {
            return Err(reject(self, RejectReason::Finished));
        }
        let before = self.ctx.now;
        self.ctx.now = self.ctx.now.max(now);
        let was_closing = self.stage.is_closing();
        if matches!(input, Input::User(_)) && self.ctx.now >= self.deadline && !was_closing {
            // Too late: the visit timed out before this input came.
            let stage = core::mem::replace(&mut self.stage, Stage::Finished);
            self.stage = self.tick(stage);
            self.arm_closing(was_closing);
            return Err(reject(self, RejectReason::Finished));
        }
        let stage = core::mem::replace(&mut self.stage, Stage::Finished);
        let (stage, result, rearm) = match input {
            Input::Tick => {
                let stage = self.tick(stage);
                (stage, Ok(()), false)
            }
            Input::Card(event) => match self.card_event(stage, event) {
                Ok(stage) => (stage, Ok(()), true),
                Err(stage) => (stage, Err(RejectReason::NotExpected), false),
            },
            Input::CardResponse(bytes) => {
                let taken = self.ctx.card_response(bytes);
                (
                    stage,
                    taken.then_some(()).ok_or(RejectReason::NoCommandPending),
                    false,
                )
            }
            Input::TransportFailed(error) => {
                let taken = self.ctx.transport_failed(error);
                (
                    stage,
                    taken.then_some(()).ok_or(RejectReason::NoCommandPending),
                    false,
                )
            }
            Input::User(user) => match stage.user(&mut self.ctx, user) {
                Ok(stage) => (stage, Ok(()), true),
                Err((stage, why)) => (stage, Err(why), false),
            },
        };
        self.stage = stage;
        if let Err(reason) = result {
            self.ctx.now = before;
            return Err(reject(self, reason));
        }
        // Card tasks that finished: their results go to the state that waits for them.
        while let Some(result) = self.ctx.take_ready() {
            let stage = core::mem::replace(&mut self.stage, Stage::Finished);
            self.stage = stage.card(&mut self.ctx, result);
        }
        if rearm && self.ctx.outcome.is_none() {
            self.deadline = self
                .ctx
                .now
                .saturating_add_seconds(self.ctx.settings.idle_timeout_seconds);
        }
        self.arm_closing(was_closing);
        Ok(())
    }

    /// The visit has just decided its result and is locking the card: the lock gets a
    /// deadline of its own (a timeout that ended the visit must not also cut the lock short,
    /// and no input from a person can).
    fn arm_closing(&mut self, was_closing: bool) {
        if !was_closing && self.stage.is_closing() {
            self.deadline = self
                .ctx
                .now
                .saturating_add_seconds(self.ctx.settings.idle_timeout_seconds);
        }
    }

    /// A card event, however the reader reports it: a card placed where one was known is a
    /// new card; a reset makes the visit check the card's identity before going on.
    fn card_event(&mut self, stage: Stage, event: CardEvent) -> Result<Stage, Stage> {
        let ctx = &mut self.ctx;
        let card_known = !matches!(stage, Stage::AwaitingCard);
        Ok(match event {
            CardEvent::Inserted if !card_known => {
                ctx.audit(VisitEvent::CardPlaced);
                ctx.card.forget_card();
                flow::card_placed(ctx)
            }
            CardEvent::Inserted => flow::card_changed(stage, ctx),
            CardEvent::Removed if !card_known => return Err(stage),
            CardEvent::Removed => {
                ctx.audit(VisitEvent::CardRemoved);
                flow::card_removed(stage, ctx)
            }
            // A reset of a card the visit does not know changes nothing (and is no activity).
            CardEvent::Reset if !card_known => return Err(stage),
            CardEvent::Reset => {
                ctx.audit(VisitEvent::CardReset);
                flow::reset(stage, ctx)
            }
        })
    }

    fn tick(&mut self, stage: Stage) -> Stage {
        self.check_reminder();
        if self.ctx.now < self.deadline {
            return stage;
        }
        flow::timed_out(stage, &mut self.ctx, EndReason::TimedOut)
    }

    fn check_reminder(&mut self) {
        if let Some(at) = self.reminder_at()
            && self.ctx.now >= at
        {
            self.ctx.reminded = true;
            let since = self.ctx.context.mode_since;
            self.ctx.audit(VisitEvent::LegacyModeReminder { since });
            let reader = self.ctx.context.reader;
            self.ctx
                .emit(Output::StaffNotice(StaffNotice::LegacyModeStillOn {
                    reader,
                    since,
                }));
        }
    }
}
