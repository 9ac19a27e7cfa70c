//! The JPKI token (EF 0006): what kind of card or phone answers, and its chip serial; and the
//! certificate-availability file (EF 0008).

use alloc::string::String;

use serde::{Deserialize, Serialize};

use super::layout::problem;
use crate::card::{Application, CardFile, jpki};
use crate::error::{Error, RecordProblem};

/// The smartphone a patient used (スマホ用電子証明書).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmartphonePlatform {
    /// iPhone (token `JPKIAPIOSTOKEN`): the patient authenticates on the phone (Face ID /
    /// Touch ID).
    IPhone,
    /// Android (token `JPKIAPGPSETOKEN`): the PIN is entered on the reader.
    Android,
}

/// What kind of card or device holds the JPKI-AP, from its token's label (EF 0006).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// A My Number Card (label `JPKIAPICCTOKEN2`).
    MyNumberCard,
    /// A 住民基本台帳カード, the card before the My Number Card (label `JPKIAPICCTOKEN`).
    JukiCard,
    /// Smartphone JPKI: only the JPKI-AP; on Android the user-authentication certificate is
    /// read after the PIN.
    Smartphone(SmartphonePlatform),
}

impl CardKind {
    /// The kind named by a token label (ASCII, padded with spaces or NULs).
    ///
    /// # Errors
    ///
    /// [`RecordProblem::UnknownToken`] for any other label.
    pub fn from_label(label: &[u8]) -> Result<Self, Error> {
        let end = label
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        match label.get(..end).unwrap_or(&[]) {
            b"JPKIAPICCTOKEN2" => Ok(Self::MyNumberCard),
            b"JPKIAPICCTOKEN" => Ok(Self::JukiCard),
            b"JPKIAPGPSETOKEN" => Ok(Self::Smartphone(SmartphonePlatform::Android)),
            b"JPKIAPIOSTOKEN" => Ok(Self::Smartphone(SmartphonePlatform::IPhone)),
            _ => Err(token_problem(RecordProblem::UnknownToken)),
        }
    }

    /// The label text.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::MyNumberCard => "JPKIAPICCTOKEN2",
            Self::JukiCard => "JPKIAPICCTOKEN",
            Self::Smartphone(SmartphonePlatform::Android) => "JPKIAPGPSETOKEN",
            Self::Smartphone(SmartphonePlatform::IPhone) => "JPKIAPIOSTOKEN",
        }
    }

    /// Whether this is a phone rather than a card.
    #[must_use]
    pub const fn is_smartphone(self) -> bool {
        matches!(self, Self::Smartphone(_))
    }
}

fn token_problem(problem: RecordProblem) -> Error {
    self::problem(CardFile::new(Application::Jpki, jpki::TOKEN), problem)
}

/// The JPKI token, EF 0006: 160 bytes shaped like PKCS#11 `CK_TOKEN_INFO` with its `CK_ULONG`
/// fields as 32-bit big-endian integers (real-card evidence, fact 5). Its label says what kind
/// of card or phone this is; its serial number, with the certificate's, identifies the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The kind, from the label (bytes 0–31).
    pub kind: CardKind,
    /// `manufacturerID` (bytes 32–63), padding removed.
    pub manufacturer_id: String,
    /// `model` (bytes 64–79), padding removed.
    pub model: String,
    /// `serialNumber` (bytes 80–95), padding removed.
    pub serial_number: String,
    /// `flags` (PKCS#11 `CKF_*`).
    pub flags: u32,
    /// Longest PIN, in bytes.
    pub max_pin_len: u32,
    /// Shortest PIN, in bytes.
    pub min_pin_len: u32,
    /// The raw `hardwareVersion` slot (ASCII on the cards seen).
    pub hardware_version: [u8; 2],
    /// The raw `firmwareVersion` slot.
    pub firmware_version: [u8; 2],
}

/// Field offsets of the token, per PKCS#11 `CK_TOKEN_INFO` with 4-byte integers.
mod field {
    use core::ops::Range;

