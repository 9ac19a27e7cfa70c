//! Parsing and building APDUs allocate nothing: a counting global allocator proves it.

use onshi::SecretBytes;
use onshi::apdu::tlv::{Tlv, TlvIter, object_size};
use onshi::apdu::{Command, FileId, Response, StatusWord};

/// Allocations made on this thread while `f` runs (`allocation-counter` counts per thread, so
/// tests running in parallel do not disturb each other).
fn allocations_in(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

#[test]
fn building_and_encoding_commands_allocates_nothing() {
    let pin = SecretBytes::from(b"1234".to_vec());
    let aid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    let cert = FileId::new(0x000A);
    let digest_info = [0x30; 51];
    let mut buf = [0u8; 300];
    let count = allocations_in(|| {
        let commands = [
            Command::select_application(&aid).unwrap(),
            Command::select_elementary_file(&cert),
            Command::read_binary(0x0100, 256).unwrap(),
            Command::read_binary_extended(0, 65_536).unwrap(),
            Command::retry_count_query(),
            Command::verify(&pin).unwrap(),
            Command::new(0x80, 0x2A, 0x00, 0x80, &digest_info, 256).unwrap(),
            Command::get_response(16).unwrap(),
        ];
        for command in commands {
            let n = command.encode_into(&mut buf).unwrap();
            assert!(n >= 4);
        }
    });
    assert_eq!(count, 0);
}

#[test]
fn parsing_commands_responses_and_tlv_allocates_nothing() {
    let select = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    let extended = [0x00, 0x2A, 0x00, 0x80, 0x00, 0x00, 0x01, 0xAA, 0x01, 0x00];
    let response = [0x30, 0x82, 0x05, 0x1C, 0x90, 0x00];
    let record = [
        0xFF, 0x20, 0x10, 0xDF, 0x21, 0x02, 0x01, 0x02, 0xDF, 0x22, 0x01, b'A', 0x7F, 0x21, 0x04,
        0x5F, 0x37, 0x01, 0xFF,
    ];
    let count = allocations_in(|| {
        assert_eq!(Command::parse(&select).unwrap().data().len(), 10);
        assert_eq!(Command::parse(&extended).unwrap().expected_len(), 256);
        assert!(Command::parse(&[0x00, 0x20]).is_err());
        let r = Response::parse(&response).unwrap();
        assert_eq!(r.status(), StatusWord::SUCCESS);
        assert_eq!(r.status().meaning(), onshi::apdu::StatusMeaning::Success);
        assert_eq!(object_size(r.data()).unwrap().total_len(), 1312);
        let outer = Tlv::parse_exact(&record).unwrap();
        assert_eq!(outer.children().count(), 3);
        assert_eq!(TlvIter::new(&record).count(), 1);
    });
    assert_eq!(count, 0);
}
