//! The facility (医療機関・薬局): accounts and roles, admin sessions, reader modes, the staff
//! passcode for the 2025 on-reader visual check, and a hash-chained audit trail of all of it.
//!
//! Switching a reader's mode, setting the staff passcode and issuing or revoking accounts need
//! an [`AdminSession`], a capability value that only [`Facility::login`] with an admin
//! (管理者アカウント) password makes. Passwords are stored as Argon2id hashes (the `argon2`
//! crate) with salts from the operating system's random source; the staff passcode's hash is
//! also keyed with a pepper the vendor keeps outside the store ([`FacilityKeys`]), since four
//! digits are found from a bare hash in minutes. The library never reads a clock: the caller
//! passes the time in.
//!
//! Visits are started by the facility ([`Facility::begin_visit`]) and handed back to it
//! ([`Facility::finish`]): the wrong staff passcodes of every visit count toward the facility's
//! lock, and a visit that is never handed back keeps its attempts counted.
//!
//! A facility lives in memory ([`Facility::new`]) or in a store ([`Facility::open`]): every
//! change and its audit entries are committed to the store before the call returns. The
//! default store is SQLite ([`SqliteStore`], feature `sqlite`); vendors with a database of
//! their own implement [`FacilityStore`].
//!
//! ```
//! use onshi::facility::{Facility, FacilityKeys, HashCost, ReaderId, ReaderMode, Session};
//! use onshi::SecretBytes;
//! use onshi::time::Timestamp;
//!
//! let now = Timestamp::from_unix_seconds(1_795_737_600);
//! // In a product, the pepper comes from the OS key store (DPAPI, Keychain, a TPM).
//! let keys = FacilityKeys::new(SecretBytes::from("a pepper of at least 16 bytes"))?;
//! let password = SecretBytes::from("correct horse");
//! let mut facility = Facility::new("admin", &password, keys, now, HashCost::FAST_FOR_TESTS)?;
//! let Session::Admin(admin) = facility.login("admin", &password, now)? else { unreachable!() };
//! let reader = ReaderId::new(1);
//! facility.add_reader(&admin, reader, now)?;
//! facility.set_reader_mode(&admin, reader, ReaderMode::LegacyVisual, now)?;
//! assert_eq!(facility.reader_mode(reader), Some(ReaderMode::LegacyVisual));
//! facility.verify_audit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod audit;
mod login;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
pub(crate) mod visits;

pub use audit::{AuditHash, BrokenLink, ChainPoint, FacilityAction, FacilityEvent, verify_chain};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{Commit, FacilityState, FacilityStore, StoreError, StoredFacility};
pub use visits::{STAFF_PASSCODE_ATTEMPTS_PER_VISIT, StaffPasscodeCheck};

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, Version};
use rsa::sha2::{Digest, Sha256};
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

/// A facility's identity: 16 random bytes drawn when it is created, kept in its store, and
/// carried by every session and visit it issues, so that another facility refuses them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FacilityId([u8; 16]);

impl fmt::Debug for FacilityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FacilityId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// Fills a buffer with random bytes from a secure source, or fails.
pub type RandomSource = fn(&mut [u8]) -> Result<(), RandomUnavailable>;

/// The random source failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no secure random bytes available")]
pub struct RandomUnavailable;

/// The operating system's random source.
#[cfg(feature = "std")]
fn os_random(buffer: &mut [u8]) -> Result<(), RandomUnavailable> {
    getrandom::fill(buffer).map_err(|_| RandomUnavailable)
}

/// What the facility needs that must not be in its store: the pepper that keys the staff
/// passcode's hash, and the source of random salts and identities.
pub struct FacilityKeys {
    pepper: SecretBytes,
    random: RandomSource,
}

impl fmt::Debug for FacilityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FacilityKeys(***)")
    }
}

impl FacilityKeys {
    /// A pepper has 16 to 64 bytes.
    pub const PEPPER_LEN: core::ops::RangeInclusive<usize> = 16..=64;

