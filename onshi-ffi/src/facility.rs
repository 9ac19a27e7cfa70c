//! The facility: accounts, reader modes, the staff passcode and its lock, the audit trail,
//! kept in one SQLite file; visits begun and handed back through it.

use std::ffi::{CString, c_char};

use onshi::SecretBytes;
use onshi::facility::{
    Facility, FacilityError, FacilityKeys, FirstAdmin, HashCost, ReaderId, Role, Session,
    SqliteStore,
};
use onshi::reception::{Visit, VisitSettings};
use onshi::time::Timestamp;

use crate::registry::{self, HandleObject};
use crate::visit::{MODES, OnshiVisit, TRUSTS, VisitObject, capabilities, trust_anchors};
use crate::{
    Failure, FfiResult, OnshiStatus, bytes_in, challenge_in, choice, code_of, entry, json_in,
    json_out, merged, merged_over, str_in, write_out,
};

/// A facility (opaque; a handle).
pub struct OnshiFacility {
    _private: [u8; 0],
}

/// A login (opaque; a handle): an admin's or a general account's session.
pub struct OnshiSession {
    _private: [u8; 0],
}

/// An account's role.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiRole {
    /// 管理者アカウント.
    Admin = 1,
    /// A general staff account.
    General = 2,
}

pub(crate) struct FacilityObject {
    facility: Facility,
    /// The last JSON handed out, kept until the next call.
    out_json: Option<CString>,
}

impl HandleObject for FacilityObject {
    const KIND: &'static str = "facility";
    type Opaque = OnshiFacility;
}

struct SessionObject {
    /// `None` once logged out.
    session: Option<Session>,
}

impl SessionObject {
    fn session(&self) -> FfiResult<&Session> {
        self.session
            .as_ref()
            .ok_or_else(|| refused(FacilityError::SessionInvalid))
    }
}

impl HandleObject for SessionObject {
    const KIND: &'static str = "session";
    type Opaque = OnshiSession;
}

fn refused(error: FacilityError) -> Failure {
    let message = match error {
        FacilityError::LoginThrottled { retry_at } => {
            format!("{error} (at {})", retry_at.unix_seconds())
        }
        other => other.to_string(),
    };
    Failure::new(OnshiStatus::Facility, message)
}

/// A secret from the host, copied into memory wiped on drop.
///
/// # Safety
///
/// As [`bytes_in`].
unsafe fn secret(ptr: *const u8, len: usize) -> FfiResult<SecretBytes> {
    // SAFETY: the caller's promise, passed on.
    Ok(SecretBytes::copy_from(unsafe { bytes_in(ptr, len) }?))
}

fn with_facility(
    facility: *mut OnshiFacility,
    body: impl FnOnce(&mut FacilityObject) -> FfiResult,
) -> OnshiStatus {
    entry(|| {
        registry::with::<FacilityObject, _>(facility, |object| {
            object.out_json = None;
            body(object)
        })
    })
}

/// Runs an admin action: its `arguments` read from the host first, then the session checked
/// (an admin's of this facility, still valid), then the action.
fn as_admin<A>(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    now: i64,
    arguments: impl FnOnce() -> FfiResult<A>,
    action: impl FnOnce(
        &mut Facility,
        &onshi::facility::AdminSession,
        Timestamp,
        A,
    ) -> Result<(), FacilityError>,
) -> OnshiStatus {
    entry(|| {
        let arguments = arguments()?;
        registry::with_two::<FacilityObject, SessionObject, _>(
            facility,
            session,
            |object, login| {
                object.out_json = None;
                let now = Timestamp::from_unix_seconds(now);
                let admin = object
                    .facility
                    .admin(login.session()?, now)
                    .map_err(refused)?;
                action(&mut object.facility, admin, now, arguments).map_err(refused)
            },
        )
    })
}

