//! Logins: the same work for known and unknown names, and throttling per account and per
//! facility.
//!
//! - Per account: after [`BACK_OFF_AFTER`] failed logins in a row, each further failure
//!   refuses logins for a while (30 s, doubling up to 15 min); after [`LOCK_AFTER`], the
//!   account is locked until an admin unlocks it ([`Facility::unlock_account`]). The last
//!   admin who could unlock others is never locked, only backed off, so that nobody can lock
//!   a facility out of its own settings by guessing.
//! - Per facility: after [`FACILITY_BACK_OFF_AFTER`] failed logins in a row under any names,
//!   known or not, all logins are refused for a while (60 s, doubling up to 15 min).
//!
//! A success resets both counts. While a back-off lasts, a login is refused without checking
//! the password. A name no account has costs the same Argon2 work as a known one (it is
//! checked against a decoy hash), so the time a login takes does not tell which names exist.
//! The answers can, once a name has been guessed at five times: an account's back-off and lock
//! are its own (a name no account has is only backed off with the facility). The audit trail
//! records every attempt.

use alloc::string::ToString;

use argon2::password_hash::PasswordVerifier;

use super::{
    AdminSession, Facility, FacilityAction, FacilityError, FacilityEvent, GeneralSession, Role,
    Session,
};
use crate::SecretBytes;
use crate::time::Timestamp;

/// Failed logins in a row for an account after which each failure backs it off.
pub const BACK_OFF_AFTER: u32 = 5;
/// Failed logins in a row after which an account is locked until an admin unlocks it.
pub const LOCK_AFTER: u32 = 20;
/// Failed logins in a row at the facility (any names) after which all logins back off.
pub const FACILITY_BACK_OFF_AFTER: u32 = 20;

/// How long the `n`th back-off lasts: `first` seconds, doubling, at most 15 minutes.
fn back_off_seconds(first: i64, n: u32) -> i64 {
    let doublings = n.min(10);
    first.saturating_mul(1_i64 << doublings).min(15 * 60)
}

impl Facility {
    /// Logs in. Every attempt is audited, never with the password or an unknown name.
    ///
    /// # Errors
    ///
    /// [`FacilityError::LoginFailed`] for an unknown account, a wrong password or a revoked
    /// account; [`FacilityError::LoginThrottled`] during a back-off;
    /// [`FacilityError::AccountLocked`] for a locked account; [`FacilityError::Store`].
    pub fn login(
        &mut self,
        name: &str,
        password: &SecretBytes,
        now: Timestamp,
    ) -> Result<Session, FacilityError> {
        self.transaction(|facility| facility.try_login(name, password, now))
    }

    fn try_login(
        &mut self,
        name: &str,
        password: &SecretBytes,
        now: Timestamp,
    ) -> Result<Session, FacilityError> {
        if let Some(until) = self.state.logins_throttled_until
            && now < until
        {
            return Err(FacilityError::LoginThrottled { retry_at: until });
        }
        let known = self.state.accounts.get(name).cloned();
        if let Some(account) = &known {
            if account.locked {
                return Err(FacilityError::AccountLocked);
            }
            if let Some(until) = account.throttled_until
                && now < until
            {
                return Err(FacilityError::LoginThrottled { retry_at: until });
            }
        }
        // The same Argon2 work whether the name exists or not.
        let hash = known.as_ref().map_or(self.decoy_hash.as_str(), |account| {
            account.password_hash.as_str()
        });
        self.hash_evaluations = self.hash_evaluations.saturating_add(1);
        // Verifying takes the cost from the stored hash.
        let matches = argon2::Argon2::default()
            .verify_password(password.expose_secret(), hash)
            .is_ok();
        match known {
            Some(account) if account.active && matches => {
                self.state.failed_logins = 0;
                self.state.logins_throttled_until = None;
                if let Some(entry) = self.state.accounts.get_mut(name) {
                    entry.failed_logins = 0;
                    entry.throttled_until = None;
                }
                self.record(
                    now,
                    Some(name),
                    FacilityAction::LoggedIn { role: account.role },
                );
                let id = self.state.next_session;
                self.state.next_session = id.saturating_add(1);
                Ok(match account.role {
                    Role::Admin => Session::Admin(AdminSession {
                        facility: self.state.id,
                        account: name.to_string(),
                        id,
                        issued_at: now,
                    }),
                    Role::General => Session::General(GeneralSession {
                        facility: self.state.id,
                        account: name.to_string(),
                    }),
                })
            }
            Some(_) => {
                self.record(now, Some(name), FacilityAction::LoginFailed);
                self.count_failure(now);
                self.count_account_failure(name, now);
                Err(FacilityError::LoginFailed)
            }
            None => {
                self.record(
                    now,
                    Some(FacilityEvent::UNKNOWN_ACCOUNT),
                    FacilityAction::LoginFailed,
                );
                self.count_failure(now);
                Err(FacilityError::LoginFailed)
            }
        }
    }

    /// A failed login at the facility, under any name.
    fn count_failure(&mut self, now: Timestamp) {
        self.state.failed_logins = self.state.failed_logins.saturating_add(1);
        if let Some(n) = self
            .state
            .failed_logins
            .checked_sub(FACILITY_BACK_OFF_AFTER)
        {
            let until = now.saturating_add_seconds(back_off_seconds(60, n));
            self.state.logins_throttled_until = Some(until);
            self.record(now, None, FacilityAction::LoginThrottled { until });
        }
    }

    /// A failed login of an existing account.
    fn count_account_failure(&mut self, name: &str, now: Timestamp) {
        let other_admins = self.state.accounts.iter().any(|(other, account)| {
            other != name && account.role == Role::Admin && account.active && !account.locked
        });
        let Some(account) = self.state.accounts.get_mut(name) else {
            return;
        };
        account.failed_logins = account.failed_logins.saturating_add(1);
        let failures = account.failed_logins;
        // The last admin is only backed off: locking it would lock the facility out.
        let lockable = account.role == Role::General || other_admins;
        if failures >= LOCK_AFTER && lockable {
            account.locked = true;
            self.record(now, Some(name), FacilityAction::AccountLocked);
        } else if let Some(n) = failures.checked_sub(BACK_OFF_AFTER) {
            let until = now.saturating_add_seconds(back_off_seconds(30, n));
            account.throttled_until = Some(until);
            self.record(now, Some(name), FacilityAction::LoginThrottled { until });
        }
    }

    /// Unlocks an account locked by failed logins.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], [`FacilityError::NoSuchAccount`],
    /// [`FacilityError::AccountNotLocked`], [`FacilityError::Store`].
    pub fn unlock_account(
        &mut self,
        admin: &AdminSession,
        name: &str,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            let account = facility
                .state
                .accounts
                .get_mut(name)
                .ok_or(FacilityError::NoSuchAccount)?;
            if !account.locked {
                return Err(FacilityError::AccountNotLocked);
            }
            account.locked = false;
            account.failed_logins = 0;
            account.throttled_until = None;
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::AccountUnlocked {
                    name: name.to_string(),
                },
            );
            Ok(())
        })
    }

    /// How many Argon2 verifications logins have run (for tests that check a login under an
    /// unknown name costs the same as under a known one).
    #[doc(hidden)]
    #[must_use]
    pub const fn password_verifications(&self) -> u64 {
        self.hash_evaluations
    }
}
