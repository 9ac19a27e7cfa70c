//! Every command APDU of the peers' traces in `card-protocol.md` §6 (and the OpenSC session in
//! `tooling.md` §2), built byte-exact by the named constructors.

use onshi::SecretBytes;
use onshi::apdu::{Command, FileId, LengthEncoding};

const JPKI_AP: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
const CARD_INFO_AP: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
const CARD_FACE_AP: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .flat_map(|chunk| {
            (0..chunk.len())
                .step_by(2)
                .map(move |i| u8::from_str_radix(&chunk[i..i + 2], 16).unwrap())
        })
        .collect()
}

fn bytes(command: Command<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    command.encode_to_vec(&mut out);
    // The parser must take the constructor's bytes back to the same command.
    assert_eq!(Command::parse(&out).unwrap(), command);
    out
}

fn select_ef(id: u16) -> Vec<u8> {
    bytes(Command::select_elementary_file(&FileId::new(id)))
}

#[test]
fn opensc_reads_the_user_auth_certificate() {
    assert_eq!(
        bytes(Command::select_application(&JPKI_AP).unwrap()),
        hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01")
    );
    assert_eq!(select_ef(0x000A), hex("00 A4 02 0C 02 00 0A"));
    assert_eq!(
        bytes(Command::read_binary(0, 4).unwrap()),
        hex("00 B0 00 00 04")
    );
    for (page, expected) in [
        (0u16, "00 B0 00 00 00"),
        (1, "00 B0 01 00 00"),
        (2, "00 B0 02 00 00"),
        (3, "00 B0 03 00 00"),
        (4, "00 B0 04 00 00"),
    ] {
        assert_eq!(
            bytes(Command::read_binary(page * 256, 256).unwrap()),
            hex(expected)
        );
    }
    assert_eq!(
        bytes(Command::read_binary(0x0500, 0x20).unwrap()),
        hex("00 B0 05 00 20")
    );
    // At bind time: the two PIN counters.
    assert_eq!(select_ef(0x0018), hex("00 A4 02 0C 02 00 18"));
    assert_eq!(bytes(Command::retry_count_query()), hex("00 20 00 80"));
    assert_eq!(select_ef(0x001B), hex("00 A4 02 0C 02 00 1B"));
}

#[test]
fn myna_reads_the_token_and_the_certificate() {
    assert_eq!(select_ef(0x0006), hex("00 A4 02 0C 02 00 06"));
    assert_eq!(
        bytes(Command::read_binary(0, 0x20).unwrap()),
        hex("00 B0 00 00 20")
    );
    assert_eq!(
        bytes(Command::read_binary(0, 7).unwrap()),
        hex("00 B0 00 00 07")
    );
    for (offset, expected) in [
        (0x0007u16, "00 B0 00 07 00"),
        (0x0107, "00 B0 01 07 00"),
        (0x0207, "00 B0 02 07 00"),
        (0x0307, "00 B0 03 07 00"),
        (0x0407, "00 B0 04 07 00"),
    ] {
        assert_eq!(
            bytes(Command::read_binary(offset, 256).unwrap()),
            hex(expected)
        );
    }
    assert_eq!(
        bytes(Command::read_binary(0x0507, 0x19).unwrap()),
        hex("00 B0 05 07 19")
    );
}

#[test]
fn browser_extension_reads_by_short_file_id_with_extended_le() {
    assert_eq!(
        bytes(Command::read_binary_short_file(0x0A, 0x00, 4, LengthEncoding::Short).unwrap()),
        hex("00 B0 8A 00 04")
    );
    assert_eq!(
        bytes(
            Command::read_binary_short_file(0x0A, 0x04, 0x051C, LengthEncoding::Extended).unwrap()
        ),
        hex("00 B0 8A 04 00 05 1C")
    );
}

#[test]
fn myna_pin_status_sequence() {
    assert_eq!(
        bytes(Command::select_application(&CARD_INFO_AP).unwrap()),
        hex("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08")
    );
    for (fid, expected) in [
        (0x0011, "00 A4 02 0C 02 00 11"),
        (0x0014, "00 A4 02 0C 02 00 14"),
        (0x0015, "00 A4 02 0C 02 00 15"),
    ] {
        assert_eq!(select_ef(fid), hex(expected));
    }
    assert_eq!(
        bytes(Command::select_application(&CARD_FACE_AP).unwrap()),
        hex("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02")
    );
    assert_eq!(select_ef(0x0013), hex("00 A4 02 0C 02 00 13"));
    assert_eq!(select_ef(0x0012), hex("00 A4 02 0C 02 00 12"));
}

#[test]
fn opensc_verify_and_sign() {
    let pin = SecretBytes::from(b"1234".to_vec());
    assert_eq!(
        bytes(Command::verify(&pin).unwrap()),
        hex("00 20 00 80 04 31 32 33 34")
    );
    // DigestInfo for SHA-256: a 19-byte prefix and the 32-byte digest, 0x33 bytes in all.
    let mut digest_info = hex("30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20");
    digest_info.extend_from_slice(&[0x5A; 32]);
    let mut expected = hex("80 2A 00 80 33");
    expected.extend_from_slice(&digest_info);
    expected.push(0x00);
    assert_eq!(
        bytes(Command::new(0x80, 0x2A, 0x00, 0x80, &digest_info, 256).unwrap()),
        expected
    );
    assert_eq!(select_ef(0x0017), hex("00 A4 02 0C 02 00 17"));
}

#[test]
fn change_pin_and_get_response() {
    let new_pin = SecretBytes::from(b"5678".to_vec());
    assert_eq!(
        bytes(Command::change_reference_data(&new_pin).unwrap()),
        hex("00 24 01 80 04 35 36 37 38")
    );
    assert_eq!(
        bytes(Command::get_response(256).unwrap()),
        hex("00 C0 00 00 00")
    );
    assert_eq!(
        bytes(Command::get_response(0x10).unwrap()),
        hex("00 C0 00 00 10")
    );
}
