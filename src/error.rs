//! Errors, grouped by who is at fault.
//!
//! | Group | At fault | Example |
//! |---|---|---|
//! | [`Error::Transport`] | the reader or the link | card removed mid-command |
//! | [`Error::MalformedCardData`] | the card's bytes | a record that is not BER-TLV |
//! | [`Error::CardMisbehaved`] | the card's behaviour | a status word that makes no sense here |
//! | [`Error::CardIncompatible`] | the card lacks something | no card-face application |
//! | [`Error::Usage`] | the calling code | VERIFY without a fresh retry count |
//! | [`Error::InvalidPin`] | the person typing | a 3-digit PIN |
//! | [`Error::NotAuthentic`] | the card (or whoever made it) | a card face the issuer did not sign |
//! | [`Error::InputRejected`] | the UI (an input out of place) | a PIN while the consent is asked |
//! | [`Error::Facility`] | the staff or admin | a wrong password, an expired admin session |
//!
//! Every error has a stable machine code ([`Error::code`]) for logs, audit trails and callers
//! in other languages.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::apdu::tlv::TlvError;
use crate::apdu::{BuildError, ResponseParseError, StatusWord};
pub use crate::card::CardFile;
#[cfg(feature = "authenticity")]
use crate::card::authenticity::AuthenticityError;
use crate::card::{Application, PinFormatError, PinKind, PinSlot};
#[cfg(feature = "reception")]
use crate::facility::{FacilityError, StoreError};
use crate::reader::TransportError;
#[cfg(feature = "reception")]
use crate::reception::RejectReason;

