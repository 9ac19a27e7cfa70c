//! The staff checks: the 2025 on-reader passcode (limited and audited) and the legacy visual
//! mode on the terminal (with its reminder).

mod common;

use common::harness::{Harness, STAFF_PASSCODE, admin_of, facility, secret, staff};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    CardIdentity, IdentityMethod, Input, InputKind, InputRejected, MethodChoice, RejectReason,
    Screen, StaffCheckAvailability, StaffCheckKind, StaffNotice, UserInput, VisitEvent,
    VisitSettings, VisitStage, policy::NotOffered,
};
use onshi::sim::Persona;
use onshi::{CardEvent, ReaderCapabilities};

fn passcode(h: &mut Harness, code: &str) {
    h.send(UserInput::StaffPasscode {
        staff_id: staff("nurse-07"),
        passcode: secret(code),
    })
    .unwrap();
}

/// Settings that offer the staff check on the first screen.
fn always() -> VisitSettings {
    VisitSettings {
        staff_check: StaffCheckAvailability::Always,
        ..VisitSettings::default()
    }
}

/// Fails face authentication (the scripted matcher finds no face): the staff check is offered.
fn fail_face(h: &mut Harness) {
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::FaceFailed {
            options: vec![MethodChoice::Pin, MethodChoice::StaffCheck]
        }
    );
}

fn confirm_on_terminal(staff_id: &str, card: CardIdentity) -> UserInput {
    UserInput::StaffConfirmedOnTerminal {
        staff_id: staff(staff_id),
        card,
    }
}

#[test]
fn the_right_passcode_confirms_identity() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    fail_face(&mut h);
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
    assert_eq!(h.screen(), &Screen::StaffPasscode { attempts_left: 3 });
    passcode(&mut h, STAFF_PASSCODE);
    assert!(h.saw(|e| *e
        == VisitEvent::StaffPasscodeAccepted {
            staff_id: staff("nurse-07")
        }));
    h.answer_all_consent(true);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::StaffCheck {
            staff_id: staff("nurse-07"),
            kind: StaffCheckKind::OnReader
        })
    );
    assert_eq!(h.outcome().staff_passcode_failures, 0);
}

#[test]
fn the_staff_check_is_not_offered_before_a_face_failure_by_default() {
    assert_eq!(
        VisitSettings::default().staff_check,
        StaffCheckAvailability::AfterFaceFailure
    );
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3)
        }
    );
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck)),
        Err(InputRejected {
            stage: VisitStage::ChoosingMethod,
            input: InputKind::Choose,
            reason: RejectReason::NotOffered {
                method: MethodChoice::StaffCheck,
                why: NotOffered::NotYet,
            },
        })
    );
    assert!(!h.screen().text().ja.contains("職員による顔写真確認"));
    fail_face(&mut h);
    assert!(h.screen().text().ja.contains("職員による顔写真確認"));
    assert!(h.screen().text().en.contains("staff photo check"));
}

#[test]
fn always_puts_the_staff_check_on_the_first_screen() {
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, always());
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![
                MethodChoice::Face,
                MethodChoice::Pin,
                MethodChoice::StaffCheck
            ],
            pin_tries_left: Some(3)
        }
    );
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
    passcode(&mut h, STAFF_PASSCODE);
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn the_card_pin_is_not_the_passcode_and_wrong_ones_are_limited() {
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, always());
    h.place_card();
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
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
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck)),
        Err(InputRejected {
            stage: VisitStage::ChoosingMethod,
            input: InputKind::Choose,
            reason: RejectReason::NotOffered {
                method: MethodChoice::StaffCheck,
                why: NotOffered::StaffCheckWithdrawn,
            },
        })
    );
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
    h.send(UserInput::Choose(MethodChoice::Pin)).unwrap();
    h.pin("1234").unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().staff_passcode_failures, 3);
}

#[test]
fn wrong_passcodes_after_a_face_failure_leave_the_pin() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    fail_face(&mut h);
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
    for code in ["0000", "1111", "2222"] {
        passcode(&mut h, code);
    }
    assert!(h.saw(|e| *e == VisitEvent::StaffCheckWithdrawn));
    // The PIN is all that is left: it is asked at once.
    assert!(h.screens.contains(&Screen::FaceFailed {
        options: vec![MethodChoice::Pin]
    }));
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    h.pin("1234").unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().identity(), Some(&IdentityMethod::Pin));
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
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::FaceFailed {
            options: vec![MethodChoice::Pin, MethodChoice::StaffCheck]
        }
    );
}

