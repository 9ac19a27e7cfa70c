//! The PIN path at the reader: the card's count shown before entry, format checked locally,
//! the count read again just before each VERIFY, one VERIFY per entry, confirmation before the
//! last try, nothing sent once blocked.

mod common;

use common::harness::{Harness, STAFF_PASSCODE, USER_PIN_RETRY_QUERY, secret, staff};
use onshi::CardEvent;
use onshi::card::{PinSlot, PinStatus, Span};
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentStatus, EndReason, IdentityMethod, Input, InputKind, InputRejected, MethodChoice,
    RejectReason, Screen, StaffCheckAvailability, UserInput, VisitEvent, VisitResult,
    VisitSettings, VisitStage, policy::NotOffered,
};
use onshi::sim::Persona;

fn choose_pin(h: &mut Harness) {
    h.send(UserInput::Choose(MethodChoice::Pin)).unwrap();
}

/// The choice of the PIN refused because it is blocked, with the visit at `stage`.
fn pin_blocked(stage: VisitStage) -> InputRejected {
    InputRejected {
        stage,
        input: InputKind::Choose,
        reason: RejectReason::NotOffered {
            method: MethodChoice::Pin,
            why: NotOffered::PinBlocked,
        },
    }
}

/// The user-authentication PIN's VERIFY with `pin`: `00 20 00 98 04 <digits>`.
fn verify_command(pin: &str) -> Vec<u8> {
    let mut command = vec![0x00, 0x20, 0x00, 0x98, 0x04];
    command.extend_from_slice(pin.as_bytes());
    command
}

#[test]
fn the_card_count_is_shown_before_entry() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    assert_eq!(
        h.screens
            .iter()
            .find(|s| matches!(s, Screen::ChooseMethod { .. })),
        Some(&Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3),
        })
    );
    // The count was asked once, by the key's short EF id, with no SELECT of EF 0018.
    assert_eq!(h.user_pin_queries(), 1);
    assert!(
        !h.card
            .log()
            .iter()
            .any(|e| { e.bytes().as_slice() == [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18] })
    );
    choose_pin(&mut h);
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    assert_eq!(h.user_pin_verifications(), 0);
    // The count the card reported is fresh: not asked again until the PIN is entered.
    assert_eq!(h.user_pin_queries(), 1);
}

#[test]
fn every_entry_reads_the_count_again_just_before_its_verify() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    let before = h.transmitted.len();
    h.pin("1111").unwrap();
    // In one exclusive span: SELECT of the JPKI-AP (whatever another program selected since),
    // the count and the VERIFY, which holds the span for the proof of the key that follows a
    // right PIN.
    let sent = &h.transmitted[before..];
    let select_jpki = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert_eq!(
        sent,
        [
            (
                select_jpki.to_vec(),
                Span::Exclusive { hold: true },
                VisitStage::VerifyingPin
            ),
            (
                USER_PIN_RETRY_QUERY.to_vec(),
                Span::Exclusive { hold: true },
                VisitStage::VerifyingPin
            ),
            (
                verify_command("1111"),
                Span::Exclusive { hold: true },
                VisitStage::VerifyingPin
            ),
        ],
        "the count's answer holds the exclusive span for the VERIFY"
    );
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 2 });
    // The second entry: the same again.
    let before = h.transmitted.len();
    h.pin("1234").unwrap();
    let commands: Vec<&[u8]> = h.transmitted[before..]
        .iter()
        .map(|(bytes, _, _)| bytes.as_slice())
        .collect();
    assert_eq!(
        commands[..3],
        [
            &select_jpki[..],
            &USER_PIN_RETRY_QUERY[..],
            &verify_command("1234")[..]
        ]
    );
    // Then, in the same span, the user-authentication key signs the visit's challenge
    // (`80 2A 00 97`, its DigestInfo, Le 00), and, the identity confirmed, the application
    // is left.
    let sign = &h.transmitted[before + 3];
    assert_eq!(sign.0[..5], [0x80, 0x2A, 0x00, 0x97, 0x33]);
    assert_eq!(sign.1, Span::Exclusive { hold: false });
    assert!(h.saw(|e| *e == VisitEvent::PinKeyProven));
    assert_eq!(
        commands[4..],
        [&common::harness::SELECT_ISSUER_SECURITY_DOMAIN[..]]
    );
    assert_eq!(h.user_pin_verifications(), 2);
    // 1 at placement, 1 before each VERIFY.
    assert_eq!(h.user_pin_queries(), 3);
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn wrong_twice_then_right() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    choose_pin(&mut h);
    h.pin("1111").unwrap();
    assert_eq!(
        h.screens[h.screens.len() - 2],
        Screen::WrongPin { tries_left: 2 }
    );
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 2 });
    assert_eq!(h.card_tries(), Some(2));
    h.pin("2222").unwrap();
    // One try left: a confirmation first, nothing sent until then. The face is the other
    // way; the staff check waits for a face failure (the default), so it is not offered.
    assert_eq!(
        h.screen(),
        &Screen::LastTryWarning {
            other_ways: vec![MethodChoice::Face]
        }
    );
    assert_eq!(h.pin("1234").unwrap_err().stage, VisitStage::LastTryWarning);
    assert_eq!(h.user_pin_verifications(), 2);
    h.send(UserInput::ConfirmLastTry).unwrap();
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 1 });
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 3);
    // One count query at placement, one before each VERIFY.
    assert_eq!(h.user_pin_queries(), 4);
    assert_eq!(h.card_tries(), Some(3), "the right PIN resets the counter");
    assert_eq!(h.stage(), VisitStage::Consent);
    // The PIN's application was left before the consent.
    assert_eq!(h.keys_locked(), 1);
    assert!(h.card.unlocked_keys().is_empty());
    h.answer_all_consent(true);
    let outcome = h.outcome();
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    assert!(outcome.consent().unwrap().blanket);
}

