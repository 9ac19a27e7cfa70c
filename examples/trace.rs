//! The exact APDU exchange of one visit, annotated: what the reader sends, why, and what the
//! card answers. The PIN is masked; everything else is as it goes over the wire.
//!
//! Run: `cargo run --example trace [-- --persona NAME] [--face] [--extended]`
//!
//! Default: a PIN visit of the `standard` persona with one wrong PIN, on a short-APDU reader.

use onshi::apdu::{Command, FileId, HexBytes, Response, ins};
use onshi::card::{Application, Span, card_face, card_info, jpki};
use onshi::face::MatchScore;
use onshi::facility::{ReaderId, ReaderMode};
use onshi::reception::{
    Input, MethodChoice, Output, ReaderContext, UserInput, Visit, VisitSettings, VisitStage,
};
use onshi::sim::{Persona, VirtualCard, capture_of_holder};
use onshi::time::Timestamp;
use onshi::{CardEvent, ReaderCapabilities};

/// The GlobalPlatform Issuer Security Domain's default AID: selecting it leaves the
/// application, and every key a PIN or 照合番号B unlocked is locked again.
const ISSUER_SECURITY_DOMAIN: [u8; 7] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00];

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

/// The key a VERIFY (or retry query) names: by short EF id in P2 (`80 | SFI`), or the EF
/// selected before it (`P2 = 80`).
fn key_named(command: &Command<'_>, selected: Option<Application>, ef: Option<FileId>) -> String {
    let p2 = command.p2();
    let (file, how) = if p2 & 0x80 != 0 && p2 & 0x1F != 0 {
        (Some(FileId::new(u16::from(p2 & 0x1F))), "by short EF id")
    } else {
        (ef, "the EF selected")
    };
    match file {
        Some(file) => {
            let name = file_name(selected, file);
            if name.is_empty() {
                format!("EF {:04X} {how}", file.to_u16())
            } else {
                format!("{name}, EF {:04X} {how}", file.to_u16())
            }
        }
        None => "no key named".into(),
    }
}

/// Where the trace stands on the card: the application and EF selected.
#[derive(Default)]
struct Position {
    application: Option<Application>,
    ef: Option<FileId>,
}

