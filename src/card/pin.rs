//! PINs: their kinds and format rules, where they live on the card, their status, and the
//! secret [`Pin`] value.
//!
//! A [`Pin`] can only be made from input that has the right format for its kind, so a typo in
//! the format never reaches the card and never costs a try.

use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::application::{Application, card_face, card_info, jpki};
use crate::SecretBytes;
use crate::apdu::FileId;
use crate::time::Date;

/// The kinds of PIN on the My Number Card, each with its own format and try limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinKind {
    /// 利用者証明用暗証番号: 4 digits, 3 tries. The PIN used at the reader.
    UserAuth,
    /// 署名用パスワード: 6 to 16 of A–Z and 0–9 with at least one letter and one digit, 5 tries.
    Signing,
    /// 券面事項入力補助用暗証番号: 4 digits, 3 tries.
    CardInfo,
    /// 照合番号A: the 12-digit My Number (with its check digit). Try limit unknown.
    VerificationNumberA,
    /// 照合番号B: 14 digits, birth date YYMMDD + card expiry year YYYY + 4-digit security code.
    /// Try limit unknown.
    VerificationNumberB,
}

impl PinKind {
    /// Tries before the PIN is blocked, where the reference confirms it.
    #[must_use]
    pub const fn max_tries(self) -> Option<u8> {
        match self {
            Self::UserAuth | Self::CardInfo => Some(3),
            Self::Signing => Some(5),
            Self::VerificationNumberA | Self::VerificationNumberB => None,
        }
    }

    /// Shortest and longest input accepted.
    #[must_use]
    pub const fn length_range(self) -> (usize, usize) {
        match self {
            Self::UserAuth | Self::CardInfo => (4, 4),
            Self::Signing => (6, 16),
            Self::VerificationNumberA => (12, 12),
            Self::VerificationNumberB => (14, 14),
        }
    }
}

impl fmt::Display for PinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UserAuth => "user-authentication PIN (利用者証明用暗証番号)",
            Self::Signing => "signing password (署名用パスワード)",
            Self::CardInfo => "card-info PIN (券面事項入力補助用暗証番号)",
            Self::VerificationNumberA => "verification number A (照合番号A)",
            Self::VerificationNumberB => "verification number B (照合番号B)",
        })
    }
}

/// Where a PIN lives: an application and the EF selected before VERIFY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinSlot {
    /// User-authentication PIN, JPKI-AP EF 0018.
    UserAuth,
    /// Signing password, JPKI-AP EF 001B.
    Signing,
    /// Card-info PIN, card-info AP EF 0011.
    CardInfo,
    /// 照合番号A in the card-info AP, EF 0014.
    CardInfoVerificationA,
    /// 照合番号B in the card-info AP, EF 0015.
    CardInfoVerificationB,
    /// 照合番号A in the card-face AP, EF 0013.
    CardFaceVerificationA,
    /// 照合番号B in the card-face AP, EF 0012.
    CardFaceVerificationB,
}

impl PinSlot {
    /// Every slot, in the order a PIN report visits them (JPKI-AP first, which also says what
    /// kind of card this is).
    pub const ALL: [Self; 7] = [
        Self::UserAuth,
        Self::Signing,
        Self::CardInfo,
        Self::CardInfoVerificationA,
        Self::CardInfoVerificationB,
        Self::CardFaceVerificationA,
        Self::CardFaceVerificationB,
    ];

    /// The application that holds the PIN.
    #[must_use]
    pub const fn application(self) -> Application {
        match self {
            Self::UserAuth | Self::Signing => Application::Jpki,
            Self::CardInfo | Self::CardInfoVerificationA | Self::CardInfoVerificationB => {
                Application::CardInfo
            }
            Self::CardFaceVerificationA | Self::CardFaceVerificationB => Application::CardFace,
        }
    }

    /// The PIN's EF.
    #[must_use]
    pub const fn file(self) -> FileId {
        match self {
            Self::UserAuth => jpki::USER_AUTH_PIN,
            Self::Signing => jpki::SIGNING_PIN,
            Self::CardInfo => card_info::PIN,
            Self::CardInfoVerificationA => card_info::VERIFICATION_NUMBER_A,
            Self::CardInfoVerificationB => card_info::VERIFICATION_NUMBER_B,
            Self::CardFaceVerificationA => card_face::VERIFICATION_NUMBER_A,
            Self::CardFaceVerificationB => card_face::VERIFICATION_NUMBER_B,
        }
    }

