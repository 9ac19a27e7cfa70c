//! READ BINARY, in the fewest commands, and the record readers built on it.

use alloc::vec::Vec;

use super::route::Route;
use super::unexpected;
use crate::apdu::tlv::{TlvError, object_size};
use crate::apdu::{Command, LengthEncoding, StatusWord};
use crate::card::records::{
    BasicInfo, CardFaceEntries, CardKind, CardVerifiableCertificate, CertificateAvailability,
    IntegrityRecord, MyNumber, TokenInfo, UserAuthCertificate,
};
use crate::card::session::{CardOperation, CardState, Map, Recovery, Reply, Request, Step};
use crate::card::{Application, CardFile, FileAccess, PinSlot, card_face, card_info, jpki};
use crate::error::{
    CardIncompatible, CardMisbehaved, Error, MalformedCardData, Operation, UsageError,
};

/// Largest READ BINARY offset (15 bits).
const MAX_OFFSET: usize = 0x7FFF;
/// A short READ BINARY asks for a full chunk.
const SHORT_CHUNK: usize = 256;
/// An extended READ BINARY asks for at most this much.
const EXTENDED_CHUNK: usize = 65_536;
/// `62 82`: end of file reached before Ne bytes were read.
const END_OF_FILE_WARNING: StatusWord = StatusWord::from_u16(0x6282);

/// How much of a file to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSize {
    /// The file is one DER/BER object; its header says how long it is.
    FromHeader,
    /// Up to this many bytes, fewer if the file ends first.
    UpTo(usize),
}

/// Reads a file in the fewest READ BINARY commands: the physical minimum.
///
/// The first read names the file by its short EF identifier, which selects it on the way
/// (`00 B0 8A 00 00`: no SELECT EF), and asks for a full chunk; the rest follow by offset, as
/// many as the object's own header says remain. With short APDUs a 1590-byte certificate takes
/// `ceil(1590 / 256)` = 7 reads; with a reader that reports extended length, one read with
/// Le = 65 536 returns the whole file (`00 B0 8A 00 00 00 00`).
///
/// Ends of file: a short answer with `90 00`, `62 82` or `6B 00` ends the data; a file that ends
/// before its header's length is [`CardMisbehaved::FileEndedEarly`].
#[derive(Debug)]
pub struct ReadFile {
    file: CardFile,
    size: FileSize,
    route: Option<Route>,
    /// The short EF identifier the first read names the file by, when it has one.
    short_file_id: Option<u8>,
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
            short_file_id: None,
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
        let (chunk, encoding) = if state.capabilities().extended_length {
            (EXTENDED_CHUNK, LengthEncoding::Extended)
        } else {
            (SHORT_CHUNK, LengthEncoding::Short)
        };
        self.asked = wanted.min(chunk);
        let ne = u32::try_from(self.asked).unwrap_or(u32::MAX);
        let command = match self.short_file_id {
            Some(sfi) if offset == 0 => Command::read_binary_short_file(sfi, 0, ne, encoding)?,
            _ => {
                let Ok(offset) = u16::try_from(offset) else {
                    return Err(self.too_large(offset));
                };
                if usize::from(offset) > MAX_OFFSET {
                    return Err(self.too_large(usize::from(offset)));
                }
                match encoding {
                    LengthEncoding::Extended => Command::read_binary_extended(offset, ne)?,
                    LengthEncoding::Short => Command::read_binary(offset, ne)?,
                }
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
                state.file_unknown();
                let verified_key_opens_it = PinSlot::ALL
                    .into_iter()
                    .any(|slot| state.is_verified(slot) && self.file.access().opened_by(slot))
                    && self.file.access() != FileAccess::Free;
                return Err(if verified_key_opens_it {
                    // A key that opens the file was verified in this session: the card refused
                    // what it should allow.
                    CardMisbehaved::ReadRefused { file: self.file }.into()
                } else {
                    match protecting_pin(self.file) {
                        Some(slot) => UsageError::PinNotVerified(slot).into(),
                        None => unexpected(Operation::ReadBinary, reply.status),
                    }
                });
            }
            StatusWord::FILE_NOT_FOUND => {
                state.file_unknown();
                return Err(CardIncompatible::FileMissing(self.file).into());
            }
            status => {
                state.file_unknown();
                return Err(unexpected(Operation::ReadBinary, status));
            }
        };
        if self.short_file_id.is_some() && self.data.is_empty() {
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
                // EFs 0001–001E have a short identifier: the first read selects them.
                self.short_file_id = u8::try_from(id).ok().filter(|sfi| (1..=30).contains(sfi));
                let file = match self.short_file_id {
                    Some(_) => None,
                    None => Some(self.file.file),
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

/// The key to verify before reading `file`, for the error when the card refuses the read: the
/// first key of the access table, or the user-authentication PIN for the certificate on a
/// smartphone (free on the plastic card, behind the PIN on a phone).
fn protecting_pin(file: CardFile) -> Option<PinSlot> {
    match file.access() {
        FileAccess::AnyOf(slots) => slots.first().copied(),
        FileAccess::Free
            if file == CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE) =>
        {
            Some(PinSlot::UserAuth)
        }
        FileAccess::Free | FileAccess::Never => None,
    }
}

/// An operation that reads a file and parses it.
pub type ReadRecord<T> = Map<ReadFile, fn(Vec<u8>) -> Result<T, Error>>;

/// Reads the JPKI token (EF 0006, 160 bytes): the card's kind and chip serial.
#[must_use]
pub fn read_token_info() -> ReadRecord<TokenInfo> {
    ReadFile::new(
        CardFile::new(Application::Jpki, jpki::TOKEN),
        FileSize::UpTo(jpki::TOKEN_LEN),
    )
    .map(|bytes| TokenInfo::parse(&bytes))
}

/// Reads the JPKI token and says what kind of card this is.
#[must_use]
pub fn read_card_kind() -> ReadRecord<CardKind> {
    ReadFile::new(
        CardFile::new(Application::Jpki, jpki::TOKEN),
        FileSize::UpTo(jpki::TOKEN_LEN),
    )
    .map(|bytes| TokenInfo::parse(&bytes).map(|token| token.kind))
}

/// Reads JPKI EF 0008: which certificates the card carries.
#[must_use]
pub fn read_certificate_availability() -> ReadRecord<CertificateAvailability> {
    ReadFile::new(
        CardFile::new(Application::Jpki, jpki::CERTIFICATE_AVAILABILITY),
        FileSize::UpTo(3),
    )
    .map(|bytes| CertificateAvailability::parse(&bytes))
}

/// Reads and parses the user-authentication certificate (free to read on the plastic card;
/// behind the user-authentication PIN on smartphone JPKI).
#[must_use]
pub fn read_user_auth_certificate() -> ReadRecord<UserAuthCertificate> {
    let file = CardFile::new(Application::Jpki, jpki::USER_AUTH_CERTIFICATE);
    ReadFile::new(file, FileSize::FromHeader).map(UserAuthCertificate::from_der)
}

/// Reads the basic 4 info; the card-info PIN or 照合番号B must be verified first.
#[must_use]
pub fn read_basic_info() -> ReadRecord<BasicInfo> {
    let file = CardFile::new(Application::CardInfo, card_info::BASIC_INFO);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| BasicInfo::parse(&bytes))
}

/// Reads the card-face entries with the face photo; 照合番号A or B (card-face AP) must be
/// verified first.
#[must_use]
pub fn read_card_face() -> ReadRecord<CardFaceEntries> {
    let file = CardFile::new(Application::CardFace, card_face::ENTRIES);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| CardFaceEntries::parse(&bytes))
}

