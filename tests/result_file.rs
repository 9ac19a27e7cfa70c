//! The eligibility result file (`OQSsiquc01res`): a real reader's fixture parsed field by field,
//! round trips in UTF-8 and Shift_JIS, strict on malformed values, tolerant of unknown
//! elements, and the consent part filled from whole visits.

mod common;

use common::harness::Harness;
use onshi::facility::ReaderMode;
use onshi::reception::result_file::{
    CharacterCodeIdentifier, EligibilityResult, FileDate, FileTime, MessageBody, MessageHeader,
    PersonalText, ProcessingResultStatus, QualificationResult, ReferenceClassification,
    ResultFileError, ResultList, SegmentOfResult,
};
use onshi::reception::{
    ConsentCode, ConsentItem, ConsentSettings, ConsentStatus, EndReason, PrescriptionIssue,
    UserInput, VisitResult, VisitSettings,
};
use onshi::sim::Persona;
use onshi::time::{Date, Timestamp};
use proptest::prelude::*;

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/result-file/OQSsiquc01res_face_sample.xml"
    ))
    .unwrap()
}

fn jst(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> FileTime {
    FileTime(Timestamp::from_jst(y, mo, d, h, mi, s).unwrap())
}

fn consent_of(
    result: &QualificationResult,
    item: &ConsentItem,
) -> (Option<ConsentCode>, Option<FileTime>, Option<FileTime>) {
    let consent = result.consent(item).unwrap();
    (consent.flag, consent.time, consent.available)
}

#[test]
fn a_readers_fixture_parses_field_by_field() {
    let result = EligibilityResult::parse(&sample()).unwrap();
    let header = &result.header;
    assert_eq!(header.process_execution_time, jst(2023, 2, 21, 17, 48, 35));
    assert_eq!(
        header.qualification_confirmation_date,
        FileDate(Date::new(2023, 2, 21).unwrap())
    );
    assert_eq!(header.medical_institution_code, "1311111111");
    assert_eq!(
        header.arbitrary_file_identifier.as_deref(),
        Some("ArnHCeDfNjMCFzg=")
    );
    assert_eq!(
        header.reference_classification,
        ReferenceClassification::MyNumberCard
    );
    assert_eq!(header.segment_of_result, SegmentOfResult::Completed);
    assert_eq!(
        header.character_code_identifier,
        CharacterCodeIdentifier::Utf8
    );
    assert_eq!(
        result.body.processing_result_status,
        ProcessingResultStatus::Completed
    );
    assert_eq!(result.body.qualification_validity.as_deref(), Some("1"));
    assert_eq!(result.body.prescription(), None);
    let list = result.body.result_list.as_ref().unwrap();
    assert_eq!(list.results.len(), 1);
    let person = &list.results[0];
    assert_eq!(person.name, Some(PersonalText("診療　太郎".into())));
    assert_eq!(person.name_kana, Some(PersonalText("ｼﾝﾘｮｳ ﾀﾛｳ".into())));
    // The insurer number keeps its padding: it is 8 characters wide.
    assert_eq!(person.insurer_number.as_deref(), Some("  123456"));
    assert_eq!(person.insured_card_classification.as_deref(), Some("01"));
    assert_eq!(
        person.birthdate,
        Some(FileDate(Date::new(2001, 3, 27).unwrap()))
    );
    assert_eq!(person.insurer_name.as_deref(), Some("東京都"));
    // Personal text never shows in Debug.
    let debug = format!("{person:?}");
    assert!(
        !debug.contains("診療") && !debug.contains("ｼﾝﾘｮｳ"),
        "{debug}"
    );
    assert!(debug.contains("address: Some(***)"), "{debug}");
    // The consent, per category.
    let at = jst(2023, 2, 21, 17, 48, 35);
    let until = jst(2023, 2, 22, 17, 48, 35);
    assert_eq!(
        consent_of(person, &ConsentItem::Medication),
        (Some(ConsentCode::Given), Some(at), Some(until))
    );
    assert_eq!(
        consent_of(person, &ConsentItem::HealthCheckups),
        (Some(ConsentCode::Given), Some(at), Some(until))
    );
    assert_eq!(
        consent_of(person, &ConsentItem::Treatment),
        (Some(ConsentCode::NotGiven), None, None)
    );
    assert_eq!(
        consent_of(person, &ConsentItem::Surgery),
        (None, None, None)
    );
    assert_eq!(
        consent_of(person, &ConsentItem::SpecificDiseasesCertificate),
        (Some(ConsentCode::NotGiven), None, None)
    );
    assert_eq!(
        person.consent(&ConsentItem::Vendor {
            id: "x".into(),
            label_ja: "x".into(),
            label_en: "x".into()
        }),
        None
    );
}

#[test]
fn a_parsed_file_writes_back_to_the_same_model_in_both_encodings() {
    let parsed = EligibilityResult::parse(&sample()).unwrap();
    let utf8 = parsed.to_xml().unwrap();
    assert!(
        utf8.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg>")
    );
    assert_eq!(EligibilityResult::parse(&utf8).unwrap(), parsed);

    let mut shift_jis = parsed.clone();
    shift_jis.header.character_code_identifier = CharacterCodeIdentifier::ShiftJis;
    let bytes = shift_jis.to_xml().unwrap();
    assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\""));
    // 診療 in Shift_JIS is 90 66 97 C3; the UTF-8 bytes are absent.
    assert!(bytes.windows(4).any(|w| w == [0x90, 0x66, 0x97, 0xC3]));
    assert!(std::str::from_utf8(&bytes).is_err());
    assert_eq!(EligibilityResult::parse(&bytes).unwrap(), shift_jis);
}

