//! The facility (医療機関・薬局): accounts and roles, admin sessions, reader modes, the staff
//! passcode for the 2025 on-reader visual check, and an audit trail of all of it.
//!
//! Switching a reader's mode, setting the staff passcode and issuing or revoking accounts need
//! an [`AdminSession`], a capability value that only [`Facility::login`] with an admin
//! (管理者アカウント) password makes. Passwords and the passcode are stored as Argon2id hashes
//! (the `argon2` crate); the library never sees a clock or a random source of its own, so the
//! caller passes the time and the salts in.
//!
//! ```
//! use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
//! use onshi::SecretBytes;
//! use onshi::time::Timestamp;
//!
//! let now = Timestamp::from_unix_seconds(1_795_737_600);
//! let password = SecretBytes::from("correct horse");
//! let mut facility = Facility::new("admin", &password, [7; 16], now, HashCost::FAST_FOR_TESTS)?;
//! let Session::Admin(admin) = facility.login("admin", &password, now)? else { unreachable!() };
//! let reader = ReaderId::new(1);
//! facility.add_reader(&admin, reader, now)?;
//! facility.set_reader_mode(&admin, reader, ReaderMode::LegacyVisual, now)?;
//! assert_eq!(facility.reader_mode(reader), Some(ReaderMode::LegacyVisual));
//! # Ok::<(), onshi::facility::FacilityError>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, Params};
use serde::{Deserialize, Serialize};

use crate::SecretBytes;
use crate::time::Timestamp;

/// How a reader verifies identity. Changed only by an admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderMode {
    /// 無人運転モード (the default): the patient picks face or PIN on the reader.
    Unattended,
    /// 暗証番号認証固定: PIN only. Not found in public sources (`domain.md` §1); kept as a
    /// documented mode because the mission names it.
    PinOnly,
    /// 目視確認モード, switched on the terminal (the legacy, pre-2025 way): staff confirm on the
    /// terminal that they checked the card's photo (目視で本人確認完了), then the patient places
    /// the card and consents. It persists until an admin switches it back, so the next
    /// patients lose face authentication: readers left in it are reported by
    /// [`Facility::mode_reminders`].
    LegacyVisual,
}

impl fmt::Display for ReaderMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unattended => "unattended (無人運転)",
            Self::PinOnly => "PIN only (暗証番号認証固定)",
            Self::LegacyVisual => "visual check (目視確認モード)",
        })
    }
}

/// A face-recognition card reader of the facility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReaderId(u16);

impl ReaderId {
    /// Reader number `n`.
    #[must_use]
    pub const fn new(n: u16) -> Self {
        Self(n)
    }
}

impl fmt::Display for ReaderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CR-{}", self.0)
    }
}

/// An account's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理者アカウント: may switch modes, set the staff passcode, issue and revoke accounts.
    Admin,
    /// A general staff account.
    General,
}

/// Argon2id cost for stored passwords and the passcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
}

impl HashCost {
    /// Argon2id's recommended parameters (19 MiB, 2 iterations), for production.
    pub const RECOMMENDED: Self = Self {
        memory_kib: Params::DEFAULT_M_COST,
        iterations: Params::DEFAULT_T_COST,
    };
    /// The smallest parameters (8 KiB, 1 iteration): for tests and demos only.
    pub const FAST_FOR_TESTS: Self = Self {
        memory_kib: Params::MIN_M_COST,
        iterations: 1,
    };

    fn hasher(self) -> Result<Argon2<'static>, FacilityError> {
        let params = Params::new(self.memory_kib, self.iterations, 1, None)
            .map_err(|_| FacilityError::InvalidHashCost)?;
        Ok(Argon2::from(params))
    }
}

