//! What a visit produces: the outcome a vendor hands to its terminal link, and an audit event
//! for every step. None of them holds a PIN, a passcode or a 照合番号.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::card_io::CardIdentity;
use super::settings::ConsentItem;
pub use crate::card::SmartphonePlatform;
use crate::card::authenticity::{AuthenticityError, Hierarchy};
use crate::card::{CardKind, PinStatus, UserAuthCertificate};
use crate::face::{FaceMatchError, MatchScore};
use crate::facility::{ReaderId, ReaderMode};
use crate::time::Timestamp;

/// A staff member's identifier as the facility knows it (a staff number or account name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(String);

impl StaffId {
    /// A staff id of 1 to 32 printable ASCII characters.
    #[must_use]
    pub fn new(id: &str) -> Option<Self> {
        let valid = !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Self(String::from(id)))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the staff's visual check (目視確認) was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffCheckKind {
    /// On the reader's identity screen, with the facility passcode (since April 2025).
    OnReader,
    /// On the terminal, in the legacy visual mode (目視で本人確認完了).
    LegacyTerminal,
}

/// How the patient's identity was confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum IdentityMethod {
    /// Face authentication against the chip photo.
    Face {
        /// The matcher's score.
        score: MatchScore,
    },
    /// The user-authentication PIN, entered by the patient.
    Pin,
    /// The PIN, entered by a legal representative (法定代理人) who declared so.
    PinByLegalRepresentative,
    /// A staff member's visual check.
    StaffCheck {
        /// Who checked.
        staff_id: StaffId,
        /// Where it was recorded.
        kind: StaffCheckKind,
    },
    /// A smartphone's JPKI.
    Smartphone {
        /// Which platform.
        platform: SmartphonePlatform,
    },
}

/// One consent answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConsentAnswer {
    /// The item.
    pub item: ConsentItem,
    /// Whether the patient agreed.
    pub agreed: bool,
    /// When the patient answered (the result's `…ConsTime`).
    pub at: Timestamp,
}

/// The patient's finished consent: every item answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// Whether it was given through the blanket option (包括同意).
    pub blanket: bool,
    /// Every item with its answer.
    pub answers: Vec<ConsentAnswer>,
    /// When it was finished.
    pub at: Timestamp,
    /// Until when the data consented to may be viewed (the result's `…AvailableTime`):
    /// [`ConsentSettings::available_hours`](super::ConsentSettings::available_hours) after
    /// [`at`](Self::at).
    pub available_until: Timestamp,
}

impl ConsentRecord {
    /// The answer for `item`, if it was asked.
    #[must_use]
    pub fn answer(&self, item: &ConsentItem) -> Option<&ConsentAnswer> {
        self.answers.iter().find(|answer| &answer.item == item)
    }

    /// [`ConsentCode::Given`] when at least one item was agreed to, otherwise
    /// [`ConsentCode::NotGiven`].
    #[must_use]
    pub fn code(&self) -> ConsentCode {
        if self.answers.iter().any(|answer| answer.agreed) {
            ConsentCode::Given
        } else {
            ConsentCode::NotGiven
        }
    }
}

/// What became of the consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "consent", rename_all = "snake_case")]
pub enum ConsentStatus {
    /// Finished: every item answered.
    Given(ConsentRecord),
    /// Not asked: the visit confirms eligibility only.
    NotAsked,
    /// Not finished: nothing of it is kept.
    NotFinished {
        /// Why.
        reason: EndReason,
    },
    /// Staff recorded that consent could not be obtained (同意取得困難): a patient who cannot
    /// operate the reader, in the legacy visual mode for instance.
    NotObtainable {
        /// When staff recorded it.
        at: Timestamp,
    },
}

