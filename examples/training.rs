//! An interactive simulator for reception staff to practise the visual check and the fallback
//! flows before they meet them at the desk (the operating guidance asks facilities to
//! practise). It runs on virtual cards; nothing real is touched.
//!
//! Run: `cargo run --example training`, then type commands. It reads standard input line by
//! line, so it can be scripted:
//!
//! ```sh
//! printf '2\nface\nstaff\npasscode 4321\nyes\nq\n' | cargo run --example training
//! ```

use std::io::{BufRead, Write};

use onshi::card::PinSlot;
use onshi::face::FaceCapture;
use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
use onshi::reception::{
    ConsentStatus, Input, MethodChoice, ReaderContext, ReceptionUi, Screen, StaffId, Visit,
    VisitResult, VisitSettings, VisitStage, run_visit,
};
use onshi::sim::{
    Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder, capture_of_someone_else,
};
use onshi::time::{Date, Timestamp};
use onshi::{ReaderCapabilities, SecretBytes};

const PASSCODE: &str = "4321";
const READER: ReaderId = ReaderId::new(1);

struct Scenario {
    title: &'static str,
    persona: Persona,
    mode: ReaderMode,
    camera_matches: bool,
    hint: &'static str,
}

const SCENARIOS: [Scenario; 7] = [
    Scenario {
        title: "standard card, face authentication",
        persona: Persona::Standard,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "Let the patient choose face, then consent.",
    },
    Scenario {
        title: "face fails (backlight): fall back",
        persona: Persona::Standard,
        mode: ReaderMode::Unattended,
        camera_matches: false,
        hint: "After three failed captures, offer the PIN or do the visual check with the passcode.",
    },
    Scenario {
        title: "one try left on the PIN",
        persona: Persona::OneTryLeft,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "The reader warns before the last try: suggest face or the visual check instead.",
    },
    Scenario {
        title: "blocked PIN",
        persona: Persona::PinBlocked,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "The PIN is not offered. Tell the patient where to reset it; use face or the visual check.",
    },
    Scenario {
        title: "face-authentication card (no PIN)",
        persona: Persona::FaceAuthCard,
        mode: ReaderMode::Unattended,
        camera_matches: false,
        hint: "No PIN exists on this card: only face or the visual check.",
    },
    Scenario {
        title: "baby's card without a photo",
        persona: Persona::InfantNoPhoto,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "No photo: neither face nor the visual check. The parent enters the PIN (declare `rep`).",
    },
    Scenario {
        title: "legacy visual mode (目視確認モード)",
        persona: Persona::Standard,
        mode: ReaderMode::LegacyVisual,
        camera_matches: true,
        hint: "Check the card photo, confirm on the terminal (`terminal`); remember to switch the mode back.",
    },
];

const HELP: &str = "commands: face | pin | staff | enter NNNN | confirm | rep | passcode NNNN | terminal | yes | no | remove | wait | help";

struct TrainingUi<'a> {
    lines: &'a mut dyn Iterator<Item = String>,
    now: Timestamp,
    camera_matches: bool,
    ended: bool,
}

