//! What proves the card's data genuine: RSA public keys in the card's own encoding,
//! card-verifiable certificates, and the integrity record of the card-info AP. Parsed and kept
//! intact here; checking the signatures is the authenticity layer's job.

use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::layout::{Record, hex_bytes, problem};
use crate::apdu::tlv::{Tlv, TlvIter};
use crate::card::{Application, CardFile, card_info};
use crate::error::{Error, MalformedCardData, RecordProblem};

/// Tag of the exponent inside a card public key.
const EXPONENT: u32 = 0x90;
/// Tag of the modulus inside a card public key.
const MODULUS: u32 = 0x91;
/// Longest modulus accepted (RSA-4096); the card's keys are RSA-2048 (256 bytes).
const MAX_MODULUS_LEN: usize = 512;
/// Longest public exponent accepted.
const MAX_EXPONENT_LEN: usize = 8;

/// An RSA public key as the card encodes it: `90 <exponent> 91 <modulus>` (e.g. `90 03 010001
/// 91 82 0100 <256 bytes>`), inside the card face's `DF24`, the age record's `DF12`, EF 0007's
/// `DF51`, EF 0006's `A1` and the card-verifiable certificates.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardPublicKey {
    #[serde(with = "hex_bytes")]
    exponent: Vec<u8>,
    #[serde(with = "hex_bytes")]
    modulus: Vec<u8>,
}

impl CardPublicKey {
    /// Parses `90 … 91 …` (nothing else, nothing after).
    ///
    /// # Errors
    ///
    /// [`RecordProblem::InvalidValue`] (tag `0x90` or `0x91`) naming `file`, or a TLV error.
    pub fn parse(file: CardFile, bytes: &[u8]) -> Result<Self, Error> {
        let tlv_error = |error| Error::from(MalformedCardData::Tlv { file, error });
        let mut fields = TlvIter::new(bytes);
        let mut next = |tag: u32| -> Result<&[u8], Error> {
            match fields.next() {
                Some(Ok(field)) if field.tag().to_u32() == tag => Ok(field.value()),
                Some(Err(error)) => Err(tlv_error(error)),
                _ => Err(problem(file, RecordProblem::MissingField { tag })),
            }
        };
        let exponent = next(EXPONENT)?;
        let modulus = next(MODULUS)?;
        if fields.next().is_some() {
            return Err(problem(file, RecordProblem::InvalidValue { tag: MODULUS }));
        }
        if exponent.is_empty() || exponent.len() > MAX_EXPONENT_LEN {
            return Err(problem(file, RecordProblem::InvalidValue { tag: EXPONENT }));
        }
        if modulus.is_empty() || modulus.len() > MAX_MODULUS_LEN {
            return Err(problem(file, RecordProblem::InvalidValue { tag: MODULUS }));
        }
        Ok(Self {
            exponent: exponent.to_vec(),
            modulus: modulus.to_vec(),
        })
    }

    /// The public exponent, big-endian.
    #[must_use]
    pub fn exponent(&self) -> &[u8] {
        &self.exponent
    }

    /// The modulus, big-endian.
    #[must_use]
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The key size in bits, from the modulus (leading zero bytes not counted).
    #[must_use]
    pub fn bits(&self) -> usize {
        let skip = self.modulus.iter().take_while(|&&b| b == 0).count();
        let Some(&first) = self.modulus.get(skip) else {
            return 0;
        };
        (self.modulus.len() - skip - 1) * 8 + (8 - first.leading_zeros() as usize)
    }
}

impl fmt::Debug for CardPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardPublicKey(RSA-{})", self.bits())
    }
}

/// A key identifier of a card-verifiable certificate (証明者鍵ID / 被証明者鍵ID): 16 bytes,
/// e.g. `"6000023"`, `08 05`, `"001"` and zeros. Compared on all sixteen bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(#[serde(with = "key_id_hex")] [u8; 16]);

impl KeyId {
    /// A key id from its 16 bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The printable name at the start (`"6000023"`), up to the first non-printable byte.
    #[must_use]
    pub fn name(&self) -> &str {
        let end = self
            .0
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(self.0.len());
        core::str::from_utf8(self.0.get(..end).unwrap_or(&[])).unwrap_or("")
    }
}

