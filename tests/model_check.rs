//! An exhaustive model check of the real [`Visit`] with `stateright`: every sequence of inputs
//! up to the depth bound, for every persona and every reader mode, with the virtual card
//! answering. See the manual's chapter "Every reachable state, checked"
//! (`src/manual/model_check.md`) for the invariants, the bounds and how to add one.
//!
//! A state of the model is the path of steps from the start of a visit; the visit, the cards
//! and the abstract patient, staff, reader and clock are rebuilt by replaying it (the real
//! visit is not `Clone`, on purpose: a copy would be a second visit on one card). States are
//! deduplicated by a fingerprint of what matters: the stage, the screen, the cards' counters
//! and unlocked keys, what the reader holds, the time to the deadline, and the flags the
//! invariants read.
//!
//! `ONSHI_MODEL_CHECK=deep` explores deeper (see [`depth`]).

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use common::harness::{
    STAFF_PASSCODE, Site, USER_PIN_RETRY_QUERY, last_report, pin_tries_shown, secret, staff,
};
use common::{morning, today};
use onshi::card::authenticity::Challenge;
use onshi::card::{Application, Pin, PinKind, PinSlot, card_face};
use onshi::face::{FaceCapture, MatchScore};
use onshi::facility::ReaderMode;
use onshi::reception::{
    CardIdentity, IdentityMethod, Input, InputKind, MethodChoice, Output, Screen, StaffCheckKind,
    StaffNotice, UserInput, Visit, VisitEvent, VisitSettings, VisitStage,
};
use onshi::sim::{Persona, VirtualCard};
use onshi::time::Timestamp;
use onshi::{CardEvent, SecretBytes, TransportError};
use stateright::{Checker, Model, Property};

/// One input to the visit, or one thing that happens around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    /// The patient places the card (again, after removing it).
    Place,
    /// The patient takes the card away.
    Remove,
    /// Another card (the spare persona's) replaces the one on the reader.
    Swap,
    /// The reader warm-resets the card.
    WarmReset,
    /// The reader power-cycles the card.
    PowerCycle,
    /// The reader's OCR reads 照合番号B right, wrong, or not at all.
    OcrRight,
    OcrWrong,
    OcrUnreadable,
    /// The patient picks face; the camera and matcher will then match, not match, or the
    /// camera fails.
    ChooseFace(Face),
    ChoosePin,
    ChooseStaff,
    RightPin,
    WrongPin,
    /// A PIN of the wrong format (nothing may reach the card).
    MalformedPin,
    ConfirmLastTry,
    RightPasscode,
    WrongPasscode,
    /// Staff confirm on the terminal the card the visit announced, or another one.
    TerminalConfirms,
    TerminalConfirmsAnotherCard,
    Consent(bool),
    ConsentNotObtainable,
    /// Time passes to the visit's deadline.
    Tick,
    /// The next command's answer is lost: after the card got it (`true`) or before.
    LoseNextAnswer(bool),
}

/// What the camera and the face matcher will do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Face {
    Match,
    NoMatch,
    CameraFails,
}

/// How identity was confirmed, as the `sometimes` properties ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Confirmed {
    Face,
    Pin,
    StaffOnReader,
    StaffOnTerminal,
    Other,
}

/// The cards and the abstract people, reader and clock around one replayed visit.
struct World {
    mode: ReaderMode,
    /// The card the visit started with, and the spare one a swap puts there.
    cards: [VirtualCard; 2],
    personas: [Persona; 2],
    /// Which card is on the reader, if any.
    on_reader: Option<usize>,
    face: Face,
    lose_next: Option<bool>,
    now: Timestamp,
    until: Option<Timestamp>,
    /// The card the visit asked the terminal to confirm.
    announced: Option<CardIdentity>,
    /// What the invariants follow, since the card on the reader was placed.
    identity_seen: bool,
    card_face_verified: bool,
    /// The card has no photo (a baby's card), or something about it was not genuine.
    no_photo: bool,
    not_authentic: bool,
    /// The visit reported that it could not lock the keys again (the product powers the
    /// card down, `lockout_safety.md`).
    lock_failed: bool,
    right_passcode_taken: bool,
    terminal_named: Option<CardIdentity>,
    /// Well-formed PIN entries the visit took.
    pins_taken: usize,
    screen: Option<Screen>,
    confirmed: Option<Confirmed>,
    /// The first invariant broken, if any.
    violation: Option<String>,
    /// What the visit said, in order (printed with a counterexample).
    said: Vec<String>,
}

