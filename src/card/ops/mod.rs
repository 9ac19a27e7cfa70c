//! The card operations, each a sans-IO [`CardOperation`](super::CardOperation).
//!
//! They send the fewest commands the job needs: an application or EF already selected is not
//! selected again, a file's size comes from its own DER/BER header and the first read selects
//! the file by its short identifier, and a PIN is sent at most once per operation, only when
//! the card's last report says it has tries left. One file per job:
//!
//! - `route`: bringing the card to an application and EF;
//! - `pin`: the retry-count query and VERIFY;
//! - `read`: READ BINARY, and the record readers built on it;
//! - `sign`: the card's signing command and GET CHALLENGE;
//! - `master`: the MF level: leaving an application, GET DATA.

mod master;
mod pin;
mod read;
mod route;
mod sign;

pub use master::{GetData, LeaveApplication, SelectApplication};
pub use pin::{QueryPinStatus, ReserveOutcome, VerifyOutcome, VerifyPin, VerifyWithReserve};
pub use read::{
    FileSize, ReadFile, ReadRecord, read_basic_info, read_card_face, read_card_kind,
    read_card_verifiable_certificate, read_certificate_availability, read_integrity_record,
    read_my_number, read_token_info, read_user_auth_certificate,
};
pub use sign::{CardKey, GetChallenge, Sign, SignatureScheme};

use crate::apdu::StatusWord;
use crate::error::{CardMisbehaved, Error, Operation};

fn unexpected(operation: Operation, status: StatusWord) -> Error {
    CardMisbehaved::UnexpectedStatus { operation, status }.into()
}