/// Facility-wide settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityConfig {
    /// An admin session ends this many seconds after login (default 15 minutes).
    pub admin_session_seconds: i64,
    /// A reader left in [`ReaderMode::LegacyVisual`] this long is reported (default 30 minutes).
    pub legacy_mode_reminder_seconds: i64,
    /// Consecutive wrong staff passcodes, across visits, after which the passcode is locked
    /// until an admin sets it again (default 10): each visit allows only a few, but a patient
    /// could start visit after visit.
    pub staff_passcode_lock_after: u32,
    /// The audit trail keeps at most this many entries, the newest (default 100 000): past it,
    /// the oldest tenth is dropped, so the trail cannot grow without bound.
    pub audit_retention: u32,
}

impl Default for FacilityConfig {
    fn default() -> Self {
        Self {
            admin_session_seconds: 15 * 60,
            legacy_mode_reminder_seconds: 30 * 60,
            staff_passcode_lock_after: 10,
            audit_retention: 100_000,
        }
    }
}

impl FacilityConfig {
    /// Admin sessions last 1 minute to 8 hours.
    pub const ADMIN_SESSION_SECONDS: core::ops::RangeInclusive<i64> = 60..=8 * 3600;
    /// The legacy-mode reminder comes after 1 minute to 24 hours.
    pub const LEGACY_MODE_REMINDER_SECONDS: core::ops::RangeInclusive<i64> = 60..=24 * 3600;
    /// The staff passcode locks after 1 to 100 wrong entries across visits.
    pub const STAFF_PASSCODE_LOCK_AFTER: core::ops::RangeInclusive<u32> = 1..=100;
    /// The audit trail keeps 1 000 to 10 000 000 entries.
    pub const AUDIT_RETENTION: core::ops::RangeInclusive<u32> = 1_000..=10_000_000;

    /// Whether every setting is within its bounds.
    #[must_use]
    pub fn in_bounds(&self) -> bool {
        Self::ADMIN_SESSION_SECONDS.contains(&self.admin_session_seconds)
            && Self::LEGACY_MODE_REMINDER_SECONDS.contains(&self.legacy_mode_reminder_seconds)
            && Self::STAFF_PASSCODE_LOCK_AFTER.contains(&self.staff_passcode_lock_after)
            && Self::AUDIT_RETENTION.contains(&self.audit_retention)
    }
}

/// Tells facilities in one process apart, so a session of one is refused by another (even
/// with an admin of the same name).
static NEXT_FACILITY: AtomicU32 = AtomicU32::new(1);

#[derive(Clone, Debug)]
struct Account {
    role: Role,
    password_hash: String,
    active: bool,
    /// Sessions opened before this number are no longer valid (revocation, new password).
    sessions_valid_from: u64,
}

/// A reader's current mode and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderSettings {
    /// The mode.
    pub mode: ReaderMode,
    /// When it was set.
    pub since: Timestamp,
}

/// Proof of an admin login: required to change the facility's settings. Not `Clone`, not
/// serializable, made only by [`Facility::login`]; it ends after
/// [`FacilityConfig::admin_session_seconds`] or when the account is revoked.
#[derive(Debug, PartialEq, Eq)]
pub struct AdminSession {
    facility: u32,
    account: String,
    id: u64,
    issued_at: Timestamp,
}

impl AdminSession {
    /// The admin account's name.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }
}

/// A general staff login.
#[derive(Debug, PartialEq, Eq)]
pub struct GeneralSession {
    facility: u32,
    account: String,
}

impl GeneralSession {
    /// The account's name.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }
}

/// What a login opens.
#[derive(Debug, PartialEq, Eq)]
pub enum Session {
    /// An admin session.
    Admin(AdminSession),
    /// A general session.
    General(GeneralSession),
}

/// Where the staff passcode came from (real-card evidence T6: the terminal can fetch it from
/// the national system, 「目視確認用パスコード取得要求/結果」, so it may be issued and changed
/// centrally rather than set by the facility).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasscodeSource {
    /// Set by the facility's admin.
    Facility,
    /// Fetched by the terminal from the national system.
    NationalSystem,
}

