//! Consent (同意確認): only after identity, blanket or item by item, nothing partial kept when
//! the card leaves or the patient walks away.

mod common;

use common::harness::{Harness, SELECT_ISSUER_SECURITY_DOMAIN};
use onshi::CardEvent;
use onshi::card::PinSlot;
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentAnswer, ConsentItem, ConsentSettings, ConsentStatus, EndReason, InputKind, RejectReason,
    Screen, UserInput, VisitEvent, VisitResult, VisitSettings, VisitStage,
};
use onshi::sim::Persona;

fn confirmed_by_pin(settings: VisitSettings) -> Harness {
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::PinOnly, settings);
    h.place_card();
    h.pin("1234").unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    h
}

#[test]
fn consent_is_not_taken_before_identity() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    assert_eq!(
        h.send(UserInput::ConsentAnswer(true)).unwrap_err().reason,
        RejectReason::NotExpected
    );
    h.place_card();
    assert!(!h.visit.accepts(InputKind::ConsentAnswer));
    let rejected = h.send(UserInput::ConsentAnswer(true)).unwrap_err();
    assert_eq!(rejected.stage, VisitStage::ChoosingMethod);
    assert_eq!(rejected.input, InputKind::ConsentAnswer);
    assert_eq!(rejected.reason, RejectReason::NotExpected);
    let identity = h
        .events
        .iter()
        .position(|e| matches!(e, VisitEvent::IdentityConfirmed { .. }));
    assert_eq!(identity, None);
}

#[test]
fn blanket_consent_answers_every_item() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    assert_eq!(
        h.screen(),
        &Screen::Consent {
            item: None,
            index: 1,
            of: 4
        }
    );
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    let record = h.outcome().consent().unwrap();
    assert!(record.blanket);
    assert_eq!(record.answers.len(), 3);
    assert!(record.answers.iter().all(|a| a.agreed));
}

#[test]
fn item_by_item_after_declining_the_blanket() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(UserInput::ConsentAnswer(false)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::Consent {
            item: Some(ConsentItem::MedicalAndMedication),
            index: 2,
            of: 4
        }
    );
    for agreed in [true, false, true] {
        h.send(UserInput::ConsentAnswer(agreed)).unwrap();
    }
    let record = h.outcome().consent().unwrap();
    assert!(!record.blanket);
    assert_eq!(
        record.answers,
        [
            ConsentAnswer {
                item: ConsentItem::MedicalAndMedication,
                agreed: true
            },
            ConsentAnswer {
                item: ConsentItem::HealthCheckups,
                agreed: false
            },
            ConsentAnswer {
                item: ConsentItem::Surgery,
                agreed: true
            },
        ]
    );
    // No 限度額 screen anywhere.
    assert!(h.screens.iter().all(|s| !s.text().ja.contains("限度額")));
}

#[test]
fn vendor_items_without_blanket_option() {
    let settings = VisitSettings {
        consent: ConsentSettings {
            items: vec![ConsentItem::Vendor {
                id: "e-prescription".into(),
                label_ja: "電子処方箋".into(),
                label_en: "electronic prescription".into(),
            }],
            blanket_option: false,
        },
        ..VisitSettings::default()
    };
    let mut h = confirmed_by_pin(settings);
    assert_eq!(
        h.screen().text().ja,
        "（1/1）電子処方箋の提供に同意しますか？"
    );
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    assert_eq!(h.outcome().consent().unwrap().answers.len(), 1);
}

#[test]
fn removal_mid_consent_keeps_no_partial_answers() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(UserInput::ConsentAnswer(false)).unwrap();
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    h.send(CardEvent::Removed).unwrap();
    match &h.outcome().result {
        VisitResult::Confirmed { consent, .. } => assert_eq!(
            consent,
            &ConsentStatus::NotFinished {
                reason: EndReason::CardRemoved
            }
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.outcome().consent(), None);
    assert_eq!(
        h.screen(),
        &Screen::Done {
            eligibility_only: None,
            consent_given: false,
            renewal_alert: false,
        }
    );
}

