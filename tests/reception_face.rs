//! The face path: the chip photo read with 照合番号B, captures, the match policy, the fallback.

mod common;

use common::harness::Harness;
use onshi::face::{FacePolicy, MatchScore};
use onshi::facility::ReaderMode;
use onshi::reception::{
    IdentityMethod, Input, MethodChoice, Screen, VisitEvent, VisitSettings, VisitStage,
};
use onshi::sim::Persona;

#[test]
fn face_ok_on_the_first_attempt() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.face_answers(&[930]);
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert!(h.saw(|e| *e == VisitEvent::PhotoRead));
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
    assert_eq!(h.user_pin_verifications(), 0);
    assert_eq!(
        h.card
            .pin_remaining(onshi::card::PinSlot::CardFaceVerificationB),
        Some(10)
    );
}

#[test]
fn face_retries_then_falls_back_to_pin_or_staff() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.face_answers(&[300, 500, 790]);
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 3);
    assert_eq!(
        h.screen(),
        &Screen::FaceFailed {
            options: vec![MethodChoice::Pin, MethodChoice::StaffCheck]
        }
    );
    assert!(h.saw(|e| *e == VisitEvent::FaceFailed));
    assert!(
        h.send(Input::Choose(MethodChoice::Face)).is_err(),
        "face is not offered again"
    );
    h.send(Input::Choose(MethodChoice::Pin)).unwrap();
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
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);

    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::Unattended, settings);
    h.place_card();
    h.face_answers(&[550]);
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 1);
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
}

#[test]
fn a_capture_failure_counts_as_a_failed_attempt() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    // No scores queued: the scripted matcher answers "no face in the capture".
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.captures, 3);
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
}

#[test]
fn infant_card_without_photo_is_pin_only() {
    let mut h = Harness::new(Persona::InfantNoPhoto, ReaderMode::Unattended);
    h.place_card();
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert!(h.saw(|e| *e == VisitEvent::NoPhotoOnCard));
    assert_eq!(h.captures, 0);
    assert!(h.screens.contains(&Screen::NoPhotoOnCard {
        options: vec![MethodChoice::Pin]
    }));
    // The PIN is the only way, so it is chosen.
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    assert!(h.send(Input::Choose(MethodChoice::StaffCheck)).is_err());
}

#[test]
fn unreadable_verification_number_b_falls_back() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(Input::CardPlaced).unwrap();
    h.send(Input::VerificationNumberBUnreadable).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Pin, MethodChoice::StaffCheck],
            pin_tries_left: Some(3)
        }
    );
}

#[test]
fn a_misread_verification_number_b_spends_one_try_and_stops() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(Input::CardPlaced).unwrap();
    let wrong =
        onshi::card::Pin::new(onshi::card::PinKind::VerificationNumberB, "85040120309999").unwrap();
    h.send(Input::VerificationNumberB(wrong)).unwrap();
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(
        h.card
            .pin_remaining(onshi::card::PinSlot::CardFaceVerificationB),
        Some(9)
    );
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
    assert_eq!(h.captures, 0);
}

#[test]
fn the_face_path_presents_the_era_year_verification_number_b() {
    // A visit whose reader composes 照合番号B with the default form reads the photo: the card
    // wants the Japanese era year.
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.face_answers(&[930]);
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    assert_eq!(
        h.card
            .pin_remaining(onshi::card::PinSlot::CardFaceVerificationB),
        Some(10)
    );
    let b_verify = h
        .card
        .log()
        .iter()
        .find(|entry| entry.is_pin_verification())
        .unwrap()
        .bytes();
    // 1985-04-01 is 昭和60.
    assert_eq!(&b_verify[5..11], b"600401");
}

#[test]
fn a_western_year_verification_number_b_costs_a_try_and_loses_the_face_path() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(Input::CardPlaced).unwrap();
    let western = Persona::Standard
        .holder(common::today())
        .verification_number_b_in(onshi::card::BirthYearForm::Western)
        .unwrap();
    h.send(Input::VerificationNumberB(western)).unwrap();
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(
        h.card
            .pin_remaining(onshi::card::PinSlot::CardFaceVerificationB),
        Some(9)
    );
    assert!(h.saw(|e| *e == VisitEvent::VerificationNumberBUnusable));
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
    assert_eq!(h.captures, 0);
}

#[test]
fn verification_number_b_is_kept_from_its_last_tries() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.card
        .set_pin_remaining(onshi::card::PinSlot::CardFaceVerificationB, 1);
    h.place_card();
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(
        h.card
            .pin_remaining(onshi::card::PinSlot::CardFaceVerificationB),
        Some(1)
    );
    assert!(h.saw(|e| *e == VisitEvent::VerificationNumberBUnusable));
    assert!(matches!(h.screen(), Screen::FaceFailed { .. }));
}

#[test]
fn face_waits_for_the_ocr() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.send(Input::CardPlaced).unwrap();
    h.send(Input::Choose(MethodChoice::Face)).unwrap();
    assert_eq!(h.stage(), VisitStage::AwaitingVerificationNumberB);
    h.face_answers(&[900]);
    let b = h.verification_b();
    h.send(Input::VerificationNumberB(b)).unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
}

#[test]
fn pin_only_mode_never_offers_face() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    assert!(h.send(Input::Choose(MethodChoice::Face)).is_err());
}
