//! A morning at the reception desk (受付) of a clinic, on virtual My Number Cards: no hardware.
//!
//! Run: `cargo run --example reception`
//!
//! Eight patients come to reader CR-1. Each screen is printed as the patient sees it, Japanese
//! first with English beneath, then the outcome the vendor hands to its terminal; a summary
//! table of the morning ends it. The whole morning is deterministic: a fixed date, scripted
//! patients, the virtual card and its stand-in face matcher.
//!
//! The script is checked as it runs: an input the visit does not take, or one left over at
//! the end of a visit, is printed and makes the example fail.

use std::collections::VecDeque;

use onshi::card::PinSlot;
use onshi::face::FaceCapture;
use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
use onshi::reception::{
    AuditEvent, CardIdentity, ConsentSettings, InputRejected, MethodChoice, Outcome,
    PrescriptionIssue, ReceptionUi, Screen, StaffId, StaffNotice, UserInput, Visit, VisitEvent,
    VisitResult, VisitSettings, VisitStage, run_visit,
};
use onshi::sim::{
    Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder, capture_of_someone_else,
};
use onshi::time::{Date, Timestamp};
use onshi::{ReaderCapabilities, SecretBytes};

const READER: ReaderId = ReaderId::new(1);
const ADMIN_PASSWORD: &str = "clinic-admin-2026";
const STAFF_PASSCODE: &str = "4321";

