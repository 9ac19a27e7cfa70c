//! The virtual card's data files, laid out as a probed card's (real-card evidence, facts 2–6,
//! 11 and the test-card vectors in `tests/vectors/`): the same containers, tags, order and
//! offset tables, with the issuer signatures made by the virtual hierarchy's keys.

use super::der::{tlv, tlv_into as der_tlv_into};
use super::keys::{self, TestKey};
use crate::card::Sex;
use crate::time::Date;

/// `FF xx { DF21 offsets, fields… }`: the offset table holds the 16-bit absolute file offsets
/// of the fields after it, as on a real card (the test card's basic 4 info: `DF21 08 000E 0020
/// 0059 0064`).
pub(crate) fn record_with_offsets(container: u32, fields: &[(u32, &[u8])]) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut positions = Vec::new();
    for (tag, value) in fields {
        positions.push(tail.len());
        der_tlv_into(*tag, value, &mut tail);
    }
    let offsets_len = 2 * fields.len();
    // The DF21 field: tag (2), length (1) and the offsets.
    let table_len = 3 + offsets_len;
    let content_len = table_len + tail.len();
    let container_header = 2 + match content_len {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        _ => 3,
    };
    let mut offsets = Vec::with_capacity(offsets_len);
    for position in positions {
        let absolute = u16::try_from(container_header + table_len + position).unwrap_or(u16::MAX);
        offsets.extend_from_slice(&absolute.to_be_bytes());
    }
    let mut content = tlv(0xDF21, &offsets);
    content.extend_from_slice(&tail);
    tlv(container, &content)
}

/// `FF xx { fields… }` with no offset table.
pub(crate) fn record(container: u32, fields: &[(u32, &[u8])]) -> Vec<u8> {
    let mut content = Vec::new();
    for (tag, value) in fields {
        der_tlv_into(*tag, value, &mut content);
    }
    tlv(container, &content)
}

/// `YYYYMMDD`.
pub(crate) fn yyyymmdd(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

/// Deterministic filler bytes, different per seed.
pub(crate) fn filler(seed: u32, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect()
}

/// A PNG-looking image: the PNG signature, then filler.
pub(crate) fn png(seed: u32, len: usize) -> Vec<u8> {
    let mut image = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    image.extend(filler(seed, len.saturating_sub(8)));
    image
}

/// The face photo: a JPEG 2000 signature box, then filler; 1854 bytes, the size of the test
/// card's photo.
pub(crate) fn face_photo() -> Vec<u8> {
    let mut photo = vec![
        0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
    ];
    photo.extend(filler(27, 1_842));
    photo
}

/// The holder's data, as the records need it.
pub(crate) struct HolderData<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub birth_date: Date,
    pub sex: Sex,
    pub card_expiry: Date,
}

/// Card-info EF 0002: the basic 4 info.
pub(crate) fn basic_info(holder: &HolderData<'_>) -> Vec<u8> {
    record_with_offsets(
        0xFF20,
        &[
            (0xDF22, holder.name.as_bytes()),
            (0xDF23, holder.address.as_bytes()),
            (0xDF24, yyyymmdd(holder.birth_date).as_bytes()),
            (0xDF25, &[holder.sex.code()]),
        ],
    )
}

/// Card-info EF 0001: `FF 10 0C <12 digits>` and two bytes of `FF` filler (17 bytes).
pub(crate) fn my_number_file(number: &str) -> Vec<u8> {
    let mut out = tlv(0xFF10, number.as_bytes());
    out.extend_from_slice(&[0xFF, 0xFF]);
    out
}

/// Card-info EF 0003: the digests of EF 0001 (as stored) and EF 0002 (the fields after its
/// offset table), signed by the card-info issuer key.
pub(crate) fn integrity_record(my_number: &[u8], basic_info: &[u8]) -> Vec<u8> {
    let basic_digest_source = after_offset_table(basic_info);
    let mut signed = tlv(0xDF31, &keys::sha256(my_number));
    der_tlv_into(0xDF32, &keys::sha256(basic_digest_source), &mut signed);
    let signature = keys::sign_sha256(TestKey::InfoIssuer, &signed).unwrap_or_default();
    let mut content = signed;
    der_tlv_into(0xDF33, &signature, &mut content);
    tlv(0xFF30, &content)
}

/// The value of a `FF 20` record after its `DF21` table.
fn after_offset_table(record: &[u8]) -> &[u8] {
    use crate::apdu::tlv::Tlv;
    let Ok((container, _)) = Tlv::parse(record) else {
        return &[];
    };
    let value = container.value();
    match Tlv::parse(value) {
        Ok((table, rest)) if table.tag().to_u32() == 0xDF21 => rest,
        _ => value,
    }
}

