//! Reading files and records from the virtual card: exact traces, APDU counts, every record,
//! and each key opening exactly what it opens on a probed card.

mod common;

use common::{card, hex, today, traffic, virtual_card};
use onshi::Error;
use onshi::ReaderCapabilities;
use onshi::card::{
    Application, BirthYearForm, Card, CardKey, CardKind, CardVerifiableCertificate,
    CertificateAvailability, IntegrityRecord, Pin, PinKind, PinSlot, PinStatus, Sex,
    SignatureScheme, SmartphonePlatform, card_face, card_info, data_object, jpki,
};
use onshi::error::{CardFile, CardIncompatible, CardMisbehaved, Operation, UsageError};
use onshi::sim::{
    ATR, ATR_2024, CardInterface, FileLock, Persona, VirtualFile, VirtualReader, secrets,
};
use onshi::time::{Date, Timestamp};

/// The JPKI-AP, the card-info AP and the card-face AP as SELECT sends them.
const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
const SELECT_CARD_INFO: &str = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08";
const SELECT_CARD_FACE: &str = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02";

#[test]
fn certificate_read_with_short_apdus_is_the_physical_minimum() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    // The size of a real user-authentication certificate (the test card's is 1590 bytes).
    assert_eq!(certificate.der().len(), 1590);
    assert_eq!(&certificate.der()[..4], &hex("30 82 06 32"));
    // SELECT of the application and ceil(1590 / 256) = 7 reads, the first naming the EF by
    // its short identifier (no SELECT EF): 8 APDUs where OpenSC and jpki-rs need 9 or more.
    assert_eq!(
        traffic(&card),
        [
            hex(SELECT_JPKI),
            hex("00 B0 8A 00 00"),
            hex("00 B0 01 00 00"),
            hex("00 B0 02 00 00"),
            hex("00 B0 03 00 00"),
            hex("00 B0 04 00 00"),
            hex("00 B0 05 00 00"),
            hex("00 B0 06 00 36"),
        ]
    );
    let stats = card.stats();
    assert_eq!(stats.commands, 8);
    assert_eq!(stats.command_bytes, 15 + 7 * 5);
    assert_eq!(stats.response_bytes, 2 + 1590 + 7 * 2);
}

#[test]
fn certificate_read_with_extended_length_takes_2_commands() {
    let mut reader = VirtualReader::with_card(Persona::Standard.card(today()));
    reader.set_capabilities(ReaderCapabilities::EXTENDED_LENGTH);
    let mut card = Card::new(reader);
    let certificate = card.user_auth_certificate().unwrap();
    assert_eq!(certificate.der().len(), 1590);
    assert_eq!(
        traffic(&card),
        [hex(SELECT_JPKI), hex("00 B0 8A 00 00 00 00")]
    );
    assert_eq!(card.stats().response_bytes, 2 + 1590 + 2);
}

#[test]
fn certificate_fields_follow_the_real_profile() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    assert_eq!(certificate.serial(), &[0x22, 0x7B, 0x01]);
    assert!(
        certificate.subject().contains("ONSHIVIRTUAL0001AUTH13999"),
        "{}",
        certificate.subject()
    );
    assert!(
        certificate.issuer().contains("onshi virtual JPKI"),
        "{}",
        certificate.issuer()
    );
    // notAfter at 14:59:59Z: the end of the day in Japan.
    let not_after = Timestamp::from_date_time(Date::new(2030, 11, 27).unwrap(), 14, 59, 59);
    assert_eq!(Some(certificate.not_after()), not_after);
    // Two personas are two cards: their certificates differ.
    let other = common::card(Persona::OneTryLeft)
        .user_auth_certificate()
        .unwrap();
    assert_ne!(other.serial(), certificate.serial());
}

#[test]
fn expired_personas() {
    let at_end_of_day =
        |y, m, d| Timestamp::from_date_time(Date::new(y, m, d).unwrap(), 14, 59, 59);
    let recently = card(Persona::CertExpiredRecently)
        .user_auth_certificate()
        .unwrap();
    assert_eq!(Some(recently.not_after()), at_end_of_day(2026, 9, 27));
    let long_ago = card(Persona::CertExpiredLongAgo)
        .user_auth_certificate()
        .unwrap();
    assert_eq!(Some(long_ago.not_after()), at_end_of_day(2025, 11, 27));
    assert!(long_ago.not_after() < Timestamp::from_date_time(today(), 0, 0, 0).unwrap());
}

