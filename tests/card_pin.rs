//! PIN status and VERIFY against the virtual card: exact counters, exactly one VERIFY per call,
//! no VERIFY ever to a blocked PIN, unknown counts after resets and unclear transport errors.

mod common;

use common::{card, hex, pin_verifications, traffic, virtual_card};
use onshi::card::{CardKind, Pin, PinKind, PinSlot, PinStatus, VerifyOutcome};
use onshi::error::{CardIncompatible, UsageError};
use onshi::sim::{Fault, Persona, secrets};
use onshi::{Error, TransportError};

fn user_pin(text: &str) -> Pin {
    Pin::new(PinKind::UserAuth, text).unwrap()
}

#[test]
fn status_query_spends_no_try_and_sends_the_exact_apdus() {
    let mut card = card(Persona::Standard);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(3)
    );
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(3)
    );
    assert_eq!(
        traffic(&card),
        [
            hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
            hex("00 A4 02 0C 02 00 18"),
            hex("00 20 00 80"),
            // Already positioned: only the query again.
            hex("00 20 00 80"),
        ]
    );
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(3)
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn a_wrong_pin_costs_exactly_one_try() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    let outcome = card.verify(PinSlot::UserAuth, user_pin("9999")).unwrap();
    assert_eq!(outcome, VerifyOutcome::WrongPin { tries_left: 2 });
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(2)
    );
    assert_eq!(pin_verifications(&card), 1);
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Remaining(2)
    );
    assert_eq!(
        traffic(&card).last().unwrap(),
        &hex("00 20 00 80 04 39 39 39 39")
    );
    assert_eq!(card.stats().pin_verifications, 1);
}

#[test]
fn the_right_pin_resets_the_counter() {
    let mut card = card(Persona::OneTryLeft);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(1)
    );
    let outcome = card
        .verify(PinSlot::UserAuth, user_pin(secrets::USER_AUTH_PIN))
        .unwrap();
    assert_eq!(outcome, VerifyOutcome::Verified);
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(3)
    );
    assert!(virtual_card(&card).is_verified(PinSlot::UserAuth));
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Remaining(3)
    );
}

#[test]
fn three_wrong_pins_block_and_then_nothing_more_is_sent() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    for expected in [2, 1, 0] {
        let outcome = card.verify(PinSlot::UserAuth, user_pin("0000")).unwrap();
        assert_eq!(
            outcome,
            VerifyOutcome::WrongPin {
                tries_left: expected
            }
        );
    }
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Blocked
    );
    let sent = traffic(&card).len();
    let refused = card.verify(PinSlot::UserAuth, user_pin(secrets::USER_AUTH_PIN));
    assert_eq!(
        refused,
        Err(Error::Usage(UsageError::PinBlocked(PinSlot::UserAuth)))
    );
    assert_eq!(
        traffic(&card).len(),
        sent,
        "no VERIFY reaches a blocked PIN"
    );
    assert_eq!(pin_verifications(&card), 3);
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(0)
    );
}

#[test]
fn a_blocked_pin_is_reported_and_never_verified() {
    let mut card = card(Persona::PinBlocked);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Blocked
    );
    let refused = card.verify(PinSlot::UserAuth, user_pin(secrets::USER_AUTH_PIN));
    assert_eq!(
        refused,
        Err(Error::Usage(UsageError::PinBlocked(PinSlot::UserAuth)))
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn the_virtual_card_refuses_even_the_right_pin_once_blocked() {
    // Straight to the card, past the card layer's guard.
    let mut card = Persona::PinBlocked.card(common::today());
    card.respond(&hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"));
    card.respond(&hex("00 A4 02 0C 02 00 18"));
    assert_eq!(
        card.respond(&hex("00 20 00 80 04 31 32 33 34")),
        [0x69, 0x84]
    );
    assert_eq!(card.respond(&hex("00 20 00 80")), [0x63, 0xC0]);
    assert_eq!(card.pin_remaining(PinSlot::UserAuth), Some(0));
    assert!(!card.is_verified(PinSlot::UserAuth));
}

#[test]
fn verify_without_a_fresh_count_sends_nothing() {
    let mut card = card(Persona::Standard);
    let refused = card.verify(PinSlot::UserAuth, user_pin("1234"));
    assert_eq!(
        refused,
        Err(Error::Usage(UsageError::RetryCountNotFresh(
            PinSlot::UserAuth
        )))
    );
    assert!(traffic(&card).is_empty());
}

#[test]
fn a_reset_makes_the_count_unknown_until_asked_again() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    card.reader_mut().reset();
    let refused = card.verify(PinSlot::UserAuth, user_pin("1234"));
    assert_eq!(
        refused,
        Err(Error::Usage(UsageError::RetryCountNotFresh(
            PinSlot::UserAuth
        )))
    );
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Unknown
    );
    // Asking again re-selects from scratch.
    let before = traffic(&card).len();
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(3)
    );
    assert_eq!(traffic(&card).len() - before, 3);
}