impl ConsentStatus {
    /// The overall consent code the national system records (real-card evidence T2).
    /// A consent that was not asked (eligibility only) is `NotGiven`; one that was not
    /// finished, or that staff could not obtain, is `NotObtainable`. [`ConsentCode::Expired`]
    /// is the system's to set later, never a visit's.
    #[must_use]
    pub fn code(&self) -> ConsentCode {
        match self {
            Self::Given(record) => record.code(),
            Self::NotAsked => ConsentCode::NotGiven,
            Self::NotFinished { .. } | Self::NotObtainable { .. } => ConsentCode::NotObtainable,
        }
    }
}

/// The consent code list of the national system (real-card evidence T2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentCode {
    /// `0` 同意なし: no consent.
    NotGiven,
    /// `1` 同意あり: consent given.
    Given,
    /// `2` 同意有効期限切れ: a consent whose validity ran out.
    Expired,
    /// `3` 同意取得困難: consent could not be obtained.
    NotObtainable,
}

impl ConsentCode {
    /// The code's digit: `0`, `1`, `2` or `3`.
    #[must_use]
    pub const fn digit(self) -> u8 {
        match self {
            Self::NotGiven => 0,
            Self::Given => 1,
            Self::Expired => 2,
            Self::NotObtainable => 3,
        }
    }

    /// The code for a digit.
    #[must_use]
    pub const fn from_digit(digit: u8) -> Option<Self> {
        match digit {
            0 => Some(Self::NotGiven),
            1 => Some(Self::Given),
            2 => Some(Self::Expired),
            3 => Some(Self::NotObtainable),
            _ => None,
        }
    }
}

/// The patient's answer to the prescription question (real-card evidence T4; the result's
/// `PrescriptionIssueSelect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionIssue {
    /// `1`: an electronic prescription (電子処方箋).
    Electronic,
    /// `2`: a paper prescription (紙の処方箋).
    Paper,
}

impl PrescriptionIssue {
    /// The code the result records: `1` electronic, `2` paper.
    #[must_use]
    pub const fn digit(self) -> u8 {
        match self {
            Self::Electronic => 1,
            Self::Paper => 2,
        }
    }

    /// The choice for a code.
    #[must_use]
    pub const fn from_digit(digit: u8) -> Option<Self> {
        match digit {
            1 => Some(Self::Electronic),
            2 => Some(Self::Paper),
            _ => None,
        }
    }
}

impl fmt::Display for PrescriptionIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Electronic => "electronic prescription",
            Self::Paper => "paper prescription",
        })
    }
}

/// Why eligibility only was confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityOnlyReason {
    /// The user-authentication certificate expired, and the grace (to the end of the third
    /// month after the month of expiry) has not run out.
    CertificateExpiredRecently,
}

/// Why a visit ended before it was complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The card was taken off the reader.
    CardRemoved,
    /// No input for the idle timeout: the patient walked away.
    TimedOut,
    /// No way to confirm identity is left (PIN blocked and no photo, say).
    NoMethodLeft,
    /// The reader or the card failed.
    CardOrReaderError,
}

/// Why the card cannot be used at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// The user-authentication certificate expired, and its grace ran out.
    CertificateExpired,
    /// The certificate is not valid yet.
    CertificateNotYetValid,
    /// A smartphone's certificate has expired (no grace period for smartphones).
    SmartphoneCertificateExpired,
    /// Not a My Number Card (no JPKI-AP, or a 住基カード).
    NotAMyNumberCard,
    /// The user-authentication certificate does not chain to the trust anchors (a test card
    /// under production anchors, or a certificate nobody trusted issued).
    CertificateNotTrusted,
    /// The card accepted the PIN but did not prove it holds the certificate's key: not a
    /// genuine card.
    NotAuthentic,
}

