//! The card operations, each a sans-IO [`CardOperation`].
//!
//! They send the fewest commands the job needs: an application or EF already selected is not
//! selected again, a file's size comes from its own DER/BER header, and a PIN is sent at most
//! once per operation, only when the card's last report says it has tries left.

use alloc::vec::Vec;

use super::records::{BasicInfo, CardFaceEntries, CardKind, MyNumber, UserAuthCertificate};
use super::session::{CardOperation, CardState, Map, Recovery, Reply, Request, Step};
use super::{Application, Pin, PinSlot, PinStatus, card_face, card_info, jpki};
use crate::apdu::tlv::{TlvError, object_size};
use crate::apdu::{Command, FileId, LengthEncoding, StatusMeaning, StatusWord};
use crate::error::{
    CardFile, CardIncompatible, CardMisbehaved, Error, MalformedCardData, Operation, UsageError,
};

/// Largest READ BINARY offset (15 bits).
const MAX_OFFSET: usize = 0x7FFF;
/// A short READ BINARY asks for a full chunk.
const SHORT_CHUNK: usize = 256;
/// An extended READ BINARY asks for at most this much.
const EXTENDED_CHUNK: usize = 65_536;
/// `62 82`: end of file reached before Ne bytes were read.
const END_OF_FILE_WARNING: StatusWord = StatusWord::from_u16(0x6282);
/// `6A 88`: referenced data (here: the PIN) not found.
const REFERENCE_NOT_FOUND: StatusWord = StatusWord::from_u16(0x6A88);

fn unexpected(operation: Operation, status: StatusWord) -> Error {
    CardMisbehaved::UnexpectedStatus { operation, status }.into()
}

/// Brings the card to an application and optionally one of its EFs, skipping the SELECTs the
/// card state says are not needed.
#[derive(Debug)]
struct Route {
    application: Application,
    file: Option<FileId>,
    awaiting: Option<Operation>,
}

impl Route {
    const fn new(application: Application, file: Option<FileId>) -> Self {
        Self {
            application,
            file,
            awaiting: None,
        }
    }

    /// The next SELECT, or `None` when the card is where it should be. Takes the reply when
    /// it answers one of the route's own SELECTs.
    fn step(
        &mut self,
        state: &mut CardState,
        reply: &mut Option<Reply<'_>>,
    ) -> Result<Option<Request>, Error> {
        if let Some(operation) = self.awaiting.take() {
            let Some(answer) = reply.take() else {
                return Err(UsageError::OutOfOrder.into());
            };
            match (operation, answer.status) {
                (Operation::SelectApplication, StatusWord::SUCCESS) => {
                    state.application_selected(self.application);
                }
                (Operation::SelectApplication, StatusWord::FILE_NOT_FOUND) => {
                    return Err(CardIncompatible::ApplicationMissing(self.application).into());
                }
                (_, StatusWord::SUCCESS) => {
                    if let Some(file) = self.file {
                        state.file_selected(file);
                    }
                }
                (_, StatusWord::FILE_NOT_FOUND) => {
                    let file = self.file.unwrap_or(FileId::new(0));
                    return Err(CardIncompatible::FileMissing(CardFile::new(
                        self.application,
                        file,
                    ))
                    .into());
                }
                (operation, status) => return Err(unexpected(operation, status)),
            }
        }
        if state.selected_application() != Some(self.application) {
            self.awaiting = Some(Operation::SelectApplication);
            let command = Command::select_application(self.application.aid())?;
            return Ok(Some(Request::new(
                command,
                Operation::SelectApplication,
                Recovery::ReadOnly,
            )));
        }
        match self.file {
            Some(file) if state.current_file() != Some(file) => {
                self.awaiting = Some(Operation::SelectFile);
                let command = Command::select_elementary_file(&file);
                Ok(Some(Request::new(
                    command,
                    Operation::SelectFile,
                    Recovery::ReadOnly,
                )))
            }
            _ => Ok(None),
        }
    }
}

