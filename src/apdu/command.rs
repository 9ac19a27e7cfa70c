//! Command APDUs: build them (short by default) and parse them (all seven ISO 7816-3 cases).
//!
//! [`Command`] is a borrowed view: building one or parsing one allocates nothing. [`CommandBuf`]
//! is the owned form, for queues and logs; its data is zeroized on drop. Both mask the data of
//! VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER in `Debug` and `Display`, because that
//! data is a PIN.
//!
//! Parsing goes through [`iso7816::command::CommandView`] and then rejects the one encoding it
//! accepts that is not canonical (an extended Lc of zero), so a parsed command re-encodes to
//! exactly the bytes it came from. Encoding goes through [`iso7816::command::CommandBuilder`].

use alloc::vec::Vec;
use core::fmt;

use iso7816::command::class::Class;
use iso7816::command::{CommandBuilder, CommandView, ExpectedLen, FromSliceError};

use super::builders::ins;
use super::{BufferTooSmall, HexBytes};

/// Largest Nc and Ne of a short APDU.
const SHORT_MAX_DATA: usize = 255;
pub(super) const SHORT_MAX_NE: u32 = 256;
/// Largest Nc and Ne of an extended APDU.
const EXTENDED_MAX_DATA: usize = 65_535;
pub(super) const EXTENDED_MAX_NE: u32 = 65_536;
/// Whether Lc and Le are one byte each (short) or two to three (extended).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LengthEncoding {
    /// Lc and Le take one byte: up to 255 data bytes, up to 256 expected bytes.
    Short,
    /// Lc and Le take two or three bytes: up to 65 535 data bytes, up to 65 536 expected.
    /// Only for readers that report extended-length support.
    Extended,
}

/// The seven cases of ISO 7816-3 §12.1.3: which of Lc and Le a command carries, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApduCase {
    /// Header only.
    One,
    /// Le only, one byte.
    TwoShort,
    /// Lc and data, one-byte Lc.
    ThreeShort,
    /// Lc, data and Le, one byte each.
    FourShort,
    /// Le only, three bytes (`00 Le1 Le2`).
    TwoExtended,
    /// Lc and data, three-byte Lc (`00 Lc1 Lc2`).
    ThreeExtended,
    /// Lc, data and Le: `00 Lc1 Lc2 <data> Le1 Le2`.
    FourExtended,
}

/// A command APDU that borrows its data.
///
/// Every value is valid: the constructors check the lengths, and [`Command::parse`] checks bytes
/// from outside. Encoding therefore cannot fail except for a short output buffer.
///
/// ```
/// use onshi::apdu::{Command, FileId};
///
/// const USER_AUTH_CERT: FileId = FileId::new(0x000A);
/// let select = Command::select_elementary_file(&USER_AUTH_CERT);
/// let mut buf = [0u8; 16];
/// let n = select.encode_into(&mut buf)?;
/// assert_eq!(&buf[..n], &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]);
/// assert_eq!(Command::parse(&buf[..n])?, select);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Command<'a> {
    pub(super) class: Class,
    pub(super) instruction: u8,
    pub(super) p1: u8,
    pub(super) p2: u8,
    pub(super) data: &'a [u8],
    /// Ne, the maximum number of response bytes expected; 0 when there is no Le field.
    pub(super) expected_len: u32,
    pub(super) encoding: LengthEncoding,
}

impl<'a> Command<'a> {
    /// A command with short Lc and Le fields.
    ///
    /// `expected_len` is Ne: 0 for no Le field, otherwise 1 to 256 (256 is sent as Le = `00`).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidClass`] for CLA `FF`; [`BuildError::DataTooLong`] above 255 data
    /// bytes and [`BuildError::ExpectedLenTooLarge`] above Ne = 256 (use
    /// [`Command::new_extended`] only when the reader supports it).
    pub fn new(
        class: u8,
        instruction: u8,
        p1: u8,
        p2: u8,
        data: &'a [u8],
        expected_len: u32,
    ) -> Result<Self, BuildError> {
        Self::with_encoding(
            class,
            instruction,
            p1,
            p2,
            data,
            expected_len,
            LengthEncoding::Short,
        )
    }

