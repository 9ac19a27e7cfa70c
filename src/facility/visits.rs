//! Visits begun and finished by the facility: each visit's staff passcode attempts are held
//! for it when it begins and settled when it is handed back, so that the facility's lock
//! counts every wrong passcode of every visit and cannot be cleared by a forged outcome.
//!
//! [`Facility::begin_visit`] gives the visit a [`StaffPasscodeCheck`] bound to the facility
//! and to a visit number, holding at most [`STAFF_PASSCODE_ATTEMPTS_PER_VISIT`] attempts
//! (fewer when the lock is near). The attempts are shared by every copy of the check, so a
//! reused [`ReaderContext`] gets no more. [`Facility::finish`] reads what the check itself
//! saw (not the outcome, which is plain data) and releases the hold; until then the held
//! attempts count as wrong ones when the facility decides how many the next visit gets, so
//! a visit never handed back keeps them counted until an admin clears the lock. That includes
//! a visit cut off by a crash or a restart of the terminal: the store keeps the hold, and the
//! admin clears it ([`Facility::unlock_staff_passcode`]) after checking what happened.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use argon2::password_hash::PasswordVerifier;

use super::{Facility, FacilityAction, FacilityError, FacilityId, HashCost, ReaderId, peppered};
use crate::SecretBytes;
use crate::card::authenticity::TrustAnchors;
use crate::reader::ReaderCapabilities;
use crate::reception::{ReaderContext, Visit};
use crate::time::Timestamp;

/// Staff passcode attempts a visit gets at most.
pub const STAFF_PASSCODE_ATTEMPTS_PER_VISIT: u8 = 3;

/// One visit's hold on the passcode, shared by every copy of its check.
struct Attempts {
    hash: String,
    pepper: SecretBytes,
    cost: HashCost,
    left: AtomicU8,
    wrong: AtomicU8,
    accepted: AtomicBool,
}

/// The check of the facility's 4-digit staff passcode for one visit, made by
/// [`Facility::begin_visit`]: the passcode's peppered hash, and the visit's attempts.
#[derive(Clone)]
pub struct StaffPasscodeCheck {
    facility: FacilityId,
    visit: u64,
    attempts: Arc<Attempts>,
}

impl fmt::Debug for StaffPasscodeCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffPasscodeCheck")
            .field("visit", &self.visit)
            .field("attempts_left", &self.attempts_left())
            .finish_non_exhaustive()
    }
}

/// What an attempt at the staff passcode gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PasscodeAttempt {
    /// The right passcode.
    Accepted,
    /// A wrong one (counted).
    Rejected,
    /// No attempt was left: nothing was checked.
    NoneLeft,
}

impl StaffPasscodeCheck {
    /// Attempts this visit has left (shared by every copy of the check).
    #[must_use]
    pub fn attempts_left(&self) -> u8 {
        self.attempts.left.load(Ordering::SeqCst)
    }

    /// Checks `passcode`, spending one attempt.
    pub(crate) fn attempt(&self, passcode: &SecretBytes) -> PasscodeAttempt {
        let spent = self
            .attempts
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            });
        if spent.is_err() {
            return PasscodeAttempt::NoneLeft;
        }
        let held = &self.attempts;
        let matches = peppered(held.cost, &held.pepper).is_ok_and(|argon2| {
            argon2
                .verify_password(passcode.expose_secret(), held.hash.as_str())
                .is_ok()
        });
        if matches {
            self.attempts.accepted.store(true, Ordering::SeqCst);
            // The visit is over for the passcode: nothing more to try.
            self.attempts.left.store(0, Ordering::SeqCst);
            PasscodeAttempt::Accepted
        } else {
            let _ = self
                .attempts
                .wrong
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_add(1));
            PasscodeAttempt::Rejected
        }
    }
}

