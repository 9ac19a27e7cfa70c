//! The staff checks: the 2025 on-reader passcode (limited and audited) and the legacy visual
//! mode on the terminal (with its reminder).

mod common;

use common::harness::{Harness, STAFF_PASSCODE, facility, secret, staff};
use onshi::ReaderCapabilities;
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    IdentityMethod, Input, MethodChoice, ReaderContext, Screen, StaffCheckAvailability,
    StaffCheckKind, StaffNotice, VisitEvent, VisitSettings, VisitStage,
};
use onshi::sim::Persona;

fn passcode(h: &mut Harness, code: &str) {
    h.send(Input::StaffPasscode {
        staff_id: staff("nurse-07"),
        passcode: secret(code),
    })
    .unwrap();
}

#[test]
fn the_right_passcode_confirms_identity() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.send(Input::Choose(MethodChoice::StaffCheck)).unwrap();
    assert_eq!(h.screen(), &Screen::StaffPasscode { attempts_left: 3 });
    passcode(&mut h, STAFF_PASSCODE);
    h.answer_all_consent(true);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::StaffCheck {
            staff_id: staff("nurse-07"),
            kind: StaffCheckKind::OnReader
        })
    );
}

#[test]
fn the_card_pin_is_not_the_passcode_and_wrong_ones_are_limited() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.send(Input::Choose(MethodChoice::StaffCheck)).unwrap();
    passcode(&mut h, "1234");
    assert_eq!(h.screen(), &Screen::StaffPasscodeWrong { attempts_left: 2 });
    passcode(&mut h, "0000");
    passcode(&mut h, "9999");
    assert!(h.saw(|e| *e == VisitEvent::StaffCheckWithdrawn));
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3)
        }
    );
    assert!(h.send(Input::Choose(MethodChoice::StaffCheck)).is_err());
    let failures: Vec<u8> = h
        .events
        .iter()
        .filter_map(|e| match e {
            VisitEvent::StaffPasscodeRejected { failures, .. } => Some(*failures),
            _ => None,
        })
        .collect();
    assert_eq!(failures, [1, 2, 3]);
    // The audit never carries the passcode.
    let json = serde_json::to_string(&h.events).unwrap();
    assert!(!json.contains("9999") && !json.contains("1234"), "{json}");
    h.send(Input::Choose(MethodChoice::Pin)).unwrap();
    h.pin("1234").unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().staff_passcode_failures, 3);
}

#[test]
fn after_face_failure_only() {
    let settings = VisitSettings {
        staff_check: StaffCheckAvailability::AfterFaceFailure,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, settings);
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3)
        }
    );
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::FaceFailed {
            options: vec![MethodChoice::Pin, MethodChoice::StaffCheck]
        }
    );
}

#[test]
fn no_passcode_set_means_no_staff_check() {
    let facility = facility(ReaderMode::Unattended);
    let mut context =
        ReaderContext::from_facility(&facility, ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap();
    context.staff_passcode = None;
    let mut h = Harness::with_context(Persona::Standard, context, VisitSettings::default());
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3)
        }
    );
}

#[test]
fn legacy_visual_mode_staff_first_then_card_then_consent() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    assert_eq!(h.screen(), &Screen::WaitingForStaff);
    h.send(Input::StaffConfirmedOnTerminal {
        staff_id: staff("clerk-2"),
    })
    .unwrap();
    assert_eq!(h.screen(), &Screen::PlaceCard);
    h.send(Input::CardPlaced).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    h.answer_all_consent(true);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::StaffCheck {
            staff_id: staff("clerk-2"),
            kind: StaffCheckKind::LegacyTerminal
        })
    );
    // Neither PIN nor face was offered or touched.
    assert_eq!(h.user_pin_verifications(), 0);
    assert!(h.send(Input::Choose(MethodChoice::Face)).is_err());
}

#[test]
fn legacy_visual_mode_card_first_waits_for_staff() {
    let mut h = Harness::new(Persona::PinBlocked, ReaderMode::LegacyVisual);
    h.send(Input::CardPlaced).unwrap();
    assert_eq!(h.stage(), VisitStage::AwaitingStaffConfirmation);
    assert_eq!(h.screen(), &Screen::WaitingForStaff);
    assert!(h.send(Input::Choose(MethodChoice::Pin)).is_err());
    h.send(Input::StaffConfirmedOnTerminal {
        staff_id: staff("clerk-2"),
    })
    .unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn legacy_visual_mode_reminds_staff() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    assert!(h.notices.is_empty());
    h.wait(29 * 60);
    assert!(h.notices.is_empty());
    // The visit times out first (120 s), so a new one on the same reader reminds.
    let facility = facility(ReaderMode::LegacyVisual);
    let context =
        ReaderContext::from_facility(&facility, ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap();
    let mut later = Harness::with_context(Persona::Standard, context, VisitSettings::default());
    later.now = later.now.saturating_add_seconds(31 * 60);
    later.send(Input::Tick).unwrap();
    assert_eq!(
        later.notices,
        [StaffNotice::LegacyModeStillOn {
            reader: ReaderId::new(1),
            since: common::morning()
        }]
    );
    later.wait(60);
    assert_eq!(later.notices.len(), 1, "once per visit");
}

#[test]
fn terminal_confirmation_is_refused_outside_legacy_mode() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    assert!(
        h.send(Input::StaffConfirmedOnTerminal {
            staff_id: staff("clerk-2")
        })
        .is_err()
    );
}

#[test]
fn wrong_passcodes_add_up_across_visits_until_the_lock() {
    let mut facility = facility(ReaderMode::Unattended);
    for visit in 0..4 {
        let context = ReaderContext::from_facility(
            &facility,
            ReaderId::new(1),
            ReaderCapabilities::SHORT_ONLY,
        )
        .unwrap();
        let offered = context.staff_passcode.is_some();
        let mut h = Harness::with_context(Persona::Standard, context, VisitSettings::default());
        h.place_card();
        if offered {
            h.send(Input::Choose(MethodChoice::StaffCheck)).unwrap();
            for _ in 0..3 {
                passcode(&mut h, "0000");
            }
        }
        h.send(Input::CardRemoved).unwrap();
        h.outcome().record_in(&mut facility);
        // 3 wrong per visit; the default lock is at 10.
        assert_eq!(
            facility.staff_passcode_locked(),
            visit >= 3,
            "after visit {visit}"
        );
    }
    // Locked: the next visit does not offer the staff check at all.
    let context =
        ReaderContext::from_facility(&facility, ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap();
    let mut h = Harness::with_context(Persona::Standard, context, VisitSettings::default());
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3)
        }
    );
}