#[test]
fn the_last_try_warning_offers_the_staff_check_when_it_is_offered() {
    let settings = VisitSettings {
        staff_check: StaffCheckAvailability::Always,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::OneTryLeft, ReaderMode::Unattended, settings);
    h.place_card();
    choose_pin(&mut h);
    assert_eq!(
        h.screen(),
        &Screen::LastTryWarning {
            other_ways: vec![MethodChoice::Face, MethodChoice::StaffCheck]
        }
    );
    // The staff can take over from the warning.
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
    assert_eq!(h.stage(), VisitStage::StaffPasscode { attempts_left: 3 });
    assert_eq!(h.user_pin_verifications(), 0);
}

#[test]
fn a_malformed_pin_is_not_sent() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    // PIN-only mode goes straight to the entry.
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    let sent = h.card.log().len();
    for text in ["123", "12345", "12a4", "", "１２３４"] {
        h.pin(text).unwrap();
        assert_eq!(
            h.screen(),
            &Screen::PinFormatInvalid { tries_left: 3 },
            "{text:?}"
        );
    }
    assert_eq!(h.card.log().len(), sent, "not even the count was asked");
    assert_eq!(h.user_pin_verifications(), 0);
    assert_eq!(h.card_tries(), Some(3));
    assert_eq!(
        h.events
            .iter()
            .filter(|e| **e == VisitEvent::PinFormatRejected)
            .count(),
        5
    );
}

#[test]
fn exhausting_the_pin_blocks_it_then_offers_the_others() {
    let mut h = Harness::new(Persona::OneTryLeft, ReaderMode::Unattended);
    h.place_card();
    choose_pin(&mut h);
    assert_eq!(
        h.screen(),
        &Screen::LastTryWarning {
            other_ways: vec![MethodChoice::Face]
        }
    );
    h.send(UserInput::ConfirmLastTry).unwrap();
    h.pin("9999").unwrap();
    assert_eq!(h.card_tries(), Some(0));
    // Blocked: face, and now the staff check (face authentication is not the only way left).
    assert_eq!(
        h.screen(),
        &Screen::PinBlocked {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck]
        }
    );
    assert!(h.saw(|e| *e == VisitEvent::PinBlocked));
    let sent = h.card.log().len();
    // The PIN is no longer offered, and nothing reaches the card.
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Pin)),
        Err(pin_blocked(VisitStage::ChoosingMethod))
    );
    assert_eq!(h.pin("1234").unwrap_err().reason, RejectReason::NotExpected);
    assert_eq!(h.card.log().len(), sent);
    assert_eq!(h.user_pin_verifications(), 1);
}

