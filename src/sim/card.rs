//! The virtual My Number Card: answers command APDUs as the reference says the real card does.

use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

use super::certificate::{self, TestKey};
use crate::SecretBytes;
use crate::apdu::{Command, CommandBuf, FileId, StatusWord, ins};
use crate::card::{Application, PinSlot};

/// The contact ATR of the My Number Card (OpenSC `card-jpki.c`): T=1, no historical bytes.
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord::from_u16(0x6985);
const COMMAND_NOT_ALLOWED_NO_EF: StatusWord = StatusWord::from_u16(0x6986);

/// A file of the virtual card.
#[derive(Clone)]
pub enum VirtualFile {
    /// A data file, readable freely or after one of the listed PIN EFs was verified.
    Data {
        /// The content.
        content: Vec<u8>,
        /// PIN EFs (of the same application) any one of which unlocks the file; empty = free.
        unlocked_by: Vec<FileId>,
    },
    /// A PIN with its counter.
    Pin(VirtualPin),
    /// A private key, usable after its PIN EF was verified.
    Key {
        /// Which test key signs.
        key: SigningKeyRef,
        /// The PIN EF that unlocks it.
        unlocked_by: FileId,
    },
}

/// Which of the virtual card's fixed test keys a key file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningKeyRef {
    /// The user-authentication key (its certificate is in EF 000A).
    UserAuth,
    /// The signing key (its certificate is in EF 0001).
    Signing,
}

impl fmt::Debug for VirtualFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Data {
                content,
                unlocked_by,
            } => f
                .debug_struct("Data")
                .field("len", &content.len())
                .field("unlocked_by", unlocked_by)
                .finish(),
            Self::Pin(pin) => pin.fmt(f),
            Self::Key { key, unlocked_by } => f
                .debug_struct("Key")
                .field("key", key)
                .field("unlocked_by", unlocked_by)
                .finish(),
        }
    }
}

/// A PIN on the virtual card: its value (secret), tries left and the maximum.
#[derive(Clone, Debug)]
pub struct VirtualPin {
    value: SecretBytes,
    remaining: u8,
    max: u8,
}

impl VirtualPin {
    /// A PIN with `value` and `max` tries, all of them left.
    #[must_use]
    pub fn new(value: &[u8], max: u8) -> Self {
        Self {
            value: SecretBytes::copy_from(value),
            remaining: max,
            max,
        }
    }

    /// Tries left.
    #[must_use]
    pub const fn remaining(&self) -> u8 {
        self.remaining
    }
}

/// How the virtual card answers where the real card's behaviour is unconfirmed. The defaults
/// follow `card-protocol.md` §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quirks {
    /// SW to a VERIFY with a PIN once the PIN is blocked: `69 84` per Go myna (default), or
    /// `69 83` (ISO "authentication method blocked").
    pub blocked_verify: StatusWord,
    /// SW to the empty VERIFY (retry query) once blocked: unknown on real cards; `63 C0` by
    /// default, which keeps OpenSC's JPKI driver working (it needs SW1 = 63).
    pub blocked_query: StatusWord,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            blocked_verify: StatusWord::REFERENCE_DATA_NOT_USABLE,
            blocked_query: StatusWord::from_u16(0x63C0),
        }
    }
}

/// One command the virtual card received and how it answered. The command's PIN is masked in
/// `Debug` and `Display`; [`LoggedCommand::bytes`] gives the exact bytes for assertions.
#[derive(Clone)]
pub struct LoggedCommand {
    command: Result<CommandBuf, usize>,
    status: StatusWord,
    response_len: usize,
}

impl LoggedCommand {
    /// The command, when it parsed.
    #[must_use]
    pub fn command(&self) -> Option<Command<'_>> {
        self.command.as_ref().ok().map(CommandBuf::as_command)
    }

    /// The command's exact bytes (the PIN included: for test assertions).
    #[must_use]
    pub fn bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        if let Some(command) = self.command() {
            command.encode_to_vec(&mut out);
        }
        out
    }

    /// The INS byte, when the command parsed.
    #[must_use]
    pub fn instruction(&self) -> Option<u8> {
        self.command().map(|c| c.instruction())
    }

    /// Whether this is a VERIFY that carried a PIN (and so could spend a try).
    #[must_use]
    pub fn is_pin_verification(&self) -> bool {
        self.command()
            .is_some_and(|c| c.instruction() == ins::VERIFY && !c.data().is_empty())
    }

    /// The status word the card answered.
    #[must_use]
    pub const fn status(&self) -> StatusWord {
        self.status
    }

    /// Bytes of the response, status word included.
    #[must_use]
    pub const fn response_len(&self) -> usize {
        self.response_len
    }
}