    pub(super) const LABEL: Range<usize> = 0..32;
    pub(super) const MANUFACTURER: Range<usize> = 32..64;
    pub(super) const MODEL: Range<usize> = 64..80;
    pub(super) const SERIAL: Range<usize> = 80..96;
    pub(super) const FLAGS: usize = 96;
    pub(super) const MAX_PIN_LEN: usize = 116;
    pub(super) const MIN_PIN_LEN: usize = 120;
    pub(super) const HARDWARE_VERSION: Range<usize> = 140..142;
    pub(super) const FIRMWARE_VERSION: Range<usize> = 142..144;
}

impl TokenInfo {
    /// Size of the token.
    pub const LEN: usize = jpki::TOKEN_LEN;

    /// Parses the 160 bytes of EF 0006.
    ///
    /// # Errors
    ///
    /// [`RecordProblem::WrongLength`] unless exactly 160 bytes, [`RecordProblem::UnknownToken`]
    /// for an unknown label, [`RecordProblem::NotTextAt`] for a text field that is not ASCII.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: &[u8; Self::LEN] = bytes.try_into().map_err(|_| {
            token_problem(RecordProblem::WrongLength {
                expected: Self::LEN,
                got: bytes.len(),
            })
        })?;
        let text = |range: core::ops::Range<usize>| -> Result<String, Error> {
            let start = range.start;
            let raw = bytes.get(range).unwrap_or(&[]);
            let end = raw
                .iter()
                .rposition(|&b| b != b' ' && b != 0)
                .map_or(0, |i| i + 1);
            let raw = raw.get(..end).unwrap_or(&[]);
            if !raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                return Err(token_problem(RecordProblem::NotTextAt { offset: start }));
            }
            Ok(raw.iter().map(|&b| char::from(b)).collect())
        };
        let word = |offset: usize| {
            let mut out = [0u8; 4];
            out.copy_from_slice(bytes.get(offset..offset + 4).unwrap_or(&[0; 4]));
            u32::from_be_bytes(out)
        };
        let pair = |range: core::ops::Range<usize>| {
            let mut out = [0u8; 2];
            out.copy_from_slice(bytes.get(range).unwrap_or(&[0; 2]));
            out
        };
        Ok(Self {
            kind: CardKind::from_label(bytes.get(field::LABEL).unwrap_or(&[]))?,
            manufacturer_id: text(field::MANUFACTURER)?,
            model: text(field::MODEL)?,
            serial_number: text(field::SERIAL)?,
            flags: word(field::FLAGS),
            max_pin_len: word(field::MAX_PIN_LEN),
            min_pin_len: word(field::MIN_PIN_LEN),
            hardware_version: pair(field::HARDWARE_VERSION),
            firmware_version: pair(field::FIRMWARE_VERSION),
        })
    }
}

/// Which certificates the card carries, from JPKI EF 0008 (3 bytes, no filler).
///
/// A card with both answers `8F 8F 00` (real-card evidence, fact 6): the first byte is about
/// the signing certificate, the second about the user-authentication certificate; the third is
/// not understood and kept raw. A child under fifteen gets no signing certificate, and the
/// first byte then differs; which value it takes is unconfirmed, so anything but `8F` reads as
/// "not there".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateAvailability {
    /// The three bytes as stored.
    pub raw: [u8; 3],
}

impl CertificateAvailability {
    /// The byte a card shows for a certificate it carries.
    pub const PRESENT: u8 = 0x8F;

