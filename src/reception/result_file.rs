//! The eligibility result file (資格確認結果, `OQSsiquc01res`) that the eligibility terminal
//! (資格確認端末) writes for the receipt computer (feature `result-file`): a typed model, its
//! parser and writer, and the consent part filled from an onshi [`Outcome`].
//!
//! The terminal and the receipt computer exchange XML files through shared folders; the
//! reader's results are `OQSsiquc01res_face_….xml` files (real-card evidence T1). A receipt
//! computer reads them; a vendor that emulates the terminal (tests, training, a clinic without
//! one) writes them with [`EligibilityResult::to_xml`] after
//! [`QualificationResult::record_consent`] and [`MessageBody::record_prescription`].
//!
//! The official interface specification is distributed to vendors only. The field list here is
//! what independent open-source readers of real files agree on (hangilc/myclinic-ts
//! `packages/onshi-result`, MIT; C# and Node readers), each field with its source and
//! confidence in the README's table. Where they disagree, the parser accepts both forms:
//! `PrescriptionIssueSelect` in the body or in a result. Elements this model does not know are
//! skipped; a malformed value of a typed field is an error ([`ResultFileError`]), never a panic.
//!
//! Encoding: `CharacterCodeIdentifier` `0` is UTF-8 and `1` Shift_JIS (T1). The identifier's
//! digits are ASCII in both, so the parser reads it from the raw bytes first and decodes the
//! file accordingly (without it, the XML declaration decides).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::outcome::{ConsentCode, ConsentStatus, Outcome, PrescriptionIssue};
use super::settings::ConsentItem;
use crate::time::{Date, Timestamp};

/// A result file's problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResultFileError {
    /// The bytes are not valid text in the file's encoding.
    #[error("not valid {encoding} text")]
    Encoding {
        /// The encoding the file declares.
        encoding: CharacterCodeIdentifier,
    },
    /// The XML is malformed, or a required element is missing, or a typed value is malformed.
    #[error("malformed result file: {0}")]
    Malformed(String),
    /// A text cannot be written in the file's encoding (a character Shift_JIS lacks).
    #[error("a character cannot be written in {encoding}")]
    Unencodable {
        /// The file's encoding.
        encoding: CharacterCodeIdentifier,
    },
}

/// A code list whose values are digits (or short codes) written as text.
macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The code as the file writes it.
            #[must_use]
            pub const fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }

            /// The value for a code.
            #[must_use]
            pub fn from_code(code: &str) -> Option<Self> {
                match code.trim() {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::from_code(&text).ok_or_else(|| {
                    serde::de::Error::custom(alloc::format!(
                        "{}: unknown code {text:?}",
                        stringify!($name)
                    ))
                })
            }
        }
    };
}

code_list!(
    /// `CharacterCodeIdentifier`: the file's encoding (T1; code list OQSCD005).
    CharacterCodeIdentifier {
        /// `0`: UTF-8.
        Utf8 = "0",
        /// `1`: Shift_JIS.
        ShiftJis = "1",
    }
);

impl fmt::Display for CharacterCodeIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift_JIS",
        })
    }
}

code_list!(
    /// `ReferenceClassification`: what the confirmation used (T1).
    ReferenceClassification {
        /// `1`: a My Number Card (or a smartphone's JPKI).
        MyNumberCard = "1",
        /// `2`: the insurance card's data typed in.
        InsuranceCardData = "2",
    }
);

code_list!(
    /// `SegmentOfResult` (OQSCD003).
    SegmentOfResult {
        /// `1`: 正常終了.
        Completed = "1",
        /// `2`: 処理中.
        InProgress = "2",
        /// `9`: 異常終了.
        Failed = "9",
    }
);

code_list!(
    /// `ProcessingResultStatus` (OQSCD004).
    ProcessingResultStatus {
        /// `1`: 正常終了.
        Completed = "1",
        /// `2`: エラー.
        Error = "2",
    }
);

/// A code the outcome types already know, written as its digit: the consent flags
/// (`…ConsFlg`, [`ConsentCode`]: the code list of T2, OQSCD016; the high-cost limit's own list,
/// OQSCD001, has `0` and `1` only) and `PrescriptionIssueSelect` ([`PrescriptionIssue`], T4).
trait DigitCode: Sized + Copy {
    fn digit(self) -> u8;
    fn from_digit(digit: u8) -> Option<Self>;
}