#[test]
fn walking_away_ends_the_visit_at_the_deadline() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    let deadline = h.deadline.unwrap();
    h.wait(119);
    assert_eq!(h.stage(), VisitStage::Consent);
    assert_eq!(h.deadline, Some(deadline), "a tick is not activity");
    h.wait(1);
    match &h.outcome().result {
        VisitResult::Confirmed { consent, .. } => assert_eq!(
            consent,
            &ConsentStatus::NotFinished {
                reason: EndReason::TimedOut
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn walking_away_before_identity_confirms_nothing() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.wait(120);
    assert_eq!(
        h.outcome().result,
        VisitResult::NotConfirmed {
            reason: EndReason::TimedOut
        }
    );
    assert_eq!(
        h.send(UserInput::ConsentAnswer(true)).unwrap_err().reason,
        RejectReason::Finished,
        "a finished visit takes nothing"
    );
    assert!(h.visit.expected_inputs().is_empty());
}

#[test]
fn outcome_and_events_carry_no_secret() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    let outcome = serde_json::to_string(h.outcome()).unwrap();
    let events = serde_json::to_string(&h.events).unwrap();
    // The PIN, 照合番号B (era year and western year), the My Number, the PIN's bytes.
    let b = h.verification_b();
    let b = String::from_utf8(b.secret().expose_secret().to_vec()).unwrap();
    assert_eq!(&b[..6], "600401");
    for secret in [
        "1234",
        b.as_str(),
        "85040120305678",
        "123456789018",
        "31323334",
    ] {
        assert!(!outcome.contains(secret), "{secret} in the outcome");
        assert!(!events.contains(secret), "{secret} in the events");
    }
    assert!(outcome.contains("\"method\":\"pin\""), "{outcome}");
}

#[test]
fn the_keys_are_locked_before_the_first_consent_screen() {
    let h = confirmed_by_pin(VisitSettings::default());
    // The last command the visit sent: leave the application for the Issuer Security Domain,
    // while the visit is locking the card; only then the consent screen.
    let (last, _, stage) = h.transmitted.last().unwrap();
    assert_eq!(last.as_slice(), SELECT_ISSUER_SECURITY_DOMAIN);
    assert_eq!(*stage, VisitStage::LockingCard);
    assert_eq!(h.keys_locked(), 1);
    let locked = h
        .events
        .iter()
        .position(|e| *e == VisitEvent::KeysLocked)
        .unwrap();
    let identity = h
        .events
        .iter()
        .position(|e| matches!(e, VisitEvent::IdentityConfirmed { .. }))
        .unwrap();
    assert!(identity < locked);
    assert!(matches!(h.screen(), Screen::Consent { .. }));
    assert!(!h.card.is_verified(PinSlot::UserAuth));
    assert!(!h.card.is_verified(PinSlot::CardFaceVerificationB));
}

#[test]
fn no_key_to_lock_without_a_verify() {
    // The iPhone authenticates on the phone: nothing was sent to a card, nothing to lock.
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    let der = h
        .card
        .data(
            onshi::card::Application::Jpki,
            onshi::card::jpki::USER_AUTH_CERTIFICATE,
        )
        .unwrap()
        .to_vec();
    h.send(UserInput::IPhoneAuthenticated {
        certificate_der: der,
    })
    .unwrap();
    assert_eq!(h.stage(), VisitStage::Consent);
    assert!(!h.saw(|e| *e == VisitEvent::KeysLocked));
    assert_eq!(h.keys_locked(), 0);
}

#[test]
fn outcomes_say_what_happened_in_one_line() {
    // A PIN visit with the consent item by item: the vendor's log line needs no match of its own.
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(UserInput::ConsentAnswer(false)).unwrap();
    for agreed in [true, false, true] {
        h.send(UserInput::ConsentAnswer(agreed)).unwrap();
    }
    let outcome = h.outcome();
    assert_eq!(
        outcome.result.to_string(),
        "confirmed by PIN; consent: 2 of 3 items"
    );
    let card = outcome.card.as_ref().unwrap();
    assert_eq!(
        outcome.to_string(),
        format!("confirmed by PIN; consent: 2 of 3 items; {card}")
    );
    assert!(
        card.to_string()
            .starts_with("chip 0000000099000001, certificate ")
    );
    // Walking away during the consent.
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.wait(3600);
    assert_eq!(
        h.outcome().result.to_string(),
        "confirmed by PIN; consent: not finished (timed out)"
    );
    assert_eq!(
        VisitResult::NotConfirmed {
            reason: EndReason::NoMethodLeft
        }
        .to_string(),
        "not confirmed: no way to confirm identity left"
    );
}