impl World {
    fn card(&mut self) -> Option<&mut VirtualCard> {
        let index = self.on_reader?;
        self.cards.get_mut(index)
    }

    fn broke(&mut self, what: impl Into<String>) {
        if self.violation.is_none() {
            self.violation = Some(what.into());
        }
    }

    /// Runs the visit's outputs until it waits, answering as the devices would and checking
    /// the invariants on each.
    fn pump(&mut self, visit: &mut Visit) {
        for _ in 0..10_000 {
            let now = self.now;
            match visit.poll() {
                Output::Transmit(command) => {
                    let lose = self.lose_next.take();
                    let result = match (self.card(), lose) {
                        (None, _) => {
                            visit.handle(now, Input::TransportFailed(TransportError::NoCard))
                        }
                        (Some(_), Some(false)) => {
                            visit.handle(now, Input::TransportFailed(TransportError::Timeout))
                        }
                        (Some(card), Some(true)) => {
                            let _ = card.respond(command.bytes());
                            visit.handle(now, Input::TransportFailed(TransportError::Timeout))
                        }
                        (Some(card), None) => {
                            let response = card.respond(command.bytes());
                            visit.handle(now, Input::CardResponse(&response))
                        }
                    };
                    if let Err(rejected) = result {
                        self.broke(format!(
                            "the visit refused the answer to its own command: {rejected:?}"
                        ));
                    }
                }
                Output::CaptureFace => {
                    let input = if self.face == Face::CameraFails {
                        UserInput::FaceCaptureFailed
                    } else {
                        UserInput::FaceCaptured(FaceCapture::new(vec![1; 8]))
                    };
                    let _ = visit.handle(now, input);
                }
                Output::MatchFace { chip_photo, .. } => {
                    let on_card = self.card().and_then(|card| {
                        card.data(Application::CardFace, card_face::ENTRIES)
                            .map(|entries| {
                                !chip_photo.is_empty()
                                    && entries
                                        .windows(chip_photo.len())
                                        .any(|w| w == chip_photo.as_slice())
                            })
                    });
                    if on_card != Some(true) {
                        self.broke("a face matched against a photo not on the card on the reader");
                    }
                    if !self.card_face_verified {
                        self.broke(
                            "a face matched against a photo whose card face was not verified",
                        );
                    }
                    let score = if self.face == Face::Match { 950 } else { 100 };
                    let _ = visit.handle(
                        now,
                        UserInput::FaceMatched(Ok(MatchScore::from_per_mille(score))),
                    );
                }
                Output::Audit(event) => self.audit(&event.event),
                Output::StaffNotice(notice) => {
                    if let StaffNotice::ConfirmCard { card, .. } = notice {
                        self.announced = Some(card);
                    }
                }
                Output::Show(screen) => self.show(screen),
                Output::Wait { until } => {
                    if until <= now {
                        self.broke("a deadline that has already passed");
                    }
                    self.until = Some(until);
                    return;
                }
                Output::Finished(_) => {
                    self.until = None;
                    return;
                }
            }
        }
        self.broke("the visit never waits");
    }

