//! A visit driven by a script of card events, card answers and user inputs (in the spirit of
//! OpenSC's virtual-reader fuzzing): the fuzzer plays the card reader, the card, the patient,
//! the staff and the devices at once. A card answer is either bytes from the script or the
//! virtual card's own answer, so scripts reach deep into the flow (the photo, the consent)
//! and can still lie at any step. The visit must never panic, and whatever the card says:
//!
//! - no VERIFY with a PIN reaches the user-authentication PIN while the card's last report
//!   for it is "blocked", and each follows, in the same exclusive span, a re-read of the count
//!   that reported at least one try, the count the patient was shown (with the last try
//!   confirmed when it is the last);
//! - at most one VERIFY with a PIN per PIN entry the visit took, and none after the entry was
//!   dropped (a card event, a transport failure);
//! - a VERIFY with 照合番号B only after the OCR gave one, and only while the card has tries to
//!   spare: the visit never locks the card-face application;
//! - identity is confirmed only by its evidence: the card's `90 00` to a PIN, an accepted face
//!   match, the right staff passcode, the terminal's confirmation of the card it was shown,
//!   an iPhone's certificate; no consent screen and no consent without it, and none after
//!   another card was placed;
//! - the key a PIN or 照合番号B unlocked is locked again (the application left) before the
//!   consent, or the failure to do so is audited;
//! - every retry count shown is the card's last valid report;
//! - a command is sent only for a card task in flight; one at a time;
//! - a rejected input changes nothing: not the stage, not the deadline, no output;
//! - once over, the visit gives the same outcome again.
//!
//! Input: `[setup, persona, op, args…, op, args…]`; see `fuzz_target!` below for the ops.
//! Set `ONSHI_FUZZ_TRACE=1` to print what a script does (to check a seed).
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use onshi::apdu::Command;
use onshi::card::{Application, Pin, PinKind, PinSlot, Span, jpki};
use onshi::face::{FaceMatchError, FacePolicy, MatchScore};
use onshi::facility::{
    AdminSession, Facility, HashCost, ReaderId, ReaderMode, Session, StaffPasscodeCheck,
};
use onshi::reception::{
    CardIdentity, ConsentSettings, ConsentStatus, IdentityMethod, Input, InputKind, MethodChoice,
    Output, PrescriptionIssue, ReaderContext, Screen, SmartphonePlatform, StaffCheckAvailability,
    StaffCheckKind, StaffId, StaffNotice, UserInput, Visit, VisitEvent, VisitResult, VisitSettings,
    VisitStage,
};
use onshi::sim::{Persona, VirtualCard, capture_of_holder, capture_of_someone_else};
use onshi::time::{Date, Timestamp};
use onshi::{CardEvent, ReaderCapabilities, SecretBytes, TransportError};

/// The facility's staff passcode in every script.
const PASSCODE: &str = "4321";
/// The persona's PIN.
const RIGHT_PIN: &[u8] = b"1234";
/// The GlobalPlatform Issuer Security Domain: selecting it leaves the application.
const ISSUER_SECURITY_DOMAIN: [u8; 7] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00];
/// Short EF ids of the keys a visit verifies, as P2 of VERIFY (`80 | SFI`).
const USER_PIN_P2: u8 = 0x98;
const VERIFICATION_B_P2: u8 = 0x92;

fn today() -> Date {
    Date::new(2026, 11, 27).expect("valid date")
}

/// A staff passcode check with its 3 attempts, fresh for each input: one facility per
/// process (hashing is slow), whose held attempts an admin clears before each visit.
fn passcode_check() -> StaffPasscodeCheck {
    static FACILITY: OnceLock<Mutex<(Facility, AdminSession)>> = OnceLock::new();
    let now = Timestamp::from_unix_seconds(1_795_737_600);
    let facility = FACILITY.get_or_init(|| {
        let mut facility = Facility::new(
            "admin",
            &SecretBytes::from("fuzz-admin-pw"),
            onshi::sim::facility_keys(),
            now,
            HashCost::FAST_FOR_TESTS,
        )
        .expect("facility");
        let Ok(Session::Admin(admin)) =
            facility.login("admin", &SecretBytes::from("fuzz-admin-pw"), now)
        else {
            panic!("admin login");
        };
        facility
            .add_reader(&admin, ReaderId::new(1), now)
            .expect("reader");
        facility
            .set_staff_passcode(&admin, &SecretBytes::from(PASSCODE), now)
            .expect("passcode");
        Mutex::new((facility, admin))
    });
    let mut guard = facility
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (facility, admin) = &mut *guard;
    facility
        .unlock_staff_passcode(admin, now)
        .expect("the admin session does not expire: the time stands still");
    facility
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .expect("reader 1")
        .staff_passcode
        .expect("a passcode is set")
}

