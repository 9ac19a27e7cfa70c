//! Reading files and records from the virtual card: exact traces, APDU counts, every record.

mod common;

use common::{card, hex, today, traffic, virtual_card};
use onshi::Error;
use onshi::ReaderCapabilities;
use onshi::card::{
    Application, Card, CardKind, Pin, PinKind, PinSlot, PinStatus, Sex, card_face, card_info, jpki,
};
use onshi::error::{CardFile, CardIncompatible, CardMisbehaved, UsageError};
use onshi::sim::{Persona, VirtualFile, VirtualReader, secrets};
use onshi::time::{Date, Timestamp};

#[test]
fn certificate_read_with_short_apdus_takes_8_commands() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    assert_eq!(certificate.der().len(), 1312);
    assert_eq!(&certificate.der()[..4], &hex("30 82 05 1C"));
    assert_eq!(
        traffic(&card),
        [
            hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
            hex("00 A4 02 0C 02 00 0A"),
            hex("00 B0 00 00 00"),
            hex("00 B0 01 00 00"),
            hex("00 B0 02 00 00"),
            hex("00 B0 03 00 00"),
            hex("00 B0 04 00 00"),
            hex("00 B0 05 00 20"),
        ]
    );
    let stats = card.stats();
    assert_eq!(stats.commands, 8);
    assert_eq!(stats.command_bytes, 15 + 7 + 6 * 5);
    assert_eq!(stats.response_bytes, 2 + 2 + 1312 + 6 * 2);
}

#[test]
fn certificate_read_with_extended_length_takes_2_commands() {
    let mut reader = VirtualReader::with_card(Persona::Standard.card(today()));
    reader.set_capabilities(ReaderCapabilities::EXTENDED_LENGTH);
    let mut card = Card::new(reader);
    let certificate = card.user_auth_certificate().unwrap();
    assert_eq!(certificate.der().len(), 1312);
    assert_eq!(
        traffic(&card),
        [
            hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
            hex("00 B0 8A 00 00 00 00"),
        ]
    );
    assert_eq!(card.stats().response_bytes, 2 + 1312 + 2);
    // The SFI read selected the EF: a second read needs no SELECT.
    card.read_file(CardFile::new(
        Application::Jpki,
        jpki::USER_AUTH_CERTIFICATE,
    ))
    .unwrap();
    assert_eq!(traffic(&card).len(), 3);
}

#[test]
fn certificate_fields() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    assert_eq!(certificate.serial(), &[0x01, 0x00, 0x01]);
    assert!(
        certificate.subject().contains("ONSHI VIRTUAL USER AUTH"),
        "{}",
        certificate.subject()
    );
    assert!(
        certificate.issuer().contains("JPKI"),
        "{}",
        certificate.issuer()
    );
    let not_after = Date::new(2030, 11, 27).unwrap().start_utc();
    assert_eq!(certificate.not_after(), not_after);
    assert_eq!(
        certificate.not_before(),
        Date::new(2025, 11, 27).unwrap().start_utc()
    );
}

#[test]
fn expired_personas() {
    let recently = card(Persona::CertExpiredRecently)
        .user_auth_certificate()
        .unwrap();
    assert_eq!(
        recently.not_after(),
        Date::new(2026, 9, 27).unwrap().start_utc()
    );
    let long_ago = card(Persona::CertExpiredLongAgo)
        .user_auth_certificate()
        .unwrap();
    assert_eq!(
        long_ago.not_after(),
        Date::new(2025, 11, 27).unwrap().start_utc()
    );
    assert!(long_ago.not_after() < Timestamp::from_date_time(today(), 0, 0, 0).unwrap());
}

#[test]
fn token_says_the_kind_of_card() {
    assert_eq!(
        card(Persona::Standard).kind().unwrap(),
        CardKind::MyNumberCard
    );
    assert_eq!(
        card(Persona::SmartphoneAndroid).kind().unwrap(),
        CardKind::Smartphone
    );
    let mut card = card(Persona::Standard);
    card.kind().unwrap();
    // SELECT AP, SELECT EF 0006, one read of 0x20 bytes.
    assert_eq!(traffic(&card)[2], hex("00 B0 00 00 20"));
    assert_eq!(traffic(&card).len(), 3);
}

#[test]
fn smartphone_certificate_needs_the_pin() {
    let mut card = card(Persona::SmartphoneAndroid);
    assert_eq!(
        card.user_auth_certificate(),
        Err(Error::Usage(UsageError::PinNotVerified(PinSlot::UserAuth)))
    );
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(3)
    );
    let pin = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    card.verify(PinSlot::UserAuth, pin).unwrap();
    assert_eq!(card.user_auth_certificate().unwrap().der().len(), 1312);
    assert_eq!(
        card.select(Application::CardFace),
        Err(Error::CardIncompatible(
            CardIncompatible::ApplicationMissing(Application::CardFace)
        ))
    );
}

#[test]
fn protected_file_before_its_pin_is_69_82() {
    let mut card = card(Persona::Standard);
    let result = card.read_file(CardFile::new(Application::Jpki, jpki::SIGNING_CERTIFICATE));
    assert_eq!(
        result,
        Err(Error::Usage(UsageError::PinNotVerified(PinSlot::Signing)))
    );
    let log = virtual_card(&card).log();
    assert_eq!(log.last().unwrap().status().to_u16(), 0x6982);
}

