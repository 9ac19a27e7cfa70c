//! PIN status and VERIFY against the virtual card: exact APDUs and counters, exactly one
//! VERIFY per call and only against the count re-read just before it, VERIFY naming its key,
//! no VERIFY ever to a blocked PIN or with a count of another card, and what a lying card or a
//! failing reader leaves the card layer knowing.

mod common;

use common::{card, hex, pin_verifications, traffic, virtual_card};
use onshi::apdu::StatusWord;
use onshi::card::{
    CardKind, KeyAddressing, Pin, PinKind, PinSlot, PinStatus, SmartphonePlatform, VerifyOutcome,
};
use onshi::error::{CardIncompatible, CardMisbehaved, Operation, UsageError};
use onshi::sim::{Fault, Persona, Quirks, VirtualReader, secrets};
use onshi::{Error, TransportError};

fn user_pin(text: &str) -> Pin {
    Pin::new(PinKind::UserAuth, text).unwrap()
}

const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";

#[test]
fn status_query_spends_no_try_and_names_its_key() {
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
            hex(SELECT_JPKI),
            // The key named by its short EF id (80 | 18): no SELECT EF to be redirected.
            hex("00 20 00 98"),
            hex("00 20 00 98"),
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
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    let outcome = card.verify(count, user_pin("9999")).unwrap();
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
    // The count read again just before the VERIFY, then the VERIFY naming its key.
    let sent = traffic(&card);
    assert_eq!(
        sent[sent.len() - 2..],
        [hex("00 20 00 98"), hex("00 20 00 98 04 39 39 39 39")]
    );
    assert_eq!(card.stats().pin_verifications, 1);
    assert_eq!(card.stats().key_verifications, 0);
}