/// A valid user-authentication certificate, for the iPhone input.
fn iphone_certificate() -> Vec<u8> {
    static DER: OnceLock<Vec<u8>> = OnceLock::new();
    DER.get_or_init(|| {
        Persona::Standard
            .card(today())
            .data(Application::Jpki, jpki::USER_AUTH_CERTIFICATE)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    })
    .clone()
}

fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("ONSHI_FUZZ_TRACE").is_some())
}

/// A key the visit checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    UserPin,
    VerificationB,
    Other,
}

/// What a command sent to the card was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Query(Key),
    Verify(Key),
    LeaveApplication,
    SelectApplication,
    SelectFile,
    Other,
}

/// What the input being handled is, for the evidence of an identity it confirms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    CardResponse,
    FaceMatched { accepted: bool },
    StaffPasscode { right: bool },
    Terminal { announced_card: bool },
    IPhone,
    Other,
}

/// The model of what the card and the people did, checked against what the visit does.
struct Watch {
    /// A VERIFY that held its span was accepted: until the PIN-key proof's signature, every
    /// command stays in that span.
    held_for_proof: bool,
    mode: ReaderMode,
    staff_policy: StaffCheckAvailability,
    face: FacePolicy,
    verification_b_reserve: u8,
    // Where the card stands.
    application: Option<Application>,
    ef: Option<u16>,
    /// The last command sent, its span, and the card's status word (None: lost).
    last: Option<(Sent, Span, Option<[u8; 2]>)>,
    /// The user PIN's count as the card last validly reported it (None: unknown).
    user_pin: Option<u8>,
    user_pin_blocked: bool,
    /// The count the PIN entry on screen showed.
    shown_entry: Option<u8>,
    /// The well-formed PIN entry taken whose VERIFY was not sent yet.
    pin_credit: Option<Vec<u8>>,
    /// The patient confirmed the last try for the entry on screen.
    last_try_confirmed: bool,
    /// The OCR gave 照合番号B for this card.
    b_given: bool,
    /// The card said `90 00` to a VERIFY with the user PIN since the last card event.
    pin_verified: bool,
    /// A VERIFY was sent and the application not left since.
    unlocked: bool,
    lock_failed: bool,
    legal_representative: bool,
    /// The card the terminal was asked to confirm.
    announced: Option<CardIdentity>,
    /// The identity confirmed (since the last card change).
    identity: Option<IdentityMethod>,
}

impl Watch {
    fn new(mode: ReaderMode, settings: &VisitSettings) -> Self {
        Self {
            held_for_proof: false,
            mode,
            staff_policy: settings.staff_check,
            face: settings.face,
            verification_b_reserve: settings.verification_number_b_reserve,
            application: None,
            ef: None,
            last: None,
            user_pin: None,
            user_pin_blocked: false,
            shown_entry: None,
            pin_credit: None,
            last_try_confirmed: false,
            b_given: false,
            pin_verified: false,
            unlocked: false,
            lock_failed: false,
            legal_representative: false,
            announced: None,
            identity: None,
        }
    }

    fn key(&self, p2: u8) -> Key {
        match (self.application, p2, self.ef) {
            (Some(Application::Jpki), USER_PIN_P2, _)
            | (Some(Application::Jpki), 0x80, Some(0x18)) => Key::UserPin,
            (Some(Application::CardFace), VERIFICATION_B_P2, _)
            | (Some(Application::CardFace), 0x80, Some(0x12)) => Key::VerificationB,
            _ => Key::Other,
        }
    }

