//! The holder's identity as the card records it: the user-authentication certificate
//! (X.509), the basic 4 info and the My Number.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use zeroize::Zeroizing;

use super::layout::{Record, hex_bytes, problem};
use crate::apdu::tlv::Tlv;
use crate::card::{Application, CardFile, card_info, jpki};
use crate::error::{Error, MalformedCardData, RecordProblem};
use crate::time::{Date, Timestamp};

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
            subject: name_to_string(tbs.subject()),
            issuer: name_to_string(tbs.issuer()),
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

/// A distinguished name as an RFC 4514 string, the same text as `x509-cert`'s `Display` but
/// without its search of the whole OID database for every attribute (45 µs a certificate):
/// the attributes JPKI certificates use are named from a short table, any other goes through
/// `x509-cert`'s own formatting.
fn name_to_string(name: &x509_cert::name::Name) -> String {
    use core::fmt::Write;
    use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
    use x509_cert::der::{Tag, Tagged};
    const SHORT_NAMES: [(&str, &str); 8] = [
        ("2.5.4.3", "CN"),
        ("2.5.4.5", "SERIALNUMBER"),
        ("2.5.4.6", "C"),
        ("2.5.4.7", "L"),
        ("2.5.4.8", "ST"),
        ("2.5.4.9", "STREET"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
    ];
    let mut out = String::new();
    let rdns: Vec<_> = name.as_ref().iter().collect();
    for (i, rdn) in rdns.into_iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, attribute) in rdn.as_ref().iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let value = &attribute.value;
            let text = match value.tag() {
                Tag::PrintableString => {
                    PrintableStringRef::try_from(value).ok().map(|s| s.as_str())
                }
                Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
                Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
                Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
                _ => None,
            };
            let oid = attribute.oid.to_string();
            let short = SHORT_NAMES
                .iter()
                .find(|(dotted, _)| *dotted == oid)
                .map(|(_, short)| *short);
            let (Some(short), Some(text)) = (short, text) else {
                let _ = write!(out, "{attribute}");
                continue;
            };
            out.push_str(short);
            out.push('=');
            let mut chars = text.char_indices().peekable();
            while let Some((index, c)) = chars.next() {
                match c {
                    '#' if index == 0 => out.push_str("\\#"),
                    ' ' if index == 0 || chars.peek().is_none() => out.push_str("\\ "),
                    '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\x00'..='\x1f' | '\x7f' => {
                        let _ = write!(out, "\\{:02x}", c as u8);
                    }
                    _ => out.push(c),
                }
            }
        }
    }
    out
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
///
/// Personal data: `Debug` shows only the lengths of the name and address and masks the birth
/// date, so a log line never carries them; serde gives them whole, for the vendor to protect.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
            0xFF20,
            bytes,
        )?;
        Ok(Self {
            name: record.text(0xDF22)?,
            address: record.text(0xDF23)?,
            birth_date: record.text(0xDF24)?,
            sex: sex(&record, 0xDF25)?,
        })
    }

    /// The birth date, when it is a valid YYYYMMDD date.
    #[must_use]
    pub fn birth_date(&self) -> Option<Date> {
        parse_yyyymmdd(&self.birth_date)
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
            return Err(problem(
                file,
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

impl fmt::Debug for BasicInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BasicInfo {{ name: ({} chars), address: ({} chars), birth_date: ***, sex: {:?} }}",
            self.name.chars().count(),
            self.address.chars().count(),
            self.sex
        )
    }
}

impl fmt::Debug for MyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MyNumber(***)")
    }
}

/// The sex field `tag` of `record`.
pub(super) fn sex(record: &Record<'_>, tag: u32) -> Result<Sex, Error> {
    Sex::from_code(record.bytes(tag)?)
        .ok_or_else(|| record.problem(RecordProblem::InvalidValue { tag }))
}

/// `YYYYMMDD` as a date.
pub(super) fn parse_yyyymmdd(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text.get(0..4)?.parse().ok()?;
    let month = text.get(4..6)?.parse().ok()?;
    let day = text.get(6..8)?.parse().ok()?;
    Date::new(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::tlv::{self, Tag};
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
    fn names_read_as_x509_cert_reads_them() {
        use x509_cert::der::Decode;
        use x509_cert::name::Name;
        for text in [
            "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,OU=Japan Agency for Local Authority Information Systems",
            "CN=997794E9AGCIEG13221003A,C=JP",
            "CN=a\\,b\\+c,L=Tokyo-to,C=JP",
            "CN=\\#lead and trail\\ ,C=JP",
            "UID=jsmith,DC=example,C=JP",
        ] {
            let name: Name = text.parse().unwrap();
            let der = Encode::to_der(&name).unwrap();
            let name = Name::from_der(&der).unwrap();
            assert_eq!(name_to_string(&name), name.to_string(), "{text}");
        }
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
}