    /// Keys with `pepper` and the operating system's random source. Keep the pepper outside
    /// the store (the OS key store: DPAPI, Keychain, a TPM) and the same for the store's
    /// lifetime: a store opened with another pepper is refused.
    ///
    /// # Errors
    ///
    /// [`FacilityError::WeakPepper`] unless the pepper has 16 to 64 bytes.
    #[cfg(feature = "std")]
    pub fn new(pepper: SecretBytes) -> Result<Self, FacilityError> {
        Self::with_random(pepper, os_random)
    }

    /// Keys with `pepper` and another random source (without the `std` feature: the
    /// platform's hardware generator). It must be cryptographically secure.
    ///
    /// # Errors
    ///
    /// [`FacilityError::WeakPepper`] unless the pepper has 16 to 64 bytes.
    pub fn with_random(pepper: SecretBytes, random: RandomSource) -> Result<Self, FacilityError> {
        if !Self::PEPPER_LEN.contains(&pepper.len()) {
            return Err(FacilityError::WeakPepper);
        }
        Ok(Self { pepper, random })
    }

    /// The virtual card's demo keys: a pepper everyone can read.
    #[cfg(feature = "sim")]
    pub(crate) fn demo() -> Self {
        const PEPPER: &str = "onshi demo pepper: not a secret";
        const _: () = assert!(PEPPER.len() >= 16 && PEPPER.len() <= 64);
        Self {
            pepper: SecretBytes::from(PEPPER),
            random: os_random,
        }
    }

    fn fill(&self, buffer: &mut [u8]) -> Result<(), FacilityError> {
        (self.random)(buffer).map_err(|_| FacilityError::RandomUnavailable)
    }

    /// What the store keeps to recognise the pepper (not the pepper).
    fn pepper_check(&self) -> AuditHash {
        let mut hasher = Sha256::new();
        hasher.update(b"onshi facility pepper check v1\0");
        hasher.update(self.pepper.expose_secret());
        AuditHash(hasher.finalize().into())
    }
}

