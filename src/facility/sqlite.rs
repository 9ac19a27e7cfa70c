//! The default store: one SQLite file (rusqlite with its bundled SQLite), so that a terminal
//! keeps its facility with no server to run.
//!
//! The file is in WAL mode with `synchronous = FULL`: a commit is on disk when
//! [`FacilityStore::commit`] returns, and a process killed at any point leaves either the
//! change or nothing. Its schema version is SQLite's `user_version`; a file from a newer
//! version of onshi is refused ([`StoreError::NewerSchema`]) and an older one migrated, one
//! step per version, each in its own transaction.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::audit::FacilityEvent;
use super::store::{Commit, FacilityState, FacilityStore, StoreError, StoredFacility};

/// The migrations, in order: the `n`th takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1: the facility's state (one row) and its audit trail.
    "CREATE TABLE facility (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         revision INTEGER NOT NULL,
         state TEXT NOT NULL
     );
     CREATE TABLE audit (
         seq INTEGER PRIMARY KEY,
         at INTEGER NOT NULL,
         entry TEXT NOT NULL
     );",
];

/// A facility kept in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Connection,
}

impl SqliteStore {
    /// The schema version this version of onshi writes.
    pub const SCHEMA_VERSION: u32 = 1;

    /// Opens (or creates) the store at `path`, migrating an older schema.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the file cannot be opened or written;
    /// [`StoreError::NewerSchema`] for a file from a newer version of onshi;
    /// [`StoreError::Corrupt`] when it is not a facility store.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(|_| StoreError::Unavailable)?;
        Self::with_connection(connection)
    }

    /// A store in memory, gone when dropped: for tests.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(|_| StoreError::Unavailable)?;
        Self::with_connection(connection)
    }

    fn with_connection(mut connection: Connection) -> Result<Self, StoreError> {
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|_| StoreError::Unavailable)?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|_| StoreError::Unavailable)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|_| StoreError::Unavailable)?;
        migrate(&mut connection, MIGRATIONS)?;
        Ok(Self { connection })
    }

    /// The file's schema version.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        user_version(&self.connection)
    }
}

fn user_version(connection: &Connection) -> Result<u32, StoreError> {
    connection
        .pragma_query_value(None, "user_version", |row| row.get::<_, u32>(0))
        .map_err(|_| StoreError::Corrupt)
}

/// Brings the schema to `migrations.len()`, one step per transaction; refuses a newer one.
fn migrate(connection: &mut Connection, migrations: &[&str]) -> Result<(), StoreError> {
    let supported = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    loop {
        let found = user_version(connection)?;
        if found > supported {
            return Err(StoreError::NewerSchema { found, supported });
        }
        let Some(step) = usize::try_from(found).ok().and_then(|i| migrations.get(i)) else {
            return Ok(());
        };
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .map_err(|_| StoreError::Unavailable)?;
        // Another process may have migrated meanwhile.
        if user_version(&transaction)? != found {
            continue;
        }
        transaction
            .execute_batch(step)
            .map_err(|_| StoreError::Corrupt)?;
        transaction
            .pragma_update(None, "user_version", found + 1)
            .map_err(|_| StoreError::Unavailable)?;
        transaction.commit().map_err(|_| StoreError::Unavailable)?;
    }
}