/// Selects an application by AID (the card is identified by SELECT, never by its ATR).
#[derive(Debug)]
pub struct SelectApplication {
    route: Route,
}

impl SelectApplication {
    /// Selects `application` unless it is already selected.
    #[must_use]
    pub const fn new(application: Application) -> Self {
        Self {
            route: Route::new(application, None),
        }
    }
}

impl CardOperation for SelectApplication {
    type Output = ();

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<()>, Error> {
        match self.route.step(state, &mut reply)? {
            Some(request) => Ok(Step::Send(request)),
            None => Ok(Step::Done(())),
        }
    }
}

/// Asks a PIN's retry counter without spending a try: SELECT the PIN's EF, then the empty
/// VERIFY `00 20 00 80`.
///
/// `63 Cx` gives `x` tries (0: blocked); `69 83`/`69 84` blocked; `90 00` (already verified
/// in this session, so the counter is full) the kind's maximum. A PIN EF the card does not
/// have is [`PinStatus::NotSet`], which is how the virtual card models a face-authentication
/// card (unconfirmed on real cards).
#[derive(Debug)]
pub struct QueryPinStatus {
    slot: PinSlot,
    route: Route,
    sent: bool,
}

impl QueryPinStatus {
    /// Queries the PIN in `slot`.
    #[must_use]
    pub const fn new(slot: PinSlot) -> Self {
        Self {
            slot,
            route: Route::new(slot.application(), Some(slot.file())),
            sent: false,
        }
    }
}