/// The check of the facility's 4-digit staff passcode, handed to each visit. Holds the hash
/// only.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffPasscodeCheck {
    hash: String,
}

impl StaffPasscodeCheck {
    /// Whether `passcode` is the facility's passcode.
    #[must_use]
    pub fn matches(&self, passcode: &SecretBytes) -> bool {
        let Ok(hash) = PasswordHash::new(&self.hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(passcode.expose_secret(), &hash)
            .is_ok()
    }
}

impl fmt::Debug for StaffPasscodeCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaffPasscodeCheck(***)")
    }
}

/// A reader left in the legacy visual mode past the reminder time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeReminder {
    /// The reader.
    pub reader: ReaderId,
    /// Since when it is in the legacy visual mode.
    pub since: Timestamp,
    /// For how many seconds.
    pub seconds: i64,
}

/// One entry of the facility's audit trail. No password or passcode ever appears in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityEvent {
    /// When.
    pub at: Timestamp,
    /// Which account acted (or tried to), if any.
    pub actor: Option<String>,
    /// What happened.
    pub action: FacilityAction,
}

/// What happened at the facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FacilityAction {
    /// The facility was set up with its first admin account.
    Created,
    /// A login succeeded.
    LoggedIn {
        /// The role of the account.
        role: Role,
    },
    /// A login failed (unknown account, wrong password or revoked account). The actor is the
    /// account when it exists; a name no account has is never recorded (it may be a password
    /// typed into the wrong field).
    LoginFailed,
    /// A session ended by logging out.
    LoggedOut,
    /// A general account attempted an admin action (a mode switch from the terminal's menu,
    /// say): refused.
    AdminActionRefused,
    /// The facility's settings changed.
    ConfigChanged {
        /// The new settings.
        config: FacilityConfig,
    },
    /// An admin session was refused (expired, revoked, not an admin).
    SessionRefused,
    /// A reader was added.
    ReaderAdded {
        /// The reader.
        reader: ReaderId,
    },
    /// A reader's mode changed.
    ModeChanged {
        /// The reader.
        reader: ReaderId,
        /// Before.
        from: ReaderMode,
        /// After.
        to: ReaderMode,
    },
    /// The staff passcode was set or changed.
    StaffPasscodeSet {
        /// By the admin, or fetched from the national system.
        source: PasscodeSource,
    },
    /// Wrong staff passcodes entered in a visit (never the passcodes; the visit's own audit
    /// names the staff member).
    StaffPasscodeRejected {
        /// How many.
        entries: u8,
    },
    /// Too many wrong staff passcodes across visits: it is locked until an admin unlocks it
    /// (a new passcode does not unlock it).
    StaffPasscodeLocked,
    /// An admin unlocked the staff passcode.
    StaffPasscodeUnlocked,
    /// An account was issued.
    AccountIssued {
        /// Its name.
        name: String,
        /// Its role.
        role: Role,
    },
    /// An account was revoked.
    AccountRevoked {
        /// Its name.
        name: String,
    },
}

/// Why a facility operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FacilityError {
    /// Unknown account or wrong password (not told apart, on purpose).
    #[error("unknown account or wrong password")]
    LoginFailed,
    /// The admin session expired, was revoked, or is not an admin's.
    #[error("the admin session is no longer valid; log in again")]
    SessionInvalid,
    /// An account name must be 1 to 32 of A–Z, a–z, 0–9, `.`, `_`, `-`.
    #[error("invalid account name")]
    InvalidAccountName,
    /// The account already exists.
    #[error("the account already exists")]
    AccountExists,
    /// No such account.
    #[error("no such account")]
    NoSuchAccount,
    /// The account was already revoked.
    #[error("the account was already revoked")]
    AlreadyRevoked,
    /// An admin cannot revoke their own account in the session they use.
    #[error("an admin cannot revoke their own account")]
    CannotRevokeSelf,
    /// A password must have 8 to 128 bytes.
    #[error("a password must have 8 to 128 bytes")]
    WeakPassword,
    /// The staff passcode must be exactly 4 digits.
    #[error("the staff passcode must be 4 digits")]
    InvalidPasscode,
    /// No such reader.
    #[error("no such reader")]
    NoSuchReader,
    /// The reader already exists.
    #[error("the reader already exists")]
    ReaderExists,
    /// The hash parameters are out of Argon2's range.
    #[error("invalid hash cost")]
    InvalidHashCost,
    /// Hashing failed (a salt shorter than 8 bytes, say).
    #[error("password hashing failed")]
    Hashing,
    /// A general account's session was used for an admin action.
    #[error("an admin account is needed for this")]
    NotAnAdmin,
    /// A setting is outside its bounds (see [`FacilityConfig`]).
    #[error("a facility setting is out of its bounds")]
    ConfigOutOfRange,
}

