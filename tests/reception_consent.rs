//! Consent (同意確認): only after identity, blanket or item by item in the national categories,
//! each answer with its time and the consent's validity, the overall code the national system
//! records, nothing partial kept when the card leaves or the patient walks away, staff
//! recording that consent cannot be obtained, and the prescription question.

mod common;

use common::harness::{Harness, SELECT_ISSUER_SECURITY_DOMAIN};
use onshi::CardEvent;
use onshi::card::PinSlot;
use onshi::facility::ReaderMode;
use onshi::reception::{
    ConsentAnswer, ConsentCode, ConsentItem, ConsentSettings, ConsentStatus, EndReason, InputKind,
    PrescriptionIssue, RejectReason, Screen, UserInput, VisitEvent, VisitResult, VisitSettings,
    VisitStage,
};
use onshi::sim::Persona;
use onshi::time::Timestamp;

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
            of: 6
        }
    );
    let at = h.now;
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    let record = h.outcome().consent().unwrap();
    assert!(record.blanket);
    let items: Vec<&ConsentItem> = record.answers.iter().map(|a| &a.item).collect();
    assert_eq!(
        items,
        [
            &ConsentItem::Medication,
            &ConsentItem::Treatment,
            &ConsentItem::Surgery,
            &ConsentItem::HealthCheckups,
            &ConsentItem::SpecificDiseasesCertificate,
        ]
    );
    assert!(record.answers.iter().all(|a| a.agreed && a.at == at));
    assert_eq!(record.at, at);
    // Viewable for 24 hours (real-card evidence T3).
    assert_eq!(record.available_until.seconds_since(at), 24 * 3600);
    assert_eq!(record.code(), ConsentCode::Given);
    assert_eq!(ConsentCode::Given.digit(), 1);
}

#[test]
fn item_by_item_after_declining_the_blanket() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(UserInput::ConsentAnswer(false)).unwrap();
    assert_eq!(
        h.screen(),
        &Screen::Consent {
            item: Some(ConsentItem::Medication),
            index: 2,
            of: 6
        }
    );
    assert_eq!(
        h.screen().text().ja,
        "（2/6）薬剤情報（薬剤・処方）の提供に同意しますか？"
    );
    // One answer a minute: each keeps its own time.
    let start = h.now;
    for agreed in [true, false, true, false, true] {
        h.wait(60);
        h.send(UserInput::ConsentAnswer(agreed)).unwrap();
    }
    let record = h.outcome().consent().unwrap();
    assert!(!record.blanket);
    let minute = |n: i64| Timestamp::from_unix_seconds(start.unix_seconds() + 60 * n);
    assert_eq!(
        record.answers,
        [
            ConsentAnswer {
                item: ConsentItem::Medication,
                agreed: true,
                at: minute(1),
            },
            ConsentAnswer {
                item: ConsentItem::Treatment,
                agreed: false,
                at: minute(2),
            },
            ConsentAnswer {
                item: ConsentItem::Surgery,
                agreed: true,
                at: minute(3),
            },
            ConsentAnswer {
                item: ConsentItem::HealthCheckups,
                agreed: false,
                at: minute(4),
            },
            ConsentAnswer {
                item: ConsentItem::SpecificDiseasesCertificate,
                agreed: true,
                at: minute(5),
            },
        ]
    );
    assert_eq!(record.at, minute(5));
    assert_eq!(record.available_until, minute(5 + 24 * 60));
    assert_eq!(
        record.answer(&ConsentItem::Treatment).map(|a| a.agreed),
        Some(false)
    );
    assert_eq!(
        record.answer(&ConsentItem::LimitApplicationCertificate),
        None
    );
    // No 限度額 screen anywhere.
    assert!(h.screens.iter().all(|s| !s.text().ja.contains("限度額")));
}

#[test]
fn declining_every_item_is_recorded_as_no_consent() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.answer_all_consent(false);
    let outcome = h.outcome();
    let record = outcome.consent().unwrap();
    assert_eq!(record.answers.len(), 5);
    assert!(record.answers.iter().all(|a| !a.agreed));
    assert_eq!(record.code(), ConsentCode::NotGiven);
    assert_eq!(record.code().digit(), 0);
    assert_eq!(
        outcome.result.to_string(),
        "confirmed by PIN; consent: 0 of 5 items"
    );
}

#[test]
fn the_validity_window_is_configurable() {
    let settings = VisitSettings {
        consent: ConsentSettings {
            available_hours: 2,
            ..ConsentSettings::default()
        },
        ..VisitSettings::default()
    };
    let mut h = confirmed_by_pin(settings);
    let at = h.now;
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    let record = h.outcome().consent().unwrap();
    assert_eq!(record.available_until.seconds_since(at), 2 * 3600);
}

