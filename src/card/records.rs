//! The records the card returns, parsed: the token, the user-authentication certificate, the
//! basic 4 info, the card-face entries and the My Number.
//!
//! Each parser takes the bytes of a file and returns a value or an error naming the file and
//! the problem; none of them panics (the `card_records` fuzz target checks it).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use zeroize::Zeroizing;

use super::{Application, card_face, card_info, jpki};
use crate::apdu::FileId;
use crate::apdu::tlv::{Tag, Tlv};
use crate::error::{CardFile, Error, MalformedCardData, RecordProblem};
use crate::time::{Date, Timestamp};

/// What kind of card or device holds the JPKI-AP, from its token (EF 0006).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// A My Number Card (token `JPKIAPICCTOKEN2`).
    MyNumberCard,
    /// A 住民基本台帳カード, the card before the My Number Card (token `JPKIAPICCTOKEN`).
    JukiCard,
    /// Smartphone JPKI in a GP secure element (token `JPKIAPGPSETOKEN`): only the JPKI-AP, and
    /// the user-authentication certificate is read after the PIN.
    Smartphone,
}

impl CardKind {
    /// The kind named by a token file's content (ASCII, padded with spaces or NULs).
    ///
    /// # Errors
    ///
    /// [`RecordProblem::UnknownToken`] for any other token.
    pub fn from_token(bytes: &[u8]) -> Result<Self, Error> {
        let end = bytes
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        match bytes.get(..end).unwrap_or(&[]) {
            b"JPKIAPICCTOKEN2" => Ok(Self::MyNumberCard),
            b"JPKIAPICCTOKEN" => Ok(Self::JukiCard),
            b"JPKIAPGPSETOKEN" => Ok(Self::Smartphone),
            _ => Err(record_error(
                Application::Jpki,
                jpki::TOKEN,
                RecordProblem::UnknownToken,
            )),
        }
    }

    /// The token text.
    #[must_use]
    pub const fn token(self) -> &'static str {
        match self {
            Self::MyNumberCard => "JPKIAPICCTOKEN2",
            Self::JukiCard => "JPKIAPICCTOKEN",
            Self::Smartphone => "JPKIAPGPSETOKEN",
        }
    }
}

/// The user-authentication certificate (利用者証明用電子証明書), parsed with `x509-cert`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAuthCertificate {
    #[serde(with = "hex_bytes")]
    serial: Vec<u8>,
    subject: String,
    issuer: String,
    not_before: Timestamp,
    not_after: Timestamp,
    #[serde(with = "hex_bytes")]
    der: Vec<u8>,
}

impl UserAuthCertificate {
    /// Parses a DER certificate.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData::Certificate`] when it is not a valid X.509 certificate.
    pub fn from_der(der: Vec<u8>) -> Result<Self, Error> {
        let invalid = || {
            Error::from(MalformedCardData::Certificate {
                file: CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE),
            })
        };
        let certificate = Certificate::from_der(&der).map_err(|_| invalid())?;
        let tbs = certificate.tbs_certificate();
        let seconds = |time: x509_cert::time::Time| {
            i64::try_from(time.to_unix_duration().as_secs()).map(Timestamp::from_unix_seconds)
        };
        let validity = tbs.validity();
        Ok(Self {
            serial: tbs.serial_number().as_bytes().to_vec(),
            subject: tbs.subject().to_string(),
            issuer: tbs.issuer().to_string(),
            not_before: seconds(validity.not_before).map_err(|_| invalid())?,
            not_after: seconds(validity.not_after).map_err(|_| invalid())?,
            der,
        })
    }

    /// The serial number's bytes.
    #[must_use]
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The subject, as an RFC 4514 string.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer, as an RFC 4514 string.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Start of validity.
    #[must_use]
    pub const fn not_before(&self) -> Timestamp {
        self.not_before
    }

    /// End of validity.
    #[must_use]
    pub const fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// The certificate as the card stores it (DER).
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The SubjectPublicKeyInfo (DER), to check a signature made with the card's key.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData::Certificate`] if the certificate no longer parses (it always does
    /// after [`from_der`](Self::from_der)).
    pub fn public_key_info_der(&self) -> Result<Vec<u8>, Error> {
        let invalid = || {
            Error::from(MalformedCardData::Certificate {
                file: CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE),
            })
        };
        let certificate = Certificate::from_der(&self.der).map_err(|_| invalid())?;
        certificate
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| invalid())
    }
}