/// Every error of the crate's card and reception layers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The reader or the link to the card failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The card sent bytes that do not parse.
    #[error("malformed card data: {0}")]
    MalformedCardData(#[from] MalformedCardData),
    /// The card answered something unexpected at this point.
    #[error("unexpected card behaviour: {0}")]
    CardMisbehaved(#[from] CardMisbehaved),
    /// The card lacks an application, a file or a PIN the operation needs.
    #[error("card not suitable: {0}")]
    CardIncompatible(#[from] CardIncompatible),
    /// The calling code used the API in a way it does not allow.
    #[error("API misuse: {0}")]
    Usage(#[from] UsageError),
    /// The PIN entered has the wrong format; nothing was sent to the card.
    #[error("invalid PIN: {0}")]
    InvalidPin(#[from] PinFormatError),
    /// The card, its data or its certificate is not genuine (or not under the trust anchors).
    #[cfg(feature = "authenticity")]
    #[error("not authentic: {0}")]
    NotAuthentic(#[from] AuthenticityError),
    /// The visit did not take an input; nothing changed.
    #[cfg(feature = "reception")]
    #[error("input rejected: {0}")]
    InputRejected(#[from] crate::reception::InputRejected),
    /// A facility operation was refused.
    #[cfg(feature = "reception")]
    #[error("facility: {0}")]
    Facility(#[from] FacilityError),
}

impl Error {
    /// A stable machine code for logs, audit trails and callers in other languages: the group,
    /// then the case (`transport.card_removed`, `card.unexpected_status`,
    /// `usage.retry_count_not_fresh`). Codes are never reused for another meaning.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Transport(error) => match error {
                TransportError::NoService => "transport.no_service",
                TransportError::NoReader => "transport.no_reader",
                TransportError::NoCard => "transport.no_card",
                TransportError::CardRemoved => "transport.card_removed",
                TransportError::CardReset => "transport.card_reset",
                TransportError::CardChanged => "transport.card_changed",
                TransportError::SharingViolation => "transport.sharing_violation",
                TransportError::Timeout => "transport.timeout",
                TransportError::ResponseTooLong { .. } => "transport.response_too_long",
                TransportError::Failed { .. } => "transport.failed",
            },
            Self::MalformedCardData(error) => match error {
                MalformedCardData::Response(_) => "card_data.response",
                MalformedCardData::Tlv { .. } => "card_data.tlv",
                MalformedCardData::Certificate { .. } => "card_data.certificate",
                MalformedCardData::Record { .. } => "card_data.record",
            },
            Self::CardMisbehaved(error) => match error {
                CardMisbehaved::UnexpectedStatus { .. } => "card.unexpected_status",
                CardMisbehaved::FileEndedEarly { .. } => "card.file_ended_early",
                CardMisbehaved::EndlessRecovery { .. } => "card.endless_recovery",
                CardMisbehaved::FileTooLarge { .. } => "card.file_too_large",
                CardMisbehaved::SignatureLength { .. } => "card.signature_length",
                CardMisbehaved::ReadRefused { .. } => "card.read_refused",
                CardMisbehaved::ResponseTooLong { .. } => "card.response_too_long",
                CardMisbehaved::ImpossibleCount { .. } => "card.impossible_count",
                CardMisbehaved::ChallengeLength { .. } => "card.challenge_length",
            },
            Self::CardIncompatible(error) => match error {
                CardIncompatible::ApplicationMissing(_) => "card_incompatible.application_missing",
                CardIncompatible::FileMissing(_) => "card_incompatible.file_missing",
                CardIncompatible::PinNotSet(_) => "card_incompatible.pin_not_set",
            },
            Self::Usage(error) => match error {
                UsageError::RetryCountNotFresh(_) => "usage.retry_count_not_fresh",
                UsageError::PinBlocked(_) => "usage.pin_blocked",
                UsageError::PinKindMismatch { .. } => "usage.pin_kind_mismatch",
                UsageError::PinNotVerified(_) => "usage.pin_not_verified",
                UsageError::Build(_) => "usage.build",
                UsageError::OutOfOrder => "usage.out_of_order",
                UsageError::SigningInputLength { .. } => "usage.signing_input_length",
                UsageError::KeyDoesNotOpenFile { .. } => "usage.key_does_not_open_file",
            },
            Self::InvalidPin(_) => "invalid_pin",
            #[cfg(feature = "authenticity")]
            Self::NotAuthentic(error) => match error {
                AuthenticityError::UnknownIssuer { .. } => "not_authentic.unknown_issuer",
                AuthenticityError::CertificateSignature => "not_authentic.certificate_signature",
                AuthenticityError::CardFaceSignature => "not_authentic.card_face_signature",
                AuthenticityError::CardNotPresent => "not_authentic.card_not_present",
                AuthenticityError::PinKeyNotProven => "not_authentic.pin_key_not_proven",
                AuthenticityError::UntrustedCertificate => "not_authentic.untrusted_certificate",
                AuthenticityError::UnusableKey => "not_authentic.unusable_key",
            },
            #[cfg(feature = "reception")]
            Self::InputRejected(rejected) => match rejected.reason {
                RejectReason::NotExpected => "input_rejected.not_expected",
                RejectReason::NotOffered { .. } => "input_rejected.not_offered",
                RejectReason::AlreadyDeclared => "input_rejected.already_declared",
                RejectReason::VerificationNumberB => "input_rejected.verification_number_b",
                RejectReason::AnotherCard => "input_rejected.another_card",
                RejectReason::IPhone => "input_rejected.iphone",
                RejectReason::NoCommandPending => "input_rejected.no_command_pending",
                RejectReason::Finished => "input_rejected.finished",
            },
            #[cfg(feature = "reception")]
            Self::Facility(error) => match error {
                FacilityError::LoginFailed => "facility.login_failed",
                FacilityError::SessionInvalid => "facility.session_invalid",
                FacilityError::InvalidAccountName => "facility.invalid_account_name",
                FacilityError::AccountExists => "facility.account_exists",
                FacilityError::NoSuchAccount => "facility.no_such_account",
                FacilityError::AlreadyRevoked => "facility.already_revoked",
                FacilityError::CannotRevokeSelf => "facility.cannot_revoke_self",
                FacilityError::WeakPassword => "facility.weak_password",
                FacilityError::InvalidPasscode => "facility.invalid_passcode",
                FacilityError::NoSuchReader => "facility.no_such_reader",
                FacilityError::ReaderExists => "facility.reader_exists",
                FacilityError::InvalidHashCost => "facility.invalid_hash_cost",
                FacilityError::Hashing => "facility.hashing",
                FacilityError::NotAnAdmin => "facility.not_an_admin",
                FacilityError::ConfigOutOfRange => "facility.config_out_of_range",
                FacilityError::LoginThrottled { .. } => "facility.login_throttled",
                FacilityError::AccountLocked => "facility.account_locked",
                FacilityError::AccountNotLocked => "facility.account_not_locked",
                FacilityError::WeakPepper => "facility.weak_pepper",
                FacilityError::WrongPepper => "facility.wrong_pepper",
                FacilityError::RandomUnavailable => "facility.random_unavailable",
                FacilityError::VisitNotFinished => "facility.visit_not_finished",
                FacilityError::UnknownVisit => "facility.unknown_visit",
                FacilityError::StoreMismatch => "facility.store_mismatch",
                FacilityError::Store(StoreError::Unavailable) => "facility.store_unavailable",
                FacilityError::Store(StoreError::Corrupt) => "facility.store_corrupt",
                FacilityError::Store(StoreError::NewerSchema { .. }) => {
                    "facility.store_newer_schema"
                }
                FacilityError::Store(StoreError::Conflict) => "facility.store_conflict",
            },
        }
    }
}

impl From<BuildError> for Error {
    fn from(error: BuildError) -> Self {
        Self::Usage(UsageError::Build(error))
    }
}

impl From<ResponseParseError> for Error {
    fn from(error: ResponseParseError) -> Self {
        Self::MalformedCardData(MalformedCardData::Response(error))
    }
}

/// What the card layer was doing when something went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// SELECT of an application.
    SelectApplication,
    /// SELECT of an EF.
    SelectFile,
    /// READ BINARY.
    ReadBinary,
    /// The empty VERIFY that asks for the retry counter.
    RetryQuery,
    /// VERIFY with a PIN.
    Verify,
    /// CHANGE REFERENCE DATA.
    ChangePin,
    /// COMPUTE DIGITAL SIGNATURE.
    Sign,
    /// GET RESPONSE.
    GetResponse,
    /// GET DATA of an MF-level data object.
    GetData,
    /// GET CHALLENGE.
    GetChallenge,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SelectApplication => "SELECT application",
            Self::SelectFile => "SELECT EF",
            Self::ReadBinary => "READ BINARY",
            Self::RetryQuery => "retry-count query",
            Self::Verify => "VERIFY",
            Self::ChangePin => "CHANGE REFERENCE DATA",
            Self::Sign => "COMPUTE DIGITAL SIGNATURE",
            Self::GetResponse => "GET RESPONSE",
            Self::GetData => "GET DATA",
            Self::GetChallenge => "GET CHALLENGE",
        })
    }
}

