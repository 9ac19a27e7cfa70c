//! Status words (SW1 SW2) and what they mean for the My Number Card.

use core::fmt;

use serde::{Deserialize, Serialize};

/// The two status bytes SW1 SW2 that end every response APDU.
///
/// The raw value is always kept; [`StatusWord::meaning`] says what it means. `Display` shows both:
///
/// ```
/// use onshi::apdu::{StatusMeaning, StatusWord};
///
/// let sw = StatusWord::from_bytes(0x63, 0xC2);
/// assert_eq!(sw.meaning(), StatusMeaning::WrongPin { tries_left: 2 });
/// assert_eq!(sw.to_string(), "63 C2 (not verified, 2 tries left)");
/// ```
///
/// With serde it is the four upper-case hex digits, e.g. `"63C2"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusWord(u16);

impl StatusWord {
    /// `90 00`: normal processing.
    pub const SUCCESS: Self = Self(0x9000);
    /// `69 82`: security status not satisfied (a protected file read before its PIN).
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `69 83`: authentication method blocked (ISO 7816-4).
    pub const AUTHENTICATION_METHOD_BLOCKED: Self = Self(0x6983);
    /// `69 84`: reference data not usable (ISO 7816-4).
    pub const REFERENCE_DATA_NOT_USABLE: Self = Self(0x6984);
    /// `6A 82`: file or application not found.
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A 86`: incorrect parameters P1-P2.
    pub const INCORRECT_P1_P2: Self = Self(0x6A86);
    /// `6B 00`: wrong parameters P1-P2 (for READ BINARY: offset outside the file).
    pub const WRONG_P1_P2: Self = Self(0x6B00);
    /// `67 00`: wrong length (Lc or the data do not fit the command).
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `6D 00`: instruction code not supported or invalid.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E 00`: class not supported.
    pub const CLASS_NOT_SUPPORTED: Self = Self(0x6E00);

    /// The status word from SW1 and SW2.
    #[must_use]
    pub const fn from_bytes(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// The status word from its 16-bit value, SW1 in the high byte.
    #[must_use]
    pub const fn from_u16(value: u16) -> Self {
        Self(value)
    }

    /// The 16-bit value, SW1 in the high byte.
    #[must_use]
    pub const fn to_u16(self) -> u16 {
        self.0
    }

    /// SW1 and SW2 as they appear on the wire.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// SW1.
    #[must_use]
    pub const fn sw1(self) -> u8 {
        self.to_bytes()[0]
    }

    /// SW2.
    #[must_use]
    pub const fn sw2(self) -> u8 {
        self.to_bytes()[1]
    }

    /// Whether this is `90 00`.
    #[must_use]
    pub const fn is_success(self) -> bool {
        self.0 == Self::SUCCESS.0
    }

    /// What the status word means.
    ///
    /// `63 Cx` is a wrong PIN with `x` (the low nibble only) tries left. `63 00` is not: ISO
    /// 7816-4 calls it "verification failed" without a counter, and it is kept as
    /// [`StatusMeaning::Other`]. `69 83` is a blocked PIN; `69 84` keeps its ISO meaning here
    /// (the JPKI card answers it for a blocked PIN, and the card layer reads it so).
    #[must_use]
    pub const fn meaning(self) -> StatusMeaning {
        let [sw1, sw2] = self.to_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => StatusMeaning::Success,
            (0x61, n) => StatusMeaning::MoreDataAvailable {
                available: count_or_256(n),
            },
            (0x6C, n) => StatusMeaning::WrongLe {
                exact: count_or_256(n),
            },
            (0x63, n) if n & 0xF0 == 0xC0 => StatusMeaning::WrongPin {
                tries_left: n & 0x0F,
            },
            (0x69, 0x83) => StatusMeaning::PinBlocked,
            (0x69, 0x84) => StatusMeaning::ReferenceDataNotUsable,
            (0x69, 0x82) => StatusMeaning::SecurityStatusNotSatisfied,
            (0x6A, 0x82) => StatusMeaning::FileNotFound,
            (0x6A, 0x86) | (0x6B, 0x00) => StatusMeaning::WrongP1P2,
            (0x67, 0x00) => StatusMeaning::WrongLength,
            (0x6D, 0x00) => StatusMeaning::InsNotSupported,
            _ => StatusMeaning::Other,
        }
    }
}

