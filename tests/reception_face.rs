//! The face path: the chip photo read with 照合番号B before anything is offered, captures, the
//! match policy, the fallback.

mod common;

use common::harness::Harness;
use onshi::CardEvent;
use onshi::card::PinSlot;
use onshi::face::{FacePolicy, MatchScore};
use onshi::facility::ReaderMode;
use onshi::reception::{
    IdentityMethod, InputKind, InputRejected, MethodChoice, RejectReason, Screen, UserInput,
    VisitEvent, VisitSettings, VisitStage, policy::NotOffered,
};
use onshi::sim::Persona;

/// The choice refused because `method` is not offered, `why`, with the visit at `stage`.
fn not_offered(stage: VisitStage, method: MethodChoice, why: NotOffered) -> InputRejected {
    InputRejected {
        stage,
        input: InputKind::Choose,
        reason: RejectReason::NotOffered { method, why },
    }
}

/// The first screen when the photo could not be read: the PIN, and the staff checking the
/// printed photo.
fn photo_unreadable_choice() -> Screen {
    Screen::ChooseMethod {
        options: vec![MethodChoice::Pin, MethodChoice::StaffCheck],
        pin_tries_left: Some(3),
    }
}

/// VERIFY commands with a value, of any key (here: 照合番号B, or the PIN).
fn verifications(h: &Harness) -> usize {
    h.card
        .log()
        .iter()
        .filter(|e| e.is_key_verification())
        .count()
}

#[test]
fn face_ok_on_the_first_attempt() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    // The photo is read with 照合番号B before the choice is shown.
    assert!(h.saw(|e| *e == VisitEvent::PhotoRead));
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3),
        }
    );
    h.face_answers(&[930]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 1);
    assert_eq!(h.stage(), VisitStage::Consent);
    h.answer_all_consent(true);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::Face {
            score: MatchScore::from_per_mille(930)
        })
    );
    // 照合番号B was verified once, the PIN never touched.
    assert_eq!(verifications(&h), 1);
    assert_eq!(h.user_pin_verifications(), 0);
    assert_eq!(
        h.card.pin_remaining(PinSlot::CardFaceVerificationB),
        Some(10)
    );
    // 照合番号B unlocked the card-face application: it was left before the consent.
    assert_eq!(h.keys_locked(), 1);
    assert!(h.saw(|e| *e == VisitEvent::KeysLocked));
    assert!(!h.card.is_verified(PinSlot::CardFaceVerificationB));
}

#[test]
fn face_retries_then_falls_back_to_pin_or_staff() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.face_answers(&[300, 500, 790]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 3);
    assert_eq!(
        h.screen(),
        &Screen::FaceFailed {
            options: vec![MethodChoice::Pin, MethodChoice::StaffCheck]
        }
    );
    assert!(h.saw(|e| *e == VisitEvent::FaceFailed));
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(not_offered(
            VisitStage::ChoosingMethod,
            MethodChoice::Face,
            NotOffered::FaceFailed
        )),
        "face is not offered again"
    );
    h.send(UserInput::Choose(MethodChoice::Pin)).unwrap();
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
}

#[test]
fn the_policy_is_configuration() {
    let settings = VisitSettings {
        face: FacePolicy {
            threshold: MatchScore::from_per_mille(600),
            attempts_before_fallback: 1,
        },
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, settings.clone());
    h.place_card();
    h.face_answers(&[650]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);

    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, settings);
    h.place_card();
    h.face_answers(&[550]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 1);
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
}

#[test]
fn a_capture_failure_counts_as_a_failed_attempt() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    // No scores queued: the scripted matcher answers "no face in the capture".
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 3);
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
}

#[test]
fn infant_card_without_photo_is_pin_only() {
    let mut h = Harness::new(Persona::InfantNoPhoto, ReaderMode::Unattended);
    h.place_card();
    // The card face is read before anything is offered: no photo, so neither face nor the
    // staff photo check is ever offered.
    assert!(h.saw(|e| *e == VisitEvent::NoPhotoOnCard));
    assert!(
        !h.screens
            .iter()
            .any(|s| matches!(s, Screen::ChooseMethod { .. }))
    );
    assert!(h.screens.contains(&Screen::NoPhotoOnCard {
        options: vec![MethodChoice::Pin]
    }));
    // The PIN is the only way, so it is chosen.
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    assert_eq!(h.visit.available_methods(), [MethodChoice::Pin]);
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(not_offered(
            VisitStage::PinEntry { tries_left: 3 },
            MethodChoice::Face,
            NotOffered::NoPhoto
        ))
    );
    // By default the staff check waits for a face failure, which never comes without a
    // photo (with the check always offered, the reason is the photo: the next test).
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck)),
        Err(not_offered(
            VisitStage::PinEntry { tries_left: 3 },
            MethodChoice::StaffCheck,
            NotOffered::NotYet
        ))
    );
    assert_eq!(h.captures, 0);
}

