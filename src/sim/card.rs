//! The virtual My Number Card: answers command APDUs as a probed card does (real-card evidence)
//! and, where nothing is confirmed, as `card-protocol.md` says, with each such choice a
//! [`Quirks`] entry.

use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

use super::keys::{self, CardRng, TestKey};
use crate::SecretBytes;
use crate::apdu::{Command, CommandBuf, FileId, StatusWord, ins};
use crate::card::{Application, PinSlot, SignatureScheme};

/// The contact ATR of first-generation My Number Cards (OpenSC `card-jpki.c`): T=1, no
/// historical bytes.
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// The contact ATR of a card issued in 2024 (real-card evidence, fact 13).
pub const ATR_2024: [u8; 19] = [
    0x3B, 0xDA, 0x13, 0xFF, 0x81, 0x31, 0xFB, 0x46, 0x80, 0x12, 0x39, 0x2F, 0x31, 0xC1, 0x73, 0xC6,
    0x01, 0xC0, 0x3B,
];

/// A generation of the card, which its contact ATR tells apart (the card is identified by
/// SELECT, never by ATR).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CardGeneration {
    /// The first cards (2016–): [`ATR`].
    First,
    /// Cards issued in 2024: [`ATR_2024`]. The default.
    #[default]
    Issued2024,
}

/// How the card touches the reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CardInterface {
    /// In a contact reader: the card's own ATR. The default.
    #[default]
    Contact,
    /// On a contactless (ISO 14443 Type B) reader: the PC/SC reader makes up an ATR of its own
    /// from the card's ATQB (PC/SC part 3: `3B 88 80 01`, the ATQB's application data and
    /// protocol info, TCK). The bytes here are of that shape; no captured one is known.
    Contactless,
}

impl CardGeneration {
    /// The ATR a reader reports for this generation over `interface`.
    #[must_use]
    pub fn atr(self, interface: CardInterface) -> Vec<u8> {
        match interface {
            CardInterface::Contact => match self {
                Self::First => ATR.to_vec(),
                Self::Issued2024 => ATR_2024.to_vec(),
            },
            CardInterface::Contactless => {
                let protocol_info: [u8; 3] = match self {
                    Self::First => [0x81, 0x91, 0x81],
                    Self::Issued2024 => [0x81, 0xA1, 0x81],
                };
                let mut atr = vec![0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00];
                atr.extend_from_slice(&protocol_info);
                atr.push(0x00);
                let check = atr.iter().skip(1).fold(0u8, |acc, b| acc ^ b);
                atr.push(check);
                atr
            }
        }
    }
}

const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord::from_u16(0x6985);
const COMMAND_NOT_ALLOWED_NO_EF: StatusWord = StatusWord::from_u16(0x6986);
const DATA_NOT_FOUND: StatusWord = StatusWord::from_u16(0x6A88);
/// Secure messaging asked of SELECT: "secure messaging not supported".
const SM_NOT_SUPPORTED: StatusWord = StatusWord::from_u16(0x6882);
/// Secure messaging asked of anything else outside a session.
const SM_NO_SESSION: StatusWord = StatusWord::from_u16(0x69FC);

/// The GlobalPlatform Issuer Security Domain's default AID.
const ISSUER_SECURITY_DOMAIN: [u8; 7] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00];
/// GET DATA and GET CHALLENGE.
const GET_DATA: u8 = 0xCA;
const GET_CHALLENGE: u8 = 0x84;
/// The contact ATR object, answered with an application selected too.
const CONTACT_ATR_OBJECT: u16 = 0x5F51;

/// Who may read a data file of the virtual card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileLock {
    /// Anyone.
    Free,
    /// After any one of these PIN EFs (of the same application) was verified.
    AnyOf(Vec<FileId>),
    /// Nobody (answers `69 82`).
    Never,
}

/// A file of the virtual card.
#[derive(Clone)]
pub enum VirtualFile {
    /// A data file.
    Data {
        /// The content.
        content: Vec<u8>,
        /// Who may read it.
        lock: FileLock,
    },
    /// A PIN with its counter.
    Pin(VirtualPin),
    /// A private key.
    Key {
        /// Which key signs.
        key: SigningKeyRef,
        /// The PIN EF that unlocks it; `None`: usable without a PIN.
        unlocked_by: Option<FileId>,
    },
}