impl FacilityStore for SqliteStore {
    fn load(&mut self) -> Result<Option<StoredFacility>, StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|_| StoreError::Unavailable)?;
        let row = transaction
            .query_row(
                "SELECT revision, state FROM facility WHERE id = 1",
                [],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(|_| StoreError::Corrupt)?;
        let Some((revision, state)) = row else {
            let entries: i64 = transaction
                .query_row("SELECT count(*) FROM audit", [], |row| row.get(0))
                .map_err(|_| StoreError::Corrupt)?;
            // An audit trail without its facility is not an empty store.
            return if entries == 0 {
                Ok(None)
            } else {
                Err(StoreError::Corrupt)
            };
        };
        let state: FacilityState = serde_json::from_str(&state).map_err(|_| StoreError::Corrupt)?;
        let revision = u64::try_from(revision).map_err(|_| StoreError::Corrupt)?;
        let mut statement = transaction
            .prepare("SELECT entry FROM audit ORDER BY seq")
            .map_err(|_| StoreError::Corrupt)?;
        let audit = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|_| StoreError::Corrupt)?
            .map(|entry| {
                let entry = entry.map_err(|_| StoreError::Corrupt)?;
                serde_json::from_str::<FacilityEvent>(&entry).map_err(|_| StoreError::Corrupt)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(StoredFacility {
            state,
            revision,
            audit,
        }))
    }

    fn commit(&mut self, commit: &Commit<'_>) -> Result<(), StoreError> {
        let state = serde_json::to_string(commit.state).map_err(|_| StoreError::Corrupt)?;
        let revision = i64::try_from(commit.revision).map_err(|_| StoreError::Conflict)?;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|_| StoreError::Unavailable)?;
        let stored: i64 = transaction
            .query_row("SELECT revision FROM facility WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|_| StoreError::Unavailable)?
            .unwrap_or(0);
        if stored.checked_add(1) != Some(revision) {
            return Err(StoreError::Conflict);
        }
        transaction
            .execute(
                "INSERT INTO facility (id, revision, state) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET revision = ?1, state = ?2",
                params![revision, state],
            )
            .map_err(|_| StoreError::Unavailable)?;
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO audit (seq, at, entry) VALUES (?1, ?2, ?3)")
                .map_err(|_| StoreError::Unavailable)?;
            for entry in commit.appended {
                let seq = i64::try_from(entry.seq).map_err(|_| StoreError::Conflict)?;
                let json = serde_json::to_string(entry).map_err(|_| StoreError::Corrupt)?;
                insert
                    .execute(params![seq, entry.at.unix_seconds(), json])
                    .map_err(|error| match error.sqlite_error_code() {
                        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict,
                        _ => StoreError::Unavailable,
                    })?;
            }
        }
        let keep_from = i64::try_from(commit.keep_from_seq).unwrap_or(i64::MAX);
        transaction
            .execute("DELETE FROM audit WHERE seq < ?1", params![keep_from])
            .map_err(|_| StoreError::Unavailable)?;
        transaction.commit().map_err(|_| StoreError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-step history: the first step as shipped, then a step that adds a column.
    const TWO_STEPS: &[&str] = &[
        MIGRATIONS[0],
        "ALTER TABLE audit ADD COLUMN note TEXT NOT NULL DEFAULT '';",
    ];

    #[test]
    fn a_store_at_an_older_version_is_migrated_and_keeps_its_rows() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection, &TWO_STEPS[..1]).unwrap();
        connection
            .execute("INSERT INTO audit (seq, at, entry) VALUES (0, 5, 'x')", [])
            .unwrap();
        migrate(&mut connection, TWO_STEPS).unwrap();
        assert_eq!(user_version(&connection).unwrap(), 2);
        let (entry, note): (String, String) = connection
            .query_row("SELECT entry, note FROM audit WHERE seq = 0", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!((entry.as_str(), note.as_str()), ("x", ""));
    }

    #[test]
    fn a_failing_step_leaves_the_store_at_the_version_before() {
        let mut connection = Connection::open_in_memory().unwrap();
        let broken: &[&str] = &[MIGRATIONS[0], "ALTER TABLE nowhere ADD COLUMN x;"];
        assert_eq!(migrate(&mut connection, broken), Err(StoreError::Corrupt));
        assert_eq!(user_version(&connection).unwrap(), 1);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        connection.pragma_update(None, "user_version", 7).unwrap();
        assert_eq!(
            migrate(&mut connection, MIGRATIONS),
            Err(StoreError::NewerSchema {
                found: 7,
                supported: 1
            })
        );
    }

    #[test]
    fn a_fresh_store_gets_the_current_schema() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
        assert_eq!(MIGRATIONS.len(), SqliteStore::SCHEMA_VERSION as usize);
    }
}
