//! Every record parser of the card layer takes arbitrary bytes without panicking, and a record
//! that parses keeps what it parsed (the My Number stays 12 digits and masked, a card-verifiable
//! certificate keeps its 256-byte-or-so signature and its two key ids, a token is 160 bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::card::{
    Application, BasicInfo, CardFaceEntries, CardFile, CardKind, CardPublicKey,
    CardVerifiableCertificate, CertificateAvailability, IntegrityRecord, MyNumber, RecordLayout,
    TokenInfo, UserAuthCertificate, card_face,
};

fuzz_target!(|data: &[u8]| {
    let file = CardFile::new(Application::CardFace, card_face::CERTIFICATE);
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
