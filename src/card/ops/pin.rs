//! The PIN operations: the retry-count query, which spends no try, and VERIFY, sent at most
//! once and only with a fresh count above zero.

use super::route::Route;
use super::unexpected;
use crate::apdu::{Command, StatusMeaning, StatusWord};
use crate::card::session::{CardOperation, CardState, Recovery, Reply, Request, Step};
use crate::card::{Pin, PinSlot, PinStatus};
use crate::error::{CardIncompatible, Error, Operation, UsageError};

/// `6A 88`: referenced data (here: the PIN) not found.
const REFERENCE_NOT_FOUND: StatusWord = StatusWord::from_u16(0x6A88);

/// Asks a PIN's retry counter without spending a try: SELECT the PIN's EF, then the empty
/// VERIFY `00 20 00 80`.
///
/// `63 Cx` gives `x` tries (0: blocked); `69 83`/`69 84` blocked; `90 00` (already verified
/// in this session, so the counter is full) the kind's maximum. A PIN EF the card does not
/// have is [`PinStatus::NotSet`], which is how the virtual card models a face-authentication
/// card (unconfirmed on real cards).
#[derive(Debug)]
pub struct QueryPinStatus {
    slot: PinSlot,
    route: Route,
    sent: bool,
}

impl QueryPinStatus {
    /// Queries the PIN in `slot`.
    #[must_use]
    pub const fn new(slot: PinSlot) -> Self {
        Self {
            slot,
            route: Route::new(slot.application(), Some(slot.file())),
            sent: false,
        }
    }
}

impl CardOperation for QueryPinStatus {
    type Output = PinStatus;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<PinStatus>, Error> {
        if !self.sent {
            match self.route.step(state, &mut reply) {
                Ok(Some(request)) => return Ok(Step::Send(request)),
                Ok(None) => {}
                Err(Error::CardIncompatible(CardIncompatible::FileMissing(_))) => {
                    state.set_pin_status(self.slot, PinStatus::NotSet);
                    return Ok(Step::Done(PinStatus::NotSet));
                }
                Err(error) => return Err(error),
            }
            self.sent = true;
            return Ok(Step::Send(Request::new(
                Command::retry_count_query(),
                Operation::RetryQuery,
                Recovery::Never,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        let status = match reply.status.meaning() {
            StatusMeaning::WrongPin { tries_left } => PinStatus::from_tries(tries_left),
            StatusMeaning::PinBlocked => PinStatus::Blocked,
            StatusMeaning::Success => {
                state.set_verified(self.slot);
                self.slot.full_status()
            }
            _ if reply.status == REFERENCE_NOT_FOUND => PinStatus::NotSet,
            _ => {
                state.set_pin_status(self.slot, PinStatus::Unknown);
                return Err(unexpected(Operation::RetryQuery, reply.status));
            }
        };
        state.set_pin_status(self.slot, status);
        Ok(Step::Done(status))
    }
}

/// What one VERIFY with a PIN gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// The PIN was right; the card reset its counter.
    Verified,
    /// The PIN was wrong and the card has `tries_left` tries left (0: it is now blocked).
    WrongPin {
        /// Tries left, as the card reported (`63 Cx`).
        tries_left: u8,
    },
    /// The card refused because the PIN is blocked (`69 83`/`69 84`).
    Blocked,
}

/// One VERIFY of a PIN: exactly one command with the PIN, never repeated.
///
/// Refused without sending anything unless the card's last report for the slot is
/// [`PinStatus::Remaining`] with at least one try: query the status first (it spends none).
#[derive(Debug)]
pub struct VerifyPin {
    slot: PinSlot,
    pin: Pin,
    route: Route,
    sent: bool,
}

impl VerifyPin {
    /// Verifies `pin` in `slot`.
    #[must_use]
    pub const fn new(slot: PinSlot, pin: Pin) -> Self {
        Self {
            slot,
            pin,
            route: Route::new(slot.application(), Some(slot.file())),
            sent: false,
        }
    }
}

impl CardOperation for VerifyPin {
    type Output = VerifyOutcome;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<VerifyOutcome>, Error> {
        if !self.sent {
            if self.pin.kind() != self.slot.kind() {
                return Err(UsageError::PinKindMismatch {
                    slot: self.slot,
                    kind: self.pin.kind(),
                }
                .into());
            }
            match state.pin_status(self.slot) {
                PinStatus::Remaining(n) if n > 0 => {}
                PinStatus::Blocked | PinStatus::Remaining(_) => {
                    return Err(UsageError::PinBlocked(self.slot).into());
                }
                PinStatus::NotSet => return Err(CardIncompatible::PinNotSet(self.slot).into()),
                PinStatus::Unknown => return Err(UsageError::RetryCountNotFresh(self.slot).into()),
            }
            if let Some(request) = self.route.step(state, &mut reply)? {
                return Ok(Step::Send(request));
            }
            self.sent = true;
            let command = Command::verify(self.pin.secret())?;
            return Ok(Step::Send(Request::new(
                command,
                Operation::Verify,
                Recovery::Never,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        let outcome = match reply.status.meaning() {
            StatusMeaning::Success => {
                state.set_verified(self.slot);
                state.set_pin_status(self.slot, self.slot.full_status());
                VerifyOutcome::Verified
            }
            StatusMeaning::WrongPin { tries_left } => {
                state.set_pin_status(self.slot, PinStatus::from_tries(tries_left));
                VerifyOutcome::WrongPin { tries_left }
            }
            StatusMeaning::PinBlocked => {
                state.set_pin_status(self.slot, PinStatus::Blocked);
                VerifyOutcome::Blocked
            }
            _ => {
                state.set_pin_status(self.slot, PinStatus::Unknown);
                return Err(unexpected(Operation::Verify, reply.status));
            }
        };
        Ok(Step::Done(outcome))
    }
}