    /// A card event: the entry on screen and what a PIN proved are gone.
    fn card_event(&mut self, event: CardEvent) {
        self.held_for_proof = false;
        self.application = None;
        self.ef = None;
        self.last = None;
        self.pin_credit = None;
        self.last_try_confirmed = false;
        self.pin_verified = false;
        self.shown_entry = None;
        match event {
            // A warm reset keeps what a PIN unlocked (real-card evidence, fact 10).
            CardEvent::Reset => {}
            CardEvent::Inserted | CardEvent::Removed => {
                self.unlocked = false;
                self.user_pin = None;
                self.user_pin_blocked = false;
            }
        }
    }

    /// The command in flight could not be sent, or (`reached`) it was and its answer was lost:
    /// the entry is dropped (the visit recovers and asks the count again).
    fn transport_failed(&mut self, reached: bool) {
        self.held_for_proof = false;
        self.pin_credit = None;
        self.last_try_confirmed = false;
        self.pin_verified = false;
        self.shown_entry = None;
        if reached
            && let Some((Sent::Query(Key::UserPin) | Sent::Verify(Key::UserPin), _, _)) = self.last
        {
            // The PIN's count is unknown until the card is asked again.
            self.user_pin = None;
        }
    }

    /// A command goes to the card.
    fn sent(&mut self, bytes: &[u8], span: Span, stage: VisitStage) {
        let command = Command::parse(bytes).expect("the visit encodes valid commands");
        let (ins, p1, p2) = (command.instruction(), command.p1(), command.p2());
        let data = command.data();
        // After an accepted VERIFY that held its span, every command up to the PIN-key proof's
        // signature stays in that span.
        let leaving = ins == 0xA4 && p1 == 0x04 && data == ISSUER_SECURITY_DOMAIN;
        if self.held_for_proof && (leaving || stage == VisitStage::Recovering) {
            // The visit ended before the proof (locking the key is always allowed), or the
            // card failed and the visit checks it again, then asks the PIN again.
            self.held_for_proof = false;
        }
        if self.held_for_proof {
            assert!(
                matches!(span, Span::Exclusive { .. }),
                "a command between a held VERIFY and its proof left the span: {bytes:02X?}"
            );
            if (command.class(), ins) == (0x80, 0x2A) {
                self.held_for_proof = false;
            }
        }
        let sent = match (ins, p1) {
            (0xA4, 0x04) => {
                let aid = data;
                self.ef = None;
                if aid == ISSUER_SECURITY_DOMAIN {
                    self.application = None;
                    Sent::LeaveApplication
                } else {
                    self.application = Application::from_aid(aid);
                    Sent::SelectApplication
                }
            }
            (0xA4, 0x02) => {
                self.ef = match data {
                    [a, b] => Some(u16::from_be_bytes([*a, *b])),
                    _ => None,
                };
                Sent::SelectFile
            }
            (0x20, _) if data.is_empty() => Sent::Query(self.key(p2)),
            (0x20, _) => Sent::Verify(self.key(p2)),
            _ => Sent::Other,
        };
        if let Sent::Verify(key) = sent {
            self.verify(key, span, data);
        }
        self.last = Some((sent, span, None));
    }

    fn verify(&mut self, key: Key, span: Span, data: &[u8]) {
        self.unlocked = true;
        self.lock_failed = false;
        // The count was re-read just before, in the same exclusive span.
        let Some((Sent::Query(queried), Span::Exclusive { hold: true }, Some([0x63, sw2]))) =
            self.last
        else {
            panic!(
                "a VERIFY without the count re-read just before it: {:?}",
                self.last
            );
        };
        assert_eq!(queried, key, "the count re-read was another key's");
        // The span ends with the VERIFY, or holds for the PIN-key proof that follows it.
        assert!(
            matches!(span, Span::Exclusive { .. }),
            "a VERIFY outside the span of its count"
        );
        assert_eq!(sw2 & 0xF0, 0xC0, "the count re-read was not a count");
        let count = sw2 & 0x0F;
        match key {
            Key::UserPin => {
                assert!(
                    !self.user_pin_blocked,
                    "VERIFY after the card reported the PIN blocked"
                );
                assert!(count >= 1, "VERIFY with no try left");
                let entered = self
                    .pin_credit
                    .take()
                    .expect("a VERIFY with a PIN without a PIN entry taken for it");
                assert_eq!(
                    data, entered,
                    "a VERIFY with another PIN than the one entered"
                );
                assert_eq!(
                    Some(count),
                    self.shown_entry,
                    "the PIN was entered against another count"
                );
                if count == 1 {
                    assert!(self.last_try_confirmed, "the last try without confirmation");
                }
                self.last_try_confirmed = false;
            }
            Key::VerificationB => {
                assert!(self.b_given, "a VERIFY with 照合番号B the OCR never gave");
                assert!(
                    count >= self.verification_b_reserve,
                    "照合番号B presented with {count} tries left"
                );
            }
            Key::Other => panic!("a VERIFY to a key the visit does not check"),
        }
    }

