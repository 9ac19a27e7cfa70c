//! Consent (同意確認): only after identity, blanket or item by item, nothing partial kept when
//! the card leaves or the patient walks away.

mod common;

use common::harness::Harness;
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentAnswer, ConsentItem, ConsentSettings, ConsentStatus, EndReason, Input, Screen,
    VisitEvent, VisitResult, VisitSettings, VisitStage,
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
    assert!(h.send(Input::ConsentAnswer(true)).is_err());
    h.place_card();
    assert!(h.send(Input::ConsentAnswer(true)).is_err());
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
    h.send(Input::ConsentAnswer(true)).unwrap();
    let record = h.outcome().consent().unwrap();
    assert!(record.blanket);
    assert_eq!(record.answers.len(), 3);
    assert!(record.answers.iter().all(|a| a.agreed));
}

#[test]
fn item_by_item_after_declining_the_blanket() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(Input::ConsentAnswer(false)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::Consent {
            item: Some(ConsentItem::MedicalAndMedication),
            index: 2,
            of: 4
        }
    );
    for agreed in [true, false, true] {
        h.send(Input::ConsentAnswer(agreed)).unwrap();
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
    h.send(Input::ConsentAnswer(true)).unwrap();
    assert_eq!(h.outcome().consent().unwrap().answers.len(), 1);
}

#[test]
fn removal_mid_consent_keeps_no_partial_answers() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(Input::ConsentAnswer(false)).unwrap();
    h.send(Input::ConsentAnswer(true)).unwrap();
    h.send(Input::CardRemoved).unwrap();
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
            consent_given: false
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
    assert!(
        h.send(Input::ConsentAnswer(true)).is_err(),
        "a finished visit takes nothing"
    );
}

#[test]
fn outcome_and_events_carry_no_secret() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(Input::ConsentAnswer(true)).unwrap();
    let outcome = serde_json::to_string(h.outcome()).unwrap();
    let events = serde_json::to_string(&h.events).unwrap();
    for secret in ["1234", "85040120305678", "123456789018", "31323334"] {
        assert!(!outcome.contains(secret), "{secret} in the outcome");
        assert!(!events.contains(secret), "{secret} in the events");
    }
    assert!(outcome.contains("\"method\":\"pin\""), "{outcome}");
}
