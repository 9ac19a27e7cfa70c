//! The APDU exchange of reading the user-authentication certificate (利用者証明用電子証明書)
//! from the JPKI application, against canned card responses, printed readably.
//!
//! Run: `cargo run --example reception`
//!
//! The reader asks for a full 256-byte chunk first; the certificate's own DER header then says
//! how much is left, so the whole 1312-byte certificate takes 6 READ BINARY commands.

use onshi::apdu::tlv::object_size;
use onshi::apdu::{Command, FileId, HexBytes, Response, StatusWord};

const JPKI_AP: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
const USER_AUTH_CERT: FileId = FileId::new(0x000A);
const CHUNK: usize = 256;

/// A stand-in card that knows one file: a DER-shaped certificate of 1312 bytes (`30 82 05 1C`).
struct CannedCard {
    certificate: Vec<u8>,
}

impl CannedCard {
    fn answer(&self, command: &[u8]) -> Vec<u8> {
        let Ok(command) = Command::parse(command) else {
            return StatusWord::WRONG_LENGTH.to_bytes().to_vec();
        };
        let mut out = Vec::new();
        match (command.instruction(), command.p1(), command.p2()) {
            (0xA4, _, _) => {}
            (0xB0, hi, lo) => {
                let offset = usize::from(u16::from_be_bytes([hi, lo]));
                let end = (offset + command.expected_len() as usize).min(self.certificate.len());
                out.extend_from_slice(self.certificate.get(offset..end).unwrap_or(&[]));
            }
            _ => return StatusWord::INS_NOT_SUPPORTED.to_bytes().to_vec(),
        }
        out.extend_from_slice(&StatusWord::SUCCESS.to_bytes());
        out
    }
}

fn exchange(card: &CannedCard, label: &str, command: Command<'_>) -> Vec<u8> {
    let mut bytes = Vec::new();
    command.encode_to_vec(&mut bytes);
    let reply = card.answer(&bytes);
    let response = Response::parse(&reply).expect("the canned card always sends a status word");
    println!("→ {label:<34} {command}");
    println!(
        "← {:<34} {}",
        format!("{} data bytes", response.data().len()),
        response.status()
    );
    response.data().to_vec()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut certificate = vec![0x30, 0x82, 0x05, 0x1C];
    certificate.extend((0..0x051C).map(|i| (i % 251) as u8));
    let card = CannedCard { certificate };

    println!("Reading the user-authentication certificate (利用者証明用電子証明書)\n");
    exchange(
        &card,
        "SELECT JPKI-AP (公的個人認証AP)",
        Command::select_application(&JPKI_AP)?,
    );
    exchange(
        &card,
        "SELECT EF 000A (certificate)",
        Command::select_elementary_file(&USER_AUTH_CERT),
    );

    let mut read = exchange(
        &card,
        "READ BINARY offset 0",
        Command::read_binary(0, CHUNK as u32)?,
    );
    let size = object_size(&read)?;
    println!(
        "  DER header {}: {} bytes in all, {} still to read\n",
        HexBytes(read.get(..size.header_len()).unwrap_or(&[])),
        size.total_len(),
        size.remaining_after(read.len())
    );
    let mut commands = 3;
    while read.len() < size.total_len() {
        let want = size.remaining_after(read.len()).min(CHUNK);
        let offset = u16::try_from(read.len())?;
        let label = format!("READ BINARY offset {offset:#06X}");
        read.extend(exchange(
            &card,
            &label,
            Command::read_binary(offset, want as u32)?,
        ));
        commands += 1;
    }
    println!("\n{} certificate bytes in {commands} APDUs.", read.len());
    Ok(())
}