#[test]
fn infant_card_with_the_staff_check_always_offered_still_has_no_photo_to_compare() {
    let settings = VisitSettings {
        staff_check: onshi::reception::StaffCheckAvailability::Always,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::InfantNoPhoto, ReaderMode::Unattended, settings);
    h.place_card();
    assert!(h.screens.contains(&Screen::NoPhotoOnCard {
        options: vec![MethodChoice::Pin]
    }));
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck)),
        Err(not_offered(
            VisitStage::PinEntry { tries_left: 3 },
            MethodChoice::StaffCheck,
            NotOffered::NoPhoto
        ))
    );
}

#[test]
fn unreadable_verification_number_b_falls_back() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(CardEvent::Inserted).unwrap();
    h.send(UserInput::VerificationNumberBUnreadable).unwrap();
    assert_eq!(h.screen(), &photo_unreadable_choice());
    assert!(h.saw(|e| *e == VisitEvent::VerificationNumberBUnusable));
    assert_eq!(verifications(&h), 0);
}

#[test]
fn a_misread_verification_number_b_spends_one_try_and_stops() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(CardEvent::Inserted).unwrap();
    let wrong =
        onshi::card::Pin::new(onshi::card::PinKind::VerificationNumberB, "85040120309999").unwrap();
    h.send(UserInput::VerificationNumberB(wrong)).unwrap();
    assert_eq!(
        h.card.pin_remaining(PinSlot::CardFaceVerificationB),
        Some(9)
    );
    assert_eq!(verifications(&h), 1, "presented once, never again");
    // No photo to match against: face is not offered; the staff can check the printed one.
    assert_eq!(h.screen(), &photo_unreadable_choice());
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(not_offered(
            VisitStage::ChoosingMethod,
            MethodChoice::Face,
            NotOffered::PhotoUnreadable
        ))
    );
    assert_eq!(h.captures, 0);
    assert_eq!(verifications(&h), 1);
}

#[test]
fn the_face_path_presents_the_era_year_verification_number_b() {
    // A visit whose reader composes 照合番号B with the default form reads the photo: the card
    // wants the Japanese era year.
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.face_answers(&[930]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    assert_eq!(
        h.card.pin_remaining(PinSlot::CardFaceVerificationB),
        Some(10)
    );
    let b_verify = h
        .card
        .log()
        .iter()
        .find(|entry| entry.verified_slot() == Some(PinSlot::CardFaceVerificationB))
        .unwrap()
        .bytes();
    // 1985-04-01 is 昭和60.
    assert_eq!(&b_verify[5..11], b"600401");
}

#[test]
fn a_western_year_verification_number_b_costs_a_try_and_loses_the_face_path() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(CardEvent::Inserted).unwrap();
    let western = Persona::Standard
        .holder(common::today())
        .verification_number_b_in(onshi::card::BirthYearForm::Western)
        .unwrap();
    h.send(UserInput::VerificationNumberB(western)).unwrap();
    assert_eq!(
        h.card.pin_remaining(PinSlot::CardFaceVerificationB),
        Some(9)
    );
    assert!(h.saw(|e| *e == VisitEvent::VerificationNumberBUnusable));
    assert_eq!(h.screen(), &photo_unreadable_choice());
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(not_offered(
            VisitStage::ChoosingMethod,
            MethodChoice::Face,
            NotOffered::PhotoUnreadable
        ))
    );
    assert_eq!(h.captures, 0);
}

#[test]
fn verification_number_b_is_kept_from_its_last_tries() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.card.set_pin_remaining(PinSlot::CardFaceVerificationB, 1);
    h.place_card();
    assert_eq!(
        h.card.pin_remaining(PinSlot::CardFaceVerificationB),
        Some(1)
    );
    assert!(h.saw(|e| *e == VisitEvent::VerificationNumberBUnusable));
    // Its count was asked; nothing was presented.
    assert_eq!(verifications(&h), 0);
    assert_eq!(h.screen(), &photo_unreadable_choice());
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(not_offered(
            VisitStage::ChoosingMethod,
            MethodChoice::Face,
            NotOffered::PhotoUnreadable
        ))
    );
}

#[test]
fn face_waits_for_the_ocr() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(CardEvent::Inserted).unwrap();
    // Nothing is offered before the photo is known, and it is read with 照合番号B.
    assert_eq!(h.stage(), VisitStage::AwaitingVerificationNumberB);
    assert_eq!(h.screen(), &Screen::ReadingCard);
    assert!(h.visit.accepts(InputKind::VerificationNumberB));
    assert!(!h.visit.accepts(InputKind::Choose));
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(InputRejected {
            stage: VisitStage::AwaitingVerificationNumberB,
            input: InputKind::Choose,
            reason: RejectReason::NotExpected,
        })
    );
    assert_eq!(verifications(&h), 0);
    let b = h.verification_b();
    h.send(UserInput::VerificationNumberB(b)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(3),
        }
    );
    // Once only.
    let again = h.verification_b();
    assert_eq!(
        h.send(UserInput::VerificationNumberB(again))
            .unwrap_err()
            .reason,
        RejectReason::VerificationNumberB
    );
    h.face_answers(&[900]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn pin_only_mode_never_offers_face() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(not_offered(
            VisitStage::PinEntry { tries_left: 3 },
            MethodChoice::Face,
            NotOffered::Mode
        ))
    );
    assert_eq!(h.captures, 0);
}