impl fmt::Debug for UserAuthCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuthCertificate")
            .field("serial", &crate::apdu::HexBytes(&self.serial))
            .field("subject", &self.subject)
            .field("not_before", &self.not_before.date())
            .field("not_after", &self.not_after.date())
            .field("der_len", &self.der.len())
            .finish()
    }
}

/// Sex as the card records it (ISO 5218).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `0`: not known.
    NotKnown,
    /// `1`: male (男).
    Male,
    /// `2`: female (女).
    Female,
    /// `9`: not applicable.
    NotApplicable,
}

impl Sex {
    fn from_code(code: &[u8]) -> Option<Self> {
        match code {
            b"0" => Some(Self::NotKnown),
            b"1" => Some(Self::Male),
            b"2" => Some(Self::Female),
            b"9" => Some(Self::NotApplicable),
            _ => None,
        }
    }

    /// The ISO 5218 code the card stores.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::NotKnown => b'0',
            Self::Male => b'1',
            Self::Female => b'2',
            Self::NotApplicable => b'9',
        }
    }
}

/// The basic 4 info (基本4情報) of the card-info AP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicInfo {
    /// Name (氏名), UTF-8.
    pub name: String,
    /// Address (住所), UTF-8.
    pub address: String,
    /// Birth date as the card stores it (8 digits, YYYYMMDD).
    pub birth_date: String,
    /// Sex.
    pub sex: Sex,
}

const RECORD_CONTAINER: u32 = 0xFF20;

impl BasicInfo {
    /// Parses EF 0002 of the card-info AP: `FF 20 { DF21 …, DF22 name, DF23 address, DF24 birth
    /// date, DF25 sex }`, fields found by tag. Bytes after the container (padding) are ignored.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData`] naming the problem.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let record = Record::open(
            CardFile::new(Application::CardInfo, card_info::BASIC_INFO),
            bytes,
        )?;
        Ok(Self {
            name: record.text(0xDF22)?,
            address: record.text(0xDF23)?,
            birth_date: record.text(0xDF24)?,
            sex: record.sex(0xDF25)?,
        })
    }

    /// The birth date, when it is a valid YYYYMMDD date.
    #[must_use]
    pub fn birth_date(&self) -> Option<Date> {
        parse_yyyymmdd(&self.birth_date)
    }
}

/// The card-face entries of the card-face AP (券面事項確認AP), with the face photo.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFaceEntries {
    /// Birth date as printed (text).
    pub birth_date: String,
    /// Sex.
    pub sex: Sex,
    /// Card expiry date as printed (text).
    pub expiry: String,
    /// The face photo, JPEG 2000 as stored (monochrome on real cards). `None` on a card issued
    /// without a photo (under-one-year-olds).
    #[serde(with = "hex_bytes_option")]
    pub photo: Option<Vec<u8>>,
    /// The name as an image (PNG).
    #[serde(with = "hex_bytes")]
    pub name_image: Vec<u8>,
    /// The address as an image (PNG).
    #[serde(with = "hex_bytes")]
    pub address_image: Vec<u8>,
    /// The security code as an image (PNG).
    #[serde(with = "hex_bytes")]
    pub security_code_image: Vec<u8>,
}

impl CardFaceEntries {
    /// Parses EF 0002 of the card-face AP: `FF 20 { DF21 header, DF22 birth date, DF23 sex, DF24
    /// public key, DF25 name image, DF26 address image, DF27 photo, DF28 signature, DF29 expiry,
    /// DF2A security-code image }`. An absent or empty DF27 means no photo.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData`] naming the problem.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let record = Record::open(
            CardFile::new(Application::CardFace, card_face::ENTRIES),
            bytes,
        )?;
        let photo = record.optional(0xDF27)?.filter(|photo| !photo.is_empty());
        Ok(Self {
            birth_date: record.text(0xDF22)?,
            sex: record.sex(0xDF23)?,
            expiry: record.text(0xDF29)?,
            photo: photo.map(<[u8]>::to_vec),
            name_image: record.bytes(0xDF25)?.to_vec(),
            address_image: record.bytes(0xDF26)?.to_vec(),
            security_code_image: record.bytes(0xDF2A)?.to_vec(),
        })
    }
}