impl DigitCode for ConsentCode {
    fn digit(self) -> u8 {
        Self::digit(self)
    }
    fn from_digit(digit: u8) -> Option<Self> {
        Self::from_digit(digit)
    }
}

impl DigitCode for PrescriptionIssue {
    fn digit(self) -> u8 {
        Self::digit(self)
    }
    fn from_digit(digit: u8) -> Option<Self> {
        Self::from_digit(digit)
    }
}

/// Serde for an optional [`DigitCode`] element (absent elements are `None` by `default`).
mod digit_code {
    use alloc::string::String;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::DigitCode;

    pub(super) fn serialize<S: Serializer, T: DigitCode>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(code) => serializer.serialize_str(&alloc::format!("{}", code.digit())),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, T: DigitCode>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        let text = String::deserialize(deserializer)?;
        let trimmed = text.trim();
        (trimmed.len() == 1)
            .then(|| trimmed.parse::<u8>().ok())
            .flatten()
            .and_then(T::from_digit)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(alloc::format!("unknown code {text:?}")))
    }
}

/// A moment as the file writes it: `YYYYMMDDHHmmss`, Japan time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileTime(pub Timestamp);

impl Serialize for FileTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (date, hour, minute, second) = self.0.in_japan();
        serializer.serialize_str(&alloc::format!(
            "{:04}{:02}{:02}{hour:02}{minute:02}{second:02}",
            date.year(),
            date.month(),
            date.day()
        ))
    }
}

impl<'de> Deserialize<'de> for FileTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_time(text.trim())
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom(alloc::format!("not YYYYMMDDHHmmss: {text:?}")))
    }
}

/// A date as the file writes it: `YYYYMMDD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileDate(pub Date);

impl Serialize for FileDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&alloc::format!(
            "{:04}{:02}{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        ))
    }
}

impl<'de> Deserialize<'de> for FileDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_date(text.trim())
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom(alloc::format!("not YYYYMMDD: {text:?}")))
    }
}

/// The digits of `text` as a number, when it is all ASCII digits.
fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_date(text: &str) -> Option<Date> {
    if text.len() != 8 {
        return None;
    }
    let year = i32::try_from(digits(text.get(0..4)?)?).ok()?;
    let month = u8::try_from(digits(text.get(4..6)?)?).ok()?;
    let day = u8::try_from(digits(text.get(6..8)?)?).ok()?;
    Date::new(year, month, day)
}

fn parse_time(text: &str) -> Option<Timestamp> {
    if text.len() != 14 {
        return None;
    }
    let date = parse_date(text.get(0..8)?)?;
    let part = |range: core::ops::Range<usize>| -> Option<u8> {
        u8::try_from(digits(text.get(range)?)?).ok()
    };
    Timestamp::from_jst(
        date.year(),
        date.month(),
        date.day(),
        part(8..10)?,
        part(10..12)?,
        part(12..14)?,
    )
}

/// Personal text (names, the address): shown as `***` in `Debug`, written and read as is.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalText(pub String);

impl fmt::Debug for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The whole file: `<XmlMsg>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg")]
pub struct EligibilityResult {
    /// `MessageHeader`.
    #[serde(rename = "MessageHeader")]
    pub header: MessageHeader,
    /// `MessageBody`.
    #[serde(rename = "MessageBody")]
    pub body: MessageBody,
}

/// `MessageHeader` (T1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageHeader {
    /// `ProcessExecutionTime`: when the terminal processed the request.
    pub process_execution_time: FileTime,
    /// `QualificationConfirmationDate`: the date of the confirmation.
    pub qualification_confirmation_date: FileDate,
    /// `MedicalInstitutionCode`: the facility's 10-digit code.
    pub medical_institution_code: String,
    /// `ArbitraryFileIdentifier`: an identifier the requester chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitrary_file_identifier: Option<String>,
    /// `ReferenceClassification`.
    pub reference_classification: ReferenceClassification,
    /// `SegmentOfResult`.
    pub segment_of_result: SegmentOfResult,
    /// `ErrorCode`, when the segment is not `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `ErrorMessage`, when the segment is not `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `CharacterCodeIdentifier`: the file's encoding.
    pub character_code_identifier: CharacterCodeIdentifier,
}

/// `MessageBody` (T1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageBody {
    /// `ProcessingResultStatus`.
    pub processing_result_status: ProcessingResultStatus,
    /// `ProcessingResultCode`: an error, or supplementary information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_code: Option<String>,
    /// `ProcessingResultMessage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_message: Option<String>,
    /// `QualificationValidity` (OQSCD006: `1` valid, `2` invalid, `3` invalid with a new
    /// qualification, `4` none, `5` several, `6` valid but unregistered for medical aid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification_validity: Option<String>,
    /// `PrescriptionIssueSelect`: the patient's prescription answer (T4).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub prescription_issue_select: Option<PrescriptionIssue>,
    /// `ResultList`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_list: Option<ResultList>,
}