/// A 16-byte key id: a 7-character name, `08 05`, a 3-character version, zeros (the shape
/// real ids have: `"6000023" 08 05 "001"`).
pub(crate) fn key_id(name: &str, version: &str) -> [u8; 16] {
    let mut id = [0u8; 16];
    for (slot, byte) in id.iter_mut().zip(name.bytes().take(7)) {
        *slot = byte;
    }
    id[7] = 0x08;
    id[8] = 0x05;
    for (slot, byte) in id.iter_mut().skip(9).zip(version.bytes().take(3)) {
        *slot = byte;
    }
    id
}

/// The virtual hierarchy's 証明者鍵IDs: `9000023` (card-face AP), `9000033` (card-info AP),
/// `9000020` (the MF chain's root). Real ones are `5000023`, `5000033`, `5000020`; the J-LIS
/// test hierarchy's `6000023`, `6000033`, `6000020`.
pub(crate) mod key_ids {
    pub(crate) const CARD_FACE_CA: (&str, &str) = ("9000023", "001");
    pub(crate) const CARD_INFO_CA: (&str, &str) = ("9000033", "001");
    pub(crate) const MF_ROOT: (&str, &str) = ("9000020", "001");
    pub(crate) const FACE_ISSUER: (&str, &str) = ("1399921", "000");
    pub(crate) const INFO_ISSUER: (&str, &str) = ("1399931", "000");
    pub(crate) const MF_INTERMEDIATE: (&str, &str) = ("1399930", "002");
    pub(crate) const CARD_INFO_KEY: (&str, &str) = ("0000050", "001");
}

/// The 297-byte body and 256-byte signature of a card-verifiable certificate.
fn cv_parts(
    issuer: [u8; 16],
    subject: [u8; 16],
    subject_key: TestKey,
    signer: TestKey,
) -> (Vec<u8>, Vec<u8>) {
    let mut body = issuer.to_vec();
    body.extend_from_slice(&subject);
    body.extend_from_slice(&keys::card_public_key(subject_key));
    let signature = keys::sign_sha256(signer, &body).unwrap_or_default();
    (body, signature)
}

/// A card-verifiable certificate as an EF holds it: `7F 21 { 5F 4E body, 5F 37 signature }`.
pub(crate) fn cv_certificate(
    issuer: [u8; 16],
    subject: [u8; 16],
    subject_key: TestKey,
    signer: TestKey,
) -> Vec<u8> {
    let (body, signature) = cv_parts(issuer, subject, subject_key, signer);
    let mut content = tlv(0x5F4E, &body);
    der_tlv_into(0x5F37, &signature, &mut content);
    tlv(0x7F21, &content)
}

/// The same as GET DATA returns it: the template's content after a `4D` header list.
pub(crate) fn cv_certificate_data_object(
    issuer: [u8; 16],
    subject: [u8; 16],
    subject_key: TestKey,
    signer: TestKey,
) -> Vec<u8> {
    let (body, signature) = cv_parts(issuer, subject, subject_key, signer);
    let header_list = [0x42, 0x10, 0x5F, 0x20, 0x10, 0x5F, 0x49, 0x82, 0x01, 0x09];
    let mut out = tlv(0x4D, &header_list);
    der_tlv_into(0x5F4E, &body, &mut out);
    der_tlv_into(0x5F37, &signature, &mut out);
    out
}

/// The DigestInfo the card-face signature covers: SHA-256's algorithm identifier with the
/// three groups' SHA-256 digests, 96 bytes, as its digest (real-card evidence, fact 4).
pub(crate) fn card_face_digest_info(segments: [&[u8]; 3]) -> Vec<u8> {
    let mut digests = Vec::with_capacity(96);
    for segment in segments {
        digests.extend_from_slice(&keys::sha256(segment));
    }
    let algorithm = [
        0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    ];
    let mut content = algorithm.to_vec();
    der_tlv_into(0x04, &digests, &mut content);
    tlv(0x30, &content)
}

/// Card-face EF 0002, about 3 KB: `FF 20 { DF21 offsets, DF22 birth date, DF23 sex, DF24 card
/// key, DF25 name image, DF26 address image, DF27 photo, DF28 signature, DF29 expiry, DF2A
/// security-code image }`, the signature by the card-face issuer key over the three groups.
pub(crate) fn card_face(holder: &HolderData<'_>, photo: &[u8], signer: TestKey) -> Vec<u8> {
    let birth = yyyymmdd(holder.birth_date);
    let sex = [holder.sex.code()];
    let card_key = keys::card_public_key(TestKey::CardFaceKey);
    let name_image = png(25, 169);
    let address_image = png(26, 340);
    let group = |fields: &[(u32, &[u8])]| {
        let mut out = Vec::new();
        for (tag, value) in fields {
            der_tlv_into(*tag, value, &mut out);
        }
        out
    };
    let identity = group(&[
        (0xDF22, birth.as_bytes()),
        (0xDF23, &sex),
        (0xDF24, &card_key),
    ]);
    let images = group(&[(0xDF25, &name_image), (0xDF26, &address_image)]);
    let photo_group = group(&[(0xDF27, photo)]);
    let signature = keys::sign_pkcs1(
        signer,
        &card_face_digest_info([&identity, &images, &photo_group]),
    )
    .unwrap_or_default();
    record_with_offsets(
        0xFF20,
        &[
            (0xDF22, birth.as_bytes()),
            (0xDF23, &sex),
            (0xDF24, &card_key),
            (0xDF25, &name_image),
            (0xDF26, &address_image),
            (0xDF27, photo),
            (0xDF28, &signature),
            (0xDF29, yyyymmdd(holder.card_expiry).as_bytes()),
            (0xDF2A, &png(42, 106)),
        ],
    )
}

