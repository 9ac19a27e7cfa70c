//! The whole read of the user-authentication certificate against the virtual card, with short
//! APDUs (8 commands) and with extended length (2 commands), and a PIN status query.
//!
//! Also the authenticity checks on a real J-LIS test card's files (`tests/vectors/`): the
//! card-verifiable certificate and the card face's issuer signature, and the certificate chain.
//!
//! Run: `cargo bench --bench card`. It prints the APDU and byte counts of each read first.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use onshi::ReaderCapabilities;
use onshi::card::authenticity::{
    TrustAnchors, verify_card_face_data, verify_card_verifiable_certificate,
    verify_certificate_chain,
};
use onshi::card::{
    Application, Card, CardFaceEntries, CardFile, CardVerifiableCertificate, PinSlot,
    UserAuthCertificate, card_face,
};
use onshi::sim::{Persona, VirtualCard, VirtualReader};
use onshi::time::Date;

fn reader(card: VirtualCard, capabilities: ReaderCapabilities) -> VirtualReader {
    let mut reader = VirtualReader::with_card(card);
    reader.set_capabilities(capabilities);
    reader
}

fn certificate_read(c: &mut Criterion) {
    let template = Persona::Standard.card(Date::new(2026, 11, 27).expect("valid date"));
    let mut group = c.benchmark_group("read_user_auth_certificate");
    for (name, capabilities) in [
        ("short", ReaderCapabilities::SHORT_ONLY),
        ("extended", ReaderCapabilities::EXTENDED_LENGTH),
    ] {
        let mut card = Card::new(reader(template.clone(), capabilities));
        card.user_auth_certificate()
            .expect("the virtual card has one");
        let stats = card.stats();
        eprintln!(
            "{name}: {} APDUs, {} command bytes, {} response bytes",
            stats.commands, stats.command_bytes, stats.response_bytes
        );
        group.bench_function(name, |b| {
            b.iter_batched(
                || Card::new(reader(template.clone(), capabilities)),
                // The card is returned so that its drop stays outside the measurement.
                |mut card| {
                    let certificate = card.user_auth_certificate().expect("readable");
                    black_box((card, certificate))
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn pin_status(c: &mut Criterion) {
    let template = Persona::Standard.card(Date::new(2026, 11, 27).expect("valid date"));
    c.bench_function("pin_status_user_auth", |b| {
        b.iter_batched(
            || Card::new(reader(template.clone(), ReaderCapabilities::SHORT_ONLY)),
            |mut card| {
                let status = card.pin_status(PinSlot::UserAuth).expect("answers");
                black_box((card, status))
            },
            BatchSize::SmallInput,
        )
    });
}

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn authenticity(c: &mut Criterion) {
    let anchors = TrustAnchors::jlis_test();
    let entries = CardFaceEntries::parse(&vector("surface-0002.bin")).expect("a card face");
    let cv_certificate = CardVerifiableCertificate::parse(
        CardFile::new(Application::CardFace, card_face::CERTIFICATE),
        &vector("surface-0004.bin"),
    )
    .expect("a card-verifiable certificate");
    let certificate =
        UserAuthCertificate::from_der(vector("jpki-auth-cert.der")).expect("a certificate");
    let mut group = c.benchmark_group("authenticity");
    group.bench_function("card_verifiable_certificate", |b| {
        b.iter(|| {
            black_box(verify_card_verifiable_certificate(
                &anchors,
                &cv_certificate,
            ))
        })
    });
    group.bench_function("card_face_data", |b| {
        b.iter(|| black_box(verify_card_face_data(&anchors, &cv_certificate, &entries)))
    });
    group.bench_function("certificate_chain", |b| {
        b.iter(|| black_box(verify_certificate_chain(&anchors, &certificate)))
    });
    group.bench_function("production_anchors", |b| {
        b.iter(|| black_box(TrustAnchors::production()))
    });
    group.finish();
}

criterion_group!(benches, certificate_read, pin_status, authenticity);
criterion_main!(benches);