impl fmt::Display for LoggedCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.command {
            Ok(command) => write!(f, "{command}")?,
            Err(len) => write!(f, "<malformed, {len} bytes>")?,
        }
        write!(
            f,
            " → {:02X} {:02X} ({} bytes)",
            self.status.sw1(),
            self.status.sw2(),
            self.response_len
        )
    }
}

impl fmt::Debug for LoggedCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoggedCommand({self})")
    }
}

/// A lockout-faithful virtual My Number Card.
///
/// It keeps files per application, PIN counters that drop on a wrong PIN, return to the
/// maximum on a right one and block at zero (then every VERIFY is refused, the right PIN too);
/// answers `69 82` for a protected file before its PIN, `6A 82` for an unknown AID or file,
/// `6D 00` for an unknown instruction; returns `min(Le, rest)` bytes with `90 00` and `6B 00`
/// past the end; signs with real RSA-2048 PKCS#1 v1.5. Every command is logged.
#[derive(Clone, Debug)]
pub struct VirtualCard {
    applications: BTreeMap<ApplicationKey, BTreeMap<FileId, VirtualFile>>,
    selected: Option<Application>,
    current: Option<FileId>,
    verified: Vec<FileId>,
    quirks: Quirks,
    log: Vec<LoggedCommand>,
}

/// `Application` ordered for the map.
type ApplicationKey = u8;

fn key_of(application: Application) -> ApplicationKey {
    application as u8
}

impl VirtualCard {
    /// A card with no application; add them with [`VirtualCard::set_file`].
    #[must_use]
    pub fn empty() -> Self {
        Self {
            applications: BTreeMap::new(),
            selected: None,
            current: None,
            verified: Vec::new(),
            quirks: Quirks::default(),
            log: Vec::new(),
        }
    }

