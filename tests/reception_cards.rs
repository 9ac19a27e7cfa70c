//! Card kinds at the reader: expired certificates, smartphones, cards that are not My Number
//! Cards, and cards that change on the reader.

mod common;

use common::harness::{Harness, SELECT_ISSUER_SECURITY_DOMAIN};
use onshi::CardEvent;
use onshi::card::{Application, UserAuthCertificate, jpki};
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentStatus, EligibilityOnlyReason, IdentityMethod, InputKind, InputRejected, MethodChoice,
    RefusalReason, RejectReason, Screen, SmartphonePlatform, StaffNotice, UserInput, VisitEvent,
    VisitResult, VisitStage,
};
use onshi::sim::{Persona, VirtualFile};
use onshi::time::Timestamp;

/// When the persona's user-authentication certificate expires.
fn certificate_not_after(persona: Persona) -> Timestamp {
    let der = persona
        .card(common::today())
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    UserAuthCertificate::from_der(der).unwrap().not_after()
}

fn jst(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Timestamp {
    Timestamp::from_jst(year, month, day, hour, minute, second).unwrap()
}

/// A PIN visit of `persona` at `now`, up to the outcome (consent answered if asked).
fn pin_visit_at(persona: Persona, now: Timestamp) -> Harness {
    let mut h = Harness::at(persona, ReaderMode::Unattended, now);
    h.place_card();
    if h.outcome.is_none() {
        h.user(UserInput::Choose(MethodChoice::Pin)).unwrap();
        h.pin("1234").unwrap();
        h.answer_all_consent(true);
    }
    h
}

#[test]
fn certificate_expired_recently_confirms_eligibility_only() {
    let mut h = Harness::new(Persona::CertExpiredRecently, ReaderMode::Unattended);
    h.place_card();
    h.user(UserInput::Choose(MethodChoice::Pin)).unwrap();
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
    // Expired two months ago: within the three months of the renewal alert.
    assert_eq!(
        h.screen(),
        &Screen::Done {
            eligibility_only: Some(EligibilityOnlyReason::CertificateExpiredRecently),
            consent_given: false,
            renewal_alert: true,
        }
    );
    assert!(h.outcome().certificate_renewal_alert);
    let not_after = certificate_not_after(Persona::CertExpiredRecently);
    assert_eq!(h.notices, [StaffNotice::CertificateRenewal { not_after }]);
    assert!(h.saw(|e| *e == VisitEvent::CertificateRenewalAlert { not_after }));
    // The keys the PIN and 照合番号B unlocked are locked again, consent or not.
    assert_eq!(h.keys_locked(), 1);
    assert!(h.saw(|e| *e == VisitEvent::KeysLocked));
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
    assert_eq!(h.user_pin_queries(), 0);
    assert!(h.screen().text().ja.contains("有効期限"));
    assert!(h.outcome().certificate.is_some());
    // A year after expiry: past the renewal alert too.
    assert!(!h.outcome().certificate_renewal_alert);
    assert!(h.notices.is_empty());
}

#[test]
fn the_grace_runs_to_the_end_of_the_third_month_after_the_month_of_expiry() {
    // The certificate expired on 27 September 2026 (end of the day in Japan).
    assert_eq!(
        certificate_not_after(Persona::CertExpiredRecently),
        jst(2026, 9, 27, 23, 59, 59)
    );
    // 31 December, the last second: still eligibility only.
    let h = pin_visit_at(Persona::CertExpiredRecently, jst(2026, 12, 31, 23, 59, 59));
    match &h.outcome().result {
        VisitResult::Confirmed {
            eligibility_only, ..
        } => assert_eq!(
            eligibility_only,
            &Some(EligibilityOnlyReason::CertificateExpiredRecently)
        ),
        other => panic!("{other:?}"),
    }
    // 1 January: refused, before any PIN.
    let h = pin_visit_at(Persona::CertExpiredRecently, jst(2027, 1, 1, 0, 0, 0));
    assert_eq!(
        h.outcome().result,
        VisitResult::Refused {
            reason: RefusalReason::CertificateExpired
        }
    );
    assert_eq!(h.user_pin_verifications(), 0);
}

#[test]
fn the_renewal_alert_runs_from_three_months_before_expiry_to_three_months_after() {
    let alert = |persona, at| {
        let h = pin_visit_at(persona, at);
        let outcome = h.outcome();
        assert!(
            matches!(outcome.result, VisitResult::Confirmed { .. }),
            "{at}: {:?}",
            outcome.result
        );
        let shown = matches!(
            h.screen(),
            Screen::Done {
                renewal_alert: true,
                ..
            }
        );
        let noticed = h
            .notices
            .iter()
            .any(|n| matches!(n, StaffNotice::CertificateRenewal { .. }));
        assert_eq!(shown, outcome.certificate_renewal_alert, "{at}");
        assert_eq!(noticed, outcome.certificate_renewal_alert, "{at}");
        outcome.certificate_renewal_alert
    };
    // Expired on 27 September 2026: on until the end of 27 December, off after (the grace
    // for eligibility goes on to the end of December).
    assert!(alert(
        Persona::CertExpiredRecently,
        jst(2026, 12, 27, 23, 59, 59)
    ));
    assert!(!alert(
        Persona::CertExpiredRecently,
        jst(2026, 12, 28, 0, 0, 0)
    ));
    // A valid certificate, expiring on 27 November 2030: off today, on from 27 August 2030.
    assert_eq!(
        certificate_not_after(Persona::Standard),
        jst(2030, 11, 27, 23, 59, 59)
    );
    assert!(!alert(Persona::Standard, common::morning()));
    assert!(!alert(Persona::Standard, jst(2030, 8, 26, 23, 59, 59)));
    assert!(alert(Persona::Standard, jst(2030, 8, 27, 0, 0, 0)));
    assert!(alert(Persona::Standard, jst(2030, 11, 27, 23, 59, 59)));
}

#[test]
fn a_valid_certificate_far_from_expiry_shows_no_alert() {
    let h = pin_visit_at(Persona::Standard, common::morning());
    assert_eq!(
        h.screen(),
        &Screen::Done {
            eligibility_only: None,
            consent_given: true,
            renewal_alert: false,
        }
    );
    assert!(h.notices.is_empty());
    assert!(!h.saw(|e| matches!(e, VisitEvent::CertificateRenewalAlert { .. })));
}

#[test]
fn android_smartphone_pin_on_the_reader_then_the_certificate() {
    let mut h = Harness::new(Persona::SmartphoneAndroid, ReaderMode::Unattended);
    h.send(CardEvent::Inserted).unwrap();
    // Only the PIN is possible (no photo to read on a phone), so it is asked directly.
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
    // The PIN unlocked the key: the application was left before the consent.
    assert_eq!(h.keys_locked(), 1);
    let card = h.outcome().card.clone().unwrap();
    assert!(card.certificate_serial.is_some(), "read after the PIN");
}

#[test]
fn iphone_evidence_is_passed_in() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let der = h
        .card
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    h.user(UserInput::IPhoneAuthenticated {
        certificate_der: der,
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
    assert_eq!(
        h.outcome().card_kind,
        Some(onshi::card::CardKind::Smartphone(
            SmartphonePlatform::IPhone
        ))
    );
}

#[test]
fn an_iphone_needs_a_certificate_and_the_unattended_mode() {
    let der = Persona::Standard
        .card(common::today())
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    // Not a certificate.
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    assert_eq!(
        h.user(UserInput::IPhoneAuthenticated {
            certificate_der: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        }),
        Err(InputRejected {
            stage: VisitStage::AwaitingCard,
            input: InputKind::IPhoneAuthenticated,
            reason: RejectReason::IPhone,
        })
    );
    assert!(h.outcome.is_none());
    // PIN-only and legacy visual modes take no phone.
    for mode in [ReaderMode::PinOnly, ReaderMode::LegacyVisual] {
        let mut h = Harness::new(Persona::Standard, mode);
        assert!(!h.visit.accepts(InputKind::IPhoneAuthenticated), "{mode:?}");
        assert_eq!(
            h.user(UserInput::IPhoneAuthenticated {
                certificate_der: der.clone(),
            }),
            Err(InputRejected {
                stage: VisitStage::AwaitingCard,
                input: InputKind::IPhoneAuthenticated,
                reason: RejectReason::IPhone,
            }),
            "{mode:?}"
        );
        assert!(h.outcome.is_none());
        assert!(!h.saw(|e| matches!(e, VisitEvent::IdentityConfirmed { .. })));
    }
    let h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    assert!(h.visit.accepts(InputKind::IPhoneAuthenticated));
}

#[test]
fn an_expired_smartphone_certificate_is_refused() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let der = Persona::CertExpiredRecently
        .card(common::today())
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    h.user(UserInput::IPhoneAuthenticated {
        certificate_der: der,
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
    h.send(CardEvent::Inserted).unwrap();
    assert_eq!(
        h.outcome().result,
        VisitResult::Refused {
            reason: RefusalReason::NotAMyNumberCard
        }
    );
}

#[test]
fn a_new_card_during_the_consent_discards_the_identity() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.user(UserInput::Choose(MethodChoice::Pin)).unwrap();
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    // Another card is placed: the reader reports an insertion while a card is known.
    h.persona = Persona::OneTryLeft;
    let old = std::mem::replace(&mut h.card, Persona::OneTryLeft.card(common::today()));
    // The old card's keys were locked before its consent screen.
    assert_eq!(
        old.log().last().unwrap().bytes().as_slice(),
        SELECT_ISSUER_SECURITY_DOMAIN
    );
    h.send(CardEvent::Inserted).unwrap();
    assert!(h.saw(|e| *e == VisitEvent::CardChanged));
    // Read from the start: the consent is no longer taken.
    assert_eq!(h.stage(), VisitStage::AwaitingVerificationNumberB);
    assert_eq!(
        h.user(UserInput::ConsentAnswer(true)).unwrap_err().reason,
        RejectReason::NotExpected
    );
    let b = h.verification_b();
    h.user(UserInput::VerificationNumberB(b)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::ChooseMethod {
            options: vec![MethodChoice::Face, MethodChoice::Pin],
            pin_tries_left: Some(1),
        }
    );
    // The new card's holder confirms their own identity.
    h.face_answers(&[930]);
    h.user(UserInput::Choose(MethodChoice::Face)).unwrap();
    h.answer_all_consent(true);
    assert!(matches!(
        h.outcome().identity(),
        Some(IdentityMethod::Face { .. })
    ));
    // The outcome names the new card, not the old one.
    let card = h.outcome().card.clone().unwrap();
    assert_eq!(
        card.certificate_serial.as_deref(),
        Some(certificate_serial_hex(Persona::OneTryLeft).as_str())
    );
    assert_ne!(
        card.certificate_serial.as_deref(),
        Some(certificate_serial_hex(Persona::Standard).as_str())
    );
    assert_eq!(h.keys_locked(), 1, "the new card's keys, locked too");
    assert_eq!(
        h.card.log().last().unwrap().bytes().as_slice(),
        SELECT_ISSUER_SECURITY_DOMAIN
    );
}

/// The serial of the persona's user-authentication certificate, as upper-case hex.
fn certificate_serial_hex(persona: Persona) -> String {
    let der = persona
        .card(common::today())
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    UserAuthCertificate::from_der(der)
        .unwrap()
        .serial()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[test]
fn a_card_swapped_behind_a_reset_is_a_new_card() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.user(UserInput::Choose(MethodChoice::Pin)).unwrap();
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    // The reader reports a reset, but the card on it is another one.
    h.persona = Persona::OneTryLeft;
    h.card = Persona::OneTryLeft.card(common::today());
    h.send(CardEvent::Reset).unwrap();
    assert!(h.saw(|e| *e == VisitEvent::CardRecheck));
    assert!(h.saw(|e| *e == VisitEvent::CardChanged));
    assert!(!h.saw(|e| *e == VisitEvent::SameCard));
    // The new card is read from the start and waits for its 照合番号B.
    assert_eq!(h.stage(), VisitStage::AwaitingVerificationNumberB);
    assert_eq!(h.user_pin_verifications(), 0);
    assert!(h.pin("1234").is_err());
}

#[test]
fn the_old_cards_identity_does_not_survive_a_new_card() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    // Another card, then it is taken away before anything was confirmed with it.
    h.card = Persona::OneTryLeft.card(common::today());
    h.send(CardEvent::Inserted).unwrap();
    assert!(h.saw(|e| *e == VisitEvent::CardChanged));
    h.send(CardEvent::Removed).unwrap();
    assert_eq!(
        h.outcome().result,
        VisitResult::NotConfirmed {
            reason: onshi::reception::EndReason::CardRemoved
        }
    );
    assert_eq!(h.outcome().consent(), None);
}

#[test]
fn after_an_iphone_the_visit_takes_what_it_says_it_takes() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let der = h
        .card
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    h.user(UserInput::IPhoneAuthenticated {
        certificate_der: der,
    })
    .unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    let said = h.visit.accepts(InputKind::VerificationNumberB);
    let b = h.verification_b();
    let taken = h.user(UserInput::VerificationNumberB(b)).is_ok();
    // Observed: said = false, taken = true.
    assert_eq!(
        said, taken,
        "accepts() said {said}, handle() took it: {taken}"
    );
}

#[test]
fn a_reset_with_no_card_is_not_activity() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let deadline = h.deadline.unwrap();
    assert!(!h.visit.accepts(InputKind::CardReset));
    h.now = h.now.saturating_add_seconds(100);
    let result = h.send(CardEvent::Reset);
    // Observed: Ok(()), and the deadline moved from 120 s to 100 s + 120 s.
    assert_eq!(
        (result.is_err(), h.deadline),
        (true, Some(deadline)),
        "{result:?}: the reset was taken and moved the idle deadline"
    );
}