/// `Debug` gives the sizes of the images, not their bytes.
impl fmt::Debug for CardFaceEntries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardFaceEntries")
            .field("birth_date", &self.birth_date)
            .field("sex", &self.sex)
            .field("expiry", &self.expiry)
            .field("photo_len", &self.photo.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

/// The My Number (個人番号), a secret: masked in `Debug`, no `Display`, no serde, zeroized on
/// drop.
#[derive(Clone, PartialEq, Eq)]
pub struct MyNumber(Zeroizing<String>);

impl MyNumber {
    /// Parses EF 0001 of the card-info AP: a 3-byte header (`FF 10 0C` or `DF 10 0C`, read as
    /// BER-TLV) and 12 ASCII digits.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData`] when it is not 12 digits.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let file = CardFile::new(Application::CardInfo, card_info::MY_NUMBER);
        let (tlv, _) = Tlv::parse(bytes).map_err(|error| MalformedCardData::Tlv { file, error })?;
        let digits = tlv.value();
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(record_error(
                Application::CardInfo,
                card_info::MY_NUMBER,
                RecordProblem::InvalidValue {
                    tag: tlv.tag().to_u32(),
                },
            ));
        }
        let text: String = digits.iter().map(|&b| char::from(b)).collect();
        Ok(Self(Zeroizing::new(text)))
    }

    /// The 12 digits. Call this only where the number must be shown or sent.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(***)")
    }
}

/// A `FF 20` record, its fields found by tag.
struct Record<'a> {
    file: CardFile,
    container: Tlv<'a>,
}

impl<'a> Record<'a> {
    fn open(file: CardFile, bytes: &'a [u8]) -> Result<Self, Error> {
        let (container, _padding) =
            Tlv::parse(bytes).map_err(|error| MalformedCardData::Tlv { file, error })?;
        if container.tag().to_u32() != RECORD_CONTAINER {
            return Err(MalformedCardData::Record {
                file,
                problem: RecordProblem::MissingField {
                    tag: RECORD_CONTAINER,
                },
            }
            .into());
        }
        Ok(Self { file, container })
    }

    fn optional(&self, tag: u32) -> Result<Option<&'a [u8]>, Error> {
        let Some(tag) = Tag::from_u32(tag) else {
            return Ok(None);
        };
        let found = self
            .container
            .find(tag)
            .map_err(|error| MalformedCardData::Tlv {
                file: self.file,
                error,
            })?;
        Ok(found.map(|tlv| tlv.value()))
    }

    fn bytes(&self, tag: u32) -> Result<&'a [u8], Error> {
        self.optional(tag)?
            .ok_or_else(|| self.problem(RecordProblem::MissingField { tag }))
    }

    fn text(&self, tag: u32) -> Result<String, Error> {
        let bytes = self.bytes(tag)?;
        core::str::from_utf8(bytes)
            .map(String::from)
            .map_err(|_| self.problem(RecordProblem::NotText { tag }))
    }

    fn sex(&self, tag: u32) -> Result<Sex, Error> {
        Sex::from_code(self.bytes(tag)?)
            .ok_or_else(|| self.problem(RecordProblem::InvalidValue { tag }))
    }

    fn problem(&self, problem: RecordProblem) -> Error {
        MalformedCardData::Record {
            file: self.file,
            problem,
        }
        .into()
    }
}

fn record_error(application: Application, file: FileId, problem: RecordProblem) -> Error {
    MalformedCardData::Record {
        file: CardFile::new(application, file),
        problem,
    }
    .into()
}

/// `YYYYMMDD` as a date.
fn parse_yyyymmdd(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text.get(0..4)?.parse().ok()?;
    let month = text.get(4..6)?.parse().ok()?;
    let day = text.get(6..8)?.parse().ok()?;
    Date::new(year, month, day)
}