impl ReceptionUi for TrainingUi<'_> {
    fn show(&mut self, screen: &Screen) {
        let text = screen.text();
        println!("  [画面] {}\n         {}", text.ja, text.en);
    }

    fn next_input(&mut self, stage: VisitStage, deadline: Timestamp) -> Option<Input<'static>> {
        loop {
            print!("  ({stage:?}) > ");
            let _ = std::io::stdout().flush();
            let Some(line) = self.lines.next() else {
                self.ended = true;
                self.now = deadline;
                return None;
            };
            println!("{line}");
            self.now = self.now.saturating_add_seconds(5);
            let mut words = line.split_whitespace();
            let input = match (words.next(), words.next()) {
                (Some("face"), _) => Input::Choose(MethodChoice::Face),
                (Some("pin"), _) => Input::Choose(MethodChoice::Pin),
                (Some("staff"), _) => Input::Choose(MethodChoice::StaffCheck),
                (Some("enter"), Some(digits)) => {
                    Input::PinEntered(SecretBytes::from(digits.as_bytes().to_vec()))
                }
                (Some("confirm"), _) => Input::ConfirmLastTry,
                (Some("rep"), _) => Input::DeclareLegalRepresentative,
                (Some("passcode"), Some(code)) => Input::StaffPasscode {
                    staff_id: StaffId::new("trainee").unwrap_or_else(|| unreachable!("valid")),
                    passcode: SecretBytes::from(code.as_bytes().to_vec()),
                },
                (Some("terminal"), _) => Input::StaffConfirmedOnTerminal {
                    staff_id: StaffId::new("trainee").unwrap_or_else(|| unreachable!("valid")),
                },
                (Some("yes"), _) => Input::ConsentAnswer(true),
                (Some("no"), _) => Input::ConsentAnswer(false),
                (Some("remove"), _) => Input::CardRemoved,
                (Some("wait"), _) => {
                    self.now = deadline;
                    return None;
                }
                (Some("q" | "quit"), _) => {
                    self.ended = true;
                    self.now = deadline;
                    return None;
                }
                _ => {
                    println!("  {HELP}");
                    continue;
                }
            };
            return Some(input);
        }
    }

    fn capture_face(&mut self) -> Option<FaceCapture> {
        println!(
            "  (camera: {})",
            if self.camera_matches {
                "the patient's face"
            } else {
                "backlight, no match"
            }
        );
        Some(if self.camera_matches {
            capture_of_holder()
        } else {
            capture_of_someone_else()
        })
    }

    fn now(&mut self) -> Timestamp {
        self.now
    }

    fn input_rejected(&mut self, rejected: &onshi::reception::InputRejected) {
        println!(
            "  (not possible now: {:?} at {:?})",
            rejected.input, rejected.stage
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let date = Date::new(2026, 11, 27).ok_or("date")?;
    let start = Timestamp::from_date_time(date, 0, 0, 0).ok_or("time")?;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines().map_while(Result::ok);
    println!("onshi training — practise the reception desk (練習モード). Virtual cards only.");
    println!(
        "The facility's visual-check passcode for practice is {PASSCODE}; card PINs are 1234."
    );
    loop {
        println!("\nScenarios:");
        for (i, scenario) in SCENARIOS.iter().enumerate() {
            println!("  {}  {}", i + 1, scenario.title);
        }
        print!("Choose a scenario (q to quit): ");
        let _ = std::io::stdout().flush();
        let Some(choice) = lines.next() else {
            return Ok(());
        };
        println!("{choice}");
        if matches!(choice.trim(), "q" | "quit") {
            return Ok(());
        }
        let Some(scenario) = choice
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| SCENARIOS.get(n.wrapping_sub(1)))
        else {
            println!("no such scenario");
            continue;
        };
        println!(
            "\n== {} ==\nHint: {}\n{HELP}",
            scenario.title, scenario.hint
        );

        let mut facility = Facility::new(
            "trainer",
            "training-admin",
            [1; 16],
            start,
            HashCost::FAST_FOR_TESTS,
        )?;
        let Session::Admin(admin) = facility.login("trainer", "training-admin", start)? else {
            return Err("trainer is an admin".into());
        };
        facility.add_reader(&admin, READER, start)?;
        facility.set_reader_mode(&admin, READER, scenario.mode, start)?;
        facility.set_staff_passcode(
            &admin,
            &SecretBytes::from(PASSCODE.as_bytes().to_vec()),
            [2; 16],
            start,
        )?;
        let context =
            ReaderContext::from_facility(&facility, READER, ReaderCapabilities::SHORT_ONLY)
                .ok_or("reader")?;

        let card = scenario.persona.card(date);
        let before = card.pin_remaining(PinSlot::UserAuth);
        let mut reader = VirtualReader::new();
        reader.insert(card);
        println!("  (the patient places the card)");
        let visit = Visit::new(context, VisitSettings::default(), start);
        let mut ui = TrainingUi {
            lines: &mut lines,
            now: start,
            camera_matches: scenario.camera_matches,
            ended: false,
        };
        // The OCR reads 照合番号B as the card is placed.
        let outcome = {
            let b = scenario.persona.holder(date).verification_number_b()?;
            let mut first = Some(Input::VerificationNumberB(b));
            let mut with_ocr = OcrFirst {
                inner: &mut ui,
                first: &mut first,
            };
            run_visit(visit, &mut reader, &mut VirtualFaceMatcher, &mut with_ocr)
        };
        let after = reader
            .card()
            .and_then(|c| c.pin_remaining(PinSlot::UserAuth));
        println!("\nResult: {:?}", outcome.result);
        match &outcome.result {
            VisitResult::Confirmed {
                consent: ConsentStatus::Given(_),
                ..
            } => {
                println!("Well done: identity confirmed and consent recorded.");
            }
            VisitResult::Confirmed { .. } => {
                println!("Identity confirmed; the consent was not finished.")
            }
            _ => println!("Identity was not confirmed. Try the scenario again."),
        }
        if let (Some(before), Some(after)) = (before, after) {
            println!("The patient's PIN counter: {before} before, {after} after.");
            if after == 0 {
                println!(
                    "The PIN is locked: it can be reset at the municipal office or a convenience-store kiosk."
                );
            }
        }
        if outcome.staff_passcode_failures > 0 {
            println!(
                "{} wrong passcode(s) were entered and audited.",
                outcome.staff_passcode_failures
            );
        }
        if scenario.mode == ReaderMode::LegacyVisual {
            println!(
                "Remember: switch the reader back to unattended mode, or the next patients lose face authentication."
            );
        }
        if ui.ended {
            return Ok(());
        }
    }
}

/// Passes the OCR's reading first, then the trainee's commands.
struct OcrFirst<'a, 'b> {
    inner: &'a mut TrainingUi<'b>,
    first: &'a mut Option<Input<'static>>,
}

impl ReceptionUi for OcrFirst<'_, '_> {
    fn show(&mut self, screen: &Screen) {
        self.inner.show(screen);
    }

    fn next_input(&mut self, stage: VisitStage, deadline: Timestamp) -> Option<Input<'static>> {
        match self.first.take() {
            Some(input) => Some(input),
            None => self.inner.next_input(stage, deadline),
        }
    }

    fn capture_face(&mut self) -> Option<FaceCapture> {
        self.inner.capture_face()
    }

    fn now(&mut self) -> Timestamp {
        self.inner.now()
    }

    fn input_rejected(&mut self, rejected: &onshi::reception::InputRejected) {
        self.inner.input_rejected(rejected);
    }
}