#[test]
fn a_character_shift_jis_lacks_is_an_error_when_writing() {
    let mut result = EligibilityResult::parse(&sample()).unwrap();
    result.header.character_code_identifier = CharacterCodeIdentifier::ShiftJis;
    if let Some(list) = result.body.result_list.as_mut() {
        list.results[0].name = Some(PersonalText("𠮷野　家".into()));
    }
    assert_eq!(
        result.to_xml(),
        Err(ResultFileError::Unencodable {
            encoding: CharacterCodeIdentifier::ShiftJis
        })
    );
}

#[test]
fn malformed_files_are_typed_errors() {
    let text = String::from_utf8(sample()).unwrap();
    for (from, to) in [
        // A consent flag out of its list.
        ("<PharmacistsInfoConsFlg>1<", "<PharmacistsInfoConsFlg>7<"),
        // A date that does not exist.
        ("<Birthdate>20010327<", "<Birthdate>20010230<"),
        // A time that is not 14 digits.
        (
            "<ProcessExecutionTime>20230221174835<",
            "<ProcessExecutionTime>2023-02-21<",
        ),
        // A required element missing.
        (
            "<MedicalInstitutionCode>1311111111</MedicalInstitutionCode>",
            "",
        ),
        // Unclosed.
        ("</XmlMsg>", ""),
    ] {
        assert!(text.contains(from), "{from}");
        let broken = text.replace(from, to);
        assert!(
            matches!(
                EligibilityResult::parse(broken.as_bytes()),
                Err(ResultFileError::Malformed(_))
            ),
            "{from} -> {to}"
        );
    }
    // Not UTF-8 in a file that says it is.
    let mut bytes = sample();
    let at = bytes
        .windows(6)
        .position(|w| w == "東京".as_bytes())
        .unwrap();
    bytes[at] = 0xFF;
    assert_eq!(
        EligibilityResult::parse(&bytes),
        Err(ResultFileError::Encoding {
            encoding: CharacterCodeIdentifier::Utf8
        })
    );
}

