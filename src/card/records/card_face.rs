//! The card-face entries of the card-face AP (券面事項確認AP, EF 0002): what is printed on the
//! card, the face photo, the card's own public key, and the issuer's signature over them.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use super::Sex;
use super::identity::sex;
use super::layout::{Record, hex_bytes};
use super::signed::CardPublicKey;
use crate::card::{Application, CardFile, card_face};
use crate::error::{Error, RecordProblem};
use crate::time::Date;

/// The card-face entries, with the face photo.
///
/// The issuer's signature (`DF28`) covers three groups of fields, each hashed on its own
/// (real-card evidence, fact 4): `DF22`–`DF24` (birth date, sex, the card's key), `DF25`–`DF26`
/// (name and address images) and `DF27` (the photo). The expiry (`DF29`) and the security-code
/// image (`DF2A`) come after the signature and are not covered. The groups are kept as the card
/// wrote them ([`signed_segments`](Self::signed_segments)) so the signature can be checked.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CardFaceEntries {
    /// Birth date as stored (8 digits, Western year: `19800217`).
    pub birth_date: String,
    /// Sex.
    pub sex: Sex,
    /// Card expiry date as stored (8 digits, `20350217`).
    pub expiry: String,
    /// The face photo, JPEG 2000 as stored (monochrome on real cards). `None` on a card issued
    /// without a photo (under-one-year-olds): an absent or empty `DF27`.
    #[serde(with = "hex_bytes::option")]
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
    /// The card's own public key (`DF24`): it signs challenges without a PIN, which proves the
    /// card holding this record is present.
    pub public_key: CardPublicKey,
    #[serde(with = "hex_bytes")]
    signature: Vec<u8>,
    #[serde(skip)]
    signed_segments: [Vec<u8>; 3],
}

/// The signature's groups of fields, in order.
const SIGNED_GROUPS: [&[u32]; 3] = [&[0xDF22, 0xDF23, 0xDF24], &[0xDF25, 0xDF26], &[0xDF27]];
/// Tag of the issuer's signature.
const SIGNATURE: u32 = 0xDF28;
/// RSA-2048: the signature's size.
const SIGNATURE_LEN: usize = 256;

impl CardFaceEntries {
    /// Parses EF 0002 of the card-face AP, fields found by tag.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData`](crate::error::MalformedCardData) naming the file and the problem:
    /// a missing field, a sex code that is not ISO 5218, a key that does not parse, a signature
    /// that is not 256 bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let file = CardFile::new(Application::CardFace, card_face::ENTRIES);
        let record = Record::open(file, 0xFF20, bytes)?;
        let photo = record.optional(0xDF27)?;
        let signature = record.bytes(SIGNATURE)?;
        if signature.len() != SIGNATURE_LEN {
            return Err(record.problem(RecordProblem::InvalidValue { tag: SIGNATURE }));
        }
        let [identity, images, _] = SIGNED_GROUPS;
        let photo_segment = if photo.is_some() {
            record.raw_fields(&[0xDF27])?
        } else {
            Vec::new()
        };
        Ok(Self {
            birth_date: record.text(0xDF22)?,
            sex: sex(&record, 0xDF23)?,
            expiry: record.text(0xDF29)?,
            photo: photo.filter(|photo| !photo.is_empty()).map(<[u8]>::to_vec),
            name_image: record.bytes(0xDF25)?.to_vec(),
            address_image: record.bytes(0xDF26)?.to_vec(),
            security_code_image: record.bytes(0xDF2A)?.to_vec(),
            public_key: CardPublicKey::parse(file, record.bytes(0xDF24)?)?,
            signature: signature.to_vec(),
            signed_segments: [
                record.raw_fields(identity)?,
                record.raw_fields(images)?,
                photo_segment,
            ],
        })
    }

    /// The birth date, when it is a valid `YYYYMMDD` date.
    #[must_use]
    pub fn birth_date(&self) -> Option<Date> {
        super::identity::parse_yyyymmdd(&self.birth_date)
    }

    /// The card's expiry date, when it is a valid `YYYYMMDD` date.
    #[must_use]
    pub fn expiry_date(&self) -> Option<Date> {
        super::identity::parse_yyyymmdd(&self.expiry)
    }

    /// The issuer's signature (`DF28`, 256 bytes).
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The three groups of fields the signature covers, each as written: `DF22`–`DF24`,
    /// `DF25`–`DF26`, `DF27` (empty when the card has no `DF27`).
    #[must_use]
    pub fn signed_segments(&self) -> [&[u8]; 3] {
        let [a, b, c] = &self.signed_segments;
        [a, b, c]
    }
}

/// `Debug` gives the sizes of the images, not their bytes, and masks the birth date.
impl fmt::Debug for CardFaceEntries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardFaceEntries")
            .field("birth_date", &"***")
            .field("sex", &self.sex)
            .field("expiry", &self.expiry)
            .field("photo_len", &self.photo.as_ref().map(Vec::len))
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}
