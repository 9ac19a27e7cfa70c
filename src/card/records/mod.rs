//! The records the card returns, parsed.
//!
//! Each parser takes the bytes of a file (or a GET DATA object) and returns a value or an error
//! naming the file and the problem; none of them panics (the `card_records` fuzz target checks
//! it). One file per kind of record:
//!
//! - [`token`]: the JPKI token (card kind, chip serial) and the certificate-availability file;
//! - [`identity`]: the user-authentication certificate, the basic 4 info, the My Number;
//! - [`card_face`]: the card-face entries with the photo, the card's own key and the issuer's
//!   signature over them;
//! - [`signed`]: what proves the rest genuine: card-verifiable certificates, the integrity
//!   record, RSA public keys in the card's own encoding;
//! - [`layout`]: the `FF xx` record container shared by all of them, and its offset table.

mod card_face;
mod identity;
mod layout;
mod signed;
mod token;

pub use card_face::CardFaceEntries;
pub use identity::{BasicInfo, MyNumber, Sex, UserAuthCertificate};
pub use layout::{RecordEntry, RecordLayout};
pub use signed::{CardPublicKey, CardVerifiableCertificate, IntegrityRecord, KeyId};
pub use token::{CardKind, CertificateAvailability, SmartphonePlatform, TokenInfo};
