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

use onshi::card::Card;
use onshi::pcsc::{PcscReader, ReaderSelector};

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
    println!("card: {:?} (token {})", report.kind, report.kind.label());
    for (slot, status) in &report.pins {
        println!("  {:<40} {status}", slot.to_string());
    }
    let stats = card.stats();
    println!(
        "{} APDUs, {} of them a VERIFY with a PIN (none: no try was spent)",
        stats.commands, stats.pin_verifications
    );
    Ok(())
}