#[test]
fn the_right_pin_resets_the_counter() {
    let mut card = card(Persona::OneTryLeft);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    assert!(count.is_last_try());
    let outcome = card
        .verify(count, user_pin(secrets::USER_AUTH_PIN))
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
fn three_wrong_pins_block_and_then_no_count_is_handed_out() {
    let mut card = card(Persona::Standard);
    for expected in [2, 1, 0] {
        let count = card.fresh_count(PinSlot::UserAuth).unwrap();
        let outcome = card.verify(count, user_pin("0000")).unwrap();
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
    assert_eq!(card.state().fresh_count(PinSlot::UserAuth), None);
    assert_eq!(
        card.fresh_count(PinSlot::UserAuth),
        Err(Error::Usage(UsageError::PinBlocked(PinSlot::UserAuth)))
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
    assert_eq!(
        card.fresh_count(PinSlot::UserAuth),
        Err(Error::Usage(UsageError::PinBlocked(PinSlot::UserAuth)))
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn the_virtual_card_refuses_even_the_right_pin_once_blocked() {
    // Straight to the card, past the card layer's guard.
    let mut card = Persona::PinBlocked.card(common::today());
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(
        card.respond(&hex("00 20 00 98 04 31 32 33 34")),
        [0x69, 0x84]
    );
    assert_eq!(card.respond(&hex("00 20 00 98")), [0x63, 0xC0]);
    assert_eq!(card.pin_remaining(PinSlot::UserAuth), Some(0));
    assert!(!card.is_verified(PinSlot::UserAuth));
}

#[test]
fn a_count_from_before_a_reset_is_refused_without_sending_anything() {
    let mut card = card(Persona::Standard);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    card.reader_mut().reset();
    // The reset is seen before the first command: the count belongs to a card state that no
    // longer holds.
    let sent = traffic(&card).len();
    assert_eq!(
        card.verify(count, user_pin("1234")),
        Err(Error::Transport(TransportError::CardReset))
    );
    assert_eq!(traffic(&card).len(), sent);
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Unknown
    );
    // A count taken before a forget is refused outright afterwards.
    let stale = card.fresh_count(PinSlot::UserAuth).unwrap();
    card.reader_mut().reset();
    let _ = card.pin_status(PinSlot::UserAuth);
    assert_eq!(
        card.verify(stale, user_pin("1234")),
        Err(Error::Usage(UsageError::RetryCountNotFresh(
            PinSlot::UserAuth
        )))
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn a_count_of_card_a_never_reaches_card_b() {
    let mut card = card(Persona::Standard);
    let count_of_a = card.fresh_count(PinSlot::UserAuth).unwrap();
    assert_eq!(count_of_a.tries_left(), 3);
    // Card A swapped for card B (one try left), reported as one insertion.
    card.reader_mut()
        .insert(Persona::OneTryLeft.card(common::today()));
    assert_eq!(
        card.verify(count_of_a, user_pin("0000")),
        Err(Error::Transport(TransportError::CardChanged))
    );
    assert_eq!(pin_verifications(&card), 0);
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(1),
        "card B kept its last try"
    );
}

#[test]
fn the_count_is_read_again_before_the_verify_and_a_change_sends_nothing() {
    // Another program spends a try while the patient types (between the count shown and the
    // VERIFY): the re-read sees it, and the VERIFY is not sent.
    let mut card = card(Persona::Standard);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    for command in [SELECT_JPKI, "00 20 00 98 04 30 30 30 30"] {
        card.reader_mut()
            .send_from_another_program(&hex(command))
            .unwrap();
    }
    let outcome = card.verify(count, user_pin("1234")).unwrap();
    assert_eq!(
        outcome,
        VerifyOutcome::CountChanged {
            now: PinStatus::Remaining(2)
        }
    );
    assert_eq!(
        card.stats().pin_verifications,
        0,
        "this program sent no VERIFY"
    );
    assert_eq!(pin_verifications(&card), 1, "the other program's");
    assert_eq!(
        card.state()
            .fresh_count(PinSlot::UserAuth)
            .map(|c| c.tries_left()),
        Some(2)
    );
}

#[test]
fn another_program_cannot_step_between_the_count_and_the_verify() {
    // It tries to select the signing password between our two commands; the card is ours
    // alone for the span, and the VERIFY names its key anyway.
    let mut card = card(Persona::Standard);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    card.reader_mut().inject_fault(Fault::OtherProgram(vec![]));
    card.reader_mut().inject_fault(Fault::OtherProgram(vec![
        hex("00 A4 02 0C 02 00 1B"),
        hex("00 20 00 80 06 41 42 43 31 32 33"),
    ]));
    let outcome = card.verify(count, user_pin("9999")).unwrap();
    assert_eq!(outcome, VerifyOutcome::WrongPin { tries_left: 2 });
    let reader = card.reader();
    let others = reader.other_programs_commands();
    // The other program got through only after the span: its VERIFY hit the signing
    // password, never ours; the user-authentication PIN lost exactly one try.
    assert_eq!(others.len(), 2);
    assert_eq!(virtual_card(&card).pin_remaining(PinSlot::Signing), Some(5));
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(2)
    );
    assert!(!reader.is_exclusive());
}

#[test]
fn a_card_that_refuses_short_ids_is_asked_by_select_in_one_exclusive_span() {
    let mut reader = VirtualReader::with_card(Persona::Standard.card(common::today()));
    let quirks = Quirks {
        refuse_short_file_id_keys: true,
        ..Quirks::default()
    };
    reader.card_mut().unwrap().set_quirks(quirks);
    let mut card = onshi::card::Card::new(reader);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    assert_eq!(card.state().key_addressing(), KeyAddressing::SelectedFile);
    let outcome = card.verify(count, user_pin("9999")).unwrap();
    assert_eq!(outcome, VerifyOutcome::WrongPin { tries_left: 2 });
    let sent = traffic(&card);
    assert_eq!(
        sent,
        [
            hex(SELECT_JPKI),
            hex("00 20 00 98"),
            hex("00 A4 02 0C 02 00 18"),
            hex("00 20 00 80"),
            // The check: SELECTs (exactly 90 00), count, VERIFY, all in one span.
            hex(SELECT_JPKI),
            hex("00 A4 02 0C 02 00 18"),
            hex("00 20 00 80"),
            hex("00 20 00 80 04 39 39 39 39"),
        ]
    );
}

#[test]
fn an_odd_select_answer_leaves_no_stale_selection() {
    // A card that refuses short ids, then answers the SELECT of the PIN EF with a warning:
    // no VERIFY goes to whatever EF was current.
    for odd in ["62 83", "61 02", "63 00", "6F 00"] {
        let mut reader = VirtualReader::with_card(Persona::Standard.card(common::today()));
        let quirks = Quirks {
            refuse_short_file_id_keys: true,
            ..Quirks::default()
        };
        reader.card_mut().unwrap().set_quirks(quirks);
        let mut card = onshi::card::Card::new(reader);
        let count = card.fresh_count(PinSlot::UserAuth).unwrap();
        // The signing password's EF current (another program, or an earlier read).
        card.reader_mut()
            .send_from_another_program(&hex("00 A4 02 0C 02 00 1B"))
            .unwrap();
        // The span's SELECT of the application goes through; the SELECT of the PIN EF gets
        // the odd answer.
        card.reader_mut().inject_fault(Fault::PassThrough);
        card.reader_mut().inject_fault(Fault::Answer(hex(odd)));
        let result = card.verify(count, user_pin("9999"));
        assert!(result.is_err(), "{odd}: {result:?}");
        assert_eq!(pin_verifications(&card), 0, "{odd}");
        assert_eq!(virtual_card(&card).pin_remaining(PinSlot::Signing), Some(5));
        assert_eq!(
            card.state().pin_status(PinSlot::UserAuth),
            PinStatus::Unknown,
            "{odd}"
        );
    }
}

#[test]
fn any_transport_error_after_a_verify_forgets_the_count() {
    for error in [
        TransportError::Timeout,
        TransportError::NoService,
        TransportError::NoReader,
        TransportError::Failed { code: 0x8010_001E },
        TransportError::CardRemoved,
    ] {
        let mut card = card(Persona::Standard);
        let count = card.fresh_count(PinSlot::UserAuth).unwrap();
        // The SELECT and the re-read go through, the VERIFY reaches the card and its answer
        // is lost.
        card.reader_mut().inject_fault(Fault::PassThrough);
        card.reader_mut().inject_fault(Fault::PassThrough);
        card.reader_mut().inject_fault(Fault::AfterCard(error));
        let result = card.verify(count, user_pin("0000"));
        assert_eq!(result, Err(Error::Transport(error)));
        assert_eq!(
            virtual_card(&card).pin_remaining(PinSlot::UserAuth),
            Some(2),
            "{error:?}: the card spent the try"
        );
        assert_eq!(
            card.state().pin_status(PinSlot::UserAuth),
            PinStatus::Unknown,
            "{error:?}: the card layer no longer claims to know the count"
        );
        assert_eq!(card.state().fresh_count(PinSlot::UserAuth), None);
    }
}

#[test]
fn impossible_counts_and_answers_are_the_cards_errors() {
    for (answer, expected) in [
        (
            "63 CF",
            Error::CardMisbehaved(CardMisbehaved::ImpossibleCount {
                slot: PinSlot::UserAuth,
                reported: 15,
                max: 3,
            }),
        ),
        (
            // More than the query allows: the reader's buffer refuses it.
            "01 02 90 00",
            Error::Transport(TransportError::ResponseTooLong { capacity: 2 }),
        ),
        (
            "90 00",
            Error::CardMisbehaved(CardMisbehaved::UnexpectedStatus {
                operation: Operation::RetryQuery,
                status: StatusWord::SUCCESS,
            }),
        ),
    ] {
        let mut card = card(Persona::Standard);
        card.reader_mut().inject_fault(Fault::PassThrough);
        card.reader_mut().inject_fault(Fault::Answer(hex(answer)));
        assert_eq!(
            card.pin_status(PinSlot::UserAuth),
            Err(expected),
            "{answer}"
        );
        assert_eq!(
            card.state().pin_status(PinSlot::UserAuth),
            PinStatus::Unknown,
            "{answer}"
        );
    }
}

#[test]
fn a_response_longer_than_the_command_allows_is_the_cards_error() {
    use onshi::card::{CardState, Exchange, Poll, QueryPinStatus};
    let mut state = CardState::new(onshi::ReaderCapabilities::SHORT_ONLY);
    let mut exchange = Exchange::new(QueryPinStatus::new(PinSlot::UserAuth));
    let Poll::Transmit { .. } = exchange.start(&mut state) else {
        panic!("SELECT first")
    };
    let Poll::Transmit {
        response_capacity, ..
    } = exchange.handle_response(&mut state, &[0x90, 0x00])
    else {
        panic!("then the query")
    };
    assert_eq!(response_capacity, 2);
    let Poll::Done(result) = exchange.handle_response(&mut state, &[0x01, 0x02, 0x63, 0xC3]) else {
        panic!("done")
    };
    assert_eq!(
        result,
        Err(Error::CardMisbehaved(CardMisbehaved::ResponseTooLong {
            operation: Operation::RetryQuery,
            capacity: 2,
            len: 4
        }))
    );
    assert_eq!(state.pin_status(PinSlot::UserAuth), PinStatus::Unknown);
}

#[test]
fn a_wrong_pin_answer_that_does_not_lower_the_count_is_not_believed() {
    let mut card = card(Persona::Standard);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    card.reader_mut().inject_fault(Fault::PassThrough);
    card.reader_mut().inject_fault(Fault::PassThrough);
    card.reader_mut().inject_fault(Fault::Answer(hex("63 C3")));
    assert!(card.verify(count, user_pin("0000")).is_err());
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Unknown
    );
}

#[test]
fn a_card_held_by_another_program_is_refused_before_anything_is_sent() {
    let mut card = card(Persona::Standard);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    card.reader_mut()
        .inject_fault(Fault::BeforeCard(TransportError::SharingViolation));
    let result = card.verify(count, user_pin("0000"));
    assert_eq!(
        result,
        Err(Error::Transport(TransportError::SharingViolation))
    );
    assert_eq!(pin_verifications(&card), 0);
    // Whatever the error, the count is asked again before the next VERIFY.
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        PinStatus::Unknown
    );
}

#[test]
fn a_pin_of_the_wrong_kind_is_refused_locally() {
    let mut card = card(Persona::Standard);
    let count = card.fresh_count(PinSlot::Signing).unwrap();
    let refused = card.verify(count, user_pin("1234"));
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
fn key_verifications_are_counted_apart_from_pins() {
    let mut card = card(Persona::Standard);
    let b = Persona::Standard
        .holder(common::today())
        .verification_number_b()
        .unwrap();
    card.card_face(b).unwrap();
    assert_eq!(card.stats().pin_verifications, 0);
    assert_eq!(card.stats().key_verifications, 1);
    assert_eq!(pin_verifications(&card), 0, "the virtual card's log agrees");
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
    // JPKI: SELECT AP, the 160-byte token read by its short EF id, then one query per key
    // naming it by its short EF id; the same in the two other applications.
    let sent = traffic(&card);
    assert_eq!(sent[1], hex("00 B0 86 00 A0"));
    assert_eq!(sent[2], hex("00 20 00 98"));
    assert_eq!(sent[3], hex("00 20 00 9B"));
    assert_eq!(sent.len(), 2 + 2 + (1 + 3) + (1 + 3));
}

#[test]
fn smartphone_report_has_only_the_jpki_pins() {
    let mut card = card(Persona::SmartphoneAndroid);
    let report = card.pin_report().unwrap();
    assert_eq!(
        report.kind,
        CardKind::Smartphone(SmartphonePlatform::Android)
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
    assert_eq!(
        card.fresh_count(PinSlot::UserAuth),
        Err(Error::CardIncompatible(CardIncompatible::PinNotSet(
            PinSlot::UserAuth
        )))
    );
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn a_face_auth_card_whose_pin_answers_blocked_is_handled_the_same_way() {
    // Unconfirmed how a real 顔認証マイナンバーカード answers for its PIN (R5): blocked is the
    // other possibility.
    let mut reader = VirtualReader::with_card(Persona::FaceAuthCard.card(common::today()));
    reader.card_mut().unwrap().set_file(
        onshi::card::Application::Jpki,
        onshi::card::jpki::USER_AUTH_PIN,
        onshi::sim::VirtualFile::Pin(onshi::sim::VirtualPin::blocked()),
    );
    let mut card = onshi::card::Card::new(reader);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Blocked
    );
    assert!(card.fresh_count(PinSlot::UserAuth).is_err());
    assert_eq!(pin_verifications(&card), 0);
}

#[test]
fn malformed_pins_never_reach_the_card() {
    for text in ["123", "12345", "12a4", ""] {
        assert!(Pin::new(PinKind::UserAuth, text).is_err(), "{text:?}");
    }
}

#[test]
fn the_insertion_before_the_card_layer_exists_is_no_change() {
    // A reader that reports the card it already holds as inserted (PcscReader does).
    let mut reader = VirtualReader::new();
    reader.insert(Persona::Standard.card(common::today()));
    let mut card = onshi::card::Card::new(reader);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth),
        Ok(PinStatus::Remaining(3))
    );
    // One reported after it is a change: the first operation learns of it, sends nothing.
    card.reader_mut()
        .insert(Persona::OneTryLeft.card(common::today()));
    let sent = traffic(&card).len();
    assert_eq!(
        card.pin_status(PinSlot::UserAuth),
        Err(Error::Transport(TransportError::CardChanged))
    );
    assert_eq!(traffic(&card).len(), sent);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth),
        Ok(PinStatus::Remaining(1))
    );
}
