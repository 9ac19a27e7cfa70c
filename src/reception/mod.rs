//! The reception flow: one patient's visit at the face-recognition card reader, sans-IO.
//!
//! A [`Visit`] takes [`Input`]s (card events, card responses, and the people's and devices'
//! [`UserInput`]s) and yields [`Output`]s (commands to transmit, screens, capture and match
//! requests, audit events, staff notices, the outcome). It never reads a clock: every input
//! comes with the time.
//!
//! # Run loop
//!
//! Drain the outputs until [`Output::Wait`]; then wait for an input (or the time it names) and
//! feed it. The output enum is exhaustive: no wildcard arm, so no output is ever dropped.
//!
//! ```
//! use onshi::reception::{Input, Output, ReaderContext, UserInput, Visit, VisitSettings};
//! use onshi::facility::{ReaderId, ReaderMode};
//! use onshi::sim::Persona;
//! use onshi::time::Timestamp;
//! use onshi::{CardEvent, ReaderCapabilities};
//!
//! let now = Timestamp::from_jst(2026, 11, 27, 9, 30, 0).unwrap();
//! let mut card = Persona::Standard.card(now.date_in_japan());
//! let context = ReaderContext {
//!     reader: ReaderId::new(1),
//!     mode: ReaderMode::PinOnly,
//!     mode_since: now,
//!     staff_passcode: None,
//!     capabilities: ReaderCapabilities::SHORT_ONLY,
//!     legacy_reminder_seconds: 30 * 60,
//!     trust: onshi::sim::trust_anchors(),
//! };
//! // 32 fresh bytes from the operating system in a product.
//! let challenge = onshi::card::authenticity::Challenge::from_random_bytes([7; 32]);
//! let mut visit = Visit::new(context, VisitSettings::default(), now, challenge);
//! // What the patient does, in order.
//! let mut patient = vec![
//!     UserInput::ConsentAnswer(true),
//!     UserInput::PinEntered("1234".into()),
//! ];
//! visit.handle(now, CardEvent::Inserted)?;
//! let outcome = loop {
//!     match visit.poll() {
//!         Output::Transmit(command) => {
//!             let response = card.respond(command.bytes());
//!             visit.handle(now, Input::CardResponse(&response))?;
//!         }
//!         Output::Show(screen) => println!("{}", screen.text()),
//!         Output::CaptureFace | Output::MatchFace { .. } => unreachable!("PIN-only mode"),
//!         Output::Audit(_) | Output::StaffNotice(_) => {}
//!         Output::Wait { .. } => {
//!             let input = patient.pop().expect("the script covers the visit");
//!             visit.handle(now, input)?;
//!         }
//!         Output::Finished(outcome) => break outcome,
//!     }
//! };
//! assert!(outcome.consent().is_some());
//! # Ok::<(), onshi::reception::InputRejected>(())
//! ```
//!
//! [`run_visit`] is the same loop over a [`CardReader`](crate::CardReader), a
//! [`FaceMatcher`](crate::face::FaceMatcher) and a [`ReceptionUi`].
//!
//! # What makes it safe
//!
//! - The evidence of a check ([`IdentityEvidence`]) is made only by the check: there is no
//!   public constructor, so consent cannot be reached without one.
//! - A PIN is sent only with a retry count the card reported to this visit, re-read just
//!   before the VERIFY in the same exclusive span; a card change, however the reader reports
//!   it, starts the card over with fresh counts.
//! - Which methods are offered is one table ([`policy`]).
//! - After the identity is confirmed, the application a PIN or 照合番号B unlocked is left, so
//!   no other program on the terminal can use the key.

mod card_io;
mod driver;
mod evidence;
mod flow;
mod io;
mod outcome;
pub mod policy;
#[cfg(feature = "result-file")]
pub mod result_file;
mod screen;
mod settings;
mod visit;

pub use card_io::CardIdentity;
pub use driver::{ReceptionUi, run_visit};
pub use evidence::{ChipPhoto, IdentityEvidence};
pub use io::{
    Input, InputKind, InputRejected, Output, ReaderContext, RejectReason, StaffNotice, Transmit,
    UserInput,
};
pub use outcome::{
    AuditEvent, ConsentAnswer, ConsentCode, ConsentRecord, ConsentStatus, EligibilityOnlyReason,
    EndReason, IdentityMethod, MethodChoice, Outcome, PrescriptionIssue, RefusalReason,
    SmartphonePlatform, StaffCheckKind, StaffId, Verification, VisitEvent, VisitResult,
};
pub use screen::{Screen, ScreenText};
pub use settings::{ConsentItem, ConsentSettings, StaffCheckAvailability, VisitSettings};
pub use visit::{Visit, VisitStage};
