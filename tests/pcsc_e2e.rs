//! End to end through a real PC/SC stack: the virtual card served to `vpcd`, `pcscd` in the
//! middle, and two clients — onshi's own `PcscReader` and OpenSC's JPKI driver, an
//! independent client that must find the card indistinguishable from a real one.
//!
//! Needs pcscd running with vsmartcard-vpcd and OpenSC installed (`.ci/run` does both), the
//! `pcsc` feature, and `PCSC_E2E=1`:
//!
//! ```sh
//! PCSC_E2E=1 cargo test --features pcsc --test pcsc_e2e
//! ```
//!
//! Without `PCSC_E2E=1` every test returns at once, so plain `cargo test --all-features` passes
//! on a machine without pcscd.
#![cfg(feature = "pcsc")]

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use common::today;
use onshi::card::{Card, Pin, PinKind, PinSlot, PinStatus, VerifyOutcome};
use onshi::facility::{ReaderId, ReaderMode};
use onshi::pcsc::{PcscReader, ReaderSelector};
use onshi::reception::{
    AuditEvent, IdentityMethod, Outcome, ReaderContext, ReceptionUi, Screen, UserInput, Visit,
    VisitEvent, VisitSettings, VisitStage, run_visit,
};
use onshi::sim::vpcd::{CardRemover, DEFAULT_PORT, VpcdCard};
use onshi::sim::{Persona, VirtualCard, secrets, sha256_digest_info};
use onshi::time::Timestamp;
use onshi::{CardEvent, CardReader};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, PublicKey};

/// One vpcd reader: one test at a time.
static READER: Mutex<()> = Mutex::new(());

fn enabled() -> Option<MutexGuard<'static, ()>> {
    if std::env::var("PCSC_E2E").as_deref() != Ok("1") {
        eprintln!("skipped: set PCSC_E2E=1 with pcscd and vsmartcard-vpcd running");
        return None;
    }
    Some(
        READER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// A virtual card placed in vpcd's first reader, served on a thread.
struct Placed {
    remover: CardRemover,
    thread: JoinHandle<()>,
}

fn place(card: &Arc<Mutex<VirtualCard>>) -> Placed {
    // A card placed while pcscd still shows the last one (it polls every 400 ms) is not seen:
    // wait for the empty reader first.
    let mut reader = PcscReader::open(ReaderSelector::NameContains("Virtual PCD 00 00")).unwrap();
    assert!(
        reader.wait_for_removal(Duration::from_secs(5)).unwrap(),
        "the reader empties"
    );
    drop(reader);
    // vpcd finishes with the last connection about a second after it ends (its grace period
    // before powering off); a connection made earlier is not served.
    std::thread::sleep(Duration::from_millis(1200));
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT));
    let connection =
        VpcdCard::connect(address, Duration::from_secs(15)).expect("vpcd is listening");
    let remover = connection.remover().unwrap();
    let card = Arc::clone(card);
    let thread = std::thread::spawn(move || {
        connection.serve(&card).unwrap();
    });
    Placed { remover, thread }
}

impl Placed {
    fn remove(self) {
        self.remover.remove().unwrap();
        self.thread.join().unwrap();
    }
}

fn open_reader() -> PcscReader {
    let mut reader = PcscReader::open(ReaderSelector::NameContains("Virtual PCD 00 00")).unwrap();
    assert!(
        reader.wait_for_card(Duration::from_secs(10)).unwrap(),
        "the card appears"
    );
    reader
}

fn pin_verifications(card: &Arc<Mutex<VirtualCard>>) -> usize {
    card.lock()
        .unwrap()
        .log()
        .iter()
        .filter(|entry| entry.is_pin_verification())
        .count()
}