/// Byte strings as upper-case hex in serde.
mod hex_bytes {
    use alloc::string::String;
    use alloc::vec::Vec;

    pub(super) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}", Compact(bytes)))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        decode(&text)
            .ok_or_else(|| serde::de::Error::custom("expected an even number of hex digits"))
    }

    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                text.get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect()
    }

    pub(super) struct Compact<'a>(pub(super) &'a [u8]);

    impl core::fmt::Display for Compact<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
        }
    }
}

mod hex_bytes_option {
    use alloc::string::String;
    use alloc::vec::Vec;

    pub(super) fn serialize<S: serde::Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.collect_str(&format_args!("{}", super::hex_bytes::Compact(bytes))),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(d)?;
        text.map(|text| {
            super::hex_bytes::decode(&text)
                .ok_or_else(|| serde::de::Error::custom("expected an even number of hex digits"))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::tlv;
    use alloc::format;

    fn record(fields: &[(u32, &[u8])]) -> Vec<u8> {
        let mut inner = Vec::new();
        for (tag, value) in fields {
            tlv::encode(Tag::from_u32(*tag).unwrap(), value, &mut inner).unwrap();
        }
        let mut out = Vec::new();
        tlv::encode(Tag::from_u32(0xFF20).unwrap(), &inner, &mut out).unwrap();
        out
    }

    #[test]
    fn tokens() {
        assert_eq!(
            CardKind::from_token(b"JPKIAPICCTOKEN2                 ").unwrap(),
            CardKind::MyNumberCard
        );
        assert_eq!(
            CardKind::from_token(b"JPKIAPICCTOKEN\0\0").unwrap(),
            CardKind::JukiCard
        );
        assert_eq!(
            CardKind::from_token(b"JPKIAPGPSETOKEN").unwrap(),
            CardKind::Smartphone
        );
        assert!(CardKind::from_token(b"OTHER").is_err());
        assert!(CardKind::from_token(b"").is_err());
    }

    #[test]
    fn basic_info_by_tag_with_padding() {
        let mut bytes = record(&[
            (0xDF21, &[0, 1, 2, 3]),
            (0xDF22, "音資 太郎".as_bytes()),
            (0xDF23, "東京都".as_bytes()),
            (0xDF24, b"19850401"),
            (0xDF25, b"1"),
        ]);
        bytes.extend_from_slice(&[0xFF; 5]);
        let info = BasicInfo::parse(&bytes).unwrap();
        assert_eq!(info.name, "音資 太郎");
        assert_eq!(info.sex, Sex::Male);
        assert_eq!(info.birth_date(), Date::new(1985, 4, 1));
        let missing = record(&[(0xDF22, b"x"), (0xDF23, b"y"), (0xDF24, b"19850401")]);
        assert_eq!(
            BasicInfo::parse(&missing).unwrap_err(),
            Error::MalformedCardData(MalformedCardData::Record {
                file: CardFile::new(Application::CardInfo, card_info::BASIC_INFO),
                problem: RecordProblem::MissingField { tag: 0xDF25 },
            })
        );
        let bad_sex = record(&[
            (0xDF22, b"x"),
            (0xDF23, b"y"),
            (0xDF24, b"1"),
            (0xDF25, b"3"),
        ]);
        assert!(BasicInfo::parse(&bad_sex).is_err());
    }

    #[test]
    fn my_number_is_masked() {
        let mut bytes = vec![0xFF, 0x10, 0x0C];
        bytes.extend_from_slice(b"123456789018");
        bytes.extend_from_slice(&[0xFF, 0xFF]);
        let number = MyNumber::parse(&bytes).unwrap();
        assert_eq!(number.expose_secret(), "123456789018");
        assert_eq!(format!("{number:?}"), "MyNumber(***)");
        assert!(MyNumber::parse(&[0xFF, 0x10, 0x02, b'1', b'2']).is_err());
    }

    #[test]
    fn hex_helpers() {
        assert_eq!(hex_bytes::decode("0aFF"), Some(vec![0x0A, 0xFF]));
        assert_eq!(hex_bytes::decode("0"), None);
        assert_eq!(hex_bytes::decode("zz"), None);
    }
}