    /// Parses EF 0008.
    ///
    /// # Errors
    ///
    /// [`RecordProblem::WrongLength`] unless exactly 3 bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let raw = <[u8; 3]>::try_from(bytes).map_err(|_| {
            problem(
                CardFile::new(Application::Jpki, jpki::CERTIFICATE_AVAILABILITY),
                RecordProblem::WrongLength {
                    expected: 3,
                    got: bytes.len(),
                },
            )
        })?;
        Ok(Self { raw })
    }

    /// Whether the signing certificate (署名用電子証明書) is there.
    #[must_use]
    pub const fn has_signing_certificate(&self) -> bool {
        self.raw[0] == Self::PRESENT
    }

    /// Whether the user-authentication certificate (利用者証明用電子証明書) is there.
    #[must_use]
    pub const fn has_user_auth_certificate(&self) -> bool {
        self.raw[1] == Self::PRESENT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::MalformedCardData;
    use alloc::vec::Vec;

    fn token(label: &[u8]) -> Vec<u8> {
        let mut raw = alloc::vec![b' '; TokenInfo::LEN];
        raw[..label.len()].copy_from_slice(label);
        raw[32..64].copy_from_slice(b"00000000000000000000000000000001");
        raw[64..72].copy_from_slice(b"E16R01NJ");
        raw[80..96].copy_from_slice(b"0000000020500003");
        raw[96..100].copy_from_slice(&0x0000_040Du32.to_be_bytes());
        raw[116..120].copy_from_slice(&16u32.to_be_bytes());
        raw[120..124].copy_from_slice(&6u32.to_be_bytes());
        raw[140..144].copy_from_slice(b"0301");
        raw
    }

    #[test]
    fn labels_say_the_kind() {
        for (label, kind) in [
            (&b"JPKIAPICCTOKEN2"[..], CardKind::MyNumberCard),
            (b"JPKIAPICCTOKEN", CardKind::JukiCard),
            (
                b"JPKIAPGPSETOKEN",
                CardKind::Smartphone(SmartphonePlatform::Android),
            ),
            (
                b"JPKIAPIOSTOKEN",
                CardKind::Smartphone(SmartphonePlatform::IPhone),
            ),
        ] {
            let info = TokenInfo::parse(&token(label)).unwrap();
            assert_eq!(info.kind, kind);
            assert_eq!(kind.label().as_bytes(), label);
        }
        let info = TokenInfo::parse(&token(b"JPKIAPICCTOKEN2")).unwrap();
        assert_eq!(info.serial_number, "0000000020500003");
        assert_eq!(info.model, "E16R01NJ");
        assert_eq!((info.min_pin_len, info.max_pin_len), (6, 16));
        assert_eq!(info.flags, 0x040D);
        assert_eq!(&info.hardware_version, b"03");
    }

    #[test]
    fn a_bad_token_is_a_typed_error() {
        let file = CardFile::new(Application::Jpki, jpki::TOKEN);
        assert_eq!(
            TokenInfo::parse(&token(b"JPKIAPICCTOKEN2")[..159]),
            Err(Error::MalformedCardData(MalformedCardData::Record {
                file,
                problem: RecordProblem::WrongLength {
                    expected: 160,
                    got: 159
                }
            }))
        );
        assert_eq!(
            TokenInfo::parse(&token(b"JPKIAPICCTOKEN3")),
            Err(Error::MalformedCardData(MalformedCardData::Record {
                file,
                problem: RecordProblem::UnknownToken
            }))
        );
        let mut bad_text = token(b"JPKIAPICCTOKEN2");
        bad_text[85] = 0xFF;
        assert_eq!(
            TokenInfo::parse(&bad_text),
            Err(Error::MalformedCardData(MalformedCardData::Record {
                file,
                problem: RecordProblem::NotTextAt { offset: 80 }
            }))
        );
    }

    #[test]
    fn certificate_availability() {
        let both = CertificateAvailability::parse(&[0x8F, 0x8F, 0x00]).unwrap();
        assert!(both.has_signing_certificate() && both.has_user_auth_certificate());
        let child = CertificateAvailability::parse(&[0x00, 0x8F, 0x00]).unwrap();
        assert!(!child.has_signing_certificate() && child.has_user_auth_certificate());
        assert!(CertificateAvailability::parse(&[0x8F, 0x8F]).is_err());
        assert!(CertificateAvailability::parse(&[0x8F; 4]).is_err());
    }
}