#[test]
fn a_blocked_pin_is_never_verified_and_the_staff_check_takes_over() {
    let mut h = Harness::new(Persona::PinBlocked, ReaderMode::Unattended);
    h.place_card();
    // Found blocked at placement: the blocked screen, with the reset guidance, and the staff
    // check offered at once.
    assert_eq!(
        h.screen(),
        &Screen::PinBlocked {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck],
        }
    );
    assert!(h.screen().text().ja.contains("コンビニ"));
    assert!(h.screen().text().en.contains("reset"));
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Pin)),
        Err(pin_blocked(VisitStage::ChoosingMethod))
    );
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
    h.send(UserInput::StaffPasscode {
        staff_id: staff("nurse-07"),
        passcode: secret(STAFF_PASSCODE),
    })
    .unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.user_pin_verifications(), 0);
    assert_eq!(
        h.card_tries(),
        Some(0),
        "a staff check does not reset the PIN counter"
    );
    assert!(matches!(
        h.outcome().identity(),
        Some(IdentityMethod::StaffCheck { .. })
    ));
}

#[test]
fn pin_only_mode_with_a_blocked_pin_offers_the_staff_check() {
    let mut h = Harness::new(Persona::PinBlocked, ReaderMode::PinOnly);
    h.place_card();
    assert!(h.screens.contains(&Screen::PinBlocked {
        options: vec![MethodChoice::StaffCheck]
    }));
    // Only the staff check is left, so it is chosen for the patient.
    assert_eq!(h.stage(), VisitStage::StaffPasscode { attempts_left: 3 });
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Pin)),
        Err(pin_blocked(VisitStage::StaffPasscode { attempts_left: 3 }))
    );
    assert_eq!(h.user_pin_verifications(), 0);
}

#[test]
fn legal_representative_is_recorded() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.send(UserInput::DeclareLegalRepresentative).unwrap();
    h.pin("1234").unwrap();
    h.answer_all_consent(false);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::PinByLegalRepresentative)
    );
    assert!(h.saw(|e| *e
        == VisitEvent::PinSubmitted {
            by_legal_representative: true
        }));
}

#[test]
fn a_second_declaration_is_refused_and_is_not_activity() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.send(UserInput::DeclareLegalRepresentative).unwrap();
    let deadline = h.deadline.unwrap();
    assert!(!h.visit.accepts(InputKind::DeclareLegalRepresentative));
    h.now = h.now.saturating_add_seconds(60);
    assert_eq!(
        h.send(UserInput::DeclareLegalRepresentative),
        Err(InputRejected {
            stage: VisitStage::PinEntry { tries_left: 3 },
            input: InputKind::DeclareLegalRepresentative,
            reason: RejectReason::AlreadyDeclared,
        })
    );
    assert_eq!(h.deadline, Some(deadline), "the idle deadline did not move");
    assert_eq!(
        h.events
            .iter()
            .filter(|e| **e == VisitEvent::LegalRepresentativeDeclared)
            .count(),
        1
    );
    // The deadline set by the first declaration still ends the visit.
    h.now = deadline;
    h.send(Input::Tick).unwrap();
    assert_eq!(
        h.outcome().result,
        VisitResult::NotConfirmed {
            reason: EndReason::TimedOut
        }
    );
}

#[test]
fn face_auth_card_is_not_offered_the_pin() {
    let settings = VisitSettings {
        staff_check: StaffCheckAvailability::Always,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::FaceAuthCard, ReaderMode::Unattended, settings);
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck],
            pin_tries_left: None,
        }
    );
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Pin)),
        Err(InputRejected {
            stage: VisitStage::ChoosingMethod,
            input: InputKind::Choose,
            reason: RejectReason::NotOffered {
                method: MethodChoice::Pin,
                why: NotOffered::PinNotSet,
            },
        })
    );
}

#[test]
fn face_auth_card_goes_to_face_then_the_staff_check() {
    // By default the staff check comes after face authentication: a card without a PIN has
    // face alone to start with, so it is started for the patient.
    let mut h = Harness::new(Persona::FaceAuthCard, ReaderMode::Unattended);
    h.place_card();
    assert!(
        !h.screens
            .iter()
            .any(|s| matches!(s, Screen::ChooseMethod { .. }))
    );
    // The scripted matcher finds no face three times; the staff check takes over.
    assert_eq!(h.captures, 3);
    assert!(h.screens.contains(&Screen::FaceFailed {
        options: vec![MethodChoice::StaffCheck]
    }));
    assert_eq!(h.stage(), VisitStage::StaffPasscode { attempts_left: 3 });
    assert_eq!(h.user_pin_verifications(), 0);
}