#[test]
fn the_token_says_the_kind_of_card_and_identifies_the_chip() {
    assert_eq!(
        card(Persona::Standard).kind().unwrap(),
        CardKind::MyNumberCard
    );
    assert_eq!(
        card(Persona::SmartphoneAndroid).kind().unwrap(),
        CardKind::Smartphone(SmartphonePlatform::Android)
    );
    let mut card = card(Persona::Standard);
    let token = card.token_info().unwrap();
    assert_eq!(token.kind, CardKind::MyNumberCard);
    assert_eq!(token.serial_number, "0000000099000001");
    // SELECT AP, then one read of the 160-byte token by its short EF id.
    assert_eq!(traffic(&card), [hex(SELECT_JPKI), hex("00 B0 86 00 A0")]);
    let other = common::card(Persona::PinBlocked).token_info().unwrap();
    assert_ne!(other.serial_number, token.serial_number);
}

#[test]
fn an_unknown_or_truncated_token_is_a_typed_error() {
    use onshi::error::{MalformedCardData, RecordProblem};
    let file = CardFile::new(Application::Jpki, jpki::TOKEN);
    for (token, problem) in [
        (b"JPKIAPICCTOKEN9".to_vec(), RecordProblem::UnknownToken),
        (
            b"JPKIAPICCTOKEN2".to_vec(),
            RecordProblem::WrongLength {
                expected: 160,
                got: 32,
            },
        ),
    ] {
        let mut reader = VirtualReader::with_card(Persona::Standard.card(today()));
        let mut content = token;
        let len = if problem == RecordProblem::UnknownToken {
            160
        } else {
            32
        };
        content.resize(len, b' ');
        reader.card_mut().unwrap().set_file(
            Application::Jpki,
            jpki::TOKEN,
            VirtualFile::Data {
                content,
                lock: FileLock::Free,
            },
        );
        let mut card = Card::new(reader);
        assert_eq!(
            card.kind(),
            Err(Error::MalformedCardData(MalformedCardData::Record {
                file,
                problem
            }))
        );
    }
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
    let count = card.state().fresh_count(PinSlot::UserAuth).unwrap();
    card.verify(count, pin).unwrap();
    assert_eq!(card.user_auth_certificate().unwrap().der().len(), 1590);
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
fn basic_info_with_the_card_info_pin_or_verification_number_b() {
    let holder = Persona::Standard.holder(today());
    for key in [
        Pin::new(PinKind::CardInfo, secrets::CARD_INFO_PIN).unwrap(),
        holder.verification_number_b().unwrap(),
    ] {
        let mut card = card(Persona::Standard);
        let info = card.basic_info(key).unwrap();
        // A full-width space in the name and full-width digits in the address, as on a
        // real card.
        assert_eq!(info.name, "音資\u{3000}太郎");
        assert_eq!(info.address, "東京都架空区見本町一丁目２番３号");
        assert_eq!(info.birth_date(), Date::new(1985, 4, 1));
        assert_eq!(info.sex, Sex::Male);
        // Personal data never reaches a log through Debug.
        assert_eq!(
            format!("{info:?}"),
            "BasicInfo { name: (5 chars), address: (16 chars), birth_date: ***, sex: Male }"
        );
        let stats = card.stats();
        assert_eq!(stats.pin_verifications + stats.key_verifications, 1);
    }
}

#[test]
fn my_number_with_the_card_info_pin_or_verification_number_a_is_masked() {
    for key in [
        Pin::new(PinKind::CardInfo, secrets::CARD_INFO_PIN).unwrap(),
        Pin::new(PinKind::VerificationNumberA, secrets::MY_NUMBER).unwrap(),
    ] {
        let mut card = card(Persona::Standard);
        let number = card.my_number(key).unwrap();
        assert_eq!(number.expose_secret(), secrets::MY_NUMBER);
        assert_eq!(format!("{number:?}"), "MyNumber(***)");
        let shown: Vec<String> = virtual_card(&card)
            .log()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            shown
                .iter()
                .all(|line| !line.contains("31 32 33 34") && !line.contains("31 32 33 34 35")),
            "{shown:#?}"
        );
    }
}