/// Reads the My Number; the card-info PIN or 照合番号A must be verified first. The bytes read
/// are wiped once parsed.
#[must_use]
pub fn read_my_number() -> ReadRecord<MyNumber> {
    let file = CardFile::new(Application::CardInfo, card_info::MY_NUMBER);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| {
        let bytes = zeroize::Zeroizing::new(bytes);
        MyNumber::parse(&bytes)
    })
}

/// Reads the integrity record of the card-info AP (EF 0003); the card-info PIN or a 照合番号
/// must be verified first.
#[must_use]
pub fn read_integrity_record() -> ReadRecord<IntegrityRecord> {
    let file = CardFile::new(Application::CardInfo, card_info::INTEGRITY);
    ReadFile::new(file, FileSize::FromHeader).map(|bytes| IntegrityRecord::parse(&bytes))
}

/// Reads the card-verifiable certificate (EF 0004) of a 券面 application (card face or card
/// info); free. The JPKI-AP has none: the card answers `6A 82` and the operation ends with
/// [`CardIncompatible::FileMissing`].
#[must_use]
pub fn read_card_verifiable_certificate(
    application: Application,
) -> ReadRecord<CardVerifiableCertificate> {
    let file = CardFile::new(application, card_face::CERTIFICATE);
    let parse: fn(Vec<u8>) -> Result<CardVerifiableCertificate, Error> =
        if application == Application::CardFace {
            |bytes| {
                let file = CardFile::new(Application::CardFace, card_face::CERTIFICATE);
                CardVerifiableCertificate::parse(file, &bytes)
            }
        } else {
            |bytes| {
                let file = CardFile::new(Application::CardInfo, card_info::CERTIFICATE);
                CardVerifiableCertificate::parse(file, &bytes)
            }
        };
    ReadFile::new(file, FileSize::FromHeader).map(parse)
}