/// How the visit ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VisitResult {
    /// Identity confirmed: eligibility can be checked, with or without consent.
    Confirmed {
        /// How.
        identity: IdentityMethod,
        /// When.
        identified_at: Timestamp,
        /// The consent.
        consent: ConsentStatus,
        /// Set when only eligibility may be confirmed.
        eligibility_only: Option<EligibilityOnlyReason>,
    },
    /// The card cannot be used.
    Refused {
        /// Why.
        reason: RefusalReason,
    },
    /// Identity was not confirmed: nothing was.
    NotConfirmed {
        /// Why.
        reason: EndReason,
    },
}

impl fmt::Display for IdentityMethod {
    /// `face (score 0.930)`, `PIN`, `staff check on the reader by nurse-07`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Face { score } => write!(f, "face (score {score})"),
            Self::Pin => f.write_str("PIN"),
            Self::PinByLegalRepresentative => f.write_str("PIN by a legal representative"),
            Self::StaffCheck {
                staff_id,
                kind: StaffCheckKind::OnReader,
            } => write!(f, "staff check on the reader by {staff_id}"),
            Self::StaffCheck {
                staff_id,
                kind: StaffCheckKind::LegacyTerminal,
            } => write!(f, "staff check on the terminal by {staff_id}"),
            Self::Smartphone {
                platform: SmartphonePlatform::IPhone,
            } => f.write_str("smartphone (iPhone)"),
            Self::Smartphone {
                platform: SmartphonePlatform::Android,
            } => f.write_str("smartphone (Android)"),
        }
    }
}

impl fmt::Display for ConsentStatus {
    /// `all (blanket)`, `2 of 3 items`, `not asked (eligibility only)`, `not finished (timed
    /// out)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Given(record) if record.blanket => f.write_str("all (blanket)"),
            Self::Given(record) => {
                let agreed = record.answers.iter().filter(|answer| answer.agreed).count();
                write!(f, "{agreed} of {} items", record.answers.len())
            }
            Self::NotAsked => f.write_str("not asked (eligibility only)"),
            Self::NotFinished { reason } => write!(f, "not finished ({reason})"),
            Self::NotObtainable { .. } => f.write_str("could not be obtained"),
        }
    }
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CardRemoved => "card removed",
            Self::TimedOut => "timed out",
            Self::NoMethodLeft => "no way to confirm identity left",
            Self::CardOrReaderError => "card or reader error",
        })
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CertificateExpired => "certificate expired",
            Self::CertificateNotYetValid => "certificate not yet valid",
            Self::SmartphoneCertificateExpired => "smartphone certificate expired",
            Self::NotAMyNumberCard => "not a My Number Card",
            Self::CertificateNotTrusted => "certificate not trusted",
            Self::NotAuthentic => "not a genuine card",
        })
    }
}

impl fmt::Display for VisitResult {
    /// `confirmed by PIN; consent: all (blanket)`, `refused: certificate expired`,
    /// `not confirmed: timed out`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Confirmed {
                identity,
                consent,
                eligibility_only,
                ..
            } => {
                write!(f, "confirmed by {identity}; consent: {consent}")?;
                if eligibility_only.is_some() {
                    f.write_str("; eligibility only")?;
                }
                Ok(())
            }
            Self::Refused { reason } => write!(f, "refused: {reason}"),
            Self::NotConfirmed { reason } => write!(f, "not confirmed: {reason}"),
        }
    }
}

impl fmt::Display for Outcome {
    /// The result, the prescription answer, then the card when it was read: `confirmed by
    /// PIN; consent: all (blanket); paper prescription; chip 0000000099000001, certificate
    /// 227B01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.result)?;
        if let Some(prescription) = self.prescription {
            write!(f, "; {prescription}")?;
        }
        if let Some(card) = &self.card {
            write!(f, "; {card}")?;
        }
        if self.certificate_renewal_alert {
            f.write_str("; certificate renewal due")?;
        }
        Ok(())
    }
}

