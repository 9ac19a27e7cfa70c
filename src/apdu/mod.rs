//! The ISO 7816-4 wire layer: command and response APDUs, status words, BER-TLV.
//!
//! Nothing here knows about patients or readers; it turns bytes into checked values and back.
//! Every parser takes untrusted bytes and returns an error instead of panicking, and none of
//! them allocates.

mod command;
mod response;
mod status;
pub mod tlv;

use core::fmt;

pub use command::{
    ApduCase, BuildError, Command, CommandBuf, CommandParseError, FileId, LengthEncoding, ins,
};
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

impl fmt::Debug for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{self}]")
    }
}
