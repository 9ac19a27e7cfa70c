//! Card kinds at the reader: expired certificates, smartphones, cards that are not My Number
//! Cards.

mod common;

use common::harness::Harness;
use onshi::card::{Application, jpki};
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentStatus, EligibilityOnlyReason, IdentityMethod, Input, MethodChoice, RefusalReason,
    Screen, SmartphonePlatform, VisitResult, VisitStage,
};
use onshi::sim::{Persona, VirtualFile};

#[test]
fn certificate_expired_recently_confirms_eligibility_only() {
    let mut h = Harness::new(Persona::CertExpiredRecently, ReaderMode::Unattended);
    h.place_card();
    h.send(Input::Choose(MethodChoice::Pin)).unwrap();
    h.pin("1234").unwrap();
    match &h.outcome().result {
        VisitResult::Confirmed {
            consent,
            eligibility_only,
            ..
        } => {
            assert_eq!(consent, &ConsentStatus::NotAsked);
            assert_eq!(
                eligibility_only,
                &Some(EligibilityOnlyReason::CertificateExpiredRecently)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        h.screen(),
        &Screen::Done {
            eligibility_only: Some(EligibilityOnlyReason::CertificateExpiredRecently),
            consent_given: false
        }
    );
}

#[test]
fn certificate_expired_long_ago_is_refused_before_any_pin() {
    let mut h = Harness::new(Persona::CertExpiredLongAgo, ReaderMode::Unattended);
    h.place_card();
    assert_eq!(
        h.outcome().result,
        VisitResult::Refused {
            reason: RefusalReason::CertificateExpired
        }
    );
    assert_eq!(h.user_pin_verifications(), 0);
    assert!(h.screen().text().ja.contains("有効期限"));
    assert!(h.outcome().certificate.is_some());
}

#[test]
fn android_smartphone_pin_on_the_reader_then_the_certificate() {
    let mut h = Harness::new(Persona::SmartphoneAndroid, ReaderMode::Unattended);
    h.send(Input::CardPlaced).unwrap();
    // Only the PIN is possible, so it is asked directly.
    assert_eq!(h.screen(), &Screen::EnterPin { tries_left: 3 });
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    h.answer_all_consent(true);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::Smartphone {
            platform: SmartphonePlatform::Android
        })
    );
    assert_eq!(h.outcome().certificate.as_ref().unwrap().der().len(), 1590);
}

#[test]
fn iphone_evidence_is_passed_in() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let der = h
        .card
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    h.send(Input::IPhoneAuthenticated {
        certificate_der: Some(der),
    })
    .unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    h.answer_all_consent(false);
    assert_eq!(
        h.outcome().identity(),
        Some(&IdentityMethod::Smartphone {
            platform: SmartphonePlatform::IPhone
        })
    );
    assert!(h.card.log().is_empty(), "no card was touched");
}

#[test]
fn an_expired_smartphone_certificate_is_refused() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let der = Persona::CertExpiredRecently
        .card(common::today())
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    h.send(Input::IPhoneAuthenticated {
        certificate_der: Some(der),
    })
    .unwrap();
    assert_eq!(
        h.outcome().result,
        VisitResult::Refused {
            reason: RefusalReason::SmartphoneCertificateExpired
        }
    );
}

#[test]
fn a_card_without_jpki_is_refused() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.card = onshi::sim::VirtualCard::empty();
    h.card.set_file(
        Application::CardFace,
        onshi::apdu::FileId::new(0x0002),
        VirtualFile::Data {
            content: vec![],
            lock: onshi::sim::FileLock::Free,
        },
    );
    h.send(Input::CardPlaced).unwrap();
    assert_eq!(
        h.outcome().result,
        VisitResult::Refused {
            reason: RefusalReason::NotAMyNumberCard
        }
    );
}