    fn audit(&mut self, event: &VisitEvent) {
        self.said.push(format!("{event:?}"));
        match event {
            VisitEvent::CardPlaced | VisitEvent::CardChanged => {
                self.identity_seen = false;
                self.card_face_verified = false;
                self.no_photo = false;
                self.not_authentic = false;
                self.announced = None;
                self.right_passcode_taken = false;
            }
            VisitEvent::CardFaceVerified => self.card_face_verified = true,
            VisitEvent::NoPhotoOnCard => self.no_photo = true,
            VisitEvent::KeysLockFailed => self.lock_failed = true,
            VisitEvent::NotAuthentic { .. } => self.not_authentic = true,
            VisitEvent::IdentityConfirmed { method } => {
                self.identity_seen = true;
                let confirmed = match method {
                    IdentityMethod::Face { .. } => {
                        if !self.card_face_verified {
                            self.broke("face evidence without a verified card face");
                        }
                        Confirmed::Face
                    }
                    IdentityMethod::Pin | IdentityMethod::PinByLegalRepresentative => {
                        Confirmed::Pin
                    }
                    IdentityMethod::StaffCheck {
                        kind: StaffCheckKind::OnReader,
                        ..
                    } => {
                        // The photo compared is the chip's (verified) or, when the chip's
                        // cannot be read, the printed one; never none, never a forgery's.
                        if self.no_photo || self.not_authentic {
                            self.broke(
                                "an on-reader staff check on a card without a genuine photo",
                            );
                        }
                        if !self.right_passcode_taken {
                            self.broke("an on-reader staff check without the right passcode");
                        }
                        Confirmed::StaffOnReader
                    }
                    IdentityMethod::StaffCheck {
                        kind: StaffCheckKind::LegacyTerminal,
                        ..
                    } => {
                        if self.announced.is_none() || self.terminal_named != self.announced {
                            self.broke("the terminal confirmed a card the visit did not announce");
                        }
                        Confirmed::StaffOnTerminal
                    }
                    IdentityMethod::Smartphone { .. } => Confirmed::Other,
                };
                // The mode's rules.
                let allowed = match self.mode {
                    ReaderMode::PinOnly => {
                        confirmed != Confirmed::Face && confirmed != Confirmed::StaffOnTerminal
                    }
                    ReaderMode::LegacyVisual => confirmed == Confirmed::StaffOnTerminal,
                    ReaderMode::Unattended => confirmed != Confirmed::StaffOnTerminal,
                };
                if !allowed {
                    self.broke(format!("{confirmed:?} in {:?} mode", self.mode));
                }
                self.confirmed = Some(confirmed);
            }
            _ => {}
        }
    }

    fn show(&mut self, screen: Screen) {
        self.said.push(format!("{screen:?}"));
        match &screen {
            Screen::Consent { .. } => {
                if !self.identity_seen {
                    self.broke("consent before identity for the card on the reader");
                }
                let unlocked = self
                    .card()
                    .map(|card| card.unlocked_keys())
                    .unwrap_or_default();
                if !unlocked.is_empty() && !self.lock_failed {
                    self.broke(format!("keys left unlocked at the consent: {unlocked:?}"));
                }
            }
            Screen::ChooseMethod { options, .. }
                if self.mode == ReaderMode::PinOnly && options.contains(&MethodChoice::Face) =>
            {
                self.broke("face offered in PIN-only mode");
            }
            _ => {}
        }
        if let Some(tries) = pin_tries_shown(&screen) {
            let reported = self
                .on_reader
                .and_then(|i| self.cards.get(i))
                .and_then(last_report);
            if reported != Some(tries) {
                self.broke(format!(
                    "{tries} tries shown, the card last reported {reported:?}"
                ));
            }
        }
        self.screen = Some(screen);
    }

    /// The PIN's rules, from the cards' own logs: a VERIFY only right after a retry query of
    /// the same key that found the count above zero (so on a card just placed or reset, a
    /// fresh count), never after the card reported the PIN blocked, at most one per entry.
    fn check_card_logs(&mut self) {
        let mut verifies = 0;
        let mut broken = None;
        for card in &self.cards {
            let mut blocked = false;
            let mut previous: Option<(Vec<u8>, u16)> = None;
            for entry in card.log() {
                let bytes = entry.bytes().to_vec();
                let status = entry.status().to_u16();
                if entry.verified_slot() == Some(PinSlot::UserAuth) {
                    if blocked {
                        broken = Some("a VERIFY after the card reported the PIN blocked");
                    }
                    let fresh = matches!(&previous, Some((query, sw))
                        if query.as_slice() == USER_PIN_RETRY_QUERY && sw & 0xFFF0 == 0x63C0 && sw & 0x0F > 0);
                    if !fresh {
                        broken = Some("a VERIFY without a fresh count read right before it");
                    }
                    verifies += 1;
                }
                let to_pin = bytes.as_slice() == USER_PIN_RETRY_QUERY
                    || entry.verified_slot() == Some(PinSlot::UserAuth);
                if to_pin && matches!(status, 0x63C0 | 0x6983 | 0x6984) {
                    blocked = true;
                }
                previous = Some((bytes, status));
            }
        }
        if let Some(broken) = broken {
            self.broke(broken);
        }
        if verifies > self.pins_taken {
            self.broke(format!(
                "{verifies} VERIFYs for {} PIN entries",
                self.pins_taken
            ));
        }
    }
}