#[test]
fn a_key_is_never_presented_to_a_file_it_does_not_open() {
    let holder = Persona::Standard.holder(today());
    let a = || Pin::new(PinKind::VerificationNumberA, secrets::MY_NUMBER).unwrap();
    let b = || holder.verification_number_b().unwrap();
    type Read<'a> = Box<dyn Fn(&mut Card<VirtualReader>) -> Result<(), Error> + 'a>;
    let cases: [(Read<'_>, PinSlot, CardFile); 3] = [
        (
            Box::new(|card| card.basic_info(a()).map(drop)),
            PinSlot::CardInfoVerificationA,
            CardFile::new(Application::CardInfo, card_info::BASIC_INFO),
        ),
        (
            Box::new(|card| card.my_number(b()).map(drop)),
            PinSlot::CardInfoVerificationB,
            CardFile::new(Application::CardInfo, card_info::MY_NUMBER),
        ),
        (
            Box::new(|card| {
                let file = CardFile::new(Application::CardFace, card_face::MY_NUMBER_IMAGE);
                card.read_protected(file, b()).map(drop)
            }),
            PinSlot::CardFaceVerificationB,
            CardFile::new(Application::CardFace, card_face::MY_NUMBER_IMAGE),
        ),
    ];
    for (read, slot, file) in cases {
        let mut card = card(Persona::Standard);
        assert_eq!(
            read(&mut card),
            Err(Error::Usage(UsageError::KeyDoesNotOpenFile { slot, file }))
        );
        assert!(traffic(&card).is_empty(), "nothing is sent");
    }
}

#[test]
fn the_virtual_card_opens_each_file_with_exactly_its_keys() {
    let holder = Persona::Standard.holder(today());
    let b = holder.verification_number_b().unwrap();
    let b = b.secret().expose_secret();
    let verify = |sfi: u8, value: &[u8]| {
        let mut command = vec![0x00, 0x20, 0x00, 0x80 | sfi, value.len() as u8];
        command.extend_from_slice(value);
        command
    };
    let read = |sfi: u8| vec![0x00, 0xB0, 0x80 | sfi, 0x00, 0x00];
    let status = |answer: Vec<u8>| answer[answer.len() - 2..].to_vec();
    // Card-info AP: B opens the basic 4 info and not the My Number; A the reverse.
    let mut card = Persona::Standard.card(today());
    card.respond(&hex(SELECT_CARD_INFO));
    assert_eq!(card.respond(&verify(0x15, b)), [0x90, 0x00]);
    assert_eq!(status(card.respond(&read(0x01))), [0x69, 0x82]);
    assert_eq!(status(card.respond(&read(0x02))), [0x90, 0x00]);
    let mut card = Persona::Standard.card(today());
    card.respond(&hex(SELECT_CARD_INFO));
    assert_eq!(
        card.respond(&verify(0x14, secrets::MY_NUMBER.as_bytes())),
        [0x90, 0x00]
    );
    assert_eq!(status(card.respond(&read(0x01))), [0x90, 0x00]);
    assert_eq!(status(card.respond(&read(0x02))), [0x69, 0x82]);
    // The blocked key EF 0012: 63 C0 to the query, 69 84 to a VERIFY.
    assert_eq!(card.respond(&hex("00 20 00 92")), [0x63, 0xC0]);
    assert_eq!(card.respond(&verify(0x12, b"0000")), [0x69, 0x84]);
    // Card-face AP: B opens 0002 and not 0005; A both; the birth-date key only 0001.
    let mut card = Persona::Standard.card(today());
    card.respond(&hex(SELECT_CARD_FACE));
    assert_eq!(status(card.respond(&read(0x04))), [0x90, 0x00], "free");
    assert_eq!(status(card.respond(&read(0x02))), [0x69, 0x82]);
    assert_eq!(card.respond(&verify(0x12, b)), [0x90, 0x00]);
    assert_eq!(status(card.respond(&read(0x02))), [0x90, 0x00]);
    assert_eq!(status(card.respond(&read(0x05))), [0x69, 0x82]);
    assert_eq!(status(card.respond(&read(0x01))), [0x69, 0x82]);
    assert_eq!(
        card.respond(&verify(0x13, secrets::MY_NUMBER.as_bytes())),
        [0x90, 0x00]
    );
    assert_eq!(status(card.respond(&read(0x05))), [0x90, 0x00]);
    let birth = holder.birth_date_key().unwrap();
    assert_eq!(birth.secret().expose_secret(), b"600401", "昭和60年4月1日");
    assert_eq!(
        card.respond(&verify(0x11, birth.secret().expose_secret())),
        [0x90, 0x00]
    );
    assert_eq!(status(card.respond(&read(0x01))), [0x90, 0x00]);
}

#[test]
fn a_card_that_refuses_a_file_its_key_opens_is_a_card_error() {
    // A card whose basic 4 info stays locked after 照合番号B (not what a real card does).
    let mut reader = VirtualReader::with_card(Persona::Standard.card(today()));
    let file = CardFile::new(Application::CardInfo, card_info::BASIC_INFO);
    let content = reader
        .card()
        .unwrap()
        .data(file.application, file.file)
        .unwrap()
        .to_vec();
    reader.card_mut().unwrap().set_file(
        file.application,
        file.file,
        VirtualFile::Data {
            content,
            lock: FileLock::AnyOf(vec![card_info::PIN]),
        },
    );
    let mut card = Card::new(reader);
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    assert_eq!(
        card.basic_info(b),
        Err(Error::CardMisbehaved(CardMisbehaved::ReadRefused { file }))
    );
}

#[test]
fn card_face_with_verification_number_b_in_the_era_form() {
    let mut card = card(Persona::Standard);
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    // 1985-04-01 is 昭和60年: the era year, as a real card wants it.
    assert_eq!(b.secret().expose_secret(), b"60040120355678");
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
    assert_eq!(face.public_key.bits(), 2048);
    assert_eq!(face.public_key.exponent(), [1, 0, 1]);
    assert_eq!(face.signature().len(), 256);
    let [identity, images, photo_segment] = face.signed_segments();
    assert_eq!(&identity[..2], &[0xDF, 0x22]);
    assert_eq!(&images[..2], &[0xDF, 0x25]);
    assert_eq!(&photo_segment[..2], &[0xDF, 0x27]);
    assert_eq!(&face.name_image[..4], &[0x89, b'P', b'N', b'G']);
    // About 3 KB, like a real card face.
    let size = virtual_card(&card)
        .data(Application::CardFace, card_face::ENTRIES)
        .unwrap()
        .len();
    assert!((3000..3200).contains(&size), "{size}");
    assert_eq!(card.stats().pin_verifications, 0);
    assert_eq!(card.stats().key_verifications, 1);
}

#[test]
fn a_western_year_verification_number_b_costs_a_try() {
    let mut card = card(Persona::Standard);
    let holder = Persona::Standard.holder(today());
    let western = holder
        .verification_number_b_in(BirthYearForm::Western)
        .unwrap();
    assert_eq!(western.secret().expose_secret(), b"85040120355678");
    assert_eq!(
        card.card_face(western),
        Err(Error::Usage(UsageError::PinNotVerified(
            PinSlot::CardFaceVerificationB
        )))
    );
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::CardFaceVerificationB),
        Some(9)
    );
    assert_eq!(
        card.state().pin_status(PinSlot::CardFaceVerificationB),
        PinStatus::Remaining(9)
    );
    // The era form then works, and the counter is full again.
    card.card_face(holder.verification_number_b().unwrap())
        .unwrap();
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::CardFaceVerificationB),
        Some(10)
    );
    assert_eq!(
        virtual_card(&card).pin_remaining(PinSlot::UserAuth),
        Some(3)
    );
}

