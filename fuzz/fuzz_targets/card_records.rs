//! Every record parser of the card layer takes arbitrary bytes without panicking, and a record
//! that parses keeps what it parsed (the My Number stays 12 digits and masked, a card-verifiable
//! certificate keeps its 256-byte-or-so signature and its two key ids, a token is 160 bytes),
//! and the authenticity checks take whatever parsed (a key of any size, a signature of any
//! length) without panicking.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onshi::card::authenticity::{
    Challenge, TrustAnchors, verify_card_face, verify_card_face_data,
    verify_card_verifiable_certificate, verify_certificate_chain, verify_pin_key,
};
use onshi::card::{
    Application, BasicInfo, CardFaceEntries, CardFile, CardKind, CardPublicKey,
    CardVerifiableCertificate, CertificateAvailability, IntegrityRecord, MyNumber, RecordLayout,
    TokenInfo, UserAuthCertificate, card_face,
};

/// The J-LIS test hierarchy and a real test card's card-verifiable certificate (EF 0004).
fn test_hierarchy() -> &'static (TrustAnchors, Option<CardVerifiableCertificate>) {
    static ANCHORS: OnceLock<(TrustAnchors, Option<CardVerifiableCertificate>)> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let file = CardFile::new(Application::CardFace, card_face::CERTIFICATE);
        let certificate = CardVerifiableCertificate::parse(
            file,
            include_bytes!("../../tests/vectors/surface-0004.bin"),
        )
        .ok();
        (TrustAnchors::jlis_test(), certificate)
    })
}

fuzz_target!(|data: &[u8]| {
    let file = CardFile::new(Application::CardFace, card_face::CERTIFICATE);
    let (anchors, test_card_certificate) = test_hierarchy();
    let challenge = Challenge::from_random_bytes([0x5A; 32]);
    let _ = CardKind::from_label(data);
    if let Ok(token) = TokenInfo::parse(data) {
        assert_eq!(data.len(), TokenInfo::LEN);
        assert_eq!(CardKind::from_label(&data[..32]).ok(), Some(token.kind));
    }
    if let Ok(availability) = CertificateAvailability::parse(data) {
        assert_eq!(availability.raw, data);
    }
    if let Ok(certificate) = UserAuthCertificate::from_der(data.to_vec()) {
        assert_eq!(certificate.der(), data);
        let _ = certificate.public_key_info_der();
        let _ = format!("{certificate:?}");
        let _ = verify_certificate_chain(anchors, &certificate);
        let _ = verify_pin_key(&certificate, &challenge, data);
    }
    if let Ok(info) = BasicInfo::parse(data) {
        let _ = info.birth_date();
    }
    if let Ok(face) = CardFaceEntries::parse(data) {
        assert!(face.photo.as_ref().is_none_or(|photo| !photo.is_empty()));
        assert_eq!(face.signature().len(), 256);
        let [identity, images, _] = face.signed_segments();
        assert!(!identity.is_empty() && !images.is_empty());
        let _ = format!("{face:?}");
        if let Some(issuer) = test_card_certificate {
            let _ = verify_card_face_data(anchors, issuer, &face);
            let _ = verify_card_face(anchors, issuer, face, &challenge, data);
        }
    }
    if let Ok(number) = MyNumber::parse(data) {
        assert_eq!(number.expose_secret().len(), 12);
        assert_eq!(format!("{number:?}"), "MyNumber(***)");
    }
    if let Ok(record) = IntegrityRecord::parse(data) {
        assert!(!record.signed_data().is_empty());
    }
    if let Ok(certificate) = CardVerifiableCertificate::parse(file, data) {
        assert!(certificate.body().len() >= 32);
        assert!(!certificate.public_key.modulus().is_empty());
        let _ = format!("{certificate:?}");
        let _ = verify_card_verifiable_certificate(anchors, &certificate);
    }
    if let Ok(key) = CardPublicKey::parse(file, data) {
        assert!(key.bits() <= 512 * 8);
    }
    if let Ok(layout) = RecordLayout::parse(file, data) {
        assert!(layout.len <= data.len());
        let _ = layout.offset_table_matches();
        for entry in &layout.entries {
            assert!(entry.offset + entry.len <= layout.len);
        }
    }
});