    /// The card's answer to the last command sent.
    fn response(&mut self, bytes: &[u8]) {
        let Some((sent, span, _)) = self.last else {
            return;
        };
        let [.., sw1, sw2] = bytes else {
            return;
        };
        let sw = [*sw1, *sw2];
        self.last = Some((sent, span, Some(sw)));
        if let (Sent::Verify(_), Span::Exclusive { hold: true }, [0x90, 0x00]) = (sent, span, sw) {
            self.held_for_proof = true;
        }
        match (sent, sw) {
            (Sent::SelectFile, sw) if sw != [0x90, 0x00] => self.ef = None,
            (Sent::SelectApplication, sw) if sw != [0x90, 0x00] => {
                self.application = None;
                self.ef = None;
            }
            (Sent::LeaveApplication, [0x90, 0x00]) => self.unlocked = false,
            (Sent::Query(Key::UserPin), sw) => match sw {
                [0x63, x] if x & 0xF0 == 0xC0 && x & 0x0F <= 3 => {
                    self.user_pin = Some(x & 0x0F);
                    self.user_pin_blocked = x & 0x0F == 0;
                }
                [0x69, 0x83 | 0x84] => {
                    self.user_pin = Some(0);
                    self.user_pin_blocked = true;
                }
                _ => self.user_pin = None,
            },
            (Sent::Verify(Key::UserPin), sw) => match sw {
                [0x90, 0x00] => {
                    self.user_pin = Some(3);
                    self.user_pin_blocked = false;
                    self.pin_verified = true;
                }
                // A wrong PIN lowers the count; anything else leaves it unknown.
                [0x63, x] if x & 0xF0 == 0xC0 && Some(x & 0x0F) < self.shown_entry => {
                    self.user_pin = Some(x & 0x0F);
                    self.user_pin_blocked = x & 0x0F == 0;
                }
                [0x69, 0x83 | 0x84] => {
                    self.user_pin = Some(0);
                    self.user_pin_blocked = true;
                }
                _ => self.user_pin = None,
            },
            _ => {}
        }
    }

    fn screen(&mut self, screen: &Screen) {
        if trace() {
            eprintln!("    screen {}", screen.text().en);
        }
        if let Screen::Consent { .. } = screen {
            assert!(self.identity.is_some(), "consent before identity");
            assert!(
                !self.unlocked || self.lock_failed,
                "consent with the key still unlocked"
            );
        }
        if let Screen::StaffPasscode { .. } = screen {
            assert_ne!(
                self.staff_policy,
                StaffCheckAvailability::Never,
                "the staff check the facility turned off"
            );
        }
        let shown = match screen {
            Screen::EnterPin { tries_left }
            | Screen::WrongPin { tries_left }
            | Screen::PinFormatInvalid { tries_left }
            | Screen::PinCountChanged { tries_left } => Some(*tries_left),
            Screen::ChooseMethod { pin_tries_left, .. } => *pin_tries_left,
            Screen::LastTryWarning { .. } => Some(1),
            _ => None,
        };
        if let Some(tries) = shown {
            assert_eq!(
                Some(tries),
                self.user_pin,
                "shown count is not the card's: {screen:?}"
            );
        }
        match screen {
            Screen::EnterPin { tries_left } => self.shown_entry = Some(*tries_left),
            Screen::LastTryWarning { .. } => {
                self.shown_entry = Some(1);
                self.last_try_confirmed = false;
            }
            _ => {}
        }
    }