    /// A command with extended Lc and Le fields (up to 65 535 data bytes, Ne up to 65 536).
    ///
    /// # Errors
    ///
    /// As [`Command::new`] with the extended limits, and [`BuildError::NoLengthFields`] for a
    /// command with neither data nor Le: case 1 has no extended form.
    pub fn new_extended(
        class: u8,
        instruction: u8,
        p1: u8,
        p2: u8,
        data: &'a [u8],
        expected_len: u32,
    ) -> Result<Self, BuildError> {
        Self::with_encoding(
            class,
            instruction,
            p1,
            p2,
            data,
            expected_len,
            LengthEncoding::Extended,
        )
    }

    pub(super) fn with_encoding(
        class: u8,
        instruction: u8,
        p1: u8,
        p2: u8,
        data: &'a [u8],
        expected_len: u32,
        encoding: LengthEncoding,
    ) -> Result<Self, BuildError> {
        let class = Class::try_from(class).map_err(|_| BuildError::InvalidClass)?;
        let (max_data, max_ne) = match encoding {
            LengthEncoding::Short => (SHORT_MAX_DATA, SHORT_MAX_NE),
            LengthEncoding::Extended => (EXTENDED_MAX_DATA, EXTENDED_MAX_NE),
        };
        if data.len() > max_data {
            return Err(BuildError::DataTooLong {
                len: data.len(),
                max: max_data,
            });
        }
        if expected_len > max_ne {
            return Err(BuildError::ExpectedLenTooLarge {
                expected_len,
                max: max_ne,
            });
        }
        if encoding == LengthEncoding::Extended && data.is_empty() && expected_len == 0 {
            return Err(BuildError::NoLengthFields);
        }
        Ok(Self {
            class,
            instruction,
            p1,
            p2,
            data,
            expected_len,
            encoding,
        })
    }

    /// The same command with another Ne, as after a `6C xx` ("wrong Le, use xx").
    ///
    /// # Errors
    ///
    /// As [`Command::new`] (or [`Command::new_extended`]) for the new Ne.
    pub fn with_expected_len(self, expected_len: u32) -> Result<Self, BuildError> {
        Self::with_encoding(
            self.class.into_inner(),
            self.instruction,
            self.p1,
            self.p2,
            self.data,
            expected_len,
            self.encoding,
        )
    }

    /// A short command whose lengths the caller guarantees (at most 255 data bytes, Ne ≤ 256).
    pub(super) const fn known_short(
        class: Class,
        instruction: u8,
        p1: u8,
        p2: u8,
        data: &'a [u8],
        expected_len: u32,
    ) -> Self {
        Self {
            class,
            instruction,
            p1,
            p2,
            data,
            expected_len,
            encoding: LengthEncoding::Short,
        }
    }

    /// Parses a command APDU in any of the seven ISO 7816-3 cases, borrowing its data.
    ///
    /// Only canonical encodings are accepted, so that [`Command::encode_into`] gives back the
    /// same bytes.
    ///
    /// # Errors
    ///
    /// A [`CommandParseError`] saying what is wrong with the bytes.
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CommandParseError> {
        let view = CommandView::try_from(bytes).map_err(CommandParseError::from)?;
        let extended = view.extended;
        let data = view.data();
        // iso7816 parses `00 00 00 Le1 Le2` (nine bytes in all) as case 4E with no data, but
        // ISO 7816-3 forbids an Lc of 0 and the canonical form of that command is case 2E.
        if extended && data.is_empty() && bytes.len() == 9 {
            return Err(CommandParseError::NonCanonicalLength);
        }
        Ok(Self {
            class: view.class(),
            // The raw INS byte: iso7816 maps it to an enum and back otherwise.
            instruction: bytes.get(1).copied().unwrap_or_default(),
            p1: view.p1,
            p2: view.p2,
            data,
            // Ne is at most 65 536, so it always fits.
            expected_len: view.expected() as u32,
            encoding: if extended {
                LengthEncoding::Extended
            } else {
                LengthEncoding::Short
            },
        })
    }