/// One thing a patient or a staff member does, with what the demo prints for it.
enum Act {
    Input(&'static str, UserInput),
    /// Staff confirm on the terminal (legacy visual mode) that they checked the holder of the
    /// card the visit named in its [`StaffNotice::ConfirmCard`].
    ConfirmOnTerminal(&'static str, StaffId),
}

fn act(label: &'static str, input: UserInput) -> Act {
    Act::Input(label, input)
}

fn pin(digits: &str) -> UserInput {
    UserInput::PinEntered(digits.into())
}

fn staff(id: &str) -> StaffId {
    StaffId::new(id).unwrap_or_else(|| unreachable!("valid staff id"))
}

/// The screen, the keypad and the camera of reader CR-1, played by a script.
struct DemoUi {
    now: Timestamp,
    acts: VecDeque<Act>,
    camera: VecDeque<FaceCapture>,
    events: Vec<AuditEvent>,
    /// The card the staff terminal was asked to confirm (legacy visual mode).
    card_to_confirm: Option<CardIdentity>,
    /// Inputs of the script the visit did not take.
    rejected: usize,
}

impl ReceptionUi for DemoUi {
    fn show(&mut self, screen: &Screen) {
        let text = screen.text();
        println!("  [画面] {}", text.ja);
        println!("         {}", text.en);
    }

    fn next_input(&mut self, _stage: VisitStage, deadline: Timestamp) -> Option<UserInput> {
        let input = match self.acts.pop_front() {
            Some(Act::Input(label, input)) => {
                println!("  > {label}");
                input
            }
            Some(Act::ConfirmOnTerminal(label, staff_id)) => {
                println!("  > {label}");
                let Some(card) = self.card_to_confirm.clone() else {
                    println!("  (the terminal names no card to confirm)");
                    self.rejected += 1;
                    self.now = deadline;
                    return None;
                };
                UserInput::StaffConfirmedOnTerminal { staff_id, card }
            }
            None => {
                self.now = deadline;
                return None;
            }
        };
        self.now = self.now.saturating_add_seconds(5);
        Some(input)
    }

    fn capture_face(&mut self) -> Option<FaceCapture> {
        self.now = self.now.saturating_add_seconds(2);
        let capture = self.camera.pop_front();
        println!(
            "  (camera: {})",
            match &capture {
                Some(c) if c == &capture_of_holder() => "the card holder looks at the camera",
                Some(_) => "backlight: the face does not match",
                None => "no capture",
            }
        );
        capture
    }

    fn now(&mut self) -> Timestamp {
        self.now
    }

    fn audit(&mut self, event: &AuditEvent) {
        if event.event == VisitEvent::CardPlaced {
            println!("  (card placed on {READER})");
        }
        self.events.push(event.clone());
    }

    fn notify_staff(&mut self, notice: &StaffNotice) {
        match notice {
            StaffNotice::LegacyModeStillOn { reader, since } => println!(
                "  [職員端末 / staff terminal] {reader} は {} から目視確認モードのままです。次の患者は顔認証を使えません。\n                              {reader} has been in visual-check mode since {}: the next patients cannot use face authentication.",
                clock(*since),
                clock(*since)
            ),
            StaffNotice::ConfirmCard { reader, card } => {
                println!(
                    "  [職員端末 / staff terminal] {reader} のカード（{card}）の持ち主を目視で確認し、確認完了を押してください。\n                              {notice}"
                );
                self.card_to_confirm = Some(card.clone());
            }
            _ => println!("  [職員端末 / staff terminal] {notice}"),
        }
    }

    fn input_rejected(&mut self, rejected: &InputRejected) {
        println!("  (not taken: {rejected})");
        self.rejected += 1;
    }
}

/// One patient of the morning.
struct Patient {
    title: &'static str,
    persona: Persona,
    arrives: (u8, u8),
    acts: Vec<Act>,
    camera: Vec<FaceCapture>,
}

/// A row of the summary table.
struct Row {
    time: String,
    persona: Persona,
    mode: ReaderMode,
    identity: String,
    consent: String,
    prescription: String,
    tries: String,
    apdus: usize,
}

fn clock(t: Timestamp) -> String {
    let local = t
        .saturating_add_seconds(9 * 3600)
        .unix_seconds()
        .rem_euclid(86_400);
    format!("{:02}:{:02}", local / 3600, (local / 60) % 60)
}

/// `hour:minute` in Japan (UTC+9) on `date`.
fn at(date: Date, hour: u8, minute: u8) -> Timestamp {
    Timestamp::from_jst(date.year(), date.month(), date.day(), hour, minute, 0)
        .unwrap_or_else(|| unreachable!("a time of day"))
}

/// The identity method, the consent with the code the national system records, and the
/// prescription answer, for the morning's table ("-" when not confirmed).
fn describe(outcome: &Outcome) -> (String, String, String) {
    let prescription = match outcome.prescription {
        Some(PrescriptionIssue::Electronic) => "electronic",
        Some(PrescriptionIssue::Paper) => "paper",
        None => "-",
    };
    match &outcome.result {
        VisitResult::Confirmed {
            identity, consent, ..
        } => (
            identity.to_string(),
            format!("{} {consent}", consent.code().digit()),
            prescription.into(),
        ),
        other => (other.to_string(), "-".into(), prescription.into()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let date = Date::new(2026, 11, 27).ok_or("date")?;
    println!("onshi — a morning at the reception desk (受付), {date}, reader {READER}");
    println!("Virtual My Number Cards and a stand-in face matcher: no hardware.\n");

    // The facility, set up before opening: the admin account, the reader, the staff passcode.
    let opening = at(date, 8, 50);
    let mut facility = Facility::new(
        "admin",
        &SecretBytes::from(ADMIN_PASSWORD),
        onshi::sim::facility_keys(),
        opening,
        HashCost::FAST_FOR_TESTS,
    )?;
    let Session::Admin(admin) =
        facility.login("admin", &SecretBytes::from(ADMIN_PASSWORD), opening)?
    else {
        return Err("the admin account logs in as admin".into());
    };
    facility.add_reader(&admin, READER, opening)?;
    facility.set_staff_passcode(&admin, &SecretBytes::from(STAFF_PASSCODE), opening)?;

    // The reader's OCR reads 照合番号B off the card face: in unattended mode the visit reads
    // the chip photo with it before it shows the choices.
    let b = |persona: Persona| {
        persona
            .holder(date)
            .verification_number_b()
            .map(UserInput::VerificationNumberB)
            .unwrap_or(UserInput::VerificationNumberBUnreadable)
    };
    let passcode = || UserInput::StaffPasscode {
        staff_id: staff("nurse-07"),
        passcode: STAFF_PASSCODE.into(),
    };
    let patients = vec![
        Patient {
            title: "face authentication",
            persona: Persona::Standard,
            arrives: (9, 0),
            acts: vec![
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::Standard),
                ),
                act(
                    "patient chooses face",
                    UserInput::Choose(MethodChoice::Face),
                ),
                act("patient consents to all", UserInput::ConsentAnswer(true)),
                act(
                    "patient wants an electronic prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Electronic),
                ),
            ],
            camera: vec![capture_of_holder()],
        },
        Patient {
            title: "face fails against the light, then the staff check (offered after the failure)",
            persona: Persona::Standard,
            arrives: (9, 7),
            acts: vec![
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::Standard),
                ),
                act(
                    "patient chooses face",
                    UserInput::Choose(MethodChoice::Face),
                ),
                act(
                    "patient asks for staff",
                    UserInput::Choose(MethodChoice::StaffCheck),
                ),
                act(
                    "nurse-07 compares face and photo, enters the passcode",
                    passcode(),
                ),
                act(
                    "patient declines the blanket consent",
                    UserInput::ConsentAnswer(false),
                ),
                act(
                    "medication and prescriptions: yes",
                    UserInput::ConsentAnswer(true),
                ),
                act(
                    "treatment, allergies and test results: yes",
                    UserInput::ConsentAnswer(true),
                ),
                act(
                    "surgery, diagnoses and infectious diseases: no",
                    UserInput::ConsentAnswer(false),
                ),
                act("health check-ups: yes", UserInput::ConsentAnswer(true)),
                act(
                    "specific-disease certificate: no",
                    UserInput::ConsentAnswer(false),
                ),
                act(
                    "patient wants a paper prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Paper),
                ),
            ],
            camera: vec![capture_of_someone_else(); 3],
        },
        Patient {
            title: "PIN wrong twice, then right",
            persona: Persona::Standard,
            arrives: (9, 15),
            acts: vec![
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::Standard),
                ),
                act("patient chooses PIN", UserInput::Choose(MethodChoice::Pin)),
                act("patient enters 1111", pin("1111")),
                act("patient enters 2580", pin("2580")),
                act("patient confirms the last try", UserInput::ConfirmLastTry),
                act("patient enters 1234", pin("1234")),
                act("patient consents to all", UserInput::ConsentAnswer(true)),
                act(
                    "patient wants a paper prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Paper),
                ),
            ],
            camera: vec![],
        },
        Patient {
            title: "a blocked PIN: the staff check is offered",
            persona: Persona::PinBlocked,
            arrives: (9, 22),
            acts: vec![
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::PinBlocked),
                ),
                act(
                    "patient asks for staff",
                    UserInput::Choose(MethodChoice::StaffCheck),
                ),
                act(
                    "nurse-07 enters the card PIN by mistake",
                    UserInput::StaffPasscode {
                        staff_id: staff("nurse-07"),
                        passcode: "1234".into(),
                    },
                ),
                act("nurse-07 enters the facility passcode", passcode()),
                act("patient consents to all", UserInput::ConsentAnswer(true)),
                act(
                    "patient wants an electronic prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Electronic),
                ),
            ],
            camera: vec![],
        },
        Patient {
            title: "a face-authentication card (顔認証マイナンバーカード): no PIN",
            persona: Persona::FaceAuthCard,
            arrives: (9, 30),
            acts: vec![
                // No PIN, and the staff check comes only after a face failure: face is the one
                // way, so the camera starts without a choice screen.
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::FaceAuthCard),
                ),
                act("patient consents to all", UserInput::ConsentAnswer(true)),
                act(
                    "patient wants a paper prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Paper),
                ),
            ],
            camera: vec![capture_of_holder()],
        },
        Patient {
            title: "a baby's card without a photo: PIN by the parent",
            persona: Persona::InfantNoPhoto,
            arrives: (9, 38),
            acts: vec![
                // The chip has no photo: neither face nor the staff photo check, so the PIN is
                // asked at once.
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::InfantNoPhoto),
                ),
                act(
                    "parent declares themselves legal representative",
                    UserInput::DeclareLegalRepresentative,
                ),
                act("parent enters 1234", pin("1234")),
                act("parent consents to all", UserInput::ConsentAnswer(true)),
                act(
                    "parent wants a paper prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Paper),
                ),
            ],
            camera: vec![],
        },
        Patient {
            title: "a patient who cannot operate the reader: legacy visual mode",
            persona: Persona::Standard,
            arrives: (9, 45),
            acts: vec![
                Act::ConfirmOnTerminal(
                    "clerk-2 checks the card photo and confirms that card on the terminal (目視で本人確認完了)",
                    staff("clerk-2"),
                ),
                act(
                    "the patient cannot answer the consent screens: clerk-2 records 同意取得困難",
                    UserInput::ConsentNotObtainable,
                ),
            ],
            camera: vec![],
        },
        Patient {
            title: "the next patient, after the admin switched the mode back",
            persona: Persona::Standard,
            arrives: (10, 20),
            acts: vec![
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::Standard),
                ),
                act(
                    "patient chooses face",
                    UserInput::Choose(MethodChoice::Face),
                ),
                act("patient consents to all", UserInput::ConsentAnswer(true)),
                act(
                    "patient wants an electronic prescription",
                    UserInput::PrescriptionChosen(PrescriptionIssue::Electronic),
                ),
            ],
            camera: vec![capture_of_holder()],
        },
        Patient {
            title: "a cloned card: a real card's files on another chip, and the holder's PIN",
            persona: Persona::ClonedCard,
            arrives: (10, 30),
            acts: vec![
                // The card face's signature is the issuer's, but the chip cannot answer the
                // challenge with the card-face key: the photo is not trusted, face and the
                // staff check are withdrawn, and the PIN is asked.
                act(
                    "OCR reads 照合番号B from the card face",
                    b(Persona::ClonedCard),
                ),
                act("someone enters the holder's PIN, 1234", pin("1234")),
            ],
            camera: vec![],
        },
    ];

    let mut rows = Vec::new();
    let mut script_faults = 0;
    for (number, patient) in patients.into_iter().enumerate() {
        let arrives = at(date, patient.arrives.0, patient.arrives.1);
        // The facility's admin switches modes around patients 7 and 8.
        if number == 6 {
            let Session::Admin(admin) =
                facility.login("admin", &SecretBytes::from(ADMIN_PASSWORD), arrives)?
            else {
                return Err("admin".into());
            };
            facility.set_reader_mode(&admin, READER, ReaderMode::LegacyVisual, arrives)?;
            println!(
                "[{}] admin switches {READER} to {} on the terminal (管理者アカウント)\n",
                clock(arrives),
                ReaderMode::LegacyVisual
            );
        }
        if number == 7 {
            for reminder in facility.mode_reminders(arrives) {
                println!(
                    "[{}] reminder: {} has been in {} for {} minutes",
                    clock(arrives),
                    reminder.reader,
                    ReaderMode::LegacyVisual,
                    reminder.seconds / 60
                );
            }
            let Session::Admin(admin) =
                facility.login("admin", &SecretBytes::from(ADMIN_PASSWORD), arrives)?
            else {
                return Err("admin".into());
            };
            facility.set_reader_mode(&admin, READER, ReaderMode::Unattended, arrives)?;
            println!(
                "[{}] admin switches {READER} back to {}\n",
                clock(arrives),
                ReaderMode::Unattended
            );
        }

        let mode = facility.reader_mode(READER).ok_or("reader")?;
        println!(
            "── {} Patient {}: {} — {} ({}) ──",
            clock(arrives),
            number + 1,
            patient.persona.holder(date).name,
            patient.title,
            patient.persona
        );
        let card = patient.persona.card(date);
        let tries_before = card.pin_remaining(PinSlot::UserAuth);
        let mut reader = VirtualReader::new();
        reader.insert(card);
        let context = facility
            .begin_visit(READER, ReaderCapabilities::SHORT_ONLY)?
            .with_trust(onshi::sim::trust_anchors());
        // Each visit's challenge: 32 fresh bytes from the operating system, never reused.
        let mut random = [0u8; 32];
        getrandom::fill(&mut random)?;
        let challenge = onshi::card::authenticity::Challenge::from_random_bytes(random);
        // A clinic that issues electronic prescriptions: the reader asks which the patient
        // wants after the consent.
        let settings = VisitSettings {
            consent: ConsentSettings {
                ask_prescription: true,
                ..ConsentSettings::default()
            },
            ..VisitSettings::default()
        };
        let mut visit = Visit::new(context, settings, arrives, challenge);
        let mut ui = DemoUi {
            now: arrives,
            acts: patient.acts.into(),
            camera: patient.camera.into(),
            events: Vec::new(),
            card_to_confirm: None,
            rejected: 0,
        };
        let outcome = run_visit(&mut visit, &mut reader, &mut VirtualFaceMatcher, &mut ui);
        // Handed back: its wrong staff passcodes count toward the facility's lock.
        facility.finish(&visit, outcome.finished_at)?;
        println!("  → outcome: {}", outcome.result);
        let (identity, consent, prescription) = describe(&outcome);
        if outcome.certificate_renewal_alert {
            println!("  (the patient's certificate is due for renewal: they were told)");
        }
        script_faults += ui.rejected + ui.acts.len();
        if !ui.acts.is_empty() {
            println!("  ({} scripted inputs were never asked for)", ui.acts.len());
        }
        let passcode_failures = ui
            .events
            .iter()
            .filter(|e| matches!(e.event, VisitEvent::StaffPasscodeRejected { .. }))
            .count();
        if passcode_failures > 0 {
            println!(
                "  (audit: {passcode_failures} wrong staff passcode entered; the passcode is never logged)"
            );
        }
        let card = reader.card().ok_or("card")?;
        let tries_after = card.pin_remaining(PinSlot::UserAuth);
        rows.push(Row {
            time: clock(arrives),
            persona: patient.persona,
            mode,
            identity,
            consent,
            prescription,
            tries: match (tries_before, tries_after) {
                (Some(b), Some(a)) => format!("{b} -> {a}"),
                _ => "no PIN".into(),
            },
            apdus: card.log().len(),
        });
        println!();
    }

    println!("Summary of the morning");
    println!(
        "{:<3} {:<6} {:<16} {:<11} {:<39} {:<24} {:<13} {:<10} APDUs",
        "#", "time", "card", "mode", "identity", "consent (code)", "prescription", "PIN tries"
    );
    for (i, row) in rows.iter().enumerate() {
        let mode = match row.mode {
            ReaderMode::Unattended => "unattended",
            ReaderMode::PinOnly => "PIN only",
            ReaderMode::LegacyVisual => "visual",
        };
        println!(
            "{:<3} {:<6} {:<16} {:<11} {:<39} {:<24} {:<13} {:<10} {}",
            i + 1,
            row.time,
            row.persona.name(),
            mode,
            row.identity,
            row.consent,
            row.prescription,
            row.tries,
            row.apdus
        );
    }
    println!(
        "\nFacility audit trail: {} entries (logins, mode switches, passcode).",
        facility.audit().len()
    );
    if script_faults > 0 {
        return Err(format!("{script_faults} scripted inputs did not fit the visits").into());
    }
    Ok(())
}
