//! The PIN path at the reader: the card's count shown before entry, format checked locally,
//! one VERIFY per entry, confirmation before the last try, nothing sent once blocked.

mod common;

use common::harness::{Harness, staff};
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentStatus, EndReason, IdentityMethod, Input, MethodChoice, Screen, VisitEvent, VisitResult,
    VisitStage,
};
use onshi::sim::Persona;

fn choose_pin(h: &mut Harness) {
    h.send(Input::Choose(MethodChoice::Pin)).unwrap();
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
            options: vec![
                MethodChoice::Face,
                MethodChoice::Pin,
                MethodChoice::StaffCheck
            ],
            pin_tries_left: Some(3),
        })
    );
    choose_pin(&mut h);
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    assert_eq!(h.user_pin_verifications(), 0);
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
    // One try left: a confirmation first, nothing sent until then.
    assert_eq!(
        h.screen(),
        &Screen::LastTryWarning {
            staff_check_offered: true
        }
    );
    assert_eq!(h.pin("1234").unwrap_err().stage, VisitStage::LastTryWarning);
    assert_eq!(h.user_pin_verifications(), 2);
    h.send(Input::ConfirmLastTry).unwrap();
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 1 });
    h.pin("1234").unwrap();
    assert_eq!(h.user_pin_verifications(), 3);
    assert_eq!(h.card_tries(), Some(3), "the right PIN resets the counter");
    assert_eq!(h.stage(), VisitStage::Consent);
    h.answer_all_consent(true);
    let outcome = h.outcome();
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    assert!(outcome.consent().unwrap().blanket);
}

#[test]
fn a_malformed_pin_is_not_sent() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    // PIN-only mode goes straight to the entry.
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    for text in ["123", "12345", "12a4", "", "１２３４"] {
        h.pin(text).unwrap();
        assert_eq!(
            h.screen(),
            &Screen::PinFormatInvalid { tries_left: 3 },
            "{text:?}"
        );
    }
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
            staff_check_offered: true
        }
    );
    h.send(Input::ConfirmLastTry).unwrap();
    h.pin("9999").unwrap();
    assert_eq!(h.card_tries(), Some(0));
    assert_eq!(
        h.screen(),
        &Screen::PinBlocked {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck]
        }
    );
    let sent = h.card.log().len();
    // The PIN is no longer offered, and nothing reaches the card.
    assert!(h.send(Input::Choose(MethodChoice::Pin)).is_err());
    assert!(h.pin("1234").is_err());
    assert_eq!(h.card.log().len(), sent);
    assert_eq!(h.user_pin_verifications(), 1);
}

#[test]
fn a_blocked_pin_is_never_verified_and_the_staff_check_takes_over() {
    let mut h = Harness::new(Persona::PinBlocked, ReaderMode::Unattended);
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck],
            pin_tries_left: None,
        }
    );
    assert!(
        Screen::PinBlocked { options: vec![] }
            .text()
            .ja
            .contains("コンビニ")
    );
    h.send(Input::Choose(MethodChoice::StaffCheck)).unwrap();
    h.send(Input::StaffPasscode {
        staff_id: staff("nurse-07"),
        passcode: common::harness::secret(common::harness::STAFF_PASSCODE),
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
    // Only the staff check is left, so it is chosen for the patient.
    assert_eq!(h.stage(), VisitStage::StaffPasscode { attempts_left: 3 });
}

#[test]
fn legal_representative_is_recorded() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.send(Input::DeclareLegalRepresentative).unwrap();
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
fn face_auth_card_is_not_offered_the_pin() {
    let mut h = Harness::new(Persona::FaceAuthCard, ReaderMode::Unattended);
    h.place_card();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::StaffCheck],
            pin_tries_left: None,
        }
    );
    assert!(h.send(Input::Choose(MethodChoice::Pin)).is_err());
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
    h.card.warm_reset();
    h.send(Input::CardReset).unwrap();
    // The card is read again; the count shown is the card's new report.
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 2 });
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn removing_the_card_before_identity_confirms_nothing() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.send(Input::CardRemoved).unwrap();
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
