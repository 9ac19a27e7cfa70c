//! A thin blocking driver: runs a visit over a [`CardReader`], a [`FaceMatcher`] and a
//! [`ReceptionUi`], for products and examples that do not need their own loop.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::io::{Input, InputRejected, Output, StaffNotice, UserInput};
use super::outcome::{AuditEvent, Outcome};
use super::screen::Screen;
use super::visit::{Visit, VisitStage};
use crate::card::Span;
use crate::face::{FaceCapture, FaceMatcher};
use crate::reader::CardReader;
use crate::time::Timestamp;

/// The people and devices around the reader: the screen, the keypad and touch panel, the
/// camera, the OCR, the staff terminal, and the clock. It produces [`UserInput`]s only: the
/// card's answers come from the reader, never from a UI.
pub trait ReceptionUi {
    /// Shows a screen to the patient.
    fn show(&mut self, screen: &Screen);

    /// Waits for the next input from the patient, the staff, the OCR or the phone, up to
    /// `deadline`. `None` means the deadline passed with no input.
    fn next_input(&mut self, stage: VisitStage, deadline: Timestamp) -> Option<UserInput>;

    /// Takes a live capture with the camera; `None` if it could not.
    fn capture_face(&mut self) -> Option<FaceCapture>;

    /// The current time.
    fn now(&mut self) -> Timestamp;

    /// Records an audit event. The default drops it.
    fn audit(&mut self, _event: &AuditEvent) {}

    /// Tells the staff something (on the terminal). The default drops it.
    fn notify_staff(&mut self, _notice: &StaffNotice) {}

    /// An input the visit did not take (the UI offered something out of place), with the
    /// reason. The default ignores it.
    fn input_rejected(&mut self, _rejected: &InputRejected) {}
}

/// Runs `visit` to its end and returns the outcome.
///
/// Card events come from the reader ([`CardReader::take_card_event`]) and are passed to the
/// visit before anything else, again before every command, and after every wait for input
/// (before the input): a command meant for a card that was reset or replaced in between is
/// dropped, not sent, and an input given while it happened goes to the visit as it stands after
/// it. While [`ReceptionUi::next_input`] waits, the reader is not watched: a product that must
/// react to the card at once drives [`Visit`] from its own event loop. Commands marked exclusive are
/// sent while the card is this program's alone. Each command is transmitted once; a transport
/// error is passed to the visit, which never resends a VERIFY.
pub fn run_visit<R, M, U>(visit: &mut Visit, reader: &mut R, matcher: &mut M, ui: &mut U) -> Outcome
where
    R: CardReader + ?Sized,
    M: FaceMatcher + ?Sized,
    U: ReceptionUi + ?Sized,
{
    let mut response = Zeroizing::new(Vec::new());
    let mut exclusive = false;
    loop {
        if let Some(event) = reader.take_card_event() {
            let now = ui.now();
            if let Err(rejected) = visit.handle(now, Input::Card(event)) {
                ui.input_rejected(&rejected);
            }
        }
        let output = visit.poll();
        // An exclusive span ends before a command that is not part of it and before anything
        // that waits (for a person, the camera, the matcher); screens, audit events and staff
        // notices are handed out at once and do not end it.
        let keep = match &output {
            Output::Transmit(t) => matches!(t.span(), Span::Exclusive { .. }),
            Output::Show(_) | Output::Audit(_) | Output::StaffNotice(_) => true,
            Output::CaptureFace
            | Output::MatchFace { .. }
            | Output::Wait { .. }
            | Output::Finished(_) => false,
        };
        if exclusive && !keep {
            reader.end_exclusive();
            exclusive = false;
        }
        let now = ui.now();
        let result = match output {
            Output::Transmit(transmit) => {
                if let Some(event) = reader.take_card_event() {
                    // The card changed since the command was made: it is not sent.
                    drop(transmit);
                    visit.handle(now, Input::Card(event))
                } else if matches!(transmit.span(), Span::Exclusive { .. })
                    && !exclusive
                    && let Err(error) = reader.begin_exclusive()
                {
                    visit.handle(now, Input::TransportFailed(error))
                } else {
                    if matches!(transmit.span(), Span::Exclusive { .. }) {
                        exclusive = true;
                    }
                    response.clear();
                    response.resize(transmit.response_capacity(), 0);
                    let sent = reader.transmit(transmit.bytes(), &mut response);
                    if exclusive && transmit.span() != (Span::Exclusive { hold: true }) {
                        reader.end_exclusive();
                        exclusive = false;
                    }
                    match sent {
                        Ok(len) => {
                            let bytes = response.get(..len).unwrap_or(&[]);
                            visit.handle(now, Input::CardResponse(bytes))
                        }
                        Err(error) => visit.handle(now, Input::TransportFailed(error)),
                    }
                }
            }
            Output::Show(screen) => {
                ui.show(&screen);
                Ok(())
            }
            Output::CaptureFace => match ui.capture_face() {
                Some(capture) => visit.handle(now, UserInput::FaceCaptured(capture)),
                None => visit.handle(now, UserInput::FaceCaptureFailed),
            },
            Output::MatchFace {
                chip_photo,
                capture,
            } => {
                let result = matcher.match_faces(&chip_photo, &capture);
                visit.handle(now, UserInput::FaceMatched(result))
            }
            Output::Audit(event) => {
                ui.audit(&event);
                Ok(())
            }
            Output::StaffNotice(notice) => {
                ui.notify_staff(&notice);
                Ok(())
            }
            Output::Wait { until } => {
                let input = ui.next_input(visit.stage(), until);
                // What happened to the card while the UI waited comes first: the input then
                // goes to the visit as it stands after it (a PIN typed for a card that was
                // replaced is refused, never sent to the new one).
                if let Some(event) = reader.take_card_event() {
                    let now = ui.now();
                    if let Err(rejected) = visit.handle(now, Input::Card(event)) {
                        ui.input_rejected(&rejected);
                    }
                }
                match input {
                    Some(input) => {
                        let now = ui.now();
                        visit.handle(now, input)
                    }
                    None => {
                        let now = ui.now().max(until);
                        visit.handle(now, Input::Tick)
                    }
                }
            }
            Output::Finished(outcome) => {
                if exclusive {
                    reader.end_exclusive();
                }
                return outcome;
            }
        };
        if let Err(rejected) = result {
            ui.input_rejected(&rejected);
        }
    }
}
