//! The reception flow: one patient's visit at the face-recognition card reader, sans-IO.
//!
//! A [`Visit`] takes [`Input`]s (card events, card responses, the patient's choices, the PIN,
//! the face capture and match, staff actions, consent answers, ticks) and yields [`Output`]s
//! (commands to transmit, screens, capture and match requests, deadlines, audit events, the
//! outcome). It never reads a clock: every input comes with the time. Behind the runtime
//! machine are the typed states of [`typed`], which make the dangerous orders impossible.
//!
//! # Run loop
//!
//! ```
//! use onshi::reception::{Input, Output, ReaderContext, Visit, VisitSettings};
//! use onshi::facility::{ReaderId, ReaderMode};
//! use onshi::sim::Persona;
//! use onshi::time::{Date, Timestamp};
//! use onshi::{ReaderCapabilities, SecretBytes};
//!
//! let now = Timestamp::from_date_time(Date::new(2026, 11, 27).unwrap(), 0, 30, 0).unwrap();
//! let mut card = Persona::Standard.card(now.date_in_japan());
//! let context = ReaderContext {
//!     reader: ReaderId::new(1),
//!     mode: ReaderMode::PinOnly,
//!     mode_since: now,
//!     staff_passcode: None,
//!     capabilities: ReaderCapabilities::SHORT_ONLY,
//! };
//! let mut visit = Visit::new(context, VisitSettings::default(), now);
//! visit.handle(now, Input::CardPlaced)?;
//! let mut pin_sent = false;
//! loop {
//!     let Some(output) = visit.poll() else {
//!         // Waiting for the patient: here, the PIN, once.
//!         if pin_sent { break; }
//!         pin_sent = true;
//!         visit.handle(now, Input::PinEntered(SecretBytes::from(b"1234".to_vec())))?;
//!         continue;
//!     };
//!     match output {
//!         Output::Transmit(command) => {
//!             let response = card.respond(command.bytes());
//!             visit.handle(now, Input::CardResponse(&response))?;
//!         }
//!         Output::Show(screen) => println!("{}", screen.text().en),
//!         Output::Finished(outcome) => { println!("{:?}", outcome.result); break; }
//!         _ => {}
//!     }
//! }
//! # assert!(visit.outcome().is_some() || visit.stage() == onshi::reception::VisitStage::Consent);
//! # Ok::<(), onshi::reception::InputRejected>(())
//! ```

mod driver;
mod outcome;
mod screen;
mod settings;
pub mod typed;
mod visit;

pub use driver::{ReceptionUi, run_visit};
pub use outcome::{
    AuditEvent, ConsentAnswer, ConsentRecord, ConsentStatus, EligibilityOnlyReason, EndReason,
    IdentityMethod, MethodChoice, Outcome, RefusalReason, SmartphonePlatform, StaffCheckKind,
    StaffId, VisitEvent, VisitResult,
};
pub use screen::{Screen, ScreenText};
pub use settings::{ConsentItem, ConsentSettings, StaffCheckAvailability, VisitSettings};
pub use typed::{
    ConsentFlow, ConsentStep, FaceAttempt, FaceResult, FreshRetryCount, IdentityEvidence, PinEntry,
    PinResult, PinSubmission, StaffCheck, StaffCheckResult, SubmissionPoll, SubmitRefused,
};
pub use visit::{
    Input, InputKind, InputRejected, Output, ReaderContext, StaffNotice, Transmit, Visit,
    VisitStage,
};
