//! A lockout-faithful virtual My Number Card (feature `sim`).
//!
//! [`VirtualCard`] answers command APDUs as `card-protocol.md` says the real card does, with
//! real RSA-2048 signatures by fixed test keys under a hierarchy of its own (certificates,
//! card-verifiable certificates, card-face signatures that verify), and logs every
//! command (PINs masked) so tests can assert exact traffic. [`VirtualReader`] puts it behind the
//! [`CardReader`](crate::CardReader) trait, with card events and injectable transport faults.
//! [`Persona`]s give ready-made cards by name.
//!
//! ```
//! use onshi::card::{Card, PinSlot, PinStatus};
//! use onshi::sim::{Persona, VirtualReader};
//! use onshi::time::Date;
//!
//! let today = Date::new(2026, 11, 27).unwrap();
//! let mut card = Card::new(VirtualReader::with_card(Persona::OneTryLeft.card(today)));
//! assert_eq!(card.pin_status(PinSlot::UserAuth)?, PinStatus::Remaining(1));
//! let log = card.reader().card().unwrap().log();
//! assert_eq!(log.len(), 2); // SELECT AP, the retry query `00 20 00 98`
//! # Ok::<(), onshi::Error>(())
//! ```

mod card;
mod der;
mod face;
mod keys;
mod persona;
mod reader;
mod records;
pub mod vpcd;
mod x509;

pub use crate::card::authenticity::sha256_digest_info;
pub use card::{
    ATR, ATR_2024, CardGeneration, CardInterface, FileLock, LoggedCommand, Quirks, SigningKeyRef,
    VirtualCard, VirtualFile, VirtualPin,
};
pub use face::{
    HOLDER_SCORE, OTHER_SCORE, VirtualFaceMatcher, capture_of_holder, capture_of_someone_else,
};
#[cfg(feature = "reception")]
pub use persona::facility_keys;
pub use persona::{
    Holder, Persona, UnknownPersona, VERIFICATION_NUMBER_TRIES, secrets, system_date_in_japan,
    trust_anchors,
};
pub use reader::{Fault, VirtualReader};