#[test]
fn infant_card_has_no_photo_and_no_signing_certificate() {
    let mut card = card(Persona::InfantNoPhoto);
    let holder = Persona::InfantNoPhoto.holder(today());
    assert_eq!(holder.birth_date, Date::new(2026, 3, 27).unwrap());
    let face = card
        .card_face(holder.verification_number_b().unwrap())
        .unwrap();
    assert_eq!(face.photo, None);
    assert_eq!(face.sex, Sex::Female);
    let availability = card.certificate_availability().unwrap();
    assert!(!availability.has_signing_certificate());
    assert!(availability.has_user_auth_certificate());
    assert_eq!(
        card.read_file(CardFile::new(Application::Jpki, jpki::SIGNING_CERTIFICATE)),
        Err(Error::CardIncompatible(CardIncompatible::FileMissing(
            CardFile::new(Application::Jpki, jpki::SIGNING_CERTIFICATE)
        )))
    );
    let adult = common::card(Persona::Standard)
        .certificate_availability()
        .unwrap();
    assert_eq!(
        adult,
        CertificateAvailability::parse(&[0x8F, 0x8F, 0x00]).unwrap()
    );
}

#[test]
fn integrity_record_holds_the_digests_of_the_files_it_covers() {
    use rsa::sha2::{Digest, Sha256};
    let mut card = card(Persona::Standard);
    let pin = || Pin::new(PinKind::CardInfo, secrets::CARD_INFO_PIN).unwrap();
    let record: IntegrityRecord = card.integrity_record(pin()).unwrap();
    let my_number = virtual_card(&card)
        .data(Application::CardInfo, card_info::MY_NUMBER)
        .unwrap()
        .to_vec();
    assert_eq!(my_number.len(), 17, "FF 10 0C, 12 digits, FF FF");
    assert_eq!(record.my_number_digest, Sha256::digest(&my_number)[..]);
    let basic = virtual_card(&card)
        .data(Application::CardInfo, card_info::BASIC_INFO)
        .unwrap()
        .to_vec();
    // The basic 4 info's digest skips the container header and the offset table.
    assert_eq!(basic[..2], [0xFF, 0x20]);
    assert_eq!(basic[3..5], [0xDF, 0x21]);
    let table_end = 3 + 3 + basic[5] as usize;
    assert_eq!(
        record.basic_info_digest,
        Sha256::digest(&basic[table_end..])[..]
    );
    assert_eq!(record.signature().len(), 256);
    assert_eq!(record.signed_data().len(), 2 * (3 + 32));
}

