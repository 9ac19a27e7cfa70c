//! A visit driven by a script of card responses and user inputs (in the spirit of OpenSC's
//! virtual-reader fuzzing): the fuzzer plays the card, the patient and the staff at once. The
//! visit must never panic, and the invariants of the model-based test hold whatever the card
//! says:
//!
//! - no VERIFY with a PIN reaches EF 0018 while the card's last report for it is "blocked";
//! - at most one VERIFY per well-formed PIN entry the visit took;
//! - no consent screen before identity evidence;
//! - every retry count shown is the card's last report for EF 0018.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::card::{Pin, PinKind};
use onshi::face::{FaceCapture, MatchScore};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    Input, MethodChoice, Output, ReaderContext, Screen, StaffId, Visit, VisitEvent, VisitSettings,
};
use onshi::time::Timestamp;
use onshi::{ReaderCapabilities, SecretBytes, TransportError};

#[derive(Default)]
struct Watch {
    current_ef: Option<[u8; 2]>,
    last_command_ins: u8,
    last_command_ef: Option<[u8; 2]>,
    user_pin_last_report: Option<u8>,
    user_pin_blocked: bool,
    verifies: usize,
    pins_taken: usize,
    identity_seen: bool,
}

impl Watch {
    fn command(&mut self, bytes: &[u8]) {
        let [_, ins, p1, _, rest @ ..] = bytes else {
            return;
        };
        match (*ins, *p1) {
            (0xA4, 0x04) => self.current_ef = None,
            (0xA4, 0x02) => {
                if let [_, a, b] = rest {
                    self.current_ef = Some([*a, *b]);
                }
            }
            _ => {}
        }
        self.last_command_ins = *ins;
        self.last_command_ef = self.current_ef;
        let has_data = bytes.len() > 5;
        if *ins == 0x20 && has_data && self.current_ef == Some([0x00, 0x18]) {
            assert!(
                !self.user_pin_blocked,
                "VERIFY after the card reported the PIN blocked"
            );
            self.verifies += 1;
            assert!(
                self.verifies <= self.pins_taken,
                "more VERIFYs than PIN entries"
            );
        }
    }

    fn response(&mut self, bytes: &[u8]) {
        if self.last_command_ins != 0x20 || self.last_command_ef != Some([0x00, 0x18]) {
            return;
        }
        if let [.., sw1, sw2] = bytes {
            match (*sw1, *sw2) {
                (0x63, x) if x & 0xF0 == 0xC0 => {
                    self.user_pin_last_report = Some(x & 0x0F);
                    self.user_pin_blocked = x & 0x0F == 0;
                }
                (0x69, 0x83 | 0x84) => self.user_pin_blocked = true,
                // Verified (or "already verified" to the query): the counter is full.
                (0x90, 0x00) => {
                    self.user_pin_last_report = Some(3);
                    self.user_pin_blocked = false;
                }
                _ => {}
            }
        }
    }