    /// Identity confirmed by `method`, after `trigger`.
    fn identity_confirmed(&mut self, method: &IdentityMethod, trigger: Trigger) {
        match method {
            IdentityMethod::Face { score } => {
                assert_eq!(
                    trigger,
                    Trigger::FaceMatched { accepted: true },
                    "face identity without an accepted match"
                );
                assert!(self.face.accepts(Ok(*score)));
            }
            IdentityMethod::Pin
            | IdentityMethod::PinByLegalRepresentative
            | IdentityMethod::Smartphone {
                platform: SmartphonePlatform::Android,
            } => {
                assert_eq!(trigger, Trigger::CardResponse);
                assert!(self.pin_verified, "PIN identity without the card's 90 00");
                if *method == IdentityMethod::PinByLegalRepresentative {
                    assert!(
                        self.legal_representative,
                        "a representative nobody declared"
                    );
                }
            }
            IdentityMethod::StaffCheck {
                kind: StaffCheckKind::OnReader,
                ..
            } => {
                assert_eq!(
                    trigger,
                    Trigger::StaffPasscode { right: true },
                    "staff check without the right passcode"
                );
                assert_ne!(self.staff_policy, StaffCheckAvailability::Never);
                assert_ne!(self.mode, ReaderMode::LegacyVisual);
            }
            IdentityMethod::StaffCheck {
                kind: StaffCheckKind::LegacyTerminal,
                ..
            } => {
                assert_eq!(
                    trigger,
                    Trigger::Terminal {
                        announced_card: true
                    },
                    "a terminal confirmation of another card"
                );
                assert_eq!(self.mode, ReaderMode::LegacyVisual);
            }
            IdentityMethod::Smartphone {
                platform: SmartphonePlatform::IPhone,
            } => {
                assert_eq!(trigger, Trigger::IPhone);
                assert_eq!(self.mode, ReaderMode::Unattended);
            }
        }
        self.identity = Some(method.clone());
    }

    fn audit(&mut self, event: &VisitEvent, trigger: Trigger) {
        if trace() {
            eprintln!("    audit {event:?}");
        }
        match event {
            VisitEvent::IdentityConfirmed { method } => self.identity_confirmed(method, trigger),
            VisitEvent::CardChanged => {
                // Nothing read from the old card is kept, identity evidence included.
                self.identity = None;
                self.announced = None;
                self.b_given = false;
            }
            VisitEvent::KeysLockFailed => self.lock_failed = true,
            VisitEvent::LegalRepresentativeDeclared => self.legal_representative = true,
            _ => {}
        }
    }

    fn finished(&self, outcome: &onshi::reception::Outcome) {
        if let VisitResult::Confirmed {
            identity, consent, ..
        } = &outcome.result
        {
            assert_eq!(
                Some(identity),
                self.identity.as_ref(),
                "confirmed without identity evidence"
            );
            if let ConsentStatus::Given(_) = consent {
                assert!(!self.unlocked || self.lock_failed);
            }
        }
    }
}

/// The visit, the virtual card, and the command in flight.
struct Harness {
    visit: Visit,
    watch: Watch,
    card: Option<VirtualCard>,
    persona: Persona,
    /// The command the visit asked to send and that was not sent yet, with its span.
    pending: Option<(Vec<u8>, Span)>,
    /// The deadline of the last wait.
    until: Option<Timestamp>,
    now: Timestamp,
}

impl Harness {
    /// Drains the outputs until the visit waits (or is over).
    fn drain(&mut self, trigger: Trigger) {
        let mut transmits = 0;
        loop {
            match self.visit.poll() {
                Output::Transmit(transmit) => {
                    transmits += 1;
                    assert!(transmits <= 1, "two commands in flight");
                    self.pending = Some((transmit.bytes().to_vec(), transmit.span()));
                }
                Output::Show(screen) => self.watch.screen(&screen),
                Output::CaptureFace | Output::MatchFace { .. } => {}
                Output::Audit(event) => self.watch.audit(&event.event, trigger),
                Output::StaffNotice(notice) => {
                    if let StaffNotice::ConfirmCard { card, .. } = &notice {
                        self.watch.announced = Some(card.clone());
                    }
                }
                Output::Wait { until } => {
                    self.until = Some(until);
                    break;
                }
                Output::Finished(outcome) => {
                    self.watch.finished(&outcome);
                    self.until = None;
                    break;
                }
            }
        }
        // A command for a task the visit dropped must not be sent.
        if !self.visit.accepts(InputKind::CardResponse) {
            self.pending = None;
        }
    }