/// Bytes from the card that do not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedCardData {
    /// A response without its status word.
    #[error("{0}")]
    Response(ResponseParseError),
    /// A file whose BER-TLV structure is broken.
    #[error("{file}: {error}")]
    Tlv {
        /// The file.
        file: CardFile,
        /// What is broken.
        error: TlvError,
    },
    /// A certificate that is not valid DER X.509.
    #[error("{file}: not a valid X.509 certificate")]
    Certificate {
        /// The file.
        file: CardFile,
    },
    /// A record that parses as TLV but lacks a field or has one of the wrong form.
    #[error("{file}: {problem}")]
    Record {
        /// The file.
        file: CardFile,
        /// What is wrong.
        problem: RecordProblem,
    },
}

/// What is wrong with a record's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordProblem {
    /// A required field (by its BER-TLV tag) is missing.
    #[error("field {tag:X} is missing")]
    MissingField {
        /// The tag, as a big-endian number.
        tag: u32,
    },
    /// A field that should be text is not UTF-8.
    #[error("field {tag:X} is not UTF-8 text")]
    NotText {
        /// The tag.
        tag: u32,
    },
    /// A field has a value it cannot have (a sex code other than 0, 1, 2 or 9, a My Number
    /// that is not 12 digits).
    #[error("field {tag:X} has an invalid value")]
    InvalidValue {
        /// The tag.
        tag: u32,
    },
    /// The token is none of the known kinds.
    #[error("unknown token")]
    UnknownToken,
    /// A fixed-size record of another size.
    #[error("{got} bytes; this record has {expected}")]
    WrongLength {
        /// Bytes the record has on a real card.
        expected: usize,
        /// Bytes the card returned.
        got: usize,
    },
    /// A text field of a fixed-layout record holds bytes that are not printable ASCII.
    #[error("the text field at offset {offset} is not printable ASCII")]
    NotTextAt {
        /// The field's offset in the record.
        offset: usize,
    },
}

