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
    /// 照合番号B: 14 digits, birth date YYMMDD (Japanese era year by default, see
    /// [`BirthYearForm`]) + card expiry year YYYY + 4-digit security code. 10 tries (real-card
    /// evidence, fact 1).
    VerificationNumberB,
    /// The birth-date key (生年月日) of the card-face AP, EF 0011: the six digits YYMMDD with
    /// the Japanese era year, the first six digits of 照合番号B. It opens only the age record
    /// (EF 0001). Try limit unknown.
    BirthDate,
}

impl PinKind {
    /// Tries before the PIN is blocked, where the reference confirms it.
    #[must_use]
    pub const fn max_tries(self) -> Option<u8> {
        match self {
            Self::UserAuth | Self::CardInfo => Some(3),
            Self::Signing => Some(5),
            Self::VerificationNumberB => Some(10),
            Self::VerificationNumberA | Self::BirthDate => None,
        }
    }

    /// Whether this is a PIN a person chooses and a wrong one costs one of few tries (the
    /// user-authentication PIN, the signing password, the card-info PIN), as opposed to a key
    /// read off the card face (照合番号A and B, the birth-date key).
    #[must_use]
    pub const fn is_pin(self) -> bool {
        matches!(self, Self::UserAuth | Self::Signing | Self::CardInfo)
    }

    /// Shortest and longest input accepted.
    #[must_use]
    pub const fn length_range(self) -> (usize, usize) {
        match self {
            Self::UserAuth | Self::CardInfo => (4, 4),
            Self::Signing => (6, 16),
            Self::VerificationNumberA => (12, 12),
            Self::VerificationNumberB => (14, 14),
            Self::BirthDate => (6, 6),
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
            Self::BirthDate => "birth-date key (生年月日)",
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
    /// The birth-date key in the card-face AP, EF 0011.
    CardFaceBirthDate,
}

impl PinSlot {
    /// Every slot, in the order a PIN report visits them (JPKI-AP first, which also says what
    /// kind of card this is).
    pub const ALL: [Self; 8] = [
        Self::UserAuth,
        Self::Signing,
        Self::CardInfo,
        Self::CardInfoVerificationA,
        Self::CardInfoVerificationB,
        Self::CardFaceVerificationA,
        Self::CardFaceVerificationB,
        Self::CardFaceBirthDate,
    ];

    /// The slot of `application` that takes a PIN of `kind`, if the application has one.
    #[must_use]
    pub fn for_kind(application: Application, kind: PinKind) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|slot| slot.application() == application && slot.kind() == kind)
    }

