//! What goes into a visit and what comes out: the inputs, the outputs, the context a visit
//! needs, and why an input is refused.

use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::outcome::{AuditEvent, MethodChoice, Outcome, PrescriptionIssue, StaffId};
use super::policy::NotOffered;
use super::screen::Screen;
use crate::SecretBytes;
use crate::card::{Pin, Span};
use crate::face::{FaceCapture, FaceMatchError, MatchScore};
use crate::facility::{ReaderId, ReaderMode, StaffPasscodeCheck};
use crate::reader::{CardEvent, ReaderCapabilities, TransportError};
use crate::time::Timestamp;

use super::card_io::CardIdentity;
use crate::card::authenticity::TrustAnchors;

/// What a visit needs to know about its reader and facility, fixed for the visit.
#[derive(Clone, Debug)]
pub struct ReaderContext {
    /// The reader.
    pub reader: ReaderId,
    /// Its mode (set by the facility's admin).
    pub mode: ReaderMode,
    /// Since when it is in that mode.
    pub mode_since: Timestamp,
    /// The facility's staff passcode check for this visit, when one is set and not locked:
    /// only [`Facility::begin_visit`](crate::facility::Facility::begin_visit) makes it.
    pub staff_passcode: Option<StaffPasscodeCheck>,
    /// What the card reader can do.
    pub capabilities: ReaderCapabilities,
    /// Remind staff when the reader has been in the legacy visual mode this long (the
    /// facility's [`FacilityConfig::legacy_mode_reminder_seconds`](crate::facility::FacilityConfig::legacy_mode_reminder_seconds)).
    pub legacy_reminder_seconds: i64,
    /// What a card must chain to: J-LIS's production hierarchy unless the vendor chose
    /// otherwise (the J-LIS test hierarchy for test cards, the virtual card's for demos).
    pub trust: TrustAnchors,
}

impl ReaderContext {
    /// The same context with other trust anchors (J-LIS's test hierarchy for test cards, the
    /// virtual card's for tests and demos).
    #[must_use]
    pub fn with_trust(mut self, trust: TrustAnchors) -> Self {
        self.trust = trust;
        self
    }
}

/// An input to the visit: from the card reader, or from the people and devices around it
/// ([`UserInput`]).
#[derive(Debug)]
pub enum Input<'a> {
    /// Time passed (check the deadline and the legacy-mode reminder).
    Tick,
    /// The reader reported a card event: placed, removed, reset. A card placed while another
    /// was known is a new card: the visit starts reading again.
    Card(CardEvent),
    /// The card's response to the last [`Output::Transmit`].
    CardResponse(&'a [u8]),
    /// The last [`Output::Transmit`] could not be sent, or its answer was lost.
    TransportFailed(TransportError),
    /// The patient, the staff, the camera, the OCR, the face matcher or the phone.
    User(UserInput),
}

impl From<UserInput> for Input<'_> {
    fn from(input: UserInput) -> Self {
        Self::User(input)
    }
}

impl From<CardEvent> for Input<'_> {
    fn from(event: CardEvent) -> Self {
        Self::Card(event)
    }
}

/// What the people and devices around the reader tell the visit. A UI can produce these and
/// nothing else: the card's answers come only from the reader.
#[derive(Debug)]
pub enum UserInput {
    /// 照合番号B, read from the card face by the reader's OCR.
    VerificationNumberB(Pin),
    /// The OCR could not read 照合番号B.
    VerificationNumberBUnreadable,
    /// The patient (or staff) chose a method.
    Choose(MethodChoice),
    /// A legal representative (法定代理人) declares they enter the PIN.
    DeclareLegalRepresentative,
    /// The patient confirms they want to use the PIN's last try.
    ConfirmLastTry,
    /// The patient entered a PIN (checked for format before anything is sent).
    PinEntered(SecretBytes),
    /// The camera took the capture asked for.
    FaceCaptured(FaceCapture),
    /// The camera could not take a capture.
    FaceCaptureFailed,
    /// The face matcher answered.
    FaceMatched(Result<MatchScore, FaceMatchError>),
    /// Staff entered the facility's visual-check passcode on the reader.
    StaffPasscode {
        /// Who.
        staff_id: StaffId,
        /// The passcode.
        passcode: SecretBytes,
    },
    /// Staff confirmed on the terminal (legacy visual mode) that they checked the card shown
    /// there: `card` is the identity the visit announced ([`StaffNotice::ConfirmCard`]), so a
    /// confirmation is for one card and no other.
    StaffConfirmedOnTerminal {
        /// Who.
        staff_id: StaffId,
        /// The card they checked.
        card: CardIdentity,
    },
    /// An iPhone authenticated its holder (Face ID / Touch ID); the reader passes in the
    /// user-authentication certificate it read from the phone.
    IPhoneAuthenticated {
        /// The certificate's DER.
        certificate_der: Vec<u8>,
    },
    /// The patient answered the consent screen shown.
    ConsentAnswer(bool),
    /// Staff record that the patient's consent cannot be obtained (同意取得困難), while the
    /// consent screens are up.
    ConsentNotObtainable,
    /// The patient answered the prescription question.
    PrescriptionChosen(PrescriptionIssue),
}

