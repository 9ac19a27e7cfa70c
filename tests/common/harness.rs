//! Drives a `Visit` against a virtual card, a scripted face matcher and a scripted clock, and
//! records everything it outputs.

use std::collections::VecDeque;

use onshi::card::{Pin, PinSlot};
use onshi::face::{FaceCapture, FaceMatchError, MatchScore};
use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
use onshi::reception::{
    Input, InputRejected, Outcome, Output, ReaderContext, Screen, StaffId, StaffNotice, Visit,
    VisitEvent, VisitSettings, VisitStage,
};
use onshi::sim::{Persona, VirtualCard};
use onshi::time::Timestamp;
use onshi::{ReaderCapabilities, SecretBytes};

use super::{morning, today};

/// The facility's staff passcode in the tests.
pub const STAFF_PASSCODE: &str = "4321";
/// The admin password in the tests.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A facility with one reader in `mode` and the staff passcode set.
pub fn facility(mode: ReaderMode) -> Facility {
    let now = morning();
    let mut facility = Facility::new(
        "admin",
        ADMIN_PASSWORD,
        [1; 16],
        now,
        HashCost::FAST_FOR_TESTS,
    )
    .unwrap();
    let Session::Admin(admin) = facility.login("admin", ADMIN_PASSWORD, now).unwrap() else {
        panic!("admin login")
    };
    facility.add_reader(&admin, ReaderId::new(1), now).unwrap();
    facility
        .set_reader_mode(&admin, ReaderId::new(1), mode, now)
        .unwrap();
    facility
        .set_staff_passcode(&admin, &secret(STAFF_PASSCODE), [2; 16], now)
        .unwrap();
    facility
}

/// Secret bytes from text.
pub fn secret(text: &str) -> SecretBytes {
    SecretBytes::from(text.as_bytes().to_vec())
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
    pub deadline: Option<Timestamp>,
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
        let facility = facility(mode);
        let context = ReaderContext::from_facility(
            &facility,
            ReaderId::new(1),
            ReaderCapabilities::SHORT_ONLY,
        )
        .unwrap();
        Self::with_context(persona, context, settings)
    }

    /// A visit with an explicit context.
    pub fn with_context(persona: Persona, context: ReaderContext, settings: VisitSettings) -> Self {
        let now = morning();
        let visit = Visit::new(context, settings, now);
        let mut harness = Self {
            visit,
            card: persona.card(today()),
            persona,
            now,
            screens: Vec::new(),
            events: Vec::new(),
            notices: Vec::new(),
            deadline: None,
            face_scores: VecDeque::new(),
            captures: 0,
            outcome: None,
        };
        harness.pump();
        harness
    }

    /// Feeds an input, then runs every output it causes.
    pub fn send(&mut self, input: Input<'_>) -> Result<(), InputRejected> {
        let result = self.visit.handle(self.now, input);
        self.pump();
        result
    }

    /// Runs the outputs: commands go to the virtual card, captures and matches are answered.
    pub fn pump(&mut self) {
        while let Some(output) = self.visit.poll() {
            match output {
                Output::Transmit(command) => {
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
                            Input::FaceCaptured(FaceCapture::new(vec![0xCA; 64])),
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
                        .handle(self.now, Input::FaceMatched(answer))
                        .unwrap();
                }
                Output::Deadline(at) => self.deadline = Some(at),
                Output::Audit(event) => self.events.push(event.event),
                Output::StaffNotice(notice) => self.notices.push(notice),
                Output::Finished(outcome) => self.outcome = Some(outcome),
                _ => {}
            }
        }
    }

    /// Places the card; the OCR reads 照合番号B from it.
    pub fn place_card(&mut self) {
        self.send(Input::CardPlaced).unwrap();
        if let Ok(b) = self.persona.holder(today()).verification_number_b() {
            let _ = self.send(Input::VerificationNumberB(b));
        }
    }

    /// Enters a PIN.
    pub fn pin(&mut self, text: &str) -> Result<(), InputRejected> {
        self.send(Input::PinEntered(secret(text)))
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

    /// VERIFY commands with a PIN the card received for the user-authentication PIN.
    pub fn user_pin_verifications(&self) -> usize {
        let mut current_ef = None;
        let mut count = 0;
        for entry in self.card.log() {
            let Some(command) = entry.command() else {
                continue;
            };
            if command.instruction() == 0xA4 && command.p1() == 0x02 {
                current_ef = Some(command.data().to_vec());
            }
            if command.instruction() == 0xA4 && command.p1() == 0x04 {
                current_ef = None;
            }
            if entry.is_pin_verification() && current_ef.as_deref() == Some(&[0x00, 0x18][..]) {
                count += 1;
            }
        }
        count
    }

    /// Tries left on the card for the user-authentication PIN.
    pub fn card_tries(&self) -> Option<u8> {
        self.card.pin_remaining(PinSlot::UserAuth)
    }

    /// Answers every consent screen with `agreed` until the visit ends.
    pub fn answer_all_consent(&mut self, agreed: bool) {
        while self.stage() == VisitStage::Consent {
            self.send(Input::ConsentAnswer(agreed)).unwrap();
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
}
