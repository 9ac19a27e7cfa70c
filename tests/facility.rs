//! The facility: accounts and roles, admin sessions as capabilities, mode switching, the staff
//! passcode (set by the admin or fetched from the national system) and its lock, the audit
//! trail.

mod common;

use common::harness::{ADMIN_PASSWORD, Harness, secret};
use common::morning;
use onshi::facility::{
    Facility, FacilityAction, FacilityConfig, FacilityError, FacilityEvent, HashCost,
    PasscodeSource, ReaderId, ReaderMode, Role, Session,
};
use onshi::reception::{VisitSettings, VisitStage};
use onshi::sim::Persona;
use onshi::{CardEvent, ReaderCapabilities};
use proptest::prelude::*;

fn setup() -> Facility {
    Facility::new(
        "admin",
        &secret(ADMIN_PASSWORD),
        onshi::sim::facility_keys(),
        morning(),
        HashCost::FAST_FOR_TESTS,
    )
    .unwrap()
}

fn admin(facility: &mut Facility) -> onshi::facility::AdminSession {
    match facility
        .login("admin", &secret(ADMIN_PASSWORD), morning())
        .unwrap()
    {
        Session::Admin(session) => session,
        Session::General(_) => panic!("admin expected"),
    }
}

#[test]
fn only_an_admin_switches_a_mode() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    let reader = ReaderId::new(1);
    facility.add_reader(&admin, reader, morning()).unwrap();
    facility
        .issue_account(
            &admin,
            "clerk",
            &secret("clerk-password"),
            Role::General,
            morning(),
        )
        .unwrap();
    let Session::General(_general) = facility
        .login("clerk", &secret("clerk-password"), morning())
        .unwrap()
    else {
        panic!("general expected")
    };
    // A general session is a different type: `set_reader_mode(&general, ..)` does not compile.
    assert_eq!(
        facility.login("admin", &secret("wrong-password"), morning()),
        Err(FacilityError::LoginFailed)
    );
    assert_eq!(
        facility.login("nobody", &secret("whatever-pw"), morning()),
        Err(FacilityError::LoginFailed)
    );
    facility
        .set_reader_mode(&admin, reader, ReaderMode::LegacyVisual, morning())
        .unwrap();
    assert_eq!(facility.reader_mode(reader), Some(ReaderMode::LegacyVisual));
}

#[test]
fn admin_sessions_expire_and_end_with_revocation() {
    let mut facility = setup();
    let first = admin(&mut facility);
    let reader = ReaderId::new(1);
    facility.add_reader(&first, reader, morning()).unwrap();
    let late = morning().saturating_add_seconds(16 * 60);
    assert_eq!(
        facility.set_reader_mode(&first, reader, ReaderMode::PinOnly, late),
        Err(FacilityError::SessionInvalid)
    );
    facility
        .issue_account(
            &first,
            "second",
            &secret("second-admin-pw"),
            Role::Admin,
            morning(),
        )
        .unwrap();
    let Session::Admin(second) = facility
        .login("second", &secret("second-admin-pw"), morning())
        .unwrap()
    else {
        panic!()
    };
    facility
        .revoke_account(&first, "second", morning())
        .unwrap();
    assert_eq!(
        facility.set_reader_mode(&second, reader, ReaderMode::PinOnly, morning()),
        Err(FacilityError::SessionInvalid)
    );
    assert_eq!(
        facility.login("second", &secret("second-admin-pw"), morning()),
        Err(FacilityError::LoginFailed)
    );
    assert_eq!(facility.reader_mode(reader), Some(ReaderMode::Unattended));
    assert_eq!(
        facility.revoke_account(&first, "admin", morning()),
        Err(FacilityError::CannotRevokeSelf)
    );
}

#[test]
fn mode_reminders_for_readers_left_in_legacy_mode() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    for n in 1..=2 {
        facility
            .add_reader(&admin, ReaderId::new(n), morning())
            .unwrap();
    }
    facility
        .set_reader_mode(
            &admin,
            ReaderId::new(2),
            ReaderMode::LegacyVisual,
            morning(),
        )
        .unwrap();
    assert!(
        facility
            .mode_reminders(morning().saturating_add_seconds(29 * 60))
            .is_empty()
    );
    let reminders = facility.mode_reminders(morning().saturating_add_seconds(45 * 60));
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].reader, ReaderId::new(2));
    assert_eq!(reminders[0].seconds, 45 * 60);
}

