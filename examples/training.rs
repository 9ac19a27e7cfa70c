//! An interactive simulator for reception staff to practise the visual check and the fallback
//! flows before they meet them at the desk (the operating guidance asks facilities to
//! practise). It runs on virtual cards; nothing real is touched.
//!
//! Run: `cargo run --example training`, then type commands. It reads standard input line by
//! line, so it can be scripted:
//!
//! ```sh
//! printf '2\nface\nstaff\npasscode 4321\nyes\nelectronic\nq\n' | cargo run --example training
//! ```
//!
//! It drives the sans-IO [`Visit`] itself rather than through
//! [`run_visit`](onshi::reception::run_visit): the trainee can take the card off the reader
//! (`remove`) while the visit waits for them, and that card event has to reach the visit before
//! the next command, as it would from a real reader.

use std::io::{BufRead, Write};

use onshi::card::{PinSlot, Span};
use onshi::face::FaceMatcher;
use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
use onshi::reception::{
    CardIdentity, ConsentSettings, ConsentStatus, Input, InputRejected, MethodChoice, Outcome,
    Output, PrescriptionIssue, StaffId, StaffNotice, UserInput, Visit, VisitResult, VisitSettings,
    VisitStage,
};
use onshi::sim::{
    Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder, capture_of_someone_else,
};
use onshi::time::{Date, Timestamp};
use onshi::{CardReader, ReaderCapabilities, SecretBytes};

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
        hint: "After three failed captures the reader offers the PIN and the staff photo check: do the check with the passcode.",
    },
    Scenario {
        title: "one try left on the PIN",
        persona: Persona::OneTryLeft,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "The reader warns before the last try: suggest face instead (the staff photo check comes if face fails).",
    },
    Scenario {
        title: "blocked PIN",
        persona: Persona::PinBlocked,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "The PIN is not offered. Tell the patient where to reset it; use face or the staff photo check.",
    },
    Scenario {
        title: "face-authentication card (no PIN)",
        persona: Persona::FaceAuthCard,
        mode: ReaderMode::Unattended,
        camera_matches: false,
        hint: "No PIN exists on this card: face first, then the staff photo check when it fails.",
    },
    Scenario {
        title: "baby's card without a photo",
        persona: Persona::InfantNoPhoto,
        mode: ReaderMode::Unattended,
        camera_matches: true,
        hint: "No photo: neither face nor the staff photo check. The parent enters the PIN (declare `rep`).",
    },
    Scenario {
        title: "legacy visual mode (目視確認モード)",
        persona: Persona::Standard,
        mode: ReaderMode::LegacyVisual,
        camera_matches: true,
        hint: "Check the holder against the card the terminal names, confirm it there (`terminal`); remember to switch the mode back.",
    },
];

const HELP: &str = "commands: face | pin | staff | enter NNNN | confirm | rep | passcode NNNN | terminal | yes | no | cannot-consent | electronic | paper | remove | wait | help";

/// What the trainee did at the prompt.
enum Command {
    /// An input for the visit.
    Input(UserInput),
    /// Take the card off the reader.
    Remove,
    /// Let the time run out.
    Wait,
}

/// The reader's screen, keypad, camera and the staff terminal, played by the trainee.
struct TrainingUi<'a> {
    lines: &'a mut dyn Iterator<Item = String>,
    now: Timestamp,
    camera_matches: bool,
    /// The card the terminal asked staff to confirm (legacy visual mode).
    card_to_confirm: Option<CardIdentity>,
    /// Standard input ended, or the trainee quit.
    ended: bool,
}