#[test]
fn a_full_session_through_pcscd() {
    let Some(_reader) = enabled() else { return };
    let virtual_card = Arc::new(Mutex::new(Persona::Standard.card(today())));
    let placed = place(&virtual_card);
    // The card's insertion, reported by the reader, is taken by `Card::new`.
    let mut card = Card::new(open_reader());

    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(3)
    );
    let wrong = Pin::new(PinKind::UserAuth, "9999").unwrap();
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    assert_eq!(
        card.verify(count, wrong).unwrap(),
        VerifyOutcome::WrongPin { tries_left: 2 }
    );
    assert_eq!(pin_verifications(&virtual_card), 1, "exactly one try spent");
    assert_eq!(
        virtual_card
            .lock()
            .unwrap()
            .pin_remaining(PinSlot::UserAuth),
        Some(2)
    );

    let certificate = card.user_auth_certificate().unwrap();
    assert_eq!(certificate.der().len(), 1590);

    let digest_info = sha256_digest_info(b"online eligibility confirmation");
    let right = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    let signature = card.sign_with_user_auth_key(right, &digest_info).unwrap();
    let key = PublicKey::from_public_key_der(&certificate.public_key_info_der().unwrap()).unwrap();
    key.verify(Pkcs1v15Sign::new_unprefixed(), &digest_info, &signature)
        .unwrap();
    assert_eq!(
        virtual_card
            .lock()
            .unwrap()
            .pin_remaining(PinSlot::UserAuth),
        Some(3)
    );

    // Pull the card: the reader says so, and the card layer forgets the counts.
    placed.remove();
    assert!(
        card.reader_mut()
            .wait_for_removal(Duration::from_secs(5))
            .unwrap()
    );
    assert_eq!(
        card.reader_mut().take_card_event(),
        Some(CardEvent::Removed)
    );
    assert!(card.pin_status(PinSlot::UserAuth).is_err());

    // Place it again: selected and asked again from scratch. The first operation after the
    // insertion is refused unless the caller took the event itself: it learns that the card
    // changed.
    let placed = place(&virtual_card);
    assert!(
        card.reader_mut()
            .wait_for_card(Duration::from_secs(10))
            .unwrap()
    );
    assert_eq!(
        card.pin_status(PinSlot::UserAuth),
        Err(onshi::Error::Transport(onshi::TransportError::CardChanged))
    );
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap(),
        PinStatus::Remaining(3)
    );
    assert_eq!(card.stats().pin_verifications, 2);
    placed.remove();
}

/// A patient at a PIN-only reader who types what the script says; the audit trail kept.
struct PinPatient {
    inputs: Vec<UserInput>,
    now: Timestamp,
    events: Vec<VisitEvent>,
}

impl ReceptionUi for PinPatient {
    fn show(&mut self, _screen: &Screen) {}
    fn next_input(&mut self, _stage: VisitStage, deadline: Timestamp) -> Option<UserInput> {
        if self.inputs.is_empty() {
            self.now = deadline;
            return None;
        }
        Some(self.inputs.remove(0))
    }
    fn capture_face(&mut self) -> Option<onshi::face::FaceCapture> {
        None
    }
    fn now(&mut self) -> Timestamp {
        self.now
    }
    fn audit(&mut self, event: &AuditEvent) {
        self.events.push(event.event.clone());
    }
}

/// One visit at a PIN-only reader through `reader`, driven by `run_visit`: the outcome and the
/// audit trail.
fn pin_only_visit(reader: &mut PcscReader, inputs: Vec<UserInput>) -> (Outcome, Vec<VisitEvent>) {
    pin_only_visit_trusting(reader, inputs, onshi::sim::trust_anchors())
}

/// The same, with the given trust anchors.
fn pin_only_visit_trusting(
    reader: &mut PcscReader,
    inputs: Vec<UserInput>,
    trust: onshi::card::authenticity::TrustAnchors,
) -> (Outcome, Vec<VisitEvent>) {
    let context = ReaderContext {
        reader: ReaderId::new(1),
        mode: ReaderMode::PinOnly,
        mode_since: common::morning(),
        staff_passcode: None,
        capabilities: reader.capabilities(),
        legacy_reminder_seconds: 30 * 60,
        trust,
    };
    let mut visit = Visit::new(
        context,
        VisitSettings::default(),
        common::morning(),
        onshi::card::authenticity::Challenge::from_random_bytes([0x33; 32]),
    );
    let mut patient = PinPatient {
        inputs,
        now: common::morning(),
        events: Vec::new(),
    };
    let outcome = run_visit(
        &mut visit,
        reader,
        &mut onshi::sim::VirtualFaceMatcher,
        &mut patient,
    );
    (outcome, patient.events)
}

/// A whole reception visit, driven by `run_visit`, through pcscd.
#[test]
fn a_reception_visit_through_pcscd() {
    let Some(_reader) = enabled() else { return };
    let virtual_card = Arc::new(Mutex::new(Persona::Standard.card(today())));
    let placed = place(&virtual_card);
    let mut reader = open_reader();
    let pin = |digits: &str| UserInput::PinEntered(digits.into());
    let (outcome, _) = pin_only_visit(
        &mut reader,
        vec![pin("9999"), pin("1234"), UserInput::ConsentAnswer(true)],
    );
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    assert!(outcome.consent().is_some());
    assert_eq!(outcome.certificate.as_ref().unwrap().der().len(), 1590);
    assert_eq!(pin_verifications(&virtual_card), 2, "one VERIFY per entry");
    assert_eq!(
        virtual_card
            .lock()
            .unwrap()
            .pin_remaining(PinSlot::UserAuth),
        Some(3)
    );
    placed.remove();
}

