//! The card layer against a real card's bytes (`tests/vectors/`, from a JPKI test card): each
//! record onshi models parses to the right values, the signatures the card carries verify
//! under the reading of the evidence the card layer and the virtual card both follow, and the
//! virtual card's files have the real files' layout (same tags, same order, an offset table
//! that points at the fields).

mod common;

use common::today;
use onshi::card::{
    Application, BasicInfo, BirthYearForm, CardFaceEntries, CardFile, CardVerifiableCertificate,
    IntegrityRecord, MyNumber, Pin, PinKind, RecordLayout, Sex, UserAuthCertificate, card_face,
    card_info, jpki,
};
use onshi::sim::Persona;
use onshi::time::{Date, Timestamp};
use rsa::sha2::{Digest, Sha256};
use rsa::{BoxedUint, Pkcs1v15Sign, PublicKey};

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn face_file(file: onshi::apdu::FileId) -> CardFile {
    CardFile::new(Application::CardFace, file)
}

fn info_file(file: onshi::apdu::FileId) -> CardFile {
    CardFile::new(Application::CardInfo, file)
}

/// An RSA public key from the card's `90`/`91` encoding.
fn rsa_key(key: &onshi::card::CardPublicKey) -> PublicKey {
    let n = BoxedUint::from_be_slice_vartime(key.modulus());
    let e = BoxedUint::from_be_slice_vartime(key.exponent());
    PublicKey::new(n, e).unwrap()
}

fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    onshi::sim::sha256_digest_info(message)
}

/// The DigestInfo the card-face signature covers (real-card evidence, fact 4): SHA-256's
/// algorithm identifier around the three groups' SHA-256 digests, 96 bytes.
fn card_face_digest_info(face: &CardFaceEntries) -> Vec<u8> {
    let mut out = hex("30 71 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 60");
    for segment in face.signed_segments() {
        out.extend_from_slice(&Sha256::digest(segment));
    }
    out
}

use common::hex;

#[test]
fn the_real_card_face_parses() {
    let bytes = vector("surface-0002.bin");
    assert_eq!(bytes.len(), 3070);
    let face = CardFaceEntries::parse(&bytes).unwrap();
    assert_eq!(face.birth_date, "19800217");
    assert_eq!(face.birth_date(), Date::new(1980, 2, 17));
    assert_eq!(face.expiry, "20350217");
    assert_eq!(face.sex, Sex::Male);
    let photo = face.photo.as_ref().unwrap();
    assert_eq!(photo.len(), 1854);
    assert_eq!(&photo[4..8], b"jP  ", "JPEG 2000");
    assert_eq!(&face.name_image[1..4], b"PNG");
    assert_eq!(face.public_key.bits(), 2048);
    assert_eq!(face.public_key.exponent(), [1, 0, 1]);
    assert_eq!(face.signature().len(), 256);
    let [identity, images, photo_segment] = face.signed_segments();
    // DF22 (3 + 8) + DF23 (3 + 1) + DF24 (5 + 265).
    assert_eq!(identity.len(), 11 + 4 + 270);
    assert_eq!(images.len(), (5 + 169) + (5 + 340));
    assert_eq!(photo_segment.len(), 5 + 1854);
}

#[test]
fn the_real_card_face_signature_verifies_under_its_certificate() {
    let face = CardFaceEntries::parse(&vector("surface-0002.bin")).unwrap();
    let certificate = CardVerifiableCertificate::parse(
        face_file(card_face::CERTIFICATE),
        &vector("surface-0004.bin"),
    )
    .unwrap();
    assert_eq!(
        certificate.issuer_key_id.name(),
        "6000023",
        "the test hierarchy"
    );
    assert_eq!(certificate.subject_key_id.name(), "1322121");
    let issuer = rsa_key(&certificate.public_key);
    issuer
        .verify(
            Pkcs1v15Sign::new_unprefixed(),
            &card_face_digest_info(&face),
            face.signature(),
        )
        .unwrap();
    // One byte of the photo changed: the signature no longer holds.
    let mut forged = vector("surface-0002.bin");
    forged[2000] ^= 0x01;
    let forged = CardFaceEntries::parse(&forged).unwrap();
    assert!(
        issuer
            .verify(
                Pkcs1v15Sign::new_unprefixed(),
                &card_face_digest_info(&forged),
                forged.signature(),
            )
            .is_err()
    );
}

