//! Integrate your reader: the three things a product connects to onshi — its card reader, its
//! face matcher, its screen and keypad — and one visit driven by a hand-written event loop.
//!
//! ```sh
//! cargo run --example integrate
//! ```
//!
//! The reader and the matcher here stand in for a vendor's own drivers (they forward to the
//! virtual card and its stand-in matcher); replace their bodies with yours.

use onshi::face::{FaceCapture, FaceMatchError, FaceMatcher, MatchScore};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{Input, Output, ReaderContext, UserInput, Visit, VisitSettings};
use onshi::sim::{Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder};
use onshi::time::Timestamp;
use onshi::{CardEvent, CardReader, ReaderCapabilities, TransportError};

/// Your card reader's driver.
struct MyReader(VirtualReader);

impl CardReader for MyReader {
    // Send once, never retry; say the card may have seen it when in doubt.
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError> {
        self.0.transmit(command, response)
    }
    // Reset, removal, insertion since the last call.
    fn take_card_event(&mut self) -> Option<CardEvent> {
        self.0.take_card_event()
    }
    fn capabilities(&self) -> ReaderCapabilities {
        ReaderCapabilities::SHORT_ONLY
    }
    // Keep other programs off the card for the few commands of a PIN check.
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.0.begin_exclusive()
    }
    fn end_exclusive(&mut self) {
        self.0.end_exclusive();
    }
}

/// Your face-matching engine.
struct MyMatcher;

impl FaceMatcher for MyMatcher {
    fn match_faces(
        &mut self,
        chip_photo: &[u8],
        capture: &FaceCapture,
    ) -> Result<MatchScore, FaceMatchError> {
        VirtualFaceMatcher.match_faces(chip_photo, capture)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = Timestamp::from_jst(2026, 11, 27, 9, 30, 0).ok_or("time")?;
    let persona = Persona::Standard;
    let mut reader = MyReader(VirtualReader::new());
    let mut matcher = MyMatcher;
    // In a product the facility makes it (`Facility::begin_visit`) and takes the visit back
    // when it is over (`Facility::finish`).
    let context = ReaderContext {
        reader: ReaderId::new(1),
        mode: ReaderMode::Unattended,
        mode_since: now,
        staff_passcode: None,
        capabilities: reader.capabilities(),
        legacy_reminder_seconds: 30 * 60,
        trust: onshi::sim::trust_anchors(),
    };
    // Each visit's challenge: 32 fresh bytes from the operating system, never reused.
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)?;
    let challenge = onshi::card::authenticity::Challenge::from_random_bytes(random);
    let mut visit = Visit::new(context, VisitSettings::default(), now, challenge);

    // The patient places the card; the OCR reads 照合番号B; the patient picks face, consents.
    reader.0.insert(persona.card(now.date_in_japan()));
    let mut patient = vec![
        UserInput::ConsentAnswer(true),
        UserInput::Choose(onshi::reception::MethodChoice::Face),
        UserInput::VerificationNumberB(
            persona
                .holder(now.date_in_japan())
                .verification_number_b()?,
        ),
    ];

    // The event loop: card events first, then drain the outputs until the visit waits.
    let outcome = loop {
        if let Some(event) = reader.take_card_event() {
            visit.handle(now, event)?;
        }
        match visit.poll() {
            Output::Transmit(command) => {
                // Real products begin/end the exclusive span as `command.span()` says (the
                // blocking driver `run_visit` does it for you).
                let mut response = vec![0; command.response_capacity()];
                match reader.transmit(command.bytes(), &mut response) {
                    Ok(len) => {
                        let answer = response.get(..len).unwrap_or(&[]);
                        visit.handle(now, Input::CardResponse(answer))?;
                    }
                    Err(error) => visit.handle(now, Input::TransportFailed(error))?,
                }
            }
            Output::Show(screen) => println!("[screen] {}", screen.text()),
            Output::CaptureFace => {
                visit.handle(now, UserInput::FaceCaptured(capture_of_holder()))?;
            }
            Output::MatchFace {
                chip_photo,
                capture,
            } => {
                let result = matcher.match_faces(&chip_photo, &capture);
                visit.handle(now, UserInput::FaceMatched(result))?;
            }
            Output::Audit(event) => println!("[audit] {:?}", event.event),
            Output::StaffNotice(notice) => println!("[staff] {notice}"),
            // Arm a timer for `until`; here the patient acts at once.
            Output::Wait { until: _ } => match patient.pop() {
                Some(input) => visit.handle(now, input)?,
                None => visit.handle(now, Input::Tick)?,
            },
            Output::Finished(outcome) => break outcome,
        }
    };
    println!("outcome: {outcome}");
    Ok(())
}
