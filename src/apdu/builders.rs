//! The commands the card layer sends, by name (ISO 7816-4): SELECT, READ BINARY, VERIFY and
//! its retry query, CHANGE REFERENCE DATA, GET RESPONSE; their instruction bytes; file ids.

use core::fmt;

use iso7816::command::class::ZERO_CLA;

use super::command::{BuildError, Command, EXTENDED_MAX_NE, LengthEncoding, SHORT_MAX_NE};
use crate::SecretBytes;

/// Instruction bytes (INS) the My Number Card understands.
pub mod ins {
    /// VERIFY: present a PIN, or (with no data) ask for the retry counter.
    pub const VERIFY: u8 = 0x20;
    /// CHANGE REFERENCE DATA: set a new PIN after the old one was verified.
    pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
    /// PERFORM SECURITY OPERATION (ISO 7816-8).
    pub const PERFORM_SECURITY_OPERATION: u8 = 0x2A;
    /// RESET RETRY COUNTER: unblock a PIN (not offered by the card to a host).
    pub const RESET_RETRY_COUNTER: u8 = 0x2C;
    /// SELECT (an application by AID, or an elementary file by its 2-byte ID).
    pub const SELECT: u8 = 0xA4;
    /// READ BINARY.
    pub const READ_BINARY: u8 = 0xB0;
    /// READ RECORD.
    pub const READ_RECORD: u8 = 0xB2;
    /// GET RESPONSE: fetch the data announced by a `61 xx` status word.
    pub const GET_RESPONSE: u8 = 0xC0;
}

/// READ BINARY with P1 bit 8 clear takes a 15-bit offset.
const MAX_READ_OFFSET: u16 = 0x7FFF;
/// ISO 7816-4 application identifiers are at most 16 bytes.
const MAX_AID_LEN: usize = 16;

/// A read must ask for 1 to Ne-max bytes.
fn check_read_len(expected_len: u32, encoding: LengthEncoding) -> Result<(), BuildError> {
    let max = match encoding {
        LengthEncoding::Short => SHORT_MAX_NE,
        LengthEncoding::Extended => EXTENDED_MAX_NE,
    };
    if expected_len == 0 || expected_len > max {
        return Err(BuildError::ExpectedLenOutOfRange { expected_len, max });
    }
    Ok(())
}

/// A two-byte elementary-file identifier (FID), such as `00 0A` for the user-authentication
/// certificate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId([u8; 2]);

impl FileId {
    /// The file ID with the given 16-bit value.
    #[must_use]
    pub const fn new(id: u16) -> Self {
        Self(id.to_be_bytes())
    }

    /// The 16-bit value.
    #[must_use]
    pub const fn to_u16(self) -> u16 {
        u16::from_be_bytes(self.0)
    }

    /// The two bytes sent in SELECT.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 2] {
        &self.0
    }
}

impl fmt::Debug for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileId({:04X})", self.to_u16())
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EF {:04X}", self.to_u16())
    }
}

impl<'a> Command<'a> {
    /// SELECT an application by its AID: `00 A4 04 0C Lc <AID>`, no Le, as every JPKI tool
    /// sends it (P2 `0C`: no file control information returned).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidAid`] unless the AID has 1 to 16 bytes.
    pub fn select_application(aid: &'a [u8]) -> Result<Self, BuildError> {
        if aid.is_empty() || aid.len() > MAX_AID_LEN {
            return Err(BuildError::InvalidAid { len: aid.len() });
        }
        Self::new(0x00, ins::SELECT, 0x04, 0x0C, aid, 0)
    }

    /// SELECT an elementary file of the current application by its ID: `00 A4 02 0C 02 <FID>`.
    #[must_use]
    pub const fn select_elementary_file(file: &'a FileId) -> Self {
        Self::known_short(ZERO_CLA, ins::SELECT, 0x02, 0x0C, file.as_bytes(), 0)
    }

    /// READ BINARY of the current EF from `offset`, asking for `expected_len` bytes (1 to 256;
    /// 256 is sent as Le = `00`): `00 B0 <offset hi> <offset lo> Le`.
    ///
    /// # Errors
    ///
    /// [`BuildError::OffsetTooLarge`] above `7FFF` (P1 bit 8 would mean a short EF ID) and
    /// [`BuildError::ExpectedLenOutOfRange`] outside 1 to 256.
    pub fn read_binary(offset: u16, expected_len: u32) -> Result<Self, BuildError> {
        Self::read_binary_with(offset, expected_len, LengthEncoding::Short)
    }

