//! Every record parser of the card layer takes arbitrary bytes without panicking, and a record
//! that parses keeps what it parsed (the My Number stays 12 digits and masked).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::card::{BasicInfo, CardFaceEntries, CardKind, MyNumber, UserAuthCertificate};

fuzz_target!(|data: &[u8]| {
    let _ = CardKind::from_token(data);
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
        let _ = format!("{face:?}");
    }
    if let Ok(number) = MyNumber::parse(data) {
        assert_eq!(number.expose_secret().len(), 12);
        assert_eq!(format!("{number:?}"), "MyNumber(***)");
    }
});
