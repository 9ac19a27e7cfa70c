//! The lockout guard under every fault: a reader that injects each kind of fault at every
//! APDU position of every PIN operation of `Card` and of whole visits (every persona, every
//! mode, driven by `run_visit` as a product would), and the invariants checked against the
//! virtual card's own log and counters:
//!
//! 1. at most one VERIFY with a PIN per PIN entry;
//! 2. none without a fresh card-reported count: the command just before every VERIFY on the
//!    card is this program's retry query of the same key, answered `63 Cx` with x ≥ 1;
//! 3. none to a blocked PIN;
//! 4. none to the wrong key (the user-authentication PIN gets 4 digits, 照合番号B 14, nothing
//!    else is verified, the signing password never loses a try);
//! 5. never card A's certificate with card B's PIN: a visit confirmed by PIN names the card
//!    that accepted the PIN;
//! 6. never consent without identity, and identity by face only on the card whose photo was
//!    read;
//! 7. every visit ends, and a card left on the reader has no key unlocked, however the visit
//!    ended (unless the visit recorded that locking it failed).
//!
//! It prints the number of cases and violations; 0 violations is the pass. `cargo test` runs
//! every fault at every position of every visit, and every pair of faults at the same or
//! adjacent positions of the card layer's PIN operations; `ONSHI_FAULT_MATRIX=long` (CI, in
//! release) adds every pair of faults at every pair of positions of the card layer's, and at
//! positions up to 3 apart in the visits where a PIN is typed.
//!
//! A reader that answers for the card (`90 00` or a plausible retry count the card never gave)
//! lies in a way no host can see without cryptography: invariants 2 (the count is read on the
//! card itself) and 7 (the keys were locked) are not asked of those cases. Invariant 5 is: a
//! forged acceptance of a PIN is caught by the signature the PIN's key makes right after it.
//! All other invariants hold in every case.

mod common;

use std::collections::VecDeque;

use common::harness::Site;
use common::{morning, today};
use onshi::apdu::Command;
use onshi::card::{Application, Card, Pin, PinKind, PinSlot, PinStatus, VerifyOutcome, jpki};
use onshi::face::FaceCapture;
use onshi::facility::ReaderMode;
use onshi::reception::{
    AuditEvent, IdentityMethod, InputRejected, Outcome, ReceptionUi, Screen, StaffId, StaffNotice,
    UserInput, Visit, VisitEvent, VisitResult, VisitSettings, VisitStage, run_visit,
};
use onshi::sim::{
    Persona, VirtualCard, VirtualFaceMatcher, VirtualReader, capture_of_holder,
    capture_of_someone_else, secrets,
};
use onshi::time::Timestamp;
use onshi::{CardEvent, CardReader, ReaderCapabilities, SecretBytes, TransportError};

/// What goes wrong, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FaultKind {
    // At a transmission.
    LostBefore(TransportError),
    LostAfter(TransportError),
    ResetAfter,
    RemovedDuring,
    SwappedDuring,
    Answer(&'static [u8]),
    Truncated,
    // Between two transmissions (before the driver looks for card events).
    ResetBetween,
    PowerCycleBetween,
    RemovedBetween,
    SwappedBetween,
    OtherProgramSpendsATry,
    OtherProgramSelectsTheSigningPassword,
}

fn fault_kinds() -> Vec<FaultKind> {
    use FaultKind::*;
    vec![
        LostBefore(TransportError::Timeout),
        LostBefore(TransportError::NoService),
        LostBefore(TransportError::SharingViolation),
        LostBefore(TransportError::CardReset),
        LostAfter(TransportError::Timeout),
        LostAfter(TransportError::NoService),
        LostAfter(TransportError::NoReader),
        LostAfter(TransportError::Failed { code: 0x8010_002F }),
        ResetAfter,
        RemovedDuring,
        SwappedDuring,
        Answer(&[0x6F]),
        Answer(&[]),
        Answer(&[0x61, 0x10]),
        Answer(&[0x6C, 0x10]),
        Answer(&[0x62, 0x83]),
        Answer(&[0x63, 0x00]),
        Answer(&[0x6F, 0x00]),
        Answer(&[0x63, 0xCF]),
        Answer(&[0x63, 0xC3]),
        Answer(&[0x69, 0x82]),
        Answer(&[0x90, 0x00]),
        Answer(&[0x00, 0x00, 0x90, 0x00]),
        Truncated,
        ResetBetween,
        PowerCycleBetween,
        RemovedBetween,
        SwappedBetween,
        OtherProgramSpendsATry,
        OtherProgramSelectsTheSigningPassword,
    ]
}

