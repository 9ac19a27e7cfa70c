//! The ISO 7816-4 wire layer: command and response APDUs, status words, BER-TLV.
//!
//! Nothing here knows about patients or readers; it turns bytes into checked values and back.
//! Every parser takes untrusted bytes and returns an error instead of panicking, and none of
//! them allocates.

mod builders;
mod command;
mod command_buf;
mod response;
mod status;
pub mod tlv;

use alloc::vec::Vec;
use core::fmt;

pub use builders::{FileId, ins};
pub use command::{ApduCase, BuildError, Command, CommandParseError, LengthEncoding};
pub use command_buf::CommandBuf;
pub use response::{Response, ResponseParseError};
pub use status::{StatusMeaning, StatusWord};

/// An output buffer too small for what was to be written into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("output buffer too small: {needed} bytes needed")]
pub struct BufferTooSmall {
    /// Bytes the encoding needs.
    pub needed: usize,
}

/// Bytes shown as space-separated upper-case hex, e.g. `D3 92 F0`.
///
/// ```
/// assert_eq!(onshi::apdu::HexBytes(&[0xD3, 0x92, 0xF0]).to_string(), "D3 92 F0");
/// ```
#[derive(Clone, Copy)]
pub struct HexBytes<'a>(pub &'a [u8]);

impl fmt::Display for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = self.0.iter();
        if let Some(first) = bytes.next() {
            write!(f, "{first:02X}")?;
        }
        for b in bytes {
            write!(f, " {b:02X}")?;
        }
        Ok(())
    }
}

/// Bytes shown as upper-case hex with no separators, e.g. `D392F0` (serial numbers, key ids).
///
/// ```
/// assert_eq!(onshi::apdu::CompactHex(&[0xD3, 0x92, 0xF0]).to_string(), "D392F0");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CompactHex<'a>(pub &'a [u8]);

impl fmt::Display for CompactHex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

/// Hex text (either case, no separators) as bytes; `None` when it is not an even number of hex
/// digits.
///
/// ```
/// assert_eq!(onshi::apdu::decode_hex("0aFF"), Some(vec![0x0A, 0xFF]));
/// assert_eq!(onshi::apdu::decode_hex("0"), None);
/// ```
#[must_use]
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .filter(|pair| pair.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

impl fmt::Debug for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{self}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decoding_refuses_what_is_not_hex() {
        assert_eq!(decode_hex("0aFF"), Some(alloc::vec![0x0A, 0xFF]));
        assert_eq!(decode_hex(""), Some(Vec::new()));
        for bad in ["0", "zz", "+1", "-1", " 1", "0x"] {
            assert_eq!(decode_hex(bad), None, "{bad}");
        }
    }
}
