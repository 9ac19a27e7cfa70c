//! What a vendor or facility configures for visits. Every number that the reference marks
//! unconfirmed is here, with its default and the reason for it.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::face::FacePolicy;

/// When the 2025 on-reader staff check (「職員による顔写真確認」, with the facility passcode) is
/// offered.
///
/// The reader offers it "when face authentication could not be done" (real-card evidence R3:
/// the mechanism is confirmed, the moment likely): that is the default,
/// [`StaffCheckAvailability::AfterFaceFailure`]. [`StaffCheckAvailability::Always`] puts it on
/// the first screen, for facilities whose patients often cannot operate the reader at all.
/// Wrong passcodes are limited per visit either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffCheckAvailability {
    /// On the identity screen whenever the card has a photo to compare.
    Always,
    /// Once face authentication failed or cannot be done (PIN-only mode, the chip photo
    /// unreadable, the PIN blocked). The default.
    #[default]
    AfterFaceFailure,
    /// Never (the reader's software predates April 2025).
    Never,
}

/// A consent item (同意項目) shown on the reader: the national consent categories, each
/// recorded in the eligibility result under its own flag (real-card evidence T2), and items a
/// vendor adds.
///
/// The national screens group the data (T2): 薬剤・処方 (medication and prescriptions),
/// 診療・アレルギー・検査 (treatment, allergies, test results), 手術・傷病名・感染症 (surgery,
/// diagnosis names, infectious disease), 特定健診 (check-ups) and 特定疾病 (the specific-disease
/// certificate). The 2025 additions (diagnosis names, infectious disease, allergies,
/// contraindications, test results, prescriptions) are asked inside those groups; their own
/// flags in the result are unconfirmed, so onshi records the group's answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum ConsentItem {
    /// 薬剤情報 (薬剤・処方): medication and prescriptions. Result flag `PharmacistsInfoConsFlg`.
    Medication,
    /// 診療情報 (診療・アレルギー・検査): treatment, allergies, test results. Result flag
    /// `DiagnosisInfoConsFlg`.
    Treatment,
    /// 手術情報 (手術・傷病名・感染症): surgery, diagnosis names, infectious disease. Result flag
    /// `OperationInfoConsFlg`.
    Surgery,
    /// 特定健診等情報: specific health check-ups. Result flag `SpecificHealthCheckupsInfoConsFlg`.
    HealthCheckups,
    /// 限度額適用認定証関連情報: the high-cost limit certificate. Result flag
    /// `LimitApplicationCertificateRelatedConsFlg`. Not asked by default: since 2024-10-07 it is
    /// provided without consent.
    LimitApplicationCertificate,
    /// 特定疾病療養受療証関連情報 (特定疾病): the specific-disease certificate. Result flag
    /// `SpecificDiseasesCertificateRelatedConsFlg`.
    SpecificDiseasesCertificate,
    /// An item the vendor adds (電子カルテ情報共有サービス, …): not in the national result.
    Vendor {
        /// The vendor's identifier for it, which is also its code.
        id: String,
        /// Japanese label.
        label_ja: String,
        /// English label.
        label_en: String,
    },
}

impl ConsentItem {
    /// The national categories, in the order a reader asks them.
    pub const NATIONAL: [Self; 6] = [
        Self::Medication,
        Self::Treatment,
        Self::Surgery,
        Self::HealthCheckups,
        Self::LimitApplicationCertificate,
        Self::SpecificDiseasesCertificate,
    ];

    /// The stable code of the item, for logs and the vendor's own records: `medication`,
    /// `treatment`, `surgery`, `health_checkups`, `limit_application_certificate`,
    /// `specific_diseases_certificate`, or a vendor item's id.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::Medication => "medication",
            Self::Treatment => "treatment",
            Self::Surgery => "surgery",
            Self::HealthCheckups => "health_checkups",
            Self::LimitApplicationCertificate => "limit_application_certificate",
            Self::SpecificDiseasesCertificate => "specific_diseases_certificate",
            Self::Vendor { id, .. } => id,
        }
    }

    /// Japanese label, as the reader's screen names the group.
    #[must_use]
    pub fn label_ja(&self) -> &str {
        match self {
            Self::Medication => "薬剤情報（薬剤・処方）",
            Self::Treatment => "診療情報（診療・アレルギー・検査）",
            Self::Surgery => "手術情報（手術・傷病名・感染症）",
            Self::HealthCheckups => "特定健診等情報",
            Self::LimitApplicationCertificate => "限度額適用認定証関連情報",
            Self::SpecificDiseasesCertificate => "特定疾病療養受療証関連情報",
            Self::Vendor { label_ja, .. } => label_ja,
        }
    }

    /// English label.
    #[must_use]
    pub fn label_en(&self) -> &str {
        match self {
            Self::Medication => "medication and prescriptions",
            Self::Treatment => "treatment, allergies and test results",
            Self::Surgery => "surgery, diagnoses and infectious diseases",
            Self::HealthCheckups => "health check-ups",
            Self::LimitApplicationCertificate => "high-cost limit certificate",
            Self::SpecificDiseasesCertificate => "specific-disease certificate",
            Self::Vendor { label_en, .. } => label_en,
        }
    }
}