    /// The ATR.
    #[must_use]
    pub const fn atr(&self) -> &'static [u8] {
        &ATR
    }

    /// Answers one command APDU with response data and SW1 SW2, and logs it.
    pub fn respond(&mut self, command: &[u8]) -> Vec<u8> {
        let (mut data, status) = match Command::parse(command) {
            Ok(parsed) => self.execute(parsed),
            Err(_) => (Vec::new(), StatusWord::WRONG_LENGTH),
        };
        self.log.push(LoggedCommand {
            command: CommandBuf::parse(command).map_err(|_| command.len()),
            status,
            response_len: data.len() + 2,
        });
        data.extend_from_slice(&status.to_bytes());
        data
    }

    /// A reset (power off and on): no application selected, nothing verified. Counters stay.
    pub fn reset(&mut self) {
        self.selected = None;
        self.current = None;
        self.verified.clear();
    }

    /// Every command received so far.
    #[must_use]
    pub fn log(&self) -> &[LoggedCommand] {
        &self.log
    }

    /// Forgets the log.
    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// The quirks in force.
    #[must_use]
    pub const fn quirks(&self) -> Quirks {
        self.quirks
    }

    /// Sets how the card answers where real behaviour is unconfirmed.
    pub fn set_quirks(&mut self, quirks: Quirks) {
        self.quirks = quirks;
    }

    /// Adds or replaces a file (adding the application if it is new).
    pub fn set_file(&mut self, application: Application, id: FileId, file: VirtualFile) {
        self.applications
            .entry(key_of(application))
            .or_default()
            .insert(id, file);
    }

    /// Removes a file.
    pub fn remove_file(&mut self, application: Application, id: FileId) {
        if let Some(files) = self.applications.get_mut(&key_of(application)) {
            files.remove(&id);
        }
    }

    /// A file, to inspect.
    #[must_use]
    pub fn file(&self, application: Application, id: FileId) -> Option<&VirtualFile> {
        self.applications.get(&key_of(application))?.get(&id)
    }

    /// The content of a data file.
    #[must_use]
    pub fn data(&self, application: Application, id: FileId) -> Option<&[u8]> {
        match self.file(application, id)? {
            VirtualFile::Data { content, .. } => Some(content),
            _ => None,
        }
    }

    /// Whether the card has the application.
    #[must_use]
    pub fn has_application(&self, application: Application) -> bool {
        self.applications.contains_key(&key_of(application))
    }

    fn pin_mut(&mut self, slot: PinSlot) -> Option<&mut VirtualPin> {
        match self
            .applications
            .get_mut(&key_of(slot.application()))?
            .get_mut(&slot.file())?
        {
            VirtualFile::Pin(pin) => Some(pin),
            _ => None,
        }
    }

    /// Tries left for the PIN in `slot`; `None` if the card has no such PIN.
    #[must_use]
    pub fn pin_remaining(&self, slot: PinSlot) -> Option<u8> {
        match self.file(slot.application(), slot.file())? {
            VirtualFile::Pin(pin) => Some(pin.remaining),
            _ => None,
        }
    }

    /// Sets the tries left of the PIN in `slot` (capped at its maximum); 0 blocks it.
    pub fn set_pin_remaining(&mut self, slot: PinSlot, remaining: u8) {
        if let Some(pin) = self.pin_mut(slot) {
            pin.remaining = remaining.min(pin.max);
        }
    }

    /// Whether the PIN in `slot` is verified in the current application session.
    #[must_use]
    pub fn is_verified(&self, slot: PinSlot) -> bool {
        self.selected == Some(slot.application()) && self.verified.contains(&slot.file())
    }

    fn execute(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        let expected_class = if command.instruction() == ins::PERFORM_SECURITY_OPERATION {
            0x80
        } else {
            0x00
        };
        if command.class() != expected_class {
            return (Vec::new(), StatusWord::CLASS_NOT_SUPPORTED);
        }
        match command.instruction() {
            ins::SELECT => (Vec::new(), self.select(command)),
            ins::READ_BINARY => self.read_binary(command),
            ins::VERIFY => (Vec::new(), self.verify(command)),
            ins::CHANGE_REFERENCE_DATA => (Vec::new(), self.change_pin(command)),
            ins::PERFORM_SECURITY_OPERATION => self.sign(command),
            _ => (Vec::new(), StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn select(&mut self, command: Command<'_>) -> StatusWord {
        match (command.p1(), command.p2()) {
            (0x04, 0x0C | 0x00) => {
                match Application::from_aid(command.data()).filter(|app| self.has_application(*app))
                {
                    Some(application) => {
                        self.selected = Some(application);
                        self.current = None;
                        self.verified.clear();
                        StatusWord::SUCCESS
                    }
                    None => StatusWord::FILE_NOT_FOUND,
                }
            }
            (0x02, 0x0C) => {
                let Ok(id) = <[u8; 2]>::try_from(command.data()) else {
                    return StatusWord::WRONG_LENGTH;
                };
                let id = FileId::new(u16::from_be_bytes(id));
                match self.selected.and_then(|app| self.file(app, id)) {
                    Some(_) => {
                        self.current = Some(id);
                        StatusWord::SUCCESS
                    }
                    None => StatusWord::FILE_NOT_FOUND,
                }
            }
            _ => StatusWord::INCORRECT_P1_P2,
        }
    }

    /// The file with short EF identifier `sfi` in the selected application.
    fn short_file(&self, sfi: u8) -> Option<FileId> {
        let id = FileId::new(u16::from(sfi));
        self.selected.and_then(|app| self.file(app, id)).map(|_| id)
    }

    fn read_binary(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        let (id, offset) = if command.p1() & 0x80 != 0 {
            match self.short_file(command.p1() & 0x1F) {
                Some(id) => (id, usize::from(command.p2())),
                None => return (Vec::new(), StatusWord::FILE_NOT_FOUND),
            }
        } else {
            match self.current {
                Some(id) => (
                    id,
                    usize::from(u16::from_be_bytes([command.p1(), command.p2()])),
                ),
                None => return (Vec::new(), COMMAND_NOT_ALLOWED_NO_EF),
            }
        };
        if command.expected_len() == 0 {
            return (Vec::new(), StatusWord::WRONG_LENGTH);
        }
        let Some(application) = self.selected else {
            return (Vec::new(), COMMAND_NOT_ALLOWED_NO_EF);
        };
        let (content, unlocked_by) = match self.file(application, id) {
            Some(VirtualFile::Data {
                content,
                unlocked_by,
            }) => (content, unlocked_by),
            Some(_) => return (Vec::new(), COMMAND_NOT_ALLOWED_NO_EF),
            None => return (Vec::new(), StatusWord::FILE_NOT_FOUND),
        };
        if !unlocked_by.is_empty() && !unlocked_by.iter().any(|pin| self.verified.contains(pin)) {
            return (Vec::new(), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if offset >= content.len() {
            return (Vec::new(), StatusWord::WRONG_P1_P2);
        }
        let end = content
            .len()
            .min(offset.saturating_add(command.expected_len() as usize));
        let data = content.get(offset..end).unwrap_or(&[]).to_vec();
        self.current = Some(id);
        (data, StatusWord::SUCCESS)
    }

    /// The PIN EF a VERIFY or CHANGE REFERENCE DATA addresses: P2 `80` = the current EF,
    /// `80 | SFI` = that EF.
    fn addressed_pin(&self, p2: u8) -> Option<FileId> {
        match p2 {
            0x80 => self.current,
            p2 if p2 & 0xE0 == 0x80 => self.short_file(p2 & 0x1F),
            _ => None,
        }
    }

    fn verify(&mut self, command: Command<'_>) -> StatusWord {
        if command.p1() != 0x00 {
            return StatusWord::INCORRECT_P1_P2;
        }
        let Some(application) = self.selected else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        let Some(id) = self.addressed_pin(command.p2()) else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        let quirks = self.quirks;
        let Some(VirtualFile::Pin(pin)) = self
            .applications
            .get_mut(&key_of(application))
            .and_then(|files| files.get_mut(&id))
        else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        if command.data().is_empty() {
            // The retry query (case 1, or jpki-rs's `00 20 00 80 00`): spends nothing.
            return if pin.remaining == 0 {
                quirks.blocked_query
            } else {
                StatusWord::from_bytes(0x63, 0xC0 | (pin.remaining & 0x0F))
            };
        }
        if pin.remaining == 0 {
            return quirks.blocked_verify;
        }
        if command.data() == pin.value.expose_secret() {
            pin.remaining = pin.max;
            if !self.verified.contains(&id) {
                self.verified.push(id);
            }
            StatusWord::SUCCESS
        } else {
            pin.remaining -= 1;
            self.verified.retain(|verified| *verified != id);
            StatusWord::from_bytes(0x63, 0xC0 | (pin.remaining & 0x0F))
        }
    }

    fn change_pin(&mut self, command: Command<'_>) -> StatusWord {
        if command.p1() != 0x01 {
            return StatusWord::INCORRECT_P1_P2;
        }
        let Some(application) = self.selected else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        let Some(id) = self.addressed_pin(command.p2()) else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        if !self.verified.contains(&id) {
            return StatusWord::SECURITY_STATUS_NOT_SATISFIED;
        }
        match self
            .applications
            .get_mut(&key_of(application))
            .and_then(|files| files.get_mut(&id))
        {
            Some(VirtualFile::Pin(pin)) if !command.data().is_empty() => {
                pin.value = SecretBytes::copy_from(command.data());
                pin.remaining = pin.max;
                StatusWord::SUCCESS
            }
            Some(VirtualFile::Pin(_)) => StatusWord::WRONG_LENGTH,
            _ => COMMAND_NOT_ALLOWED_NO_EF,
        }
    }

    fn sign(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        if (command.p1(), command.p2()) != (0x00, 0x80) {
            return (Vec::new(), StatusWord::INCORRECT_P1_P2);
        }
        let (Some(application), Some(id)) = (self.selected, self.current) else {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        };
        let Some(VirtualFile::Key { key, unlocked_by }) = self.file(application, id) else {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        };
        if !self.verified.contains(unlocked_by) {
            return (Vec::new(), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let which = match key {
            SigningKeyRef::UserAuth => TestKey::UserAuth,
            SigningKeyRef::Signing => TestKey::Signing,
        };
        match certificate::sign_digest_info(which, command.data()) {
            Some(signature) => (signature, StatusWord::SUCCESS),
            None => (Vec::new(), StatusWord::WRONG_LENGTH),
        }
    }
}