/// Opens the facility kept in the SQLite file at `path` (UTF-8), creating it with its first
/// admin account on first use (the password is used only then). `pepper` (16 to 64 bytes)
/// keys the staff passcode's hash: keep it outside the file (DPAPI, a key store, a TPM); the
/// same pepper must open the file every time. Argon2id with onshi's recommended cost.
///
/// # Safety
///
/// The strings are NUL-terminated; the buffers point to their lengths' readable bytes; `out`
/// points to a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_open(
    path: *const c_char,
    pepper: *const u8,
    pepper_len: usize,
    admin_name: *const c_char,
    admin_password: *const u8,
    admin_password_len: usize,
    now: i64,
    out: *mut *mut OnshiFacility,
) -> OnshiStatus {
    entry(|| {
        // SAFETY: the caller's promise.
        let path = unsafe { str_in(path, "the path") }?;
        let store = SqliteStore::open(path).map_err(|error| {
            Failure::new(OnshiStatus::Facility, format!("facility store: {error}"))
        })?;
        // SAFETY: the caller's promises.
        unsafe {
            open(
                store,
                pepper,
                pepper_len,
                admin_name,
                admin_password,
                admin_password_len,
                HashCost::RECOMMENDED,
                now,
                out,
            )
        }
    })
}

/// As `onshi_facility_open`, in memory (forgotten when freed) and with a cheap hash: for tests
/// and demos only.
///
/// # Safety
///
/// As `onshi_facility_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_open_in_memory(
    pepper: *const u8,
    pepper_len: usize,
    admin_name: *const c_char,
    admin_password: *const u8,
    admin_password_len: usize,
    now: i64,
    out: *mut *mut OnshiFacility,
) -> OnshiStatus {
    entry(|| {
        let store = SqliteStore::open_in_memory().map_err(|error| {
            Failure::new(OnshiStatus::Facility, format!("facility store: {error}"))
        })?;
        // SAFETY: the caller's promises.
        unsafe {
            open(
                store,
                pepper,
                pepper_len,
                admin_name,
                admin_password,
                admin_password_len,
                HashCost::FAST_FOR_TESTS,
                now,
                out,
            )
        }
    })
}

#[allow(clippy::too_many_arguments)]
unsafe fn open(
    store: SqliteStore,
    pepper: *const u8,
    pepper_len: usize,
    admin_name: *const c_char,
    admin_password: *const u8,
    admin_password_len: usize,
    cost: HashCost,
    now: i64,
    out: *mut *mut OnshiFacility,
) -> FfiResult {
    if out.is_null() {
        return Err(Failure::new(OnshiStatus::NullPointer, "out is null"));
    }
    // SAFETY: the caller's promise.
    let keys = FacilityKeys::new(unsafe { secret(pepper, pepper_len) }?).map_err(refused)?;
    // SAFETY: the caller's promise.
    let name = unsafe { str_in(admin_name, "the admin name") }?;
    // SAFETY: the caller's promise.
    let password = unsafe { secret(admin_password, admin_password_len) }?;
    let first_admin = FirstAdmin {
        name,
        password: &password,
        cost,
    };
    let facility = Facility::open(store, keys, &first_admin, Timestamp::from_unix_seconds(now))
        .map_err(refused)?;
    let handle = registry::insert(FacilityObject {
        facility,
        out_json: None,
    })?;
    // SAFETY: the caller's promise.
    unsafe { write_out(out, handle, "out") }
}

/// Frees a facility (null is a no-op); everything is already in its store.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_free(facility: *mut OnshiFacility) -> OnshiStatus {
    entry(|| registry::remove::<FacilityObject>(facility))
}