/// [`common::harness::staff_visit`] at reader 1, which is added when missing.
fn staff_visit(facility: &mut Facility, codes: &[&str]) -> (VisitStage, u8) {
    if facility.reader_mode(ReaderId::new(1)).is_none() {
        let admin = admin(facility);
        facility
            .add_reader(&admin, ReaderId::new(1), morning())
            .unwrap();
    }
    common::harness::staff_visit(facility, ReaderId::new(1), codes)
}

/// A facility with reader 1 and the staff passcode 4321, and its admin's session.
fn with_reader_and_passcode() -> (Facility, onshi::facility::AdminSession) {
    let mut facility = setup();
    let admin = admin(&mut facility);
    facility
        .add_reader(&admin, ReaderId::new(1), morning())
        .unwrap();
    facility
        .set_staff_passcode(&admin, &secret("4321"), morning())
        .unwrap();
    (facility, admin)
}

const WRONG_3: [&str; 3] = ["0000", "0000", "0000"];

#[test]
fn staff_passcode_rules_and_lock() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    assert_eq!(
        facility.set_staff_passcode(&admin, &secret("12345"), morning()),
        Err(FacilityError::InvalidPasscode)
    );
    facility
        .set_staff_passcode(&admin, &secret("4321"), morning())
        .unwrap();
    for _ in 0..3 {
        assert_eq!(staff_visit(&mut facility, &WRONG_3).1, 3);
    }
    assert!(!facility.staff_passcode_locked());
    // The fourth visit gets the one attempt left before the lock.
    assert_eq!(staff_visit(&mut facility, &["0000"]).1, 1);
    assert!(facility.staff_passcode_locked());
    let context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap();
    assert!(context.staff_passcode.is_none());
    assert!(
        facility
            .audit()
            .iter()
            .any(|e| e.action == FacilityAction::StaffPasscodeLocked)
    );
    // Each visit's wrong entries are in the facility's trail too, not only the lock.
    let rejected: Vec<u8> = facility
        .audit()
        .iter()
        .filter_map(|e| match e.action {
            FacilityAction::StaffPasscodeRejected { entries } => Some(entries),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, [3, 3, 3, 1]);
    // A passcode from the national system does not lift the lock: nobody checked who guessed.
    facility
        .receive_staff_passcode(&secret("2468"), morning())
        .unwrap();
    assert!(facility.staff_passcode_locked());
    // An admin does, keeping the passcode...
    facility.unlock_staff_passcode(&admin, morning()).unwrap();
    assert!(!facility.staff_passcode_locked());
    assert_eq!(
        facility.audit().last().map(|e| &e.action),
        Some(&FacilityAction::StaffPasscodeUnlocked)
    );
    assert_eq!(
        staff_visit(&mut facility, &["8765", "2468"]),
        (VisitStage::Consent, 1)
    );
    // ...and a right entry starts the count again.
    assert_eq!(facility.staff_passcode_failures(), 0);
    for _ in 0..3 {
        staff_visit(&mut facility, &WRONG_3);
    }
    staff_visit(&mut facility, &["0000"]);
    assert!(facility.staff_passcode_locked());
    // Or by setting a new passcode.
    facility
        .set_staff_passcode(&admin, &secret("8765"), morning())
        .unwrap();
    assert!(!facility.staff_passcode_locked());
    assert_eq!(staff_visit(&mut facility, &["8765"]).0, VisitStage::Consent);
}

#[test]
fn the_staff_passcode_check_shows_nothing_of_the_passcode() {
    let (mut facility, _admin) = with_reader_and_passcode();
    let check = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .staff_passcode
        .unwrap();
    let debug = format!("{check:?}");
    assert_eq!(
        debug,
        "StaffPasscodeCheck { visit: 1, attempts_left: 3, .. }"
    );
}

