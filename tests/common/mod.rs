//! Helpers shared by the integration tests.
#![allow(dead_code)]

use onshi::card::Card;
use onshi::sim::{LoggedCommand, Persona, VirtualCard, VirtualReader};
use onshi::time::{Date, Timestamp};

/// The date every test's virtual cards are made for.
pub fn today() -> Date {
    Date::new(2026, 11, 27).unwrap()
}

/// 09:00 in Japan on [`today`].
pub fn morning() -> Timestamp {
    Timestamp::from_date_time(today(), 0, 0, 0).unwrap()
}

/// Bytes from hex text with optional spaces.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    onshi::apdu::decode_hex(&digits).expect("hex digits")
}

/// A persona's card for [`today`] on a short-APDU virtual reader.
pub fn card(persona: Persona) -> Card<VirtualReader> {
    Card::new(VirtualReader::with_card(persona.card(today())))
}

/// The virtual card behind a `Card`.
pub fn virtual_card(card: &Card<VirtualReader>) -> &VirtualCard {
    card.reader().card().unwrap()
}

/// Every command the virtual card received, as exact bytes.
pub fn traffic(card: &Card<VirtualReader>) -> Vec<Vec<u8>> {
    virtual_card(card)
        .log()
        .iter()
        .map(|entry| entry.bytes().to_vec())
        .collect()
}

/// How many VERIFY commands with a PIN the card received.
pub fn pin_verifications(card: &Card<VirtualReader>) -> usize {
    virtual_card(card)
        .log()
        .iter()
        .filter(|entry| LoggedCommand::is_pin_verification(entry))
        .count()
}

pub mod harness;