/// The kind of an [`Input`]: what [`Visit::accepts`](super::Visit::accepts) answers about, for
/// errors and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum InputKind {
    Tick,
    CardPlaced,
    CardRemoved,
    CardReset,
    CardResponse,
    TransportFailed,
    VerificationNumberB,
    Choose,
    DeclareLegalRepresentative,
    ConfirmLastTry,
    PinEntered,
    FaceCapture,
    FaceMatched,
    StaffPasscode,
    StaffConfirmedOnTerminal,
    IPhoneAuthenticated,
    ConsentAnswer,
    ConsentNotObtainable,
    PrescriptionChosen,
}

impl Input<'_> {
    /// The input's kind.
    #[must_use]
    pub const fn kind(&self) -> InputKind {
        match self {
            Self::Tick => InputKind::Tick,
            Self::Card(CardEvent::Inserted) => InputKind::CardPlaced,
            Self::Card(CardEvent::Removed) => InputKind::CardRemoved,
            Self::Card(CardEvent::Reset) => InputKind::CardReset,
            Self::CardResponse(_) => InputKind::CardResponse,
            Self::TransportFailed(_) => InputKind::TransportFailed,
            Self::User(user) => user.kind(),
        }
    }
}

impl UserInput {
    /// The input's kind.
    #[must_use]
    pub const fn kind(&self) -> InputKind {
        match self {
            Self::VerificationNumberB(_) | Self::VerificationNumberBUnreadable => {
                InputKind::VerificationNumberB
            }
            Self::Choose(_) => InputKind::Choose,
            Self::DeclareLegalRepresentative => InputKind::DeclareLegalRepresentative,
            Self::ConfirmLastTry => InputKind::ConfirmLastTry,
            Self::PinEntered(_) => InputKind::PinEntered,
            Self::FaceCaptured(_) | Self::FaceCaptureFailed => InputKind::FaceCapture,
            Self::FaceMatched(_) => InputKind::FaceMatched,
            Self::StaffPasscode { .. } => InputKind::StaffPasscode,
            Self::StaffConfirmedOnTerminal { .. } => InputKind::StaffConfirmedOnTerminal,
            Self::IPhoneAuthenticated { .. } => InputKind::IPhoneAuthenticated,
            Self::ConsentAnswer(_) => InputKind::ConsentAnswer,
            Self::ConsentNotObtainable => InputKind::ConsentNotObtainable,
            Self::PrescriptionChosen(_) => InputKind::PrescriptionChosen,
        }
    }
}

/// An input the visit did not take. Nothing changed, and the idle deadline did not move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{input:?} is not taken while the visit is at {stage:?}: {reason}")]
pub struct InputRejected {
    /// Where the visit stands.
    pub stage: super::VisitStage,
    /// The input refused.
    pub input: InputKind,
    /// Why.
    pub reason: RejectReason,
}

/// Why an input was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// The visit is not waiting for this input now (see
    /// [`Visit::expected_inputs`](super::Visit::expected_inputs)).
    #[error("not expected now")]
    NotExpected,
    /// The method chosen is not offered, and why.
    #[error("{method:?} is not offered: {why:?}")]
    NotOffered {
        /// The method.
        method: MethodChoice,
        /// Why not.
        why: NotOffered,
    },
    /// The legal representative already declared.
    #[error("already declared")]
    AlreadyDeclared,
    /// 照合番号B was already given, or is not a 照合番号B.
    #[error("照合番号B already given, or not one")]
    VerificationNumberB,
    /// The terminal confirmed another card than the one on the reader.
    #[error("the confirmation names another card")]
    AnotherCard,
    /// The iPhone's certificate is not a certificate, or the mode does not allow a phone.
    #[error("the iPhone's authentication cannot be used")]
    IPhone,
    /// The card's answer came with no command pending.
    #[error("no command is pending")]
    NoCommandPending,
    /// The visit is over.
    #[error("the visit is over")]
    Finished,
}

