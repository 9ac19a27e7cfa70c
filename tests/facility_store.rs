//! The facility kept in SQLite: every piece of state across a restart, the audit chain and
//! its verifier, a failed commit rolled back, two handles on one file, a wrong pepper, and a
//! writer killed (`kill -9`) at random points.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::harness::{ADMIN_PASSWORD, STAFF_PASSCODE, secret, staff_visit};
use common::morning;
use onshi::facility::{
    BrokenLink, Commit, Facility, FacilityAction, FacilityConfig, FacilityError, FacilityKeys,
    FacilityStore, FirstAdmin, HashCost, PasscodeSource, ReaderId, ReaderMode, Role, Session,
    SqliteStore, StoreError, StoredFacility,
};
use onshi::reception::VisitStage;
use onshi::time::Timestamp;
use onshi::{ReaderCapabilities, SecretBytes};

/// A fresh directory for one test's store.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onshi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn first_admin(password: &SecretBytes) -> FirstAdmin<'_> {
    FirstAdmin {
        name: "admin",
        password,
        cost: HashCost::FAST_FOR_TESTS,
    }
}

/// Opens (or creates) the facility kept at `path`, as a terminal does at start-up.
fn open(path: &Path, now: Timestamp) -> Result<Facility, FacilityError> {
    Facility::open(
        SqliteStore::open(path)?,
        onshi::sim::facility_keys(),
        &first_admin(&secret(ADMIN_PASSWORD)),
        now,
    )
}

fn admin(facility: &mut Facility, now: Timestamp) -> onshi::facility::AdminSession {
    match facility.login("admin", &secret(ADMIN_PASSWORD), now) {
        Ok(Session::Admin(admin)) => admin,
        other => panic!("admin login: {other:?}"),
    }
}