#[test]
fn face_auth_card_in_pin_only_mode_falls_to_the_staff_check() {
    let mut h = Harness::new(Persona::FaceAuthCard, ReaderMode::PinOnly);
    h.place_card();
    assert_eq!(h.stage(), VisitStage::StaffPasscode { attempts_left: 3 });
}

#[test]
fn a_reset_during_entry_reads_the_count_again() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.pin("1111").unwrap();
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 2 });
    let queries = h.user_pin_queries();
    h.card.warm_reset();
    h.send(CardEvent::Reset).unwrap();
    // The card's identity is checked, it is the same card, and the entry is asked again from
    // the card's new report of the count.
    assert!(h.saw(|e| *e == VisitEvent::CardRecheck));
    assert!(h.saw(|e| *e == VisitEvent::SameCard));
    assert!(!h.saw(|e| *e == VisitEvent::CardChanged));
    assert_eq!(h.user_pin_queries(), queries + 1);
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 2 });
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 2 });
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    assert_eq!(h.user_pin_verifications(), 2);
}

#[test]
fn a_count_spent_by_another_program_sends_nothing_and_shows_the_new_count() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    // While the patient types, another program on the terminal spends a try.
    h.card.set_pin_remaining(PinSlot::UserAuth, 2);
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 0, "nothing was sent");
    assert_eq!(h.card_tries(), Some(2));
    assert!(h.saw(|e| *e
        == VisitEvent::PinCountChanged {
            status: PinStatus::Remaining(2)
        }));
    assert_eq!(
        h.screens[h.screens.len() - 2],
        Screen::PinCountChanged { tries_left: 2 }
    );
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 2 });
    assert!(h.screen().text().en.contains("2 tries left"));
    // The PIN entered again goes through.
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 1);
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn a_count_brought_to_its_last_try_by_another_program_asks_for_the_confirmation() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.card.set_pin_remaining(PinSlot::UserAuth, 1);
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 0);
    assert!(
        h.screens
            .contains(&Screen::PinCountChanged { tries_left: 1 })
    );
    assert!(matches!(h.screen(), Screen::LastTryWarning { .. }));
    assert_eq!(h.stage(), VisitStage::LastTryWarning);
    assert!(h.pin("1234").is_err());
    h.send(UserInput::ConfirmLastTry).unwrap();
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 1);
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn a_pin_blocked_by_another_program_is_never_verified() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    choose_pin(&mut h);
    h.card.set_pin_remaining(PinSlot::UserAuth, 0);
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 0);
    // The count read again before the VERIFY says blocked: nothing is sent.
    assert!(h.saw(|e| *e == VisitEvent::PinBlocked));
    assert_eq!(
        h.card.log().last().unwrap().bytes().as_slice(),
        USER_PIN_RETRY_QUERY
    );
    assert_eq!(
        h.screen(),
        &Screen::PinBlocked {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck]
        }
    );
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Pin)),
        Err(pin_blocked(VisitStage::ChoosingMethod))
    );
    assert_eq!(h.user_pin_verifications(), 0);
}

#[test]
fn removing_the_card_before_identity_confirms_nothing() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.send(CardEvent::Removed).unwrap();
    assert_eq!(
        h.outcome().result,
        VisitResult::NotConfirmed {
            reason: EndReason::CardRemoved
        }
    );
    assert!(!matches!(
        h.outcome().result,
        VisitResult::Confirmed {
            consent: ConsentStatus::Given(_),
            ..
        }
    ));
}