/// `ResultList`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultList {
    /// `ResultOfQualificationConfirmation`, one per qualification.
    #[serde(rename = "ResultOfQualificationConfirmation", default)]
    pub results: Vec<QualificationResult>,
}

/// `ResultOfQualificationConfirmation`: the insured person, the insurer, and the consent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)] // Each field is the element of the same name; see the README's table.
pub struct QualificationResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_card_classification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insurer_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_card_symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_identification_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_branch_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_family_classification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_name: Option<PersonalText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonalText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_of_other: Option<PersonalText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<PersonalText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_of_other_kana: Option<PersonalText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<FileDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<PersonalText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_certificate_issuance_date: Option<FileDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_card_valid_date: Option<FileDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_card_expiration_date: Option<FileDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insured_partial_contribution_ratio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preschool_classification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_of_loss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insurer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub limit_application_certificate_related_cons_flg: Option<ConsentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_application_certificate_related_cons_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub specific_diseases_certificate_related_cons_flg: Option<ConsentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specific_diseases_certificate_related_cons_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub specific_health_checkups_info_cons_flg: Option<ConsentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specific_health_checkups_info_cons_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specific_health_checkups_info_available_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub pharmacists_info_cons_flg: Option<ConsentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pharmacists_info_cons_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pharmacists_info_available_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub diagnosis_info_cons_flg: Option<ConsentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis_info_cons_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis_info_available_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub operation_info_cons_flg: Option<ConsentCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_info_cons_time: Option<FileTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_info_available_time: Option<FileTime>,
    /// `PrescriptionIssueSelect` where a terminal writes it in the result rather than the
    /// body (one reader's model does).
    #[serde(skip_serializing_if = "Option::is_none", with = "digit_code")]
    pub prescription_issue_select: Option<PrescriptionIssue>,
}

/// One national consent category's part of a result: its flag, when it was answered, and
/// until when the data may be viewed (`None` for the two certificate categories, which have
/// no `…AvailableTime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CategoryConsent {
    /// `…ConsFlg`.
    pub flag: Option<ConsentCode>,
    /// `…ConsTime`.
    pub time: Option<FileTime>,
    /// `…AvailableTime`.
    pub available: Option<FileTime>,
}

impl QualificationResult {
    /// The fields of a national consent category (`None` for a vendor's item, which the
    /// national result does not carry).
    #[must_use]
    pub fn consent(&self, item: &ConsentItem) -> Option<CategoryConsent> {
        let (flag, time, available) = match item {
            ConsentItem::Medication => (
                self.pharmacists_info_cons_flg,
                self.pharmacists_info_cons_time,
                self.pharmacists_info_available_time,
            ),
            ConsentItem::Treatment => (
                self.diagnosis_info_cons_flg,
                self.diagnosis_info_cons_time,
                self.diagnosis_info_available_time,
            ),
            ConsentItem::Surgery => (
                self.operation_info_cons_flg,
                self.operation_info_cons_time,
                self.operation_info_available_time,
            ),
            ConsentItem::HealthCheckups => (
                self.specific_health_checkups_info_cons_flg,
                self.specific_health_checkups_info_cons_time,
                self.specific_health_checkups_info_available_time,
            ),
            ConsentItem::LimitApplicationCertificate => (
                self.limit_application_certificate_related_cons_flg,
                self.limit_application_certificate_related_cons_time,
                None,
            ),
            ConsentItem::SpecificDiseasesCertificate => (
                self.specific_diseases_certificate_related_cons_flg,
                self.specific_diseases_certificate_related_cons_time,
                None,
            ),
            ConsentItem::Vendor { .. } => return None,
        };
        Some(CategoryConsent {
            flag,
            time,
            available,
        })
    }