#[test]
fn every_piece_of_facility_state_survives_a_restart() {
    let dir = scratch("round-trip");
    let path = dir.join("facility.db");
    let now = morning();
    let (id, head, audit, config) = {
        let mut facility = open(&path, now).unwrap();
        let admin = admin(&mut facility, now);
        let (one, two) = (ReaderId::new(1), ReaderId::new(2));
        facility.add_reader(&admin, one, now).unwrap();
        facility.add_reader(&admin, two, now).unwrap();
        facility
            .set_reader_mode(&admin, two, ReaderMode::LegacyVisual, now)
            .unwrap();
        for (name, role) in [
            ("clerk", Role::General),
            ("second", Role::Admin),
            ("gone", Role::General),
        ] {
            facility
                .issue_account(&admin, name, &secret("a-password-1"), role, now)
                .unwrap();
        }
        facility.revoke_account(&admin, "gone", now).unwrap();
        let config = FacilityConfig {
            admin_session_seconds: 30 * 60,
            staff_passcode_lock_after: 12,
            ..FacilityConfig::default()
        };
        facility.set_config(&admin, config, now).unwrap();
        facility
            .set_staff_passcode(&admin, &secret(STAFF_PASSCODE), now)
            .unwrap();
        // Wrong passcodes in two visits, and a visit begun and never handed back.
        staff_visit(&mut facility, one, &["0000", "0000"]);
        staff_visit(&mut facility, one, &["0001"]);
        let _held = facility
            .begin_visit(one, ReaderCapabilities::SHORT_ONLY)
            .unwrap();
        // The clerk guessed wrong 5 times: backed off for 30 s.
        for _ in 0..5 {
            let _ = facility.login("clerk", &secret("not-it-at-all"), now);
        }
        facility.verify_audit().unwrap();
        (
            facility.id(),
            facility.audit_head(),
            facility.audit().to_vec(),
            config,
        )
    };
    // The terminal restarts.
    let later = now.saturating_add_seconds(10);
    let mut facility = open(&path, later).unwrap();
    assert_eq!(facility.id(), id);
    assert_eq!(facility.audit_head(), head);
    assert_eq!(facility.audit(), audit.as_slice());
    facility.verify_audit().unwrap();
    assert_eq!(facility.config(), config);
    assert_eq!(
        facility.reader_mode(ReaderId::new(1)),
        Some(ReaderMode::Unattended)
    );
    let two = facility.reader_settings(ReaderId::new(2)).unwrap();
    assert_eq!((two.mode, two.since), (ReaderMode::LegacyVisual, now));
    assert_eq!(
        facility
            .mode_reminders(now.saturating_add_seconds(3600))
            .len(),
        1
    );
    assert_eq!(
        facility.staff_passcode_source(),
        Some(PasscodeSource::Facility)
    );
    assert_eq!(facility.staff_passcode_failures(), 3);
    assert_eq!(facility.open_visits(), 1);
    // The clerk's back-off is still on; the revoked account is still revoked; the others log in.
    assert!(matches!(
        facility.login("clerk", &secret("a-password-1"), later),
        Err(FacilityError::LoginThrottled { .. })
    ));
    assert_eq!(
        facility.login("gone", &secret("a-password-1"), later),
        Err(FacilityError::LoginFailed)
    );
    assert!(matches!(
        facility.login("second", &secret("a-password-1"), later),
        Ok(Session::Admin(_))
    ));
    // The passcode still opens the staff check: 12 to the lock, 3 wrong, 3 held, 3 here.
    assert_eq!(
        staff_visit(&mut facility, ReaderId::new(1), &[STAFF_PASSCODE]),
        (VisitStage::Consent, 0)
    );
    assert_eq!(facility.staff_passcode_failures(), 0);
    // Sessions from before the restart are gone (they were values in the old process); a
    // new one works.
    let admin = admin(&mut facility, later);
    facility
        .set_reader_mode(&admin, ReaderId::new(2), ReaderMode::Unattended, later)
        .unwrap();
    drop(facility);
    let facility = open(&path, later).unwrap();
    assert_eq!(
        facility.reader_mode(ReaderId::new(2)),
        Some(ReaderMode::Unattended)
    );
    facility.verify_audit().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_store_opened_with_another_pepper_is_refused() {
    let dir = scratch("pepper");
    let path = dir.join("facility.db");
    drop(open(&path, morning()).unwrap());
    let other = FacilityKeys::new(SecretBytes::from("another pepper, 16 bytes+")).unwrap();
    let result = Facility::open(
        SqliteStore::open(&path).unwrap(),
        other,
        &first_admin(&secret(ADMIN_PASSWORD)),
        morning(),
    );
    assert_eq!(result.err(), Some(FacilityError::WrongPepper));
    assert_eq!(
        FacilityKeys::new(SecretBytes::from("too short")).err(),
        Some(FacilityError::WeakPepper)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_passcode_hash_in_the_store_needs_the_pepper() {
    // What a thief of the file has: the stored hash. Without the pepper, none of the 10 000
    // passcodes matches it, the right one included.
    let dir = scratch("stolen");
    let path = dir.join("facility.db");
    let mut facility = open(&path, morning()).unwrap();
    let admin = admin(&mut facility, morning());
    facility
        .set_staff_passcode(&admin, &secret(STAFF_PASSCODE), morning())
        .unwrap();
    for name in ["clerk-1", "clerk-2"] {
        facility
            .issue_account(
                &admin,
                name,
                &secret("same-password"),
                Role::General,
                morning(),
            )
            .unwrap();
    }
    drop(facility);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let state: String = connection
        .query_row("SELECT state FROM facility", [], |row| row.get(0))
        .unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let hash = state["staff_passcode"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    use argon2::password_hash::PasswordVerifier;
    assert!(
        argon2::Argon2::default()
            .verify_password(STAFF_PASSCODE.as_bytes(), hash.as_str())
            .is_err()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_verifier_finds_the_first_edited_removed_or_inserted_entry() {
    let dir = scratch("tamper");
    let path = dir.join("facility.db");
    {
        let mut facility = open(&path, morning()).unwrap();
        let admin = admin(&mut facility, morning());
        facility
            .add_reader(&admin, ReaderId::new(1), morning())
            .unwrap();
        for mode in [
            ReaderMode::PinOnly,
            ReaderMode::LegacyVisual,
            ReaderMode::Unattended,
        ] {
            facility
                .set_reader_mode(&admin, ReaderId::new(1), mode, morning())
                .unwrap();
        }
        // 0 created, 1 logged in, 2 reader added, 3..=5 modes.
        assert_eq!(facility.audit_head().next_seq, 6);
    }
    let sql = |statement: &str| {
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(statement)
            .unwrap();
    };
    let verdict = || open(&path, morning()).unwrap().verify_audit();
    assert_eq!(verdict(), Ok(()));
    // Someone rewrites who switched the mode.
    sql(
        "UPDATE audit SET entry = replace(entry, '\"actor\":\"admin\"', '\"actor\":\"clerk\"') WHERE seq = 4",
    );
    assert_eq!(verdict(), Err(BrokenLink::Hash { seq: 5 }));
    // ...or removes that entry.
    sql("DELETE FROM audit WHERE seq = 4");
    assert_eq!(
        verdict(),
        Err(BrokenLink::Sequence {
            expected: 4,
            found: 5
        })
    );
    // ...or the last one.
    std::fs::remove_dir_all(&dir).unwrap();
    let dir = scratch("tamper-2");
    let path = dir.join("facility.db");
    drop(open(&path, morning()).unwrap());
    {
        let mut facility = open(&path, morning()).unwrap();
        let admin = admin(&mut facility, morning());
        facility
            .add_reader(&admin, ReaderId::new(1), morning())
            .unwrap();
    }
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DELETE FROM audit WHERE seq = 2")
        .unwrap();
    assert_eq!(
        open(&path, morning()).unwrap().verify_audit(),
        Err(BrokenLink::Truncated {
            ends_at: 2,
            head: 3
        })
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A store that fails its commits while `failing` is set.
struct Flaky {
    inner: SqliteStore,
    failing: Arc<AtomicBool>,
}

impl FacilityStore for Flaky {
    fn load(&mut self) -> Result<Option<StoredFacility>, StoreError> {
        self.inner.load()
    }

    fn commit(&mut self, commit: &Commit<'_>) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable);
        }
        self.inner.commit(commit)
    }
}

#[test]
fn a_change_the_store_refused_is_not_made() {
    let failing = Arc::new(AtomicBool::new(false));
    let store = Flaky {
        inner: SqliteStore::open_in_memory().unwrap(),
        failing: Arc::clone(&failing),
    };
    let mut facility = Facility::open(
        store,
        onshi::sim::facility_keys(),
        &first_admin(&secret(ADMIN_PASSWORD)),
        morning(),
    )
    .unwrap();
    let admin = admin(&mut facility, morning());
    facility
        .add_reader(&admin, ReaderId::new(1), morning())
        .unwrap();
    let head = facility.audit_head();
    failing.store(true, Ordering::SeqCst);
    assert_eq!(
        facility.set_reader_mode(&admin, ReaderId::new(1), ReaderMode::PinOnly, morning()),
        Err(FacilityError::Store(StoreError::Unavailable))
    );
    assert_eq!(
        facility.reader_mode(ReaderId::new(1)),
        Some(ReaderMode::Unattended)
    );
    assert_eq!(facility.audit_head(), head);
    // A login whose audit entry cannot be kept does not open a session either.
    assert_eq!(
        facility.login("admin", &secret(ADMIN_PASSWORD), morning()),
        Err(FacilityError::Store(StoreError::Unavailable))
    );
    failing.store(false, Ordering::SeqCst);
    facility
        .set_reader_mode(&admin, ReaderId::new(1), ReaderMode::PinOnly, morning())
        .unwrap();
    facility.verify_audit().unwrap();
}

#[test]
fn two_handles_on_one_file_do_not_overwrite_each_other() {
    let dir = scratch("two-handles");
    let path = dir.join("facility.db");
    let mut first = open(&path, morning()).unwrap();
    let mut second = open(&path, morning()).unwrap();
    let admin_first = admin(&mut first, morning());
    first
        .add_reader(&admin_first, ReaderId::new(1), morning())
        .unwrap();
    // The second handle read the file before that: its change is refused, and it catches up.
    assert_eq!(
        second.login("admin", &secret(ADMIN_PASSWORD), morning()),
        Err(FacilityError::Store(StoreError::Conflict))
    );
    assert_eq!(
        second.reader_mode(ReaderId::new(1)),
        Some(ReaderMode::Unattended)
    );
    let admin_second = admin(&mut second, morning());
    second
        .set_reader_mode(
            &admin_second,
            ReaderId::new(1),
            ReaderMode::PinOnly,
            morning(),
        )
        .unwrap();
    drop((first, second));
    let facility = open(&path, morning()).unwrap();
    assert_eq!(
        facility.reader_mode(ReaderId::new(1)),
        Some(ReaderMode::PinOnly)
    );
    facility.verify_audit().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_store_from_a_newer_version_is_refused() {
    let dir = scratch("newer");
    let path = dir.join("facility.db");
    drop(open(&path, morning()).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 2)
        .unwrap();
    assert_eq!(
        SqliteStore::open(&path).err(),
        Some(StoreError::NewerSchema {
            found: 2,
            supported: 1
        })
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// ---- kill -9 ----

/// The writer the kill test starts and kills: it opens the store, then logs in, switches
/// modes and runs staff visits with a wrong passcode, printing `ack <next seq> <what>` after
/// each call returned. Run only by the kill test (it is ignored otherwise).
#[test]
#[ignore = "the kill test's child process"]
fn kill_test_writer() {
    let Some(path) = std::env::var_os("ONSHI_KILL_TEST_STORE") else {
        return;
    };
    let path = PathBuf::from(path);
    let now = morning();
    let mut facility = open(&path, now).unwrap();
    let reader = ReaderId::new(1);
    let mut out = std::io::stdout().lock();
    let mut ack = |facility: &Facility, what: &str| {
        writeln!(out, "ack {} {what}", facility.audit_head().next_seq).unwrap();
        out.flush().unwrap();
    };
    let setup = admin(&mut facility, now);
    ack(&facility, "login");
    if facility.reader_mode(reader).is_none() {
        facility.add_reader(&setup, reader, now).unwrap();
        ack(&facility, "reader");
    }
    if facility.staff_passcode_source().is_none() {
        facility
            .set_staff_passcode(&setup, &secret(STAFF_PASSCODE), now)
            .unwrap();
        ack(&facility, "passcode");
    }
    // A visit cut off by the kill still holds its passcode attempts: the admin clears them,
    // as at a terminal after a crash.
    if facility.open_visits() > 0 {
        facility.unlock_staff_passcode(&setup, now).unwrap();
        ack(&facility, "unlock");
    }
    let modes = [
        ReaderMode::PinOnly,
        ReaderMode::LegacyVisual,
        ReaderMode::Unattended,
    ];
    for i in 0usize.. {
        let admin = admin(&mut facility, now);
        ack(&facility, "login");
        let mode = modes[i % 3];
        facility.set_reader_mode(&admin, reader, mode, now).unwrap();
        ack(&facility, &format!("mode {mode:?}"));
        if i % 4 == 0 {
            // One wrong passcode, then the right one: the count goes up, then back to 0.
            staff_visit(&mut facility, reader, &["0000", STAFF_PASSCODE]);
            ack(&facility, "visit");
        }
    }
}

/// A small deterministic generator for the kill delays.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn a_writer_killed_at_random_points_loses_no_acknowledged_change() {
    let kills: u32 = std::env::var("ONSHI_KILL_TEST_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(25);
    let dir = scratch("kill");
    let path = dir.join("facility.db");
    let exe = std::env::current_exe().unwrap();
    let mut random = 0x9E37_79B9_7F4A_7C15_u64;
    let mut acknowledged = 0usize;
    for kill in 0..kills {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "kill_test_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("ONSHI_KILL_TEST_STORE", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter(|line| line.starts_with("ack "))
                .collect::<Vec<_>>()
        });
        // Between 20 and 420 ms: sometimes while it opens the store, mostly mid-change.
        std::thread::sleep(Duration::from_millis(20 + next_random(&mut random) % 400));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "kill {kill}: the writer is meant to run until killed"
        );
        let acks = reader.join().unwrap();
        // Reopen, as the terminal does after the crash.
        let facility = open(&path, morning()).unwrap();
        facility
            .verify_audit()
            .unwrap_or_else(|link| panic!("kill {kill}: audit chain broken: {link}"));
        let head = facility.audit_head().next_seq;
        for ack in &acks {
            let mut words = ack.split(' ').skip(1);
            let seq: u64 = words.next().unwrap().parse().unwrap();
            assert!(
                seq <= head,
                "kill {kill}: acknowledged {ack}, but the store ends at {head}"
            );
            let entry = facility
                .audit()
                .iter()
                .find(|entry| entry.seq == seq - 1)
                .unwrap_or_else(|| panic!("kill {kill}: entry {} of {ack} missing", seq - 1));
            if words.next() == Some("mode") {
                assert!(
                    matches!(entry.action, FacilityAction::ModeChanged { .. }),
                    "{ack}: {entry:?}"
                );
            }
        }
        // The state agrees with the trail: the mode is the last one the trail switched to.
        let last_mode = facility
            .audit()
            .iter()
            .rev()
            .find_map(|entry| match entry.action {
                FacilityAction::ModeChanged { to, .. } => Some(to),
                _ => None,
            });
        if let Some(mode) = last_mode {
            assert_eq!(
                facility.reader_mode(ReaderId::new(1)),
                Some(mode),
                "kill {kill}"
            );
        }
        // A visit's wrong passcode is counted and the right one clears it, in one commit
        // each: after any kill the count is 0 or 1.
        assert!(facility.staff_passcode_failures() <= 1, "kill {kill}");
        acknowledged += acks.len();
    }
    let facility = open(&path, morning()).unwrap();
    println!(
        "kill test: {kills} kills survived, {acknowledged} acknowledged changes all kept, \
         {} audit entries chained",
        facility.audit_head().next_seq
    );
    assert!(acknowledged > 0, "the writer never got going");
    std::fs::remove_dir_all(dir).unwrap();
}