/// A list of faults at positions (transmission indexes).
type Plan = Vec<(usize, FaultKind)>;

/// Every fault alone at every position below `positions`, then every pair of faults at every
/// pair of positions at most `window` apart (the same position included: a fault between
/// commands and one at the command).
fn plans(positions: usize, window: usize) -> Vec<Plan> {
    let kinds = fault_kinds();
    let mut plans: Vec<Plan> = Vec::new();
    for at in 0..positions {
        for kind in &kinds {
            plans.push(vec![(at, kind.clone())]);
        }
    }
    if window == 0 {
        return plans;
    }
    for first in 0..positions {
        for second in first..positions.min(first.saturating_add(window).saturating_add(1)) {
            for a in &kinds {
                for b in &kinds {
                    plans.push(vec![(first, a.clone()), (second, b.clone())]);
                }
            }
        }
    }
    plans
}

/// One command this program sent, and where it went.
#[derive(Clone, Debug)]
struct Sent {
    command: Vec<u8>,
}

/// A reader that injects faults at chosen transmissions, over a virtual reader whose cards it
/// keeps (the one on it, and the ones taken off) for the invariants.
struct FaultyReader {
    inner: VirtualReader,
    on_reader: Option<usize>,
    cards: Vec<VirtualCard>,
    spare: Option<Persona>,
    plan: Vec<(usize, FaultKind)>,
    transmissions: usize,
    sent: Vec<Sent>,
    /// Whether the reader answered for the card with something a card could have said after
    /// doing the command (`90 00`, `61 xx`, `6C xx`, a plausible retry count): a lie no host
    /// can see through without cryptography (see `answered_for_card`).
    answered_for_card: bool,
}

const SELECT_JPKI: [u8; 15] = [
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];

impl FaultyReader {
    fn new(persona: Persona, spare: Persona, plan: Vec<(usize, FaultKind)>) -> Self {
        let mut inner = VirtualReader::new();
        // Placed on the reader: the first card event is its insertion, as on a real reader.
        inner.insert(persona.card(today()));
        Self {
            inner,
            on_reader: Some(0),
            cards: Vec::new(),
            spare: Some(spare),
            plan,
            transmissions: 0,
            sent: Vec::new(),
            answered_for_card: false,
        }
    }

    fn take_fault(&mut self, between: bool) -> Option<FaultKind> {
        let index = self.transmissions;
        let position = self.plan.iter().position(|(at, kind)| {
            *at == index
                && between
                    == matches!(
                        kind,
                        FaultKind::ResetBetween
                            | FaultKind::PowerCycleBetween
                            | FaultKind::RemovedBetween
                            | FaultKind::SwappedBetween
                            | FaultKind::OtherProgramSpendsATry
                            | FaultKind::OtherProgramSelectsTheSigningPassword
                    )
        })?;
        Some(self.plan.remove(position).1)
    }

    fn retire(&mut self) {
        if let Some(card) = self.inner.remove() {
            self.cards.push(card);
        }
        self.on_reader = None;
    }

    fn swap(&mut self) {
        let Some(spare) = self.spare.take() else {
            return;
        };
        self.retire();
        // Removal and insertion coalesce into one insertion event, as PC/SC readers report.
        let _ = self.inner.take_card_event();
        self.inner.insert(spare.card(today()));
        self.on_reader = Some(1);
    }

    /// Every card there was, by id: 0 the first, 1 the spare.
    fn all_cards(&self) -> Vec<(usize, &VirtualCard)> {
        let mut all: Vec<(usize, &VirtualCard)> = Vec::new();
        let mut ids = 0..;
        for card in &self.cards {
            all.push((ids.next().unwrap_or(0), card));
        }
        if let (Some(id), Some(card)) = (self.on_reader, self.inner.card()) {
            all.retain(|(i, _)| *i != id);
            all.push((id, card));
        }
        // The first card retired is 0, the spare is 1.
        all
    }
}