/// The facility: accounts, readers, staff passcode and the audit trail.
#[derive(Debug)]
pub struct Facility {
    /// This facility, among the facilities of the process.
    instance: u32,
    accounts: BTreeMap<String, Account>,
    readers: BTreeMap<ReaderId, ReaderSettings>,
    staff_passcode: Option<(StaffPasscodeCheck, PasscodeSource)>,
    staff_passcode_failures: u32,
    audit: Vec<FacilityEvent>,
    cost: HashCost,
    config: FacilityConfig,
    next_session: u64,
}

impl Facility {
    /// Sets up the facility with its first admin account (the 管理者アカウント issued on
    /// application).
    ///
    /// # Errors
    ///
    /// [`FacilityError::InvalidAccountName`], [`FacilityError::WeakPassword`], hashing errors.
    pub fn new(
        admin_name: &str,
        admin_password: &SecretBytes,
        salt: [u8; 16],
        now: Timestamp,
        cost: HashCost,
    ) -> Result<Self, FacilityError> {
        let mut facility = Self {
            instance: NEXT_FACILITY.fetch_add(1, Ordering::Relaxed),
            accounts: BTreeMap::new(),
            readers: BTreeMap::new(),
            staff_passcode: None,
            staff_passcode_failures: 0,
            audit: Vec::new(),
            cost,
            config: FacilityConfig::default(),
            next_session: 1,
        };
        facility.insert_account(admin_name, admin_password, Role::Admin, salt)?;
        facility.record(now, Some(admin_name), FacilityAction::Created);
        Ok(facility)
    }

    /// The facility's settings.
    #[must_use]
    pub const fn config(&self) -> FacilityConfig {
        self.config
    }