#[test]
fn unknown_elements_are_skipped_and_the_prescription_is_read_where_a_terminal_puts_it() {
    let text = String::from_utf8(sample()).unwrap();
    let extended = text
        .replace(
            "<PostNumber>",
            "<DiagnosisNameConsFlg>1</DiagnosisNameConsFlg><PrescriptionIssueSelect>2</PrescriptionIssueSelect><PostNumber>",
        )
        .replace("<ResultList>", "<FutureElement><Nested>x</Nested></FutureElement><ResultList>");
    let parsed = EligibilityResult::parse(extended.as_bytes()).unwrap();
    assert_eq!(parsed.body.prescription(), Some(PrescriptionIssue::Paper));
    let in_body = text.replace(
        "<ProcessingResultStatus>",
        "<PrescriptionIssueSelect>1</PrescriptionIssueSelect><ProcessingResultStatus>",
    );
    let parsed = EligibilityResult::parse(in_body.as_bytes()).unwrap();
    assert_eq!(
        parsed.body.prescription_issue_select,
        Some(PrescriptionIssue::Electronic)
    );
}

/// The file a terminal would write for this visit: the header and the insured person's data
/// from the national system (here made up), the consent and the prescription from the outcome.
fn emulate_terminal(outcome: &onshi::reception::Outcome) -> EligibilityResult {
    let mut person = QualificationResult {
        insured_card_classification: Some("01".into()),
        insurer_number: Some("06130012".into()),
        name: Some(PersonalText("音資　太郎".into())),
        birthdate: Some(FileDate(Date::new(1985, 4, 1).unwrap())),
        insurer_name: Some("全国健康保険協会".into()),
        ..QualificationResult::default()
    };
    if let VisitResult::Confirmed { consent, .. } = &outcome.result {
        person.record_consent(consent);
    }
    let mut body = MessageBody {
        processing_result_status: ProcessingResultStatus::Completed,
        processing_result_code: None,
        processing_result_message: None,
        qualification_validity: Some("1".into()),
        prescription_issue_select: None,
        result_list: Some(ResultList {
            results: vec![person],
        }),
    };
    body.record_prescription(outcome);
    EligibilityResult {
        header: MessageHeader {
            process_execution_time: FileTime(outcome.finished_at),
            qualification_confirmation_date: FileDate(outcome.finished_at.date_in_japan()),
            medical_institution_code: "1312345678".into(),
            arbitrary_file_identifier: None,
            reference_classification: ReferenceClassification::MyNumberCard,
            segment_of_result: SegmentOfResult::Completed,
            error_code: None,
            error_message: None,
            character_code_identifier: CharacterCodeIdentifier::ShiftJis,
        },
        body,
    }
}

fn written_and_read(outcome: &onshi::reception::Outcome) -> QualificationResult {
    let bytes = emulate_terminal(outcome).to_xml().unwrap();
    let parsed = EligibilityResult::parse(&bytes).unwrap();
    assert_eq!(parsed, emulate_terminal(outcome));
    parsed.body.result_list.unwrap().results.remove(0)
}