#[test]
fn basic_info_after_the_card_info_pin() {
    let mut card = card(Persona::Standard);
    let pin = Pin::new(PinKind::CardInfo, secrets::CARD_INFO_PIN).unwrap();
    let info = card.basic_info(pin).unwrap();
    assert_eq!(info.name, "音資 太郎");
    assert_eq!(info.address, "東京都架空区見本町一丁目2番3号");
    assert_eq!(info.birth_date(), Date::new(1985, 4, 1));
    assert_eq!(info.sex, Sex::Male);
    assert_eq!(card.stats().pin_verifications, 1);
}

#[test]
fn my_number_after_the_card_info_pin_is_masked() {
    let mut card = card(Persona::Standard);
    let pin = Pin::new(PinKind::CardInfo, secrets::CARD_INFO_PIN).unwrap();
    let number = card.my_number(pin).unwrap();
    assert_eq!(number.expose_secret(), secrets::MY_NUMBER);
    assert_eq!(format!("{number:?}"), "MyNumber(***)");
    let shown: Vec<String> = virtual_card(&card)
        .log()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        shown.iter().all(|line| !line.contains("31 32 33 34")),
        "{shown:#?}"
    );
}

#[test]
fn card_face_with_verification_number_b() {
    let mut card = card(Persona::Standard);
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    let face = card.card_face(b).unwrap();
    let photo = face.photo.as_ref().unwrap();
    assert_eq!(
        &photo[..12],
        &hex("00 00 00 0C 6A 50 20 20 0D 0A 87 0A"),
        "JPEG 2000 signature"
    );
    assert_eq!(face.birth_date, "19850401");
    assert_eq!(face.expiry, "20350401");
    assert_eq!(face.sex, Sex::Male);
    assert_eq!(&face.name_image[..4], &[0x89, b'P', b'N', b'G']);
    // A several-KB record: `FF 20 82 xx xx`.
    let size = virtual_card(&card)
        .data(Application::CardFace, card_face::ENTRIES)
        .unwrap()
        .len();
    assert!(size > 4096, "{size}");
    assert_eq!(card.stats().pin_verifications, 1);
}

#[test]
fn infant_card_has_no_photo() {
    let mut card = card(Persona::InfantNoPhoto);
    let holder = Persona::InfantNoPhoto.holder(today());
    assert_eq!(holder.birth_date, Date::new(2026, 3, 27).unwrap());
    let face = card
        .card_face(holder.verification_number_b().unwrap())
        .unwrap();
    assert_eq!(face.photo, None);
    assert_eq!(face.sex, Sex::Female);
}

#[test]
fn wrong_verification_number_b_spends_a_try_of_its_own() {
    let mut card = card(Persona::Standard);
    let wrong = Pin::new(PinKind::VerificationNumberB, "85040120309999").unwrap();
    assert_eq!(
        card.card_face(wrong),
        Err(Error::Usage(UsageError::PinNotVerified(
            PinSlot::CardFaceVerificationB
        )))
    );
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::CardFaceVerificationB),
        Some(9)
    );
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(3)
    );
}

#[test]
fn a_file_shorter_than_its_header_is_an_error() {
    let mut reader = VirtualReader::with_card(Persona::Standard.card(today()));
    let card_file = reader.card_mut().unwrap();
    let mut truncated = card_file
        .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
        .unwrap()
        .to_vec();
    truncated.truncate(700);
    card_file.set_file(
        Application::Jpki,
        jpki::USER_AUTH_CERTIFICATE,
        VirtualFile::Data {
            content: truncated,
            unlocked_by: vec![],
        },
    );
    let mut card = Card::new(reader);
    let file = CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE);
    assert_eq!(
        card.read_file(file),
        Err(Error::CardMisbehaved(CardMisbehaved::FileEndedEarly {
            file,
            expected: 1312,
            got: 700
        }))
    );
    // The short third answer (188 of 256 bytes) ended the file: no read past the end.
    assert_eq!(traffic(&card).len(), 5);
    assert_eq!(
        virtual_card(&card).log().last().unwrap().response_len(),
        188 + 2
    );
}

#[test]
fn reads_past_the_end_are_6b00_and_short_reads_end_with_9000() {
    let mut card = Persona::Standard.card(today());
    card.respond(&hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"));
    card.respond(&hex("00 A4 02 0C 02 00 0A"));
    let last = card.respond(&hex("00 B0 05 00 00"));
    assert_eq!(last.len(), 0x20 + 2);
    assert_eq!(&last[0x20..], &[0x90, 0x00]);
    assert_eq!(card.respond(&hex("00 B0 05 20 01")), [0x6B, 0x00]);
}

#[test]
fn unknown_application_file_and_instruction() {
    let mut card = Persona::Standard.card(today());
    assert_eq!(
        card.respond(&hex("00 A4 04 0C 05 A0 00 00 00 01")),
        [0x6A, 0x82]
    );
    assert_eq!(
        card.respond(&hex("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08")),
        [0x90, 0x00]
    );
    assert_eq!(card.respond(&hex("00 A4 02 0C 02 00 99")), [0x6A, 0x82]);
    assert_eq!(card.respond(&hex("00 CA 00 00 00")), [0x6D, 0x00]);
    assert_eq!(card.respond(&hex("00 A4")), [0x67, 0x00]);
    assert_eq!(card.atr(), hex("3B E0 00 FF 81 31 FE 45 14"));
    let _ = card_info::PIN;
}
