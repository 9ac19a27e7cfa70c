//! Whole visits against the virtual card: an unattended face visit and a PIN visit, from the
//! card placed to the consent given, with short APDUs and with a reader that has extended
//! length. The virtual card's own work is inside the measurement; no RSA happens in a visit
//! (the card is built once, outside).
//!
//! Run: `cargo bench --bench reception`. It prints APDUs, bytes and allocations per visit
//! first.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use onshi::face::{FaceCapture, MatchScore};
use onshi::facility::{Facility, HashCost, ReaderId, ReaderMode, Session};
use onshi::reception::{
    Input, MethodChoice, Output, ReaderContext, UserInput, Visit, VisitSettings, VisitStage,
};
use onshi::sim::{Persona, VirtualCard};
use onshi::time::Timestamp;
use onshi::{CardEvent, ReaderCapabilities, SecretBytes};

fn context(mode: ReaderMode, capabilities: ReaderCapabilities, now: Timestamp) -> ReaderContext {
    let mut facility = Facility::new(
        "admin",
        &SecretBytes::from("bench-admin-pw"),
        onshi::sim::facility_keys(),
        now,
        HashCost::FAST_FOR_TESTS,
    )
    .expect("facility");
    let Ok(Session::Admin(admin)) =
        facility.login("admin", &SecretBytes::from("bench-admin-pw"), now)
    else {
        panic!("admin login")
    };
    facility
        .add_reader(&admin, ReaderId::new(1), now)
        .expect("reader");
    facility
        .set_reader_mode(&admin, ReaderId::new(1), mode, now)
        .expect("mode");
    facility
        .begin_visit(ReaderId::new(1), capabilities)
        .expect("context")
        .with_trust(onshi::sim::trust_anchors())
}

/// Runs the visit's outputs against the card, answering captures and matches, until it waits
/// for the next input (or is over).
fn pump(visit: &mut Visit, card: &mut VirtualCard, now: Timestamp) {
    loop {
        match visit.poll() {
            Output::Transmit(command) => {
                let response = card.respond(command.bytes());
                let _ = visit.handle(now, Input::CardResponse(&response));
            }
            Output::CaptureFace => {
                let capture = FaceCapture::new(vec![7; 64]);
                let _ = visit.handle(now, UserInput::FaceCaptured(capture));
            }
            Output::MatchFace { .. } => {
                let score = Ok(MatchScore::from_per_mille(930));
                let _ = visit.handle(now, UserInput::FaceMatched(score));
            }
            Output::Show(_) | Output::Audit(_) | Output::StaffNotice(_) => {}
            Output::Wait { .. } | Output::Finished(_) => return,
        }
    }
}

fn face_visit(
    context: &ReaderContext,
    mut card: VirtualCard,
    now: Timestamp,
) -> (Visit, VirtualCard) {
    let b = Persona::Standard
        .holder(now.date_in_japan())
        .verification_number_b()
        .expect("persona 照合番号B");
    let mut visit = Visit::new(
        context.clone(),
        VisitSettings::default(),
        now,
        onshi::card::authenticity::Challenge::from_random_bytes([0xAA; 32]),
    );
    for input in [
        Input::Card(CardEvent::Inserted),
        UserInput::VerificationNumberB(b).into(),
        UserInput::Choose(MethodChoice::Face).into(),
        UserInput::ConsentAnswer(true).into(),
    ] {
        let _ = visit.handle(now, input);
        pump(&mut visit, &mut card, now);
    }
    assert_eq!(visit.stage(), VisitStage::Finished);
    // The card is returned so that its drop stays outside the measurement.
    (visit, card)
}

fn pin_visit(
    context: &ReaderContext,
    mut card: VirtualCard,
    now: Timestamp,
) -> (Visit, VirtualCard) {
    let mut visit = Visit::new(
        context.clone(),
        VisitSettings::default(),
        now,
        onshi::card::authenticity::Challenge::from_random_bytes([0xAA; 32]),
    );
    for input in [
        Input::Card(CardEvent::Inserted),
        UserInput::PinEntered("1234".into()).into(),
        UserInput::ConsentAnswer(true).into(),
    ] {
        let _ = visit.handle(now, input);
        pump(&mut visit, &mut card, now);
    }
    assert_eq!(visit.stage(), VisitStage::Finished);
    // The card is returned so that its drop stays outside the measurement.
    (visit, card)
}

fn visits(c: &mut Criterion) {
    let now = Timestamp::from_jst(2026, 11, 27, 9, 30, 0).expect("time");
    let today = now.date_in_japan();
    let card = Persona::Standard.card(today);
    let short = ReaderCapabilities::SHORT_ONLY;
    let extended = ReaderCapabilities::EXTENDED_LENGTH;
    let unattended = context(ReaderMode::Unattended, short, now);
    let pin_only = context(ReaderMode::PinOnly, short, now);
    let unattended_extended = context(ReaderMode::Unattended, extended, now);
    let pin_only_extended = context(ReaderMode::PinOnly, extended, now);

    type Run = fn(&ReaderContext, VirtualCard, Timestamp) -> (Visit, VirtualCard);
    let runs: [(&str, &ReaderContext, Run); 4] = [
        ("face_unattended", &unattended, face_visit),
        ("pin", &pin_only, pin_visit),
        ("face_unattended_extended", &unattended_extended, face_visit),
        ("pin_extended", &pin_only_extended, pin_visit),
    ];
    let mut group = c.benchmark_group("visit");
    for (name, context, run) in runs {
        let template = card.clone();
        let info = allocation_counter::measure(|| {
            let (visit, _card) = run(context, template.clone(), now);
            let stats = visit.card_state().stats();
            eprintln!(
                "{name}: {} APDUs, {} command bytes, {} response bytes, {} VERIFY with a PIN, {} with 照合番号B",
                stats.commands,
                stats.command_bytes,
                stats.response_bytes,
                stats.pin_verifications,
                stats.key_verifications
            );
        });
        eprintln!(
            "{name}: {} allocations per visit (virtual card included)",
            info.count_total
        );
        group.bench_function(name, |b| {
            b.iter_batched(
                || template.clone(),
                |card| black_box(run(context, card, now)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, visits);
criterion_main!(benches);