impl TrainingUi<'_> {
    fn show(&mut self, screen: &onshi::reception::Screen) {
        let text = screen.text();
        println!("  [画面] {}\n         {}", text.ja, text.en);
    }

    fn notify_staff(&mut self, notice: &StaffNotice) {
        if let StaffNotice::ConfirmCard { card, .. } = notice {
            self.card_to_confirm = Some(card.clone());
        }
        println!("  [職員端末 / staff terminal] {notice}");
    }

    fn trainee() -> StaffId {
        StaffId::new("trainee").unwrap_or_else(|| unreachable!("valid"))
    }

    /// The trainee's next command at `stage`.
    fn command(&mut self, stage: VisitStage) -> Command {
        if self.ended {
            // The trainee quit: let the visit run out.
            return Command::Wait;
        }
        loop {
            print!("  ({stage:?}) > ");
            let _ = std::io::stdout().flush();
            let Some(line) = self.lines.next() else {
                self.ended = true;
                return Command::Wait;
            };
            println!("{line}");
            self.now = self.now.saturating_add_seconds(5);
            let mut words = line.split_whitespace();
            let input = match (words.next(), words.next()) {
                (Some("face"), _) => UserInput::Choose(MethodChoice::Face),
                (Some("pin"), _) => UserInput::Choose(MethodChoice::Pin),
                (Some("staff"), _) => UserInput::Choose(MethodChoice::StaffCheck),
                (Some("enter"), Some(digits)) => UserInput::PinEntered(digits.into()),
                (Some("confirm"), _) => UserInput::ConfirmLastTry,
                (Some("rep"), _) => UserInput::DeclareLegalRepresentative,
                (Some("passcode"), Some(code)) => UserInput::StaffPasscode {
                    staff_id: Self::trainee(),
                    passcode: code.into(),
                },
                (Some("terminal"), _) => match self.card_to_confirm.clone() {
                    Some(card) => UserInput::StaffConfirmedOnTerminal {
                        staff_id: Self::trainee(),
                        card,
                    },
                    None => {
                        println!("  (the terminal has no card to confirm yet)");
                        continue;
                    }
                },
                (Some("yes"), _) => UserInput::ConsentAnswer(true),
                (Some("no"), _) => UserInput::ConsentAnswer(false),
                (Some("cannot-consent"), _) => UserInput::ConsentNotObtainable,
                (Some("electronic"), _) => {
                    UserInput::PrescriptionChosen(PrescriptionIssue::Electronic)
                }
                (Some("paper"), _) => UserInput::PrescriptionChosen(PrescriptionIssue::Paper),
                (Some("remove"), _) => return Command::Remove,
                (Some("wait"), _) => return Command::Wait,
                (Some("q" | "quit"), _) => {
                    self.ended = true;
                    return Command::Wait;
                }
                _ => {
                    println!("  {HELP}");
                    continue;
                }
            };
            return Command::Input(input);
        }
    }

    fn capture(&mut self) -> UserInput {
        println!(
            "  (camera: {})",
            if self.camera_matches {
                "the patient's face"
            } else {
                "backlight, no match"
            }
        );
        UserInput::FaceCaptured(if self.camera_matches {
            capture_of_holder()
        } else {
            capture_of_someone_else()
        })
    }

    fn rejected(rejected: &InputRejected) {
        println!("  (not possible now: {rejected})");
    }
}