/// Another program's try to sign with the user-authentication key, through its own PC/SC
/// connection, without the PIN: SELECT of the JPKI-AP, then the signature (`80 2A 00 97`).
/// The status word of the signature.
fn another_program_signs(pin: Option<&str>) -> u16 {
    let mut other = open_reader();
    let _ = other.take_card_event();
    let mut response = [0u8; 258];
    let mut send = |command: &[u8]| -> u16 {
        let len = other.transmit(command, &mut response).unwrap();
        u16::from_be_bytes([response[len - 2], response[len - 1]])
    };
    let select_jpki = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert_eq!(send(&select_jpki), 0x9000);
    if let Some(pin) = pin {
        let mut verify = vec![0x00, 0x20, 0x00, 0x98, 0x04];
        verify.extend_from_slice(pin.as_bytes());
        assert_eq!(send(&verify), 0x9000);
    }
    let digest_info = sha256_digest_info(b"a signature nobody asked for");
    let mut sign = vec![0x80, 0x2A, 0x00, 0x97, digest_info.len() as u8];
    sign.extend_from_slice(&digest_info);
    sign.push(0x00);
    send(&sign)
}

/// After a visit confirmed by PIN, with the card still on the reader, another PC/SC client
/// cannot use the patient's key: the visit left the application, which ended the PIN's
/// security status (real-card evidence, fact 10). The same client with the PIN can, so the
/// refusal is the lock, not a malformed command.
#[test]
fn after_a_pin_visit_another_client_cannot_sign_without_the_pin() {
    let Some(_reader) = enabled() else { return };
    let virtual_card = Arc::new(Mutex::new(Persona::Standard.card(today())));
    let placed = place(&virtual_card);
    let mut reader = open_reader();
    let (outcome, events) = pin_only_visit(
        &mut reader,
        vec![
            UserInput::PinEntered(secrets::USER_AUTH_PIN.into()),
            UserInput::ConsentAnswer(true),
        ],
    );
    assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin));
    assert!(events.contains(&VisitEvent::KeysLocked), "{events:?}");
    assert!(!events.contains(&VisitEvent::KeysLockFailed));
    // The visit's connection stays open (a product keeps it), the card stays on the reader.
    assert!(virtual_card.lock().unwrap().unlocked_keys().is_empty());
    assert_eq!(
        another_program_signs(None),
        0x6982,
        "security status not satisfied"
    );
    // The control: with the PIN, the same command signs.
    assert_eq!(another_program_signs(Some(secrets::USER_AUTH_PIN)), 0x9000);
    drop(reader);
    placed.remove();
}

/// The counterfeit personas through pcscd: each is refused (or, with its genuine keys, the
/// forged card face is confirmed by PIN only), and the key a PIN unlocked is locked again.
#[test]
fn counterfeit_cards_through_pcscd() {
    use onshi::card::authenticity::{AuthenticityError, TrustAnchors};
    use onshi::reception::{RefusalReason, VisitResult};

    let Some(_reader) = enabled() else { return };
    let pin = |digits: &str| UserInput::PinEntered(digits.into());
    let cases = [
        (
            Persona::ClonedCard,
            onshi::sim::trust_anchors(),
            "1234",
            Some(RefusalReason::NotAuthentic),
            Some(AuthenticityError::PinKeyNotProven),
        ),
        (
            Persona::FakePinCard,
            onshi::sim::trust_anchors(),
            "0000",
            Some(RefusalReason::NotAuthentic),
            Some(AuthenticityError::PinKeyNotProven),
        ),
        (
            Persona::TestCard,
            TrustAnchors::production(),
            "1234",
            Some(RefusalReason::CertificateNotTrusted),
            Some(AuthenticityError::UntrustedCertificate),
        ),
        (
            Persona::ForgedFace,
            onshi::sim::trust_anchors(),
            "1234",
            None,
            None,
        ),
    ];
    for (persona, trust, digits, refusal, problem) in cases {
        let virtual_card = Arc::new(Mutex::new(persona.card(today())));
        let placed = place(&virtual_card);
        let mut reader = open_reader();
        let (outcome, events) = pin_only_visit_trusting(
            &mut reader,
            vec![pin(digits), UserInput::ConsentAnswer(true)],
            trust,
        );
        match refusal {
            Some(reason) => {
                assert_eq!(outcome.result, VisitResult::Refused { reason }, "{persona}")
            }
            None => assert_eq!(outcome.identity(), Some(&IdentityMethod::Pin), "{persona}"),
        }
        if let Some(problem) = problem {
            assert!(
                events.contains(&VisitEvent::NotAuthentic { problem }),
                "{persona}: {events:?}"
            );
        }
        assert!(
            virtual_card.lock().unwrap().unlocked_keys().is_empty(),
            "{persona}"
        );
        drop(reader);
        placed.remove();
    }
}