#[test]
fn a_visit_is_handed_back_once_to_the_facility_that_began_it() {
    let (mut facility, _admin) = with_reader_and_passcode();
    let mut other = setup();
    let context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    let mut h = Harness::with_context(Persona::Standard, context, VisitSettings::default());
    h.place_card();
    assert_eq!(
        facility.finish(&h.visit, h.now),
        Err(FacilityError::VisitNotFinished)
    );
    h.send(CardEvent::Removed).unwrap();
    assert_eq!(
        other.finish(&h.visit, h.now),
        Err(FacilityError::UnknownVisit)
    );
    facility.finish(&h.visit, h.now).unwrap();
    assert_eq!(
        facility.finish(&h.visit, h.now),
        Err(FacilityError::UnknownVisit)
    );
    assert_eq!(facility.open_visits(), 0);
}

#[test]
fn the_staff_passcode_from_the_national_system() {
    let mut facility = setup();
    assert_eq!(facility.staff_passcode_source(), None);
    // The terminal fetched it (目視確認用パスコード取得要求/結果): no admin session needed.
    facility
        .receive_staff_passcode(&secret("1357"), morning())
        .unwrap();
    assert_eq!(
        facility.staff_passcode_source(),
        Some(PasscodeSource::NationalSystem)
    );
    assert_eq!(staff_visit(&mut facility, &["1357"]).0, VisitStage::Consent);
    let entry = facility
        .audit()
        .iter()
        .rev()
        .find(|e| matches!(e.action, FacilityAction::StaffPasscodeSet { .. }))
        .unwrap();
    assert_eq!(entry.actor, None);
    assert_eq!(
        entry.action,
        FacilityAction::StaffPasscodeSet {
            source: PasscodeSource::NationalSystem
        }
    );
    assert_eq!(
        facility.receive_staff_passcode(&secret("13a7"), morning()),
        Err(FacilityError::InvalidPasscode)
    );
    // Wrong entries count across a change of passcode.
    staff_visit(&mut facility, &WRONG_3);
    facility
        .receive_staff_passcode(&secret("9753"), morning())
        .unwrap();
    staff_visit(&mut facility, &WRONG_3);
    staff_visit(&mut facility, &WRONG_3);
    assert!(!facility.staff_passcode_locked());
    staff_visit(&mut facility, &["0000"]);
    assert!(facility.staff_passcode_locked());
    // The admin may set one of the facility's own after it.
    let admin = admin(&mut facility);
    facility
        .set_staff_passcode(&admin, &secret("4321"), morning())
        .unwrap();
    assert_eq!(
        facility.staff_passcode_source(),
        Some(PasscodeSource::Facility)
    );
    // The audit trail never has a passcode.
    let audit = serde_json::to_string(facility.audit()).unwrap();
    for passcode in ["1357", "9753", "4321", "13a7"] {
        assert!(!audit.contains(passcode), "{passcode}");
    }
}

#[test]
fn the_audit_trail_has_every_action_and_no_secret() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    let _ = facility.login("admin", &secret("wrong-password"), morning());
    facility
        .add_reader(&admin, ReaderId::new(7), morning())
        .unwrap();
    facility
        .set_staff_passcode(&admin, &secret("4321"), morning())
        .unwrap();
    let actions: Vec<&FacilityAction> = facility.audit().iter().map(|e| &e.action).collect();
    assert_eq!(
        actions,
        [
            &FacilityAction::Created,
            &FacilityAction::LoggedIn { role: Role::Admin },
            &FacilityAction::LoginFailed,
            &FacilityAction::ReaderAdded {
                reader: ReaderId::new(7)
            },
            &FacilityAction::StaffPasscodeSet {
                source: PasscodeSource::Facility
            },
        ]
    );
    let json = serde_json::to_string(facility.audit()).unwrap();
    for secret in [ADMIN_PASSWORD, "wrong-password", "4321", "argon2"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
}

#[derive(Clone, Debug)]
enum Action {
    LoginAdmin,
    LoginGeneral,
    LoginWrong,
    SetModeWithLastAdminSession(u8),
    Wait(u16),
    RevokeSecondAdmin,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::LoginAdmin),
        Just(Action::LoginGeneral),
        Just(Action::LoginWrong),
        (0u8..3).prop_map(Action::SetModeWithLastAdminSession),
        (0u16..1200).prop_map(Action::Wait),
        Just(Action::RevokeSecondAdmin),
    ]
}

/// The login throttle's rules (module `onshi::facility` docs), for the account "second" and
/// the whole facility.
#[derive(Default)]
struct ThrottleModel {
    failures: u32,
    until: Option<onshi::time::Timestamp>,
    locked: bool,
    facility_failures: u32,
    facility_until: Option<onshi::time::Timestamp>,
}