impl CardReader for FaultyReader {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError> {
        let fault = self.take_fault(false);
        self.transmissions += 1;
        let record = |sent: &mut Vec<Sent>| {
            sent.push(Sent {
                command: command.to_vec(),
            });
        };
        let answer = |reply: &[u8], response: &mut [u8]| match response.get_mut(..reply.len()) {
            Some(out) => {
                out.copy_from_slice(reply);
                Ok(reply.len())
            }
            None => Err(TransportError::ResponseTooLong {
                capacity: response.len(),
            }),
        };
        match fault {
            None => {
                let result = self.inner.transmit(command, response);
                record(&mut self.sent);
                result
            }
            Some(FaultKind::LostBefore(error)) => Err(error),
            Some(FaultKind::LostAfter(error)) => {
                let _ = self.inner.transmit(command, response);
                record(&mut self.sent);
                Err(error)
            }
            Some(FaultKind::ResetAfter) => {
                let _ = self.inner.transmit(command, response);
                record(&mut self.sent);
                self.inner.reset();
                Err(TransportError::CardReset)
            }
            Some(FaultKind::RemovedDuring) => {
                self.retire();
                Err(TransportError::CardRemoved)
            }
            Some(FaultKind::SwappedDuring) => {
                self.swap();
                Err(TransportError::CardRemoved)
            }
            Some(FaultKind::Answer(bytes)) => {
                record(&mut self.sent);
                self.answered_for_card |= matches!(
                    bytes,
                    [.., 0x90, 0x00] | [0x61 | 0x6C, _] | [0x63, 0xC1..=0xC3]
                );
                answer(bytes, response)
            }
            Some(FaultKind::Truncated) => {
                let mut full = vec![0; response.len()];
                let len = self.inner.transmit(command, &mut full)?;
                record(&mut self.sent);
                let cut = len / 2;
                answer(full.get(..cut).unwrap_or(&[]), response)
            }
            Some(_) => {
                record(&mut self.sent);
                self.inner.transmit(command, response)
            }
        }
    }

    fn take_card_event(&mut self) -> Option<CardEvent> {
        match self.take_fault(true) {
            Some(FaultKind::ResetBetween) => self.inner.reset(),
            Some(FaultKind::PowerCycleBetween) => self.inner.power_cycle(),
            Some(FaultKind::RemovedBetween) => self.retire(),
            Some(FaultKind::SwappedBetween) => self.swap(),
            Some(FaultKind::OtherProgramSpendsATry) => {
                let _ = self.inner.send_from_another_program(&SELECT_JPKI);
                // A wrong PIN no scenario types, so the logs tell the two programs apart.
                let _ = self.inner.send_from_another_program(&[
                    0x00, 0x20, 0x00, 0x98, 0x04, b'5', b'5', b'5', b'5',
                ]);
            }
            Some(FaultKind::OtherProgramSelectsTheSigningPassword) => {
                let _ = self.inner.send_from_another_program(&SELECT_JPKI);
                let _ = self
                    .inner
                    .send_from_another_program(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x1B]);
            }
            _ => {}
        }
        self.inner.take_card_event()
    }

    fn capabilities(&self) -> ReaderCapabilities {
        self.inner.capabilities()
    }

    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.inner.begin_exclusive()
    }

    fn end_exclusive(&mut self) {
        self.inner.end_exclusive();
    }
}

/// A patient (and staff) who do what each screen asks, from a script of preferences.
struct Patient {
    persona: Persona,
    prefer: Vec<onshi::reception::MethodChoice>,
    pins: VecDeque<&'static str>,
    light: usize,
    options: Vec<onshi::reception::MethodChoice>,
    card_to_confirm: Option<onshi::reception::CardIdentity>,
    now: Timestamp,
    inputs: usize,
    pins_entered: usize,
    stalls: Vec<VisitStage>,
    events: Vec<VisitEvent>,
}