    fn set_consent(&mut self, item: &ConsentItem, consent: CategoryConsent) {
        let CategoryConsent {
            flag,
            time,
            available,
        } = consent;
        match item {
            ConsentItem::Medication => {
                self.pharmacists_info_cons_flg = flag;
                self.pharmacists_info_cons_time = time;
                self.pharmacists_info_available_time = available;
            }
            ConsentItem::Treatment => {
                self.diagnosis_info_cons_flg = flag;
                self.diagnosis_info_cons_time = time;
                self.diagnosis_info_available_time = available;
            }
            ConsentItem::Surgery => {
                self.operation_info_cons_flg = flag;
                self.operation_info_cons_time = time;
                self.operation_info_available_time = available;
            }
            ConsentItem::HealthCheckups => {
                self.specific_health_checkups_info_cons_flg = flag;
                self.specific_health_checkups_info_cons_time = time;
                self.specific_health_checkups_info_available_time = available;
            }
            ConsentItem::LimitApplicationCertificate => {
                self.limit_application_certificate_related_cons_flg = flag;
                self.limit_application_certificate_related_cons_time = time;
            }
            ConsentItem::SpecificDiseasesCertificate => {
                self.specific_diseases_certificate_related_cons_flg = flag;
                self.specific_diseases_certificate_related_cons_time = time;
            }
            ConsentItem::Vendor { .. } => {}
        }
    }

    /// Fills the consent part as a terminal would from the visit's consent:
    ///
    /// - given: each national category asked gets `1` or `0` with the time of its answer, and
    ///   the time until which the data may be viewed when it was agreed to; a category not
    ///   asked is left as it was;
    /// - could not be obtained, or not finished: `3` (同意取得困難) for every category that
    ///   has it, `0` for the high-cost limit (whose list has `0` and `1` only), with the time
    ///   staff recorded it when there is one;
    /// - not asked (eligibility only): `0` (同意なし) everywhere, no time.
    ///
    /// Vendor items are not in the national result. What a real terminal writes for a
    /// category it did not ask is unconfirmed.
    pub fn record_consent(&mut self, consent: &ConsentStatus) {
        match consent {
            ConsentStatus::Given(record) => {
                for answer in &record.answers {
                    let flag = if answer.agreed {
                        ConsentCode::Given
                    } else {
                        ConsentCode::NotGiven
                    };
                    // (The two certificate categories have no viewing window: `set_consent`
                    // has nowhere to put one.)
                    self.set_consent(
                        &answer.item,
                        CategoryConsent {
                            flag: Some(flag),
                            time: Some(FileTime(answer.at)),
                            available: answer.agreed.then_some(FileTime(record.available_until)),
                        },
                    );
                }
            }
            ConsentStatus::NotObtainable { .. } | ConsentStatus::NotFinished { .. } => {
                let time = match consent {
                    ConsentStatus::NotObtainable { at } => Some(FileTime(*at)),
                    _ => None,
                };
                for item in &ConsentItem::NATIONAL {
                    let flag = if *item == ConsentItem::LimitApplicationCertificate {
                        ConsentCode::NotGiven
                    } else {
                        ConsentCode::NotObtainable
                    };
                    self.set_consent(
                        item,
                        CategoryConsent {
                            flag: Some(flag),
                            time,
                            available: None,
                        },
                    );
                }
            }
            ConsentStatus::NotAsked => {
                for item in &ConsentItem::NATIONAL {
                    self.set_consent(
                        item,
                        CategoryConsent {
                            flag: Some(ConsentCode::NotGiven),
                            time: None,
                            available: None,
                        },
                    );
                }
            }
        }
    }
}

impl MessageBody {
    /// Records the visit's prescription answer (`PrescriptionIssueSelect`), if there was one.
    pub fn record_prescription(&mut self, outcome: &Outcome) {
        self.prescription_issue_select = outcome.prescription;
    }