/// Logs in; the session goes to `out` (free it with `onshi_facility_logout` or
/// `onshi_session_free`). Every attempt is audited; failures are throttled.
///
/// # Safety
///
/// `name` is NUL-terminated; `password` points to `password_len` bytes; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_login(
    facility: *mut OnshiFacility,
    name: *const c_char,
    password: *const u8,
    password_len: usize,
    now: i64,
    out: *mut *mut OnshiSession,
) -> OnshiStatus {
    if out.is_null() {
        return entry(|| Err(Failure::new(OnshiStatus::NullPointer, "out is null")));
    }
    with_facility(facility, |object| {
        // SAFETY: the caller's promise.
        let name = unsafe { str_in(name, "the account name") }?;
        // SAFETY: the caller's promise.
        let password = unsafe { secret(password, password_len) }?;
        let session = object
            .facility
            .login(name, &password, Timestamp::from_unix_seconds(now))
            .map_err(refused)?;
        let handle = registry::insert(SessionObject {
            session: Some(session),
        })?;
        // SAFETY: the caller's promise.
        unsafe { write_out(out, handle, "out") }
    })
}

/// Logs out (audited) and frees the session.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_logout(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    now: i64,
) -> OnshiStatus {
    let status = entry(|| {
        registry::with_two::<FacilityObject, SessionObject, _>(
            facility,
            session,
            |object, login| {
                login.session()?;
                let session = login
                    .session
                    .take()
                    .ok_or_else(|| refused(FacilityError::SessionInvalid))?;
                object
                    .facility
                    .logout(session, Timestamp::from_unix_seconds(now))
                    .map_err(refused)
            },
        )
    });
    if status != OnshiStatus::Ok {
        return status;
    }
    entry(|| registry::remove::<SessionObject>(session))
}

/// Frees a session without logging out (null is a no-op).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_session_free(session: *mut OnshiSession) -> OnshiStatus {
    entry(|| registry::remove::<SessionObject>(session))
}

/// Adds reader `reader` (admin).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_add_reader(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    reader: u16,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        || Ok(()),
        |facility, admin, now, ()| facility.add_reader(admin, ReaderId::new(reader), now),
    )
}

/// Switches a reader's mode (an [`OnshiReaderMode`](crate::OnshiReaderMode); admin).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_set_reader_mode(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    reader: u16,
    mode: u32,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        || choice(mode, &MODES, "reader mode"),
        |facility, admin, now, mode| {
            facility.set_reader_mode(admin, ReaderId::new(reader), mode, now)
        },
    )
}

/// Sets the staff visual-check passcode (4 digits; admin). A secret: wiped after use.
///
/// # Safety
///
/// `passcode` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_set_staff_passcode(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    passcode: *const u8,
    len: usize,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        // SAFETY: the caller's promise.
        || unsafe { secret(passcode, len) },
        |facility, admin, now, passcode| facility.set_staff_passcode(admin, &passcode, now),
    )
}

/// Clears the staff passcode's lock and the count of wrong entries (admin).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_unlock_staff_passcode(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        || Ok(()),
        |facility, admin, now, ()| facility.unlock_staff_passcode(admin, now),
    )
}

/// Sets the staff passcode fetched by the terminal from the national system
/// (「目視確認用パスコード取得結果」; 4 digits; no session: the terminal's own link). A secret:
/// wiped after use.
///
/// # Safety
///
/// `passcode` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_receive_staff_passcode(
    facility: *mut OnshiFacility,
    passcode: *const u8,
    len: usize,
    now: i64,
) -> OnshiStatus {
    with_facility(facility, |object| {
        // SAFETY: the caller's promise.
        let passcode = unsafe { secret(passcode, len) }?;
        object
            .facility
            .receive_staff_passcode(&passcode, Timestamp::from_unix_seconds(now))
            .map_err(refused)
    })
}

/// Changes the facility's settings (admin): `config_json` holds the settings to change, over
/// the current ones (onshi's `FacilityConfig`: `admin_session_seconds`,
/// `legacy_mode_reminder_seconds`, `staff_passcode_lock_after`, `audit_retention`), each
/// within its bounds.
///
/// # Safety
///
/// `config_json` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_set_config(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    config_json: *const c_char,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        || {
            // SAFETY: the caller's promise.
            unsafe { json_in(config_json, "the config") }?
                .ok_or_else(|| Failure::new(OnshiStatus::NullPointer, "the config is null"))
        },
        |facility, admin, now, overrides| {
            let config = merged_over(&facility.config(), Some(overrides), "the config")
                .map_err(|_| FacilityError::ConfigOutOfRange)?;
            facility.set_config(admin, config, now)
        },
    )
}