impl ThrottleModel {
    fn back_off(first: i64, n: u32) -> i64 {
        (first << n.min(10)).min(15 * 60)
    }

    /// A login of "second" that succeeds when `right`; what it must answer.
    fn login(&mut self, now: onshi::time::Timestamp, right: bool) -> Result<(), FacilityError> {
        if let Some(until) = self.facility_until.filter(|until| now < *until) {
            return Err(FacilityError::LoginThrottled { retry_at: until });
        }
        if self.locked {
            return Err(FacilityError::AccountLocked);
        }
        if let Some(until) = self.until.filter(|until| now < *until) {
            return Err(FacilityError::LoginThrottled { retry_at: until });
        }
        if right {
            *self = Self {
                locked: false,
                ..Self::default()
            };
            return Ok(());
        }
        self.facility_failures += 1;
        if let Some(n) = self.facility_failures.checked_sub(20) {
            self.facility_until = Some(now.saturating_add_seconds(Self::back_off(60, n)));
        }
        self.failures += 1;
        if self.failures >= 20 {
            // "admin" is another active admin: "second" can be locked.
            self.locked = true;
        } else if let Some(n) = self.failures.checked_sub(5) {
            self.until = Some(now.saturating_add_seconds(Self::back_off(30, n)));
        }
        Err(FacilityError::LoginFailed)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The mode changes exactly when an admin session that is still valid asks for it.
    #[test]
    fn a_mode_changes_only_through_a_valid_admin_session(actions in prop::collection::vec(action(), 1..25)) {
        let mut facility = setup();
        let mut now = morning();
        let first = admin(&mut facility);
        let reader = ReaderId::new(1);
        facility.add_reader(&first, reader, now).unwrap();
        facility.issue_account(&first, "clerk", &secret("clerk-password"), Role::General, now).unwrap();
        facility.issue_account(&first, "second", &secret("second-admin-pw"), Role::Admin, now).unwrap();
        let mut session: Option<(onshi::facility::AdminSession, onshi::time::Timestamp)> = None;
        let mut second_revoked = false;
        let mut throttle = ThrottleModel::default();
        for action in actions {
            match action {
                Action::LoginAdmin => {
                    let expected = throttle.login(now, !second_revoked);
                    match facility.login("second", &secret("second-admin-pw"), now) {
                        Ok(Session::Admin(s)) => { prop_assert_eq!(expected, Ok(())); session = Some((s, now)); }
                        Ok(Session::General(_)) => prop_assert!(false, "role mix-up"),
                        Err(error) => prop_assert_eq!(Err(error), expected),
                    }
                }
                Action::LoginGeneral => {
                    let login = facility.login("clerk", &secret("clerk-password"), now);
                    match throttle.facility_until {
                        Some(until) if now < until => prop_assert_eq!(login, Err(FacilityError::LoginThrottled { retry_at: until })),
                        _ => {
                            prop_assert!(matches!(login, Ok(Session::General(_))));
                            throttle.facility_failures = 0;
                            throttle.facility_until = None;
                        }
                    }
                }
                Action::LoginWrong => {
                    let expected = throttle.login(now, false);
                    prop_assert_eq!(facility.login("second", &secret("not-the-password"), now).map(|_| ()), expected);
                }
                Action::SetModeWithLastAdminSession(m) => {
                    let mode = [ReaderMode::Unattended, ReaderMode::PinOnly, ReaderMode::LegacyVisual][usize::from(m)];
                    let before = facility.reader_mode(reader);
                    match &session {
                        Some((s, issued)) => {
                            let valid = !second_revoked && now.seconds_since(*issued) <= 15 * 60;
                            let result = facility.set_reader_mode(s, reader, mode, now);
                            prop_assert_eq!(result.is_ok(), valid);
                            let expected = if valid { Some(mode) } else { before };
                            prop_assert_eq!(facility.reader_mode(reader), expected);
                        }
                        None => prop_assert_eq!(facility.reader_mode(reader), before),
                    }
                }
                Action::Wait(seconds) => now = now.saturating_add_seconds(i64::from(seconds)),
                Action::RevokeSecondAdmin => {
                    // The first admin's session may have expired; log in again for this
                    // (unless the facility's logins are backed off).
                    if throttle.facility_until.is_some_and(|until| now < until) {
                        continue;
                    }
                    let Session::Admin(fresh) = facility.login("admin", &secret(ADMIN_PASSWORD), now).unwrap() else { unreachable!() };
                    throttle.facility_failures = 0;
                    throttle.facility_until = None;
                    let result = facility.revoke_account(&fresh, "second", now);
                    prop_assert_eq!(result.is_ok(), !second_revoked);
                    second_revoked = true;
                }
            }
        }
        // Every mode change in the audit trail was made by an admin account.
        for event in facility.audit() {
            if let FacilityAction::ModeChanged { .. } = event.action {
                prop_assert!(matches!(event.actor.as_deref(), Some("admin") | Some("second")));
            }
        }
    }
}

#[test]
fn a_session_of_one_facility_is_refused_by_another_with_the_same_admin_name() {
    let mut clinic_a = setup();
    let mut clinic_b = setup();
    let from_a = admin(&mut clinic_a);
    assert_eq!(
        clinic_b.add_reader(&from_a, ReaderId::new(9), morning()),
        Err(FacilityError::SessionInvalid)
    );
    assert_eq!(clinic_b.reader_mode(ReaderId::new(9)), None);
    // Refused and audited, without naming another facility's account.
    let entry = clinic_b.audit().last().unwrap();
    assert_eq!(entry.action, FacilityAction::SessionRefused);
    assert_eq!(entry.actor, None);
    // Still good where it was made.
    clinic_a
        .add_reader(&from_a, ReaderId::new(9), morning())
        .unwrap();
}

#[test]
fn a_failed_login_never_records_a_name_no_account_has() {
    let mut facility = setup();
    // A password typed into the name field, and a huge name.
    let typed = "correct-horse-battery";
    let huge = "x".repeat(1 << 20);
    for name in [typed, huge.as_str()] {
        assert_eq!(
            facility.login(name, &secret("whatever-it-is"), morning()),
            Err(FacilityError::LoginFailed)
        );
        let entry = facility.audit().last().unwrap();
        assert_eq!(entry.action, FacilityAction::LoginFailed);
        assert_eq!(entry.actor.as_deref(), Some(FacilityEvent::UNKNOWN_ACCOUNT));
    }
    let audit = serde_json::to_string(facility.audit()).unwrap();
    assert!(!audit.contains(typed));
    assert!(audit.len() < 4096, "{} bytes", audit.len());
    // A known account's failure names the account.
    let _ = facility.login("admin", &secret("wrong-password"), morning());
    assert_eq!(
        facility.audit().last().unwrap().actor.as_deref(),
        Some("admin")
    );
}

#[test]
fn the_audit_trail_is_bounded() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    let config = FacilityConfig {
        audit_retention: 1_000,
        ..FacilityConfig::default()
    };
    facility.set_config(&admin, config, morning()).unwrap();
    facility
        .add_reader(&admin, ReaderId::new(1), morning())
        .unwrap();
    for i in 0..1_500 {
        let mode = [ReaderMode::PinOnly, ReaderMode::Unattended][i % 2];
        facility
            .set_reader_mode(&admin, ReaderId::new(1), mode, morning())
            .unwrap();
    }
    let len = facility.audit().len();
    assert!((900..=1_000).contains(&len), "{len} entries");
    // The newest entries are the ones kept, and the kept trail still verifies from its
    // anchor.
    assert_eq!(
        facility.audit().last().unwrap().action,
        FacilityAction::ModeChanged {
            reader: ReaderId::new(1),
            from: ReaderMode::PinOnly,
            to: ReaderMode::Unattended
        }
    );
    assert_eq!(facility.audit().last().unwrap().seq, 1_503);
    facility.verify_audit().unwrap();
}

