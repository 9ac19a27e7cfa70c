//! The exact APDU exchange of one visit, annotated: what the reader sends, why, and what the
//! card answers. The PIN is masked; everything else is as it goes over the wire.
//!
//! Run: `cargo run --example trace [-- --persona NAME] [--face] [--extended]`
//!
//! Default: a PIN visit of the `standard` persona with one wrong PIN, on a short-APDU reader.

use onshi::apdu::{Command, FileId, HexBytes, Response, ins};
use onshi::card::{Application, card_face, card_info, jpki};
use onshi::face::MatchScore;
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{Input, MethodChoice, Output, ReaderContext, Visit, VisitSettings};
use onshi::sim::Persona;
use onshi::time::{Date, Timestamp};
use onshi::{ReaderCapabilities, SecretBytes};

fn file_name(application: Option<Application>, file: FileId) -> &'static str {
    match (application, file) {
        (Some(Application::Jpki), jpki::TOKEN) => "token",
        (Some(Application::Jpki), jpki::USER_AUTH_CERTIFICATE) => "user-authentication certificate",
        (Some(Application::Jpki), jpki::USER_AUTH_CA_CERTIFICATE) => "its CA certificate",
        (Some(Application::Jpki), jpki::USER_AUTH_PIN) => "user-authentication PIN",
        (Some(Application::Jpki), jpki::USER_AUTH_KEY) => "user-authentication key",
        (Some(Application::Jpki), jpki::SIGNING_PIN) => "signing password",
        (Some(Application::CardInfo), card_info::PIN) => "card-info PIN",
        (Some(Application::CardFace), card_face::ENTRIES) => "card-face entries with the photo",
        (Some(Application::CardFace), card_face::VERIFICATION_NUMBER_B) => "照合番号B",
        _ => "",
    }
}

/// What a command does, in words.
fn annotate(command: &Command<'_>, selected: &mut Option<Application>) -> String {
    match (command.instruction(), command.p1()) {
        (ins::SELECT, 0x04) => {
            *selected = Application::from_aid(command.data());
            match selected {
                Some(app) => format!("SELECT {app} ({})", app.japanese_name()),
                None => "SELECT an unknown application".into(),
            }
        }
        (ins::SELECT, 0x02) => {
            let id = command
                .data()
                .iter()
                .fold(0u16, |id, b| (id << 8) | u16::from(*b));
            format!(
                "SELECT EF {id:04X} ({})",
                file_name(*selected, FileId::new(id))
            )
        }
        (ins::READ_BINARY, p1) if p1 & 0x80 != 0 => format!(
            "READ BINARY of EF {:04X} by short id, up to {} bytes",
            p1 & 0x1F,
            command.expected_len()
        ),
        (ins::READ_BINARY, p1) => format!(
            "READ BINARY at offset {:#06X}, up to {} bytes",
            u16::from_be_bytes([p1, command.p2()]),
            command.expected_len()
        ),
        (ins::VERIFY, _) if command.data().is_empty() => "retry-count query (spends no try)".into(),
        (ins::VERIFY, _) => "VERIFY with the PIN the patient entered (one try if wrong)".into(),
        (ins::PERFORM_SECURITY_OPERATION, _) => "COMPUTE DIGITAL SIGNATURE".into(),
        _ => "other".into(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut persona = Persona::Standard;
    let mut face = false;
    let mut capabilities = ReaderCapabilities::SHORT_ONLY;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--persona" => persona = args.next().ok_or("--persona NAME")?.parse()?,
            "--face" => face = true,
            "--extended" => capabilities = ReaderCapabilities::EXTENDED_LENGTH,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let date = Date::new(2026, 11, 27).ok_or("date")?;
    let now = Timestamp::from_date_time(date, 0, 30, 0).ok_or("time")?;
    let mut card = persona.card(date);
    let context = ReaderContext {
        reader: ReaderId::new(1),
        mode: if face {
            ReaderMode::Unattended
        } else {
            ReaderMode::PinOnly
        },
        mode_since: now,
        staff_passcode: None,
        capabilities,
    };
    let mut visit = Visit::new(context, VisitSettings::default(), now);
    let mut script: Vec<Input<'static>> = vec![Input::CardPlaced];
    if face {
        script.push(Input::VerificationNumberB(
            persona.holder(date).verification_number_b()?,
        ));
        script.push(Input::Choose(MethodChoice::Face));
    } else {
        script.push(Input::PinEntered(SecretBytes::from(b"9999".to_vec())));
        script.push(Input::PinEntered(SecretBytes::from(b"1234".to_vec())));
    }
    script.push(Input::ConsentAnswer(true));

    println!(
        "APDU trace of a {} visit, persona {persona}\n",
        if face { "face" } else { "PIN" }
    );
    let mut selected = None;
    let mut n = 0;
    for input in script {
        println!("· input: {input:?}");
        let _ = visit.handle(now, input);
        while let Some(output) = visit.poll() {
            match output {
                Output::Transmit(transmit) => {
                    let command = Command::parse(transmit.bytes())?;
                    let reply = card.respond(transmit.bytes());
                    let response = Response::parse(&reply)?;
                    n += 1;
                    println!("{n:>3} → {command}");
                    println!("      {}", annotate(&command, &mut selected));
                    let data = response.data();
                    let shown = if data.is_empty() {
                        String::new()
                    } else if data.len() <= 8 {
                        format!("{} ", HexBytes(data))
                    } else {
                        format!("{} … ({} bytes) ", HexBytes(&data[..8]), data.len())
                    };
                    println!("    ← {shown}{}", response.status());
                    visit.handle(now, Input::CardResponse(&reply))?;
                }
                Output::CaptureFace => {
                    visit.handle(now, Input::FaceCaptured(onshi::sim::capture_of_holder()))?;
                }
                Output::MatchFace { .. } => {
                    visit.handle(now, Input::FaceMatched(Ok(MatchScore::from_per_mille(930))))?;
                }
                Output::Show(screen) => println!("· screen: {}", screen.text().en),
                Output::Finished(outcome) => println!("· outcome: {:?}", outcome.result),
                _ => {}
            }
        }
    }
    let stats = visit.card_state().stats();
    println!(
        "\n{} APDUs, {} command bytes, {} response bytes, {} VERIFY with a PIN",
        stats.commands, stats.command_bytes, stats.response_bytes, stats.pin_verifications
    );
    Ok(())
}