/// The facility's settings as JSON (onshi's `FacilityConfig`), valid until the next call with
/// this facility.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_config_json(
    facility: *mut OnshiFacility,
    out: *mut *const c_char,
) -> OnshiStatus {
    json_query(facility, out, |facility| json_out(&facility.config()))
}

/// Unlocks an account locked by failed logins (admin).
///
/// # Safety
///
/// `name` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_unlock_account(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    name: *const c_char,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        // SAFETY: the caller's promise.
        || unsafe { str_in(name, "the account name") },
        |facility, admin, now, name| facility.unlock_account(admin, name, now),
    )
}

/// Issues an account (an [`OnshiRole`]; admin). The password has 8 to 128 bytes.
///
/// # Safety
///
/// `name` is NUL-terminated; `password` points to `password_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_issue_account(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    name: *const c_char,
    password: *const u8,
    password_len: usize,
    role: u32,
    now: i64,
) -> OnshiStatus {
    const ROLES: [(u32, Role); 2] = [
        (OnshiRole::Admin as u32, Role::Admin),
        (OnshiRole::General as u32, Role::General),
    ];
    let arguments = || {
        // SAFETY: the caller's promises.
        let (name, password) = unsafe {
            (
                str_in(name, "the account name")?,
                secret(password, password_len)?,
            )
        };
        Ok((name, password, choice(role, &ROLES, "role")?))
    };
    as_admin(
        facility,
        session,
        now,
        arguments,
        |facility, admin, now, (name, password, role)| {
            facility.issue_account(admin, name, &password, role, now)
        },
    )
}

/// Revokes an account (admin; its sessions end).
///
/// # Safety
///
/// `name` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_revoke_account(
    facility: *mut OnshiFacility,
    session: *mut OnshiSession,
    name: *const c_char,
    now: i64,
) -> OnshiStatus {
    as_admin(
        facility,
        session,
        now,
        // SAFETY: the caller's promise.
        || unsafe { str_in(name, "the account name") },
        |facility, admin, now, name| facility.revoke_account(admin, name, now),
    )
}

/// A reader's mode (an [`OnshiReaderMode`](crate::OnshiReaderMode)) into `out`.
///
/// # Safety
///
/// `out` points to a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_reader_mode(
    facility: *mut OnshiFacility,
    reader: u16,
    out: *mut u32,
) -> OnshiStatus {
    with_facility(facility, |object| {
        let mode = object
            .facility
            .reader_mode(ReaderId::new(reader))
            .ok_or_else(|| refused(FacilityError::NoSuchReader))?;
        let code = code_of(mode, &MODES);
        // SAFETY: the caller's promise.
        unsafe { write_out(out, code, "out") }
    })
}

fn json_query(
    facility: *mut OnshiFacility,
    out: *mut *const c_char,
    value: impl FnOnce(&Facility) -> FfiResult<CString>,
) -> OnshiStatus {
    if out.is_null() {
        return entry(|| Err(Failure::new(OnshiStatus::NullPointer, "out is null")));
    }
    with_facility(facility, |object| {
        let json = object.out_json.insert(value(&object.facility)?);
        // SAFETY: non-null (checked above), and the caller promises it is writable.
        unsafe { out.write(json.as_ptr()) };
        Ok(())
    })
}

/// The audit trail from sequence number `from_seq` on, a JSON array of onshi's
/// `FacilityEvent` (sequence, time, actor, action, previous entry's hash); valid until the next
/// call with this facility.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_audit_json(
    facility: *mut OnshiFacility,
    from_seq: u64,
    out: *mut *const c_char,
) -> OnshiStatus {
    json_query(facility, out, |facility| {
        let events: Vec<_> = facility
            .audit()
            .iter()
            .filter(|event| event.seq >= from_seq)
            .collect();
        json_out(&events)
    })
}