    /// CLA.
    #[must_use]
    pub const fn class(&self) -> u8 {
        self.class.into_inner()
    }

    /// INS (see [`ins`]).
    #[must_use]
    pub const fn instruction(&self) -> u8 {
        self.instruction
    }

    /// P1.
    #[must_use]
    pub const fn p1(&self) -> u8 {
        self.p1
    }

    /// P2.
    #[must_use]
    pub const fn p2(&self) -> u8 {
        self.p2
    }

    /// The command data (Nc bytes). For VERIFY this is the PIN: handle it as a secret.
    #[must_use]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Ne, the maximum number of response data bytes expected; 0 when there is no Le field.
    #[must_use]
    pub const fn expected_len(&self) -> u32 {
        self.expected_len
    }

    /// Short or extended length fields.
    #[must_use]
    pub const fn length_encoding(&self) -> LengthEncoding {
        self.encoding
    }

    /// Which of the seven ISO cases this command is.
    #[must_use]
    pub const fn case(&self) -> ApduCase {
        let extended = matches!(self.encoding, LengthEncoding::Extended);
        match (self.data.is_empty(), self.expected_len == 0, extended) {
            (true, true, _) => ApduCase::One,
            (true, false, false) => ApduCase::TwoShort,
            (true, false, true) => ApduCase::TwoExtended,
            (false, true, false) => ApduCase::ThreeShort,
            (false, true, true) => ApduCase::ThreeExtended,
            (false, false, false) => ApduCase::FourShort,
            (false, false, true) => ApduCase::FourExtended,
        }
    }

    /// Whether the data is a secret (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER) that
    /// `Debug`, `Display` and logs must mask.
    #[must_use]
    pub const fn has_secret_data(&self) -> bool {
        !self.data.is_empty()
            && matches!(
                self.instruction,
                ins::VERIFY | ins::CHANGE_REFERENCE_DATA | ins::RESET_RETRY_COUNTER
            )
    }

    /// Length of the encoded command in bytes.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        let (lc, le) = self.length_field_sizes();
        4 + lc + self.data.len() + le
    }

    /// Sizes of the Lc and Le fields.
    const fn length_field_sizes(&self) -> (usize, usize) {
        let has_data = !self.data.is_empty();
        let has_le = self.expected_len != 0;
        match self.encoding {
            LengthEncoding::Short => (has_data as usize, has_le as usize),
            LengthEncoding::Extended => match (has_data, has_le) {
                (true, true) => (3, 2),
                (true, false) => (3, 0),
                (false, true) => (0, 3),
                (false, false) => (0, 0),
            },
        }
    }

    /// Encodes the command into `out` and returns the number of bytes written. Allocates
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`] when `out` is shorter than [`Command::encoded_len`].
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let needed = self.encoded_len();
        let Some(out) = out.get_mut(..needed) else {
            return Err(BufferTooSmall { needed });
        };
        let expected = match self.expected_len {
            EXTENDED_MAX_NE => ExpectedLen::Max,
            // At most 65 535 here.
            ne => ExpectedLen::Ne(u16::try_from(ne).unwrap_or(u16::MAX)),
        };
        let builder = CommandBuilder::new(
            self.class,
            self.instruction.into(),
            self.p1,
            self.p2,
            self.data,
            expected,
        );
        let builder = match self.encoding {
            LengthEncoding::Short => builder,
            LengthEncoding::Extended => builder.force_extended(),
        };
        let mut writer: &mut [u8] = out;
        builder
            .serialize_into(&mut writer)
            .map_err(|_| BufferTooSmall { needed })?;
        Ok(needed)
    }

    /// Appends the encoded command to `out`.
    pub fn encode_to_vec(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + self.encoded_len(), 0);
        if let Some(tail) = out.get_mut(start..) {
            // The tail has exactly `encoded_len` bytes, so this cannot fail.
            let _ = self.encode_into(tail);
        }
    }

    /// Writes the length fields for `Display`.
    fn fmt_length_field(f: &mut fmt::Formatter<'_>, value: u32, size: usize) -> fmt::Result {
        // A value of 256 (short Le) or 65 536 (extended Le) is sent as zeros.
        let bytes = value.to_be_bytes();
        let bytes = bytes.get(4usize.saturating_sub(size)..).unwrap_or(&[]);
        for b in bytes {
            write!(f, " {b:02X}")?;
        }
        Ok(())
    }
}

/// `Display` is the encoded command in hex, with secret data replaced by `**` per byte:
///
/// ```
/// use onshi::{SecretBytes, apdu::Command};
///
/// let pin = SecretBytes::from(b"1234".to_vec());
/// assert_eq!(Command::verify(&pin)?.to_string(), "00 20 00 80 04 ** ** ** **");
/// assert_eq!(Command::read_binary(0x0100, 256)?.to_string(), "00 B0 01 00 00");
/// # Ok::<(), onshi::apdu::BuildError>(())
/// ```
impl fmt::Display for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} {:02X} {:02X} {:02X}",
            self.class(),
            self.instruction,
            self.p1,
            self.p2
        )?;
        let (lc_size, le_size) = self.length_field_sizes();
        // `data.len()` is at most 65 535.
        Self::fmt_length_field(f, self.data.len() as u32, lc_size)?;
        if self.has_secret_data() {
            for _ in self.data {
                f.write_str(" **")?;
            }
        } else if !self.data.is_empty() {
            write!(f, " {}", HexBytes(self.data))?;
        }
        Self::fmt_length_field(f, self.expected_len, le_size)
    }
}

