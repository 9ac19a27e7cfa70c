//! # onshi
//!
//! The identity check at the heart of Japan's online health-insurance eligibility confirmation
//! (オンライン資格確認, "オン資") with the My Number Card used as a health-insurance card
//! (マイナ保険証) at a face-recognition card reader (顔認証付きカードリーダー): face, PIN or a
//! staff member's visual check, then consent (同意確認), without ever locking a patient's PIN by
//! accident, leaking a PIN, or reaching consent without an identity check.
//!
//! ## Run loop
//!
//! The core is sans-IO: a [`reception::Visit`] takes inputs, each with the time, and yields
//! outputs. It never reads a clock, never blocks, never touches a device.
//!
//! ```
//! use onshi::reception::{Input, Output, ReaderContext, UserInput, Visit, VisitSettings};
//! use onshi::facility::{ReaderId, ReaderMode};
//! use onshi::sim::Persona;
//! use onshi::time::Timestamp;
//! use onshi::{CardEvent, ReaderCapabilities};
//!
//! let now = Timestamp::from_jst(2026, 11, 27, 9, 30, 0).unwrap();
//! let mut card = Persona::Standard.card(now.date_in_japan()); // a virtual card
//! let context = ReaderContext {
//!     reader: ReaderId::new(1),
//!     mode: ReaderMode::PinOnly,
//!     mode_since: now,
//!     staff_passcode: None,
//!     capabilities: ReaderCapabilities::SHORT_ONLY,
//!     legacy_reminder_seconds: 30 * 60,
//!     trust: onshi::sim::trust_anchors(),
//! };
//! // 32 fresh bytes from the operating system in a product.
//! let challenge = onshi::card::authenticity::Challenge::from_random_bytes([7; 32]);
//! let mut visit = Visit::new(context, VisitSettings::default(), now, challenge);
//! let mut patient = vec![UserInput::ConsentAnswer(true), UserInput::PinEntered("1234".into())];
//! visit.handle(now, CardEvent::Inserted)?;
//! let outcome = loop {
//!     match visit.poll() {
//!         // Send the command to the card; feed back its response.
//!         Output::Transmit(command) => {
//!             let response = card.respond(command.bytes());
//!             visit.handle(now, Input::CardResponse(&response))?;
//!         }
//!         Output::Show(screen) => println!("{}", screen.text()),
//!         // A face visit asks for captures and matches: see the reception docs.
//!         Output::CaptureFace | Output::MatchFace { .. } => unreachable!("PIN-only mode"),
//!         Output::Audit(_) | Output::StaffNotice(_) => {}
//!         // Nothing to do until the patient acts (or the deadline passes).
//!         Output::Wait { .. } => visit.handle(now, patient.pop().expect("scripted"))?,
//!         Output::Finished(outcome) => break outcome,
//!     }
//! };
//! assert!(outcome.consent().is_some());
//! # Ok::<(), onshi::reception::InputRejected>(())
//! ```
//!
//! [`reception::run_visit`] is the same loop over a [`CardReader`], a [`face::FaceMatcher`] and
//! a [`reception::ReceptionUi`], for products that do not need their own.
//!
//! ## Layers
//!
//! - [`apdu`]: ISO 7816-4 command and response APDUs, status words with their meaning for the
//!   card, BER-TLV. Parsing and building allocate nothing.
//! - [`card`]: the My Number Card's applications, files and PINs; sans-IO operations (PIN
//!   status, VERIFY with the lockout guard, file reads sized from their own headers, signing)
//!   and the records they return; [`card::Card`] runs them over a [`CardReader`];
//!   `card::authenticity` (feature `authenticity`) checks the card and its data are genuine.
//! - [`facility`]: accounts and roles, admin sessions, reader modes, the staff passcode, audit.
//! - [`reception`]: one patient's visit over typed states: modes, the PIN lockout guard, face
//!   and staff checks, consent, the outcome.
//! - [`sim`] (feature `sim`): a lockout-faithful virtual card with personas, and its bridge to
//!   a real PC/SC stack through vpcd.
//! - `pcsc` (feature `pcsc`): [`CardReader`] over PC/SC.
//!
//! The core builds as `no_std` + `alloc` with `default-features = false` and does no I/O.
//! Design chapters: [`manual`]; the architecture for contributors: `ARCHITECTURE.md`.
//!
//! ## Which entry point
//!
//! | You are building… | Use |
//! |---|---|
//! | a reader's or terminal's reception screen | [`reception::Visit`] in your event loop, or [`reception::run_visit`] with your [`CardReader`], [`face::FaceMatcher`] and [`reception::ReceptionUi`] |
//! | a tool that reads a card (PIN status, certificate, card face) | [`card::Card`] over a [`CardReader`] |
//! | your own card flow, sans-IO | the operations in [`card`] driven by [`card::Exchange`] |
//! | APDU logging, a proxy, a test harness | [`apdu::Command`], [`apdu::Response`], [`apdu::StatusWord`] |
//! | the facility's accounts, reader modes and staff passcode | [`facility::Facility`] |
//! | tests and demos without hardware | the virtual card: `sim` (feature `sim`) |
//!
//! ## Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `std` | yes | `std` support (without it: `no_std` + `alloc`, bare metal included) |
//! | `reception` | yes | [`reception`] and [`facility`] (adds `argon2` for passwords and the staff passcode) and `authenticity`; without it, `apdu`, `card`, the traits and `time` only |
//! | `authenticity` | with `reception` | `card::authenticity`: the certificate chain, the card face's issuer signature, the card's presence and the PIN's key (adds `rsa` for RSA verification) |
//! | `sim` | no | the virtual My Number Card, personas (counterfeits included), its own trust anchors, the vpcd bridge (adds `rsa`'s signing) |
//! | `result-file` | no | `reception::result_file`: the eligibility result file `OQSsiquc01res` (parse, write, consent filled from an outcome; adds `quick-xml` and `encoding_rs`, needs `std`) |
//! | `pcsc` | no | `pcsc::PcscReader`, a [`CardReader`] over PC/SC (needs the platform's PC/SC library) |
//!
//! ## Glossary (用語集)
//!
//! | English | 日本語 | Meaning here |
//! |---|---|---|
//! | online eligibility confirmation | オンライン資格確認 (オン資) | checking a patient's insurance online at reception |
//! | My Number Card as insurance card | マイナ保険証 | the My Number Card registered for health insurance |
//! | face-recognition card reader | 顔認証付きカードリーダー | the reader with camera and screen at reception |
//! | eligibility terminal | 資格確認端末 | the PC the reader is attached to |
//! | receipt computer | レセコン | the billing system that receives the eligibility result |
//! | public personal authentication | 公的個人認証 (JPKI) | the card application holding certificates and keys |
//! | user-authentication certificate | 利用者証明用電子証明書 | the certificate read at the reader |
//! | user-authentication PIN | 利用者証明用暗証番号 | 4 digits, 3 tries; the PIN used at the reader |
//! | signing password | 署名用パスワード | 6–16 letters and digits, 5 tries |
//! | card-info input support AP | 券面事項入力補助AP | application with the basic 4 info and the My Number |
//! | card-face AP | 券面AP (券面事項確認AP) | application with the face photo |
//! | verification number A / B | 照合番号A / 照合番号B | My Number / birth date + expiry year + security code, used as keys |
//! | basic 4 info | 基本4情報 | name, address, birth date, sex |
//! | face-authentication card | 顔認証マイナンバーカード | a card with no PIN set, face or visual check only |
//! | legal representative | 法定代理人 | a parent or guardian acting for a minor or a ward |
//! | unattended mode | 無人運転モード | the patient picks face or PIN |
//! | PIN-only mode | 暗証番号認証固定 | the reader asks for the PIN directly |
//! | visual check (mode) | 目視確認 (モード) | staff compare the patient's face with the card photo |
//! | blanket consent | 包括同意 | consent to all data items at once |
//! | consent | 同意確認 | the patient's consent to share medical data |
//! | consent could not be obtained | 同意取得困難 | staff record that the patient cannot answer the consent screens |
//! | electronic prescription | 電子処方箋 | the prescription the reader asks about after the consent (or a paper one, 紙の処方箋) |
//! | eligibility result file | 資格確認結果 (`OQSsiquc01res`) | the XML file the terminal writes for the receipt computer |
//! | admin account | 管理者アカウント | the facility account needed to switch reader modes |
//! | card-verifiable certificate | カード検証用証明書 (CVC) | the issuer's certificate of an application's key, named by 証明者鍵ID |
//! | certifier key id | 証明者鍵ID | which CA key signed a card-verifiable certificate |
//! | J-LIS | 地方公共団体情報システム機構 | the issuer of the card and its certificates |
//!
//! ## Safety
//!
//! The crate forbids `unsafe`. Library code does not `unwrap`, `expect`, `panic` or index
//! unchecked on anything that comes from a card, a reader or a user; every parser returns an
//! error instead, and the fuzz targets in `fuzz/` check it. Secrets ([`SecretBytes`],
//! [`card::Pin`], [`card::MyNumber`]) are masked in `Debug`, never serialized, and zeroized on
//! drop.

#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
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

/// The README's Rust code (its quick start), compiled as a doctest.
#[cfg(all(doctest, feature = "sqlite"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeQuickStart;

pub mod apdu;
pub mod card;
pub mod error;
pub mod face;
#[cfg(feature = "reception")]
pub mod facility;
#[cfg(feature = "reception")]
pub mod manual;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod reader;
#[cfg(feature = "reception")]
pub mod reception;
mod secret;
#[cfg(feature = "sim")]
pub mod sim;
pub mod time;

pub use error::Error;
pub use reader::{CardEvent, CardReader, ReaderCapabilities, TransportError};
pub use secret::SecretBytes;