/// The spare card a swap puts on the reader.
fn spare(persona: Persona) -> Persona {
    if persona == Persona::OneTryLeft {
        Persona::Standard
    } else {
        Persona::OneTryLeft
    }
}

/// A replayed visit: the visit after the steps, and the world around it.
struct Replay {
    visit: Visit,
    world: World,
}

/// Replays `steps` from the start of a visit of `persona` in `mode`.
fn replay(site: &Mutex<Site>, mode: ReaderMode, persona: Persona, steps: &[Step]) -> Replay {
    let context = site
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .context();
    let now = morning();
    let mut visit = Visit::new(
        context,
        VisitSettings::default(),
        now,
        Challenge::from_random_bytes([0x42; 32]),
    );
    let personas = [persona, spare(persona)];
    let mut world = World {
        mode,
        cards: personas.map(|p| p.card(today())),
        personas,
        on_reader: None,
        face: Face::Match,
        lose_next: None,
        now,
        until: None,
        announced: None,
        identity_seen: false,
        card_face_verified: false,
        no_photo: false,
        not_authentic: false,
        lock_failed: false,
        right_passcode_taken: false,
        terminal_named: None,
        pins_taken: 0,
        screen: None,
        confirmed: None,
        violation: None,
        said: Vec::new(),
    };
    world.pump(&mut visit);
    for step in steps {
        apply(&mut visit, &mut world, *step);
    }
    world.check_card_logs();
    Replay { visit, world }
}