impl fmt::Debug for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Command");
        s.field("cla", &format_args!("{:02X}", self.class()))
            .field("ins", &format_args!("{:02X}", self.instruction))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2));
        if self.has_secret_data() {
            s.field("data", &format_args!("*** ({} bytes)", self.data.len()));
        } else {
            s.field("data", &HexBytes(self.data));
        }
        s.field("expected_len", &self.expected_len)
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// A command that cannot be built as asked: a mistake by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// CLA `FF` is reserved for protocol type selection.
    #[error("CLA FF is not a valid class byte")]
    InvalidClass,
    /// More data than the length encoding can carry.
    #[error("{len} data bytes do not fit; at most {max} with this length encoding")]
    DataTooLong {
        /// Bytes given.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// Ne above what the length encoding can carry.
    #[error("Ne = {expected_len} does not fit; at most {max} with this length encoding")]
    ExpectedLenTooLarge {
        /// Ne asked for.
        expected_len: u32,
        /// Largest Ne allowed.
        max: u32,
    },
    /// A command that must ask for response data was given Ne outside its range.
    #[error("Ne = {expected_len} is out of range; it must be 1 to {max}")]
    ExpectedLenOutOfRange {
        /// Ne asked for.
        expected_len: u32,
        /// Largest Ne allowed.
        max: u32,
    },
    /// READ BINARY offsets are 15 bits.
    #[error("offset {offset:#06X} is above 7FFF, the largest READ BINARY offset")]
    OffsetTooLarge {
        /// Offset asked for.
        offset: u16,
    },
    /// An AID must have 1 to 16 bytes.
    #[error("an AID of {len} bytes; it must have 1 to 16")]
    InvalidAid {
        /// Bytes given.
        len: usize,
    },
    /// A short file identifier must be 1 to 30.
    #[error("short file identifier {short_file_id} is outside 1 to 30")]
    InvalidShortFileId {
        /// The identifier given.
        short_file_id: u8,
    },
    /// A PIN or signature input must not be empty.
    #[error("the command needs data and was given none")]
    EmptyData,
    /// Extended length was asked for a command with neither data nor Le.
    #[error("a command with neither data nor Le has no length fields to extend")]
    NoLengthFields,
}

