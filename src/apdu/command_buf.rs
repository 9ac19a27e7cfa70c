//! [`CommandBuf`]: the owned form of a command APDU, for queues and logs.

use alloc::vec::Vec;
use core::fmt;

use iso7816::command::class::Class;
use zeroize::Zeroizing;

use super::command::{Command, CommandParseError, LengthEncoding};

/// An owned command APDU. Its data is zeroized when it is dropped, and masked in `Debug` and
/// `Display` when it is a PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandBuf {
    class: Class,
    instruction: u8,
    p1: u8,
    p2: u8,
    data: Zeroizing<Vec<u8>>,
    expected_len: u32,
    encoding: LengthEncoding,
}

impl CommandBuf {
    /// Parses and copies a command APDU; see [`Command::parse`].
    ///
    /// # Errors
    ///
    /// As [`Command::parse`].
    pub fn parse(bytes: &[u8]) -> Result<Self, CommandParseError> {
        Command::parse(bytes).map(Self::from)
    }

    /// The borrowed view, which has all the accessors and the encoder.
    #[must_use]
    pub fn as_command(&self) -> Command<'_> {
        Command {
            class: self.class,
            instruction: self.instruction,
            p1: self.p1,
            p2: self.p2,
            data: &self.data,
            expected_len: self.expected_len,
            encoding: self.encoding,
        }
    }
}

impl From<Command<'_>> for CommandBuf {
    fn from(command: Command<'_>) -> Self {
        Self {
            class: command.class,
            instruction: command.instruction,
            p1: command.p1,
            p2: command.p2,
            data: Zeroizing::new(command.data.to_vec()),
            expected_len: command.expected_len,
            encoding: command.encoding,
        }
    }
}

impl fmt::Debug for CommandBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_command(), f)
    }
}

impl fmt::Display for CommandBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_command(), f)
    }
}