/// Feeds one step.
fn apply(visit: &mut Visit, world: &mut World, step: Step) {
    let now = world.now;
    let before = visit.stage();
    let result = match step {
        Step::Place => {
            world.on_reader = Some(0);
            if let Some(card) = world.card() {
                card.power_cycle();
            }
            visit.handle(now, CardEvent::Inserted)
        }
        Step::Remove => {
            world.on_reader = None;
            visit.handle(now, CardEvent::Removed)
        }
        Step::Swap => {
            world.on_reader = Some(1);
            if let Some(card) = world.card() {
                card.power_cycle();
            }
            visit.handle(now, CardEvent::Inserted)
        }
        Step::WarmReset => {
            if let Some(card) = world.card() {
                card.warm_reset();
            }
            visit.handle(now, CardEvent::Reset)
        }
        Step::PowerCycle => {
            if let Some(card) = world.card() {
                card.power_cycle();
            }
            visit.handle(now, CardEvent::Reset)
        }
        Step::OcrRight => {
            let persona = world
                .on_reader
                .and_then(|i| world.personas.get(i).copied())
                .unwrap_or(Persona::Standard);
            match persona.holder(today()).verification_number_b() {
                Ok(b) => visit.handle(now, UserInput::VerificationNumberB(b)),
                Err(_) => visit.handle(now, UserInput::VerificationNumberBUnreadable),
            }
        }
        Step::OcrWrong => visit.handle(
            now,
            UserInput::VerificationNumberB(
                Pin::new(PinKind::VerificationNumberB, "99010120309999").unwrap(),
            ),
        ),
        Step::OcrUnreadable => visit.handle(now, UserInput::VerificationNumberBUnreadable),
        Step::ChooseFace(face) => {
            world.face = face;
            visit.handle(now, UserInput::Choose(MethodChoice::Face))
        }
        Step::ChoosePin => visit.handle(now, UserInput::Choose(MethodChoice::Pin)),
        Step::ChooseStaff => visit.handle(now, UserInput::Choose(MethodChoice::StaffCheck)),
        Step::RightPin | Step::WrongPin | Step::MalformedPin => {
            let text = match step {
                Step::RightPin => "1234",
                Step::WrongPin => "0000",
                _ => "12a",
            };
            let result = visit.handle(now, UserInput::PinEntered(SecretBytes::from(text)));
            if result.is_ok() && text.len() == 4 {
                world.pins_taken += 1;
            }
            result
        }
        Step::ConfirmLastTry => visit.handle(now, UserInput::ConfirmLastTry),
        Step::RightPasscode | Step::WrongPasscode => {
            let right = step == Step::RightPasscode;
            let code = if right { STAFF_PASSCODE } else { "0000" };
            let result = visit.handle(
                now,
                UserInput::StaffPasscode {
                    staff_id: staff("s1"),
                    passcode: secret(code),
                },
            );
            if result.is_ok() && right {
                world.right_passcode_taken = true;
            }
            result
        }
        Step::TerminalConfirms | Step::TerminalConfirmsAnotherCard => {
            let card = match (step, &world.announced) {
                (Step::TerminalConfirms, Some(card)) => card.clone(),
                _ => CardIdentity {
                    chip_serial: "0000000012345678".into(),
                    certificate_serial: Some("00".into()),
                },
            };
            world.terminal_named = Some(card.clone());
            visit.handle(
                now,
                UserInput::StaffConfirmedOnTerminal {
                    staff_id: staff("s2"),
                    card,
                },
            )
        }
        Step::Consent(yes) => visit.handle(now, UserInput::ConsentAnswer(yes)),
        Step::ConsentNotObtainable => visit.handle(now, UserInput::ConsentNotObtainable),
        Step::Tick => {
            if let Some(until) = world.until {
                world.now = until;
            }
            visit.handle(world.now, Input::Tick)
        }
        Step::LoseNextAnswer(delivered) => {
            world.lose_next = Some(delivered);
            Ok(())
        }
    };
    if result.is_err() && visit.stage() != before {
        world.broke(format!("a refused {step:?} changed the stage"));
    }
    world.pump(visit);
}

impl Step {
    /// Whether the step disturbs the visit from outside (a card taken away, swapped or reset,
    /// an answer lost) rather than answering it.
    const fn disturbs(self) -> bool {
        matches!(
            self,
            Self::Remove
                | Self::Swap
                | Self::WarmReset
                | Self::PowerCycle
                | Self::LoseNextAnswer(_)
        )
    }
}

/// Whether this is the deep run (`ONSHI_MODEL_CHECK=deep`).
fn deep() -> bool {
    std::env::var("ONSHI_MODEL_CHECK").as_deref() == Ok("deep")
}

