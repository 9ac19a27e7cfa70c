//! The blocking driver runs whole visits over a reader, a face matcher and a UI.

mod common;

use std::collections::VecDeque;

use common::harness::facility;
use common::{morning, today};
use onshi::face::FaceCapture;
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    ConsentStatus, EndReason, IdentityMethod, Input, InputRejected, MethodChoice, ReaderContext,
    ReceptionUi, Screen, Visit, VisitResult, VisitSettings, VisitStage, run_visit,
};
use onshi::sim::{
    HOLDER_SCORE, Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder,
    capture_of_someone_else,
};
use onshi::time::Timestamp;
use onshi::{CardReader, ReaderCapabilities, SecretBytes};

struct ScriptedUi {
    now: Timestamp,
    inputs: VecDeque<Input<'static>>,
    camera: VecDeque<FaceCapture>,
    screens: Vec<Screen>,
    rejected: Vec<InputRejected>,
}

impl ScriptedUi {
    fn new(inputs: Vec<Input<'static>>, camera: Vec<FaceCapture>) -> Self {
        Self {
            now: morning(),
            inputs: inputs.into(),
            camera: camera.into(),
            screens: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

impl ReceptionUi for ScriptedUi {
    fn show(&mut self, screen: &Screen) {
        self.screens.push(screen.clone());
    }

    fn next_input(&mut self, _stage: VisitStage, deadline: Timestamp) -> Option<Input<'static>> {
        match self.inputs.pop_front() {
            Some(input) => {
                self.now = self.now.saturating_add_seconds(2);
                Some(input)
            }
            None => {
                self.now = deadline;
                None
            }
        }
    }

    fn capture_face(&mut self) -> Option<FaceCapture> {
        self.camera.pop_front()
    }

    fn now(&mut self) -> Timestamp {
        self.now
    }

    fn input_rejected(&mut self, rejected: &InputRejected) {
        self.rejected.push(*rejected);
    }
}

fn visit(mode: ReaderMode) -> Visit {
    let context = ReaderContext::from_facility(
        &facility(mode),
        ReaderId::new(1),
        ReaderCapabilities::SHORT_ONLY,
    )
    .unwrap();
    Visit::new(context, VisitSettings::default(), morning())
}

fn reader_with(persona: Persona) -> VirtualReader {
    let mut reader = VirtualReader::new();
    reader.insert(persona.card(today()));
    reader
}

#[test]
fn face_visit_through_the_driver() {
    let mut reader = reader_with(Persona::Standard);
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    let mut ui = ScriptedUi::new(
        vec![
            Input::VerificationNumberB(b),
            Input::Choose(MethodChoice::Face),
            Input::ConsentAnswer(true),
        ],
        vec![capture_of_someone_else(), capture_of_holder()],
    );
    let outcome = run_visit(
        visit(ReaderMode::Unattended),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    assert_eq!(
        outcome.identity(),
        Some(&IdentityMethod::Face {
            score: HOLDER_SCORE
        })
    );
    assert!(outcome.consent().unwrap().blanket);
    assert!(
        ui.screens
            .contains(&Screen::FaceCapture { attempt: 2, of: 3 })
    );
    assert!(ui.rejected.is_empty(), "{:?}", ui.rejected);
    assert!(reader.take_card_event().is_none());
}

#[test]
fn pin_visit_through_the_driver_then_walk_away() {
    let mut reader = reader_with(Persona::Standard);
    let mut ui = ScriptedUi::new(
        vec![Input::PinEntered(SecretBytes::from(b"1234".to_vec()))],
        vec![],
    );
    let outcome = run_visit(
        visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    // No consent answer came: the deadline ended the visit, identity kept, consent not.
    match outcome.result {
        VisitResult::Confirmed {
            identity, consent, ..
        } => {
            assert_eq!(identity, IdentityMethod::Pin);
            assert_eq!(
                consent,
                ConsentStatus::NotFinished {
                    reason: EndReason::TimedOut
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        reader
            .card()
            .unwrap()
            .pin_remaining(onshi::card::PinSlot::UserAuth),
        Some(3)
    );
}

#[test]
fn a_card_taken_away_before_the_visit_saw_it_leaves_the_visit_waiting() {
    let mut reader = reader_with(Persona::Standard);
    reader.remove();
    let mut ui = ScriptedUi::new(vec![], vec![]);
    let outcome = run_visit(
        visit(ReaderMode::Unattended),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    // Inserted then removed before anything was read: the driver sees only the removal.
    assert_eq!(
        outcome.result,
        VisitResult::NotConfirmed {
            reason: EndReason::TimedOut
        }
    );
}
