//! Model-based test of the reception flow: random input sequences against every persona and
//! mode, with the virtual card answering, and the invariants checked after every output:
//!
//! 1. no VERIFY reaches the user-authentication PIN after the card reported it blocked;
//! 2. one VERIFY per well-formed PIN entry the visit took, none for a malformed one;
//! 3. no consent screen before identity evidence;
//! 4. the on-reader staff check confirms only with the right passcode;
//! 5. removal (or walking away) leaves no partial consent;
//! 6. every retry count shown is the card's last report.
//!
//! (That a mode changes only by an admin is the property test in `tests/facility.rs`.)

mod common;

use common::harness::{STAFF_PASSCODE, facility, secret, staff};
use common::{morning, today};
use onshi::ReaderCapabilities;
use onshi::apdu::StatusWord;
use onshi::card::{Pin, PinKind, PinSlot};
use onshi::face::{FaceCapture, MatchScore};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    ConsentStatus, EndReason, IdentityMethod, Input, MethodChoice, Output, ReaderContext, Screen,
    StaffCheckKind, VisitEvent, VisitResult, VisitSettings, VisitStage,
};
use onshi::sim::{Persona, VirtualCard};
use onshi::time::Timestamp;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
    PlaceCard,
    RemoveCard,
    ResetCard,
    OcrRight,
    OcrWrong,
    OcrUnreadable,
    Choose(MethodChoice),
    RightPin,
    WrongPin,
    MalformedPin,
    ConfirmLastTry,
    DeclareRepresentative,
    NextFaceScore(u16),
    RightPasscode,
    WrongPasscode,
    StaffOnTerminal,
    IPhone,
    Consent(bool),
    Wait(i64),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::PlaceCard),
        1 => Just(Action::RemoveCard),
        1 => Just(Action::ResetCard),
        2 => Just(Action::OcrRight),
        1 => Just(Action::OcrWrong),
        1 => Just(Action::OcrUnreadable),
        3 => prop_oneof![Just(MethodChoice::Face), Just(MethodChoice::Pin), Just(MethodChoice::StaffCheck)].prop_map(Action::Choose),
        2 => Just(Action::RightPin),
        4 => Just(Action::WrongPin),
        1 => Just(Action::MalformedPin),
        2 => Just(Action::ConfirmLastTry),
        1 => Just(Action::DeclareRepresentative),
        2 => (0u16..=1000).prop_map(Action::NextFaceScore),
        1 => Just(Action::RightPasscode),
        2 => Just(Action::WrongPasscode),
        1 => Just(Action::StaffOnTerminal),
        1 => Just(Action::IPhone),
        3 => any::<bool>().prop_map(Action::Consent),
        1 => prop_oneof![Just(5i64), Just(60), Just(200)].prop_map(Action::Wait),
    ]
}

/// The reference model: what the test knows independently of the visit.
struct Model {
    card: VirtualCard,
    next_score: Option<u16>,
    identity_seen: bool,
    right_passcode_taken: bool,
    wellformed_pins_taken: usize,
    blocked_reported_at: Option<usize>,
}