    /// The kind of PIN the slot takes.
    #[must_use]
    pub const fn kind(self) -> PinKind {
        match self {
            Self::UserAuth => PinKind::UserAuth,
            Self::Signing => PinKind::Signing,
            Self::CardInfo => PinKind::CardInfo,
            Self::CardInfoVerificationA | Self::CardFaceVerificationA => {
                PinKind::VerificationNumberA
            }
            Self::CardInfoVerificationB | Self::CardFaceVerificationB => {
                PinKind::VerificationNumberB
            }
        }
    }

    /// The status of a counter the card just reset or reported full (after a right PIN, or a
    /// `90 00` to the retry query): the kind's maximum, or unknown where the maximum is.
    pub(crate) const fn full_status(self) -> PinStatus {
        match self.kind().max_tries() {
            Some(max) => PinStatus::Remaining(max),
            None => PinStatus::Unknown,
        }
    }

    /// Position in [`PinSlot::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// A PIN's state as the card last reported it. Never a local guess: after a reset or an unclear
/// transport error it is [`PinStatus::Unknown`] until the card is asked again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", content = "tries", rename_all = "snake_case")]
pub enum PinStatus {
    /// This many tries are left (at least 1).
    Remaining(u8),
    /// Blocked: the card refuses every VERIFY, even with the right PIN. Reset at the municipal
    /// office or a convenience-store kiosk.
    Blocked,
    /// The card has no such PIN: a face-authentication card (顔認証マイナンバーカード) has none set.
    NotSet,
    /// Not known: never asked, or forgotten after a reset or an unclear transport error.
    Unknown,
}

impl PinStatus {
    /// The status from a retry count the card reported: 0 is blocked.
    #[must_use]
    pub const fn from_tries(tries: u8) -> Self {
        if tries == 0 {
            Self::Blocked
        } else {
            Self::Remaining(tries)
        }
    }

