//! The facility: accounts and roles, admin sessions as capabilities, mode switching, the staff
//! passcode (set by the admin or fetched from the national system) and its lock, the audit
//! trail.

mod common;

use common::harness::{ADMIN_PASSWORD, secret};
use common::morning;
use onshi::facility::{
    Facility, FacilityAction, FacilityConfig, FacilityError, HashCost, PasscodeSource, ReaderId,
    ReaderMode, Role, Session,
};
use proptest::prelude::*;

fn setup() -> Facility {
    Facility::new(
        "admin",
        &secret(ADMIN_PASSWORD),
        [9; 16],
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
            [3; 16],
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
            [4; 16],
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

#[test]
fn staff_passcode_rules_and_lock() {
    let mut facility = setup();
    let admin = admin(&mut facility);
    assert_eq!(
        facility.set_staff_passcode(&admin, &secret("12345"), [5; 16], morning()),
        Err(FacilityError::InvalidPasscode)
    );
    facility
        .set_staff_passcode(&admin, &secret("4321"), [5; 16], morning())
        .unwrap();
    let check = facility.staff_passcode_check().unwrap();
    assert!(check.matches(&secret("4321")));
    assert!(!check.matches(&secret("1234")));
    assert_eq!(format!("{check:?}"), "StaffPasscodeCheck(***)");
    for _ in 0..3 {
        facility.record_staff_passcode_entries(3, false, morning());
    }
    assert!(!facility.staff_passcode_locked());
    facility.record_staff_passcode_entries(1, false, morning());
    assert!(facility.staff_passcode_locked());
    assert!(facility.staff_passcode_check().is_none());
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
    // A new passcode does not lift the lock: only an admin who checked does.
    facility
        .set_staff_passcode(&admin, &secret("8765"), [6; 16], morning())
        .unwrap();
    assert!(facility.staff_passcode_locked());
    facility
        .receive_staff_passcode(&secret("2468"), [7; 16], morning())
        .unwrap();
    assert!(facility.staff_passcode_locked());
    assert!(facility.staff_passcode_check().is_none());
    facility.unlock_staff_passcode(&admin, morning()).unwrap();
    assert!(!facility.staff_passcode_locked());
    let check = facility.staff_passcode_check().unwrap();
    assert!(check.matches(&secret("2468")));
    assert!(!check.matches(&secret("8765")));
    assert_eq!(
        facility.audit().last().map(|e| &e.action),
        Some(&FacilityAction::StaffPasscodeUnlocked)
    );
}

#[test]
fn the_staff_passcode_from_the_national_system() {
    let mut facility = setup();
    assert_eq!(facility.staff_passcode_source(), None);
    // The terminal fetched it (目視確認用パスコード取得要求/結果): no admin session needed.
    facility
        .receive_staff_passcode(&secret("1357"), [8; 16], morning())
        .unwrap();
    assert_eq!(
        facility.staff_passcode_source(),
        Some(PasscodeSource::NationalSystem)
    );
    assert!(
        facility
            .staff_passcode_check()
            .unwrap()
            .matches(&secret("1357"))
    );
    let entry = facility.audit().last().unwrap();
    assert_eq!(entry.actor, None);
    assert_eq!(
        entry.action,
        FacilityAction::StaffPasscodeSet {
            source: PasscodeSource::NationalSystem
        }
    );
    assert_eq!(
        facility.receive_staff_passcode(&secret("13a7"), [8; 16], morning()),
        Err(FacilityError::InvalidPasscode)
    );
    // Wrong entries count across a change of passcode.
    facility.record_staff_passcode_entries(3, false, morning());
    facility
        .receive_staff_passcode(&secret("9753"), [9; 16], morning())
        .unwrap();
    facility.record_staff_passcode_entries(3, false, morning());
    facility.record_staff_passcode_entries(3, false, morning());
    assert!(!facility.staff_passcode_locked());
    facility.record_staff_passcode_entries(1, false, morning());
    assert!(facility.staff_passcode_locked());
    // The admin may set one of the facility's own after it.
    let admin = admin(&mut facility);
    facility
        .set_staff_passcode(&admin, &secret("4321"), [5; 16], morning())
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
        .set_staff_passcode(&admin, &secret("4321"), [5; 16], morning())
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
        facility.issue_account(&first, "clerk", &secret("clerk-password"), Role::General, [3; 16], now).unwrap();
        facility.issue_account(&first, "second", &secret("second-admin-pw"), Role::Admin, [4; 16], now).unwrap();
        let mut session: Option<(onshi::facility::AdminSession, onshi::time::Timestamp)> = None;
        let mut second_revoked = false;
        for action in actions {
            match action {
                Action::LoginAdmin => {
                    match facility.login("second", &secret("second-admin-pw"), now) {
                        Ok(Session::Admin(s)) => { prop_assert!(!second_revoked); session = Some((s, now)); }
                        Ok(Session::General(_)) => prop_assert!(false, "role mix-up"),
                        Err(_) => prop_assert!(second_revoked),
                    }
                }
                Action::LoginGeneral => {
                    let login = facility.login("clerk", &secret("clerk-password"), now);
                    prop_assert!(matches!(login, Ok(Session::General(_))));
                }
                Action::LoginWrong => {
                    prop_assert_eq!(facility.login("second", &secret("not-the-password"), now), Err(FacilityError::LoginFailed));
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
                    // The first admin's session may have expired; log in again for this.
                    let Session::Admin(fresh) = facility.login("admin", &secret(ADMIN_PASSWORD), now).unwrap() else { unreachable!() };
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
        assert_eq!(entry.actor, None);
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
    for _ in 0..1_500 {
        let _ = facility.login("admin", &secret("wrong-password"), morning());
    }
    let len = facility.audit().len();
    assert!((900..=1_000).contains(&len), "{len} entries");
    // The newest entries are the ones kept.
    assert_eq!(
        facility.audit().last().unwrap().action,
        FacilityAction::LoginFailed
    );
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
            [4; 16],
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
    facility.logout(session, morning());
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
    facility.logout(foreign, morning());
    assert_eq!(facility.audit().len(), entries);
    facility
        .add_reader(&fresh, ReaderId::new(4), morning())
        .unwrap();
}
