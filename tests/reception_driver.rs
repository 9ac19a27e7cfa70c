//! The blocking driver runs whole visits over a reader, a face matcher and a UI.

mod common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use common::harness::facility;
use common::{morning, today};
use onshi::face::FaceCapture;
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    ConsentStatus, EndReason, IdentityMethod, InputKind, InputRejected, MethodChoice, ReceptionUi,
    RejectReason, Screen, UserInput, Visit, VisitResult, VisitSettings, VisitStage, run_visit,
};
use onshi::sim::{
    HOLDER_SCORE, Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder,
    capture_of_someone_else,
};
use onshi::time::Timestamp;
use onshi::{CardEvent, CardReader, ReaderCapabilities, TransportError};

/// What happens next around the reader: an input, or something done to the reader (by the
/// patient, or by another program on the terminal) before the next input.
enum Step {
    Input(UserInput),
    Meanwhile(fn(&mut VirtualReader)),
}

struct ScriptedUi {
    now: Timestamp,
    steps: VecDeque<Step>,
    camera: VecDeque<FaceCapture>,
    screens: Vec<Screen>,
    rejected: Vec<InputRejected>,
    /// The reader, for [`Step::Meanwhile`].
    reader: Option<Rc<RefCell<VirtualReader>>>,
}

impl ScriptedUi {
    fn new(inputs: Vec<UserInput>, camera: Vec<FaceCapture>) -> Self {
        Self::with_steps(inputs.into_iter().map(Step::Input).collect(), camera)
    }

    fn with_steps(steps: Vec<Step>, camera: Vec<FaceCapture>) -> Self {
        Self {
            now: morning(),
            steps: steps.into(),
            camera: camera.into(),
            screens: Vec::new(),
            rejected: Vec::new(),
            reader: None,
        }
    }
}

/// What another program got for one of its commands.
type InterloperResult = Result<Vec<u8>, TransportError>;

/// A reader shared with the people around it and with another program on the terminal, which
/// tries to send `interloper` just before each of the visit's commands that starts with
/// `when`.
#[derive(Clone)]
struct SharedReader {
    reader: Rc<RefCell<VirtualReader>>,
    interloper: Option<(Vec<u8>, Vec<u8>)>,
    /// What the other program got each time.
    interloper_results: Rc<RefCell<Vec<InterloperResult>>>,
}

impl SharedReader {
    fn new(reader: VirtualReader) -> Self {
        Self {
            reader: Rc::new(RefCell::new(reader)),
            interloper: None,
            interloper_results: Rc::default(),
        }
    }
}

impl CardReader for SharedReader {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError> {
        let mut reader = self.reader.borrow_mut();
        if let Some((when, interloper)) = &self.interloper
            && command.starts_with(when)
        {
            let result = reader.send_from_another_program(interloper);
            self.interloper_results.borrow_mut().push(result);
        }
        reader.transmit(command, response)
    }

    fn take_card_event(&mut self) -> Option<CardEvent> {
        self.reader.borrow_mut().take_card_event()
    }

    fn capabilities(&self) -> ReaderCapabilities {
        self.reader.borrow().capabilities()
    }

    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.reader.borrow_mut().begin_exclusive()
    }

    fn end_exclusive(&mut self) {
        self.reader.borrow_mut().end_exclusive();
    }
}

impl ReceptionUi for ScriptedUi {
    fn show(&mut self, screen: &Screen) {
        self.screens.push(screen.clone());
    }