/// A stored account.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Account {
    role: Role,
    password_hash: String,
    active: bool,
    /// Sessions opened before this number are no longer valid (revocation, logout).
    sessions_valid_from: u64,
    /// Failed logins since the last success.
    failed_logins: u32,
    /// Logins refused until then (back-off).
    throttled_until: Option<Timestamp>,
    /// Locked by failed logins until an admin unlocks it.
    locked: bool,
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
/// [`FacilityConfig::admin_session_seconds`], at logout, or when the account is revoked.
#[derive(Debug, PartialEq, Eq)]
pub struct AdminSession {
    facility: FacilityId,
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
    facility: FacilityId,
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

/// The stored staff passcode: its peppered hash and where it came from.
#[derive(Clone, Serialize, Deserialize)]
struct StoredPasscode {
    hash: String,
    source: PasscodeSource,
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

/// Why a facility operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FacilityError {
    /// Unknown account or wrong password (not told apart, on purpose).
    #[error("unknown account or wrong password")]
    LoginFailed,
    /// Too many failed logins: try again at `retry_at`.
    #[error("too many failed logins; try again later")]
    LoginThrottled {
        /// Logins are refused until then.
        retry_at: Timestamp,
    },
    /// Too many failed logins locked the account: an admin unlocks it.
    #[error("the account is locked after too many failed logins; an admin unlocks it")]
    AccountLocked,
    /// The account is not locked.
    #[error("the account is not locked")]
    AccountNotLocked,
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
    /// Hashing failed.
    #[error("password hashing failed")]
    Hashing,
    /// A general account's session was used for an admin action.
    #[error("an admin account is needed for this")]
    NotAnAdmin,
    /// A setting is outside its bounds (see [`FacilityConfig`]).
    #[error("a facility setting is out of its bounds")]
    ConfigOutOfRange,
    /// The pepper must have 16 to 64 bytes.
    #[error("the pepper must have 16 to 64 bytes")]
    WeakPepper,
    /// The store was created with another pepper: the staff passcode could never match.
    #[error("the store was created with another pepper")]
    WrongPepper,
    /// The random source failed.
    #[error("no secure random bytes available")]
    RandomUnavailable,
    /// The visit is not over yet: hand it back once it has an outcome.
    #[error("the visit is not finished")]
    VisitNotFinished,
    /// The visit was not begun by this facility, or was already handed back.
    #[error("the visit was not begun by this facility or was already finished")]
    UnknownVisit,
    /// The store failed; the change was not made (the facility reloaded what the store has).
    #[error("facility store: {0}")]
    Store(#[from] StoreError),
    /// A store that already holds a facility was opened for a new one, or an empty store was
    /// opened as an existing one.
    #[error("the store does not hold what was expected")]
    StoreMismatch,
}

/// The first admin account of a new facility (the 管理者アカウント issued on application).
#[derive(Debug)]
pub struct FirstAdmin<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its password.
    pub password: &'a SecretBytes,
    /// The Argon2id cost for every password and the passcode of this facility.
    pub cost: HashCost,
}

/// The facility: accounts, readers, staff passcode and the audit trail, in memory or in a
/// [`FacilityStore`].
pub struct Facility {
    state: FacilityState,
    audit: Vec<FacilityEvent>,
    keys: FacilityKeys,
    /// A hash of nothing anyone knows, checked for logins under unknown names so that they
    /// take as long as the others.
    decoy_hash: String,
    store: Option<Box<dyn FacilityStore + Send>>,
    /// The store's revision of the state last committed.
    revision: u64,
    /// How many of the newest audit entries are not committed yet.
    unsaved_entries: usize,
    /// The state changed since the last commit.
    dirty: bool,
    /// Argon2 evaluations so far (for tests: logins must cost the same for any name).
    hash_evaluations: u64,
}

impl fmt::Debug for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Facility")
            .field("id", &self.state.id)
            .field("readers", &self.state.readers)
            .field("audit_entries", &self.audit.len())
            .field("stored", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl Facility {
    /// Sets up a facility in memory with its first admin account (the 管理者アカウント issued
    /// on application). It forgets everything when dropped: a terminal uses
    /// [`open`](Self::open).
    ///
    /// # Errors
    ///
    /// [`FacilityError::InvalidAccountName`], [`FacilityError::WeakPassword`], hashing and
    /// random-source errors.
    pub fn new(
        admin_name: &str,
        admin_password: &SecretBytes,
        keys: FacilityKeys,
        now: Timestamp,
        cost: HashCost,
    ) -> Result<Self, FacilityError> {
        let first = FirstAdmin {
            name: admin_name,
            password: admin_password,
            cost,
        };
        Self::create(&first, keys, now)
    }

    fn create(
        first: &FirstAdmin<'_>,
        keys: FacilityKeys,
        now: Timestamp,
    ) -> Result<Self, FacilityError> {
        let mut id = [0u8; 16];
        keys.fill(&mut id)?;
        let state = FacilityState {
            id: FacilityId(id),
            accounts: BTreeMap::new(),
            readers: BTreeMap::new(),
            staff_passcode: None,
            staff_passcode_failures: 0,
            open_visits: BTreeMap::new(),
            next_visit: 1,
            cost: first.cost,
            config: FacilityConfig::default(),
            next_session: 1,
            failed_logins: 0,
            logins_throttled_until: None,
            pepper_check: keys.pepper_check(),
            audit_start: ChainPoint::default(),
            audit_head: ChainPoint::default(),
        };
        let mut facility = Self::from_parts(state, Vec::new(), keys, None, 0)?;
        facility.insert_account(first.name, first.password, Role::Admin)?;
        facility.record(now, Some(first.name), FacilityAction::Created);
        Ok(facility)
    }

    fn from_parts(
        state: FacilityState,
        audit: Vec<FacilityEvent>,
        keys: FacilityKeys,
        store: Option<Box<dyn FacilityStore + Send>>,
        revision: u64,
    ) -> Result<Self, FacilityError> {
        if state.pepper_check != keys.pepper_check() {
            return Err(FacilityError::WrongPepper);
        }
        let mut decoy_salt = [0u8; 16];
        keys.fill(&mut decoy_salt)?;
        let mut decoy_password = [0u8; 16];
        keys.fill(&mut decoy_password)?;
        let decoy_hash = hash_with(state.cost.hasher()?, &decoy_password, &decoy_salt)?;
        Ok(Self {
            state,
            audit,
            keys,
            decoy_hash,
            store,
            revision,
            unsaved_entries: 0,
            dirty: false,
            hash_evaluations: 0,
        })
    }

    /// Opens the facility kept in `store`, or, when the store is empty, creates it there with
    /// `first_admin`, so that a terminal's start-up is one call. Every later change is
    /// committed to the store before the call that makes it returns.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use onshi::facility::{Facility, FacilityKeys, FirstAdmin, HashCost, SqliteStore};
    /// use onshi::SecretBytes;
    /// use onshi::time::Timestamp;
    ///
    /// # let dir = std::env::temp_dir().join(format!("onshi-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let now = Timestamp::from_unix_seconds(1_795_737_600);
    /// let password = SecretBytes::from("correct horse");
    /// let open = || -> Result<Facility, Box<dyn std::error::Error>> {
    ///     Ok(Facility::open(
    ///         SqliteStore::open(dir.join("facility.db"))?,
    ///         FacilityKeys::new(SecretBytes::from("a pepper of at least 16 bytes"))?,
    ///         &FirstAdmin { name: "admin", password: &password, cost: HashCost::FAST_FOR_TESTS },
    ///         now,
    ///     )?)
    /// };
    /// let id = open()?.id();
    /// assert_eq!(open()?.id(), id); // the same facility after a restart
    /// # std::fs::remove_dir_all(&dir)?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`FacilityError::Store`] when the store cannot be read or is newer than this version;
    /// [`FacilityError::WrongPepper`]; for a new facility, the errors of
    /// [`new`](Self::new).
    pub fn open(
        store: impl FacilityStore + Send + 'static,
        keys: FacilityKeys,
        first_admin: &FirstAdmin<'_>,
        now: Timestamp,
    ) -> Result<Self, FacilityError> {
        let mut store: Box<dyn FacilityStore + Send> = Box::new(store);
        match store.load()? {
            Some(stored) => Self::from_parts(
                stored.state,
                stored.audit,
                keys,
                Some(store),
                stored.revision,
            ),
            None => {
                let mut facility = Self::create(first_admin, keys, now)?;
                facility.store = Some(store);
                facility.persist()?;
                Ok(facility)
            }
        }
    }

    /// This facility's identity.
    #[must_use]
    pub const fn id(&self) -> FacilityId {
        self.state.id
    }

    /// The facility's settings.
    #[must_use]
    pub const fn config(&self) -> FacilityConfig {
        self.state.config
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
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            if !config.in_bounds() {
                return Err(FacilityError::ConfigOutOfRange);
            }
            facility.state.config = config;
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::ConfigChanged { config },
            );
            Ok(())
        })
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
            Session::General(general) => self.transaction(|facility| {
                let ours = general.facility == facility.state.id;
                let actor = ours.then_some(general.account.as_str());
                facility.record(now, actor, FacilityAction::AdminActionRefused);
                Err(FacilityError::NotAnAdmin)
            }),
        }
    }

    /// Logs out: an admin session, and every earlier one of the same account, ends. A session
    /// of another facility is ignored.
    ///
    /// # Errors
    ///
    /// [`FacilityError::Store`].
    pub fn logout(&mut self, session: Session, now: Timestamp) -> Result<(), FacilityError> {
        let (facility_id, account, admin_id) = match &session {
            Session::Admin(admin) => (admin.facility, admin.account.as_str(), Some(admin.id)),
            Session::General(general) => (general.facility, general.account.as_str(), None),
        };
        if facility_id != self.state.id {
            return Ok(());
        }
        self.transaction(|facility| {
            if let (Some(id), Some(entry)) = (admin_id, facility.state.accounts.get_mut(account)) {
                entry.sessions_valid_from = entry.sessions_valid_from.max(id.saturating_add(1));
            }
            facility.record(now, Some(account), FacilityAction::LoggedOut);
            Ok(())
        })
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
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            if facility.state.readers.contains_key(&reader) {
                return Err(FacilityError::ReaderExists);
            }
            facility.state.readers.insert(
                reader,
                ReaderSettings {
                    mode: ReaderMode::Unattended,
                    since: now,
                },
            );
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::ReaderAdded { reader },
            );
            Ok(())
        })
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
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            let settings = facility
                .state
                .readers
                .get_mut(&reader)
                .ok_or(FacilityError::NoSuchReader)?;
            let from = settings.mode;
            *settings = ReaderSettings { mode, since: now };
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::ModeChanged {
                    reader,
                    from,
                    to: mode,
                },
            );
            Ok(())
        })
    }

    /// Sets the 4-digit staff passcode for the on-reader visual check (not a card PIN). This
    /// also clears a lock from wrong entries: the admin chose a passcode the guesser does not
    /// know.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`], [`FacilityError::InvalidPasscode`].
    pub fn set_staff_passcode(
        &mut self,
        admin: &AdminSession,
        passcode: &SecretBytes,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            facility.store_passcode(passcode, PasscodeSource::Facility)?;
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::StaffPasscodeSet {
                    source: PasscodeSource::Facility,
                },
            );
            facility.clear_passcode_lock(&admin.account, now);
            Ok(())
        })
    }

    /// Takes the staff passcode the terminal fetched from the national system
    /// (「目視確認用パスコード取得要求/結果」, T6), replacing whatever was set; no admin session,
    /// since the terminal fetches it on its own. Called again whenever the national system
    /// changes it. A lock from wrong entries stays (no admin chose it).
    ///
    /// # Errors
    ///
    /// [`FacilityError::InvalidPasscode`] for anything but 4 digits, hashing errors.
    pub fn receive_staff_passcode(
        &mut self,
        passcode: &SecretBytes,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.transaction(|facility| {
            facility.store_passcode(passcode, PasscodeSource::NationalSystem)?;
            facility.record(
                now,
                None,
                FacilityAction::StaffPasscodeSet {
                    source: PasscodeSource::NationalSystem,
                },
            );
            Ok(())
        })
    }

    fn store_passcode(
        &mut self,
        passcode: &SecretBytes,
        source: PasscodeSource,
    ) -> Result<(), FacilityError> {
        let digits = passcode.expose_secret();
        if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(FacilityError::InvalidPasscode);
        }
        let mut salt = [0u8; 16];
        self.keys.fill(&mut salt)?;
        let hasher = peppered(self.state.cost, &self.keys.pepper)?;
        let hash = hash_with(hasher, digits, &salt)?;
        self.state.staff_passcode = Some(StoredPasscode { hash, source });
        Ok(())
    }

    /// Unlocks the staff passcode after too many wrong entries (the admin checked who was
    /// guessing), keeping the passcode.
    ///
    /// # Errors
    ///
    /// [`FacilityError::SessionInvalid`].
    pub fn unlock_staff_passcode(
        &mut self,
        admin: &AdminSession,
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            facility.clear_passcode_lock(&admin.account, now);
            Ok(())
        })
    }

    /// Clears the count of wrong passcodes, and the attempts held by visits never handed
    /// back; audited when it was locked.
    fn clear_passcode_lock(&mut self, admin: &str, now: Timestamp) {
        let was_locked = self.staff_passcode_locked();
        let held = !self.state.open_visits.is_empty();
        self.state.staff_passcode_failures = 0;
        self.state.open_visits.clear();
        if was_locked || held {
            self.record(now, Some(admin), FacilityAction::StaffPasscodeUnlocked);
        }
        self.dirty = true;
    }

    /// Where the current staff passcode came from, if one is set.
    #[must_use]
    pub fn staff_passcode_source(&self) -> Option<PasscodeSource> {
        self.state
            .staff_passcode
            .as_ref()
            .map(|stored| stored.source)
    }

    /// Issues an account.
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
        now: Timestamp,
    ) -> Result<(), FacilityError> {
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            facility.insert_account(name, password, role)?;
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::AccountIssued {
                    name: name.to_string(),
                    role,
                },
            );
            Ok(())
        })
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
        self.transaction(|facility| {
            facility.check_admin(admin, now)?;
            if admin.account == name {
                return Err(FacilityError::CannotRevokeSelf);
            }
            let next = facility.state.next_session;
            let account = facility
                .state
                .accounts
                .get_mut(name)
                .ok_or(FacilityError::NoSuchAccount)?;
            if !account.active {
                return Err(FacilityError::AlreadyRevoked);
            }
            account.active = false;
            account.sessions_valid_from = next;
            facility.record(
                now,
                Some(&admin.account),
                FacilityAction::AccountRevoked {
                    name: name.to_string(),
                },
            );
            Ok(())
        })
    }

    /// A reader's mode.
    #[must_use]
    pub fn reader_mode(&self, reader: ReaderId) -> Option<ReaderMode> {
        self.state
            .readers
            .get(&reader)
            .map(|settings| settings.mode)
    }

    /// A reader's settings (mode and since when).
    #[must_use]
    pub fn reader_settings(&self, reader: ReaderId) -> Option<ReaderSettings> {
        self.state.readers.get(&reader).copied()
    }

    /// Whether too many wrong staff passcodes locked it (until an admin sets a new one or
    /// unlocks it).
    #[must_use]
    pub const fn staff_passcode_locked(&self) -> bool {
        self.state.staff_passcode_failures >= self.state.config.staff_passcode_lock_after
    }

    /// Wrong staff passcodes counted toward the lock (across visits, since the last right one
    /// or the last unlock).
    #[must_use]
    pub const fn staff_passcode_failures(&self) -> u32 {
        self.state.staff_passcode_failures
    }

    /// Readers left in the legacy visual mode longer than the reminder time: facilities forgot
    /// to switch back, and the next patients lost face authentication.
    #[must_use]
    pub fn mode_reminders(&self, now: Timestamp) -> Vec<ModeReminder> {
        self.state
            .readers
            .iter()
            .filter(|(_, settings)| settings.mode == ReaderMode::LegacyVisual)
            .map(|(reader, settings)| ModeReminder {
                reader: *reader,
                since: settings.since,
                seconds: now.seconds_since(settings.since),
            })
            .filter(|reminder| reminder.seconds >= self.state.config.legacy_mode_reminder_seconds)
            .collect()
    }

    /// The audit trail kept (the newest [`FacilityConfig::audit_retention`] entries).
    #[must_use]
    pub fn audit(&self) -> &[FacilityEvent] {
        &self.audit
    }

    /// Checks the audit trail's hash chain, from where the kept trail starts to the
    /// facility's head. A terminal checks it at start-up and reports a broken link.
    ///
    /// # Errors
    ///
    /// The first [`BrokenLink`].
    pub fn verify_audit(&self) -> Result<(), BrokenLink> {
        verify_chain(&self.audit, self.state.audit_start, self.state.audit_head)
    }

    /// The hash chain's head: the next sequence number and the last entry's hash. Keep a copy
    /// elsewhere (a log server, a printout) to detect a trail rewritten from the start.
    #[must_use]
    pub const fn audit_head(&self) -> ChainPoint {
        self.state.audit_head
    }

    fn check_admin(&mut self, admin: &AdminSession, now: Timestamp) -> Result<(), FacilityError> {
        let ours = admin.facility == self.state.id;
        let session_seconds = self.state.config.admin_session_seconds;
        let valid = ours
            && self
                .state
                .accounts
                .get(&admin.account)
                .is_some_and(|account| {
                    account.active
                        && !account.locked
                        && account.role == Role::Admin
                        && admin.id >= account.sessions_valid_from
                        && now.seconds_since(admin.issued_at) >= 0
                        && now.seconds_since(admin.issued_at) <= session_seconds
                });
        if valid {
            Ok(())
        } else {
            // Another facility's session: its account is not one of ours to name.
            let actor = ours.then(|| admin.account.clone());
            self.record(now, actor.as_deref(), FacilityAction::SessionRefused);
            Err(FacilityError::SessionInvalid)
        }
    }

    fn insert_account(
        &mut self,
        name: &str,
        password: &SecretBytes,
        role: Role,
    ) -> Result<(), FacilityError> {
        if !valid_account_name(name) {
            return Err(FacilityError::InvalidAccountName);
        }
        if !(8..=128).contains(&password.len()) {
            return Err(FacilityError::WeakPassword);
        }
        if self.state.accounts.contains_key(name) {
            return Err(FacilityError::AccountExists);
        }
        let mut salt = [0u8; 16];
        self.keys.fill(&mut salt)?;
        let password_hash = hash_with(self.state.cost.hasher()?, password.expose_secret(), &salt)?;
        self.state.accounts.insert(
            name.to_string(),
            Account {
                role,
                password_hash,
                active: true,
                sessions_valid_from: 0,
                failed_logins: 0,
                throttled_until: None,
                locked: false,
            },
        );
        self.dirty = true;
        Ok(())
    }

    /// Appends an audit entry, at `now` or, when the clock went back, at the last entry's
    /// time (the trail's times never go backwards).
    fn record(&mut self, now: Timestamp, actor: Option<&str>, action: FacilityAction) {
        let at = self.audit.last().map_or(now, |last| last.at.max(now));
        let head = self.state.audit_head;
        let entry = FacilityEvent {
            seq: head.next_seq,
            at,
            actor: actor.map(ToString::to_string),
            action,
            prev_hash: head.hash,
        };
        self.state.audit_head = ChainPoint {
            next_seq: head.next_seq.saturating_add(1),
            hash: entry.hash(),
        };
        self.audit.push(entry);
        self.unsaved_entries = self.unsaved_entries.saturating_add(1);
        self.dirty = true;
        // Keep the newest entries only, dropping a tenth at a time so that it stays cheap.
        let retention = usize::try_from(self.state.config.audit_retention).unwrap_or(usize::MAX);
        if self.audit.len() > retention {
            let excess = self.audit.len() - retention;
            let drop = excess
                .max(retention / 10)
                .min(self.audit.len() - self.unsaved_entries.min(self.audit.len()));
            if let Some(last_dropped) = drop.checked_sub(1).and_then(|i| self.audit.get(i)) {
                self.state.audit_start = ChainPoint {
                    next_seq: last_dropped.seq.saturating_add(1),
                    hash: last_dropped.hash(),
                };
            }
            self.audit.drain(..drop);
        }
    }

    /// Runs `change`, then commits what it changed (its audit entries too, when it fails) to
    /// the store. When the commit fails, the facility goes back to what the store has.
    fn transaction<T>(
        &mut self,
        change: impl FnOnce(&mut Self) -> Result<T, FacilityError>,
    ) -> Result<T, FacilityError> {
        let result = change(self);
        self.persist()?;
        result
    }

    fn persist(&mut self) -> Result<(), FacilityError> {
        if !self.dirty {
            return Ok(());
        }
        let Some(store) = self.store.as_mut() else {
            self.dirty = false;
            self.unsaved_entries = 0;
            return Ok(());
        };
        let first_unsaved = self.audit.len().saturating_sub(self.unsaved_entries);
        let commit = Commit {
            state: &self.state,
            revision: self.revision.saturating_add(1),
            appended: self.audit.get(first_unsaved..).unwrap_or_default(),
            keep_from_seq: self.state.audit_start.next_seq,
        };
        match store.commit(&commit) {
            Ok(()) => {
                self.revision = commit.revision;
                self.dirty = false;
                self.unsaved_entries = 0;
                Ok(())
            }
            Err(error) => {
                self.reload()?;
                Err(FacilityError::Store(error))
            }
        }
    }

    /// Goes back to what the store has (after a failed commit).
    fn reload(&mut self) -> Result<(), FacilityError> {
        let Some(store) = self.store.as_mut() else {
            return Ok(());
        };
        let stored = store.load()?.ok_or(FacilityError::StoreMismatch)?;
        self.state = stored.state;
        self.audit = stored.audit;
        self.revision = stored.revision;
        self.dirty = false;
        self.unsaved_entries = 0;
        Ok(())
    }
}

/// Whether `name` can be an account's: 1 to 32 of A–Z, a–z, 0–9, `.`, `_`, `-`.
fn valid_account_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Argon2id keyed with the pepper, for the staff passcode.
fn peppered(cost: HashCost, pepper: &SecretBytes) -> Result<Argon2<'_>, FacilityError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|_| FacilityError::InvalidHashCost)?;
    Argon2::new_with_secret(
        pepper.expose_secret(),
        Algorithm::Argon2id,
        Version::V0x13,
        params,
    )
    .map_err(|_| FacilityError::WeakPepper)
}

fn hash_with(hasher: Argon2<'_>, secret: &[u8], salt: &[u8]) -> Result<String, FacilityError> {
    hasher
        .hash_password_with_salt(secret, salt)
        .map(|hash| hash.to_string())
        .map_err(|_| FacilityError::Hashing)
}