/// Which of the virtual card's fixed test keys a key file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningKeyRef {
    /// The user-authentication key (its certificate is in EF 000A).
    UserAuth,
    /// The signing key (its certificate is in EF 0001).
    Signing,
    /// The card-face AP's own key (its public half is `DF24` of the card face).
    CardFace,
    /// The card-info AP's own key (its public half is `DF51` of EF 0007).
    CardInfo,
    /// A key the card does not really hold: every signature attempt answers `69 85` (a copy
    /// of a card's files has its certificates but not its keys).
    Absent,
    /// A key of the card's own that is not the one its data names: it signs, and the
    /// signature does not verify with the certified key (a clone with a chip of its own).
    Impostor,
}

impl SigningKeyRef {
    const fn test_key(self) -> Option<TestKey> {
        match self {
            Self::UserAuth => Some(TestKey::UserAuth),
            Self::Signing => Some(TestKey::Signing),
            Self::CardFace => Some(TestKey::CardFaceKey),
            Self::CardInfo => Some(TestKey::CardInfoKey),
            Self::Absent => None,
            Self::Impostor => Some(TestKey::SessionKey),
        }
    }
}

impl fmt::Debug for VirtualFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Data { content, lock } => f
                .debug_struct("Data")
                .field("len", &content.len())
                .field("lock", lock)
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
#[derive(Debug)]
pub struct VirtualPin {
    value: SecretBytes,
    remaining: u8,
    max: u8,
}

impl Clone for VirtualPin {
    fn clone(&self) -> Self {
        Self {
            value: SecretBytes::copy_from(self.value.expose_secret()),
            remaining: self.remaining,
            max: self.max,
        }
    }
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

    /// A key that arrives blocked and is never unblocked (card-info EF 0012 on every card
    /// examined: `63 C0` to the query, `69 84` to a VERIFY).
    #[must_use]
    pub fn blocked() -> Self {
        Self {
            value: SecretBytes::default(),
            remaining: 0,
            max: 0,
        }
    }

    /// Tries left.
    #[must_use]
    pub const fn remaining(&self) -> u8 {
        self.remaining
    }
}

/// How the virtual card answers where the real card's behaviour is unconfirmed, or where it
/// can be set to misbehave for a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quirks {
    /// SW to a VERIFY with a PIN once it is blocked: `69 84`, as a probed card answers after
    /// the attempt that blocked it (`63 C0`) (real-card evidence, fact 9).
    pub blocked_verify: StatusWord,
    /// SW to the empty VERIFY (retry query) once blocked: `63 C0` (the count, zero; fact 9),
    /// which also keeps OpenSC's JPKI driver working (it needs SW1 = 63).
    pub blocked_query: StatusWord,
    /// Accept any PIN (answer `90 00`) without checking it: a fake card for tests of what the
    /// host trusts. Off on every real-looking persona.
    pub accept_any_pin: bool,
    /// Refuse (`6A 86`) a VERIFY or retry query that names its key by short EF id
    /// (P2 `80 | SFI`): a card that takes only "the key of the current EF". Real cards take
    /// both (real-card evidence, fact 8: the SFI form from one source); off by default.
    pub refuse_short_file_id_keys: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            blocked_verify: StatusWord::REFERENCE_DATA_NOT_USABLE,
            blocked_query: StatusWord::from_u16(0x63C0),
            accept_any_pin: false,
            refuse_short_file_id_keys: false,
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
    verified_key: Option<(Application, FileId)>,
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

    /// Whether this is a VERIFY that carried a value to a PIN a person chooses (the
    /// user-authentication PIN, the signing password, the card-info PIN): one that could spend
    /// one of its few tries. A 照合番号 or the birth-date key is not a PIN
    /// ([`is_key_verification`](Self::is_key_verification)).
    #[must_use]
    pub fn is_pin_verification(&self) -> bool {
        self.verified_slot()
            .is_some_and(|slot| slot.kind().is_pin())
    }

    /// Whether this is a VERIFY that carried a value to any key (PIN, 照合番号, birth date),
    /// resolved or not.
    #[must_use]
    pub fn is_key_verification(&self) -> bool {
        self.command()
            .is_some_and(|c| c.instruction() == ins::VERIFY && !c.data().is_empty())
    }

    /// The key a VERIFY with a value reached, as a PIN slot.
    #[must_use]
    pub fn verified_slot(&self) -> Option<PinSlot> {
        let (application, file) = self.verified_key?;
        PinSlot::ALL
            .into_iter()
            .find(|slot| slot.application() == application && slot.file() == file)
    }

    /// The key EF a VERIFY with a value was addressed to, as the card resolved it (`None` for
    /// other commands, or a VERIFY that reached no key).
    #[must_use]
    pub const fn verified_key(&self) -> Option<(Application, FileId)> {
        self.verified_key
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

/// Which DF is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Current {
    /// The power-on state: no application (GET DATA answers here).
    MasterFile,
    /// An application.
    Application(Application),
}

