//! The facility's audit trail: append-only and hash-chained, so that an entry edited, removed
//! or inserted in a stored trail is found by [`verify_chain`].
//!
//! Each [`FacilityEvent`] carries its sequence number and the hash of the entry before it; its
//! own hash is SHA-256 over a fixed label, the previous hash, and the entry's JSON (the serde
//! form, whose field order is fixed). The facility keeps the head of the chain (the next
//! sequence number and the last hash) in its state, and, once old entries are dropped under
//! the retention limit, the anchor the kept trail starts from.

use alloc::string::String;
use core::fmt;

use rsa::sha2::{Digest, Sha256};
use serde::{Deserialize, Serialize};

use super::{FacilityConfig, PasscodeSource, ReaderId, ReaderMode, Role};
use crate::time::Timestamp;

/// A SHA-256 hash in the audit chain (hex in serde).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AuditHash(pub [u8; 32]);

impl fmt::Debug for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for AuditHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AuditHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <alloc::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let bytes = text.as_bytes();
        let mut hash = [0u8; 32];
        if bytes.len() != 64 {
            return Err(serde::de::Error::invalid_length(
                bytes.len(),
                &"64 hex digits",
            ));
        }
        for (out, pair) in hash.iter_mut().zip(bytes.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16);
            let (Some(high), Some(low)) = (
                pair.first().copied().and_then(digit),
                pair.get(1).copied().and_then(digit),
            ) else {
                return Err(serde::de::Error::custom("not a hex digit"));
            };
            // Both digits are below 16.
            *out = u8::try_from(high * 16 + low).unwrap_or(0);
        }
        Ok(Self(hash))
    }
}

/// Where a chain stands: the sequence number of the next entry and the hash of the entry
/// before it (all zeros before the first entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChainPoint {
    /// The sequence number of the next entry.
    pub next_seq: u64,
    /// The hash of the entry before `next_seq`.
    pub hash: AuditHash,
}

/// One entry of the facility's audit trail. No password, passcode or name typed at a login
/// ever appears in it, and its size is bounded (account names have at most 32 bytes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityEvent {
    /// Its place in the trail: 0 for the facility's creation, then one more per entry.
    pub seq: u64,
    /// When (never earlier than the entry before: a clock set back is not followed).
    pub at: Timestamp,
    /// Which account acted (or tried to), if any; [`FacilityEvent::UNKNOWN_ACCOUNT`] for a
    /// login with a name no account has.
    pub actor: Option<String>,
    /// What happened.
    pub action: FacilityAction,
    /// The hash of the entry before this one.
    pub prev_hash: AuditHash,
}

impl FacilityEvent {
    /// The actor recorded for a login under a name no account has (never the typed text: it
    /// may be a password typed into the wrong field). Not a valid account name.
    pub const UNKNOWN_ACCOUNT: &'static str = "unknown account";

    /// This entry's hash: the next entry's `prev_hash`.
    #[must_use]
    pub fn hash(&self) -> AuditHash {
        let mut hasher = Sha256::new();
        hasher.update(b"onshi facility audit v1\0");
        // Serializing a plain struct of strings, numbers and enums cannot fail.
        if let Ok(json) = serde_json::to_vec(self) {
            hasher.update(&json);
        }
        AuditHash(hasher.finalize().into())
    }
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
    /// A login failed (unknown account, wrong password or revoked account).
    LoginFailed,
    /// Too many failed logins: logins are refused until `until` (for the account named as the
    /// actor, or for the whole facility when there is no actor).
    LoginThrottled {
        /// Refused until then.
        until: Timestamp,
    },
    /// Too many failed logins for the account (the actor): locked until an admin unlocks it.
    AccountLocked,
    /// An admin unlocked an account.
    AccountUnlocked {
        /// Its name.
        name: String,
    },
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
    /// Too many wrong staff passcodes across visits: locked until an admin sets a new
    /// passcode or unlocks it.
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

/// The first broken link of an audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrokenLink {
    /// The entry at this position does not carry the sequence number it should (an entry was
    /// removed or inserted).
    #[error("audit entry {expected}: found sequence number {found}")]
    Sequence {
        /// The sequence number expected there.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// The entry's `prev_hash` is not the hash of the entry before it (that one, or this one,
    /// was edited).
    #[error("audit entry {seq} does not follow the entry before it")]
    Hash {
        /// The entry's sequence number.
        seq: u64,
    },
    /// The trail ends before (or after) the facility's head: its last entries were removed
    /// (or some were added).
    #[error("the audit trail ends at entry {ends_at}, but the facility's head is {head}")]
    Truncated {
        /// The sequence number after the trail's last entry.
        ends_at: u64,
        /// The facility's next sequence number.
        head: u64,
    },
}

/// Checks that `entries` form an unbroken chain from `start` (the anchor the kept trail
/// starts from) to `head` (the facility's chain head), and returns the first broken link.
///
/// # Errors
///
/// The first [`BrokenLink`].
pub fn verify_chain(
    entries: &[FacilityEvent],
    start: ChainPoint,
    head: ChainPoint,
) -> Result<(), BrokenLink> {
    let mut expected = start;
    for entry in entries {
        if entry.seq != expected.next_seq {
            return Err(BrokenLink::Sequence {
                expected: expected.next_seq,
                found: entry.seq,
            });
        }
        if entry.prev_hash != expected.hash {
            return Err(BrokenLink::Hash { seq: entry.seq });
        }
        expected = ChainPoint {
            next_seq: entry.seq.saturating_add(1),
            hash: entry.hash(),
        };
    }
    if expected.next_seq != head.next_seq {
        return Err(BrokenLink::Truncated {
            ends_at: expected.next_seq,
            head: head.next_seq,
        });
    }
    if expected.hash != head.hash {
        // The last entry was edited.
        return Err(BrokenLink::Hash {
            seq: head.next_seq.saturating_sub(1),
        });
    }
    Ok(())
}
