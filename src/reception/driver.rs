//! A thin blocking driver: runs a visit over a [`CardReader`], a [`FaceMatcher`] and a
//! [`ReceptionUi`], for products and examples that do not need their own loop.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::outcome::{AuditEvent, Outcome};
use super::screen::Screen;
use super::visit::{Input, InputRejected, Output, StaffNotice, Visit, VisitStage};
use crate::face::{FaceCapture, FaceMatcher};
use crate::reader::{CardEvent, CardReader};
use crate::time::Timestamp;

/// The people and devices around the reader: the screen, the keypad and touch panel, the
/// camera, the OCR, the staff terminal, and the clock.
pub trait ReceptionUi {
    /// Shows a screen to the patient.
    fn show(&mut self, screen: &Screen);

    /// Waits for the next input from the patient, the staff, the OCR or the phone (never a
    /// card response: the driver handles the card), up to `deadline`. `None` means the deadline
    /// passed with no input.
    fn next_input(&mut self, stage: VisitStage, deadline: Timestamp) -> Option<Input<'static>>;

    /// Takes a live capture with the camera; `None` if it could not.
    fn capture_face(&mut self) -> Option<FaceCapture>;

    /// The current time.
    fn now(&mut self) -> Timestamp;

    /// Records an audit event. The default drops it.
    fn audit(&mut self, _event: &AuditEvent) {}

    /// Tells the staff something (on the terminal). The default drops it.
    fn notify_staff(&mut self, _notice: &StaffNotice) {}

    /// An input the visit did not take at its stage (the UI offered something out of place).
    /// The default ignores it.
    fn input_rejected(&mut self, _rejected: &InputRejected) {}
}

/// Runs `visit` to its end and returns the outcome.
///
/// Card events come from the reader ([`CardReader::take_card_event`]) and are passed to the
/// visit before anything else. Each command is transmitted once; a transport error is passed
/// to the visit, which never resends a VERIFY.
pub fn run_visit<R, M, U>(mut visit: Visit, reader: &mut R, matcher: &mut M, ui: &mut U) -> Outcome
where
    R: CardReader + ?Sized,
    M: FaceMatcher + ?Sized,
    U: ReceptionUi + ?Sized,
{
    let mut response = Zeroizing::new(Vec::new());
    let mut deadline = ui.now();
    loop {
        if let Some(event) = reader.take_card_event() {
            let input = match event {
                CardEvent::Inserted => Input::CardPlaced,
                CardEvent::Removed => Input::CardRemoved,
                CardEvent::Reset => Input::CardReset,
            };
            let now = ui.now();
            if let Err(rejected) = visit.handle(now, input) {
                ui.input_rejected(&rejected);
            }
        }
        let Some(output) = visit.poll() else {
            if let Some(outcome) = visit.outcome() {
                return outcome.clone();
            }
            let stage = visit.stage();
            match ui.next_input(stage, deadline) {
                Some(input) => {
                    let now = ui.now();
                    if let Err(rejected) = visit.handle(now, input) {
                        ui.input_rejected(&rejected);
                    }
                }
                None => {
                    let now = ui.now().max(deadline);
                    let _ = visit.handle(now, Input::Tick);
                }
            }
            continue;
        };
        let now = ui.now();
        let result = match output {
            Output::Transmit(transmit) => {
                response.clear();
                response.resize(transmit.response_capacity(), 0);
                match reader.transmit(transmit.bytes(), &mut response) {
                    Ok(len) => {
                        let bytes = response.get(..len).unwrap_or(&[]);
                        visit.handle(now, Input::CardResponse(bytes))
                    }
                    Err(error) => visit.handle(now, Input::TransportFailed(error)),
                }
            }
            Output::Show(screen) => {
                ui.show(&screen);
                Ok(())
            }
            Output::CaptureFace => match ui.capture_face() {
                Some(capture) => visit.handle(now, Input::FaceCaptured(capture)),
                None => visit.handle(now, Input::FaceCaptureFailed),
            },
            Output::MatchFace {
                chip_photo,
                capture,
            } => {
                let result = matcher.match_faces(&chip_photo, &capture);
                visit.handle(now, Input::FaceMatched(result))
            }
            Output::Deadline(at) => {
                deadline = at;
                Ok(())
            }
            Output::Audit(event) => {
                ui.audit(&event);
                Ok(())
            }
            Output::StaffNotice(notice) => {
                ui.notify_staff(&notice);
                Ok(())
            }
            Output::Finished(outcome) => return outcome,
        };
        if let Err(rejected) = result {
            ui.input_rejected(&rejected);
        }
    }
}
