//! Wire-layer benchmarks: command build and parse (beside `iso7816`'s raw parse, so the ratio
//! shows), response parse, and a TLV walk of a 4 KB card-face record.
//!
//! Run: `cargo bench --bench apdu`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iso7816::command::CommandView;
use onshi::SecretBytes;
use onshi::apdu::tlv::{self, Tag, Tlv};
use onshi::apdu::{Command, FileId, Response};

/// The commands of a certificate read and a PIN check, short and extended.
fn sample_commands() -> Vec<Vec<u8>> {
    let pin = SecretBytes::from(b"1234".to_vec());
    let aid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    let digest_info = [0x30; 51];
    let cert = FileId::new(0x000A);
    [
        Command::select_application(&aid).unwrap(),
        Command::select_elementary_file(&cert),
        Command::read_binary(0x0100, 256).unwrap(),
        Command::retry_count_query(),
        Command::verify(&pin).unwrap(),
        Command::new(0x80, 0x2A, 0x00, 0x80, &digest_info, 256).unwrap(),
        Command::read_binary_extended(0, 65_536).unwrap(),
    ]
    .iter()
    .map(|c| {
        let mut out = Vec::new();
        c.encode_to_vec(&mut out);
        out
    })
    .collect()
}

/// A card-face-like record: `FF 20` with ten children, one a 3.5 KB photo; 4 KB in all.
fn card_face_record() -> Vec<u8> {
    let mut inner = Vec::new();
    for (i, len) in [16usize, 8, 1, 256, 40, 40, 3_500, 256, 8, 40]
        .iter()
        .enumerate()
    {
        let tag = Tag::from_u32(0xDF21 + i as u32).unwrap();
        tlv::encode(tag, &vec![0x5A; *len], &mut inner).unwrap();
    }
    let mut record = Vec::new();
    tlv::encode(Tag::from_u32(0xFF20).unwrap(), &inner, &mut record).unwrap();
    record
}

fn command_parse(c: &mut Criterion) {
    let commands = sample_commands();
    let mut group = c.benchmark_group("command_parse");
    group.bench_function("onshi", |b| {
        b.iter(|| {
            let mut total = 0usize;
            for bytes in &commands {
                if let Ok(command) = Command::parse(black_box(bytes)) {
                    total += command.data().len() + command.expected_len() as usize;
                }
            }
            black_box(total)
        })
    });
    group.bench_function("iso7816_raw", |b| {
        b.iter(|| {
            let mut total = 0usize;
            for bytes in &commands {
                if let Ok(view) = CommandView::try_from(black_box(bytes.as_slice())) {
                    total += view.data().len() + view.expected();
                }
            }
            black_box(total)
        })
    });
    group.finish();
}

fn command_build(c: &mut Criterion) {
    let pin = SecretBytes::from(b"1234".to_vec());
    let aid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    let cert = FileId::new(0x000A);
    let mut buf = [0u8; 300];
    c.bench_function("command_build", |b| {
        b.iter(|| {
            let commands = [
                Command::select_application(black_box(&aid)).unwrap(),
                Command::select_elementary_file(black_box(&cert)),
                Command::read_binary(black_box(0x0100), 256).unwrap(),
                Command::retry_count_query(),
                Command::verify(black_box(&pin)).unwrap(),
            ];
            for command in commands {
                black_box(command.encode_into(&mut buf).ok());
            }
        })
    });
}

fn response_parse(c: &mut Criterion) {
    let mut page = vec![0x5A; 256];
    page.extend_from_slice(&[0x90, 0x00]);
    c.bench_function("response_parse", |b| {
        b.iter(|| {
            let response = Response::parse(black_box(&page)).unwrap();
            black_box(response.status().meaning());
        })
    });
}

fn tlv_walk(c: &mut Criterion) {
    let record = card_face_record();
    c.bench_function("tlv_walk_4k", |b| {
        b.iter(|| {
            let outer = Tlv::parse_exact(black_box(&record)).unwrap();
            let total: usize = outer.children().map(|c| c.unwrap().value().len()).sum();
            black_box(total)
        })
    });
}

criterion_group!(
    benches,
    command_parse,
    command_build,
    response_parse,
    tlv_walk
);
criterion_main!(benches);
