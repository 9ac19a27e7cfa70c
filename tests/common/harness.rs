//! Drives a `Visit` against a virtual card, a scripted face matcher and a scripted clock, and
//! records everything it outputs.

use std::collections::VecDeque;

use onshi::card::{Application, Pin, PinSlot, Span, jpki};
use onshi::face::{FaceCapture, FaceMatchError, MatchScore};
use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
use onshi::reception::{
    CardIdentity, Input, InputRejected, Outcome, Output, ReaderContext, Screen, StaffId,
    StaffNotice, UserInput, Visit, VisitEvent, VisitSettings, VisitStage,
};
use onshi::sim::{Persona, VirtualCard};
use onshi::time::Timestamp;
use onshi::{CardEvent, ReaderCapabilities, SecretBytes};

use super::{morning, today};

/// The facility's staff passcode in the tests.
pub const STAFF_PASSCODE: &str = "4321";
/// The admin password in the tests.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// The Issuer Security Domain's SELECT: how a visit leaves the application a PIN or 照合番号B
/// unlocked.
pub const SELECT_ISSUER_SECURITY_DOMAIN: [u8; 12] = [
    0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00,
];

/// The retry query of the user-authentication PIN, named by its short EF id.
pub const USER_PIN_RETRY_QUERY: [u8; 4] = [0x00, 0x20, 0x00, 0x98];

/// A facility with one reader in `mode` and the staff passcode set.
pub fn facility(mode: ReaderMode) -> Facility {
    let now = morning();
    let mut facility = Facility::new(
        "admin",
        &secret(ADMIN_PASSWORD),
        onshi::sim::facility_keys(),
        now,
        HashCost::FAST_FOR_TESTS,
    )
    .unwrap();
    let Session::Admin(admin) = facility
        .login("admin", &secret(ADMIN_PASSWORD), now)
        .unwrap()
    else {
        panic!("admin login")
    };
    facility.add_reader(&admin, ReaderId::new(1), now).unwrap();
    facility
        .set_reader_mode(&admin, ReaderId::new(1), mode, now)
        .unwrap();
    facility
        .set_staff_passcode(&admin, &secret(STAFF_PASSCODE), now)
        .unwrap();
    facility
}

/// An admin session of `facility` (made by [`facility`]).
pub fn admin_of(facility: &mut Facility) -> onshi::facility::AdminSession {
    match facility.login("admin", &secret(ADMIN_PASSWORD), morning()) {
        Ok(Session::Admin(admin)) => admin,
        other => panic!("admin login: {other:?}"),
    }
}