impl ReceptionUi for Patient {
    fn show(&mut self, screen: &Screen) {
        match screen {
            Screen::ChooseMethod { options, .. }
            | Screen::FaceFailed { options }
            | Screen::NoPhotoOnCard { options }
            | Screen::PinBlocked { options } => self.options.clone_from(options),
            _ => {}
        }
    }

    fn next_input(&mut self, stage: VisitStage, _deadline: Timestamp) -> Option<UserInput> {
        use onshi::reception::MethodChoice;
        self.inputs += 1;
        self.now = self.now.saturating_add_seconds(1);
        if self.inputs > 80 {
            self.stalls.push(stage);
            return None;
        }
        Some(match stage {
            VisitStage::AwaitingVerificationNumberB => UserInput::VerificationNumberB(
                self.persona.holder(today()).verification_number_b().ok()?,
            ),
            VisitStage::ChoosingMethod => {
                let choice = self
                    .prefer
                    .iter()
                    .find(|method| self.options.contains(method))
                    .or_else(|| self.options.first())
                    .copied()?;
                // Prefer each method once: the next choice is the next preference.
                self.prefer.retain(|method| *method != choice);
                UserInput::Choose(choice)
            }
            VisitStage::PinEntry { .. } => {
                self.pins_entered += 1;
                let pin = self.pins.pop_front().unwrap_or(secrets::USER_AUTH_PIN);
                UserInput::PinEntered(SecretBytes::from(pin))
            }
            VisitStage::LastTryWarning => UserInput::ConfirmLastTry,
            VisitStage::StaffPasscode { .. } => UserInput::StaffPasscode {
                staff_id: StaffId::new("nurse-01")?,
                passcode: SecretBytes::from("4321"),
            },
            VisitStage::AwaitingStaffConfirmation => UserInput::StaffConfirmedOnTerminal {
                staff_id: StaffId::new("clerk-01")?,
                card: self.card_to_confirm.clone()?,
            },
            VisitStage::Consent => UserInput::ConsentAnswer(true),
            VisitStage::AwaitingCard => {
                // The card is gone; the patient walks away.
                return None;
            }
            other => {
                let _ = MethodChoice::Face;
                self.stalls.push(other);
                return None;
            }
        })
    }

    fn capture_face(&mut self) -> Option<FaceCapture> {
        if self.light > 0 {
            self.light -= 1;
            return Some(capture_of_someone_else());
        }
        Some(capture_of_holder())
    }

    fn now(&mut self) -> Timestamp {
        self.now
    }

    fn audit(&mut self, event: &AuditEvent) {
        self.events.push(event.event.clone());
    }

    fn notify_staff(&mut self, notice: &StaffNotice) {
        if let StaffNotice::ConfirmCard { card, .. } = notice {
            self.card_to_confirm = Some(card.clone());
        }
    }

    fn input_rejected(&mut self, _rejected: &InputRejected) {}
}

/// A whole visit to run under faults.
#[derive(Clone, Debug)]
struct Scenario {
    name: &'static str,
    persona: Persona,
    mode: ReaderMode,
    prefer: Vec<onshi::reception::MethodChoice>,
    pins: Vec<&'static str>,
    light: usize,
    /// How the visit ends without faults: `Some(method)` confirmed by it, `None` not confirmed.
    expect: Option<&'static str>,
}