/// A lockout-faithful virtual My Number Card.
///
/// What it does as a probed card does (real-card evidence):
/// - PIN counters drop on a wrong value, return to the maximum on a right one, block at zero:
///   the attempt that blocks answers `63 C0`, every VERIFY after it `69 84` (fact 9);
/// - each key opens exactly its files (`69 82` before): card-info 照合番号A the My Number, B the
///   basic 4 info, the PIN both; card-face A `0002`–`0006`, B the same but `0005` (facts 2–3);
/// - a successful VERIFY stays in effect until another application (or the Issuer Security
///   Domain) is selected or the card is powered down — across a warm reset and re-selection of
///   the same application too (fact 10);
/// - SELECT MF (`00 A4 00 00`) answers `6A 86` at power-on and `90 00` without leaving the
///   current application; `3F00` answers `6A 82`; GET DATA answers only at MF level, except the
///   contact ATR; GET CHALLENGE gives 1 to 256 bytes (facts 10–11);
/// - secure-messaging CLA bytes get `68 82` on SELECT and `69 FC` elsewhere (fact 11);
/// - READ BINARY by short EF identifier, extended Le, a short last chunk with `90 00` and
///   `6B 00` past the end (fact 12);
/// - signing `80 2A` with the six schemes of P1 `00`–`05`, the key named by P2 `80 | SFI` or
///   `00` (the application's own key) or `80` (the current EF) (fact 7); real RSA-2048
///   signatures by fixed test keys.
///
/// Otherwise `6A 82` for an unknown AID or file, `6D 00` for an unknown instruction. Every
/// command is logged.
#[derive(Clone, Debug)]
pub struct VirtualCard {
    applications: BTreeMap<ApplicationKey, BTreeMap<FileId, VirtualFile>>,
    data_objects: BTreeMap<u16, Vec<u8>>,
    current: Current,
    current_file: Option<FileId>,
    /// The application whose keys were verified, and which: kept until another application is
    /// selected or the card is powered down.
    security: Option<(Application, Vec<FileId>)>,
    quirks: Quirks,
    generation: CardGeneration,
    interface: CardInterface,
    rng: CardRng,
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
            data_objects: BTreeMap::new(),
            current: Current::MasterFile,
            current_file: None,
            security: None,
            quirks: Quirks::default(),
            generation: CardGeneration::default(),
            interface: CardInterface::default(),
            rng: CardRng::new(b"onshi virtual card"),
            log: Vec::new(),
        }
    }

    /// The ATR the reader reports: the card generation's over a contact reader, one made up
    /// by the reader over a contactless one.
    #[must_use]
    pub fn atr(&self) -> Vec<u8> {
        self.generation.atr(self.interface)
    }

    /// The card's generation (its contact ATR).
    #[must_use]
    pub const fn generation(&self) -> CardGeneration {
        self.generation
    }

    /// Sets the card's generation.
    pub fn set_generation(&mut self, generation: CardGeneration) {
        self.generation = generation;
    }

    /// Puts the card on a contact or contactless reader.
    pub fn set_interface(&mut self, interface: CardInterface) {
        self.interface = interface;
    }

    /// Seeds the card's random source (GET CHALLENGE, PSS salts): deterministic per seed.
    pub fn seed_random(&mut self, seed: &[u8]) {
        self.rng = CardRng::new(seed);
    }

    /// Answers one command APDU with response data and SW1 SW2, and logs it.
    pub fn respond(&mut self, command: &[u8]) -> Vec<u8> {
        let mut verified_key = None;
        let (mut data, status) = match Command::parse(command) {
            Ok(parsed) => self.execute(parsed, &mut verified_key),
            Err(_) => (Vec::new(), StatusWord::WRONG_LENGTH),
        };
        self.log.push(LoggedCommand {
            command: CommandBuf::parse(command).map_err(|_| command.len()),
            status,
            response_len: data.len() + 2,
            verified_key,
        });
        data.extend_from_slice(&status.to_bytes());
        data
    }

    /// A warm reset: the card returns to MF level with no EF current. The security status of
    /// the application last used stays (real-card evidence, fact 10): selecting that
    /// application again finds its keys still unlocked. Counters stay.
    pub fn warm_reset(&mut self) {
        self.current = Current::MasterFile;
        self.current_file = None;
    }

    /// Power off and on (a cold reset, a removal): MF level, every security status ended.
    /// Counters stay.
    pub fn power_cycle(&mut self) {
        self.warm_reset();
        self.security = None;
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

    /// Sets an MF-level data object (GET DATA).
    pub fn set_data_object(&mut self, tag: u16, value: Vec<u8>) {
        self.data_objects.insert(tag, value);
    }

    /// An MF-level data object.
    #[must_use]
    pub fn data_object(&self, tag: u16) -> Option<&[u8]> {
        self.data_objects.get(&tag).map(Vec::as_slice)
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

    /// Whether the PIN in `slot` is in effect now: its application is current and it was
    /// verified since the application was last entered from another one.
    #[must_use]
    pub fn is_verified(&self, slot: PinSlot) -> bool {
        self.current == Current::Application(slot.application())
            && self.key_unlocked(slot.application(), slot.file())
    }

    /// The keys whose VERIFY is still in effect on the card (whatever is selected now): what
    /// another program could use by selecting their application.
    #[must_use]
    pub fn unlocked_keys(&self) -> Vec<(Application, FileId)> {
        match &self.security {
            Some((application, keys)) => keys.iter().map(|key| (*application, *key)).collect(),
            None => Vec::new(),
        }
    }

    /// Whether a key of `application` is unlocked in the security status the card keeps.
    fn key_unlocked(&self, application: Application, key: FileId) -> bool {
        matches!(&self.security, Some((app, keys)) if *app == application && keys.contains(&key))
    }

    fn current_application(&self) -> Option<Application> {
        match self.current {
            Current::Application(application) => Some(application),
            Current::MasterFile => None,
        }
    }

    fn execute(
        &mut self,
        command: Command<'_>,
        verified_key: &mut Option<(Application, FileId)>,
    ) -> (Vec<u8>, StatusWord) {
        let class = command.class();
        let proprietary = class & 0x80 != 0;
        if !proprietary && class & 0x0C != 0 {
            // Secure messaging asked for; no session is open on any application here.
            return match command.instruction() {
                ins::SELECT => (Vec::new(), SM_NOT_SUPPORTED),
                _ => (Vec::new(), SM_NO_SESSION),
            };
        }
        let expected_class = if command.instruction() == ins::PERFORM_SECURITY_OPERATION {
            0x80
        } else {
            0x00
        };
        if class != expected_class {
            return (Vec::new(), StatusWord::CLASS_NOT_SUPPORTED);
        }
        match command.instruction() {
            ins::SELECT => (Vec::new(), self.select(command)),
            ins::READ_BINARY => self.read_binary(command),
            ins::VERIFY => (Vec::new(), self.verify(command, verified_key)),
            ins::CHANGE_REFERENCE_DATA => (Vec::new(), self.change_pin(command)),
            ins::PERFORM_SECURITY_OPERATION => self.sign(command),
            GET_DATA => self.get_data(command),
            GET_CHALLENGE => self.get_challenge(command),
            _ => (Vec::new(), StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn enter(&mut self, application: Option<Application>) {
        // Leaving an application (for another one, or the Issuer Security Domain) ends its
        // security status; entering the same one again keeps it.
        if self.security.as_ref().map(|(app, _)| Some(*app)) != Some(application) {
            self.security = None;
        }
        self.current = application.map_or(Current::MasterFile, Current::Application);
        self.current_file = None;
    }

    fn select(&mut self, command: Command<'_>) -> StatusWord {
        match (command.p1(), command.p2()) {
            (0x04, 0x0C | 0x00) => {
                if command.data() == ISSUER_SECURITY_DOMAIN {
                    self.enter(None);
                    return StatusWord::SUCCESS;
                }
                match Application::from_aid(command.data()).filter(|app| self.has_application(*app))
                {
                    Some(application) => {
                        self.enter(Some(application));
                        StatusWord::SUCCESS
                    }
                    None => StatusWord::FILE_NOT_FOUND,
                }
            }
            // SELECT MF by `00 A4 00 00`: refused at power-on; a no-op once an application is
            // selected (it does not leave it).
            (0x00, _) if command.data().is_empty() => match self.current {
                Current::MasterFile => StatusWord::INCORRECT_P1_P2,
                Current::Application(_) => StatusWord::SUCCESS,
            },
            (0x00 | 0x02, 0x0C | 0x00) if command.data() == [0x3F, 0x00] => {
                StatusWord::FILE_NOT_FOUND
            }
            (0x02, 0x0C) => {
                let Ok(id) = <[u8; 2]>::try_from(command.data()) else {
                    return StatusWord::WRONG_LENGTH;
                };
                let id = FileId::new(u16::from_be_bytes(id));
                match self
                    .current_application()
                    .and_then(|app| self.file(app, id))
                {
                    Some(_) => {
                        self.current_file = Some(id);
                        StatusWord::SUCCESS
                    }
                    None => StatusWord::FILE_NOT_FOUND,
                }
            }
            _ => StatusWord::INCORRECT_P1_P2,
        }
    }

    /// The file with short EF identifier `sfi` in the current application.
    fn short_file(&self, sfi: u8) -> Option<FileId> {
        let id = FileId::new(u16::from(sfi));
        self.current_application()
            .and_then(|app| self.file(app, id))
            .map(|_| id)
    }

    fn read_binary(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        let Some(application) = self.current_application() else {
            // No EF under the MF is readable.
            return (Vec::new(), COMMAND_NOT_ALLOWED_NO_EF);
        };
        let (id, offset) = if command.p1() & 0x80 != 0 {
            match self.short_file(command.p1() & 0x1F) {
                Some(id) => (id, usize::from(command.p2())),
                None => return (Vec::new(), StatusWord::FILE_NOT_FOUND),
            }
        } else {
            match self.current_file {
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
        let (content, lock) = match self.file(application, id) {
            Some(VirtualFile::Data { content, lock }) => (content, lock),
            Some(_) => return (Vec::new(), COMMAND_NOT_ALLOWED_NO_EF),
            None => return (Vec::new(), StatusWord::FILE_NOT_FOUND),
        };
        let open = match lock {
            FileLock::Free => true,
            FileLock::AnyOf(keys) => keys.iter().any(|key| self.key_unlocked(application, *key)),
            FileLock::Never => false,
        };
        if !open {
            return (Vec::new(), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if offset >= content.len() {
            return (Vec::new(), StatusWord::WRONG_P1_P2);
        }
        let end = content
            .len()
            .min(offset.saturating_add(command.expected_len() as usize));
        let data = content.get(offset..end).unwrap_or(&[]).to_vec();
        self.current_file = Some(id);
        (data, StatusWord::SUCCESS)
    }

    /// The key EF a VERIFY or CHANGE REFERENCE DATA addresses: P2 `80` = the current EF,
    /// `80 | SFI` = that EF.
    fn addressed_pin(&self, p2: u8) -> Option<FileId> {
        match p2 {
            0x80 => self.current_file,
            p2 if p2 & 0xE0 == 0x80 => self.short_file(p2 & 0x1F),
            _ => None,
        }
    }

    fn verify(
        &mut self,
        command: Command<'_>,
        verified_key: &mut Option<(Application, FileId)>,
    ) -> StatusWord {
        if command.p1() != 0x00 {
            return StatusWord::INCORRECT_P1_P2;
        }
        let Some(application) = self.current_application() else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        if self.quirks.refuse_short_file_id_keys && command.p2() != 0x80 {
            return StatusWord::INCORRECT_P1_P2;
        }
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
        *verified_key = Some((application, id));
        if pin.remaining == 0 {
            return quirks.blocked_verify;
        }
        if quirks.accept_any_pin || command.data() == pin.value.expose_secret() {
            pin.remaining = pin.max;
            match &mut self.security {
                Some((app, keys)) if *app == application => {
                    if !keys.contains(&id) {
                        keys.push(id);
                    }
                }
                _ => self.security = Some((application, vec![id])),
            }
            StatusWord::SUCCESS
        } else {
            pin.remaining -= 1;
            if let Some((app, keys)) = &mut self.security
                && *app == application
            {
                keys.retain(|key| *key != id);
            }
            StatusWord::from_bytes(0x63, 0xC0 | (pin.remaining & 0x0F))
        }
    }

    fn change_pin(&mut self, command: Command<'_>) -> StatusWord {
        if command.p1() != 0x01 {
            return StatusWord::INCORRECT_P1_P2;
        }
        let Some(application) = self.current_application() else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        let Some(id) = self.addressed_pin(command.p2()) else {
            return COMMAND_NOT_ALLOWED_NO_EF;
        };
        if !self.key_unlocked(application, id) {
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

    /// The key EF P2 names: `80 | SFI`, `80` (the current EF), `00` (the application's own
    /// key: the first key EF that needs no PIN).
    fn addressed_key(&self, application: Application, p2: u8) -> Option<FileId> {
        let files = self.applications.get(&key_of(application))?;
        match p2 {
            0x00 => files.iter().find_map(|(id, file)| match file {
                VirtualFile::Key {
                    unlocked_by: None, ..
                } => Some(*id),
                _ => None,
            }),
            0x80 => self.current_file,
            p2 if p2 & 0xE0 == 0x80 => self.short_file(p2 & 0x1F),
            _ => None,
        }
    }

    fn sign(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        let Some(scheme) = SignatureScheme::from_p1(command.p1()) else {
            return (Vec::new(), StatusWord::INCORRECT_P1_P2);
        };
        let Some(application) = self.current_application() else {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        };
        let Some(id) = self.addressed_key(application, command.p2()) else {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        };
        let Some(VirtualFile::Key { key, unlocked_by }) = self.file(application, id).cloned()
        else {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        };
        if let Some(pin) = unlocked_by
            && !self.key_unlocked(application, pin)
        {
            return (Vec::new(), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let input = command.data();
        let (min, max) = scheme.input_len();
        if !(min..=max).contains(&input.len()) {
            return (Vec::new(), StatusWord::WRONG_LENGTH);
        }
        let Some(test_key) = key.test_key() else {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        };
        let hash = |input: &[u8]| -> [u8; 32] {
            let mut out = [0; 32];
            out.copy_from_slice(input.get(..32).unwrap_or(&[0; 32]));
            out
        };
        let signature = match scheme {
            SignatureScheme::Verbatim => keys::sign_pkcs1(test_key, input),
            SignatureScheme::Sha256Bare => keys::sign_pkcs1(test_key, &keys::sha256(input)),
            SignatureScheme::PrehashedDigestInfo => {
                keys::sign_pkcs1(test_key, &keys::digest_info_of_hash(&hash(input)))
            }
            SignatureScheme::Sha256DigestInfo => keys::sign_sha256(test_key, input),
            SignatureScheme::PrehashedPss => keys::sign_pss(test_key, &hash(input), &mut self.rng),
            SignatureScheme::Sha256Pss => {
                keys::sign_pss(test_key, &keys::sha256(input), &mut self.rng)
            }
        };
        match signature {
            Some(signature) => (signature, StatusWord::SUCCESS),
            None => (Vec::new(), StatusWord::WRONG_LENGTH),
        }
    }

    fn get_data(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        let tag = u16::from_be_bytes([command.p1(), command.p2()]);
        let answers_here = self.current == Current::MasterFile || tag == CONTACT_ATR_OBJECT;
        let object = if tag == CONTACT_ATR_OBJECT {
            // The contact ATR without its TS.
            Some(self.contact_atr_object())
        } else {
            self.data_objects.get(&tag).cloned()
        };
        match object {
            Some(object) if answers_here => {
                let ne = command.expected_len() as usize;
                if ne == 0 {
                    (Vec::new(), StatusWord::WRONG_LENGTH)
                } else if object.len() > ne {
                    // A short Le is refused for an object larger than it.
                    (Vec::new(), StatusWord::WRONG_LENGTH)
                } else {
                    (object, StatusWord::SUCCESS)
                }
            }
            _ => (Vec::new(), DATA_NOT_FOUND),
        }
    }

    fn contact_atr_object(&self) -> Vec<u8> {
        let atr = self.generation.atr(CardInterface::Contact);
        atr.get(1..).unwrap_or(&[]).to_vec()
    }

    fn get_challenge(&mut self, command: Command<'_>) -> (Vec<u8>, StatusWord) {
        if (command.p1(), command.p2()) != (0, 0) {
            return (Vec::new(), StatusWord::INCORRECT_P1_P2);
        }
        if command.length_encoding() == crate::apdu::LengthEncoding::Extended {
            return (Vec::new(), CONDITIONS_NOT_SATISFIED);
        }
        let len = command.expected_len() as usize;
        if len == 0 || !command.data().is_empty() {
            return (Vec::new(), StatusWord::WRONG_LENGTH);
        }
        let mut challenge = vec![0; len];
        self.rng.fill(&mut challenge);
        (challenge, StatusWord::SUCCESS)
    }
}