    fn next_input(&mut self, _stage: VisitStage, deadline: Timestamp) -> Option<UserInput> {
        loop {
            match self.steps.pop_front() {
                Some(Step::Input(input)) => {
                    self.now = self.now.saturating_add_seconds(2);
                    return Some(input);
                }
                Some(Step::Meanwhile(action)) => {
                    let reader = self.reader.as_ref().expect("a shared reader");
                    action(&mut reader.borrow_mut());
                }
                None => {
                    self.now = deadline;
                    return None;
                }
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
    let context = facility(mode)
        .begin_visit(ReaderId::new(1), ReaderCapabilities::SHORT_ONLY)
        .unwrap()
        .with_trust(onshi::sim::trust_anchors());
    Visit::new(
        context,
        VisitSettings::default(),
        morning(),
        onshi::card::authenticity::Challenge::from_random_bytes([0x44; 32]),
    )
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
            UserInput::VerificationNumberB(b),
            UserInput::Choose(MethodChoice::Face),
            UserInput::ConsentAnswer(true),
        ],
        vec![capture_of_someone_else(), capture_of_holder()],
    );
    let outcome = run_visit(
        &mut visit(ReaderMode::Unattended),
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
    // The OCR reads 照合番号B as the card is placed (the staff check, offered in PIN-only
    // mode, needs the photo), then the patient enters the PIN.
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    let mut ui = ScriptedUi::new(
        vec![
            UserInput::VerificationNumberB(b),
            UserInput::PinEntered("1234".into()),
        ],
        vec![],
    );
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
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
    assert!(ui.rejected.is_empty(), "{:?}", ui.rejected);
    assert!(
        !reader.is_exclusive(),
        "the exclusive span ended with the VERIFY"
    );
    // The application the PIN unlocked was left.
    assert!(reader.card().unwrap().unlocked_keys().is_empty());
}

#[test]
fn a_card_taken_away_before_the_visit_saw_it_leaves_the_visit_waiting() {
    let mut reader = reader_with(Persona::Standard);
    reader.remove();
    let mut ui = ScriptedUi::new(vec![], vec![]);
    let outcome = run_visit(
        &mut visit(ReaderMode::Unattended),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    // Inserted then removed before anything was read: the driver sees only the removal,
    // which the visit, with no card known, does not take.
    assert_eq!(
        outcome.result,
        VisitResult::NotConfirmed {
            reason: EndReason::TimedOut
        }
    );
    assert_eq!(
        ui.rejected,
        [InputRejected {
            stage: VisitStage::AwaitingCard,
            input: InputKind::CardRemoved,
            reason: RejectReason::NotExpected,
        }]
    );
}

fn verification_b() -> UserInput {
    UserInput::VerificationNumberB(
        Persona::Standard
            .holder(today())
            .verification_number_b()
            .unwrap(),
    )
}

/// SELECT of the JPKI-AP.
const SELECT_JPKI: [u8; 15] = [
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];

/// A wrong PIN as another program on the terminal would send it.
const ANOTHER_PROGRAMS_WRONG_PIN: [u8; 9] = [0x00, 0x20, 0x00, 0x98, 0x04, 0x39, 0x39, 0x39, 0x39];

#[test]
fn a_try_spent_by_another_program_while_the_patient_types_is_not_compounded() {
    let mut reader = SharedReader::new(reader_with(Persona::Standard));
    let mut ui = ScriptedUi::with_steps(
        vec![
            Step::Input(verification_b()),
            Step::Meanwhile(|reader| {
                reader.send_from_another_program(&SELECT_JPKI).unwrap();
                let answer = reader
                    .send_from_another_program(&ANOTHER_PROGRAMS_WRONG_PIN)
                    .unwrap();
                assert_eq!(answer, [0x63, 0xC2]);
            }),
            Step::Input(UserInput::PinEntered("1234".into())),
            // The count changed: nothing was sent, the entry is asked again.
            Step::Input(UserInput::PinEntered("1234".into())),
            Step::Input(UserInput::ConsentAnswer(true)),
        ],
        vec![],
    );
    ui.reader = Some(reader.reader.clone());
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    assert!(outcome.consent().is_some());
    assert!(ui.rejected.is_empty(), "{:?}", ui.rejected);
    let entry_screens: Vec<&Screen> = ui
        .screens
        .iter()
        .filter(|s| {
            matches!(
                s,
                Screen::EnterPin { .. } | Screen::PinCountChanged { .. } | Screen::WrongPin { .. }
            )
        })
        .collect();
    assert_eq!(
        entry_screens,
        [
            &Screen::EnterPin { tries_left: 3 },
            &Screen::PinCountChanged { tries_left: 2 },
            &Screen::EnterPin { tries_left: 2 },
        ]
    );
    let reader = reader.reader.borrow();
    let card = reader.card().unwrap();
    // Two VERIFYs reached the PIN: the other program's and the visit's one, the right PIN.
    let verifies: Vec<Vec<u8>> = card
        .log()
        .iter()
        .filter(|e| e.verified_slot() == Some(onshi::card::PinSlot::UserAuth))
        .map(|e| e.bytes().to_vec())
        .collect();
    assert_eq!(verifies.len(), 2);
    assert_eq!(verifies[0], ANOTHER_PROGRAMS_WRONG_PIN);
    assert_eq!(card.pin_remaining(onshi::card::PinSlot::UserAuth), Some(3));
}

#[test]
fn no_other_program_gets_between_the_count_and_the_verify() {
    let mut reader = SharedReader::new(reader_with(Persona::Standard));
    // Another program tries a wrong PIN just before each of the visit's PIN commands (the
    // count and the VERIFY).
    reader.interloper = Some((
        vec![0x00, 0x20, 0x00, 0x98],
        ANOTHER_PROGRAMS_WRONG_PIN.to_vec(),
    ));
    let mut ui = ScriptedUi::new(
        vec![
            verification_b(),
            UserInput::PinEntered("1234".into()),
            UserInput::ConsentAnswer(true),
        ],
        vec![],
    );
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    let results = reader.interloper_results.borrow();
    // At placement the count query is not exclusive: the other program gets its try in.
    // Before the VERIFY's count and before the VERIFY itself it is refused.
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[0].is_ok(), "{results:?}");
    assert_eq!(
        results[1..],
        [
            Err(TransportError::SharingViolation),
            Err(TransportError::SharingViolation)
        ]
    );
    // The try it spent at placement was seen before the entry, and the entry went through.
    assert!(ui.screens.contains(&Screen::EnterPin { tries_left: 2 }));
    assert!(
        !ui.screens
            .iter()
            .any(|s| matches!(s, Screen::PinCountChanged { .. }))
    );
    assert!(!reader.reader.borrow().is_exclusive());
}

#[test]
fn a_reset_while_the_patient_types_asks_the_pin_again_from_the_cards_count() {
    let mut reader = SharedReader::new(reader_with(Persona::Standard));
    let mut ui = ScriptedUi::with_steps(
        vec![
            Step::Input(verification_b()),
            Step::Input(UserInput::PinEntered("1111".into())),
            // The card is reset (a knock on the reader) as the patient enters the PIN: the
            // entry is not sent to a card the visit has not checked again.
            Step::Meanwhile(VirtualReader::reset),
            Step::Input(UserInput::PinEntered("1234".into())),
            Step::Input(UserInput::PinEntered("1234".into())),
            Step::Input(UserInput::ConsentAnswer(true)),
        ],
        vec![],
    );
    ui.reader = Some(reader.reader.clone());
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    // The entry made as the card was reset reaches the visit after the reset, while it checks
    // the card again: refused, never sent.
    assert_eq!(
        ui.rejected,
        [InputRejected {
            stage: VisitStage::Recovering,
            input: InputKind::PinEntered,
            reason: RejectReason::NotExpected
        }]
    );
    let entry_screens: Vec<&Screen> = ui
        .screens
        .iter()
        .filter(|s| matches!(s, Screen::EnterPin { .. } | Screen::WrongPin { .. }))
        .collect();
    assert_eq!(
        entry_screens,
        [
            &Screen::EnterPin { tries_left: 3 },
            &Screen::WrongPin { tries_left: 2 },
            &Screen::EnterPin { tries_left: 2 },
            // After the reset, from the count the card reports.
            &Screen::EnterPin { tries_left: 2 },
        ]
    );
    let reader = reader.reader.borrow();
    let card = reader.card().unwrap();
    let verifies = card
        .log()
        .iter()
        .filter(|e| e.verified_slot() == Some(onshi::card::PinSlot::UserAuth))
        .count();
    assert_eq!(verifies, 2, "the entry made before the reset was not sent");
    assert_eq!(card.pin_remaining(onshi::card::PinSlot::UserAuth), Some(3));
    assert!(card.unlocked_keys().is_empty());
}

/// 照合番号B of the persona's card, as the OCR reads it.
fn b_of(persona: Persona) -> UserInput {
    UserInput::VerificationNumberB(persona.holder(today()).verification_number_b().unwrap())
}

#[test]
fn a_pin_entered_as_the_card_is_swapped_is_not_sent_to_the_new_card() {
    let mut reader = SharedReader::new(reader_with(Persona::Standard));
    let mut ui = ScriptedUi::with_steps(
        vec![
            Step::Input(b_of(Persona::Standard)),
            Step::Input(UserInput::PinEntered("1111".into())),
            // The patient swaps cards as they enter the PIN of the first one.
            Step::Meanwhile(|reader| reader.insert(Persona::OneTryLeft.card(today()))),
            Step::Input(UserInput::PinEntered("1234".into())),
            // The new card is read from the start: its photo, its count (one try left).
            Step::Input(b_of(Persona::OneTryLeft)),
            Step::Input(UserInput::ConfirmLastTry),
            Step::Input(UserInput::PinEntered("1234".into())),
            Step::Input(UserInput::ConsentAnswer(true)),
        ],
        vec![],
    );
    ui.reader = Some(reader.reader.clone());
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    assert!(outcome.consent().is_some());
    // The entry made for the first card reaches the visit after the swap, while it reads
    // the new card: refused, never sent.
    assert_eq!(
        ui.rejected,
        [InputRejected {
            stage: VisitStage::ReadingCard,
            input: InputKind::PinEntered,
            reason: RejectReason::NotExpected
        }]
    );
    // PIN-only mode: the staff check is the other way (no face in this mode).
    assert!(ui.screens.contains(&Screen::LastTryWarning {
        other_ways: vec![MethodChoice::StaffCheck]
    }));
    let reader = reader.reader.borrow();
    let card = reader.card().unwrap();
    // The new card got one VERIFY: the PIN entered for it, after its own count.
    let verifies: Vec<Vec<u8>> = card
        .log()
        .iter()
        .filter(|e| e.verified_slot() == Some(onshi::card::PinSlot::UserAuth))
        .map(|e| e.bytes().to_vec())
        .collect();
    assert_eq!(verifies.len(), 1);
    assert_eq!(card.pin_remaining(onshi::card::PinSlot::UserAuth), Some(3));
    assert!(card.unlocked_keys().is_empty());
    // The outcome names the new card (the personas' chip serials end in their number).
    assert_eq!(outcome.card.unwrap().chip_serial, "0000000099000002");
}

#[test]
fn a_new_card_placed_while_the_ui_waits_is_seen_before_the_next_input() {
    let mut reader = SharedReader::new(reader_with(Persona::Standard));
    let mut ui = ScriptedUi::with_steps(
        vec![
            Step::Input(b_of(Persona::Standard)),
            Step::Input(UserInput::PinEntered("1111".into())),
            // While the entry is on screen, the patient swaps cards; the OCR reads the new
            // card's 照合番号B.
            Step::Meanwhile(|reader| reader.insert(Persona::OneTryLeft.card(today()))),
            Step::Input(b_of(Persona::OneTryLeft)),
            Step::Input(UserInput::ConfirmLastTry),
            Step::Input(UserInput::PinEntered("1234".into())),
            Step::Input(UserInput::ConsentAnswer(true)),
        ],
        vec![],
    );
    ui.reader = Some(reader.reader.clone());
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    // Observed: the new card's 照合番号B reaches the visit before the insertion, is refused
    // (the old card's was given), the new card then waits for one that never comes, and the
    // visit times out.
    assert!(ui.rejected.is_empty(), "{:?}", ui.rejected);
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
}

#[test]
fn a_card_removed_while_the_ui_waits_ends_the_visit_as_removed() {
    // The patient takes the card back while the PIN entry is on screen and walks away: the
    // removal, seen when the UI's wait ends, is why the visit ended (not the idle timeout).
    let mut reader = SharedReader::new(reader_with(Persona::Standard));
    let mut ui = ScriptedUi::with_steps(
        vec![Step::Meanwhile(|reader| {
            let _ = reader.remove();
        })],
        vec![],
    );
    ui.reader = Some(reader.reader.clone());
    let outcome = run_visit(
        &mut visit(ReaderMode::PinOnly),
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut ui,
    );
    assert_eq!(
        outcome.result,
        VisitResult::NotConfirmed {
            reason: EndReason::CardRemoved
        }
    );
    assert!(ui.screens.contains(&Screen::EnterPin { tries_left: 3 }));
}
