//! The remaining tries of every PIN on the card in a real PC/SC reader, spending none (like
//! `myna pin status`): SELECT of each PIN's EF, then the empty VERIFY.
//!
//! ```sh
//! cargo run --features pcsc --example pin_status [-- "reader name part"]
//! ```
//!
//! Without a physical card, serve a virtual one to vpcd first:
//! `cargo run --features sim --example virtual_card -- --persona one-try-left`.

use std::time::Duration;

use onshi::card::{Card, PinSlot};
use onshi::pcsc::{PcscReader, ReaderSelector};

fn slot_name(slot: PinSlot) -> &'static str {
    match slot {
        PinSlot::UserAuth => "user-authentication PIN (利用者証明用)",
        PinSlot::Signing => "signing password (署名用)",
        PinSlot::CardInfo => "card-info PIN (券面事項入力補助用)",
        PinSlot::CardInfoVerificationA => "照合番号A, card-info AP",
        PinSlot::CardInfoVerificationB => "照合番号B, card-info AP",
        PinSlot::CardFaceVerificationA => "照合番号A, card-face AP",
        PinSlot::CardFaceVerificationB => "照合番号B, card-face AP",
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1);
    let selector = match &name {
        Some(name) => ReaderSelector::NameContains(name),
        None => ReaderSelector::FirstWithCard,
    };
    let mut reader = PcscReader::open(selector)?;
    println!("reader: {}", reader.name().to_string_lossy());
    if !reader.wait_for_card(Duration::from_secs(10))? {
        return Err("no card on the reader within 10 s".into());
    }
    let mut card = Card::new(reader);
    let report = card.pin_report()?;
    println!("card: {:?} (token {})", report.kind, report.kind.token());
    for (slot, status) in &report.pins {
        println!("  {:<40} {status}", slot_name(*slot));
    }
    let stats = card.stats();
    println!(
        "{} APDUs, {} of them a VERIFY with a PIN (none: no try was spent)",
        stats.commands, stats.pin_verifications
    );
    Ok(())
}
