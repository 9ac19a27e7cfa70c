//! `61 xx` and `6C xx` recovery happens for read-only commands only; VERIFY and signing are
//! never repeated. A scripted reader plays a T=0-style card.

mod common;

use std::collections::VecDeque;

use common::hex;
use onshi::apdu::StatusWord;
use onshi::card::{Application, Card, Pin, PinKind, PinSlot, VerifyOutcome, jpki};
use onshi::error::{CardFile, CardMisbehaved, Operation};
use onshi::{CardEvent, CardReader, Error, ReaderCapabilities, TransportError};

/// Answers each command with the next scripted response and records what it was sent.
struct ScriptedReader {
    answers: VecDeque<Vec<u8>>,
    sent: Vec<Vec<u8>>,
}

impl ScriptedReader {
    fn new(answers: &[&str]) -> Self {
        Self {
            answers: answers.iter().map(|a| hex(a)).collect(),
            sent: Vec::new(),
        }
    }
}

impl CardReader for ScriptedReader {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError> {
        self.sent.push(command.to_vec());
        let answer = self.answers.pop_front().ok_or(TransportError::NoCard)?;
        response[..answer.len()].copy_from_slice(&answer);
        Ok(answer.len())
    }

    fn take_card_event(&mut self) -> Option<CardEvent> {
        None
    }

    fn capabilities(&self) -> ReaderCapabilities {
        ReaderCapabilities::SHORT_ONLY
    }
}

/// A 160-byte token in hex: the My Number Card's label, spaces, then `status`.
fn token_hex(range: std::ops::Range<usize>, status: &str) -> String {
    let mut token = b"JPKIAPICCTOKEN2".to_vec();
    token.resize(160, b' ');
    let body: Vec<String> = token[range].iter().map(|b| format!("{b:02X}")).collect();
    format!("{} {status}", body.join(" "))
}

#[test]
fn more_data_is_fetched_with_get_response() {
    let first = token_hex(0..100, "61 3C");
    let rest = token_hex(100..160, "90 00");
    let reader = ScriptedReader::new(&["90 00", &first, &rest]);
    let mut card = Card::new(reader);
    assert_eq!(card.kind().unwrap(), onshi::card::CardKind::MyNumberCard);
    let sent = &card.reader().sent;
    assert_eq!(sent[1], hex("00 B0 86 00 A0"));
    assert_eq!(sent[2], hex("00 C0 00 00 3C"));
}

#[test]
fn wrong_le_is_resent_with_the_length_the_card_gives() {
    let reader = ScriptedReader::new(&["90 00", "6C 09", "30 07 01 02 03 04 05 06 07 90 00"]);
    let mut card = Card::new(reader);
    let file = CardFile::new(Application::Jpki, jpki::USER_AUTH_CA_CERTIFICATE);
    assert_eq!(
        card.read_file(file).unwrap(),
        hex("30 07 01 02 03 04 05 06 07")
    );
    let sent = &card.reader().sent;
    assert_eq!(sent[1], hex("00 B0 8B 00 00"));
    assert_eq!(sent[2], hex("00 B0 8B 00 09"));
}

#[test]
fn verify_is_never_repeated_after_61xx_or_6cxx() {
    for odd in ["61 02", "6C 04"] {
        // SELECT, the query; then the check: SELECT again, the query again, the VERIFY.
        let reader = ScriptedReader::new(&["90 00", "63 C3", "90 00", "63 C3", odd]);
        let mut card = Card::new(reader);
        let count = card.fresh_count(PinSlot::UserAuth).unwrap();
        let pin = Pin::new(PinKind::UserAuth, "1234").unwrap();
        let result = card.verify(count, pin);
        assert_eq!(
            result,
            Err(Error::CardMisbehaved(CardMisbehaved::UnexpectedStatus {
                operation: Operation::Verify,
                status: StatusWord::from_u16(
                    u16::from_str_radix(&odd.replace(' ', ""), 16).unwrap()
                ),
            }))
        );
        let sent = &card.reader().sent;
        assert_eq!(sent.len(), 5, "nothing after the VERIFY");
        assert_eq!(sent[4], hex("00 20 00 98 04 31 32 33 34"));
        assert_eq!(
            card.state().pin_status(PinSlot::UserAuth),
            onshi::card::PinStatus::Unknown
        );
    }
}

#[test]
fn endless_61xx_is_cut_off() {
    let mut answers = vec!["90 00"];
    answers.extend(std::iter::repeat_n("61 01", 40));
    let mut card = Card::new(ScriptedReader::new(&answers));
    let result = card.read_file(CardFile::new(Application::Jpki, jpki::TOKEN));
    assert_eq!(
        result,
        Err(Error::CardMisbehaved(CardMisbehaved::EndlessRecovery {
            operation: Operation::ReadBinary
        }))
    );
    assert!(card.reader().sent.len() < 25);
}

#[test]
fn a_response_without_status_word_is_malformed_and_forgets_the_count() {
    let mut card = Card::new(ScriptedReader::new(&[
        "90 00", "63 C3", "90 00", "63 C3", "90",
    ]));
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    let pin = Pin::new(PinKind::UserAuth, "1234").unwrap();
    assert!(matches!(
        card.verify(count, pin),
        Err(Error::MalformedCardData(_))
    ));
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        onshi::card::PinStatus::Unknown
    );
}

#[test]
fn a_9000_to_the_query_is_not_a_count() {
    // A real card answers 63 Cx to the query even right after a correct VERIFY (real-card
    // evidence, fact 8); a 90 00 tells nothing about the count.
    let reader = ScriptedReader::new(&["90 00", "63 C3", "90 00", "63 C3", "90 00", "90 00"]);
    let mut card = Card::new(reader);
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    let pin = Pin::new(PinKind::UserAuth, "1234").unwrap();
    assert_eq!(card.verify(count, pin).unwrap(), VerifyOutcome::Verified);
    assert_eq!(
        card.pin_status(PinSlot::UserAuth),
        Err(Error::CardMisbehaved(CardMisbehaved::UnexpectedStatus {
            operation: Operation::RetryQuery,
            status: StatusWord::SUCCESS
        }))
    );
    assert_eq!(
        card.state().pin_status(PinSlot::UserAuth),
        onshi::card::PinStatus::Unknown
    );
}