/// What a visit verified about the card, for the vendor to show and log. Revocation is not
/// among it: the online eligibility system checks the certificate against J-LIS's revocation
/// list when the terminal sends it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Verification {
    /// The trust anchors' hierarchy (production, J-LIS test, the vendor's own).
    pub hierarchy: Option<Hierarchy>,
    /// The user-authentication certificate chains to the anchors.
    pub certificate_chain: bool,
    /// The card face (the photo included) is what the issuer signed.
    pub card_face: bool,
    /// The card-face key answered this visit's challenge: the card is the one the card face
    /// was issued on, and it is on the reader.
    pub card_present: bool,
    /// After the PIN, the user-authentication key answered this visit's challenge.
    pub pin_key: bool,
}

/// Everything a vendor hands to its terminal link at the end of a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The reader.
    pub reader: ReaderId,
    /// Its mode during the visit.
    pub mode: ReaderMode,
    /// When the visit started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// The result.
    pub result: VisitResult,
    /// The kind of card, when it was read.
    pub card_kind: Option<CardKind>,
    /// Which card it was (chip serial and certificate serial), when it was read.
    pub card: Option<CardIdentity>,
    /// The user-authentication certificate, when it was read.
    pub certificate: Option<UserAuthCertificate>,
    /// The certificate expires within three months, or expired less than three months ago:
    /// the patient should renew it (real-card evidence R2).
    pub certificate_renewal_alert: bool,
    /// Wrong staff passcodes entered during the visit.
    pub staff_passcode_failures: u8,
    /// What was verified about the card.
    pub verification: Verification,
    /// The patient's answer to the prescription question, when it was asked and answered.
    pub prescription: Option<PrescriptionIssue>,
}

impl Outcome {
    /// The identity method, when identity was confirmed.
    #[must_use]
    pub fn identity(&self) -> Option<&IdentityMethod> {
        match &self.result {
            VisitResult::Confirmed { identity, .. } => Some(identity),
            _ => None,
        }
    }

    /// The consent record, when consent was given.
    #[must_use]
    pub fn consent(&self) -> Option<&ConsentRecord> {
        match &self.result {
            VisitResult::Confirmed {
                consent: ConsentStatus::Given(record),
                ..
            } => Some(record),
            _ => None,
        }
    }
}

/// An audit event: one step of a visit, with its time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When.
    pub at: Timestamp,
    /// What.
    pub event: VisitEvent,
}