#[test]
fn an_unclear_transport_error_during_verify_is_not_retried_and_forgets_the_count() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    card.reader_mut()
        .inject_fault(Fault::AfterCard(TransportError::Timeout));
    let result = card.verify(PinSlot::UserAuth, user_pin("0000"));
    assert_eq!(result, Err(Error::Transport(TransportError::Timeout)));
    // The card did spend the try; the card layer no longer claims to know the count.
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(2)
    );
    assert_eq!(pin_verifications(&card), 1);
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Unknown
    );
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(2)
    );
}

#[test]
fn a_card_held_by_another_program_keeps_the_count() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    card.reader_mut()
        .inject_fault(Fault::BeforeCard(TransportError::SharingViolation));
    let result = card.verify(PinSlot::UserAuth, user_pin("0000"));
    assert_eq!(
        result,
        Err(Error::Transport(TransportError::SharingViolation))
    );
    assert_eq!(pin_verifications(&card), 0);
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Remaining(3)
    );
}

#[test]
fn a_reset_reported_by_transmit_forgets_the_count() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    card.reader_mut()
        .inject_fault(Fault::BeforeCard(TransportError::CardReset));
    let result = card.verify(PinSlot::UserAuth, user_pin("0000"));
    assert_eq!(result, Err(Error::Transport(TransportError::CardReset)));
    assert_eq!(pin_verifications(&card), 0);
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Unknown
    );
}

#[test]
fn a_pin_of_the_wrong_kind_is_refused_locally() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::Signing).unwrap();
    let refused = card.verify(PinSlot::Signing, user_pin("1234"));
    assert_eq!(
        refused,
        Err(Error::Usage(UsageError::PinKindMismatch {
            slot: PinSlot::Signing,
            kind: PinKind::UserAuth
        }))
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn pin_report_like_myna_pin_status() {
    let mut card = card(Persona::OneTryLeft);
    let report = card.pin_report().unwrap();
    assert_eq!(report.kind, CardKind::MyNumberCard);
    assert_eq!(
        report.pins,
        [
            (PinSlot::UserAuth, PinStatus::Remaining(1)),
            (PinSlot::Signing, PinStatus::Remaining(5)),
            (PinSlot::CardInfo, PinStatus::Remaining(3)),
            (PinSlot::CardInfoVerificationA, PinStatus::Remaining(10)),
            (PinSlot::CardInfoVerificationB, PinStatus::Remaining(10)),
            (PinSlot::CardFaceVerificationA, PinStatus::Remaining(10)),
            (PinSlot::CardFaceVerificationB, PinStatus::Remaining(10)),
            (PinSlot::CardFaceBirthDate, PinStatus::Remaining(10)),
        ]
    );
    assert_eq!(pin_verifications(&card), 0);
    // JPKI: SELECT AP, the 160-byte token read by its short EF id (no SELECT EF), then SELECT
    // EF + query for each PIN.
    let sent = traffic(&card);
    assert_eq!(sent[1], hex("00 B0 86 00 A0"));
    assert_eq!(sent.len(), 2 + 2 * 2 + (1 + 2 * 3) + (1 + 2 * 3));
}

#[test]
fn smartphone_report_has_only_the_jpki_pins() {
    let mut card = card(Persona::SmartphoneAndroid);
    let report = card.pin_report().unwrap();
    assert_eq!(
        report.kind,
        CardKind::Smartphone(onshi::card::SmartphonePlatform::Android)
    );
    assert_eq!(
        report.pins,
        [
            (PinSlot::UserAuth, PinStatus::Remaining(3)),
            (PinSlot::Signing, PinStatus::Remaining(5)),
        ]
    );
}

#[test]
fn face_auth_card_has_no_pins() {
    let mut card = card(Persona::FaceAuthCard);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::NotSet
    );
    let refused = card.verify(PinSlot::UserAuth, user_pin("1234"));
    assert_eq!(
        refused,
        Err(Error::CardIncompatible(CardIncompatible::PinNotSet(
            PinSlot::UserAuth
        )))
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn malformed_pins_never_reach_the_card() {
    for text in ["123", "12345", "12a4", ""] {
        assert!(Pin::new(PinKind::UserAuth, text).is_err(), "{text:?}");
    }
}