/// What a command does, in words. `span` tells the re-read of the count before a VERIFY (it
/// holds the card exclusively for the VERIFY that follows) from a plain query.
fn annotate(command: &Command<'_>, span: Span, at: &mut Position) -> String {
    match (command.instruction(), command.p1()) {
        (ins::SELECT, 0x04) if command.data() == ISSUER_SECURITY_DOMAIN => {
            at.application = None;
            at.ef = None;
            "SELECT the Issuer Security Domain: leaves the application, so the key the \
             PIN or 照合番号B unlocked is locked again"
                .into()
        }
        (ins::SELECT, 0x04) => {
            at.application = Application::from_aid(command.data());
            at.ef = None;
            let what = match at.application {
                Some(app) => format!("SELECT {app} ({})", app.japanese_name()),
                None => "SELECT an unknown application".into(),
            };
            if matches!(span, Span::Exclusive { .. }) {
                // Between shared commands another program may have selected something else:
                // a PIN check or a signature starts by selecting the application (again),
                // card held exclusively.
                format!("{what}: a guarded exchange begins, card held exclusively")
            } else {
                what
            }
        }
        (ins::SELECT, 0x02) => {
            let id = command
                .data()
                .iter()
                .fold(0u16, |id, b| (id << 8) | u16::from(*b));
            at.ef = Some(FileId::new(id));
            format!(
                "SELECT EF {id:04X} ({})",
                file_name(at.application, FileId::new(id))
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
        (ins::VERIFY, _) if command.data().is_empty() => {
            let key = key_named(command, at.application, at.ef);
            if matches!(span, Span::Exclusive { hold: true }) {
                format!(
                    "retry count read just before the VERIFY, card held exclusively \
                     ({key}; spends no try)"
                )
            } else {
                format!("retry-count query ({key}; spends no try)")
            }
        }
        (ins::VERIFY, _) => {
            let key = key_named(command, at.application, at.ef);
            if at.application == Some(Application::CardFace) {
                format!("VERIFY with 照合番号B read from the card face ({key})")
            } else {
                format!("VERIFY with the PIN the patient entered ({key}; one try if wrong)")
            }
        }
        (ins::PERFORM_SECURITY_OPERATION, _) if command.p2() == 0x00 => {
            "the card-face key signs this visit's challenge, no PIN: the card proves it is the \
             one the card face was issued on"
                .into()
        }
        (ins::PERFORM_SECURITY_OPERATION, _) => {
            "the user-authentication key signs this visit's challenge, in the PIN's span: the \
             card proves it holds the certificate's key"
                .into()
        }
        _ => "other".into(),
    }
}

/// Runs the visit's outputs against the card until it waits for the next input (or ends),
/// printing each command with its annotation and the card's answer.
fn drain(
    visit: &mut Visit,
    card: &mut VirtualCard,
    at: &mut Position,
    n: &mut usize,
    now: Timestamp,
) -> Result<(), Box<dyn std::error::Error>> {
    loop {
        match visit.poll() {
            Output::Transmit(transmit) => {
                let command = Command::parse(transmit.bytes())?;
                let reply = card.respond(transmit.bytes());
                let response = Response::parse(&reply)?;
                *n += 1;
                println!("{n:>3} → {command}");
                println!("      {}", annotate(&command, transmit.span(), at));
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
                println!("· camera: a capture of the holder");
                visit.handle(now, UserInput::FaceCaptured(capture_of_holder()))?;
            }
            Output::MatchFace { .. } => {
                println!("· face matcher: score 0.930");
                let score = Ok(MatchScore::from_per_mille(930));
                visit.handle(now, UserInput::FaceMatched(score))?;
            }
            Output::Show(screen) => println!("· screen: {}", screen.text().en),
            Output::Audit(_) => {}
            Output::StaffNotice(notice) => println!("· staff terminal: {notice}"),
            Output::Wait { .. } => return Ok(()),
            Output::Finished(outcome) => {
                println!("· outcome: {outcome}");
                return Ok(());
            }
        }
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
    let now = Timestamp::from_jst(2026, 11, 27, 9, 30, 0).ok_or("time")?;
    let date = now.date_in_japan();
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
        legacy_reminder_seconds: 30 * 60,
        trust: onshi::sim::trust_anchors(),
    };
    let mut visit = Visit::new(
        context,
        VisitSettings::default(),
        now,
        onshi::card::authenticity::Challenge::from_random_bytes([0x66; 32]),
    );
    let mut script: Vec<Input<'static>> = vec![CardEvent::Inserted.into()];
    if face {
        // The OCR reads 照合番号B off the card face: the visit reads the photo with it before
        // it offers anything, and face is chosen from the offer.
        script.push(
            UserInput::VerificationNumberB(persona.holder(date).verification_number_b()?).into(),
        );
        script.push(UserInput::Choose(MethodChoice::Face).into());
    } else {
        script.push(UserInput::PinEntered("9999".into()).into());
        script.push(UserInput::PinEntered("1234".into()).into());
    }
    script.push(UserInput::ConsentAnswer(true).into());

    println!(
        "APDU trace of a {} visit, persona {persona}, on {} reader, {now}\n",
        if face { "face" } else { "PIN" },
        if capabilities == ReaderCapabilities::SHORT_ONLY {
            "a short-APDU"
        } else {
            "an extended-length"
        }
    );
    let mut at = Position::default();
    let mut n = 0;
    // The screens the visit shows before anything happens, then one burst per input.
    for input in std::iter::once(None).chain(script.into_iter().map(Some)) {
        if visit.outcome().is_some() {
            // The visit ended before the script did (a blocked PIN, say).
            break;
        }
        if let Some(input) = input {
            if visit.stage() == VisitStage::LastTryWarning
                && matches!(input, Input::User(UserInput::PinEntered(_)))
            {
                // One try left (`--persona one-try-left`): the patient confirms it first.
                println!("· input: {:?}", UserInput::ConfirmLastTry);
                visit.handle(now, UserInput::ConfirmLastTry)?;
                drain(&mut visit, &mut card, &mut at, &mut n, now)?;
            }
            println!("· input: {input:?}");
            if let Err(rejected) = visit.handle(now, input) {
                println!("· not taken: {rejected}");
            }
        }
        drain(&mut visit, &mut card, &mut at, &mut n, now)?;
    }
    let stats = visit.card_state().stats();
    println!(
        "\n{} APDUs, {} command bytes, {} response bytes, {} VERIFY with 照合番号B, {} VERIFY with a PIN",
        stats.commands,
        stats.command_bytes,
        stats.response_bytes,
        stats.key_verifications,
        stats.pin_verifications
    );
    Ok(())
}