#[test]
fn pin_only_mode_asks_the_pin_at_once_without_waiting_for_the_photo() {
    // A reader in 暗証番号認証固定 with a staff passcode: the staff check stays reachable, but
    // the PIN is asked before any photo is read (no OCR needed for a PIN visit).
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.send(CardEvent::Inserted).unwrap();
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    // Nothing of the card-face application was touched.
    let card_face_aid = onshi::card::Application::CardFace.aid();
    assert!(
        !h.transmitted
            .iter()
            .any(|(bytes, _, _)| bytes.ends_with(card_face_aid))
    );
    // The staff check chosen from the entry needs the photo: the visit waits for the OCR's
    // 照合番号B, reads the photo, then starts the check.
    h.send(UserInput::Choose(MethodChoice::StaffCheck)).unwrap();
    assert_eq!(h.stage(), VisitStage::AwaitingVerificationNumberB);
    let b = h.verification_b();
    h.send(UserInput::VerificationNumberB(b)).unwrap();
    assert_eq!(h.stage(), VisitStage::StaffPasscode { attempts_left: 3 });
    h.send(UserInput::StaffPasscode {
        staff_id: staff("nurse-01"),
        passcode: secret(STAFF_PASSCODE),
    })
    .unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    assert_eq!(h.user_pin_verifications(), 0);
}

#[test]
fn a_wrong_last_try_shows_the_blocked_screen_not_zero_tries() {
    let mut h = Harness::new(Persona::OneTryLeft, ReaderMode::Unattended);
    h.place_card();
    choose_pin(&mut h);
    h.send(UserInput::ConfirmLastTry).unwrap();
    h.pin("9999").unwrap();
    assert_eq!(h.card_tries(), Some(0));
    assert!(
        !h.screens
            .iter()
            .any(|s| matches!(s, Screen::WrongPin { .. })),
        "{:?}",
        h.screens
    );
    assert_eq!(
        h.screen(),
        &Screen::PinBlocked {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck]
        }
    );
}

#[test]
fn another_program_selecting_another_application_between_entries_changes_nothing() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.send(CardEvent::Inserted).unwrap();
    h.pin("1111").unwrap();
    assert_eq!(h.card_tries(), Some(2));
    // Another program on the terminal selects the card-face application as the patient types.
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C];
    let aid = onshi::card::Application::CardFace.aid();
    select.push(aid.len() as u8);
    select.extend_from_slice(aid);
    assert_eq!(h.card.respond(&select), [0x90, 0x00]);
    // The check selects the JPKI-AP inside its exclusive span: the PIN goes to its key.
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    assert_eq!(h.user_pin_verifications(), 2);
    assert_eq!(h.card_tries(), Some(3));
}

#[test]
fn an_input_after_the_idle_deadline_is_refused_and_the_visit_times_out() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.send(CardEvent::Inserted).unwrap();
    let deadline = h.deadline.unwrap();
    // No tick came (a busy UI); the PIN comes a second after the deadline.
    h.now = deadline.saturating_add_seconds(1);
    assert_eq!(
        h.pin("1234"),
        Err(InputRejected {
            stage: VisitStage::Finished,
            input: InputKind::PinEntered,
            reason: RejectReason::Finished,
        })
    );
    assert_eq!(h.user_pin_verifications(), 0);
    assert_eq!(
        h.outcome().result,
        VisitResult::NotConfirmed {
            reason: EndReason::TimedOut
        }
    );
}

#[test]
fn a_visit_that_times_out_with_a_key_unlocked_locks_it_whatever_comes_in_meanwhile() {
    // 照合番号B opened the card-face application to read the photo; the patient walks away
    // at the choice screen.
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    assert_eq!(h.stage(), VisitStage::ChoosingMethod);
    assert!(h.card.is_verified(PinSlot::CardFaceVerificationB));
    h.now = h.now.saturating_add_seconds(120);
    h.visit.handle(h.now, Input::Tick).unwrap();
    // The result is decided; the lock is on its way to the card.
    assert_eq!(h.stage(), VisitStage::LockingCard);
    // A button pressed now, even long after, neither ends the visit nor cuts the lock short.
    h.now = h.now.saturating_add_seconds(5);
    let rejected = h
        .visit
        .handle(h.now, UserInput::Choose(MethodChoice::Face))
        .unwrap_err();
    assert_eq!(rejected.reason, RejectReason::NotExpected);
    assert_eq!(h.visit.stage(), VisitStage::LockingCard);
    h.visit.handle(h.now, Input::Tick).unwrap();
    assert_eq!(h.visit.stage(), VisitStage::LockingCard);
    h.pump();
    assert_eq!(
        h.outcome().result,
        VisitResult::NotConfirmed {
            reason: EndReason::TimedOut
        }
    );
    assert!(h.saw(|e| *e == VisitEvent::KeysLocked));
    assert!(!h.card.is_verified(PinSlot::CardFaceVerificationB));
}