#[test]
fn the_staff_check_can_be_turned_off() {
    let settings = VisitSettings {
        staff_check: StaffCheckAvailability::Never,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, settings);
    h.place_card();
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert!(h.screens.contains(&Screen::FaceFailed {
        options: vec![MethodChoice::Pin]
    }));
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck))
            .unwrap_err()
            .reason,
        RejectReason::NotOffered {
            method: MethodChoice::StaffCheck,
            why: NotOffered::Disabled,
        }
    );
}

#[test]
fn no_passcode_set_means_no_staff_check() {
    let mut facility = facility(ReaderMode::Unattended);
    let mut context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    context.staff_passcode = None;
    // Even where the facility wants it on the first screen.
    let mut h = Harness::with_context(Persona::Standard, context, always());
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3)
        }
    );
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck))
            .unwrap_err()
            .reason,
        RejectReason::NotOffered {
            method: MethodChoice::StaffCheck,
            why: NotOffered::NoPasscode,
        }
    );
}

#[test]
fn legacy_visual_mode_card_then_staff_then_consent() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    // The visit starts like any other: place the card.
    assert_eq!(h.screen(), &Screen::PlaceCard);
    // A confirmation before the card is read is for no card: refused.
    let someone = CardIdentity {
        chip_serial: "0000000099000001".into(),
        certificate_serial: None,
    };
    assert_eq!(
        h.send(confirm_on_terminal("clerk-2", someone)),
        Err(InputRejected {
            stage: VisitStage::AwaitingCard,
            input: InputKind::StaffConfirmedOnTerminal,
            reason: RejectReason::NotExpected,
        })
    );
    h.place_card();
    assert_eq!(h.stage(), VisitStage::AwaitingStaffConfirmation);
    assert_eq!(h.screen(), &Screen::WaitingForStaff);
    // The terminal is told which card to check.
    let card = h
        .card_to_confirm()
        .expect("the terminal is asked to confirm");
    assert!(card.certificate_serial.is_some());
    assert_eq!(
        h.notices,
        [StaffNotice::ConfirmCard {
            reader: ReaderId::new(1),
            card: card.clone(),
        }]
    );
    h.send(confirm_on_terminal("clerk-2", card.clone()))
        .unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    h.answer_all_consent(true);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::StaffCheck {
            staff_id: staff("clerk-2"),
            kind: StaffCheckKind::LegacyTerminal
        })
    );
    assert_eq!(h.outcome().card, Some(card));
    // Neither PIN nor face was offered or touched: no count asked, nothing verified, so
    // nothing to lock.
    assert_eq!(h.user_pin_verifications(), 0);
    assert_eq!(h.user_pin_queries(), 0);
    assert!(!h.card.log().iter().any(|e| e.is_key_verification()));
    assert_eq!(h.keys_locked(), 0);
    assert_eq!(h.captures, 0);
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face))
            .unwrap_err()
            .reason,
        RejectReason::Finished
    );
}

#[test]
fn legacy_visual_mode_card_first_waits_for_staff() {
    let mut h = Harness::new(Persona::PinBlocked, ReaderMode::LegacyVisual);
    h.send(CardEvent::Inserted).unwrap();
    assert_eq!(h.stage(), VisitStage::AwaitingStaffConfirmation);
    assert_eq!(h.screen(), &Screen::WaitingForStaff);
    assert!(h.visit.accepts(InputKind::StaffConfirmedOnTerminal));
    assert!(!h.visit.accepts(InputKind::Choose));
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Pin))
            .unwrap_err()
            .reason,
        RejectReason::NotExpected
    );
    let card = h.card_to_confirm().unwrap();
    h.send(confirm_on_terminal("clerk-2", card)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn legacy_visual_mode_refuses_a_confirmation_of_another_card() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    h.place_card();
    let card = h.card_to_confirm().unwrap();
    // The confirmation of the previous patient's card, or of one read elsewhere.
    let another = CardIdentity {
        chip_serial: format!("{}X", card.chip_serial),
        ..card.clone()
    };
    assert_eq!(
        h.send(confirm_on_terminal("clerk-2", another)),
        Err(InputRejected {
            stage: VisitStage::AwaitingStaffConfirmation,
            input: InputKind::StaffConfirmedOnTerminal,
            reason: RejectReason::AnotherCard,
        })
    );
    let other_certificate = CardIdentity {
        certificate_serial: Some("00".into()),
        ..card.clone()
    };
    assert_eq!(
        h.send(confirm_on_terminal("clerk-2", other_certificate))
            .unwrap_err()
            .reason,
        RejectReason::AnotherCard
    );
    assert!(!h.saw(|e| matches!(e, VisitEvent::IdentityConfirmed { .. })));
    // The confirmation naming the card on the reader goes through.
    h.send(confirm_on_terminal("clerk-2", card)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn legacy_visual_mode_a_card_read_before_it_was_swapped_is_not_confirmed() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    h.place_card();
    let first = h.card_to_confirm().unwrap();
    // Another card is placed before the staff confirm: the terminal is asked again.
    h.persona = Persona::OneTryLeft;
    h.card = Persona::OneTryLeft.card(common::today());
    h.place_card();
    assert!(h.saw(|e| *e == VisitEvent::CardChanged));
    let second = h.card_to_confirm().unwrap();
    assert_ne!(first, second);
    assert_eq!(h.notices.len(), 2);
    assert_eq!(
        h.send(confirm_on_terminal("clerk-2", first))
            .unwrap_err()
            .reason,
        RejectReason::AnotherCard
    );
    h.send(confirm_on_terminal("clerk-2", second.clone()))
        .unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().card, Some(second));
}

