//! Whole visits with cards that are not what they claim: a forged card face, a clone, a card
//! that takes any PIN, a test card. Face matching counts only for a verified photo on a card
//! that proved its presence; a PIN only with the key proven; a certificate only under the
//! trust anchors.

mod common;

use common::harness::{Harness, facility};
use onshi::card::authenticity::{AuthenticityError, Hierarchy, TrustAnchors};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::policy::NotOffered;
use onshi::reception::{
    IdentityMethod, InputKind, InputRejected, MethodChoice, ReaderContext, RefusalReason,
    RejectReason, Screen, StaffCheckAvailability, UserInput, Verification, VisitEvent, VisitResult,
    VisitSettings, VisitStage,
};
use onshi::sim::Persona;
use onshi::{CardEvent, ReaderCapabilities};

fn not_authentic(h: &Harness, problem: AuthenticityError) -> bool {
    h.saw(|e| *e == VisitEvent::NotAuthentic { problem })
}

fn refused(h: &Harness, reason: RefusalReason) {
    assert_eq!(h.outcome().result, VisitResult::Refused { reason });
    assert!(h.outcome().consent().is_none());
}

#[test]
fn a_genuine_card_records_everything_it_proved() {
    // Face: the certificate chain, the card face, the card's presence.
    let mut h = Harness::new(Persona::Standard, ReaderMode::Unattended);
    h.place_card();
    h.face_answers(&[930]);
    h.send(UserInput::Choose(MethodChoice::Face)).unwrap();
    h.answer_all_consent(true);
    assert!(matches!(
        h.outcome().identity(),
        Some(IdentityMethod::Face { .. })
    ));
    assert_eq!(
        h.outcome().verification,
        Verification {
            hierarchy: Some(Hierarchy::Custom),
            certificate_chain: true,
            card_face: true,
            card_present: true,
            pin_key: false,
        }
    );
    // PIN-only: the chain and the PIN's key; no photo was needed.
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.send(CardEvent::Inserted).unwrap();
    h.pin("1234").unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().identity(), Some(&IdentityMethod::Pin));
    assert_eq!(
        h.outcome().verification,
        Verification {
            hierarchy: Some(Hierarchy::Custom),
            certificate_chain: true,
            card_face: false,
            card_present: false,
            pin_key: true,
        }
    );
    assert!(h.saw(|e| *e == VisitEvent::PinKeyProven));
}

#[test]
fn a_forged_card_face_offers_no_photo_comparison_and_the_pin_still_works() {
    let settings = VisitSettings {
        staff_check: StaffCheckAvailability::Always,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::ForgedFace, ReaderMode::Unattended, settings);
    h.place_card();
    assert!(not_authentic(&h, AuthenticityError::CardFaceSignature));
    assert!(h.screens.contains(&Screen::CardNotVerified));
    // Neither face nor the staff photo check, even with the staff check always on.
    assert_eq!(h.visit.available_methods(), vec![MethodChoice::Pin]);
    assert_eq!(
        h.send(UserInput::Choose(MethodChoice::Face)),
        Err(InputRejected {
            stage: h.stage(),
            input: InputKind::Choose,
            reason: RejectReason::NotOffered {
                method: MethodChoice::Face,
                why: NotOffered::NotGenuine
            }
        })
    );
    assert!(matches!(
        h.send(UserInput::Choose(MethodChoice::StaffCheck)),
        Err(InputRejected {
            reason: RejectReason::NotOffered {
                why: NotOffered::NotGenuine,
                ..
            },
            ..
        })
    ));
    assert_eq!(
        h.captures, 0,
        "no capture was matched against a forged photo"
    );
    // The keys are genuine: the PIN confirms identity, with the key proven.
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    h.pin("1234").unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().identity(), Some(&IdentityMethod::Pin));
    let verification = h.outcome().verification;
    assert!(verification.pin_key && verification.certificate_chain);
    assert!(!verification.card_face && !verification.card_present);
}