#[test]
fn the_real_basic_info_and_my_number_parse() {
    let info = BasicInfo::parse(&vector("text-0002.bin")).unwrap();
    assert_eq!(info.name, "黒桐\u{3000}幹也");
    assert_eq!(info.address, "東京都清瀬市観布子南１２－７－２０２");
    assert_eq!(info.birth_date(), Date::new(1980, 2, 17));
    assert_eq!(info.sex, Sex::Male);
    let physical = vector("text-0001-physical.bin");
    assert_eq!(physical.len(), 17);
    let number = MyNumber::parse(&physical).unwrap();
    assert_eq!(number.expose_secret(), "537686677188");
    // A real My Number passes the check-digit rule 照合番号A is checked with.
    assert!(Pin::new(PinKind::VerificationNumberA, number.expose_secret()).is_ok());
}

#[test]
fn the_real_integrity_record_covers_the_files_as_the_card_layer_reads_them() {
    let record = IntegrityRecord::parse(&vector("text-0003.bin")).unwrap();
    // DF31: the My Number file as stored, filler included.
    assert_eq!(
        record.my_number_digest,
        Sha256::digest(vector("text-0001-physical.bin"))[..]
    );
    // DF32: the basic 4 info after its offset table.
    let basic = vector("text-0002.bin");
    let layout = RecordLayout::parse(info_file(card_info::BASIC_INFO), &basic).unwrap();
    let after_table = layout.entries[1].offset;
    assert_eq!(
        record.basic_info_digest,
        Sha256::digest(&basic[after_table..layout.len])[..]
    );
    // DF33: the issuer's signature over DF31 and DF32, by the key EF 0004 certifies.
    let certificate = CardVerifiableCertificate::parse(
        info_file(card_info::CERTIFICATE),
        &vector("text-0004.bin"),
    )
    .unwrap();
    assert_eq!(certificate.issuer_key_id.name(), "6000033");
    rsa_key(&certificate.public_key)
        .verify(
            Pkcs1v15Sign::new_unprefixed(),
            &sha256_digest_info(record.signed_data()),
            record.signature(),
        )
        .unwrap();
}

#[test]
fn the_real_certificates_parse() {
    let auth = UserAuthCertificate::from_der(vector("jpki-auth-cert.der")).unwrap();
    assert_eq!(auth.der().len(), 1590);
    assert_eq!(auth.serial(), [0x22, 0x7B, 0x13]);
    assert!(auth.issuer().contains("JPKI-TEST"), "{}", auth.issuer());
    assert_eq!(
        Some(auth.not_after()),
        Timestamp::from_date_time(Date::new(2030, 2, 17).unwrap(), 14, 59, 59)
    );
    for name in [
        "jpki-auth-ca-cert.der",
        "jpki-sign-cert.der",
        "jpki-sign-ca-cert.der",
        "jpki-auth-ca-cert-2019.der",
        "jpki-sign-ca-cert-2019.der",
        "certs/authca01.cer",
        "certs/authca02.cer",
        "certs/authca03.cer",
        "certs/signca01.cer",
        "certs/signca02.cer",
        "certs/signca03.cer",
    ] {
        let certificate = UserAuthCertificate::from_der(vector(name)).unwrap();
        assert!(certificate.issuer().contains("O=JPKI"), "{name}");
    }
}