/// In `61 xx` and `6C xx`, `00` stands for 256.
const fn count_or_256(n: u8) -> u16 {
    if n == 0 { 256 } else { n as u16 }
}

impl From<[u8; 2]> for StatusWord {
    fn from([sw1, sw2]: [u8; 2]) -> Self {
        Self::from_bytes(sw1, sw2)
    }
}

impl From<StatusWord> for u16 {
    fn from(sw: StatusWord) -> Self {
        sw.0
    }
}

impl From<u16> for StatusWord {
    fn from(value: u16) -> Self {
        Self(value)
    }
}

impl From<iso7816::Status> for StatusWord {
    fn from(status: iso7816::Status) -> Self {
        Self(status.into())
    }
}

impl From<StatusWord> for iso7816::Status {
    fn from(sw: StatusWord) -> Self {
        Self::from(sw.0)
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:02X} {:02X})", self.sw1(), self.sw2())
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} {:02X} ({})",
            self.sw1(),
            self.sw2(),
            self.meaning()
        )
    }
}

impl Serialize for StatusWord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:04X}", self.0))
    }
}

impl<'de> Deserialize<'de> for StatusWord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HexVisitor;
        impl serde::de::Visitor<'_> for HexVisitor {
            type Value = StatusWord;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status word as four hex digits, e.g. \"9000\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<StatusWord, E> {
                if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(E::invalid_value(serde::de::Unexpected::Str(text), &self));
                }
                u16::from_str_radix(text, 16)
                    .map(StatusWord)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(text), &self))
            }
        }
        deserializer.deserialize_str(HexVisitor)
    }
}

/// What a [`StatusWord`] means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatusMeaning {
    /// `90 00`: the command succeeded.
    Success,
    /// `61 xx`: more response data is available with GET RESPONSE (`xx` = `00` means 256 or more).
    MoreDataAvailable {
        /// Bytes available, 1 to 256.
        available: u16,
    },
    /// `6C xx`: wrong Le; the command must be sent again with Le = `xx` (`00` means 256).
    WrongLe {
        /// The exact length the card can return, 1 to 256.
        exact: u16,
    },
    /// `63 Cx`: the PIN was wrong (or, for an empty VERIFY, not yet verified) and `x` tries are left.
    WrongPin {
        /// Tries left before the PIN is blocked, 0 to 15. `63 C0` is the try that used up the counter.
        tries_left: u8,
    },
    /// `69 83`: authentication method blocked (ISO 7816-4): the PIN is blocked; VERIFY is
    /// refused even with the right PIN.
    PinBlocked,
    /// `69 84`: reference data not usable (ISO 7816-4). What a card means by it is the card
    /// layer's to say (the JPKI card answers it for a blocked PIN).
    ReferenceDataNotUsable,
    /// `69 82`: security status not satisfied, e.g. a protected file before its PIN.
    SecurityStatusNotSatisfied,
    /// `6A 82`: file or application not found.
    FileNotFound,
    /// `6A 86` or `6B 00`: wrong parameters P1-P2 (for READ BINARY, an offset past the end).
    WrongP1P2,
    /// `67 00`: wrong length.
    WrongLength,
    /// `6D 00`: instruction not supported.
    InsNotSupported,
    /// Any other status word; the raw value stays in the [`StatusWord`].
    Other,
}