#[test]
fn a_cloned_card_is_refused_after_its_pin() {
    let mut h = Harness::new(Persona::ClonedCard, ReaderMode::Unattended);
    h.place_card();
    // Genuine data, another chip: the presence challenge fails.
    assert!(not_authentic(&h, AuthenticityError::CardNotPresent));
    assert!(h.screens.contains(&Screen::CardNotVerified));
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    // It accepts the holder's PIN, but its key is not the certificate's.
    h.pin("1234").unwrap();
    assert!(not_authentic(&h, AuthenticityError::PinKeyNotProven));
    refused(&h, RefusalReason::NotAuthentic);
    assert_eq!(
        h.screen(),
        &Screen::Refused {
            reason: RefusalReason::NotAuthentic
        }
    );
    // The key the PIN unlocked was locked again before the visit let the card go.
    assert!(h.card.unlocked_keys().is_empty());
}

#[test]
fn a_card_that_takes_any_pin_is_refused() {
    let mut h = Harness::new(Persona::FakePinCard, ReaderMode::PinOnly);
    h.send(CardEvent::Inserted).unwrap();
    // A wrong PIN: the card says 90 00, then cannot sign.
    h.pin("0000").unwrap();
    assert!(not_authentic(&h, AuthenticityError::PinKeyNotProven));
    refused(&h, RefusalReason::NotAuthentic);
    // In the unattended mode its card face does not prove presence either.
    let mut h = Harness::new(Persona::FakePinCard, ReaderMode::Unattended);
    h.place_card();
    assert!(not_authentic(&h, AuthenticityError::CardNotPresent));
    assert_eq!(h.visit.available_methods(), vec![MethodChoice::Pin]);
}

#[test]
fn turning_the_pin_key_proof_off_lets_a_fake_pin_card_through() {
    // The setting exists for readers that cannot afford the APDU; this is what it costs.
    let settings = VisitSettings {
        prove_pin_key: false,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::FakePinCard, ReaderMode::PinOnly, settings);
    h.send(CardEvent::Inserted).unwrap();
    h.pin("0000").unwrap();
    h.answer_all_consent(true);
    assert_eq!(h.outcome().identity(), Some(&IdentityMethod::Pin));
    assert!(!h.outcome().verification.pin_key);
}

fn context(mode: ReaderMode, trust: TrustAnchors) -> ReaderContext {
    facility(mode)
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(trust)
}

#[test]
fn a_test_card_is_refused_by_the_production_anchors_before_any_pin() {
    for mode in [
        ReaderMode::Unattended,
        ReaderMode::PinOnly,
        ReaderMode::LegacyVisual,
    ] {
        let mut h = Harness::with_context(
            Persona::TestCard,
            context(mode, TrustAnchors::production()),
            VisitSettings::default(),
        );
        h.place_card();
        assert!(
            not_authentic(&h, AuthenticityError::UntrustedCertificate),
            "{mode:?}"
        );
        refused(&h, RefusalReason::CertificateNotTrusted);
        assert_eq!(h.user_pin_verifications(), 0, "{mode:?}");
        assert_eq!(
            h.outcome().verification.hierarchy,
            Some(Hierarchy::Production)
        );
    }
    // The virtual card itself is refused by the production anchors too.
    let mut h = Harness::with_context(
        Persona::Standard,
        context(ReaderMode::Unattended, TrustAnchors::production()),
        VisitSettings::default(),
    );
    h.place_card();
    refused(&h, RefusalReason::CertificateNotTrusted);
}

#[test]
fn under_the_test_anchors_a_test_card_chains_but_cannot_prove_its_keys() {
    let mut h = Harness::with_context(
        Persona::TestCard,
        context(ReaderMode::Unattended, TrustAnchors::jlis_test()),
        VisitSettings::default(),
    );
    h.place_card();
    assert!(h.saw(|e| *e == VisitEvent::CertificateChainVerified));
    // The card face is the test card's own, genuinely signed; the persona has no key to
    // answer the challenge with.
    assert!(not_authentic(&h, AuthenticityError::CardNotPresent));
    assert_eq!(h.stage(), VisitStage::PinEntry { tries_left: 3 });
    h.pin("1234").unwrap();
    refused(&h, RefusalReason::NotAuthentic);
}