fn scenarios() -> Vec<Scenario> {
    use onshi::reception::MethodChoice::{Face, Pin as PinMethod, StaffCheck};
    let s = |name, persona, mode, prefer: Vec<_>, pins: Vec<_>, light, expect| Scenario {
        name,
        persona,
        mode,
        prefer,
        pins,
        light,
        expect,
    };
    vec![
        s(
            "face",
            Persona::Standard,
            ReaderMode::Unattended,
            vec![Face],
            vec![],
            0,
            Some("face"),
        ),
        s(
            "pin wrong then right",
            Persona::Standard,
            ReaderMode::Unattended,
            vec![PinMethod],
            vec!["9999", "1234"],
            0,
            Some("pin"),
        ),
        s(
            "face fails, staff check",
            Persona::Standard,
            ReaderMode::Unattended,
            vec![Face, StaffCheck],
            vec![],
            3,
            Some("staff"),
        ),
        s(
            "pin-only",
            Persona::Standard,
            ReaderMode::PinOnly,
            vec![],
            vec!["0000", "1234"],
            0,
            Some("pin"),
        ),
        s(
            "last try",
            Persona::OneTryLeft,
            ReaderMode::PinOnly,
            vec![],
            vec!["1234"],
            0,
            Some("pin"),
        ),
        s(
            "last try wrong",
            Persona::OneTryLeft,
            ReaderMode::Unattended,
            vec![PinMethod, Face],
            vec!["0000"],
            0,
            Some("face"),
        ),
        s(
            "blocked",
            Persona::PinBlocked,
            ReaderMode::Unattended,
            vec![PinMethod, Face],
            vec![],
            0,
            Some("face"),
        ),
        s(
            "face-auth card",
            Persona::FaceAuthCard,
            ReaderMode::Unattended,
            vec![PinMethod, Face],
            vec![],
            0,
            Some("face"),
        ),
        s(
            "infant",
            Persona::InfantNoPhoto,
            ReaderMode::Unattended,
            vec![Face, StaffCheck, PinMethod],
            vec!["1234"],
            0,
            Some("pin"),
        ),
        s(
            "expired recently",
            Persona::CertExpiredRecently,
            ReaderMode::Unattended,
            vec![PinMethod],
            vec!["1234"],
            0,
            Some("pin"),
        ),
        s(
            "expired long ago",
            Persona::CertExpiredLongAgo,
            ReaderMode::Unattended,
            vec![PinMethod],
            vec!["1234"],
            0,
            None,
        ),
        s(
            "android",
            Persona::SmartphoneAndroid,
            ReaderMode::Unattended,
            vec![],
            vec!["1111", "1234"],
            0,
            Some("smartphone"),
        ),
        s(
            "legacy visual",
            Persona::Standard,
            ReaderMode::LegacyVisual,
            vec![],
            vec![],
            0,
            Some("staff"),
        ),
        // Counterfeits: refused after the PIN unlocked a key, which must be locked again.
        s(
            "forged face, pin",
            Persona::ForgedFace,
            ReaderMode::Unattended,
            vec![Face, PinMethod],
            vec!["1234"],
            0,
            Some("pin"),
        ),
        s(
            "cloned card, pin",
            Persona::ClonedCard,
            ReaderMode::Unattended,
            vec![PinMethod],
            vec!["1234"],
            0,
            None,
        ),
        s(
            "fake pin card",
            Persona::FakePinCard,
            ReaderMode::PinOnly,
            vec![],
            vec!["0000"],
            0,
            None,
        ),
    ]
}

/// What one case did.
struct Run {
    reader: FaultyReader,
    outcome: Outcome,
    patient: Patient,
}

fn run(scenario: &Scenario, site: &mut Site, plan: Vec<(usize, FaultKind)>) -> Run {
    let spare = if scenario.persona == Persona::OneTryLeft {
        Persona::Standard
    } else {
        Persona::OneTryLeft
    };
    let mut reader = FaultyReader::new(scenario.persona, spare, plan);
    let mut patient = Patient {
        persona: scenario.persona,
        prefer: scenario.prefer.clone(),
        pins: scenario.pins.iter().copied().collect(),
        light: scenario.light,
        options: Vec::new(),
        card_to_confirm: None,
        now: morning(),
        inputs: 0,
        pins_entered: 0,
        stalls: Vec::new(),
        events: Vec::new(),
    };
    let mut visit = Visit::new(
        site.context(),
        VisitSettings::default(),
        morning(),
        onshi::card::authenticity::Challenge::from_random_bytes([0x55; 32]),
    );
    let outcome = run_visit(
        &mut visit,
        &mut reader,
        &mut VirtualFaceMatcher,
        &mut patient,
    );
    Run {
        reader,
        outcome,
        patient,
    }
}