impl fmt::Display for KeyId {
    /// The name, then the whole id in hex: `6000023 (36303030303233080530303100000000)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), crate::apdu::CompactHex(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

mod key_id_hex {
    pub(super) fn serialize<S: serde::Serializer>(id: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        super::hex_bytes::serialize(id, s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<[u8; 16], D::Error> {
        let bytes = super::hex_bytes::deserialize(d)?;
        <[u8; 16]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom("a key id has 16 bytes"))
    }
}

/// A card-verifiable certificate (`7F 21 { 5F 4E body, 5F 37 signature }`): the body is the
/// issuer's key id (証明者鍵ID, 16 bytes), the subject's key id (被証明者鍵ID, 16 bytes) and the
/// certified RSA key; the signature is the issuer key's over the body.
///
/// Found in EF 0004 of both 券面 applications (with the `7F 21` template) and at MF level by
/// GET DATA (`00F8`, `7F21`; the template's content, sometimes after a `4D` header list). Both
/// forms parse.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardVerifiableCertificate {
    /// Who signed it (証明者鍵ID).
    pub issuer_key_id: KeyId,
    /// Whose key it certifies (被証明者鍵ID).
    pub subject_key_id: KeyId,
    /// The certified key.
    pub public_key: CardPublicKey,
    #[serde(with = "hex_bytes")]
    signature: Vec<u8>,
    #[serde(with = "hex_bytes")]
    body: Vec<u8>,
}

/// Tags of a card-verifiable certificate.
const CV_TEMPLATE: u32 = 0x7F21;
const CV_BODY: u32 = 0x5F4E;
const CV_SIGNATURE: u32 = 0x5F37;
const CV_HEADER_LIST: u32 = 0x4D;
/// Two key ids before the key.
const KEY_IDS_LEN: usize = 32;

impl CardVerifiableCertificate {
    /// Parses a certificate read from `file` (EF 0004, or a GET DATA object: pass the file
    /// whose access brought it, for the error).
    ///
    /// # Errors
    ///
    /// [`MalformedCardData`] naming `file` and what is wrong: no body or signature, a body
    /// shorter than two key ids, a key that does not parse, a signature of another size than
    /// the issuer key's (256 bytes for RSA-2048).
    pub fn parse(file: CardFile, bytes: &[u8]) -> Result<Self, Error> {
        let tlv_error = |error| Error::from(MalformedCardData::Tlv { file, error });
        let contents = match Tlv::parse(bytes) {
            Ok((template, _filler)) if template.tag().to_u32() == CV_TEMPLATE => template.value(),
            _ => bytes,
        };
        let mut body = None;
        let mut signature = None;
        for field in TlvIter::new(contents) {
            let field = field.map_err(tlv_error)?;
            match field.tag().to_u32() {
                CV_BODY => body = Some(field.value()),
                CV_SIGNATURE => signature = Some(field.value()),
                CV_HEADER_LIST => {}
                // Filler after the certificate (an EF larger than its content).
                0xFF | 0x00 => break,
                tag => return Err(problem(file, RecordProblem::InvalidValue { tag })),
            }
        }
        let body =
            body.ok_or_else(|| problem(file, RecordProblem::MissingField { tag: CV_BODY }))?;
        let signature = signature
            .ok_or_else(|| problem(file, RecordProblem::MissingField { tag: CV_SIGNATURE }))?;
        let (Some(issuer), Some(subject), Some(key)) = (
            body.get(..16),
            body.get(16..KEY_IDS_LEN),
            body.get(KEY_IDS_LEN..),
        ) else {
            return Err(problem(file, RecordProblem::InvalidValue { tag: CV_BODY }));
        };
        let id = |bytes: &[u8]| {
            <[u8; 16]>::try_from(bytes)
                .map(KeyId)
                .map_err(|_| problem(file, RecordProblem::InvalidValue { tag: CV_BODY }))
        };
        let public_key = CardPublicKey::parse(file, key)?;
        Ok(Self {
            issuer_key_id: id(issuer)?,
            subject_key_id: id(subject)?,
            public_key,
            signature: signature.to_vec(),
            body: body.to_vec(),
        })
    }

    /// The issuer's signature over [`body`](Self::body).
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Exactly the bytes the signature covers: the `5F 4E` value.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl fmt::Debug for CardVerifiableCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardVerifiableCertificate")
            .field("issuer_key_id", &self.issuer_key_id)
            .field("subject_key_id", &self.subject_key_id)
            .field("public_key", &self.public_key)
            .field("signature_len", &self.signature.len())
            .finish()
    }
}

/// The integrity record of the card-info AP, EF 0003: `FF 30 { DF31 SHA-256 of the My Number
/// file as stored (filler included), DF32 SHA-256 of the basic 4 info's fields after the offset
/// table, DF33 the issuer's signature over DF31 and DF32 as written }`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityRecord {
    /// SHA-256 of the My Number file (EF 0001) as stored, filler included.
    pub my_number_digest: [u8; 32],
    /// SHA-256 of the basic 4 info (EF 0002): the container's value after the offset table.
    pub basic_info_digest: [u8; 32],
    #[serde(with = "hex_bytes")]
    signature: Vec<u8>,
    #[serde(with = "hex_bytes")]
    signed: Vec<u8>,
}