/// The consent screens, the consent's validity, and the prescription question.
///
/// The default asks the five national groups (T2) in their order, after the blanket consent
/// (包括同意) screen; the high-cost limit is not asked (provided without consent since
/// 2024-10-07). Which groups a given reader release shows is unconfirmed (`domain.md` §5):
/// list them in [`ConsentSettings::items`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSettings {
    /// The items, in the order asked.
    pub items: Vec<ConsentItem>,
    /// Offer "consent to all" (包括同意) before the items.
    pub blanket_option: bool,
    /// How long after consent the data may be viewed, in hours (default 24: real-card
    /// evidence T3, the portal FAQ). The outcome says until when.
    pub available_hours: u32,
    /// After consent, ask whether the patient wants an electronic or a paper prescription
    /// (電子処方箋 or 紙の処方箋; real-card evidence T4). Readers ask it at facilities that
    /// issue electronic prescriptions (電子処方箋導入施設); a pharmacy, or a clinic that has not
    /// introduced them, does not. Default off: turn it on at a facility that issues them.
    pub ask_prescription: bool,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        Self {
            items: vec![
                ConsentItem::Medication,
                ConsentItem::Treatment,
                ConsentItem::Surgery,
                ConsentItem::HealthCheckups,
                ConsentItem::SpecificDiseasesCertificate,
            ],
            blanket_option: true,
            available_hours: 24,
            ask_prescription: false,
        }
    }
}

/// Settings of a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitSettings {
    /// Face match threshold and attempts (unconfirmed; see [`FacePolicy`]).
    pub face: FacePolicy,
    /// When the on-reader staff check is offered.
    pub staff_check: StaffCheckAvailability,
    /// Wrong staff passcodes allowed per visit before the staff check is withdrawn (default 3):
    /// a patient alone at the reader could otherwise guess the 4 digits.
    pub staff_passcode_attempts: u8,
    /// The consent screens.
    pub consent: ConsentSettings,
    /// A visit with no input for this long ends (the patient walked away). Unconfirmed on real
    /// readers; default 120 seconds.
    pub idle_timeout_seconds: i64,
    /// Months, counted from the last day of the month in which a user-authentication
    /// certificate expired, during which it still confirms eligibility (eligibility only): 3
    /// (real-card evidence R1, insurers).
    pub expired_certificate_grace_months: i32,
    /// Months before and after a certificate's expiry during which the reader shows the
    /// renewal alert: 3 (real-card evidence R2).
    pub renewal_alert_months: i32,
    /// 照合番号B tries that must remain before the reader presents it to read the photo
    /// (default 2): a misread number is retried only while the card has tries to spare, so the
    /// reader never locks the card-face application.
    pub verification_number_b_reserve: u8,
    /// Times a visit recovers from a card or reader failure (reading the card's identity again
    /// and going back to where the patient was) before it gives up (default 2).
    pub recoveries: u8,
    /// Right after a PIN is accepted, have the card sign the visit's challenge with the
    /// user-authentication key and check it with the certificate's key (default on): a card
    /// that says `90 00` to a PIN without holding the key is refused. One more APDU.
    pub prove_pin_key: bool,
}

impl Default for VisitSettings {
    fn default() -> Self {
        Self {
            face: FacePolicy::default(),
            staff_check: StaffCheckAvailability::default(),
            staff_passcode_attempts: 3,
            consent: ConsentSettings::default(),
            idle_timeout_seconds: 120,
            expired_certificate_grace_months: 3,
            renewal_alert_months: 3,
            verification_number_b_reserve: 2,
            recoveries: 2,
            prove_pin_key: true,
        }
    }
}