#[test]
fn settings_are_bounded_and_audited() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    for config in [
        // A lock that never locks.
        FacilityConfig {
            staff_passcode_lock_after: u32::MAX,
            ..FacilityConfig::default()
        },
        FacilityConfig {
            staff_passcode_lock_after: 0,
            ..FacilityConfig::default()
        },
        // An admin session for ten years.
        FacilityConfig {
            admin_session_seconds: 10 * 365 * 24 * 3600,
            ..FacilityConfig::default()
        },
        FacilityConfig {
            legacy_mode_reminder_seconds: -1,
            ..FacilityConfig::default()
        },
        FacilityConfig {
            audit_retention: 0,
            ..FacilityConfig::default()
        },
    ] {
        assert_eq!(
            facility.set_config(&admin, config, morning()),
            Err(FacilityError::ConfigOutOfRange)
        );
        assert_eq!(facility.config(), FacilityConfig::default());
    }
    let config = FacilityConfig {
        staff_passcode_lock_after: 5,
        ..FacilityConfig::default()
    };
    facility.set_config(&admin, config, morning()).unwrap();
    assert_eq!(facility.config(), config);
    let entry = facility.audit().last().unwrap();
    assert_eq!(entry.actor.as_deref(), Some("admin"));
    assert_eq!(entry.action, FacilityAction::ConfigChanged { config });
}