/// The invariants of the module docs; each violation as text.
fn violations(run: &Run, persona_of: &dyn Fn(usize) -> Persona) -> Vec<String> {
    let mut found = Vec::new();
    let reader = &run.reader;
    // 1. At most one VERIFY with a PIN per PIN entry.
    let our_pin_verifies: Vec<&Sent> = reader
        .sent
        .iter()
        .filter(|sent| {
            Command::parse(&sent.command)
                .is_ok_and(|c| c.instruction() == 0x20 && c.data().len() == 4)
        })
        .collect();
    if our_pin_verifies.len() > run.patient.pins_entered {
        found.push(format!(
            "{} PIN VERIFYs for {} entries",
            our_pin_verifies.len(),
            run.patient.pins_entered
        ));
    }
    found.extend(card_log_violations(reader));
    // 5–6. What confirmed the identity happened on the card the outcome names.
    let outcome = &run.outcome;
    if let VisitResult::Confirmed { identity, .. } = &outcome.result {
        let Some(card) = &outcome.card else {
            found.push("confirmed without a card identity".into());
            return found;
        };
        let serial_of = |persona: Persona| {
            persona
                .card(today())
                .data(Application::Jpki, jpki::TOKEN)
                .map(|token| String::from_utf8_lossy(&token[80..96]).trim().to_owned())
        };
        let card_id = (0..2)
            .find(|id| serial_of(persona_of(*id)).as_deref() == Some(card.chip_serial.as_str()));
        match identity {
            IdentityMethod::Pin
            | IdentityMethod::PinByLegalRepresentative
            | IdentityMethod::Smartphone { .. } => {
                let accepted_by: Vec<usize> = reader
                    .all_cards()
                    .iter()
                    .filter(|(_, c)| {
                        c.log().iter().any(|e| {
                            e.verified_slot() == Some(PinSlot::UserAuth)
                                && e.status().is_success()
                                && !is_other_program(reader, e)
                        })
                    })
                    .map(|(id, _)| *id)
                    .collect();
                if card_id.is_none_or(|id| !accepted_by.contains(&id)) {
                    found.push(format!(
                        "confirmed by PIN naming card {card_id:?}, accepted by {accepted_by:?}"
                    ));
                }
            }
            IdentityMethod::Face { .. } => {
                let photo_from: Vec<usize> = reader
                    .all_cards()
                    .iter()
                    .filter(|(_, c)| {
                        c.log().iter().any(|e| {
                            e.command()
                                .is_some_and(|c| c.instruction() == 0xB0 && c.p1() == 0x82)
                                && e.status().is_success()
                        })
                    })
                    .map(|(id, _)| *id)
                    .collect();
                if card_id.is_none_or(|id| !photo_from.contains(&id)) {
                    found.push(format!(
                        "confirmed by face naming card {card_id:?}, photo read from {photo_from:?}"
                    ));
                }
            }
            IdentityMethod::StaffCheck { .. } => {}
        }
    }
    // 7. However the visit ended, no key left unlocked on a card still on the reader.
    let lock_failed = run.patient.events.contains(&VisitEvent::KeysLockFailed);
    // Another program's right PIN unlocks the key for everyone; that one is not this
    // program's to lock.
    let unlocked_by_another =
        reader
            .inner
            .other_programs_commands()
            .iter()
            .any(|(command, answer)| {
                command.len() > 5 && command[1] == 0x20 && answer.ends_with(&[0x90, 0x00])
            });
    if let Some(card) = reader.inner.card()
        && !lock_failed
        && !unlocked_by_another
        && !reader.answered_for_card
        && !card.unlocked_keys().is_empty()
    {
        found.push(format!(
            "keys left unlocked after {}: {:?}",
            outcome.result,
            card.unlocked_keys()
        ));
    }
    if outcome.consent().is_some() && !matches!(outcome.result, VisitResult::Confirmed { .. }) {
        found.push("consent without identity".into());
    }
    // 7. Every visit ends without stalling.
    if !run.patient.stalls.is_empty() {
        found.push(format!("stalled at {:?}", run.patient.stalls));
    }
    found
}