#[test]
fn a_visits_consent_item_by_item_fills_each_category() {
    let settings = VisitSettings {
        consent: ConsentSettings {
            ask_prescription: true,
            ..ConsentSettings::default()
        },
        ..VisitSettings::default()
    };
    let mut h = Harness::with_settings(Persona::Standard, ReaderMode::PinOnly, settings);
    h.place_card();
    h.pin("1234").unwrap();
    h.send(UserInput::ConsentAnswer(false)).unwrap(); // not all at once
    for agreed in [true, false, true, true, false] {
        h.send(UserInput::ConsentAnswer(agreed)).unwrap();
    }
    h.send(UserInput::PrescriptionChosen(PrescriptionIssue::Electronic))
        .unwrap();
    let outcome = h.outcome().clone();
    let record = outcome.consent().unwrap().clone();
    let at = FileTime(record.at);
    let until = FileTime(record.available_until);
    let person = written_and_read(&outcome);
    assert_eq!(
        consent_of(&person, &ConsentItem::Medication),
        (Some(ConsentCode::Given), Some(at), Some(until))
    );
    assert_eq!(
        consent_of(&person, &ConsentItem::Treatment),
        (Some(ConsentCode::NotGiven), Some(at), None)
    );
    assert_eq!(
        consent_of(&person, &ConsentItem::Surgery),
        (Some(ConsentCode::Given), Some(at), Some(until))
    );
    assert_eq!(
        consent_of(&person, &ConsentItem::HealthCheckups),
        (Some(ConsentCode::Given), Some(at), Some(until))
    );
    // The certificate categories have no viewing window.
    assert_eq!(
        consent_of(&person, &ConsentItem::SpecificDiseasesCertificate),
        (Some(ConsentCode::NotGiven), Some(at), None)
    );
    // Not asked: left out.
    assert_eq!(
        consent_of(&person, &ConsentItem::LimitApplicationCertificate),
        (None, None, None)
    );
    let file = emulate_terminal(&outcome);
    assert_eq!(
        file.body.prescription_issue_select,
        Some(PrescriptionIssue::Electronic)
    );
    // The times are written in Japan time, YYYYMMDDHHmmss.
    let xml = String::from_utf8(
        EligibilityResult {
            header: MessageHeader {
                character_code_identifier: CharacterCodeIdentifier::Utf8,
                ..file.header.clone()
            },
            ..file
        }
        .to_xml()
        .unwrap(),
    )
    .unwrap();
    let (date, hour, minute, second) = record.at.in_japan();
    let stamp = format!(
        "{:04}{:02}{:02}{hour:02}{minute:02}{second:02}",
        date.year(),
        date.month(),
        date.day()
    );
    assert!(
        xml.contains(&format!(
            "<PharmacistsInfoConsTime>{stamp}</PharmacistsInfoConsTime>"
        )),
        "{xml}"
    );
    assert!(xml.contains("<PrescriptionIssueSelect>1</PrescriptionIssueSelect>"));
}

#[test]
fn consent_that_could_not_be_obtained_or_was_not_asked() {
    let mut h = Harness::new(Persona::Standard, ReaderMode::PinOnly);
    h.place_card();
    h.pin("1234").unwrap();
    let at = h.now;
    h.send(UserInput::ConsentNotObtainable).unwrap();
    let person = written_and_read(h.outcome());
    for item in [
        ConsentItem::Medication,
        ConsentItem::Treatment,
        ConsentItem::Surgery,
        ConsentItem::HealthCheckups,
        ConsentItem::SpecificDiseasesCertificate,
    ] {
        assert_eq!(
            consent_of(&person, &item),
            (Some(ConsentCode::NotObtainable), Some(FileTime(at)), None),
            "{item:?}"
        );
    }
    // The high-cost limit's list has 0 and 1 only.
    assert_eq!(
        consent_of(&person, &ConsentItem::LimitApplicationCertificate).0,
        Some(ConsentCode::NotGiven)
    );
    assert_eq!(
        emulate_terminal(h.outcome()).body.prescription_issue_select,
        None
    );

    // Eligibility only: nothing asked, 0 everywhere.
    let mut person = QualificationResult::default();
    person.record_consent(&ConsentStatus::NotAsked);
    for item in ConsentItem::NATIONAL {
        assert_eq!(
            consent_of(&person, &item),
            (Some(ConsentCode::NotGiven), None, None)
        );
    }
    // A visit that ended during the consent: could not be obtained, no time.
    let mut person = QualificationResult::default();
    person.record_consent(&ConsentStatus::NotFinished {
        reason: EndReason::TimedOut,
    });
    assert_eq!(
        consent_of(&person, &ConsentItem::Medication),
        (Some(ConsentCode::NotObtainable), None, None)
    );
}

proptest! {
    /// Whatever the bytes, parsing returns a value or a typed error; what parses writes back
    /// and parses to the same model.
    #[test]
    fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(parsed) = EligibilityResult::parse(&bytes)
            && let Ok(written) = parsed.to_xml()
        {
            prop_assert_eq!(EligibilityResult::parse(&written).ok(), Some(parsed));
        }
    }

    /// Mutations of a real file (a byte changed) never panic.
    #[test]
    fn a_changed_byte_never_panics(position in 0usize..2000, byte in any::<u8>()) {
        let mut bytes = sample();
        let position = position % bytes.len();
        bytes[position] = byte;
        let _ = EligibilityResult::parse(&bytes);
    }
}