/// A visit at `reader` where the staff choose the staff check and enter `codes`, handed back
/// to the facility when over; the visit's stage after the codes, and its wrong entries.
pub fn staff_visit(facility: &mut Facility, reader: ReaderId, codes: &[&str]) -> (VisitStage, u8) {
    let context = facility
        .begin_visit(reader, ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    let settings = VisitSettings {
        staff_check: onshi::reception::StaffCheckAvailability::Always,
        ..VisitSettings::default()
    };
    let mut h = Harness::with_context(Persona::Standard, context, settings);
    h.place_card();
    h.send(UserInput::Choose(
        onshi::reception::MethodChoice::StaffCheck,
    ))
    .unwrap();
    for code in codes {
        h.send(UserInput::StaffPasscode {
            staff_id: staff("nurse-07"),
            passcode: secret(code),
        })
        .unwrap();
    }
    let stage = h.stage();
    h.send(CardEvent::Removed).unwrap();
    facility.finish(&h.visit, h.now).unwrap();
    (stage, h.outcome().staff_passcode_failures)
}

/// A facility whose visits each begin with all their staff passcode attempts, for tests that
/// run many visits from one facility (its admin clears what earlier visits held or counted).
pub struct Site {
    pub facility: Facility,
    admin: onshi::facility::AdminSession,
}

impl Site {
    /// Reader 1 in `mode`, the staff passcode set.
    pub fn new(mode: ReaderMode) -> Self {
        let mut facility = facility(mode);
        let admin = admin_of(&mut facility);
        Self { facility, admin }
    }

    /// A fresh visit's context on the virtual card's trust anchors.
    pub fn context(&mut self) -> ReaderContext {
        self.facility
            .unlock_staff_passcode(&self.admin, morning())
            .unwrap();
        self.facility
            .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap()
            .with_trust(onshi::sim::trust_anchors())
    }
}

/// The count of the user-authentication PIN the card last reported, from its own log: the
/// answer to the last retry query (`63 Cx`) or VERIFY of that key.
pub fn last_report(card: &VirtualCard) -> Option<u8> {
    card.log().iter().rev().find_map(|entry| {
        let command = entry.command()?;
        let to_user_pin = entry.bytes().as_slice() == USER_PIN_RETRY_QUERY
            || entry.verified_slot() == Some(PinSlot::UserAuth);
        if !to_user_pin || command.instruction() != 0x20 {
            return None;
        }
        let status = entry.status();
        match (status.sw1(), status.sw2()) {
            (0x63, sw2) if sw2 & 0xF0 == 0xC0 => Some(sw2 & 0x0F),
            (0x69, 0x83 | 0x84) => Some(0),
            (0x90, 0x00) if !command.data().is_empty() => Some(3),
            _ => None,
        }
    })
}

/// The PIN tries a screen shows, if it shows them.
pub fn pin_tries_shown(screen: &Screen) -> Option<u8> {
    match screen {
        Screen::EnterPin { tries_left }
        | Screen::WrongPin { tries_left }
        | Screen::PinFormatInvalid { tries_left }
        | Screen::PinCountChanged { tries_left } => Some(*tries_left),
        Screen::ChooseMethod { pin_tries_left, .. } => *pin_tries_left,
        _ => None,
    }
}

/// Secret bytes from text.
pub fn secret(text: &str) -> SecretBytes {
    SecretBytes::from(text)
}

/// A staff id.
pub fn staff(id: &str) -> StaffId {
    StaffId::new(id).unwrap()
}

/// A visit, its virtual card and everything it said.
pub struct Harness {
    pub visit: Visit,
    pub card: VirtualCard,
    pub persona: Persona,
    pub now: Timestamp,
    pub screens: Vec<Screen>,
    pub events: Vec<VisitEvent>,
    pub notices: Vec<StaffNotice>,
    /// The `until` of the last [`Output::Wait`].
    pub deadline: Option<Timestamp>,
    /// Every command the visit transmitted: its bytes, its span, and the stage the visit was
    /// in when it went out.
    pub transmitted: Vec<(Vec<u8>, Span, VisitStage)>,
    /// Answers of the face matcher, in order; when empty, it answers "no face".
    pub face_scores: VecDeque<Result<MatchScore, FaceMatchError>>,
    pub captures: usize,
    pub outcome: Option<Outcome>,
}

impl Harness {
    /// A visit on a reader in `mode` with default settings.
    pub fn new(persona: Persona, mode: ReaderMode) -> Self {
        Self::with_settings(persona, mode, VisitSettings::default())
    }

    /// A visit with `settings`.
    pub fn with_settings(persona: Persona, mode: ReaderMode, settings: VisitSettings) -> Self {
        let mut facility = facility(mode);
        let context = facility
            .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap()
            .with_trust(onshi::sim::trust_anchors());
        Self::with_context(persona, context, settings)
    }

    /// A visit with an explicit context.
    pub fn with_context(persona: Persona, context: ReaderContext, settings: VisitSettings) -> Self {
        Self::starting_at(persona, context, settings, morning())
    }

    /// A visit on a reader in `mode` with default settings, starting at `now` (the card is
    /// still the persona's card made for [`today`]).
    pub fn at(persona: Persona, mode: ReaderMode, now: Timestamp) -> Self {
        let mut facility = facility(mode);
        let context = facility
            .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
            .unwrap()
            .with_trust(onshi::sim::trust_anchors());
        Self::starting_at(persona, context, VisitSettings::default(), now)
    }

    /// A visit with an explicit context, starting at `now`.
    pub fn starting_at(
        persona: Persona,
        context: ReaderContext,
        settings: VisitSettings,
        now: Timestamp,
    ) -> Self {
        let visit = Visit::new(
            context,
            settings,
            now,
            onshi::card::authenticity::Challenge::from_random_bytes([0x22; 32]),
        );
        let mut harness = Self {
            visit,
            card: persona.card(today()),
            persona,
            now,
            screens: Vec::new(),
            events: Vec::new(),
            notices: Vec::new(),
            deadline: None,
            transmitted: Vec::new(),
            face_scores: VecDeque::new(),
            captures: 0,
            outcome: None,
        };
        harness.pump();
        harness
    }

    /// Feeds an input, then runs every output it causes.
    pub fn send<'a>(&mut self, input: impl Into<Input<'a>>) -> Result<(), InputRejected> {
        let result = self.visit.handle(self.now, input);
        self.pump();
        result
    }

    /// Feeds a person's or device's input (a shorthand for [`Harness::send`]).
    pub fn user(&mut self, input: UserInput) -> Result<(), InputRejected> {
        self.send(input)
    }

    /// Runs the outputs until the visit waits (or is over): commands go to the virtual card,
    /// captures and matches are answered.
    pub fn pump(&mut self) {
        loop {
            match self.visit.poll() {
                Output::Transmit(command) => {
                    self.transmitted.push((
                        command.bytes().to_vec(),
                        command.span(),
                        self.visit.stage(),
                    ));
                    let response = self.card.respond(command.bytes());
                    self.visit
                        .handle(self.now, Input::CardResponse(&response))
                        .unwrap();
                }
                Output::Show(screen) => self.screens.push(screen),
                Output::CaptureFace => {
                    self.captures += 1;
                    self.visit
                        .handle(
                            self.now,
                            UserInput::FaceCaptured(FaceCapture::new(vec![0xCA; 64])),
                        )
                        .unwrap();
                }
                Output::MatchFace {
                    chip_photo,
                    capture,
                } => {
                    assert!(!chip_photo.is_empty());
                    assert_eq!(capture.image().len(), 64);
                    let answer = self
                        .face_scores
                        .pop_front()
                        .unwrap_or(Err(FaceMatchError::NoFaceInCapture));
                    self.visit
                        .handle(self.now, UserInput::FaceMatched(answer))
                        .unwrap();
                }
                Output::Audit(event) => self.events.push(event.event),
                Output::StaffNotice(notice) => self.notices.push(notice),
                Output::Wait { until } => {
                    self.deadline = Some(until);
                    return;
                }
                Output::Finished(outcome) => {
                    self.outcome = Some(outcome);
                    return;
                }
            }
        }
    }

    /// Places the card (the reader reports it inserted); the OCR reads 照合番号B from its
    /// face, when the persona has one.
    pub fn place_card(&mut self) {
        self.send(CardEvent::Inserted).unwrap();
        if let Ok(b) = self.persona.holder(today()).verification_number_b() {
            // Refused only when the visit is already over (a card refused at once).
            let _ = self.send(UserInput::VerificationNumberB(b));
        }
    }

    /// Enters a PIN.
    pub fn pin(&mut self, text: &str) -> Result<(), InputRejected> {
        self.send(UserInput::PinEntered(text.into()))
    }

    /// Answers the next face matches with these scores (in thousandths).
    pub fn face_answers(&mut self, scores: &[u16]) {
        self.face_scores
            .extend(scores.iter().map(|s| Ok(MatchScore::from_per_mille(*s))));
    }

    /// Moves the clock forward and ticks.
    pub fn wait(&mut self, seconds: i64) {
        self.now = self.now.saturating_add_seconds(seconds);
        let _ = self.send(Input::Tick);
    }

    /// The last screen shown.
    pub fn screen(&self) -> &Screen {
        self.screens.last().unwrap()
    }

    /// The stage.
    pub fn stage(&self) -> VisitStage {
        self.visit.stage()
    }

    /// The outcome (the visit must have finished).
    pub fn outcome(&self) -> &Outcome {
        self.outcome.as_ref().expect("the visit finished")
    }

    /// VERIFY commands with a value the card received for the user-authentication PIN.
    pub fn user_pin_verifications(&self) -> usize {
        self.card
            .log()
            .iter()
            .filter(|entry| entry.verified_key() == Some((Application::Jpki, jpki::USER_AUTH_PIN)))
            .count()
    }

    /// Retry queries (`00 20 00 98`, no value) the card received for the user-authentication
    /// PIN.
    pub fn user_pin_queries(&self) -> usize {
        self.card
            .log()
            .iter()
            .filter(|entry| entry.bytes().as_slice() == USER_PIN_RETRY_QUERY)
            .count()
    }

    /// How many times the visit left the application (SELECT of the Issuer Security Domain).
    pub fn keys_locked(&self) -> usize {
        self.card
            .log()
            .iter()
            .filter(|entry| entry.bytes().as_slice() == SELECT_ISSUER_SECURITY_DOMAIN)
            .count()
    }

    /// Tries left on the card for the user-authentication PIN.
    pub fn card_tries(&self) -> Option<u8> {
        self.card.pin_remaining(PinSlot::UserAuth)
    }

    /// Answers every consent screen with `agreed` until the visit ends.
    pub fn answer_all_consent(&mut self, agreed: bool) {
        while self.stage() == VisitStage::Consent {
            self.send(UserInput::ConsentAnswer(agreed)).unwrap();
        }
    }

    /// Whether an event happened.
    pub fn saw(&self, predicate: impl Fn(&VisitEvent) -> bool) -> bool {
        self.events.iter().any(predicate)
    }

    /// 照合番号B of the persona.
    pub fn verification_b(&self) -> Pin {
        self.persona
            .holder(today())
            .verification_number_b()
            .unwrap()
    }

    /// The card the visit last asked the staff to confirm (legacy visual mode).
    pub fn card_to_confirm(&self) -> Option<CardIdentity> {
        self.notices.iter().rev().find_map(|notice| match notice {
            StaffNotice::ConfirmCard { card, .. } => Some(card.clone()),
            _ => None,
        })
    }
}