    /// Feeds `input`; on refusal, checks that nothing changed.
    fn feed<'a>(&mut self, input: impl Into<Input<'a>>, trigger: Trigger) -> bool {
        let input = input.into();
        if trace() {
            eprintln!("  {:?} at {:?}", input.kind(), self.visit.stage());
        }
        let stage = self.visit.stage();
        let until = self.until;
        let result = self.visit.handle(self.now, input);
        match result {
            Ok(()) => {
                self.drain(trigger);
                true
            }
            Err(rejected) => {
                if trace() {
                    eprintln!("    rejected: {rejected}");
                }
                assert_eq!(
                    self.visit.stage(),
                    stage,
                    "a rejected input changed the stage"
                );
                match self.visit.poll() {
                    Output::Wait { until: after } => {
                        assert_eq!(Some(after), until, "a rejected input moved the deadline");
                    }
                    Output::Finished(_) => {}
                    other => panic!("a rejected input gave an output: {other:?}"),
                }
                false
            }
        }
    }

    /// Sends the command in flight; `answer` gives the card's response (None: the transport
    /// failed with `error`).
    fn answer(&mut self, response: Option<Vec<u8>>, error: TransportError) {
        let Some((command, span)) = self.pending.take() else {
            // No command in flight: the visit must refuse an answer.
            let bytes = response.unwrap_or_default();
            let taken = self.feed(Input::CardResponse(&bytes), Trigger::CardResponse);
            assert!(!taken, "an answer taken with no command in flight");
            return;
        };
        let reached = response.is_some() || error.may_have_reached_card();
        if reached {
            self.watch.sent(&command, span, self.visit.stage());
        }
        match response {
            Some(bytes) => {
                self.watch.response(&bytes);
                let taken = self.feed(Input::CardResponse(&bytes), Trigger::CardResponse);
                assert!(taken, "the answer to the command in flight was refused");
            }
            None => {
                self.watch.transport_failed(reached);
                let taken = self.feed(Input::TransportFailed(error), Trigger::Other);
                assert!(
                    taken,
                    "a transport failure of the command in flight was refused"
                );
            }
        }
        self.check_card();
    }

    /// The virtual card's own answer to the command in flight.
    fn virtual_answer(&mut self) {
        let Some((command, _)) = &self.pending else {
            self.answer(Some(vec![0x90, 0x00]), TransportError::NoCard);
            return;
        };
        match self.card.as_mut() {
            Some(card) => {
                let response = card.respond(command);
                self.answer(Some(response), TransportError::NoCard);
            }
            None => self.answer(None, TransportError::NoCard),
        }
    }

    /// The virtual card's 照合番号B counter: the visit never spends its last tries.
    fn check_card(&self) {
        if let Some(card) = &self.card
            && let Some(left) = card.pin_remaining(PinSlot::CardFaceVerificationB)
        {
            assert!(left >= 1, "the visit locked 照合番号B");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (setup, persona, mut script) = match data {
        [setup, persona, script @ ..] => (*setup, *persona, script),
        _ => return,
    };
    let mode = [
        ReaderMode::Unattended,
        ReaderMode::PinOnly,
        ReaderMode::LegacyVisual,
        ReaderMode::Unattended,
    ][usize::from(setup & 3)];
    let staff_check = [
        StaffCheckAvailability::AfterFaceFailure,
        StaffCheckAvailability::Always,
        StaffCheckAvailability::Never,
        StaffCheckAvailability::AfterFaceFailure,
    ][usize::from((setup >> 2) & 3)];
    let persona = Persona::ALL[usize::from(persona) % Persona::ALL.len()];
    let now = Timestamp::from_unix_seconds(1_795_737_600);
    let context = ReaderContext {
        reader: ReaderId::new(1),
        mode,
        mode_since: now,
        staff_passcode: (setup & 0x10 == 0).then(passcode_check),
        capabilities: if setup & 0x80 != 0 {
            ReaderCapabilities::EXTENDED_LENGTH
        } else {
            ReaderCapabilities::SHORT_ONLY
        },
        legacy_reminder_seconds: if setup & 0x20 != 0 { 60 } else { 30 * 60 },
        trust: onshi::sim::trust_anchors(),
    };
    let settings = VisitSettings {
        staff_check,
        consent: ConsentSettings {
            ask_prescription: setup & 0x40 != 0,
            ..ConsentSettings::default()
        },
        ..VisitSettings::default()
    };
    let mut h = Harness {
        watch: Watch::new(mode, &settings),
        visit: Visit::new(
            context,
            settings,
            now,
            onshi::card::authenticity::Challenge::from_random_bytes([0xBB; 32]),
        ),
        card: None,
        persona,
        pending: None,
        until: None,
        now,
    };
    h.drain(Trigger::Other);
    let staff = StaffId::new("s").expect("valid");
    while let [op, rest @ ..] = script {
        script = rest;
        let mut take = |n: usize| {
            let n = n.min(script.len());
            let (head, tail) = script.split_at(n);
            script = tail;
            head
        };
        let mut byte = || take(1).first().copied().unwrap_or(0);
        if trace() {
            eprintln!("op {}", op % 20);
        }
        match op % 20 {
            // The reader reports a card placed: the same card (powered up again), or another
            // persona's.
            0 => {
                let which = byte();
                if which & 0x80 != 0 {
                    h.persona = Persona::ALL[usize::from(which) % Persona::ALL.len()];
                }
                let mut card = h.card.take().unwrap_or_else(|| h.persona.card(today()));
                if which & 0x80 != 0 {
                    card = h.persona.card(today());
                }
                card.power_cycle();
                h.card = Some(card);
                h.watch.card_event(CardEvent::Inserted);
                h.feed(CardEvent::Inserted, Trigger::Other);
            }
            1 => {
                h.card = None;
                h.watch.card_event(CardEvent::Removed);
                h.feed(CardEvent::Removed, Trigger::Other);
            }
            2 => {
                let cold = byte() & 1 == 1;
                if let Some(card) = h.card.as_mut() {
                    if cold {
                        card.power_cycle();
                    } else {
                        card.warm_reset();
                    }
                }
                h.watch.card_event(CardEvent::Reset);
                if cold {
                    h.watch.unlocked = false;
                }
                h.feed(CardEvent::Reset, Trigger::Other);
            }
            // The card answers with the script's bytes.
            3 => {
                let len = usize::from(byte());
                let response = take(len).to_vec();
                h.answer(Some(response), TransportError::NoCard);
            }
            // The virtual card answers.
            4 | 5 => h.virtual_answer(),
            6 => {
                let choice = [
                    MethodChoice::Face,
                    MethodChoice::Pin,
                    MethodChoice::StaffCheck,
                ][usize::from(byte() % 3)];
                if h.feed(UserInput::Choose(choice), Trigger::Other) {
                    // Leaving the entry drops it.
                    h.watch.pin_credit = None;
                }
            }
            7 | 8 => {
                let pin = if op % 20 == 8 {
                    RIGHT_PIN.to_vec()
                } else {
                    take(4).to_vec()
                };
                let wellformed = pin.len() == 4 && pin.iter().all(u8::is_ascii_digit);
                if h.feed(UserInput::PinEntered(pin.clone().into()), Trigger::Other) && wellformed {
                    h.watch.pin_credit = Some(pin);
                }
            }
            9 => {
                if h.feed(UserInput::ConfirmLastTry, Trigger::Other) {
                    h.watch.last_try_confirmed = true;
                }
            }
            10 => {
                let answer = byte();
                let input = match answer % 8 {
                    6 => UserInput::ConsentNotObtainable,
                    7 => UserInput::PrescriptionChosen(if answer & 0x10 == 0 {
                        PrescriptionIssue::Electronic
                    } else {
                        PrescriptionIssue::Paper
                    }),
                    _ => UserInput::ConsentAnswer(answer & 1 == 1),
                };
                if h.feed(input, Trigger::Other) {
                    assert!(
                        h.watch.identity.is_some(),
                        "a consent answer before identity"
                    );
                }
            }
            11 => {
                let input = match byte() % 3 {
                    0 => UserInput::FaceCaptured(capture_of_holder()),
                    1 => UserInput::FaceCaptured(capture_of_someone_else()),
                    _ => UserInput::FaceCaptureFailed,
                };
                h.feed(input, Trigger::Other);
            }
            12 => {
                let [a, b] = [byte(), byte()];
                let result = match a % 4 {
                    0 => Err(FaceMatchError::NoFaceInCapture),
                    1 => Ok(MatchScore::from_per_mille(930)),
                    _ => Ok(MatchScore::from_per_mille(u16::from_be_bytes([a >> 2, b]))),
                };
                let accepted = h.watch.face.accepts(result);
                h.feed(
                    UserInput::FaceMatched(result),
                    Trigger::FaceMatched { accepted },
                );
            }
            13 => {
                let how = byte();
                let input = match how % 3 {
                    0 => h.persona.holder(today()).verification_number_b().map_or(
                        UserInput::VerificationNumberBUnreadable,
                        UserInput::VerificationNumberB,
                    ),
                    1 => match core::str::from_utf8(take(14))
                        .ok()
                        .and_then(|t| Pin::new(PinKind::VerificationNumberB, t).ok())
                    {
                        Some(b) => UserInput::VerificationNumberB(b),
                        None => UserInput::VerificationNumberBUnreadable,
                    },
                    _ => UserInput::VerificationNumberBUnreadable,
                };
                let given = matches!(input, UserInput::VerificationNumberB(_));
                if h.feed(input, Trigger::Other) && given {
                    h.watch.b_given = true;
                }
            }
            14 => {
                let b = byte();
                let seconds = if b < 200 {
                    i64::from(b)
                } else {
                    i64::from(b - 199) * 600
                };
                h.now = h.now.saturating_add_seconds(seconds);
                h.feed(Input::Tick, Trigger::Other);
            }
            15 => {
                let error = [
                    TransportError::Timeout,
                    TransportError::NoCard,
                    TransportError::CardReset,
                    TransportError::CardRemoved,
                    TransportError::SharingViolation,
                    TransportError::Failed { code: 0 },
                ][usize::from(byte() % 6)];
                if h.pending.is_some() {
                    h.answer(None, error);
                } else {
                    let taken = h.feed(Input::TransportFailed(error), Trigger::Other);
                    assert!(
                        !taken,
                        "a transport failure taken with no command in flight"
                    );
                }
            }
            16 => {
                let how = byte();
                let passcode = if how & 1 == 0 {
                    PASSCODE.as_bytes().to_vec()
                } else {
                    take(4).to_vec()
                };
                let right = passcode == PASSCODE.as_bytes();
                h.feed(
                    UserInput::StaffPasscode {
                        staff_id: staff.clone(),
                        passcode: passcode.into(),
                    },
                    Trigger::StaffPasscode { right },
                );
            }
            17 => {
                let how = byte();
                let card = match (&h.watch.announced, how & 1) {
                    (Some(card), 0) => card.clone(),
                    _ => CardIdentity {
                        chip_serial: format!("{how:016X}"),
                        certificate_serial: None,
                    },
                };
                let announced_card = h.watch.announced.as_ref() == Some(&card);
                h.feed(
                    UserInput::StaffConfirmedOnTerminal {
                        staff_id: staff.clone(),
                        card,
                    },
                    Trigger::Terminal { announced_card },
                );
            }
            18 => {
                h.feed(UserInput::DeclareLegalRepresentative, Trigger::Other);
            }
            _ => {
                let how = byte();
                let certificate_der = if how & 1 == 0 {
                    iphone_certificate()
                } else {
                    take(usize::from(how >> 1)).to_vec()
                };
                h.feed(
                    UserInput::IPhoneAuthenticated { certificate_der },
                    Trigger::IPhone,
                );
            }
        }
    }
    // Once over, the visit gives the same outcome again.
    if let Some(outcome) = h.visit.outcome().cloned() {
        for _ in 0..2 {
            match h.visit.poll() {
                Output::Finished(again) => assert_eq!(again, outcome),
                other => panic!("after the end: {other:?}"),
            }
        }
    }
});