impl IntegrityRecord {
    /// Parses EF 0003 of the card-info AP.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData`] naming the file: a missing field, a digest of another length than
    /// 32 bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let file = CardFile::new(Application::CardInfo, card_info::INTEGRITY);
        let record = Record::open(file, 0xFF30, bytes)?;
        Ok(Self {
            my_number_digest: record.array(0xDF31)?,
            basic_info_digest: record.array(0xDF32)?,
            signature: record.bytes(0xDF33)?.to_vec(),
            signed: record.raw_before(0xDF33)?.to_vec(),
        })
    }

    /// The issuer's signature.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Exactly the bytes the signature covers: `DF31` and `DF32` as written.
    #[must_use]
    pub fn signed_data(&self) -> &[u8] {
        &self.signed
    }
}

impl fmt::Debug for IntegrityRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntegrityRecord")
            .field("signature_len", &self.signature.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::tlv::{self, Tag};
    use crate::card::card_face;

    fn tlv(tag: u32, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        tlv::encode(Tag::from_u32(tag).unwrap(), value, &mut out).unwrap();
        out
    }

    fn key() -> Vec<u8> {
        [tlv(0x90, &[1, 0, 1]), tlv(0x91, &[0xC5; 256])].concat()
    }

    fn cv(issuer: &[u8; 16], subject: &[u8; 16]) -> Vec<u8> {
        let body = [&issuer[..], &subject[..], &key()].concat();
        tlv(
            0x7F21,
            &[tlv(0x5F4E, &body), tlv(0x5F37, &[0xAB; 256])].concat(),
        )
    }

    #[test]
    fn card_public_key() {
        let file = CardFile::new(Application::CardFace, card_face::ENTRIES);
        let parsed = CardPublicKey::parse(file, &key()).unwrap();
        assert_eq!(parsed.exponent(), [1, 0, 1]);
        assert_eq!(parsed.bits(), 2048);
        assert_eq!(alloc::format!("{parsed:?}"), "CardPublicKey(RSA-2048)");
        assert!(CardPublicKey::parse(file, &tlv(0x91, &[1; 256])).is_err());
        assert!(CardPublicKey::parse(file, &[key(), tlv(0x92, &[1])].concat()).is_err());
        assert!(CardPublicKey::parse(file, &key()[..100]).is_err());
    }

    #[test]
    fn card_verifiable_certificate_in_both_forms() {
        let file = CardFile::new(Application::CardFace, card_face::CERTIFICATE);
        let issuer = *b"6000023\x08\x05001\0\0\0\0";
        let subject = *b"1322121\x08\x05000\0\0\0\0";
        let bytes = cv(&issuer, &subject);
        let parsed = CardVerifiableCertificate::parse(file, &bytes).unwrap();
        assert_eq!(parsed.issuer_key_id, KeyId::new(issuer));
        assert_eq!(parsed.issuer_key_id.name(), "6000023");
        assert_eq!(parsed.subject_key_id.name(), "1322121");
        assert_eq!(parsed.signature().len(), 256);
        assert_eq!(parsed.body().len(), 297);
        // GET DATA's form: the template's content, after a header list.
        let (template, _) = Tlv::parse(&bytes).unwrap();
        let inner = [tlv(0x4D, &[0x42, 0x10]), template.value().to_vec()].concat();
        assert_eq!(
            CardVerifiableCertificate::parse(file, &inner).unwrap(),
            parsed
        );
        // Truncated, or without its signature.
        assert!(CardVerifiableCertificate::parse(file, &bytes[..300]).is_err());
        let unsigned = tlv(0x7F21, &tlv(0x5F4E, &[0; 297]));
        assert!(CardVerifiableCertificate::parse(file, &unsigned).is_err());
    }

    #[test]
    fn integrity_record() {
        let fields = [tlv(0xDF31, &[1; 32]), tlv(0xDF32, &[2; 32])].concat();
        let bytes = tlv(0xFF30, &[fields.clone(), tlv(0xDF33, &[3; 256])].concat());
        let record = IntegrityRecord::parse(&bytes).unwrap();
        assert_eq!(record.my_number_digest, [1; 32]);
        assert_eq!(record.basic_info_digest, [2; 32]);
        assert_eq!(record.signed_data(), fields.as_slice());
        let short = tlv(
            0xFF30,
            &[
                tlv(0xDF31, &[1; 31]),
                tlv(0xDF32, &[2; 32]),
                tlv(0xDF33, &[3; 256]),
            ]
            .concat(),
        );
        assert!(IntegrityRecord::parse(&short).is_err());
    }
}