#[test]
fn staff_record_that_consent_cannot_be_obtained() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    assert!(h.visit.accepts(InputKind::ConsentNotObtainable));
    h.send(UserInput::ConsentAnswer(false)).unwrap();
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    let at = h.now;
    h.send(UserInput::ConsentNotObtainable).unwrap();
    let outcome = h.outcome();
    match &outcome.result {
        VisitResult::Confirmed { consent, .. } => {
            assert_eq!(consent, &ConsentStatus::NotObtainable { at });
            assert_eq!(consent.code(), ConsentCode::NotObtainable);
            assert_eq!(consent.code().digit(), 3);
        }
        other => panic!("{other:?}"),
    }
    // The answer given before is not kept.
    assert_eq!(outcome.consent(), None);
    assert!(h.saw(|e| *e == VisitEvent::ConsentNotObtainable));
    assert_eq!(
        outcome.result.to_string(),
        "confirmed by PIN; consent: could not be obtained"
    );
}

#[test]
fn consent_not_obtainable_is_taken_only_on_a_consent_screen() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    let rejected = h.send(UserInput::ConsentNotObtainable).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::NotExpected);
    assert_eq!(rejected.input, InputKind::ConsentNotObtainable);
}

#[test]
fn the_overall_code_of_every_consent_status() {
    assert_eq!(ConsentStatus::NotAsked.code(), ConsentCode::NotGiven);
    assert_eq!(
        ConsentStatus::NotFinished {
            reason: EndReason::TimedOut
        }
        .code(),
        ConsentCode::NotObtainable
    );
    for digit in 0..=3 {
        let code = ConsentCode::from_digit(digit).unwrap();
        assert_eq!(code.digit(), digit);
    }
    assert_eq!(ConsentCode::from_digit(2), Some(ConsentCode::Expired));
    assert_eq!(ConsentCode::from_digit(4), None);
}

fn with_prescription_question() -> VisitSettings {
    VisitSettings {
        consent: ConsentSettings {
            ask_prescription: true,
            ..ConsentSettings::default()
        },
        ..VisitSettings::default()
    }
}

#[test]
fn the_prescription_question_follows_the_consent_where_the_facility_asks_it() {
    let mut h = confirmed_by_pin(with_prescription_question());
    assert!(!h.visit.accepts(InputKind::PrescriptionChosen));
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    assert_eq!(h.stage(), VisitStage::ChoosingPrescription);
    assert_eq!(h.screen(), &Screen::ChoosePrescription);
    assert!(h.visit.accepts(InputKind::PrescriptionChosen));
    assert!(!h.visit.accepts(InputKind::ConsentAnswer));
    h.send(UserInput::PrescriptionChosen(PrescriptionIssue::Electronic))
        .unwrap();
    let outcome = h.outcome();
    assert_eq!(outcome.prescription, Some(PrescriptionIssue::Electronic));
    assert_eq!(PrescriptionIssue::Electronic.digit(), 1);
    assert_eq!(
        PrescriptionIssue::from_digit(2),
        Some(PrescriptionIssue::Paper)
    );
    assert_eq!(PrescriptionIssue::from_digit(3), None);
    assert!(outcome.consent().is_some());
    assert!(h.saw(|e| *e
        == VisitEvent::PrescriptionChosen {
            choice: PrescriptionIssue::Electronic
        }));
    assert!(
        outcome
            .to_string()
            .starts_with("confirmed by PIN; consent: all (blanket); electronic prescription; ")
    );
}

#[test]
fn walking_away_at_the_prescription_question_keeps_the_consent() {
    let mut h = confirmed_by_pin(with_prescription_question());
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    h.wait(120);
    let outcome = h.outcome();
    assert!(outcome.consent().is_some(), "the consent was finished");
    assert_eq!(outcome.prescription, None);
}

#[test]
fn without_the_setting_no_prescription_question() {
    let mut h = confirmed_by_pin(VisitSettings::default());
    h.send(UserInput::ConsentAnswer(true)).unwrap();
    assert_eq!(h.stage(), VisitStage::Finished);
    assert_eq!(h.outcome().prescription, None);
    assert!(!h.screens.contains(&Screen::ChoosePrescription));
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
            ..ConsentSettings::default()
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
    for agreed in [true, false, true, false, false] {
        h.send(UserInput::ConsentAnswer(agreed)).unwrap();
    }
    let outcome = h.outcome();
    assert_eq!(
        outcome.result.to_string(),
        "confirmed by PIN; consent: 2 of 5 items"
    );
    let card = outcome.card.as_ref().unwrap();
    assert_eq!(
        outcome.to_string(),
        format!("confirmed by PIN; consent: 2 of 5 items; {card}")
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