#[test]
fn a_general_accounts_admin_attempt_is_refused_and_audited() {
    let mut facility = setup();
    let admin_session = admin(&mut facility);
    facility
        .issue_account(
            &admin_session,
            "clerk-2",
            &secret("clerk-password"),
            Role::General,
            morning(),
        )
        .unwrap();
    // The terminal's menu offers "switch mode" to whoever is logged in.
    let clerk = facility
        .login("clerk-2", &secret("clerk-password"), morning())
        .unwrap();
    assert_eq!(
        facility.admin(&clerk, morning()).map(|_| ()),
        Err(FacilityError::NotAnAdmin)
    );
    let entry = facility.audit().last().unwrap();
    assert_eq!(entry.action, FacilityAction::AdminActionRefused);
    assert_eq!(entry.actor.as_deref(), Some("clerk-2"));
    assert_eq!(
        onshi::Error::from(FacilityError::NotAnAdmin).code(),
        "facility.not_an_admin"
    );
    // An admin's session passes through.
    let session = facility
        .login("admin", &secret(ADMIN_PASSWORD), morning())
        .unwrap();
    let admin = facility.admin(&session, morning()).unwrap();
    assert_eq!(admin.account(), "admin");
}

#[test]
fn logging_out_ends_the_session_and_earlier_ones() {
    let mut facility = setup();
    let earlier = admin(&mut facility);
    let session = facility
        .login("admin", &secret(ADMIN_PASSWORD), morning())
        .unwrap();
    facility.logout(session, morning()).unwrap();
    let entry = facility.audit().last().unwrap();
    assert_eq!(entry.action, FacilityAction::LoggedOut);
    assert_eq!(entry.actor.as_deref(), Some("admin"));
    assert_eq!(
        facility.add_reader(&earlier, ReaderId::new(3), morning()),
        Err(FacilityError::SessionInvalid)
    );
    // A new login works.
    let fresh = admin(&mut facility);
    facility
        .add_reader(&fresh, ReaderId::new(3), morning())
        .unwrap();
    // Another facility's session logs out nothing here.
    let mut other = setup();
    let foreign = other
        .login("admin", &secret(ADMIN_PASSWORD), morning())
        .unwrap();
    let entries = facility.audit().len();
    facility.logout(foreign, morning()).unwrap();
    assert_eq!(facility.audit().len(), entries);
    facility
        .add_reader(&fresh, ReaderId::new(4), morning())
        .unwrap();
}

#[test]
fn a_login_costs_the_same_for_known_and_unknown_names() {
    let mut facility = setup();
    let cost = |facility: &mut Facility, name: &str, password: &str| {
        let before = facility.password_verifications();
        let _ = facility.login(name, &secret(password), morning());
        facility.password_verifications() - before
    };
    // One Argon2 verification at the facility's cost each: a known name with the wrong or
    // the right password, and a name no account has.
    assert_eq!(cost(&mut facility, "admin", "wrong-password"), 1);
    assert_eq!(cost(&mut facility, "no-such-name", "wrong-password"), 1);
    assert_eq!(cost(&mut facility, "admin", ADMIN_PASSWORD), 1);
}