/// Invariants 2–4, read from the logs of every card there was: each VERIFY of this program
/// went to the user-authentication PIN (4 digits) or 照合番号B (14), never to a blocked key,
/// right after this program's count of the same key answered with at least one try; the
/// signing password lost no try to this program.
fn card_log_violations(reader: &FaultyReader) -> Vec<String> {
    let mut found = Vec::new();
    for (id, card) in reader.all_cards() {
        let log = card.log();
        for (i, entry) in log.iter().enumerate() {
            if !entry.is_key_verification() {
                continue;
            }
            // 4. Only the user-authentication PIN and 照合番号B, with values of their kind.
            let data_len = entry.command().map_or(0, |c| c.data().len());
            match entry.verified_slot() {
                Some(PinSlot::UserAuth) if data_len == 4 => {}
                Some(PinSlot::CardFaceVerificationB) if data_len == 14 => {}
                // Another program's VERIFY (the fault injects one to the user-auth PIN).
                _ if is_other_program(reader, entry) => continue,
                // A VERIFY that reached no key (none selected): refused, no try spent.
                None if !entry.status().is_success()
                    && !matches!(entry.status().to_u16(), 0x63C0..=0x63CF) => {}
                slot => found.push(format!("card {id}: VERIFY of {data_len} bytes to {slot:?}")),
            }
            if is_other_program(reader, entry) {
                continue;
            }
            // 3. Never to a blocked key.
            if matches!(entry.status().to_u16(), 0x6983 | 0x6984) {
                found.push(format!("card {id}: a VERIFY reached a blocked key"));
            }
            // 2. Just before it: this program's count of the same key, at least one try.
            let before = i.checked_sub(1).and_then(|j| log.get(j));
            let fresh = before.is_some_and(|query| {
                let same_key = query
                    .command()
                    .is_some_and(|c| c.instruction() == 0x20 && c.data().is_empty())
                    && query.command().map(|c| c.p2()) == entry.command().map(|c| c.p2());
                let counted = matches!(query.status().to_u16(), 0x63C1..=0x63CF);
                same_key && counted
            });
            if !fresh && !reader.answered_for_card {
                found.push(format!(
                    "card {id}: VERIFY #{i} without this program's fresh count just before it"
                ));
            }
        }
        // 4. The signing password never loses a try to this program.
        if card.pin_remaining(PinSlot::Signing).is_some_and(|n| n < 5)
            && !reader
                .inner
                .other_programs_commands()
                .iter()
                .any(|(c, _)| c.len() > 5 && c[1] == 0x20)
        {
            found.push(format!("card {id}: the signing password lost a try"));
        }
    }
    found
}

/// Whether a logged command on the card was another program's (the fault's).
fn is_other_program(reader: &FaultyReader, entry: &onshi::sim::LoggedCommand) -> bool {
    let bytes = entry.bytes();
    reader
        .inner
        .other_programs_commands()
        .iter()
        .any(|(command, _)| command.as_slice() == bytes.as_slice())
        && !reader
            .sent
            .iter()
            .any(|sent| sent.command == bytes.as_slice())
}

// The visits in two halves, which `cargo test` runs side by side.
#[test]
fn every_fault_at_every_position_of_every_visit_first_half() {
    visit_matrix(0);
}

#[test]
fn every_fault_at_every_position_of_every_visit_second_half() {
    visit_matrix(1);
}