/// Readers left in the legacy visual mode past the reminder time, a JSON array (reader,
/// since, seconds); valid until the next call with this facility.
///
/// # Safety
///
/// `out` points to a writable `const char*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_facility_mode_reminders_json(
    facility: *mut OnshiFacility,
    now: i64,
    out: *mut *const c_char,
) -> OnshiStatus {
    json_query(facility, out, |facility| {
        json_out(&facility.mode_reminders(Timestamp::from_unix_seconds(now)))
    })
}

/// Checks the audit trail's hash chain: `FACILITY` with the first broken link in the message
/// when it was edited, cut or reordered.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_verify_audit(facility: *mut OnshiFacility) -> OnshiStatus {
    with_facility(facility, |object| {
        object.facility.verify_audit().map_err(|broken| {
            Failure::new(
                OnshiStatus::Facility,
                format!("the audit trail is broken: {broken}"),
            )
        })
    })
}

/// Begins a visit at `reader` with the reader's mode and the facility's passcode check (the
/// visit holds its attempts): `trust` is an [`OnshiTrust`](crate::OnshiTrust),
/// `extended_length` non-zero when the reader passes extended APDUs, `settings_json` null or
/// the settings to change, `challenge` 32 fresh random bytes or null (drawn from the OS). Hand
/// the visit back with `onshi_facility_finish` once it is finished.
///
/// # Safety
///
/// `settings_json` is null or NUL-terminated; `challenge` is null or 32 bytes; `out` is
/// writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn onshi_facility_begin_visit(
    facility: *mut OnshiFacility,
    reader: u16,
    extended_length: u32,
    trust: u32,
    settings_json: *const c_char,
    now: i64,
    challenge: *const u8,
    out: *mut *mut OnshiVisit,
) -> OnshiStatus {
    if out.is_null() {
        return entry(|| Err(Failure::new(OnshiStatus::NullPointer, "out is null")));
    }
    let id = facility.addr();
    with_facility(facility, |object| {
        let trust = trust_anchors(choice(trust, &TRUSTS, "trust")?)?;
        // SAFETY: the caller's promises.
        let settings: VisitSettings = merged(
            unsafe { json_in(settings_json, "the settings") }?,
            "the settings",
        )?;
        // SAFETY: as above.
        let challenge = unsafe { challenge_in(challenge) }?;
        let context = object
            .facility
            .begin_visit(ReaderId::new(reader), capabilities(extended_length))
            .map_err(refused)?
            .with_trust(trust);
        let visit = Visit::new(
            context,
            settings,
            Timestamp::from_unix_seconds(now),
            challenge,
        );
        let handle = registry::insert(VisitObject::new(visit, Some(id)))?;
        // SAFETY: the caller's promise.
        unsafe { write_out(out, handle, "out") }
    })
}

/// Hands a finished visit back to the facility that began it, once: wrong staff passcodes
/// count toward its lock across visits. Free the visit afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_facility_finish(
    facility: *mut OnshiFacility,
    visit: *mut OnshiVisit,
    now: i64,
) -> OnshiStatus {
    let id = facility.addr();
    entry(|| {
        registry::with_two::<FacilityObject, VisitObject, _>(facility, visit, |object, visit| {
            object.out_json = None;
            if visit.facility != Some(id) {
                return Err(refused(FacilityError::UnknownVisit));
            }
            // Checked here too: without a staff passcode the facility has nothing to settle,
            // but a host that hands back a running visit has its loop wrong.
            if visit.visit.outcome().is_none() {
                return Err(refused(FacilityError::VisitNotFinished));
            }
            object
                .facility
                .finish(&visit.visit, Timestamp::from_unix_seconds(now))
                .map_err(refused)?;
            visit.facility = None;
            Ok(())
        })
    })
}