impl Facility {
    /// Begins a visit at `reader`: its context with the reader's mode, the facility's
    /// settings, the production trust anchors (change them with
    /// [`ReaderContext::with_trust`] for test or virtual cards), and, when a passcode is set
    /// and not locked, a staff passcode check holding this visit's attempts. Hand the visit
    /// back with [`finish`](Self::finish) once it has its outcome.
    ///
    /// # Errors
    ///
    /// [`FacilityError::NoSuchReader`], [`FacilityError::Store`].
    pub fn begin_visit(
        &mut self,
        reader: ReaderId,
        capabilities: ReaderCapabilities,
    ) -> Result<ReaderContext, FacilityError> {
        let settings = self
            .reader_settings(reader)
            .ok_or(FacilityError::NoSuchReader)?;
        let staff_passcode = self.transaction(|facility| Ok(facility.hold_attempts()))?;
        Ok(ReaderContext {
            reader,
            mode: settings.mode,
            mode_since: settings.since,
            staff_passcode,
            capabilities,
            legacy_reminder_seconds: self.state.config.legacy_mode_reminder_seconds,
            trust: TrustAnchors::production(),
        })
    }

    /// Holds attempts for a new visit: as many as fit under the lock with the wrong ones so
    /// far and those held by visits not handed back.
    fn hold_attempts(&mut self) -> Option<StaffPasscodeCheck> {
        let stored = self.state.staff_passcode.clone()?;
        let held: u32 = self.state.open_visits.values().map(|n| u32::from(*n)).sum();
        let room = self
            .state
            .config
            .staff_passcode_lock_after
            .saturating_sub(self.state.staff_passcode_failures)
            .saturating_sub(held);
        let attempts = u8::try_from(room.min(u32::from(STAFF_PASSCODE_ATTEMPTS_PER_VISIT)))
            .unwrap_or(STAFF_PASSCODE_ATTEMPTS_PER_VISIT);
        if attempts == 0 {
            return None;
        }
        let visit = self.state.next_visit;
        self.state.next_visit = visit.saturating_add(1);
        self.state.open_visits.insert(visit, attempts);
        self.dirty = true;
        Some(StaffPasscodeCheck {
            facility: self.state.id,
            visit,
            attempts: Arc::new(Attempts {
                hash: stored.hash,
                pepper: SecretBytes::copy_from(self.keys.pepper.expose_secret()),
                cost: self.state.cost,
                left: AtomicU8::new(attempts),
                wrong: AtomicU8::new(0),
                accepted: AtomicBool::new(false),
            }),
        })
    }

    /// Hands a finished visit back: its wrong staff passcodes count toward the facility's
    /// lock (audited), a right one resets the count (unless the passcode is locked: only an
    /// admin clears a lock), and its held attempts are released. What counts is what the
    /// visit's check saw, not the outcome. A visit without a staff passcode check has nothing
    /// to settle.
    ///
    /// # Errors
    ///
    /// [`FacilityError::VisitNotFinished`] before the visit has its outcome;
    /// [`FacilityError::UnknownVisit`] for a visit another facility began, or one already
    /// handed back; [`FacilityError::Store`].
    pub fn finish(&mut self, visit: &Visit, now: Timestamp) -> Result<(), FacilityError> {
        let Some(check) = visit.context().staff_passcode.as_ref() else {
            return Ok(());
        };
        if visit.outcome().is_none() {
            return Err(FacilityError::VisitNotFinished);
        }
        if check.facility != self.state.id || !self.state.open_visits.contains_key(&check.visit) {
            return Err(FacilityError::UnknownVisit);
        }
        self.transaction(|facility| {
            facility.state.open_visits.remove(&check.visit);
            // Nothing more can be tried with this check.
            check.attempts.left.store(0, Ordering::SeqCst);
            let wrong = check.attempts.wrong.load(Ordering::SeqCst);
            let accepted = check.attempts.accepted.load(Ordering::SeqCst);
            facility.dirty = true;
            if wrong > 0 {
                facility.record(
                    now,
                    None,
                    FacilityAction::StaffPasscodeRejected { entries: wrong },
                );
                let was_locked = facility.staff_passcode_locked();
                facility.state.staff_passcode_failures = facility
                    .state
                    .staff_passcode_failures
                    .saturating_add(u32::from(wrong));
                if !was_locked && facility.staff_passcode_locked() {
                    facility.record(now, None, FacilityAction::StaffPasscodeLocked);
                }
            }
            if accepted && !facility.staff_passcode_locked() {
                facility.state.staff_passcode_failures = 0;
            }
            Ok(())
        })
    }

    /// Visits begun and not handed back yet, with the attempts each holds.
    #[must_use]
    pub fn open_visits(&self) -> usize {
        self.state.open_visits.len()
    }
}