    fn screen(&mut self, screen: &Screen) {
        if matches!(screen, Screen::Consent { .. }) {
            assert!(self.identity_seen, "consent before identity");
        }
        let shown = match screen {
            Screen::WrongPin { tries_left } | Screen::PinFormatInvalid { tries_left } => {
                Some(*tries_left)
            }
            Screen::ChooseMethod { pin_tries_left, .. } => *pin_tries_left,
            _ => None,
        };
        if let Some(tries) = shown {
            assert_eq!(
                Some(tries),
                self.user_pin_last_report,
                "shown count is not the card's"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut script)) = data.split_first() else {
        return;
    };
    let mode = [
        ReaderMode::Unattended,
        ReaderMode::PinOnly,
        ReaderMode::LegacyVisual,
    ][usize::from(setup % 3)];
    let now0 = Timestamp::from_unix_seconds(1_795_737_600);
    let context = ReaderContext {
        reader: ReaderId::new(1),
        mode,
        mode_since: now0,
        staff_passcode: None,
        capabilities: if setup & 0x80 != 0 {
            ReaderCapabilities::EXTENDED_LENGTH
        } else {
            ReaderCapabilities::SHORT_ONLY
        },
    };
    let mut now = now0;
    let mut visit = Visit::new(context, VisitSettings::default(), now);
    let mut watch = Watch::default();
    let mut waiting_for_card = false;
    loop {
        while let Some(output) = visit.poll() {
            match output {
                Output::Transmit(command) => {
                    watch.command(command.bytes());
                    waiting_for_card = true;
                }
                Output::Show(screen) => watch.screen(&screen),
                Output::Audit(event) => {
                    if matches!(event.event, VisitEvent::IdentityConfirmed { .. }) {
                        watch.identity_seen = true;
                    }
                }
                _ => {}
            }
        }
        let Some((&op, rest)) = script.split_first() else {
            break;
        };
        script = rest;
        let mut take = |n: usize| {
            let n = n.min(script.len());
            let (head, tail) = script.split_at(n);
            script = tail;
            head.to_vec()
        };
        let stage = visit.stage();
        let before_pins = watch.pins_taken;
        let result = match op % 14 {
            0 => visit.handle(now, Input::CardPlaced),
            1 => visit.handle(now, Input::CardRemoved),
            2 => visit.handle(now, Input::CardReset),
            3 | 4 | 5 => {
                let len = take(1).first().copied().unwrap_or(0);
                let response = take(usize::from(len));
                let result = visit.handle(now, Input::CardResponse(&response));
                // Only a response to a command in flight is the card's report.
                if waiting_for_card && result.is_ok() {
                    watch.response(&response);
                }
                waiting_for_card = false;
                result
            }
            6 => {
                let choice = [
                    MethodChoice::Face,
                    MethodChoice::Pin,
                    MethodChoice::StaffCheck,
                ][usize::from(take(1).first().copied().unwrap_or(0) % 3)];
                visit.handle(now, Input::Choose(choice))
            }
            7 => {
                let pin = take(4);
                let wellformed = pin.len() == 4 && pin.iter().all(u8::is_ascii_digit);
                let entry = matches!(stage, onshi::reception::VisitStage::PinEntry { .. });
                if wellformed && entry {
                    watch.pins_taken += 1;
                }
                visit.handle(now, Input::PinEntered(SecretBytes::from(pin)))
            }
            8 => visit.handle(now, Input::ConfirmLastTry),
            9 => visit.handle(
                now,
                Input::ConsentAnswer(take(1).first().is_some_and(|b| b & 1 == 1)),
            ),
            10 => {
                let score = take(2);
                let per_mille = u16::from_be_bytes([
                    score.first().copied().unwrap_or(0),
                    score.get(1).copied().unwrap_or(0),
                ]);
                let _ = visit.handle(now, Input::FaceCaptured(FaceCapture::new(vec![0; 4])));
                visit.handle(
                    now,
                    Input::FaceMatched(Ok(MatchScore::from_per_mille(per_mille))),
                )
            }
            11 => {
                let digits = take(14);
                match core::str::from_utf8(&digits)
                    .ok()
                    .and_then(|t| Pin::new(PinKind::VerificationNumberB, t).ok())
                {
                    Some(b) => visit.handle(now, Input::VerificationNumberB(b)),
                    None => visit.handle(now, Input::VerificationNumberBUnreadable),
                }
            }
            12 => {
                now = now.saturating_add_seconds(i64::from(take(1).first().copied().unwrap_or(0)));
                visit.handle(now, Input::Tick)
            }
            _ => {
                if waiting_for_card {
                    waiting_for_card = false;
                    visit.handle(now, Input::TransportFailed(TransportError::Timeout))
                } else {
                    visit.handle(
                        now,
                        Input::StaffConfirmedOnTerminal {
                            staff_id: StaffId::new("s").expect("valid"),
                        },
                    )
                }
            }
        };
        if result.is_err() {
            watch.pins_taken = before_pins;
            assert_eq!(visit.stage(), stage, "a rejected input changed the stage");
        }
    }
    let _ = visit.outcome();
});