/// Runs `visit` to its end on `reader`: card events first, then the visit's outputs until it
/// waits; then the OCR's reading of 照合番号B (`ocr`, once) or the trainee's next command.
fn run(
    mut visit: Visit,
    reader: &mut VirtualReader,
    ui: &mut TrainingUi<'_>,
    mut ocr: Option<UserInput>,
) -> Outcome {
    let mut matcher = VirtualFaceMatcher;
    let mut response = Vec::new();
    let mut exclusive = false;
    loop {
        while let Some(event) = reader.take_card_event() {
            if let Err(rejected) = visit.handle(ui.now, Input::Card(event)) {
                TrainingUi::rejected(&rejected);
            }
        }
        let output = visit.poll();
        // An exclusive span (the PIN's count re-read and its VERIFY) ends before anything
        // that is not part of it.
        let in_span =
            matches!(&output, Output::Transmit(t) if matches!(t.span(), Span::Exclusive { .. }));
        if exclusive && !in_span {
            reader.end_exclusive();
            exclusive = false;
        }
        let now = ui.now;
        let result = match output {
            Output::Transmit(transmit) => {
                if in_span && !exclusive {
                    // Nobody else uses the virtual reader: this cannot fail.
                    exclusive = reader.begin_exclusive().is_ok();
                }
                response.clear();
                response.resize(transmit.response_capacity(), 0);
                let sent = reader.transmit(transmit.bytes(), &mut response);
                if exclusive && transmit.span() != (Span::Exclusive { hold: true }) {
                    reader.end_exclusive();
                    exclusive = false;
                }
                match sent {
                    Ok(len) => visit.handle(now, Input::CardResponse(&response[..len])),
                    Err(error) => visit.handle(now, Input::TransportFailed(error)),
                }
            }
            Output::Show(screen) => {
                ui.show(&screen);
                Ok(())
            }
            Output::CaptureFace => {
                let capture = ui.capture();
                visit.handle(now, capture)
            }
            Output::MatchFace {
                chip_photo,
                capture,
            } => {
                let score = matcher.match_faces(&chip_photo, &capture);
                visit.handle(now, UserInput::FaceMatched(score))
            }
            Output::Audit(_) => Ok(()),
            Output::StaffNotice(notice) => {
                ui.notify_staff(&notice);
                Ok(())
            }
            Output::Wait { until } => {
                if let Some(reading) = ocr.take() {
                    // The OCR reads 照合番号B off the card face as the card is placed.
                    println!("  (the reader's OCR reads 照合番号B from the card face)");
                    visit.handle(now, reading)
                } else {
                    match ui.command(visit.stage()) {
                        Command::Input(input) => visit.handle(ui.now, input),
                        Command::Remove => {
                            println!("  (the card is taken off the reader)");
                            reader.remove();
                            Ok(())
                        }
                        Command::Wait => {
                            ui.now = ui.now.max(until);
                            visit.handle(ui.now, Input::Tick)
                        }
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
            TrainingUi::rejected(&rejected);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let date = Date::new(2026, 11, 27).ok_or("date")?;
    let start = Timestamp::from_jst(2026, 11, 27, 9, 0, 0).ok_or("time")?;
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
            &SecretBytes::from("training-admin"),
            onshi::sim::facility_keys(),
            start,
            HashCost::FAST_FOR_TESTS,
        )?;
        let Session::Admin(admin) =
            facility.login("trainer", &SecretBytes::from("training-admin"), start)?
        else {
            return Err("trainer is an admin".into());
        };
        facility.add_reader(&admin, READER, start)?;
        facility.set_reader_mode(&admin, READER, scenario.mode, start)?;
        facility.set_staff_passcode(&admin, &SecretBytes::from(PASSCODE), start)?;
        let context = facility
            .begin_visit(READER, ReaderCapabilities::SHORT_ONLY)?
            .with_trust(onshi::sim::trust_anchors());

        let card = scenario.persona.card(date);
        let before = card.pin_remaining(PinSlot::UserAuth);
        // A clinic that issues electronic prescriptions: the prescription question follows
        // the consent. Each visit's challenge comes from the operating system.
        let settings = VisitSettings {
            consent: ConsentSettings {
                ask_prescription: true,
                ..ConsentSettings::default()
            },
            ..VisitSettings::default()
        };
        let mut random = [0u8; 32];
        getrandom::fill(&mut random)?;
        let challenge = onshi::card::authenticity::Challenge::from_random_bytes(random);
        let visit = Visit::new(context, settings, start, challenge);
        let mut reader = VirtualReader::new();
        println!("  (the patient places the card)");
        reader.insert(card);
        let mut ui = TrainingUi {
            lines: &mut lines,
            now: start,
            camera_matches: scenario.camera_matches,
            card_to_confirm: None,
            ended: false,
        };
        let b = scenario.persona.holder(date).verification_number_b()?;
        let outcome = run(
            visit,
            &mut reader,
            &mut ui,
            Some(UserInput::VerificationNumberB(b)),
        );
        let after = reader
            .card()
            .and_then(|c| c.pin_remaining(PinSlot::UserAuth));
        println!("\nResult: {:?}", outcome.result);
        match &outcome.result {
            VisitResult::Confirmed {
                consent: ConsentStatus::Given(_),
                ..
            } => match outcome.prescription {
                Some(choice) => {
                    println!("Well done: identity confirmed, consent recorded, {choice} chosen.")
                }
                None => println!("Well done: identity confirmed and consent recorded."),
            },
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
        if outcome.certificate_renewal_alert {
            println!("The patient's certificate is due for renewal: tell them where to renew it.");
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