    /// READ BINARY with an extended Le (1 to 65 536 bytes), for readers that support it.
    ///
    /// # Errors
    ///
    /// As [`Command::read_binary`], with the extended range.
    pub fn read_binary_extended(offset: u16, expected_len: u32) -> Result<Self, BuildError> {
        Self::read_binary_with(offset, expected_len, LengthEncoding::Extended)
    }

    fn read_binary_with(
        offset: u16,
        expected_len: u32,
        encoding: LengthEncoding,
    ) -> Result<Self, BuildError> {
        if offset > MAX_READ_OFFSET {
            return Err(BuildError::OffsetTooLarge { offset });
        }
        check_read_len(expected_len, encoding)?;
        let [p1, p2] = offset.to_be_bytes();
        Self::with_encoding(0x00, ins::READ_BINARY, p1, p2, &[], expected_len, encoding)
    }

    /// READ BINARY of the EF with short file identifier `short_file_id` (1 to 30, the low five
    /// bits of its FID), selecting it on the way, from an `offset` of 0 to 255:
    /// `00 B0 <80 | SFI> <offset> Le`. Some tools read the certificate this way without a
    /// SELECT EF.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidShortFileId`] outside 1 to 30; the Ne errors of
    /// [`Command::read_binary`] (or of the extended form when `encoding` is extended).
    pub fn read_binary_short_file(
        short_file_id: u8,
        offset: u8,
        expected_len: u32,
        encoding: LengthEncoding,
    ) -> Result<Command<'static>, BuildError> {
        if !(1..=30).contains(&short_file_id) {
            return Err(BuildError::InvalidShortFileId { short_file_id });
        }
        check_read_len(expected_len, encoding)?;
        Command::with_encoding(
            0x00,
            ins::READ_BINARY,
            0x80 | short_file_id,
            offset,
            &[],
            expected_len,
            encoding,
        )
    }

    /// VERIFY the PIN of the current EF: `00 20 00 80 Lc <PIN>`. Run it after selecting the
    /// PIN's EF. The PIN is masked in `Debug` and `Display`.
    ///
    /// Each call to the card with this command spends a try if the PIN is wrong: never resend it.
    ///
    /// # Errors
    ///
    /// [`BuildError::EmptyData`] for an empty PIN (that would be the retry query, see
    /// [`Command::retry_count_query`]) and [`BuildError::DataTooLong`] above 255 bytes.
    pub fn verify(pin: &'a SecretBytes) -> Result<Self, BuildError> {
        let pin = pin.expose_secret();
        if pin.is_empty() {
            return Err(BuildError::EmptyData);
        }
        Self::new(0x00, ins::VERIFY, 0x00, 0x80, pin, 0)
    }

    /// The empty VERIFY, `00 20 00 80` (case 1): asks the current PIN EF for its retry counter
    /// (`63 Cx`) without spending a try.
    #[must_use]
    pub const fn retry_count_query() -> Command<'static> {
        Command::known_short(ZERO_CLA, ins::VERIFY, 0x00, 0x80, &[], 0)
    }

    /// CHANGE REFERENCE DATA with the new PIN only, `00 24 01 80 Lc <new PIN>`, after a
    /// successful VERIFY of the same EF. The PIN is masked in `Debug` and `Display`.
    ///
    /// # Errors
    ///
    /// [`BuildError::EmptyData`] and [`BuildError::DataTooLong`] as for [`Command::verify`].
    pub fn change_reference_data(new_pin: &'a SecretBytes) -> Result<Self, BuildError> {
        let new_pin = new_pin.expose_secret();
        if new_pin.is_empty() {
            return Err(BuildError::EmptyData);
        }
        Self::new(0x00, ins::CHANGE_REFERENCE_DATA, 0x01, 0x80, new_pin, 0)
    }

    /// GET RESPONSE for the `expected_len` bytes a `61 xx` announced: `00 C0 00 00 Le`.
    ///
    /// # Errors
    ///
    /// [`BuildError::ExpectedLenOutOfRange`] outside 1 to 256.
    pub fn get_response(expected_len: u32) -> Result<Command<'static>, BuildError> {
        check_read_len(expected_len, LengthEncoding::Short)?;
        Command::new(0x00, ins::GET_RESPONSE, 0x00, 0x00, &[], expected_len)
    }
}