#[test]
fn guessing_a_password_backs_off_then_locks_the_account_until_an_admin_unlocks_it() {
    let mut facility = setup();
    let first = admin(&mut facility);
    facility
        .issue_account(
            &first,
            "second",
            &secret("second-admin-pw"),
            Role::Admin,
            morning(),
        )
        .unwrap();
    let mut now = morning();
    // Five wrong guesses: the sixth try waits 30 s, even with the right password.
    for _ in 0..5 {
        assert_eq!(
            facility.login("second", &secret("guess-guess"), now),
            Err(FacilityError::LoginFailed)
        );
    }
    let retry_at = now.saturating_add_seconds(30);
    assert_eq!(
        facility.login("second", &secret("second-admin-pw"), now),
        Err(FacilityError::LoginThrottled { retry_at })
    );
    // Guessing on, each wait longer, until the account locks at 20.
    let mut answers = Vec::new();
    for _ in 0..500 {
        now = now.saturating_add_seconds(16 * 60);
        answers.push(facility.login("second", &secret("guess-guess"), now));
    }
    assert_eq!(
        answers
            .iter()
            .filter(|a| **a == Err(FacilityError::LoginFailed))
            .count(),
        15
    );
    assert_eq!(answers.last(), Some(&Err(FacilityError::AccountLocked)));
    assert_eq!(
        facility.login("second", &secret("second-admin-pw"), now),
        Err(FacilityError::AccountLocked)
    );
    assert!(
        facility
            .audit()
            .iter()
            .any(|e| e.action == FacilityAction::AccountLocked
                && e.actor.as_deref() == Some("second"))
    );
    // The other admin unlocks it.
    let Session::Admin(first) = facility
        .login("admin", &secret(ADMIN_PASSWORD), now)
        .unwrap()
    else {
        panic!("admin")
    };
    facility.unlock_account(&first, "second", now).unwrap();
    assert!(matches!(
        facility.login("second", &secret("second-admin-pw"), now),
        Ok(Session::Admin(_))
    ));
    assert_eq!(
        facility.unlock_account(&first, "second", now),
        Err(FacilityError::AccountNotLocked)
    );
}

#[test]
fn the_last_admin_is_backed_off_but_never_locked_out() {
    let mut facility = setup();
    let mut now = morning();
    for _ in 0..40 {
        now = now.saturating_add_seconds(16 * 60);
        assert_eq!(
            facility.login("admin", &secret("guess-guess"), now),
            Err(FacilityError::LoginFailed)
        );
    }
    now = now.saturating_add_seconds(16 * 60);
    assert!(matches!(
        facility.login("admin", &secret(ADMIN_PASSWORD), now),
        Ok(Session::Admin(_))
    ));
}

#[test]
fn guessing_names_backs_off_the_whole_facility() {
    let mut facility = setup();
    let now = morning();
    for i in 0..20 {
        assert_eq!(
            facility.login(&format!("name-{i}"), &secret("guess-guess"), now),
            Err(FacilityError::LoginFailed)
        );
    }
    let retry_at = now.saturating_add_seconds(60);
    for name in ["admin", "never-seen"] {
        assert_eq!(
            facility.login(name, &secret(ADMIN_PASSWORD), now),
            Err(FacilityError::LoginThrottled { retry_at })
        );
    }
    // Nothing was verified while it lasted.
    let before = facility.password_verifications();
    let _ = facility.login("admin", &secret(ADMIN_PASSWORD), now);
    assert_eq!(facility.password_verifications(), before);
    assert!(matches!(
        facility.login("admin", &secret(ADMIN_PASSWORD), retry_at),
        Ok(Session::Admin(_))
    ));
}

#[test]
fn the_trail_never_goes_back_in_time_and_chains_every_entry() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    facility
        .add_reader(&admin, ReaderId::new(1), morning())
        .unwrap();
    // The clock was set back an hour: the entry keeps the trail's order.
    let earlier = morning().saturating_add_seconds(-3600);
    let _ = facility.login("admin", &secret("wrong-password"), earlier);
    let times: Vec<_> = facility.audit().iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(facility.audit().last().unwrap().at, morning());
    // Sequence numbers from 0, each entry naming the hash of the one before.
    for (i, entry) in facility.audit().iter().enumerate() {
        assert_eq!(entry.seq, i as u64);
        if let Some(before) = i.checked_sub(1) {
            assert_eq!(entry.prev_hash, facility.audit()[before].hash());
        }
    }
    facility.verify_audit().unwrap();
}

#[test]
fn salts_and_identities_come_from_the_os() {
    // Two facilities set up with the same name, password and time are still two.
    let a = setup();
    let b = setup();
    assert_ne!(a.id(), b.id());
}