#[test]
fn card_verifiable_certificates_of_both_applications() {
    let mut card = card(Persona::Standard);
    let face: CardVerifiableCertificate = card
        .card_verifiable_certificate(Application::CardFace)
        .unwrap();
    assert_eq!(face.issuer_key_id.name(), "9000023");
    assert_eq!(face.public_key.bits(), 2048);
    assert_eq!(face.body().len(), 297);
    let info = card
        .card_verifiable_certificate(Application::CardInfo)
        .unwrap();
    assert_eq!(info.issuer_key_id.name(), "9000033");
    assert_eq!(
        card.card_verifiable_certificate(Application::Jpki),
        Err(Error::CardIncompatible(CardIncompatible::FileMissing(
            CardFile::new(Application::Jpki, card_face::CERTIFICATE)
        )))
    );
}

#[test]
fn get_data_answers_only_at_mf_level() {
    // Short APDUs: the small objects come back; a certificate chain object is refused with
    // 67 00 (the card will not take a short Le for it).
    let mut card = card(Persona::Standard);
    card.select(Application::Jpki).unwrap();
    let expiry = card.get_data(data_object::EXPIRY).unwrap().unwrap();
    assert_eq!(expiry, b"20350401");
    let sent = traffic(&card);
    // Leaving the application first: the Issuer Security Domain, then GET DATA.
    assert_eq!(sent[1], hex("00 A4 04 0C 07 A0 00 00 01 51 00 00"));
    assert_eq!(sent[2], hex("00 CA 00 F2 00"));
    assert_eq!(card.get_data(0x0042).unwrap(), None, "absent: 6A 88");
    assert_eq!(
        card.get_data(data_object::CHAIN_UPPER),
        Err(Error::CardMisbehaved(CardMisbehaved::UnexpectedStatus {
            operation: Operation::GetData,
            status: onshi::apdu::StatusWord::WRONG_LENGTH
        }))
    );
    // With extended length the chain is read, both certificates in GET DATA's form.
    let mut reader = VirtualReader::with_card(Persona::Standard.card(today()));
    reader.set_capabilities(ReaderCapabilities::EXTENDED_LENGTH);
    let mut card = Card::new(reader);
    let mf = CardFile::new(Application::Jpki, onshi::apdu::FileId::new(0));
    let upper = card.get_data(data_object::CHAIN_UPPER).unwrap().unwrap();
    let upper = CardVerifiableCertificate::parse(mf, &upper).unwrap();
    let lower = card.get_data(data_object::CHAIN_LOWER).unwrap().unwrap();
    let lower = CardVerifiableCertificate::parse(mf, &lower).unwrap();
    assert_eq!(upper.issuer_key_id.name(), "9000020");
    assert_eq!(lower.issuer_key_id, upper.subject_key_id);
    // The card is at MF level now: the second GET DATA needed no SELECT.
    let sent = traffic(&card);
    assert_eq!(sent[0], hex("00 A4 04 0C 07 A0 00 00 01 51 00 00"));
    assert_eq!(sent[1], hex("00 CA 00 F8 00"));
    assert_eq!(sent[2], hex("00 CA 00 F8 00 00 00"));
    assert_eq!(sent[3], hex("00 CA 7F 21 00"));
}