impl fmt::Display for StatusMeaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success => f.write_str("success"),
            Self::MoreDataAvailable { available } => {
                write!(f, "more data available, {available} bytes")
            }
            Self::WrongLe { exact } => write!(f, "wrong Le, the card has {exact} bytes"),
            Self::WrongPin { tries_left: 1 } => f.write_str("not verified, 1 try left"),
            Self::WrongPin { tries_left } => write!(f, "not verified, {tries_left} tries left"),
            Self::PinBlocked => f.write_str("PIN blocked"),
            Self::ReferenceDataNotUsable => f.write_str("reference data not usable"),
            Self::SecurityStatusNotSatisfied => f.write_str("security status not satisfied"),
            Self::FileNotFound => f.write_str("file or application not found"),
            Self::WrongP1P2 => f.write_str("wrong parameters P1-P2"),
            Self::WrongLength => f.write_str("wrong length"),
            Self::InsNotSupported => f.write_str("instruction not supported"),
            Self::Other => f.write_str("unrecognized status"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn meanings_of_the_status_words_the_card_uses() {
        let cases = [
            (0x9000, StatusMeaning::Success),
            (0x6100, StatusMeaning::MoreDataAvailable { available: 256 }),
            (0x6110, StatusMeaning::MoreDataAvailable { available: 16 }),
            (0x6C00, StatusMeaning::WrongLe { exact: 256 }),
            (0x6C0D, StatusMeaning::WrongLe { exact: 13 }),
            (0x63C3, StatusMeaning::WrongPin { tries_left: 3 }),
            (0x63C0, StatusMeaning::WrongPin { tries_left: 0 }),
            (0x63CF, StatusMeaning::WrongPin { tries_left: 15 }),
            (0x6300, StatusMeaning::Other),
            (0x6310, StatusMeaning::Other),
            (0x6983, StatusMeaning::PinBlocked),
            (0x6984, StatusMeaning::ReferenceDataNotUsable),
            (0x6982, StatusMeaning::SecurityStatusNotSatisfied),
            (0x6A82, StatusMeaning::FileNotFound),
            (0x6A86, StatusMeaning::WrongP1P2),
            (0x6B00, StatusMeaning::WrongP1P2),
            (0x6700, StatusMeaning::WrongLength),
            (0x6D00, StatusMeaning::InsNotSupported),
            (0x6E00, StatusMeaning::Other),
            (0x6A88, StatusMeaning::Other),
        ];
        for (raw, meaning) in cases {
            assert_eq!(StatusWord::from_u16(raw).meaning(), meaning, "{raw:04X}");
        }
    }

    #[test]
    fn iso7816_verification_failed_is_not_a_retry_counter() {
        let sw = StatusWord::from(iso7816::Status::VerificationFailed);
        assert_eq!(sw.to_u16(), 0x6300);
        assert_eq!(sw.meaning(), StatusMeaning::Other);
        let sw = StatusWord::from(iso7816::Status::RemainingRetries(2));
        assert_eq!(sw.to_bytes(), [0x63, 0xC2]);
    }

    #[test]
    fn display_keeps_the_raw_bytes() {
        assert_eq!(StatusWord::SUCCESS.to_string(), "90 00 (success)");
        assert_eq!(
            StatusWord::from_u16(0x63C1).to_string(),
            "63 C1 (not verified, 1 try left)"
        );
        assert_eq!(
            StatusWord::from_u16(0x6A88).to_string(),
            "6A 88 (unrecognized status)"
        );
    }

    #[test]
    fn serde_is_four_hex_digits() {
        let json = serde_json::to_string(&StatusWord::from_u16(0x6A82)).unwrap();
        assert_eq!(json, "\"6A82\"");
        let back: StatusWord = serde_json::from_str("\"63c2\"").unwrap();
        assert_eq!(back, StatusWord::from_u16(0x63C2));
        assert!(serde_json::from_str::<StatusWord>("\"63C\"").is_err());
        assert!(serde_json::from_str::<StatusWord>("\"+63C\"").is_err());
        let meaning = serde_json::to_string(&StatusMeaning::WrongPin { tries_left: 2 }).unwrap();
        assert_eq!(meaning, r#"{"kind":"wrong_pin","tries_left":2}"#);
    }
}