#[test]
fn legacy_visual_mode_reminds_staff() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    assert!(h.notices.is_empty());
    h.wait(29 * 60);
    assert!(h.notices.is_empty());
    // The visit times out first (120 s), so a new one on the same reader reminds.
    let mut facility = facility(ReaderMode::LegacyVisual);
    let context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    assert_eq!(
        context.legacy_reminder_seconds,
        facility.config().legacy_mode_reminder_seconds
    );
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
fn the_visit_wakes_for_the_legacy_reminder() {
    let mut facility = facility(ReaderMode::LegacyVisual);
    let mut context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    // The reminder is due 60 s into the visit, before its idle deadline.
    context.legacy_reminder_seconds = 60;
    let mut h = Harness::with_context(Persona::Standard, context, VisitSettings::default());
    assert_eq!(
        h.deadline,
        Some(common::morning().saturating_add_seconds(60))
    );
    h.wait(60);
    assert_eq!(h.notices.len(), 1);
    assert!(h.saw(|e| matches!(e, VisitEvent::LegacyModeReminder { .. })));
    // Then the idle deadline.
    assert_eq!(
        h.deadline,
        Some(common::morning().saturating_add_seconds(120))
    );
}

#[test]
fn terminal_confirmation_is_refused_outside_legacy_mode() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let someone = CardIdentity {
        chip_serial: "0000000099000001".into(),
        certificate_serial: None,
    };
    assert_eq!(
        h.send(confirm_on_terminal("clerk-2", someone.clone()))
            .unwrap_err()
            .reason,
        RejectReason::NotExpected
    );
    h.place_card();
    assert!(!h.visit.accepts(InputKind::StaffConfirmedOnTerminal));
    assert_eq!(
        h.send(confirm_on_terminal("clerk-2", someone))
            .unwrap_err()
            .reason,
        RejectReason::NotExpected
    );
    assert!(h.notices.is_empty(), "no card to confirm is announced");
}

#[test]
fn wrong_passcodes_add_up_across_visits_until_the_lock() {
    let mut facility = facility(ReaderMode::Unattended);
    // 3 attempts per visit, fewer when the lock (10 by default) is near.
    for (visit, (attempts, failures_after)) in
        [(3, 3), (3, 6), (3, 9), (1, 10)].into_iter().enumerate()
    {
        let context = facility
            .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap()
            .with_trust(onshi::sim::trust_anchors());
        let check = context.staff_passcode.clone().unwrap();
        assert_eq!(check.attempts_left(), attempts, "visit {visit}");
        let mut h = Harness::with_context(Persona::Standard, context, always());
        h.place_card();
        h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
        for _ in 0..attempts {
            passcode(&mut h, "0000");
        }
        assert_eq!(check.attempts_left(), 0);
        h.send(CardEvent::Removed).unwrap();
        assert_eq!(h.outcome().staff_passcode_failures, attempts);
        facility.finish(&h.visit, h.now).unwrap();
        assert_eq!(facility.staff_passcode_failures(), failures_after);
        assert_eq!(
            facility.staff_passcode_locked(),
            visit == 3,
            "after visit {visit}"
        );
        // Handed back once only.
        assert_eq!(
            facility.finish(&h.visit, h.now),
            Err(onshi::facility::FacilityError::UnknownVisit)
        );
    }
    // Locked: the next visit does not offer the staff check at all.
    let context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    assert!(context.staff_passcode.is_none());
    let mut h = Harness::with_context(Persona::Standard, context, always());
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
fn a_reused_context_shares_its_attempts_and_a_forgotten_visit_keeps_them_counted() {
    let mut facility = facility(ReaderMode::Unattended);
    let context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    // A vendor reuses the context for visit after visit and never hands them back: 3
    // attempts in all, not 3 per visit.
    let mut tried = 0;
    for _ in 0..40 {
        let mut h = Harness::with_context(Persona::Standard, context.clone(), always());
        h.place_card();
        if h.send(UserInput::Choose(MethodChoice::StaffCheck)).is_ok()
            && h.stage() != VisitStage::ChoosingMethod
        {
            while matches!(h.stage(), VisitStage::StaffPasscode { .. }) {
                passcode(&mut h, "0000");
                tried += 1;
            }
        }
    }
    assert_eq!(tried, 3);
    // The 3 held attempts still count: with 10 to the lock, 7 are left for other visits.
    let mut held = 0;
    while let Some(check) = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .staff_passcode
    {
        held += u32::from(check.attempts_left());
    }
    assert_eq!(held, 7);
    assert_eq!(facility.open_visits(), 4);
    // An admin's new passcode clears the lock and the held attempts.
    let admin = admin_of(&mut facility);
    facility
        .set_staff_passcode(&admin, &secret("9999"), common::morning())
        .unwrap();
    assert_eq!(facility.open_visits(), 0);
    assert!(
        facility
            .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap()
            .staff_passcode
            .is_some()
    );
}

#[test]
fn legacy_visual_mode_takes_what_it_says_it_takes() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    h.place_card();
    assert_eq!(h.stage(), VisitStage::AwaitingStaffConfirmation);
    let said = h.visit.accepts(InputKind::DeclareLegalRepresentative);
    let taken = h.send(UserInput::DeclareLegalRepresentative);
    // Observed: said = true, taken = Err(NotExpected).
    assert_eq!(
        said,
        taken.is_ok(),
        "accepts() said {said}, handle() gave {taken:?}"
    );
}