#[test]
fn the_real_card_verifiable_certificates_parse_in_both_forms() {
    let mf = CardFile::new(Application::Jpki, jpki::TOKEN);
    let upper = CardVerifiableCertificate::parse(mf, &vector("mf-do-F8.bin")).unwrap();
    let lower = CardVerifiableCertificate::parse(mf, &vector("mf-do-7F21.bin")).unwrap();
    assert_eq!(upper.issuer_key_id.name(), "6000020");
    assert_eq!(lower.issuer_key_id, upper.subject_key_id, "a chain");
    assert_eq!(lower.subject_key_id.name(), "0000050");
    // The lower certificate is signed by the key the upper one certifies.
    rsa_key(&upper.public_key)
        .verify(
            Pkcs1v15Sign::new_unprefixed(),
            &sha256_digest_info(lower.body()),
            lower.signature(),
        )
        .unwrap();
    for name in [
        "surface-0004.bin",
        "text-0004.bin",
        "cv-certificate-synthetic.bin",
    ] {
        let certificate = CardVerifiableCertificate::parse(mf, &vector(name)).unwrap();
        assert_eq!(certificate.body().len(), 297, "{name}");
        assert_eq!(certificate.signature().len(), 256, "{name}");
    }
    // Truncated: a typed error.
    assert!(CardVerifiableCertificate::parse(mf, &vector("surface-0004.bin")[..400]).is_err());
}

#[test]
fn the_birth_date_key_of_the_test_card_is_its_era_date() {
    // The source read the age record with `550217`: 昭和55年2月17日.
    let birth = Date::new(1980, 2, 17).unwrap();
    let key = Pin::birth_date_key(birth).unwrap();
    assert_eq!(key.secret().expose_secret(), b"550217");
    let b = Pin::verification_number_b(birth, 2035, "2285", BirthYearForm::default()).unwrap();
    assert_eq!(b.secret().expose_secret(), b"55021720352285");
    // The age record the key opened: its birth date and the card's key, signed by the issuer.
    let age = vector("surface-0001.bin");
    let layout = RecordLayout::parse(face_file(card_face::AGE_RECORD), &age).unwrap();
    assert_eq!(layout.container, 0xFF10);
    assert_eq!(layout.tags(), [0xDF11, 0xDF12, 0xDF13]);
}

/// The virtual card's file and the real one: the same container, tags in the same order, and
/// (where there is one) an offset table that points at the fields.
fn same_layout(file: CardFile, real: &[u8], virtual_: &[u8]) {
    let real = RecordLayout::parse(file, real).unwrap();
    let virtual_ = RecordLayout::parse(file, virtual_).unwrap();
    assert_eq!(virtual_.container, real.container, "{file}");
    assert_eq!(virtual_.tags(), real.tags(), "{file}");
    assert_eq!(
        virtual_.offset_table.is_some(),
        real.offset_table.is_some(),
        "{file}"
    );
    if real.offset_table.is_some() {
        assert!(real.offset_table_matches(), "{file}: the real table");
        assert!(virtual_.offset_table_matches(), "{file}: the virtual table");
    }
}