    /// Tries left, when known and not blocked.
    #[must_use]
    pub const fn tries_left(self) -> Option<u8> {
        match self {
            Self::Remaining(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for PinStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Remaining(1) => f.write_str("1 try left"),
            Self::Remaining(n) => write!(f, "{n} tries left"),
            Self::Blocked => f.write_str("blocked"),
            Self::NotSet => f.write_str("not set"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

/// A PIN (or password, or 照合番号) of a known kind, checked for format, held as a secret:
/// masked in `Debug`, never serialized, zeroized on drop.
///
/// ```
/// use onshi::card::{Pin, PinFormatError, PinKind};
///
/// let pin = Pin::new(PinKind::UserAuth, "1234")?;
/// assert_eq!(format!("{pin:?}"), "Pin { kind: UserAuth, value: *** }");
/// assert_eq!(Pin::new(PinKind::UserAuth, "123"), Err(PinFormatError::WrongLength { min: 4, max: 4, got: 3 }));
/// # Ok::<(), PinFormatError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pin {
    kind: PinKind,
    value: SecretBytes,
}

impl Pin {
    /// Checks `input` against the rules of `kind` and keeps it as a secret. The signing
    /// password is upper-cased first, as the card stores it in capitals.
    ///
    /// # Errors
    ///
    /// A [`PinFormatError`] saying which rule the input breaks; it never contains the input.
    pub fn new(kind: PinKind, input: &str) -> Result<Self, PinFormatError> {
        let (min, max) = kind.length_range();
        let got = input.chars().count();
        if got < min || got > max {
            return Err(PinFormatError::WrongLength { min, max, got });
        }
        let mut value: Vec<u8> = Vec::with_capacity(input.len());
        match kind {
            PinKind::Signing => {
                for c in input.chars() {
                    if !c.is_ascii_alphanumeric() {
                        return Err(PinFormatError::NotAlphanumeric);
                    }
                    value.push(c.to_ascii_uppercase() as u8);
                }
                let has_letter = value.iter().any(u8::is_ascii_uppercase);
                let has_digit = value.iter().any(u8::is_ascii_digit);
                if !(has_letter && has_digit) {
                    return Err(PinFormatError::NeedsLetterAndDigit);
                }
            }
            _ => {
                if !input.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(PinFormatError::NotDigits);
                }
                value.extend_from_slice(input.as_bytes());
            }
        }
        let value = SecretBytes::from(value);
        match kind {
            PinKind::VerificationNumberA if !my_number_check_digit_ok(value.expose_secret()) => {
                Err(PinFormatError::CheckDigit)
            }
            PinKind::VerificationNumberB if !verification_b_fields_ok(value.expose_secret()) => {
                Err(PinFormatError::InvalidDate)
            }
            _ => Ok(Self { kind, value }),
        }
    }

    /// 照合番号B composed from its parts: birth date as YYMMDD (in the year form given), the
    /// card's expiry year, and the 4-digit security code printed under the photo.
    ///
    /// # Errors
    ///
    /// [`PinFormatError`] when the security code is not 4 digits or the expiry year not 4 digits.
    pub fn verification_number_b(
        birth_date: Date,
        expiry_year: u16,
        security_code: &str,
        form: BirthYearForm,
    ) -> Result<Self, PinFormatError> {
        if security_code.len() != 4 || !security_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinFormatError::NotDigits);
        }
        if !(1000..=9999).contains(&expiry_year) {
            return Err(PinFormatError::InvalidDate);
        }
        let year = form.two_digit_year(birth_date);
        let text = alloc::format!(
            "{year:02}{:02}{:02}{expiry_year:04}{security_code}",
            birth_date.month(),
            birth_date.day()
        );
        let text = zeroize::Zeroizing::new(text);
        Self::new(PinKind::VerificationNumberB, &text)
    }

    /// The kind of PIN.
    #[must_use]
    pub const fn kind(&self) -> PinKind {
        self.kind
    }

    /// The secret bytes, for the VERIFY command.
    #[must_use]
    pub fn secret(&self) -> &SecretBytes {
        &self.value
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pin")
            .field("kind", &self.kind)
            .field("value", &format_args!("***"))
            .finish()
    }
}

/// How the birth year is written in 照合番号B.
///
/// Unconfirmed (`card-protocol.md` §2.3): the Western year is what the peer tools document;
/// the 住基カード precedent used the Japanese era year, and one user reports a bank app asking
/// for it. The reader reads 照合番号B from the card face by OCR, so this matters only where
/// 照合番号B is composed from its parts (tests, the virtual card's personas).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BirthYearForm {
    /// The last two digits of the Western year (1985 → 85). The default.
    #[default]
    Western,
    /// The Japanese era year (1985 is 昭和60 → 60; 2020 is 令和2 → 02).
    JapaneseEra,
}

impl BirthYearForm {
    /// The two-digit year of `date` in this form.
    #[must_use]
    pub fn two_digit_year(self, date: Date) -> u16 {
        let year = date.year();
        let era_start_year = match self {
            Self::Western => return u16::try_from(year.rem_euclid(100)).unwrap_or(0),
            Self::JapaneseEra => {
                let on_or_after = |y, m, d| (date.year(), date.month(), date.day()) >= (y, m, d);
                if on_or_after(2019, 5, 1) {
                    2018 // 令和
                } else if on_or_after(1989, 1, 8) {
                    1988 // 平成
                } else if on_or_after(1926, 12, 25) {
                    1925 // 昭和
                } else if on_or_after(1912, 7, 30) {
                    1911 // 大正
                } else {
                    1867 // 明治
                }
            }
        };
        u16::try_from((year - era_start_year).rem_euclid(100)).unwrap_or(0)
    }
}

/// The check digit of a My Number (個人番号), per the Cabinet Order on the My Number Act
/// (施行令 第8条): for the first 11 digits P(n) counted from the right, weights Q(n) = n + 1 for
/// n ≤ 6 and n − 5 otherwise; the remainder r of the weighted sum by 11 gives 0 when r ≤ 1,
/// else 11 − r.
fn my_number_check_digit_ok(digits: &[u8]) -> bool {
    let Some((&check, body)) = digits.split_last() else {
        return false;
    };
    if body.len() != 11 {
        return false;
    }
    let sum: u32 = body
        .iter()
        .rev()
        .zip(1u32..)
        .map(|(&digit, n)| u32::from(digit.wrapping_sub(b'0')) * if n <= 6 { n + 1 } else { n - 5 })
        .sum();
    let remainder = sum % 11;
    let expected = if remainder <= 1 { 0 } else { 11 - remainder };
    u32::from(check.wrapping_sub(b'0')) == expected
}

/// Month 01–12 and day 01–31 (29 February accepted: the year may be an era year) in YYMMDD.
fn verification_b_fields_ok(digits: &[u8]) -> bool {
    let number = |range: core::ops::Range<usize>| {
        digits.get(range).map(|d| {
            d.iter()
                .fold(0u32, |n, b| n * 10 + u32::from(b.wrapping_sub(b'0')))
        })
    };
    let (Some(month), Some(day)) = (number(2..4), number(4..6)) else {
        return false;
    };
    let Ok(month) = u8::try_from(month) else {
        return false;
    };
    let Ok(day) = u8::try_from(day) else {
        return false;
    };
    // 2000 is a leap year, so every real day of any year is valid in it.
    Date::new(2000, month, day).is_some()
}

/// Input that is not a PIN of the kind asked for. It never holds the input itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum PinFormatError {
    /// Too short or too long.
    #[error("{got} characters; this PIN has {min} to {max}")]
    WrongLength {
        /// Fewest characters allowed.
        min: usize,
        /// Most characters allowed.
        max: usize,
        /// Characters entered.
        got: usize,
    },
    /// A character other than 0–9 in a numeric PIN.
    #[error("only the digits 0-9 are allowed")]
    NotDigits,
    /// A character other than A–Z and 0–9 in the signing password.
    #[error("only the letters A-Z and the digits 0-9 are allowed")]
    NotAlphanumeric,
    /// A signing password without a letter or without a digit.
    #[error("the password needs at least one letter and one digit")]
    NeedsLetterAndDigit,
    /// A 12-digit number whose last digit is not the My Number check digit.
    #[error("the check digit does not match: not a My Number")]
    CheckDigit,
    /// 照合番号B with a month or day that does not exist.
    #[error("the birth date or expiry year is not a valid date")]
    InvalidDate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn user_auth_pin_is_four_digits() {
        assert!(Pin::new(PinKind::UserAuth, "0000").is_ok());
        assert_eq!(
            Pin::new(PinKind::UserAuth, "12345"),
            Err(PinFormatError::WrongLength {
                min: 4,
                max: 4,
                got: 5
            })
        );
        assert_eq!(
            Pin::new(PinKind::UserAuth, "12a4"),
            Err(PinFormatError::NotDigits)
        );
        assert_eq!(
            Pin::new(PinKind::UserAuth, "１２３４").unwrap_err(),
            PinFormatError::NotDigits
        );
    }