    /// Changes the facility's settings; audited.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`]; [`FacilityError::ConfigOutOfRange`] when a setting
    /// is outside its bounds (a lock that never locks, a session that lasts for years).
    pub fn set_config(
        &mut self,
        admin: &AdminSession,
        config: FacilityConfig,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        if !config.in_bounds() {
            return Err(FacilityError::ConfigOutOfRange);
        }
        self.config = config;
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::ConfigChanged { config },
        );
        Ok(())
    }

    /// The admin session inside `session`, for an admin action; a general account's attempt is
    /// refused and audited (a terminal may offer the action's button to everyone).
    ///
    /// # Errors
    ///
    /// [`FacilityError::NotAnAdmin`] for a general account's session.
    pub fn admin<'s>(
        &mut self,
        session: &'s Session,
        now: Timestamp,
    ) -> Result<&'s AdminSession, FacilityError> {
        match session {
            Session::Admin(admin) => Ok(admin),
            Session::General(general) => {
                let actor = (general.facility == self.instance).then_some(general.account.as_str());
                self.record(now, actor, FacilityAction::AdminActionRefused);
                Err(FacilityError::NotAnAdmin)
            }
        }
    }

    /// Logs out: an admin session, and every earlier one of the same account, ends.
    pub fn logout(&mut self, session: Session, now: Timestamp) {
        let (facility, account, admin_id) = match &session {
            Session::Admin(admin) => (admin.facility, admin.account.as_str(), Some(admin.id)),
            Session::General(general) => (general.facility, general.account.as_str(), None),
        };
        if facility != self.instance {
            return;
        }
        if let (Some(id), Some(entry)) = (admin_id, self.accounts.get_mut(account)) {
            entry.sessions_valid_from = entry.sessions_valid_from.max(id.saturating_add(1));
        }
        let account = account.to_string();
        self.record(now, Some(&account), FacilityAction::LoggedOut);
    }

    /// Logs in. Every attempt is audited, never with the password.
    ///
    /// # Errors
    ///
    /// [`FacilityError::LoginFailed`] for an unknown account, a wrong password or a revoked
    /// account.
    pub fn login(
        &mut self,
        name: &str,
        password: &SecretBytes,
        now: Timestamp,
    ) -> Result<Session, FacilityError> {
        let verified = self.accounts.get(name).is_some_and(|account| {
            account.active
                && PasswordHash::new(&account.password_hash).is_ok_and(|hash| {
                    Argon2::default()
                        .verify_password(password.expose_secret(), &hash)
                        .is_ok()
                })
        });
        let role = self.accounts.get(name).map(|account| account.role);
        match (verified, role) {
            (true, Some(role)) => {
                self.record(now, Some(name), FacilityAction::LoggedIn { role });
                let id = self.next_session;
                self.next_session += 1;
                Ok(match role {
                    Role::Admin => Session::Admin(AdminSession {
                        facility: self.instance,
                        account: name.to_string(),
                        id,
                        issued_at: now,
                    }),
                    Role::General => Session::General(GeneralSession {
                        facility: self.instance,
                        account: name.to_string(),
                    }),
                })
            }
            (_, known) => {
                // A name no account has is not recorded: it may be a password typed into the
                // name field, and it is unbounded.
                let actor = known.is_some().then_some(name);
                self.record(now, actor, FacilityAction::LoginFailed);
                Err(FacilityError::LoginFailed)
            }
        }
    }

    /// Adds a reader, in [`ReaderMode::Unattended`].
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], [`FacilityError::ReaderExists`].
    pub fn add_reader(
        &mut self,
        admin: &AdminSession,
        reader: ReaderId,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        if self.readers.contains_key(&reader) {
            return Err(FacilityError::ReaderExists);
        }
        self.readers.insert(
            reader,
            ReaderSettings {
                mode: ReaderMode::Unattended,
                since: now,
            },
        );
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::ReaderAdded { reader },
        );
        Ok(())
    }

    /// Switches a reader's mode; it takes effect for the next visit and persists until
    /// switched again.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], [`FacilityError::NoSuchReader`].
    pub fn set_reader_mode(
        &mut self,
        admin: &AdminSession,
        reader: ReaderId,
        mode: ReaderMode,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        let settings = self
            .readers
            .get_mut(&reader)
            .ok_or(FacilityError::NoSuchReader)?;
        let from = settings.mode;
        *settings = ReaderSettings { mode, since: now };
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::ModeChanged {
                reader,
                from,
                to: mode,
            },
        );
        Ok(())
    }

    /// Sets the 4-digit staff passcode for the on-reader visual check (not a card PIN). A
    /// lock from wrong entries stays: a new passcode does not unlock it
    /// ([`unlock_staff_passcode`](Self::unlock_staff_passcode) does).
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], [`FacilityError::InvalidPasscode`].
    pub fn set_staff_passcode(
        &mut self,
        admin: &AdminSession,
        passcode: &SecretBytes,
        salt: [u8; 16],
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        self.store_passcode(passcode, &salt, PasscodeSource::Facility)?;
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::StaffPasscodeSet {
                source: PasscodeSource::Facility,
            },
        );
        Ok(())
    }

    /// Takes the staff passcode the terminal fetched from the national system
    /// (「目視確認用パスコード取得要求/結果」, T6), replacing whatever was set; no admin session,
    /// since the terminal fetches it on its own. Called again whenever the national system
    /// changes it. A lock from wrong entries stays.
    ///
    /// # Errors
    ///
    /// [`FacilityError::InvalidPasscode`] for anything but 4 digits, hashing errors.
    pub fn receive_staff_passcode(
        &mut self,
        passcode: &SecretBytes,
        salt: [u8; 16],
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.store_passcode(passcode, &salt, PasscodeSource::NationalSystem)?;
        self.record(
            now,
            None,
            FacilityAction::StaffPasscodeSet {
                source: PasscodeSource::NationalSystem,
            },
        );
        Ok(())
    }

    fn store_passcode(
        &mut self,
        passcode: &SecretBytes,
        salt: &[u8],
        source: PasscodeSource,
    ) -> Result<(), FacilityError> {
        let digits = passcode.expose_secret();
        if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(FacilityError::InvalidPasscode);
        }
        let hash = self.hash(digits, salt)?;
        self.staff_passcode = Some((StaffPasscodeCheck { hash }, source));
        Ok(())
    }

    /// Unlocks the staff passcode after too many wrong entries (the admin checked who was
    /// guessing).
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`].
    pub fn unlock_staff_passcode(
        &mut self,
        admin: &AdminSession,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        self.staff_passcode_failures = 0;
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::StaffPasscodeUnlocked,
        );
        Ok(())
    }

    /// Where the current staff passcode came from, if one is set.
    #[must_use]
    pub fn staff_passcode_source(&self) -> Option<PasscodeSource> {
        self.staff_passcode.as_ref().map(|(_, source)| *source)
    }

    /// Issues a general staff account.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], name and password errors,
    /// [`FacilityError::AccountExists`].
    pub fn issue_account(
        &mut self,
        admin: &AdminSession,
        name: &str,
        password: &SecretBytes,
        role: Role,
        salt: [u8; 16],
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        self.insert_account(name, password, role, salt)?;
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::AccountIssued {
                name: name.to_string(),
                role,
            },
        );
        Ok(())
    }

    /// Revokes an account; its open sessions end.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], [`FacilityError::NoSuchAccount`],
    /// [`FacilityError::AlreadyRevoked`], [`FacilityError::CannotRevokeSelf`].
    pub fn revoke_account(
        &mut self,
        admin: &AdminSession,
        name: &str,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.check_admin(admin, now)?;
        if admin.account == name {
            return Err(FacilityError::CannotRevokeSelf);
        }
        let next = self.next_session;
        let account = self
            .accounts
            .get_mut(name)
            .ok_or(FacilityError::NoSuchAccount)?;
        if !account.active {
            return Err(FacilityError::AlreadyRevoked);
        }
        account.active = false;
        account.sessions_valid_from = next;
        self.record(
            now,
            Some(&admin.account),
            FacilityAction::AccountRevoked {
                name: name.to_string(),
            },
        );
        Ok(())
    }

    /// A reader's mode.
    #[must_use]
    pub fn reader_mode(&self, reader: ReaderId) -> Option<ReaderMode> {
        self.readers.get(&reader).map(|settings| settings.mode)
    }

    /// A reader's settings (mode and since when).
    #[must_use]
    pub fn reader_settings(&self, reader: ReaderId) -> Option<ReaderSettings> {
        self.readers.get(&reader).copied()
    }

    /// The staff passcode check for a visit, when a passcode is set and not locked.
    #[must_use]
    pub fn staff_passcode_check(&self) -> Option<StaffPasscodeCheck> {
        if self.staff_passcode_locked() {
            return None;
        }
        self.staff_passcode.as_ref().map(|(check, _)| check.clone())
    }

    /// Whether too many wrong staff passcodes locked it (until an admin unlocks it).
    #[must_use]
    pub const fn staff_passcode_locked(&self) -> bool {
        self.staff_passcode_failures >= self.config.staff_passcode_lock_after
    }

    /// Records a visit's staff passcode entries: its wrong entries, and whether it ended with
    /// the right one (which resets the count). Call it with every visit's outcome.
    pub fn record_staff_passcode_entries(&mut self, wrong: u8, then_right: bool, now: Timestamp) {
        if then_right {
            self.staff_passcode_failures = 0;
            return;
        }
        if wrong == 0 {
            return;
        }
        self.record(
            now,
            None,
            FacilityAction::StaffPasscodeRejected { entries: wrong },
        );
        let was_locked = self.staff_passcode_locked();
        self.staff_passcode_failures = self
            .staff_passcode_failures
            .saturating_add(u32::from(wrong));
        if !was_locked && self.staff_passcode_locked() {
            self.record(now, None, FacilityAction::StaffPasscodeLocked);
        }
    }

    /// Readers left in the legacy visual mode longer than the reminder time: facilities forgot
    /// to switch back, and the next patients lost face authentication.
    #[must_use]
    pub fn mode_reminders(&self, now: Timestamp) -> Vec<ModeReminder> {
        self.readers
            .iter()
            .filter(|(_, settings)| settings.mode == ReaderMode::LegacyVisual)
            .map(|(reader, settings)| ModeReminder {
                reader: *reader,
                since: settings.since,
                seconds: now.seconds_since(settings.since),
            })
            .filter(|reminder| reminder.seconds >= self.config.legacy_mode_reminder_seconds)
            .collect()
    }

    /// The audit trail.
    #[must_use]
    pub fn audit(&self) -> &[FacilityEvent] {
        &self.audit
    }

    fn check_admin(&mut self, admin: &AdminSession, now: Timestamp) -> Result<(), FacilityError> {
        let valid = admin.facility == self.instance
            && self.accounts.get(&admin.account).is_some_and(|account| {
                account.active
                    && account.role == Role::Admin
                    && admin.id >= account.sessions_valid_from
                    && now.seconds_since(admin.issued_at) >= 0
                    && now.seconds_since(admin.issued_at) <= self.config.admin_session_seconds
            });
        if valid {
            Ok(())
        } else {
            // Another facility's session: its account is not one of ours to name.
            let actor = (admin.facility == self.instance).then_some(admin.account.as_str());
            let actor = actor.map(ToString::to_string);
            self.record(now, actor.as_deref(), FacilityAction::SessionRefused);
            Err(FacilityError::SessionInvalid)
        }
    }

    fn insert_account(
        &mut self,
        name: &str,
        password: &SecretBytes,
        role: Role,
        salt: [u8; 16],
    ) -> Result<(), FacilityError> {
        let valid_name = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !valid_name {
            return Err(FacilityError::InvalidAccountName);
        }
        if !(8..=128).contains(&password.len()) {
            return Err(FacilityError::WeakPassword);
        }
        if self.accounts.contains_key(name) {
            return Err(FacilityError::AccountExists);
        }
        let password_hash = self.hash(password.expose_secret(), &salt)?;
        self.accounts.insert(
            name.to_string(),
            Account {
                role,
                password_hash,
                active: true,
                sessions_valid_from: 0,
            },
        );
        Ok(())
    }

    fn hash(&self, secret: &[u8], salt: &[u8]) -> Result<String, FacilityError> {
        self.cost
            .hasher()?
            .hash_password_with_salt(secret, salt)
            .map(|hash| hash.to_string())
            .map_err(|_| FacilityError::Hashing)
    }

    fn record(&mut self, at: Timestamp, actor: Option<&str>, action: FacilityAction) {
        self.audit.push(FacilityEvent {
            at,
            actor: actor.map(ToString::to_string),
            action,
        });
        // Keep the newest entries only, dropping a tenth at a time so that it stays cheap.
        let retention = usize::try_from(self.config.audit_retention).unwrap_or(usize::MAX);
        if self.audit.len() > retention {
            let excess = self.audit.len() - retention;
            let drop = excess.max(retention / 10).min(self.audit.len());
            self.audit.drain(..drop);
        }
    }
}