impl CardOperation for QueryPinStatus {
    type Output = PinStatus;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<PinStatus>, Error> {
        if !self.sent {
            match self.route.step(state, &mut reply) {
                Ok(Some(request)) => return Ok(Step::Send(request)),
                Ok(None) => {}
                Err(Error::CardIncompatible(CardIncompatible::FileMissing(_))) => {
                    state.set_pin_status(self.slot, PinStatus::NotSet);
                    return Ok(Step::Done(PinStatus::NotSet));
                }
                Err(error) => return Err(error),
            }
            self.sent = true;
            return Ok(Step::Send(Request::new(
                Command::retry_count_query(),
                Operation::RetryQuery,
                Recovery::Never,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        let status = match reply.status.meaning() {
            StatusMeaning::WrongPin { tries_left } => PinStatus::from_tries(tries_left),
            StatusMeaning::PinBlocked => PinStatus::Blocked,
            StatusMeaning::Success => {
                state.set_verified(self.slot);
                self.slot.full_status()
            }
            _ if reply.status == REFERENCE_NOT_FOUND => PinStatus::NotSet,
            _ => {
                state.set_pin_status(self.slot, PinStatus::Unknown);
                return Err(unexpected(Operation::RetryQuery, reply.status));
            }
        };
        state.set_pin_status(self.slot, status);
        Ok(Step::Done(status))
    }
}

/// What one VERIFY with a PIN gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// The PIN was right; the card reset its counter.
    Verified,
    /// The PIN was wrong and the card has `tries_left` tries left (0: it is now blocked).
    WrongPin {
        /// Tries left, as the card reported (`63 Cx`).
        tries_left: u8,
    },
    /// The card refused because the PIN is blocked (`69 83`/`69 84`).
    Blocked,
}

/// One VERIFY of a PIN: exactly one command with the PIN, never repeated.
///
/// Refused without sending anything unless the card's last report for the slot is
/// [`PinStatus::Remaining`] with at least one try: query the status first (it spends none).
#[derive(Debug)]
pub struct VerifyPin {
    slot: PinSlot,
    pin: Pin,
    route: Route,
    sent: bool,
}

impl VerifyPin {
    /// Verifies `pin` in `slot`.
    #[must_use]
    pub const fn new(slot: PinSlot, pin: Pin) -> Self {
        Self {
            slot,
            pin,
            route: Route::new(slot.application(), Some(slot.file())),
            sent: false,
        }
    }
}

impl CardOperation for VerifyPin {
    type Output = VerifyOutcome;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<VerifyOutcome>, Error> {
        if !self.sent {
            if self.pin.kind() != self.slot.kind() {
                return Err(UsageError::PinKindMismatch {
                    slot: self.slot,
                    kind: self.pin.kind(),
                }
                .into());
            }
            match state.pin_status(self.slot) {
                PinStatus::Remaining(n) if n > 0 => {}
                PinStatus::Blocked | PinStatus::Remaining(_) => {
                    return Err(UsageError::PinBlocked(self.slot).into());
                }
                PinStatus::NotSet => return Err(CardIncompatible::PinNotSet(self.slot).into()),
                PinStatus::Unknown => return Err(UsageError::RetryCountNotFresh(self.slot).into()),
            }
            if let Some(request) = self.route.step(state, &mut reply)? {
                return Ok(Step::Send(request));
            }
            self.sent = true;
            let command = Command::verify(self.pin.secret())?;
            return Ok(Step::Send(Request::new(
                command,
                Operation::Verify,
                Recovery::Never,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        let outcome = match reply.status.meaning() {
            StatusMeaning::Success => {
                state.set_verified(self.slot);
                state.set_pin_status(self.slot, self.slot.full_status());
                VerifyOutcome::Verified
            }
            StatusMeaning::WrongPin { tries_left } => {
                state.set_pin_status(self.slot, PinStatus::from_tries(tries_left));
                VerifyOutcome::WrongPin { tries_left }
            }
            StatusMeaning::PinBlocked => {
                state.set_pin_status(self.slot, PinStatus::Blocked);
                VerifyOutcome::Blocked
            }
            _ => {
                state.set_pin_status(self.slot, PinStatus::Unknown);
                return Err(unexpected(Operation::Verify, reply.status));
            }
        };
        Ok(Step::Done(outcome))
    }
}

/// How much of a file to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSize {
    /// The file is one DER/BER object; its header says how long it is.
    FromHeader,
    /// Up to this many bytes, fewer if the file ends first.
    UpTo(usize),
}

/// Reads a file in the fewest READ BINARY commands.
///
/// With short APDUs: SELECT EF, a first read of a full 256-byte chunk, then as many reads as
/// the object's own header says remain (a 1312-byte certificate: 6 reads). With a reader that
/// reports extended length: one READ BINARY by short EF identifier with Le = 65 536, which
/// selects the EF and returns the whole file (`00 B0 8A 00 00 00 00`).
///
/// Ends of file: a short answer with `90 00`, `62 82` or `6B 00` ends the data; a file that ends
/// before its header's length is [`CardMisbehaved::FileEndedEarly`].
#[derive(Debug)]
pub struct ReadFile {
    file: CardFile,
    size: FileSize,
    route: Option<Route>,
    by_short_id: bool,
    data: Vec<u8>,
    total: Option<usize>,
    /// Ne of the read in flight: an answer with fewer bytes means the file ended.
    asked: usize,
    reading: bool,
}

impl ReadFile {
    /// Reads `file` of `size`.
    #[must_use]
    pub const fn new(file: CardFile, size: FileSize) -> Self {
        Self {
            file,
            size,
            route: None,
            by_short_id: false,
            data: Vec::new(),
            total: None,
            asked: 0,
            reading: false,
        }
    }

    fn next_read(&mut self, state: &CardState) -> Result<Request, Error> {
        let offset = self.data.len();
        let wanted = match (self.total, self.size) {
            (Some(total), _) => total.saturating_sub(offset),
            (None, FileSize::UpTo(limit)) => limit,
            (None, FileSize::FromHeader) => usize::MAX,
        };
        let extended = state.capabilities().extended_length;
        let chunk = if extended {
            EXTENDED_CHUNK
        } else {
            SHORT_CHUNK
        };
        self.asked = wanted.min(chunk);
        let ne = u32::try_from(self.asked).unwrap_or(u32::MAX);
        let command = if self.by_short_id && offset == 0 {
            let sfi = self.file.file.to_u16() as u8;
            Command::read_binary_short_file(sfi, 0, ne, LengthEncoding::Extended)?
        } else {
            let Ok(offset) = u16::try_from(offset) else {
                return Err(self.too_large(offset));
            };
            if usize::from(offset) > MAX_OFFSET {
                return Err(self.too_large(usize::from(offset)));
            }
            if extended {
                Command::read_binary_extended(offset, ne)?
            } else {
                Command::read_binary(offset, ne)?
            }
        };
        Ok(Request::new(
            command,
            Operation::ReadBinary,
            Recovery::ReadOnly,
        ))
    }

    fn too_large(&self, len: usize) -> Error {
        CardMisbehaved::FileTooLarge {
            file: self.file,
            len,
        }
        .into()
    }

    fn ended_early(&self) -> Error {
        CardMisbehaved::FileEndedEarly {
            file: self.file,
            expected: self.total.unwrap_or(self.data.len()),
            got: self.data.len(),
        }
        .into()
    }

    /// Takes a read's reply; `Ok(true)` when the file is complete.
    fn absorb(&mut self, state: &mut CardState, reply: Reply<'_>) -> Result<bool, Error> {
        let end_of_file = match reply.status {
            StatusWord::SUCCESS => false,
            END_OF_FILE_WARNING | StatusWord::WRONG_P1_P2 => true,
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => {
                return Err(match protecting_pin(self.file) {
                    Some(slot) => UsageError::PinNotVerified(slot).into(),
                    None => unexpected(Operation::ReadBinary, reply.status),
                });
            }
            StatusWord::FILE_NOT_FOUND => {
                return Err(CardIncompatible::FileMissing(self.file).into());
            }
            status => return Err(unexpected(Operation::ReadBinary, status)),
        };
        if self.by_short_id {
            state.file_selected(self.file.file);
        }
        self.data.extend_from_slice(reply.data);
        if self.total.is_none() {
            self.total = match self.size {
                FileSize::UpTo(limit) => Some(limit),
                FileSize::FromHeader => match object_size(&self.data) {
                    Ok(size) => Some(size.total_len()),
                    Err(TlvError::Truncated { .. }) => return Err(self.ended_early()),
                    Err(error) => {
                        return Err(MalformedCardData::Tlv {
                            file: self.file,
                            error,
                        }
                        .into());
                    }
                },
            };
        }
        let total = self.total.unwrap_or(0);
        if self.data.len() >= total {
            self.data.truncate(total);
            return Ok(true);
        }
        if end_of_file || reply.data.len() < self.asked {
            return match self.size {
                FileSize::UpTo(_) => Ok(true),
                FileSize::FromHeader => Err(self.ended_early()),
            };
        }
        Ok(false)
    }
}

impl CardOperation for ReadFile {
    type Output = Vec<u8>;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<Vec<u8>>, Error> {
        if !self.reading {
            let route = self.route.get_or_insert_with(|| {
                let id = self.file.file.to_u16();
                self.by_short_id = state.capabilities().extended_length && (1..=30).contains(&id);
                let file = if self.by_short_id {
                    None
                } else {
                    Some(self.file.file)
                };
                Route::new(self.file.application, file)
            });
            if let Some(request) = route.step(state, &mut reply)? {
                return Ok(Step::Send(request));
            }
            self.reading = true;
            return self.next_read(state).map(Step::Send);
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        if self.absorb(state, reply)? {
            return Ok(Step::Done(core::mem::take(&mut self.data)));
        }
        self.next_read(state).map(Step::Send)
    }
}

/// The PIN that guards a file's READ, where the reference says.
fn protecting_pin(file: CardFile) -> Option<PinSlot> {
    match (file.application, file.file) {
        (Application::Jpki, jpki::SIGNING_CERTIFICATE) => Some(PinSlot::Signing),
        (Application::Jpki, jpki::USER_AUTH_CERTIFICATE) => Some(PinSlot::UserAuth),
        (Application::CardInfo, _) => Some(PinSlot::CardInfo),
        (Application::CardFace, _) => Some(PinSlot::CardFaceVerificationB),
        _ => None,
    }
}

/// COMPUTE DIGITAL SIGNATURE with the user-authentication key: SELECT EF 0017, then
/// `80 2A 00 80` with the DigestInfo. Needs the user-authentication PIN verified in the same
/// JPKI-AP session; never repeated.
#[derive(Debug)]
pub struct SignWithUserAuthKey {
    digest_info: Vec<u8>,
    route: Route,
    sent: bool,
}

impl SignWithUserAuthKey {
    /// Signs `digest_info` (a DER DigestInfo; the card adds the PKCS#1 v1.5 padding).
    #[must_use]
    pub const fn new(digest_info: Vec<u8>) -> Self {
        Self {
            digest_info,
            route: Route::new(Application::Jpki, Some(jpki::USER_AUTH_KEY)),
            sent: false,
        }
    }
}

impl CardOperation for SignWithUserAuthKey {
    type Output = Vec<u8>;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<Vec<u8>>, Error> {
        if !self.sent {
            if !state.is_verified(PinSlot::UserAuth) {
                return Err(UsageError::PinNotVerified(PinSlot::UserAuth).into());
            }
            if let Some(request) = self.route.step(state, &mut reply)? {
                return Ok(Step::Send(request));
            }
            self.sent = true;
            let command = Command::compute_digital_signature(&self.digest_info)
                .map_err(|_| UsageError::DigestInfoLength)?;
            return Ok(Step::Send(Request::new(
                command,
                Operation::Sign,
                Recovery::Never,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        match reply.status {
            StatusWord::SUCCESS if reply.data.len() == 256 => Ok(Step::Done(reply.data.to_vec())),
            StatusWord::SUCCESS => Err(CardMisbehaved::SignatureLength {
                len: reply.data.len(),
            }
            .into()),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => {
                Err(UsageError::PinNotVerified(PinSlot::UserAuth).into())
            }
            status => Err(unexpected(Operation::Sign, status)),
        }
    }
}

/// An operation that reads a file and parses it.
pub type ReadRecord<T> = Map<ReadFile, fn(Vec<u8>) -> Result<T, Error>>;

/// Reads the JPKI token (EF 0006) and says what kind of card this is.
#[must_use]
pub fn read_card_kind() -> ReadRecord<CardKind> {
    ReadFile::new(
        CardFile::new(Application::Jpki, jpki::TOKEN),
        FileSize::UpTo(jpki::TOKEN_LEN),
    )
    .map(|bytes| CardKind::from_token(&bytes))
}

/// Reads and parses the user-authentication certificate (free to read on the plastic card;
/// behind the user-authentication PIN on smartphone JPKI).
#[must_use]
pub fn read_user_auth_certificate() -> ReadRecord<UserAuthCertificate> {
    let file = CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE);
    ReadFile::new(file, FileSize::FromHeader).map(UserAuthCertificate::from_der)
}

/// Reads the basic 4 info; the card-info PIN must be verified first.
#[must_use]
pub fn read_basic_info() -> ReadRecord<BasicInfo> {
    let file = CardFile::new(Application::CardInfo, card_info::BASIC_INFO);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| BasicInfo::parse(&bytes))
}

/// Reads the card-face entries with the face photo; 照合番号B (card-face AP) must be verified
/// first.
#[must_use]
pub fn read_card_face() -> ReadRecord<CardFaceEntries> {
    let file = CardFile::new(Application::CardFace, card_face::ENTRIES);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| CardFaceEntries::parse(&bytes))
}

/// Reads the My Number; the card-info PIN must be verified first. The bytes read are wiped
/// once parsed.
#[must_use]
pub fn read_my_number() -> ReadRecord<MyNumber> {
    let file = CardFile::new(Application::CardInfo, card_info::MY_NUMBER);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| {
        let bytes = zeroize::Zeroizing::new(bytes);
        MyNumber::parse(&bytes)
    })
}