/// Card-face EF 0001, the age record: `FF 10 { DF11 birth date, DF12 card key, DF13 signature
/// over the fields before it }`.
pub(crate) fn age_record(birth_date: Date) -> Vec<u8> {
    let mut fields = tlv(0xDF11, yyyymmdd(birth_date).as_bytes());
    der_tlv_into(
        0xDF12,
        &keys::card_public_key(TestKey::CardFaceKey),
        &mut fields,
    );
    let signature = keys::sign_sha256(TestKey::FaceIssuer, &fields).unwrap_or_default();
    der_tlv_into(0xDF13, &signature, &mut fields);
    tlv(0xFF10, &fields)
}

/// Card-face EF 0005, the rendered My Number: `FF 40 { DF41 image, DF42 card key, DF43
/// signature }`.
pub(crate) fn my_number_image() -> Vec<u8> {
    let mut fields = tlv(0xDF41, &png(41, 400));
    der_tlv_into(
        0xDF42,
        &keys::card_public_key(TestKey::CardFaceKey),
        &mut fields,
    );
    let signature = keys::sign_sha256(TestKey::FaceIssuer, &fields).unwrap_or_default();
    der_tlv_into(0xDF43, &signature, &mut fields);
    tlv(0xFF40, &fields)
}

/// Card-face EF 0003, AP basic data: `FF 30 { DF31 AP identification, DF32 key id, DF33
/// version, DF34 municipality, DF35 key id and an opaque block }`.
pub(crate) fn card_face_ap_basic_data(municipality: &str) -> Vec<u8> {
    let mut block = key_id("1399924", "001").to_vec();
    block.extend(filler(35, 256));
    record(
        0xFF30,
        &[
            (0xDF31, &[0x06, 0x03, 0x0E, 0x01]),
            (0xDF32, &key_id("1399924", "001")),
            (0xDF33, &[0x00]),
            (0xDF34, municipality.as_bytes()),
            (0xDF35, &block),
        ],
    )
}

/// Card-info EF 0005, AP basic data: `FF 40 { DF41 AP identification, DF42 key id, DF43 … }`,
/// mostly `FF` as on the test card.
pub(crate) fn card_info_ap_basic_data() -> Vec<u8> {
    let mut trailing = filler(43, 32);
    trailing.resize(128, 0xFF);
    record(
        0xFF40,
        &[
            (0xDF41, &[0x01, 0x03, 0x0E, 0x01]),
            (0xDF42, &key_id("1399934", "001")),
            (0xDF43, &trailing),
        ],
    )
}

/// Card-info EF 0006: `A1 { 90 exponent, 91 modulus }`, the session-key encryption key.
pub(crate) fn session_key_file() -> Vec<u8> {
    tlv(0xA1, &keys::card_public_key(TestKey::SessionKey))
}

/// Card-info EF 0007: `FF 50 { DF51 the AP's key, DF52 the issuer's signature over DF51 }`.
pub(crate) fn signed_public_key_file() -> Vec<u8> {
    let key = tlv(0xDF51, &keys::card_public_key(TestKey::CardInfoKey));
    let signature = keys::sign_sha256(TestKey::InfoIssuer, &key).unwrap_or_default();
    let mut content = key;
    der_tlv_into(0xDF52, &signature, &mut content);
    tlv(0xFF50, &content)
}

/// The JPKI token: 160 bytes, `CK_TOKEN_INFO` with 32-bit big-endian integers.
pub(crate) fn token(label: &str, serial: &str) -> Vec<u8> {
    let mut raw = vec![b' '; 160];
    let mut put = |offset: usize, bytes: &[u8], len: usize| {
        for (slot, byte) in raw.iter_mut().skip(offset).take(len).zip(bytes) {
            *slot = *byte;
        }
    };
    put(0, label.as_bytes(), 32);
    put(32, b"ONSHI VIRTUAL CARD", 32);
    put(64, b"ONSHIV01", 16);
    put(80, serial.as_bytes(), 16);
    // CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED
    put(96, &0x0000_040Du32.to_be_bytes(), 4);
    for (offset, value) in [
        (100, 1u32),
        (104, 0),
        (108, 1),
        (112, 0),
        (116, 16),
        (120, 4),
        (124, u32::MAX),
        (128, u32::MAX),
        (132, u32::MAX),
        (136, u32::MAX),
    ] {
        put(offset, &value.to_be_bytes(), 4);
    }
    put(140, b"0301", 4);
    raw
}
