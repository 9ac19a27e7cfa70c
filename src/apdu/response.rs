//! Response APDUs: the card's answer, data followed by SW1 SW2.

use core::fmt;

use super::StatusWord;

/// A response APDU borrowed from the bytes a reader returned: the response data and the status
/// word.
///
/// [`Response::parse`] is the only constructor from untrusted bytes; after it, no accessor can
/// panic.
///
/// ```
/// use onshi::apdu::{Response, StatusWord};
///
/// let response = Response::parse(&[0x30, 0x82, 0x05, 0x1C, 0x90, 0x00])?;
/// assert_eq!(response.data(), &[0x30, 0x82, 0x05, 0x1C]);
/// assert_eq!(response.status(), StatusWord::SUCCESS);
/// assert!(Response::parse(&[0x90]).is_err());
/// # Ok::<(), onshi::apdu::ResponseParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    data: &'a [u8],
    status: StatusWord,
}

impl<'a> Response<'a> {
    /// Splits `bytes` into response data and the final two status bytes.
    ///
    /// # Errors
    ///
    /// [`ResponseParseError::TooShort`] when there are fewer than two bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ResponseParseError> {
        match bytes.split_last_chunk::<2>() {
            Some((data, sw)) => Ok(Self {
                data,
                status: StatusWord::from(*sw),
            }),
            None => Err(ResponseParseError::TooShort { len: bytes.len() }),
        }
    }

    /// A response with the given data and status word (for virtual cards and tests).
    #[must_use]
    pub const fn new(data: &'a [u8], status: StatusWord) -> Self {
        Self { data, status }
    }

    /// The response data, without the status word.
    #[must_use]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The status word SW1 SW2.
    #[must_use]
    pub const fn status(&self) -> StatusWord {
        self.status
    }

    /// Length of the encoded response: data plus two status bytes.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        self.data.len() + 2
    }

    /// Writes data and status word into `out` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`](super::BufferTooSmall) when `out` is shorter than [`encoded_len`](Self::encoded_len).
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, super::BufferTooSmall> {
        let needed = self.encoded_len();
        let Some((data_out, rest)) = out.split_at_mut_checked(self.data.len()) else {
            return Err(super::BufferTooSmall { needed });
        };
        let Some(sw_out) = rest.first_chunk_mut::<2>() else {
            return Err(super::BufferTooSmall { needed });
        };
        data_out.copy_from_slice(self.data);
        *sw_out = self.status.to_bytes();
        Ok(needed)
    }
}

/// `Debug` shows the length of the data, not the data: a response can carry a secret such as
/// the My Number.
impl fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("data_len", &self.data.len())
            .field("status", &self.status)
            .finish()
    }
}

/// A response that cannot be split into data and a status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseParseError {
    /// Fewer than the two status bytes every response ends with.
    #[error("response APDU of {len} bytes is shorter than its 2-byte status word")]
    TooShort {
        /// How many bytes there were.
        len: usize,
    },
}
