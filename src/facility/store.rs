//! Where a facility is kept: the [`FacilityStore`] trait, and the state it keeps.
//!
//! A store keeps two things: the facility's state ([`FacilityState`], a serde value the store
//! treats as opaque: JSON, CBOR, whatever its database likes) with a revision number, and the
//! audit trail as rows keyed by sequence number. The facility calls
//! [`commit`](FacilityStore::commit) after every change, before the call that made it
//! returns; the store applies it all or nothing.
//!
//! A vendor with a database of its own implements the trait; the rules are on
//! [`FacilityStore::commit`]. In memory, for a test:
//!
//! ```
//! use onshi::facility::{Commit, FacilityStore, StoreError, StoredFacility};
//!
//! #[derive(Default)]
//! struct InMemory(Option<StoredFacility>);
//!
//! impl FacilityStore for InMemory {
//!     fn load(&mut self) -> Result<Option<StoredFacility>, StoreError> {
//!         Ok(self.0.clone())
//!     }
//!     fn commit(&mut self, commit: &Commit<'_>) -> Result<(), StoreError> {
//!         let stored_revision = self.0.as_ref().map_or(0, |stored| stored.revision);
//!         if stored_revision + 1 != commit.revision {
//!             return Err(StoreError::Conflict);
//!         }
//!         let mut audit = self.0.take().map(|stored| stored.audit).unwrap_or_default();
//!         audit.extend_from_slice(commit.appended);
//!         audit.retain(|entry| entry.seq >= commit.keep_from_seq);
//!         self.0 = Some(StoredFacility { state: commit.state.clone(), revision: commit.revision, audit });
//!         Ok(())
//!     }
//! }
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::audit::{AuditHash, ChainPoint, FacilityEvent};
use super::{
    Account, FacilityConfig, FacilityId, HashCost, ReaderId, ReaderSettings, StoredPasscode,
};
use crate::time::Timestamp;

/// Everything a facility remembers but its audit trail: accounts (with their password
/// hashes), readers and modes, the staff passcode's peppered hash and its lock, the visits
/// holding passcode attempts, the settings, the login throttles and the audit chain's head.
/// Opaque: a store serializes it as it is.
#[derive(Clone, Serialize, Deserialize)]
pub struct FacilityState {
    pub(super) id: FacilityId,
    pub(super) accounts: BTreeMap<String, Account>,
    pub(super) readers: BTreeMap<ReaderId, ReaderSettings>,
    pub(super) staff_passcode: Option<StoredPasscode>,
    pub(super) staff_passcode_failures: u32,
    /// Visits begun and not finished, with the passcode attempts each holds.
    pub(super) open_visits: BTreeMap<u64, u8>,
    pub(super) next_visit: u64,
    pub(super) cost: HashCost,
    pub(super) config: FacilityConfig,
    pub(super) next_session: u64,
    /// Failed logins in a row at the facility.
    pub(super) failed_logins: u32,
    pub(super) logins_throttled_until: Option<Timestamp>,
    /// Recognises the pepper the store was created with.
    pub(super) pepper_check: AuditHash,
    /// Where the kept audit trail starts.
    pub(super) audit_start: ChainPoint,
    /// The audit chain's head.
    pub(super) audit_head: ChainPoint,
}

impl fmt::Debug for FacilityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Password and passcode hashes are left out.
        f.debug_struct("FacilityState")
            .field("id", &self.id)
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .field("readers", &self.readers)
            .field("audit_head", &self.audit_head)
            .finish_non_exhaustive()
    }
}

/// What a store holds for a facility.
#[derive(Clone, Debug)]
pub struct StoredFacility {
    /// The state.
    pub state: FacilityState,
    /// Its revision: 1 when created, one more per commit.
    pub revision: u64,
    /// The audit trail kept, in sequence order.
    pub audit: Vec<FacilityEvent>,
}

/// One change to commit.
#[derive(Debug)]
pub struct Commit<'a> {
    /// The new state.
    pub state: &'a FacilityState,
    /// Its revision: the stored one plus one (1 when the facility is created).
    pub revision: u64,
    /// Audit entries to append, in sequence order.
    pub appended: &'a [FacilityEvent],
    /// Entries before this sequence number may be deleted (retention).
    pub keep_from_seq: u64,
}

/// Why a store failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be read or written (a file, a disk, a database down).
    #[error("the store cannot be read or written")]
    Unavailable,
    /// The store holds what this version cannot read.
    #[error("the store holds data this version cannot read")]
    Corrupt,
    /// The store was written by a newer version of onshi.
    #[error("the store's schema {found} is newer than this version supports ({supported})")]
    NewerSchema {
        /// The store's schema version.
        found: u32,
        /// The newest this version supports.
        supported: u32,
    },
    /// Another handle changed the store since this one read it.
    #[error("another handle changed the store")]
    Conflict,
}

/// Keeps a facility. Implemented by [`SqliteStore`](super::SqliteStore) (feature `sqlite`)
/// and by vendors with a database of their own.
pub trait FacilityStore {
    /// What the store holds, or `None` when it is empty (a new facility is created in it).
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    fn load(&mut self) -> Result<Option<StoredFacility>, StoreError>;

    /// Applies `commit` all or nothing, durably, before returning: the state replaces the
    /// stored one, the entries are appended, and entries before `keep_from_seq` may go.
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] unless the stored revision is `commit.revision - 1` (0: the
    /// store is empty), or an appended sequence number is already stored; other
    /// [`StoreError`]s when it cannot write. Nothing is changed then.
    fn commit(&mut self, commit: &Commit<'_>) -> Result<(), StoreError>;
}