/// Every fault at every position of the scenarios whose index is `half` modulo 2.
fn visit_matrix(half: usize) {
    let mut cases = 0usize;
    let mut failures: Vec<String> = Vec::new();
    let long = std::env::var("ONSHI_FAULT_MATRIX").as_deref() == Ok("long");
    let mut lies = 0usize;
    for (_, scenario) in scenarios()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == half)
    {
        let mut site = Site::new(scenario.mode);
        let baseline = run(&scenario, &mut site, Vec::new());
        let base_violations = violations(&baseline, &|id| persona_of(&scenario, id));
        let method = match &baseline.outcome.result {
            VisitResult::Confirmed { identity, .. } => Some(match identity {
                IdentityMethod::Face { .. } => "face",
                IdentityMethod::Pin | IdentityMethod::PinByLegalRepresentative => "pin",
                IdentityMethod::StaffCheck { .. } => "staff",
                IdentityMethod::Smartphone { .. } => "smartphone",
            }),
            _ => None,
        };
        assert_eq!(
            method, scenario.expect,
            "{}: without faults: {:?}",
            scenario.name, baseline.outcome.result
        );
        assert!(
            baseline.reader.transmissions >= 8,
            "{}: only {} transmissions",
            scenario.name,
            baseline.reader.transmissions
        );
        assert!(
            base_violations.is_empty(),
            "{}: without faults: {base_violations:?}",
            scenario.name
        );
        // The long run (CI) adds pairs of faults close together in the PIN scenarios.
        let pin_scenario = !scenario.pins.is_empty();
        let window = if long && pin_scenario { 3 } else { 0 };
        for plan in plans(baseline.reader.transmissions + 2, window) {
            cases += 1;
            let case = run(&scenario, &mut site, plan.clone());
            lies += usize::from(case.reader.answered_for_card);
            for violation in violations(&case, &|id| persona_of(&scenario, id)) {
                failures.push(format!("{} / {plan:?}: {violation}", scenario.name));
            }
        }
    }
    println!(
        "fault matrix, visits {}/2: {cases} cases ({lies} with the reader answering for the card), {} violations",
        half + 1,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} violations, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn persona_of(scenario: &Scenario, id: usize) -> Persona {
    match (id, scenario.persona) {
        (0, persona) => persona,
        (_, Persona::OneTryLeft) => Persona::Standard,
        _ => Persona::OneTryLeft,
    }
}

/// The card layer alone: a PIN status and two VERIFYs (wrong, right) under every fault.
#[test]
fn every_fault_at_every_position_of_card_pin_operations() {
    let mut cases = 0usize;
    let mut failures = Vec::new();
    for persona in [Persona::Standard, Persona::OneTryLeft] {
        let baseline_transmissions = {
            let mut card = Card::new(FaultyReader::new(persona, Persona::OneTryLeft, vec![]));
            let _ = pin_dialogue(&mut card);
            card.reader().transmissions
        };
        assert!(
            baseline_transmissions >= 4,
            "{persona}: {baseline_transmissions}"
        );
        // Every pair of faults at the same or adjacent positions; the long run (CI), every
        // pair at every pair of positions.
        let long = std::env::var("ONSHI_FAULT_MATRIX").as_deref() == Ok("long");
        let window = if long { usize::MAX } else { 1 };
        let plans = plans(baseline_transmissions + 2, window);
        for plan in plans {
            cases += 1;
            {
                let mut card = Card::new(FaultyReader::new(
                    persona,
                    Persona::OneTryLeft,
                    plan.clone(),
                ));
                let entries = pin_dialogue(&mut card);
                let reader = card.reader();
                let verifies = reader
                    .sent
                    .iter()
                    .filter(|s| {
                        Command::parse(&s.command)
                            .is_ok_and(|c| c.instruction() == 0x20 && !c.data().is_empty())
                    })
                    .count();
                if verifies > entries {
                    failures.push(format!(
                        "{persona} {plan:?}: {verifies} VERIFYs for {entries} calls"
                    ));
                }
                for violation in card_log_violations(reader) {
                    failures.push(format!("{persona} {plan:?}: {violation}"));
                }
            }
        }
    }
    println!(
        "card fault matrix: {cases} cases, {} violations",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A status query and up to two PIN checks (wrong, then right), as a product would call them;
/// the number of VERIFY calls made.
fn pin_dialogue(card: &mut Card<FaultyReader>) -> usize {
    let mut calls = 0;
    for text in ["9999", secrets::USER_AUTH_PIN] {
        let Ok(count) = card.fresh_count(PinSlot::UserAuth) else {
            continue;
        };
        if count.is_last_try() && text == "9999" {
            continue;
        }
        calls += 1;
        let pin = Pin::new(PinKind::UserAuth, text).unwrap_or_else(|_| unreachable!());
        if card.verify(count, pin) == Ok(VerifyOutcome::Verified) {
            break;
        }
    }
    let _ = card
        .pin_status(PinSlot::UserAuth)
        .map(|s| s == PinStatus::Blocked);
    calls
}
