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

/// A consent item (同意項目) shown on the reader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum ConsentItem {
    /// 診療・薬剤情報: medical treatment and medication history.
    MedicalAndMedication,
    /// 特定健診等情報: specific health check-ups.
    HealthCheckups,
    /// 手術情報: surgery history.
    Surgery,
    /// An item the vendor adds (電子処方箋, 電子カルテ情報共有サービス, …).
    Vendor {
        /// The vendor's identifier for it.
        id: String,
        /// Japanese label.
        label_ja: String,
        /// English label.
        label_en: String,
    },
}

impl ConsentItem {
    /// Japanese label.
    #[must_use]
    pub fn label_ja(&self) -> &str {
        match self {
            Self::MedicalAndMedication => "診療・薬剤情報",
            Self::HealthCheckups => "特定健診等情報",
            Self::Surgery => "手術情報",
            Self::Vendor { label_ja, .. } => label_ja,
        }
    }

    /// English label.
    #[must_use]
    pub fn label_en(&self) -> &str {
        match self {
            Self::MedicalAndMedication => "medical treatment and medication",
            Self::HealthCheckups => "health check-ups",
            Self::Surgery => "surgery",
            Self::Vendor { label_en, .. } => label_en,
        }
    }
}

/// The consent screens.
///
/// There is no 限度額 (high-cost limit) screen: since 2024-10-07 that information is always
/// provided. The exact screens after that release are unconfirmed (`domain.md` §5): items are
/// asked one by one, after an optional blanket consent (包括同意) screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSettings {
    /// The items, in the order asked.
    pub items: Vec<ConsentItem>,
    /// Offer "consent to all" (包括同意) before the items.
    pub blanket_option: bool,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        Self {
            items: vec![
                ConsentItem::MedicalAndMedication,
                ConsentItem::HealthCheckups,
                ConsentItem::Surgery,
            ],
            blanket_option: true,
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