#[test]
fn the_virtual_card_has_the_real_layout() {
    let card = Persona::Standard.card(today());
    for (file, real) in [
        (face_file(card_face::AGE_RECORD), "surface-0001.bin"),
        (face_file(card_face::ENTRIES), "surface-0002.bin"),
        (face_file(card_face::AP_BASIC_DATA), "surface-0003.bin"),
        (face_file(card_face::CERTIFICATE), "surface-0004.bin"),
        (face_file(card_face::MY_NUMBER_IMAGE), "surface-0005.bin"),
        (info_file(card_info::BASIC_INFO), "text-0002.bin"),
        (info_file(card_info::INTEGRITY), "text-0003.bin"),
        (info_file(card_info::CERTIFICATE), "text-0004.bin"),
        (info_file(card_info::AP_BASIC_DATA), "text-0005.bin"),
        (
            info_file(card_info::SESSION_KEY_PUBLIC_KEY),
            "text-0006.bin",
        ),
        (info_file(card_info::SIGNED_PUBLIC_KEY), "text-0007.bin"),
    ] {
        let virtual_ = card.data(file.application, file.file).unwrap();
        same_layout(file, &vector(real), virtual_);
    }
    // The My Number file: `FF 10 0C`, 12 digits, `FF FF`.
    let my_number = card
        .data(Application::CardInfo, card_info::MY_NUMBER)
        .unwrap();
    let real = vector("text-0001-physical.bin");
    assert_eq!(my_number[..3], real[..3]);
    assert_eq!(my_number[15..], real[15..]);
    // Sizes: the card face about 3 KB, the My Number file 17 bytes, the integrity record
    // exactly as long, the certificates exactly as long.
    let face = card
        .data(Application::CardFace, card_face::ENTRIES)
        .unwrap();
    assert!(face.len().abs_diff(3070) < 16, "{}", face.len());
    for (application, file, real) in [
        (
            Application::CardInfo,
            card_info::MY_NUMBER,
            "text-0001-physical.bin",
        ),
        (Application::CardInfo, card_info::INTEGRITY, "text-0003.bin"),
        (
            Application::Jpki,
            jpki::USER_AUTH_CERTIFICATE,
            "jpki-auth-cert.der",
        ),
        (
            Application::Jpki,
            jpki::USER_AUTH_CA_CERTIFICATE,
            "jpki-auth-ca-cert.der",
        ),
        (
            Application::Jpki,
            jpki::SIGNING_CERTIFICATE,
            "jpki-sign-cert.der",
        ),
        (
            Application::Jpki,
            jpki::SIGNING_CA_CERTIFICATE,
            "jpki-sign-ca-cert.der",
        ),
    ] {
        assert_eq!(
            card.data(application, file).unwrap().len(),
            vector(real).len(),
            "{real}"
        );
    }
    // The MF-level chain in GET DATA's form.
    let mf = CardFile::new(Application::Jpki, jpki::TOKEN);
    for (tag, real) in [(0x00F8, "mf-do-F8.bin"), (0x7F21, "mf-do-7F21.bin")] {
        let virtual_ = card.data_object(tag).unwrap();
        assert_eq!(virtual_.len(), vector(real).len(), "{real}");
        assert_eq!(
            virtual_[..12],
            vector(real)[..12],
            "{real}: the same header list"
        );
        CardVerifiableCertificate::parse(mf, virtual_).unwrap();
    }
}

#[test]
fn the_virtual_card_face_signature_verifies_like_the_real_one() {
    let card = Persona::Standard.card(today());
    let face = CardFaceEntries::parse(
        card.data(Application::CardFace, card_face::ENTRIES)
            .unwrap(),
    )
    .unwrap();
    let certificate = CardVerifiableCertificate::parse(
        face_file(card_face::CERTIFICATE),
        card.data(Application::CardFace, card_face::CERTIFICATE)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        certificate.issuer_key_id.name(),
        "9000023",
        "the virtual hierarchy"
    );
    rsa_key(&certificate.public_key)
        .verify(
            Pkcs1v15Sign::new_unprefixed(),
            &card_face_digest_info(&face),
            face.signature(),
        )
        .unwrap();
    let record = IntegrityRecord::parse(
        card.data(Application::CardInfo, card_info::INTEGRITY)
            .unwrap(),
    )
    .unwrap();
    let certificate = CardVerifiableCertificate::parse(
        info_file(card_info::CERTIFICATE),
        card.data(Application::CardInfo, card_info::CERTIFICATE)
            .unwrap(),
    )
    .unwrap();
    rsa_key(&certificate.public_key)
        .verify(
            Pkcs1v15Sign::new_unprefixed(),
            &sha256_digest_info(record.signed_data()),
            record.signature(),
        )
        .unwrap();
}