/// A bound from the environment, or its default.
fn bound(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Disturbances per path: 1 (2 in the deep run), or `ONSHI_MODEL_CHECK_DISTURBANCES`.
fn disturbances() -> usize {
    bound("ONSHI_MODEL_CHECK_DISTURBANCES", if deep() { 2 } else { 1 })
}

/// The steps that make sense now: what the visit says it takes, and what can happen around
/// it while the path has disturbances left.
fn enabled(visit: &Visit, world: &World, disturbances_left: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    if visit.stage() == VisitStage::Finished {
        return steps;
    }
    for kind in visit.expected_inputs() {
        match kind {
            InputKind::VerificationNumberB => {
                steps.extend([Step::OcrRight, Step::OcrUnreadable]);
                if disturbances_left {
                    steps.push(Step::OcrWrong);
                }
            }
            InputKind::Choose => {
                for method in visit.available_methods() {
                    match method {
                        MethodChoice::Face => steps.extend([
                            Step::ChooseFace(Face::Match),
                            Step::ChooseFace(Face::NoMatch),
                            Step::ChooseFace(Face::CameraFails),
                        ]),
                        MethodChoice::Pin => steps.push(Step::ChoosePin),
                        MethodChoice::StaffCheck => steps.push(Step::ChooseStaff),
                    }
                }
            }
            InputKind::PinEntered => {
                steps.extend([Step::RightPin, Step::WrongPin, Step::MalformedPin])
            }
            InputKind::ConfirmLastTry => steps.push(Step::ConfirmLastTry),
            InputKind::StaffPasscode => steps.extend([Step::RightPasscode, Step::WrongPasscode]),
            InputKind::StaffConfirmedOnTerminal => {
                steps.extend([Step::TerminalConfirms, Step::TerminalConfirmsAnotherCard]);
            }
            InputKind::ConsentAnswer => steps.extend([Step::Consent(true), Step::Consent(false)]),
            InputKind::ConsentNotObtainable => steps.push(Step::ConsentNotObtainable),
            _ => {}
        }
    }
    match world.on_reader {
        None => steps.push(Step::Place),
        Some(_) if !disturbances_left => {}
        Some(index) => {
            steps.extend([Step::Remove, Step::WarmReset, Step::PowerCycle]);
            if index == 0 {
                steps.push(Step::Swap);
            }
            if world.lose_next.is_none() {
                steps.extend([Step::LoseNextAnswer(true), Step::LoseNextAnswer(false)]);
            }
        }
    }
    steps.push(Step::Tick);
    steps.dedup();
    steps
}

/// A state of the model: the path that reaches it, and what the replay found.
#[derive(Clone, Debug)]
struct Node {
    persona: Persona,
    steps: Vec<Step>,
    fingerprint: u64,
    enabled: Vec<Step>,
    violation: Option<String>,
    confirmed: Option<Confirmed>,
    finished: bool,
    /// Time alone (a tick at each deadline) ends the visit from here.
    ends_by_time: bool,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.persona == other.persona && self.fingerprint == other.fingerprint
    }
}

impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.persona.hash(state);
        self.fingerprint.hash(state);
    }
}

/// What matters of a replayed visit for what can happen next and for the invariants.
fn fingerprint(replay: &Replay, disturbed: usize) -> u64 {
    let Replay { visit, world } = replay;
    let mut hasher = DefaultHasher::new();
    disturbed.hash(&mut hasher);
    visit.stage().hash(&mut hasher);
    format!("{:?}", world.screen).hash(&mut hasher);
    format!("{:?}", visit.outcome().map(|o| &o.result)).hash(&mut hasher);
    for card in &world.cards {
        for slot in [
            PinSlot::UserAuth,
            PinSlot::Signing,
            PinSlot::CardInfo,
            PinSlot::CardFaceVerificationB,
        ] {
            card.pin_remaining(slot).hash(&mut hasher);
        }
        format!("{:?}", card.unlocked_keys()).hash(&mut hasher);
    }
    world.on_reader.hash(&mut hasher);
    world.face.hash(&mut hasher);
    world.lose_next.hash(&mut hasher);
    world
        .until
        .map(|until| until.seconds_since(world.now))
        .hash(&mut hasher);
    world.announced.is_some().hash(&mut hasher);
    (
        world.identity_seen,
        world.card_face_verified,
        world.no_photo,
        world.not_authentic,
        world.lock_failed,
        world.right_passcode_taken,
    )
        .hash(&mut hasher);
    world.confirmed.hash(&mut hasher);
    world.violation.hash(&mut hasher);
    hasher.finish()
}

/// The model: one reader mode, every persona.
struct VisitModel {
    mode: ReaderMode,
    site: Mutex<Site>,
}

impl VisitModel {
    fn new(mode: ReaderMode) -> Self {
        Self {
            mode,
            site: Mutex::new(Site::new(mode)),
        }
    }

    fn node(&self, persona: Persona, steps: Vec<Step>) -> Node {
        let mut replay = replay(&self.site, self.mode, persona, &steps);
        let disturbed = steps.iter().filter(|step| step.disturbs()).count();
        let fingerprint = fingerprint(&replay, disturbed);
        let enabled = enabled(&replay.visit, &replay.world, disturbed < disturbances());
        let finished = replay.visit.stage() == VisitStage::Finished;
        let violation = replay.world.violation.clone();
        let confirmed = replay.world.confirmed;
        // A visit always ends: with nobody doing anything, a tick at each deadline ends it.
        for _ in 0..7 {
            if replay.visit.stage() == VisitStage::Finished {
                break;
            }
            apply(&mut replay.visit, &mut replay.world, Step::Tick);
        }
        let ends_by_time = replay.visit.stage() == VisitStage::Finished;
        Node {
            persona,
            steps,
            fingerprint,
            enabled,
            violation,
            confirmed,
            finished,
            ends_by_time,
        }
    }
}