    /// The prescription answer, from the body or from the first result that carries one.
    #[must_use]
    pub fn prescription(&self) -> Option<PrescriptionIssue> {
        self.prescription_issue_select.or_else(|| {
            self.result_list.as_ref().and_then(|list| {
                list.results
                    .iter()
                    .find_map(|result| result.prescription_issue_select)
            })
        })
    }
}

/// The XML declaration's encoding name for a character code.
const fn declaration(encoding: CharacterCodeIdentifier) -> &'static str {
    match encoding {
        CharacterCodeIdentifier::Utf8 => {
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
        }
        CharacterCodeIdentifier::ShiftJis => {
            "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\n"
        }
    }
}

/// The `CharacterCodeIdentifier` written in the raw bytes, if any (its digit is ASCII in both
/// encodings, and `<` is never the second byte of a Shift_JIS character).
fn identifier_in(bytes: &[u8]) -> Option<CharacterCodeIdentifier> {
    const TAG: &[u8] = b"<CharacterCodeIdentifier>";
    let start = bytes.windows(TAG.len()).position(|window| window == TAG)?;
    let rest = bytes.get(start.checked_add(TAG.len())?..)?;
    let digit = rest.iter().find(|byte| !byte.is_ascii_whitespace())?;
    match digit {
        b'0' => Some(CharacterCodeIdentifier::Utf8),
        b'1' => Some(CharacterCodeIdentifier::ShiftJis),
        _ => None,
    }
}

/// The encoding the XML declaration names, if it names Shift_JIS (or one of its aliases).
fn declared_shift_jis(bytes: &[u8]) -> bool {
    let Some(end) = bytes.windows(2).position(|window| window == b"?>") else {
        return false;
    };
    let head = bytes.get(..end).unwrap_or_default().to_ascii_lowercase();
    [
        b"shift_jis".as_slice(),
        b"shift-jis",
        b"sjis",
        b"windows-31j",
        b"cp932",
    ]
    .iter()
    .any(|name| head.windows(name.len()).any(|window| window == *name))
}

impl EligibilityResult {
    /// Parses a result file's bytes (UTF-8 or Shift_JIS, see the module documentation).
    ///
    /// # Errors
    ///
    /// [`ResultFileError::Encoding`] for bytes that are not text in the file's encoding;
    /// [`ResultFileError::Malformed`] for malformed XML, a missing required element, or a
    /// typed value out of its list (a date that does not exist, an unknown consent flag).
    pub fn parse(bytes: &[u8]) -> Result<Self, ResultFileError> {
        let encoding = identifier_in(bytes).unwrap_or(if declared_shift_jis(bytes) {
            CharacterCodeIdentifier::ShiftJis
        } else {
            CharacterCodeIdentifier::Utf8
        });
        let text = match encoding {
            CharacterCodeIdentifier::Utf8 => {
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                core::str::from_utf8(bytes)
                    .map_err(|_| ResultFileError::Encoding { encoding })?
                    .to_owned()
            }
            CharacterCodeIdentifier::ShiftJis => {
                let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
                if had_errors {
                    return Err(ResultFileError::Encoding { encoding });
                }
                text.into_owned()
            }
        };
        quick_xml::de::from_str(&text)
            .map_err(|error| ResultFileError::Malformed(alloc::format!("{error}")))
    }

    /// Writes the file in the encoding its `CharacterCodeIdentifier` names, with the XML
    /// declaration a terminal writes.
    ///
    /// # Errors
    ///
    /// [`ResultFileError::Unencodable`] when a text has a character Shift_JIS cannot write;
    /// [`ResultFileError::Malformed`] if the model cannot be written as XML.
    pub fn to_xml(&self) -> Result<Vec<u8>, ResultFileError> {
        let encoding = self.header.character_code_identifier;
        let mut text = String::from(declaration(encoding));
        let body = quick_xml::se::to_string(self)
            .map_err(|error| ResultFileError::Malformed(alloc::format!("{error}")))?;
        text.push_str(&body);
        match encoding {
            CharacterCodeIdentifier::Utf8 => Ok(text.into_bytes()),
            CharacterCodeIdentifier::ShiftJis => {
                let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
                if had_errors {
                    return Err(ResultFileError::Unencodable { encoding });
                }
                Ok(bytes.into_owned())
            }
        }
    }
}