    /// The application that holds the PIN.
    #[must_use]
    pub const fn application(self) -> Application {
        match self {
            Self::UserAuth | Self::Signing => Application::Jpki,
            Self::CardInfo | Self::CardInfoVerificationA | Self::CardInfoVerificationB => {
                Application::CardInfo
            }
            Self::CardFaceVerificationA | Self::CardFaceVerificationB | Self::CardFaceBirthDate => {
                Application::CardFace
            }
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
            Self::CardFaceBirthDate => card_face::BIRTH_DATE_KEY,
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
            Self::CardFaceBirthDate => PinKind::BirthDate,
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

impl fmt::Display for PinSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UserAuth => "user-authentication PIN (利用者証明用暗証番号), JPKI-AP",
            Self::Signing => "signing password (署名用パスワード), JPKI-AP",
            Self::CardInfo => "card-info PIN (券面事項入力補助用暗証番号), card-info AP",
            Self::CardInfoVerificationA => "照合番号A, card-info AP",
            Self::CardInfoVerificationB => "照合番号B, card-info AP",
            Self::CardFaceVerificationA => "照合番号A, card-face AP",
            Self::CardFaceVerificationB => "照合番号B, card-face AP",
            Self::CardFaceBirthDate => "birth-date key (生年月日), card-face AP",
        })
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
/// masked in `Debug`, never serialized, zeroized on drop, and neither `Clone` nor comparable
/// (no copy to forget to wipe, no comparison that could leak by its timing).
///
/// ```
/// use onshi::card::{Pin, PinFormatError, PinKind};
///
/// let pin = Pin::new(PinKind::UserAuth, "1234")?;
/// assert_eq!(format!("{pin:?}"), "Pin { kind: UserAuth, value: *** }");
/// assert_eq!(
///     Pin::new(PinKind::UserAuth, "123").err(),
///     Some(PinFormatError::WrongLength { min: 4, max: 4, got: 3 })
/// );
/// # Ok::<(), PinFormatError>(())
/// ```
pub struct Pin {
    kind: PinKind,
    value: SecretBytes,
}

impl Pin {
    /// A second copy, made on purpose (a key the visit keeps to use again after a reset).
    /// `Pin` is not `Clone`: every copy of a secret is one more to wipe.
    #[must_use]
    #[cfg(feature = "reception")]
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            kind: self.kind,
            value: SecretBytes::copy_from(self.value.expose_secret()),
        }
    }

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
            PinKind::VerificationNumberB | PinKind::BirthDate
                if !birth_date_digits_ok(value.expose_secret()) =>
            {
                Err(PinFormatError::InvalidDate)
            }
            _ => Ok(Self { kind, value }),
        }
    }

    /// 照合番号B composed from its parts: birth date as YYMMDD (in the year form given), the
    /// card's expiry year, and the 4-digit security code printed under the photo.
    ///
    /// A real card wants the Japanese era year ([`BirthYearForm::JapaneseEra`], the default):
    /// born 1980-02-17, card expiring in 2035, code `2285` gives `55021720352285`.
    ///
    /// ```
    /// use onshi::card::{BirthYearForm, Pin};
    /// use onshi::time::Date;
    ///
    /// let birth = Date::new(1980, 2, 17).unwrap();
    /// let b = Pin::verification_number_b(birth, 2035, "2285", BirthYearForm::default())?;
    /// assert_eq!(b.secret().expose_secret(), b"55021720352285");
    /// # Ok::<(), onshi::card::PinFormatError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PinFormatError::NotDigits`] when the security code is not 4 digits,
    /// [`PinFormatError::InvalidDate`] when the expiry year is not 4 digits, and
    /// [`PinFormatError::BirthDateOutOfRange`] for a birth date before 明治 or whose year does
    /// not fit two digits in the form asked for.
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
        let year = form.two_digit_year(birth_date)?;
        let text = zeroize::Zeroizing::new(alloc::format!(
            "{year:02}{:02}{:02}{expiry_year:04}{security_code}",
            birth_date.month(),
            birth_date.day()
        ));
        Self::new(PinKind::VerificationNumberB, &text)
    }

    /// The birth-date key (生年月日, card-face AP EF 0011): YYMMDD with the Japanese era year.
    ///
    /// # Errors
    ///
    /// [`PinFormatError::BirthDateOutOfRange`] before 明治 or past an era's 99th year.
    pub fn birth_date_key(birth_date: Date) -> Result<Self, PinFormatError> {
        let year = BirthYearForm::JapaneseEra.two_digit_year(birth_date)?;
        let text = zeroize::Zeroizing::new(alloc::format!(
            "{year:02}{:02}{:02}",
            birth_date.month(),
            birth_date.day()
        ));
        Self::new(PinKind::BirthDate, &text)
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
/// A probed card wants the Japanese era year (real-card evidence, fact 1: 1980-02-17 →
/// `550217…`), and a Western-year 照合番号B costs a try of its 10-try counter. That is the
/// default. The Western form is kept only as an explicit option, unconfirmed: no card is known
/// to want it (it may matter for cards whose face prints Western dates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BirthYearForm {
    /// The Japanese era year (1980 is 昭和55 → `55`; 2020 is 令和2 → `02`; 元年 is `01`). The
    /// default, as a real card wants it.
    #[default]
    JapaneseEra,
    /// The last two digits of the Western year (1980 → `80`). Unconfirmed on real cards.
    Western,
}

