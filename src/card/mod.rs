//! The My Number Card: applications, files, PINs, typed operations and parsed records.
//!
//! Operations are sans-IO ([`CardOperation`] run by an [`Exchange`]); [`Card`] runs them over a
//! [`CardReader`](crate::CardReader). Facts and their confidence are in the reference
//! (`real-card-evidence.md`, `card-protocol.md`); where a fact is unconfirmed the choice is
//! documented on the item.

mod application;
#[cfg(feature = "authenticity")]
pub mod authenticity;
mod client;
mod ops;
mod pin;
mod records;
mod session;

pub use application::{Application, CardFile, FileAccess, card_face, card_info, jpki};
pub use client::{Card, PinReport};
pub use ops::{
    CardKey, FileSize, GetChallenge, GetData, LeaveApplication, QueryPinStatus, ReadFile,
    ReadRecord, ReserveOutcome, SelectApplication, Sign, SignatureScheme, VerifyOutcome, VerifyPin,
    VerifyWithReserve, read_basic_info, read_card_face, read_card_kind,
    read_card_verifiable_certificate, read_certificate_availability, read_integrity_record,
    read_my_number, read_token_info, read_user_auth_certificate,
};
pub use pin::{BirthYearForm, Pin, PinFormatError, PinKind, PinSlot, PinStatus};
pub use records::{
    BasicInfo, CardFaceEntries, CardKind, CardPublicKey, CardVerifiableCertificate,
    CertificateAvailability, IntegrityRecord, KeyId, MyNumber, RecordEntry, RecordLayout, Sex,
    SmartphonePlatform, TokenInfo, UserAuthCertificate,
};
pub use session::{
    CardOperation, CardState, Exchange, ExchangeStats, FreshRetryCount, KeyAddressing, Map, Poll,
    Recovery, Reply, Request, Span, Step,
};

/// MF-level data objects (GET DATA tags) a probed card answers (real-card evidence, fact 11).
pub mod data_object {
    /// Card identification number, ASCII.
    pub const CARD_IDENTIFICATION: u16 = 0x0045;
    /// The issuing municipality's code (全国地方公共団体コード), five ASCII digits.
    pub const MUNICIPALITY_CODE: u16 = 0x00F0;
    /// The card's expiry date, eight ASCII digits.
    pub const EXPIRY: u16 = 0x00F2;
    /// A card-verifiable certificate: the root certifying the intermediate.
    pub const CHAIN_UPPER: u16 = 0x00F8;
    /// A card-verifiable certificate: the intermediate certifying the key below it (absent on
    /// some cards).
    pub const CHAIN_LOWER: u16 = 0x7F21;
    /// The contact interface's ATR without its initial `TS` (answers with an application
    /// selected too).
    pub const CONTACT_ATR: u16 = 0x5F51;
}