/// A scratch directory for OpenSC's configuration and files.
fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("opensc");
    std::fs::create_dir_all(&dir).unwrap();
    // Only the JPKI driver, so that no other driver probes the card first.
    std::fs::write(
        dir.join("jpki.conf"),
        "app default {\n card_drivers = jpki;\n framework pkcs15 { use_file_caching = no; }\n}\n",
    )
    .unwrap();
    dir
}

fn opensc(dir: &PathBuf, tool: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(tool)
        .args(args)
        .env("OPENSC_CONF", dir.join("jpki.conf"))
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("{tool}: {error} (is OpenSC installed?)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn opensc_jpki_driver_finds_a_real_looking_card() {
    let Some(_reader) = enabled() else { return };
    let dir = scratch();
    let virtual_card = Arc::new(Mutex::new(Persona::Standard.card(today())));
    let placed = place(&virtual_card);
    let mut reader = open_reader();
    let _ = reader.take_card_event();
    drop(reader);

    let (ok, text) = opensc(&dir, "opensc-tool", &["-n"]);
    assert!(ok && text.contains("jpki"), "{text}");

    let (ok, text) = opensc(&dir, "pkcs15-tool", &["--list-pins"]);
    assert!(ok, "{text}");
    assert!(text.contains("User Authentication PIN"), "{text}");
    assert!(text.contains("Tries left     : 3"), "{text}");
    assert!(text.contains("Tries left     : 5"), "{text}");

    let (ok, text) = opensc(&dir, "pkcs15-tool", &["--read-certificate", "01"]);
    assert!(ok && text.contains("BEGIN CERTIFICATE"), "{text}");
    std::fs::write(
        dir.join("auth.pem"),
        &text[text.find("-----BEGIN").unwrap()..],
    )
    .unwrap();
    let serial = Command::new("openssl")
        .args(["x509", "-in", "auth.pem", "-noout", "-serial", "-subject"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let serial = String::from_utf8_lossy(&serial.stdout).into_owned();
    assert!(serial.contains("serial=227B01"), "{serial}");
    assert!(serial.contains("ONSHIVIRTUAL0001AUTH13999"), "{serial}");

    // A wrong PIN through OpenSC spends exactly one try; the right one resets the counter.
    let before = pin_verifications(&virtual_card);
    let (ok, text) = opensc(
        &dir,
        "pkcs15-tool",
        &["--verify-pin", "--auth-id", "01", "--pin", "9999"],
    );
    assert!(!ok || text.contains("incorrect"), "{text}");
    assert_eq!(pin_verifications(&virtual_card) - before, 1);
    assert_eq!(
        virtual_card
            .lock()
            .unwrap()
            .pin_remaining(PinSlot::UserAuth),
        Some(2)
    );
    let (ok, text) = opensc(
        &dir,
        "pkcs15-tool",
        &["--verify-pin", "--auth-id", "01", "--pin", "1234"],
    );
    assert!(ok, "{text}");
    assert_eq!(
        virtual_card
            .lock()
            .unwrap()
            .pin_remaining(PinSlot::UserAuth),
        Some(3)
    );

    // A signature by OpenSC (it builds the DigestInfo; the card pads) verifies with the key of
    // the certificate the card serves.
    let message = b"signed through OpenSC";
    let digest = sha256_digest_info(message);
    std::fs::write(dir.join("digest.bin"), &digest[digest.len() - 32..]).unwrap();
    let (ok, text) = opensc(
        &dir,
        "pkcs15-crypt",
        &[
            "--sign",
            "--key",
            "01",
            "--pin",
            "1234",
            "--sha-256",
            "--pkcs1",
            "-i",
            "digest.bin",
            "-o",
            "signature.bin",
        ],
    );
    assert!(ok, "{text}");
    let signature = std::fs::read(dir.join("signature.bin")).unwrap();
    assert_eq!(signature.len(), 256);
    let certificate = virtual_card
        .lock()
        .unwrap()
        .data(
            onshi::card::Application::Jpki,
            onshi::card::jpki::USER_AUTH_CERTIFICATE,
        )
        .unwrap()
        .to_vec();
    let certificate = onshi::card::UserAuthCertificate::from_der(certificate).unwrap();
    let key = PublicKey::from_public_key_der(&certificate.public_key_info_der().unwrap()).unwrap();
    key.verify(Pkcs1v15Sign::new_unprefixed(), &digest, &signature)
        .unwrap();
    placed.remove();
}