#[test]
fn mf_level_answers_as_a_probed_card_does() {
    let mut card = Persona::Standard.card(today());
    // SELECT MF after a cold reset: 6A 86; 3F00: 6A 82; no EF under the MF.
    assert_eq!(card.respond(&hex("00 A4 00 00")), [0x6A, 0x86]);
    assert_eq!(card.respond(&hex("00 A4 00 0C 02 3F 00")), [0x6A, 0x82]);
    assert_eq!(card.respond(&hex("00 B0 81 00 00")), [0x69, 0x86]);
    // GET DATA answers here, not in an application (but for the contact ATR).
    assert_eq!(
        card.respond(&hex("00 CA 00 F0 00")),
        hex("31 33 39 39 39 90 00")
    );
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(card.respond(&hex("00 CA 00 F0 00")), [0x6A, 0x88]);
    let atr = card.respond(&hex("00 CA 5F 51 00"));
    assert_eq!(atr[..atr.len() - 2], ATR_2024[1..]);
    // SELECT MF with an application selected: 90 00, and the application stays selected.
    assert_eq!(card.respond(&hex("00 A4 00 00")), [0x90, 0x00]);
    assert_eq!(card.respond(&hex("00 CA 00 F0 00")), [0x6A, 0x88]);
    // The Issuer Security Domain brings back the MF level.
    assert_eq!(
        card.respond(&hex("00 A4 04 0C 07 A0 00 00 01 51 00 00")),
        [0x90, 0x00]
    );
    assert_eq!(
        card.respond(&hex("00 CA 00 F0 00")),
        hex("31 33 39 39 39 90 00")
    );
    // GET CHALLENGE: 1 to 256 bytes, short Le only.
    assert_eq!(card.respond(&hex("00 84 00 00 08")).len(), 8 + 2);
    assert_eq!(card.respond(&hex("00 84 00 00 00")).len(), 256 + 2);
    assert_eq!(card.respond(&hex("00 84 00 00 00 00 10")), [0x69, 0x85]);
    // Secure-messaging CLA: 68 82 on SELECT, 69 FC elsewhere.
    assert_eq!(
        card.respond(&hex("0C A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01")),
        [0x68, 0x82]
    );
    assert_eq!(card.respond(&hex("08 B0 00 00 10")), [0x69, 0xFC]);
    assert_eq!(
        card.respond(&hex("0C 20 00 80 04 31 32 33 34")),
        [0x69, 0xFC]
    );
}

#[test]
fn a_verified_key_stays_unlocked_until_the_application_is_left() {
    let mut card = Persona::Standard.card(today());
    let mut sign = hex("80 2A 00 97 33");
    sign.extend_from_slice(&onshi::sim::sha256_digest_info(b"x"));
    sign.push(0x00);
    let status = |answer: Vec<u8>| answer[answer.len() - 2..].to_vec();
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(status(card.respond(&sign)), [0x69, 0x82]);
    assert_eq!(
        card.respond(&hex("00 20 00 98 04 31 32 33 34")),
        [0x90, 0x00]
    );
    assert_eq!(status(card.respond(&sign)), [0x90, 0x00]);
    // A warm reset and the same application again: still unlocked (fact 10).
    card.warm_reset();
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(status(card.respond(&sign)), [0x90, 0x00]);
    // Another application, or the Issuer Security Domain, locks it.
    card.respond(&hex(SELECT_CARD_FACE));
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(status(card.respond(&sign)), [0x69, 0x82]);
    card.respond(&hex("00 20 00 98 04 31 32 33 34"));
    card.respond(&hex("00 A4 04 0C 07 A0 00 00 01 51 00 00"));
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(status(card.respond(&sign)), [0x69, 0x82]);
    // So does a power cycle.
    card.respond(&hex("00 20 00 98 04 31 32 33 34"));
    card.power_cycle();
    card.respond(&hex(SELECT_JPKI));
    assert_eq!(status(card.respond(&sign)), [0x69, 0x82]);
}

