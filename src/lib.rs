//! # onshi
//!
//! The identity check at the heart of Japan's online health-insurance eligibility confirmation
//! (オンライン資格確認, "オン資") with the My Number Card used as a health-insurance card
//! (マイナ保険証) at a face-recognition card reader (顔認証付きカードリーダー).
//!
//! Layers, from the wire up:
//!
//! - [`apdu`]: ISO 7816-4 command and response APDUs, status words with their meaning for the
//!   card, BER-TLV. Parsing and building allocate nothing.
//! - [`card`]: the My Number Card's applications, files and PINs; sans-IO operations (PIN
//!   status, VERIFY with the lockout guard, file reads sized from their own headers, signing)
//!   and the records they return; [`card::Card`] runs them over a [`CardReader`].
//! - [`facility`]: accounts and roles, admin sessions, reader modes, the staff passcode, audit.
//! - [`reception`]: one patient's visit, sans-IO, over typed states: modes, the PIN lockout
//!   guard, face and staff checks, consent, the outcome; [`reception::run_visit`] drives it
//!   over a [`CardReader`] and a [`face::FaceMatcher`].
//! - [`sim`] (feature `sim`): a lockout-faithful virtual card with personas.
//!
//! The core builds as `no_std` + `alloc` with `default-features = false` and does no I/O.
//!
//! ## Glossary (用語集)
//!
//! | English | 日本語 | Meaning here |
//! |---|---|---|
//! | online eligibility confirmation | オンライン資格確認 (オン資) | checking a patient's insurance online at reception |
//! | My Number Card as insurance card | マイナ保険証 | the My Number Card registered for health insurance |
//! | face-recognition card reader | 顔認証付きカードリーダー | the reader with camera and screen at reception |
//! | public personal authentication | 公的個人認証 (JPKI) | the card application holding certificates and keys |
//! | user-authentication PIN | 利用者証明用暗証番号 | 4 digits, 3 tries; the PIN used at the reader |
//! | signing password | 署名用パスワード | 6–16 letters and digits, 5 tries |
//! | card-info input support AP | 券面事項入力補助AP | application with the basic 4 info and the My Number |
//! | card-face AP | 券面AP (券面事項確認AP) | application with the face photo |
//! | verification number A / B | 照合番号A / 照合番号B | My Number / birth date + expiry year + security code, used as keys |
//! | basic 4 info | 基本4情報 | name, address, birth date, sex |
//! | unattended mode | 無人運転モード | the patient picks face or PIN |
//! | visual check | 目視確認 | staff compare the patient's face with the card photo |
//! | consent | 同意確認 | the patient's consent to share medical data |
//! | admin account | 管理者アカウント | the facility account needed to switch reader modes |
//!
//! ## Safety
//!
//! The crate forbids `unsafe`. Library code does not `unwrap`, `expect`, `panic` or index
//! unchecked on anything that comes from a card, a reader or a user; every parser returns an
//! error instead, and the fuzz targets in `fuzz/` check it. Secrets ([`SecretBytes`]) are masked
//! in `Debug`, never serialized, and zeroized on drop.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::string_slice
    )
)]

extern crate alloc;

pub mod apdu;
pub mod card;
pub mod error;
pub mod face;
pub mod facility;
pub mod reader;
pub mod reception;
mod secret;
#[cfg(feature = "sim")]
pub mod sim;
pub mod time;

pub use error::Error;
pub use reader::{CardEvent, CardReader, ReaderCapabilities, TransportError};
pub use secret::SecretBytes;