impl Model for VisitModel {
    type State = Node;
    type Action = Step;

    fn init_states(&self) -> Vec<Node> {
        Persona::ALL
            .iter()
            .map(|persona| self.node(*persona, Vec::new()))
            .collect()
    }

    fn actions(&self, state: &Node, actions: &mut Vec<Step>) {
        if state.violation.is_none() {
            actions.extend(state.enabled.iter().copied());
        }
    }

    fn next_state(&self, last: &Node, step: Step) -> Option<Node> {
        let mut steps = last.steps.clone();
        steps.push(step);
        Some(self.node(last.persona, steps))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("every invariant holds", |_, node: &Node| {
                node.violation.is_none()
            }),
            Property::always("the visit always ends", |_, node: &Node| node.ends_by_time),
            Property::sometimes(
                "confirmed by face where the mode offers it",
                |model: &Self, node: &Node| {
                    model.mode != ReaderMode::Unattended || node.confirmed == Some(Confirmed::Face)
                },
            ),
            Property::sometimes(
                "confirmed by PIN where the mode offers it",
                |model: &Self, node: &Node| {
                    model.mode == ReaderMode::LegacyVisual || node.confirmed == Some(Confirmed::Pin)
                },
            ),
            Property::sometimes(
                "confirmed by the on-reader staff check where offered",
                |model: &Self, node: &Node| {
                    model.mode != ReaderMode::Unattended
                        || node.confirmed == Some(Confirmed::StaffOnReader)
                },
            ),
            Property::sometimes(
                "confirmed on the terminal in the legacy visual mode",
                |model: &Self, node: &Node| {
                    model.mode != ReaderMode::LegacyVisual
                        || node.confirmed == Some(Confirmed::StaffOnTerminal)
                },
            ),
            Property::sometimes("a visit finished", |_, node: &Node| node.finished),
        ]
    }
}

/// The depth bound in steps: 12 in a release build (CI's `model-check` step), 6 in a debug
/// build (so that `cargo test` stays quick), 14 in the deep run; or `ONSHI_MODEL_CHECK_DEPTH`.
fn depth() -> usize {
    let default = match (deep(), cfg!(debug_assertions)) {
        (true, _) => 14,
        (false, false) => 12,
        (false, true) => 6,
    };
    bound("ONSHI_MODEL_CHECK_DEPTH", default)
}

fn check(mode: ReaderMode) {
    let started = std::time::Instant::now();
    // Depth counts states: the initial one, then one per input.
    let checker = VisitModel::new(mode)
        .checker()
        .threads(2)
        .target_max_depth(depth() + 1)
        .spawn_bfs()
        .join();
    let discoveries = checker.discoveries();
    let mut failed = Vec::new();
    for property in checker.model().properties() {
        let found = discoveries.get(property.name);
        let holds = match property.expectation {
            stateright::Expectation::Always | stateright::Expectation::Eventually => {
                found.is_none()
            }
            stateright::Expectation::Sometimes => found.is_some(),
        };
        if !holds {
            let detail = found.map(|path| {
                let last = path.last_state();
                format!(
                    "\n  persona {:?}, steps {:?}\n  replay: replay_counterexample(ReaderMode::{mode:?}, Persona::{:?}, &{:?})\n  {:?}",
                    last.persona, last.steps, last.persona, last.steps, last.violation
                )
            });
            failed.push(format!("{}{}", property.name, detail.unwrap_or_default()));
        }
    }
    // Depth counts states; the steps are one fewer. Below the bound, the checker ran out of
    // new states: every reachable one (within the disturbances) was explored.
    let steps = checker.max_depth().saturating_sub(1);
    let reach = if steps < depth() {
        format!("all of it within {steps} steps")
    } else {
        format!("depth {steps}")
    };
    println!(
        "model check, {mode:?}: {} states ({} unique), {reach}, {} disturbance(s) per path, {:.1} s",
        checker.state_count(),
        checker.unique_state_count(),
        disturbances(),
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "{mode:?}:\n{}", failed.join("\n"));
}