#[test]
fn leaving_the_application_locks_the_key_for_everyone() {
    let mut card = card(Persona::Standard);
    card.pin_status(PinSlot::UserAuth).unwrap();
    let pin = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    let count = card.state().fresh_count(PinSlot::UserAuth).unwrap();
    card.verify(count, pin).unwrap();
    card.leave_application().unwrap();
    assert!(!card.state().is_verified(PinSlot::UserAuth));
    assert_eq!(
        card.sign(CardKey::UserAuth, SignatureScheme::Verbatim, &[1; 51]),
        Err(Error::Usage(UsageError::PinNotVerified(PinSlot::UserAuth)))
    );
    // Another program on the same reader, with its own view of the card, cannot sign either.
    let virtual_card = card.reader_mut().card_mut().unwrap();
    virtual_card.respond(&hex(SELECT_JPKI));
    let mut sign = hex("80 2A 00 97 33");
    sign.extend_from_slice(&onshi::sim::sha256_digest_info(b"x"));
    sign.push(0x00);
    assert_eq!(virtual_card.respond(&sign), [0x69, 0x82]);
}

#[test]
fn card_generations_and_interfaces_have_their_atrs() {
    assert_eq!(Persona::Standard.card(today()).atr(), ATR_2024);
    assert_eq!(Persona::CertExpiredLongAgo.card(today()).atr(), ATR);
    let contactless = Persona::Standard.card_on(today(), CardInterface::Contactless);
    let atr = contactless.atr();
    assert_eq!(atr[..4], hex("3B 88 80 01"));
    assert_eq!(atr.iter().skip(1).fold(0, |acc, b| acc ^ b), 0, "TCK");
    // The card is identified by SELECT whatever its ATR: it reads the same.
    let mut card = Card::new(VirtualReader::with_card(contactless));
    assert_eq!(card.kind().unwrap(), CardKind::MyNumberCard);
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
            lock: FileLock::Free,
        },
    );
    let mut card = Card::new(reader);
    let file = CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE);
    assert_eq!(
        card.read_file(file),
        Err(Error::CardMisbehaved(CardMisbehaved::FileEndedEarly {
            file,
            expected: 1590,
            got: 700
        }))
    );
    // The short third answer (188 of 256 bytes) ended the file: no read past the end.
    assert_eq!(traffic(&card).len(), 4);
    assert_eq!(
        virtual_card(&card).log().last().unwrap().response_len(),
        188 + 2
    );
}

#[test]
fn reads_past_the_end_are_6b00_and_short_reads_end_with_9000() {
    let mut card = Persona::Standard.card(today());
    card.respond(&hex(SELECT_JPKI));
    card.respond(&hex("00 A4 02 0C 02 00 0A"));
    let last = card.respond(&hex("00 B0 06 00 00"));
    assert_eq!(last.len(), 0x36 + 2);
    assert_eq!(&last[0x36..], &[0x90, 0x00]);
    assert_eq!(card.respond(&hex("00 B0 06 36 01")), [0x6B, 0x00]);
}

#[test]
fn unknown_application_file_and_instruction() {
    let mut card = Persona::Standard.card(today());
    assert_eq!(
        card.respond(&hex("00 A4 04 0C 05 A0 00 00 00 01")),
        [0x6A, 0x82]
    );
    assert_eq!(card.respond(&hex(SELECT_CARD_INFO)), [0x90, 0x00]);
    assert_eq!(card.respond(&hex("00 A4 02 0C 02 00 99")), [0x6A, 0x82]);
    assert_eq!(card.respond(&hex("00 E0 00 00 00")), [0x6D, 0x00]);
    assert_eq!(card.respond(&hex("00 A4")), [0x67, 0x00]);
}