/// A command APDU to transmit. It may hold a PIN: `Debug` masks it and it is zeroized on drop.
pub struct Transmit {
    pub(super) bytes: Zeroizing<Vec<u8>>,
    pub(super) response_capacity: usize,
    pub(super) span: Span,
    pub(super) secret: bool,
}

impl Transmit {
    /// The encoded command.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes the response can have (Ne plus the status word): size the receive buffer from it.
    #[must_use]
    pub const fn response_capacity(&self) -> usize {
        self.response_capacity
    }

    /// Whether the command must be sent while the card is this program's alone
    /// ([`CardReader::begin_exclusive`](crate::CardReader::begin_exclusive)): begin before it
    /// unless already begun; keep it after the answer when the span says `hold`, end it
    /// otherwise. A held span also ends before any command that is not exclusive and before
    /// anything that waits ([`Output::Wait`], a capture, a match); screens, audit events and
    /// staff notices, handed out at once, do not end it.
    #[must_use]
    pub const fn span(&self) -> Span {
        self.span
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = self.bytes.get(..4).unwrap_or(&self.bytes);
        write!(f, "Transmit({}", crate::apdu::HexBytes(header))?;
        if self.secret {
            write!(f, " + {} bytes, secret", self.bytes.len().saturating_sub(4))?;
        } else if self.bytes.len() > 4 {
            write!(
                f,
                " {}",
                crate::apdu::HexBytes(self.bytes.get(4..).unwrap_or(&[]))
            )?;
        }
        f.write_str(")")
    }
}

/// Something the visit asks its driver to do or tells it. The set is exhaustive: a driver
/// handles each, and a new one is a new major version, never a silently dropped output.
#[derive(Debug)]
pub enum Output {
    /// Send this command to the card and feed back [`Input::CardResponse`] (or
    /// [`Input::TransportFailed`]). Before sending, pass any card event the reader reports:
    /// a command meant for a card that was reset or replaced must not be sent. After a card
    /// event, drop the command you hold and poll again. In an exclusive span
    /// ([`Transmit::span`]) send it while the card is this program's alone.
    Transmit(Transmit),
    /// Show this screen.
    Show(Screen),
    /// Take a live capture with the camera and feed back [`UserInput::FaceCaptured`].
    CaptureFace,
    /// Ask the face matcher and feed back [`UserInput::FaceMatched`].
    MatchFace {
        /// The chip photo, read from the card by the card layer.
        chip_photo: Vec<u8>,
        /// The capture.
        capture: FaceCapture,
    },
    /// Record this audit event.
    Audit(AuditEvent),
    /// Tell the staff (on the terminal, not the patient's screen).
    StaffNotice(StaffNotice),
    /// Nothing more to do until an input comes, or until `until`: then feed
    /// [`Input::Tick`]. The end of every burst of outputs.
    Wait {
        /// The idle deadline (or the next reminder).
        until: Timestamp,
    },
    /// The visit is over. Polling again gives it again.
    Finished(Outcome),
}

/// A message for the staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StaffNotice {
    /// The reader is still in the legacy visual mode: the next patients cannot use face
    /// authentication until an admin switches it back.
    LegacyModeStillOn {
        /// The reader.
        reader: ReaderId,
        /// Since when.
        since: Timestamp,
    },
    /// Legacy visual mode: check this card's holder and confirm it on the terminal
    /// ([`UserInput::StaffConfirmedOnTerminal`] naming this card).
    ConfirmCard {
        /// The reader.
        reader: ReaderId,
        /// The card on it.
        card: CardIdentity,
    },
    /// The user-authentication certificate expires soon, or expired recently: tell the
    /// patient to renew it at the municipal office.
    CertificateRenewal {
        /// When it expires (expired).
        not_after: Timestamp,
    },
}

/// The text of a staff notice, for terminals that show it as is.
impl fmt::Display for StaffNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LegacyModeStillOn { reader, since } => write!(
                f,
                "{reader} is still in the visual-check mode (since {since}): switch it back"
            ),
            Self::ConfirmCard { reader, card } => {
                write!(f, "{reader}: check the holder of card {card} and confirm")
            }
            Self::CertificateRenewal { not_after } => write!(
                f,
                "the patient's certificate expires (expired) {not_after}: renewal at the municipal office"
            ),
        }
    }
}