/// Replays a counterexample the checker printed, as an ordinary test does.
fn replay_counterexample(mode: ReaderMode, persona: Persona, steps: &[Step]) -> Option<String> {
    let site = Mutex::new(Site::new(mode));
    let replay = replay(&site, mode, persona, steps);
    replay.world.violation
}

#[test]
fn every_reachable_state_of_a_visit_in_unattended_mode() {
    check(ReaderMode::Unattended);
}

#[test]
fn every_reachable_state_of_a_visit_in_pin_only_mode() {
    check(ReaderMode::PinOnly);
}

#[test]
fn every_reachable_state_of_a_visit_in_legacy_visual_mode() {
    check(ReaderMode::LegacyVisual);
}

#[test]
fn a_replayed_path_reaches_what_the_checker_saw() {
    // A face visit, step by step, as a counterexample would be replayed.
    let steps = [
        Step::Place,
        Step::OcrRight,
        Step::ChooseFace(Face::Match),
        Step::Consent(true),
    ];
    assert_eq!(
        replay_counterexample(ReaderMode::Unattended, Persona::Standard, &steps),
        None
    );
    let site = Mutex::new(Site::new(ReaderMode::Unattended));
    let replay = replay(&site, ReaderMode::Unattended, Persona::Standard, &steps);
    assert_eq!(replay.world.confirmed, Some(Confirmed::Face));
}

/// Found by the checker while it was built: in PIN-only mode a card whose PIN is blocked and
/// whose 照合番号B cannot be read gets the staff check, which compares the printed photo (the
/// policy table's rule). Not a card without a photo: no violation.
#[test]
fn counterexample_the_staff_check_with_an_unreadable_chip_photo_compares_the_printed_one() {
    let steps = [Step::Place, Step::OcrUnreadable, Step::RightPasscode];
    assert_eq!(
        replay_counterexample(ReaderMode::PinOnly, Persona::PinBlocked, &steps),
        None
    );
    let site = Mutex::new(Site::new(ReaderMode::PinOnly));
    let replay = replay(&site, ReaderMode::PinOnly, Persona::PinBlocked, &steps);
    assert_eq!(replay.world.confirmed, Some(Confirmed::StaffOnReader));
    // The baby's card has no photo at all: no staff check is offered.
    let site = Mutex::new(Site::new(ReaderMode::PinOnly));
    let baby = replay_steps(
        &site,
        Persona::InfantNoPhoto,
        &[Step::Place, Step::OcrRight],
    );
    assert!(!baby.contains(&Step::ChooseStaff) && !baby.contains(&Step::RightPasscode));
}

/// Found by the checker while it was built: the answer to the command that locks the keys
/// again is lost, so the key 照合番号B opened stays unlocked through the consent; the visit
/// says so (`KeysLockFailed`), as `lockout_safety.md` documents.
#[test]
fn counterexample_a_lost_answer_while_locking_the_keys_is_reported() {
    let steps = [
        Step::Place,
        Step::OcrRight,
        Step::LoseNextAnswer(false),
        Step::RightPasscode,
    ];
    assert_eq!(
        replay_counterexample(ReaderMode::PinOnly, Persona::PinBlocked, &steps),
        None
    );
    let site = Mutex::new(Site::new(ReaderMode::PinOnly));
    let replay = replay(&site, ReaderMode::PinOnly, Persona::PinBlocked, &steps);
    assert!(replay.world.lock_failed);
    assert!(
        replay
            .world
            .said
            .iter()
            .any(|line| line == "KeysLockFailed")
    );
}

/// The steps enabled after `steps` in PIN-only mode.
fn replay_steps(site: &Mutex<Site>, persona: Persona, steps: &[Step]) -> Vec<Step> {
    let replay = replay(site, ReaderMode::PinOnly, persona, steps);
    enabled(&replay.visit, &replay.world, true)
}
