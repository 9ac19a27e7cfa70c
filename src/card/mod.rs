//! The My Number Card: applications, files, PINs, typed operations and parsed records.
//!
//! Operations are sans-IO ([`CardOperation`] run by an [`Exchange`]); [`Card`] runs them over a
//! [`CardReader`](crate::CardReader). Facts and their confidence are in the reference
//! (`card-protocol.md`); where a fact is unconfirmed the choice is documented on the item.

mod application;
mod client;
mod ops;
mod pin;
mod records;
mod session;

pub use application::{Application, card_face, card_info, jpki};
pub use client::{Card, PinReport};
pub use ops::{
    FileSize, QueryPinStatus, ReadFile, ReadRecord, SelectApplication, SignWithUserAuthKey,
    VerifyOutcome, VerifyPin, read_basic_info, read_card_face, read_card_kind, read_my_number,
    read_user_auth_certificate,
};
pub use pin::{BirthYearForm, Pin, PinFormatError, PinKind, PinSlot, PinStatus};
pub use records::{BasicInfo, CardFaceEntries, CardKind, MyNumber, Sex, UserAuthCertificate};
pub use session::{
    CardOperation, CardState, Exchange, ExchangeStats, Map, Poll, Recovery, Reply, Request, Step,
};