impl Model {
    /// Runs the visit's outputs, checking invariants 3 and 6 as they come.
    fn pump(
        &mut self,
        visit: &mut onshi::reception::Visit,
        now: Timestamp,
    ) -> Result<(), TestCaseError> {
        while let Some(output) = visit.poll() {
            match output {
                Output::Transmit(command) => {
                    let response = self.card.respond(command.bytes());
                    visit.handle(now, Input::CardResponse(&response)).unwrap();
                }
                Output::CaptureFace => {
                    visit
                        .handle(now, Input::FaceCaptured(FaceCapture::new(vec![1; 8])))
                        .unwrap();
                }
                Output::MatchFace { .. } => {
                    let score = MatchScore::from_per_mille(self.next_score.unwrap_or(0));
                    visit.handle(now, Input::FaceMatched(Ok(score))).unwrap();
                }
                Output::Audit(event) => {
                    if matches!(event.event, VisitEvent::IdentityConfirmed { .. }) {
                        self.identity_seen = true;
                    }
                    if let VisitEvent::IdentityConfirmed {
                        method:
                            IdentityMethod::StaffCheck {
                                kind: StaffCheckKind::OnReader,
                                ..
                            },
                    } = event.event
                    {
                        prop_assert!(
                            self.right_passcode_taken,
                            "staff check without the right passcode"
                        );
                    }
                }
                Output::Show(screen) => {
                    if matches!(screen, Screen::Consent { .. }) {
                        prop_assert!(self.identity_seen, "consent before identity");
                    }
                    let shown = match screen {
                        Screen::EnterPin { tries_left }
                        | Screen::WrongPin { tries_left }
                        | Screen::PinFormatInvalid { tries_left } => Some(tries_left),
                        Screen::ChooseMethod { pin_tries_left, .. } => pin_tries_left,
                        _ => None,
                    };
                    if let Some(tries) = shown {
                        prop_assert_eq!(
                            Some(tries),
                            self.card.pin_remaining(PinSlot::UserAuth),
                            "shown count is not the card's"
                        );
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Invariants 1 and 2, from the card's own log.
    fn check_card_log(&mut self) -> Result<(), TestCaseError> {
        let mut current = None;
        let mut verifies = 0;
        let mut blocked_at = None;
        for (i, entry) in self.card.log().iter().enumerate() {
            let Some(command) = entry.command() else {
                continue;
            };
            match (command.instruction(), command.p1()) {
                (0xA4, 0x04) => current = None,
                (0xA4, 0x02) if entry.status() == StatusWord::SUCCESS => {
                    current = Some(command.data().to_vec())
                }
                _ => {}
            }
            let on_user_pin = current.as_deref() == Some(&[0x00, 0x18][..]);
            if on_user_pin && entry.is_pin_verification() {
                prop_assert!(
                    blocked_at.is_none(),
                    "VERIFY after the card reported the PIN blocked"
                );
                verifies += 1;
            }
            if on_user_pin && command.instruction() == 0x20 {
                let sw = entry.status().to_u16();
                if sw == 0x63C0 || sw == 0x6983 || sw == 0x6984 {
                    blocked_at.get_or_insert(i);
                }
            }
        }
        self.blocked_reported_at = blocked_at;
        prop_assert_eq!(
            verifies,
            self.wellformed_pins_taken,
            "one VERIFY per well-formed PIN entry"
        );
        Ok(())
    }
}

fn persona() -> impl Strategy<Value = Persona> {
    prop::sample::select(Persona::ALL.to_vec())
}

fn mode() -> impl Strategy<Value = ReaderMode> {
    prop_oneof![
        Just(ReaderMode::Unattended),
        Just(ReaderMode::PinOnly),
        Just(ReaderMode::LegacyVisual)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn invariants_hold_for_any_input_sequence(
        persona in persona(),
        mode in mode(),
        actions in prop::collection::vec(action(), 1..40),
    ) {
        let facility = facility(mode);
        let context = ReaderContext::from_facility(&facility, ReaderId::new(1), ReaderCapabilities::SHORT_ONLY).unwrap();
        let mut now = morning();
        let mut visit = onshi::reception::Visit::new(context, VisitSettings::default(), now);
        let mut model = Model {
            card: persona.card(today()),
            next_score: None,
            identity_seen: false,
            right_passcode_taken: false,
            wellformed_pins_taken: 0,
            blocked_reported_at: None,
        };
        model.pump(&mut visit, now)?;
        let holder = persona.holder(today());
        for action in actions {
            let before = visit.stage();
            let result = match action {
                Action::PlaceCard => visit.handle(now, Input::CardPlaced),
                Action::RemoveCard => visit.handle(now, Input::CardRemoved),
                Action::ResetCard => { model.card.warm_reset(); visit.handle(now, Input::CardReset) }
                Action::OcrRight => visit.handle(now, Input::VerificationNumberB(holder.verification_number_b().unwrap())),
                Action::OcrWrong => visit.handle(now, Input::VerificationNumberB(Pin::new(PinKind::VerificationNumberB, "99010120309999").unwrap())),
                Action::OcrUnreadable => visit.handle(now, Input::VerificationNumberBUnreadable),
                Action::Choose(choice) => visit.handle(now, Input::Choose(choice)),
                Action::RightPin | Action::WrongPin | Action::MalformedPin => {
                    let text = match action { Action::RightPin => "1234", Action::WrongPin => "0000", _ => "12a" };
                    let result = visit.handle(now, Input::PinEntered(secret(text)));
                    if result.is_ok() && text.len() == 4 {
                        prop_assert!(matches!(before, VisitStage::PinEntry { .. }), "PIN taken outside the entry");
                        model.wellformed_pins_taken += 1;
                    }
                    result
                }
                Action::ConfirmLastTry => visit.handle(now, Input::ConfirmLastTry),
                Action::DeclareRepresentative => visit.handle(now, Input::DeclareLegalRepresentative),
                Action::NextFaceScore(score) => { model.next_score = Some(score); Ok(()) }
                Action::RightPasscode | Action::WrongPasscode => {
                    let code = if matches!(action, Action::RightPasscode) { STAFF_PASSCODE } else { "0000" };
                    let result = visit.handle(now, Input::StaffPasscode { staff_id: staff("s1"), passcode: secret(code) });
                    if result.is_ok() && code == STAFF_PASSCODE {
                        model.right_passcode_taken = true;
                    }
                    result
                }
                Action::StaffOnTerminal => visit.handle(now, Input::StaffConfirmedOnTerminal { staff_id: staff("s2") }),
                Action::IPhone => visit.handle(now, Input::IPhoneAuthenticated { certificate_der: None }),
                Action::Consent(agreed) => visit.handle(now, Input::ConsentAnswer(agreed)),
                Action::Wait(seconds) => { now = now.saturating_add_seconds(seconds); visit.handle(now, Input::Tick) }
            };
            if result.is_err() {
                prop_assert_eq!(visit.stage(), before, "a rejected input changed the stage");
            }
            model.pump(&mut visit, now)?;
            model.check_card_log()?;
        }
        // Invariant 5: consent is whole or absent.
        if let Some(outcome) = visit.outcome() {
            match &outcome.result {
                VisitResult::Confirmed { consent: ConsentStatus::Given(record), .. } => {
                    prop_assert_eq!(record.answers.len(), 3);
                }
                VisitResult::Confirmed { consent: ConsentStatus::NotFinished { reason }, .. } => {
                    prop_assert!(matches!(reason, EndReason::CardRemoved | EndReason::TimedOut | EndReason::CardOrReaderError));
                }
                _ => {}
            }
            prop_assert!(outcome.consent().is_none() || model.identity_seen);
        }
    }
}