/// Bytes that are not a well-formed command APDU: a fault of whoever sent them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandParseError {
    /// Fewer than the four header bytes.
    #[error("command APDU shorter than its 4-byte header")]
    TooShort,
    /// CLA `FF`.
    #[error("CLA FF is not a valid class byte")]
    InvalidClass,
    /// The body length does not match what Lc and Le announce.
    #[error("the body length does not match the Lc/Le encoding")]
    LengthMismatch,
    /// A well-formed but non-canonical length encoding (an extended Lc of zero).
    #[error("an extended Lc of zero is not a canonical encoding")]
    NonCanonicalLength,
}

impl From<FromSliceError> for CommandParseError {
    fn from(error: FromSliceError) -> Self {
        match error {
            FromSliceError::TooShort => Self::TooShort,
            FromSliceError::InvalidClass => Self::InvalidClass,
            // `InvalidFirstBodyByteForExtended` is what iso7816 reports for a short APDU whose Lc
            // is wrong; "length mismatch" says what actually happened. `TooLong` only comes from
            // copying into a fixed-capacity buffer, which we never do.
            FromSliceError::InvalidFirstBodyByteForExtended
            | FromSliceError::InvalidSliceLength
            | FromSliceError::TooLong => Self::LengthMismatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretBytes;
    use crate::apdu::CommandBuf;
    use alloc::format;
    use alloc::string::ToString;

    fn encode(command: &Command<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        command.encode_to_vec(&mut out);
        out
    }

    #[test]
    fn all_seven_cases_parse_and_reencode() {
        let cases: [(&[u8], ApduCase, usize, u32); 9] = [
            (&[0x00, 0x20, 0x00, 0x80], ApduCase::One, 0, 0),
            (&[0x00, 0xB0, 0x00, 0x00, 0x00], ApduCase::TwoShort, 0, 256),
            (&[0x00, 0xB0, 0x00, 0x00, 0x07], ApduCase::TwoShort, 0, 7),
            (
                &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A],
                ApduCase::ThreeShort,
                2,
                0,
            ),
            (
                &[0x80, 0x2A, 0x00, 0x80, 0x01, 0xAA, 0x00],
                ApduCase::FourShort,
                1,
                256,
            ),
            (
                &[0x00, 0xB0, 0x8A, 0x04, 0x00, 0x05, 0x1C],
                ApduCase::TwoExtended,
                0,
                0x051C,
            ),
            (
                &[0x00, 0xB0, 0x80, 0x00, 0x00, 0x00, 0x00],
                ApduCase::TwoExtended,
                0,
                65_536,
            ),
            (
                &[0x00, 0x2A, 0x00, 0x80, 0x00, 0x00, 0x01, 0xAA],
                ApduCase::ThreeExtended,
                1,
                0,
            ),
            (
                &[0x00, 0x2A, 0x00, 0x80, 0x00, 0x00, 0x01, 0xAA, 0x01, 0x00],
                ApduCase::FourExtended,
                1,
                256,
            ),
        ];
        for (bytes, case, nc, ne) in cases {
            let command = Command::parse(bytes).unwrap();
            assert_eq!(command.case(), case, "{bytes:02X?}");
            assert_eq!(command.data().len(), nc);
            assert_eq!(command.expected_len(), ne);
            assert_eq!(encode(&command), bytes);
            assert_eq!(CommandBuf::parse(bytes).unwrap().as_command(), command);
        }
    }

    #[test]
    fn malformed_commands_are_errors() {
        assert_eq!(
            Command::parse(&[0x00, 0xA4, 0x04]),
            Err(CommandParseError::TooShort)
        );
        assert_eq!(
            Command::parse(&[0xFF, 0xA4, 0x04, 0x0C]),
            Err(CommandParseError::InvalidClass)
        );
        // Wrong short Lc: iso7816 calls this InvalidFirstBodyByteForExtended.
        assert_eq!(
            Command::parse(&[0x00, 0x20, 0x00, 0x80, 0x05, 0x01]),
            Err(CommandParseError::LengthMismatch)
        );
        // Case 4E with Lc = 0.
        assert_eq!(
            Command::parse(&[0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00]),
            Err(CommandParseError::NonCanonicalLength)
        );
    }

    #[test]
    fn short_is_the_default_and_extended_must_be_asked_for() {
        let data = [0u8; 256];
        assert_eq!(
            Command::new(0x00, 0x2A, 0x00, 0x80, &data, 0),
            Err(BuildError::DataTooLong { len: 256, max: 255 })
        );
        assert_eq!(
            Command::new(0x00, 0xB0, 0x00, 0x00, &[], 257),
            Err(BuildError::ExpectedLenTooLarge {
                expected_len: 257,
                max: 256
            })
        );
        let extended = Command::new_extended(0x00, 0x2A, 0x00, 0x80, &data, 0).unwrap();
        assert_eq!(
            &encode(&extended)[..7],
            &[0x00, 0x2A, 0x00, 0x80, 0x00, 0x01, 0x00]
        );
        assert_eq!(
            Command::new_extended(0x00, 0x20, 0x00, 0x80, &[], 0),
            Err(BuildError::NoLengthFields)
        );
        assert_eq!(
            Command::new(0xFF, 0x20, 0x00, 0x80, &[], 0),
            Err(BuildError::InvalidClass)
        );
    }

    #[test]
    fn read_binary_limits() {
        assert_eq!(
            Command::read_binary(0x8000, 256),
            Err(BuildError::OffsetTooLarge { offset: 0x8000 })
        );
        assert_eq!(
            Command::read_binary(0, 0),
            Err(BuildError::ExpectedLenOutOfRange {
                expected_len: 0,
                max: 256
            })
        );
        let whole = Command::read_binary_extended(0, 65_536).unwrap();
        assert_eq!(encode(&whole), [0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00]);
        let retry = Command::read_binary(0x0500, 256)
            .unwrap()
            .with_expected_len(0x20)
            .unwrap();
        assert_eq!(encode(&retry), [0x00, 0xB0, 0x05, 0x00, 0x20]);
    }

    #[test]
    fn secrets_are_masked() {
        let pin = SecretBytes::from(b"1234".to_vec());
        let verify = Command::verify(&pin).unwrap();
        let debug = format!("{verify:?}");
        assert!(!debug.contains("31"), "{debug}");
        assert!(debug.contains("*** (4 bytes)"), "{debug}");
        assert_eq!(verify.to_string(), "00 20 00 80 04 ** ** ** **");
        let owned = CommandBuf::from(verify);
        assert_eq!(format!("{owned:?}"), debug);
        let change = Command::change_reference_data(&pin).unwrap();
        assert_eq!(change.to_string(), "00 24 01 80 04 ** ** ** **");
        // The retry query has no data and nothing to hide.
        assert_eq!(Command::retry_count_query().to_string(), "00 20 00 80");
        assert_eq!(
            Command::verify(&SecretBytes::default()),
            Err(BuildError::EmptyData)
        );
    }

    #[test]
    fn display_of_extended_lengths() {
        let whole = Command::read_binary_extended(0x0A04, 0x051C).unwrap();
        assert_eq!(whole.to_string(), "00 B0 0A 04 00 05 1C");
        let data = [0xAB; 2];
        let four = Command::new_extended(0x00, 0x2A, 0x00, 0x80, &data, 65_536).unwrap();
        assert_eq!(four.to_string(), "00 2A 00 80 00 00 02 AB AB 00 00");
        assert_eq!(
            four.to_string().replace(' ', "").len(),
            2 * encode(&four).len()
        );
    }

    #[test]
    fn encode_into_a_short_buffer_fails_cleanly() {
        let mut buf = [0u8; 6];
        let select = Command::select_application(&[0xD3, 0x92, 0xF0, 0x00, 0x26]).unwrap();
        assert_eq!(
            select.encode_into(&mut buf),
            Err(BufferTooSmall { needed: 10 })
        );
        assert_eq!(
            Command::select_application(&[0u8; 17]),
            Err(BuildError::InvalidAid { len: 17 })
        );
        assert_eq!(
            Command::select_application(&[]),
            Err(BuildError::InvalidAid { len: 0 })
        );
    }
}