    #[test]
    fn signing_password_rules() {
        let pin = Pin::new(PinKind::Signing, "abc123").unwrap();
        assert_eq!(pin.secret().expose_secret(), b"ABC123");
        assert_eq!(
            Pin::new(PinKind::Signing, "ABCDEF"),
            Err(PinFormatError::NeedsLetterAndDigit)
        );
        assert_eq!(
            Pin::new(PinKind::Signing, "123456"),
            Err(PinFormatError::NeedsLetterAndDigit)
        );
        assert_eq!(
            Pin::new(PinKind::Signing, "ABC-123"),
            Err(PinFormatError::NotAlphanumeric)
        );
        assert!(Pin::new(PinKind::Signing, "A2345678901234567").is_err());
        assert!(Pin::new(PinKind::Signing, "A234567890123456").is_ok());
    }

    #[test]
    fn my_number_check_digit() {
        assert!(Pin::new(PinKind::VerificationNumberA, "123456789018").is_ok());
        assert_eq!(
            Pin::new(PinKind::VerificationNumberA, "123456789017"),
            Err(PinFormatError::CheckDigit)
        );
    }

    #[test]
    fn verification_number_b() {
        let birth = Date::new(1985, 4, 1).unwrap();
        let western =
            Pin::verification_number_b(birth, 2030, "5678", BirthYearForm::Western).unwrap();
        assert_eq!(western.secret().expose_secret(), b"85040120305678");
        let era =
            Pin::verification_number_b(birth, 2030, "5678", BirthYearForm::JapaneseEra).unwrap();
        assert_eq!(era.secret().expose_secret(), b"60040120305678");
        let reiwa = Date::new(2020, 2, 29).unwrap();
        assert_eq!(BirthYearForm::JapaneseEra.two_digit_year(reiwa), 2);
        let heisei_last = Date::new(2019, 4, 30).unwrap();
        assert_eq!(BirthYearForm::JapaneseEra.two_digit_year(heisei_last), 31);
        assert_eq!(
            Pin::new(PinKind::VerificationNumberB, "85130120305678"),
            Err(PinFormatError::InvalidDate)
        );
        assert!(Pin::new(PinKind::VerificationNumberB, "85022920305678").is_ok());
        assert!(format!("{western:?}").contains("***"));
    }

    #[test]
    fn slots_and_kinds() {
        for (i, slot) in PinSlot::ALL.into_iter().enumerate() {
            assert_eq!(slot.index(), i);
        }
        assert_eq!(PinSlot::UserAuth.file(), jpki::USER_AUTH_PIN);
        assert_eq!(
            PinSlot::CardFaceVerificationB.kind(),
            PinKind::VerificationNumberB
        );
        assert_eq!(PinStatus::from_tries(0), PinStatus::Blocked);
        let json = serde_json::to_string(&PinStatus::Remaining(2)).unwrap();
        assert_eq!(json, r#"{"status":"remaining","tries":2}"#);
    }
}