/// One step of a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum VisitEvent {
    /// A visit started on a reader in this mode.
    VisitStarted {
        /// The mode.
        mode: ReaderMode,
    },
    /// A card was placed.
    CardPlaced,
    /// The card was taken away.
    CardRemoved,
    /// The card was reset.
    CardReset,
    /// The card's kind was read.
    CardKindRead {
        /// The kind.
        kind: CardKind,
    },
    /// Something read from the card did not verify (its certificate chain, its card face,
    /// its presence, the PIN's key).
    NotAuthentic {
        /// What failed.
        problem: AuthenticityError,
    },
    /// The user-authentication certificate chains to the trust anchors.
    CertificateChainVerified,
    /// The card face is the issuer's, on the chip it was issued on (signature and presence).
    CardFaceVerified,
    /// After the PIN, the card signed this visit's challenge with the certificate's key.
    PinKeyProven,
    /// The certificate was read.
    CertificateRead {
        /// Its serial, in hex.
        serial: String,
        /// End of validity.
        not_after: Timestamp,
    },
    /// The card reported the user-authentication PIN's status.
    PinStatusRead {
        /// The status.
        status: PinStatus,
    },
    /// A PIN entry was refused locally for its format; nothing was sent.
    PinFormatRejected,
    /// A VERIFY was sent with the PIN the patient entered.
    PinSubmitted {
        /// Declared as entered by a legal representative.
        by_legal_representative: bool,
    },
    /// The card accepted the PIN.
    PinAccepted,
    /// The card rejected the PIN.
    PinRejected {
        /// Tries left, as the card reported.
        tries_left: u8,
    },
    /// The PIN is blocked.
    PinBlocked,
    /// The patient confirmed they want to use the PIN's last try.
    LastTryConfirmed,
    /// A legal representative declared they enter the PIN.
    LegalRepresentativeDeclared,
    /// The patient chose a method.
    MethodChosen {
        /// Which.
        method: MethodChoice,
    },
    /// 照合番号B was read by the reader's OCR (its digits are never logged).
    VerificationNumberBRead,
    /// 照合番号B could not be read or used; the photo cannot be read.
    VerificationNumberBUnusable,
    /// The chip photo was read.
    PhotoRead,
    /// The card has no photo (a card issued to a baby).
    NoPhotoOnCard,
    /// A face capture was asked for.
    FaceCaptureRequested {
        /// Attempt number, from 1.
        attempt: u8,
    },
    /// The matcher answered.
    FaceMatched {
        /// Attempt number.
        attempt: u8,
        /// The score, or why there is none.
        score: Result<MatchScore, FaceMatchError>,
        /// Whether the policy accepted it.
        accepted: bool,
    },
    /// Face authentication failed for this visit; the fallback is offered.
    FaceFailed,
    /// The staff passcode was accepted.
    StaffPasscodeAccepted {
        /// Who.
        staff_id: StaffId,
    },
    /// A wrong staff passcode.
    StaffPasscodeRejected {
        /// Who claimed to be entering it.
        staff_id: StaffId,
        /// Wrong entries so far in this visit.
        failures: u8,
    },
    /// Too many wrong passcodes: the staff check is withdrawn for this visit.
    StaffCheckWithdrawn,
    /// Staff confirmed the visual check on the terminal (legacy mode).
    StaffConfirmedOnTerminal {
        /// Who.
        staff_id: StaffId,
    },
    /// Identity was confirmed.
    IdentityConfirmed {
        /// How.
        method: IdentityMethod,
    },
    /// A consent item was answered.
    ConsentAnswered {
        /// The item (all items for the blanket answer).
        item: Option<ConsentItem>,
        /// The answer.
        agreed: bool,
    },
    /// Staff recorded that consent could not be obtained (同意取得困難).
    ConsentNotObtainable,
    /// The patient answered the prescription question.
    PrescriptionChosen {
        /// The answer.
        choice: PrescriptionIssue,
    },
    /// The reader has been in the legacy visual mode past the reminder time.
    LegacyModeReminder {
        /// Since when.
        since: Timestamp,
    },
    /// A card or reader error.
    CardError {
        /// What failed: a stable code ([`Error::code`](crate::Error::code)).
        code: String,
    },
    /// Another card was placed while one was known: the visit reads the new one from the
    /// start, and nothing read from the old one (identity evidence included) is kept.
    CardChanged,
    /// After a reset or a failure, the card's identity is read again.
    CardRecheck,
    /// The card is the same one: the visit goes back to where the patient was.
    SameCard,
    /// The count changed between the entry and the VERIFY (another program spent tries):
    /// nothing was sent.
    PinCountChanged {
        /// The card's count now.
        status: PinStatus,
    },
    /// The application a PIN or 照合番号B unlocked was left: its keys are locked again.
    KeysLocked,
    /// Leaving the application failed: a key may stay unlocked until the card is removed.
    KeysLockFailed,
    /// The certificate expires soon or expired recently: the renewal alert was shown.
    CertificateRenewalAlert {
        /// End of validity.
        not_after: Timestamp,
    },
    /// The visit ended.
    VisitEnded {
        /// The result.
        result: VisitResult,
    },
}

/// A method the patient or staff can choose on the identity screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodChoice {
    /// 顔認証.
    Face,
    /// 暗証番号.
    Pin,
    /// 目視確認 by staff on the reader.
    StaffCheck,
}

impl MethodChoice {
    /// Every method, in the order screens list them.
    pub const ALL: [Self; 3] = [Self::Face, Self::Pin, Self::StaffCheck];
}