#[test]
fn legacy_visual_mode_takes_no_verification_number_b() {
    // No photo is read in the legacy mode: the OCR's 照合番号B is refused and is no activity.
    let mut h = Harness::new(Persona::Standard, ReaderMode::LegacyVisual);
    h.send(CardEvent::Inserted).unwrap();
    assert_eq!(h.stage(), VisitStage::AwaitingStaffConfirmation);
    assert!(!h.visit.accepts(InputKind::VerificationNumberB));
    let deadline = h.deadline;
    h.now = h.now.saturating_add_seconds(30);
    let b = h.verification_b();
    assert_eq!(
        h.send(UserInput::VerificationNumberB(b))
            .unwrap_err()
            .reason,
        RejectReason::VerificationNumberB
    );
    assert_eq!(h.deadline, deadline);
}

#[test]
fn nothing_left_to_offer_ends_the_visit_without_an_empty_choice_screen() {
    // A card with no PIN set (顔認証マイナンバーカード) on a PIN-only reader with no staff
    // passcode: no method at all.
    let mut facility = facility(ReaderMode::PinOnly);
    let mut context = facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    context.staff_passcode = None;
    let mut h = Harness::with_context(Persona::FaceAuthCard, context, VisitSettings::default());
    h.place_card();
    assert_eq!(
        h.outcome().result,
        onshi::reception::VisitResult::NotConfirmed {
            reason: onshi::reception::EndReason::NoMethodLeft
        }
    );
    assert!(
        !h.screens
            .iter()
            .any(|s| matches!(s, Screen::ChooseMethod { options, .. } if options.is_empty())),
        "{:?}",
        h.screens
    );
    assert_eq!(
        h.screen(),
        &Screen::Ended {
            reason: onshi::reception::EndReason::NoMethodLeft
        }
    );
}

#[test]
fn a_passcode_from_the_national_system_works_at_the_reader_and_its_change_too() {
    let mut facility = facility(ReaderMode::Unattended);
    // The terminal fetched the passcode from the national system (T6), then a new one.
    let now = onshi::time::Timestamp::from_jst(2026, 11, 27, 9, 0, 0).unwrap();
    facility
        .receive_staff_passcode(&secret("2468"), now)
        .unwrap();
    // Each visit handed back, as a product does.
    let visit_with = |facility: &mut onshi::facility::Facility, code: &str| {
        let context = facility
            .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap()
            .with_trust(onshi::sim::trust_anchors());
        let mut h = Harness::with_context(Persona::Standard, context, always());
        h.place_card();
        h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
        passcode(&mut h, code);
        let stage = h.stage();
        h.send(CardEvent::Removed).unwrap();
        facility.finish(&h.visit, h.now).unwrap();
        (stage, h.outcome().staff_passcode_failures)
    };
    // The facility's old passcode no longer opens the check; the national one does.
    assert_eq!(visit_with(&mut facility, STAFF_PASSCODE).1, 1);
    assert_eq!(visit_with(&mut facility, "2468").0, VisitStage::Consent);
    facility
        .receive_staff_passcode(&secret("1357"), now)
        .unwrap();
    assert_eq!(visit_with(&mut facility, "2468").1, 1);
    assert_eq!(visit_with(&mut facility, "1357").0, VisitStage::Consent);
}