impl BirthYearForm {
    /// The two-digit year of `date` in this form.
    ///
    /// # Errors
    ///
    /// [`PinFormatError::BirthDateOutOfRange`] for a date before 明治 (1868-01-25), or an era
    /// year above 99, or a Western year outside 1868 to 9999.
    pub fn two_digit_year(self, date: Date) -> Result<u8, PinFormatError> {
        let era = date
            .japanese_era()
            .ok_or(PinFormatError::BirthDateOutOfRange)?;
        let year = match self {
            Self::JapaneseEra => i32::from(era.year),
            Self::Western if date.year() <= 9999 => date.year() % 100,
            Self::Western => return Err(PinFormatError::BirthDateOutOfRange),
        };
        u8::try_from(year)
            .ok()
            .filter(|year| *year <= 99)
            .ok_or(PinFormatError::BirthDateOutOfRange)
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
fn birth_date_digits_ok(digits: &[u8]) -> bool {
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
    /// A birth date the card cannot hold: before 明治 (1868-01-25), or with a year that does
    /// not fit two digits.
    #[error("the birth date is out of the range a card can hold")]
    BirthDateOutOfRange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    #[test]
    fn user_auth_pin_is_four_digits() {
        assert!(Pin::new(PinKind::UserAuth, "0000").is_ok());
        assert_eq!(
            Pin::new(PinKind::UserAuth, "12345").err(),
            Some(PinFormatError::WrongLength {
                min: 4,
                max: 4,
                got: 5
            })
        );
        assert_eq!(
            Pin::new(PinKind::UserAuth, "12a4").err(),
            Some(PinFormatError::NotDigits)
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
            Pin::new(PinKind::Signing, "ABCDEF").err(),
            Some(PinFormatError::NeedsLetterAndDigit)
        );
        assert_eq!(
            Pin::new(PinKind::Signing, "123456").err(),
            Some(PinFormatError::NeedsLetterAndDigit)
        );
        assert_eq!(
            Pin::new(PinKind::Signing, "ABC-123").err(),
            Some(PinFormatError::NotAlphanumeric)
        );
        assert!(Pin::new(PinKind::Signing, "A2345678901234567").is_err());
        assert!(Pin::new(PinKind::Signing, "A234567890123456").is_ok());
    }

    #[test]
    fn my_number_check_digit() {
        assert!(Pin::new(PinKind::VerificationNumberA, "123456789018").is_ok());
        assert_eq!(
            Pin::new(PinKind::VerificationNumberA, "123456789017").err(),
            Some(PinFormatError::CheckDigit)
        );
    }

    #[test]
    fn verification_number_b_takes_the_era_year() {
        let b = |y, m, d, form| {
            let birth = Date::new(y, m, d).unwrap();
            Pin::verification_number_b(birth, 2035, "2285", form)
                .map(|pin| String::from_utf8(pin.secret().expose_secret().to_vec()).unwrap())
        };
        let era = BirthYearForm::default();
        assert_eq!(era, BirthYearForm::JapaneseEra);
        // Real-card evidence, fact 1.
        assert_eq!(b(1980, 2, 17, era).unwrap(), "55021720352285");
        assert_eq!(
            b(1980, 2, 17, BirthYearForm::Western).unwrap(),
            "80021720352285"
        );
        // Era boundaries: 昭和64 is 1989-01-01..07, 平成元年 from 1989-01-08.
        assert_eq!(b(1989, 1, 1, era).unwrap(), "64010120352285");
        assert_eq!(b(1989, 1, 7, era).unwrap(), "64010720352285");
        assert_eq!(b(1989, 1, 8, era).unwrap(), "01010820352285");
        assert_eq!(b(2019, 4, 30, era).unwrap(), "31043020352285");
        assert_eq!(b(2019, 5, 1, era).unwrap(), "01050120352285");
        assert_eq!(b(2020, 2, 29, era).unwrap(), "02022920352285");
        assert_eq!(b(1926, 12, 24, era).unwrap(), "15122420352285");
        assert_eq!(b(1926, 12, 25, era).unwrap(), "01122520352285");
        // Before 明治, and past 令和99: errors, never a panic or a wrapped year.
        assert_eq!(
            b(1868, 1, 24, era),
            Err(PinFormatError::BirthDateOutOfRange)
        );
        assert_eq!(
            b(1868, 1, 24, BirthYearForm::Western),
            Err(PinFormatError::BirthDateOutOfRange)
        );
        assert_eq!(b(2118, 1, 1, era), Err(PinFormatError::BirthDateOutOfRange));
        assert_eq!(b(2117, 12, 31, era).unwrap(), "99123120352285");
        assert_eq!(
            b(10_000, 1, 1, BirthYearForm::Western),
            Err(PinFormatError::BirthDateOutOfRange)
        );
        assert_eq!(
            b(i32::MIN, 1, 1, era),
            Err(PinFormatError::BirthDateOutOfRange)
        );
        assert_eq!(
            b(i32::MAX, 1, 1, era),
            Err(PinFormatError::BirthDateOutOfRange)
        );
        assert_eq!(
            Pin::new(PinKind::VerificationNumberB, "85130120305678").err(),
            Some(PinFormatError::InvalidDate)
        );
        assert!(Pin::new(PinKind::VerificationNumberB, "85022920305678").is_ok());
        let pin =
            Pin::verification_number_b(Date::new(1980, 2, 17).unwrap(), 2035, "2285", era).unwrap();
        assert!(format!("{pin:?}").contains("***"));
    }

    #[test]
    fn birth_date_key() {
        let key = Pin::birth_date_key(Date::new(1980, 2, 17).unwrap()).unwrap();
        assert_eq!(key.kind(), PinKind::BirthDate);
        assert_eq!(key.secret().expose_secret(), b"550217");
        assert_eq!(
            Pin::new(PinKind::BirthDate, "551317").err(),
            Some(PinFormatError::InvalidDate)
        );
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
        assert_eq!(
            PinSlot::for_kind(Application::CardInfo, PinKind::VerificationNumberA),
            Some(PinSlot::CardInfoVerificationA)
        );
        assert_eq!(
            PinSlot::for_kind(Application::CardFace, PinKind::CardInfo),
            None
        );
        assert_eq!(PinStatus::from_tries(0), PinStatus::Blocked);
        let json = serde_json::to_string(&PinStatus::Remaining(2)).unwrap();
        assert_eq!(json, r#"{"status":"remaining","tries":2}"#);
    }
}