/// The card answered something that does not fit the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardMisbehaved {
    /// A status word the operation does not expect.
    #[error("{operation} answered {status}")]
    UnexpectedStatus {
        /// The operation.
        operation: Operation,
        /// The status word.
        status: StatusWord,
    },
    /// A file that ends before the length its own header announces.
    #[error("{file} ends after {got} of the {expected} bytes its header announces")]
    FileEndedEarly {
        /// The file.
        file: CardFile,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes the card returned.
        got: usize,
    },
    /// More `61 xx`/`6C xx` rounds than any real exchange needs.
    #[error("{operation}: too many 61xx/6Cxx recovery rounds")]
    EndlessRecovery {
        /// The operation.
        operation: Operation,
    },
    /// A file longer than READ BINARY's 15-bit offsets can reach.
    #[error("{file} announces {len} bytes, more than READ BINARY can address")]
    FileTooLarge {
        /// The file.
        file: CardFile,
        /// Bytes announced.
        len: usize,
    },
    /// A signature of the wrong length.
    #[error("a signature of {len} bytes; RSA-2048 gives 256")]
    SignatureLength {
        /// Bytes returned.
        len: usize,
    },
    /// The card refused to read a file (`69 82`) after a key that opens it was verified.
    #[error("{file} refused although a key that opens it was verified")]
    ReadRefused {
        /// The file.
        file: CardFile,
    },
    /// A response longer than the command asked for (Ne plus the status word).
    #[error("{operation}: a {len}-byte response to a command that allows {capacity}")]
    ResponseTooLong {
        /// The operation.
        operation: Operation,
        /// Bytes the command allows.
        capacity: usize,
        /// Bytes received.
        len: usize,
    },
    /// A retry count no PIN of this kind can have (`63 CF` for a 3-try PIN).
    #[error("the {slot:?} PIN reported {reported} tries; it has at most {max}")]
    ImpossibleCount {
        /// The PIN.
        slot: PinSlot,
        /// The count the card reported.
        reported: u8,
        /// The most the PIN has.
        max: u8,
    },
    /// GET CHALLENGE returned another number of bytes than asked for.
    #[error("a challenge of {got} bytes; {asked} were asked for")]
    ChallengeLength {
        /// Bytes asked for.
        asked: u16,
        /// Bytes returned.
        got: usize,
    },
}

/// The card lacks something the operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardIncompatible {
    /// The application is not on the card (e.g. smartphone JPKI has only the JPKI-AP).
    #[error("the card has no {0}")]
    ApplicationMissing(Application),
    /// The file is not in the application.
    #[error("the card has no {0}")]
    FileMissing(CardFile),
    /// The PIN is not set on this card (a face-authentication card has none).
    #[error("the card has no {0:?} PIN")]
    PinNotSet(PinSlot),
}

/// The calling code asked for something the API does not allow. Nothing was sent to the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// VERIFY needs the card's current retry count first: query the PIN status (which spends no
    /// try) after the card was placed, reset, or an unclear transport error.
    #[error("the retry count of the {0:?} PIN is not known; query the PIN status first")]
    RetryCountNotFresh(PinSlot),
    /// The PIN is blocked: VERIFY would be refused and is never sent.
    #[error("the {0:?} PIN is blocked; it is never sent to the card")]
    PinBlocked(PinSlot),
    /// A PIN of one kind offered to a slot of another.
    #[error("a {kind:?} PIN cannot verify the {slot:?} slot")]
    PinKindMismatch {
        /// The slot.
        slot: PinSlot,
        /// The kind of the PIN given.
        kind: PinKind,
    },
    /// The operation needs this PIN verified first (in the same application session).
    #[error("the {0:?} PIN must be verified first")]
    PinNotVerified(PinSlot),
    /// A command could not be built.
    #[error("{0}")]
    Build(BuildError),
    /// An exchange or operation driven out of order: a response with no command pending, or a
    /// step after it finished.
    #[error("an exchange was driven out of order")]
    OutOfOrder,
    /// Input of a length the signing scheme does not take (see
    /// [`SignatureScheme::input_len`](crate::card::SignatureScheme::input_len)).
    #[error("{len} bytes cannot be signed with the {scheme:?} scheme")]
    SigningInputLength {
        /// The scheme.
        scheme: crate::card::SignatureScheme,
        /// Bytes given.
        len: usize,
    },
    /// The key given does not open the file: it is never presented to it (see
    /// [`CardFile::access`]).
    #[error("the {slot:?} key does not open {file}")]
    KeyDoesNotOpenFile {
        /// The key.
        slot: PinSlot,
        /// The file.
        file: CardFile,
    },
}
