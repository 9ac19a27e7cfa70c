//! The [`CardReader`] trait: how the card layer reaches a card.
//!
//! The sans-IO core never calls it; drivers do ([`Card`](crate::card::Card), the blocking
//! reception driver). Implementations: the virtual card's reader (feature `sim`) and PC/SC
//! (feature `pcsc`).

use alloc::boxed::Box;
use core::fmt;

/// Something that happened to the card in the reader since the reader last reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardEvent {
    /// A card was placed on the reader.
    Inserted,
    /// The card was taken away.
    Removed,
    /// The card was reset (powered again): selections and verified PINs are gone.
    Reset,
}

/// What a reader can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReaderCapabilities {
    /// The reader passes extended-length APDUs (Lc/Le over 255/256). Many readers do not;
    /// short APDUs are always used unless this is true.
    pub extended_length: bool,
}

impl ReaderCapabilities {
    /// A reader that sends short APDUs only.
    pub const SHORT_ONLY: Self = Self {
        extended_length: false,
    };

    /// A reader that also sends extended-length APDUs.
    pub const EXTENDED_LENGTH: Self = Self {
        extended_length: true,
    };
}

/// A card reader: sends command APDUs to the card and returns its responses.
///
/// Object-safe and synchronous. `transmit` must send the command exactly once: the card layer
/// relies on it, because a VERIFY sent twice spends two of the patient's PIN tries.
pub trait CardReader {
    /// Sends one command APDU and writes the response (data, then SW1 SW2) into `response`,
    /// returning its length. The caller sizes `response` from the command's Ne plus two.
    ///
    /// # Errors
    ///
    /// A [`TransportError`]; [`TransportError::may_have_reached_card`] says whether the card may
    /// have executed the command anyway.
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError>;

    /// The card event since the last call, if any (reset, removal, insertion; a removal then
    /// an insertion may be reported as one insertion). The card layer calls this before each
    /// command and forgets what it knew about the card after one.
    fn take_card_event(&mut self) -> Option<CardEvent>;

    /// What the reader supports.
    fn capabilities(&self) -> ReaderCapabilities;

    /// Makes the card this program's alone until [`end_exclusive`](Self::end_exclusive): no
    /// other program on the terminal can send it a command in between (PC/SC: the connection
    /// is made exclusive). The card layer holds it only for the few commands of a PIN check,
    /// the retry count re-read and the VERIFY that relies on it, never while a person types.
    /// The default does nothing: a reader no other program can reach needs nothing.
    ///
    /// # Errors
    ///
    /// A [`TransportError`], typically [`TransportError::SharingViolation`] when another
    /// program holds the card.
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Ends what [`begin_exclusive`](Self::begin_exclusive) began. The default does nothing.
    fn end_exclusive(&mut self) {}
}

/// Forwards every method to the reader behind a reference or a box.
macro_rules! forward_card_reader {
    ($($target:ty),*) => {$(
        impl<R: CardReader + ?Sized> CardReader for $target {
            fn transmit(
                &mut self,
                command: &[u8],
                response: &mut [u8],
            ) -> Result<usize, TransportError> {
                (**self).transmit(command, response)
            }

            fn take_card_event(&mut self) -> Option<CardEvent> {
                (**self).take_card_event()
            }

            fn capabilities(&self) -> ReaderCapabilities {
                (**self).capabilities()
            }

            fn begin_exclusive(&mut self) -> Result<(), TransportError> {
                (**self).begin_exclusive()
            }

            fn end_exclusive(&mut self) {
                (**self).end_exclusive();
            }
        }
    )*};
}

forward_card_reader!(&mut R, Box<R>);

/// The reader or the link to the card failed: nobody's data was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The smart-card service is not running (PC/SC: `SCARD_E_NO_SERVICE`).
    #[error("the smart-card service is not running")]
    NoService,
    /// No reader is connected, or the named one is not there.
    #[error("no card reader found")]
    NoReader,
    /// No card is on the reader. The command was not sent.
    #[error("no card on the reader")]
    NoCard,
    /// The card was removed; the command may or may not have reached it.
    #[error("the card was removed")]
    CardRemoved,
    /// The card was reset before the command; the command was not sent.
    #[error("the card was reset")]
    CardReset,
    /// Another card was placed since the card layer last looked; the command was not sent.
    #[error("the card was replaced by another")]
    CardChanged,
    /// Another program holds the card exclusively; try again.
    #[error("another program is using the card")]
    SharingViolation,
    /// The card did not answer in time; the command may have reached it.
    #[error("the card did not answer in time")]
    Timeout,
    /// The response did not fit the buffer; the command was executed.
    #[error("the response is longer than the {capacity}-byte buffer")]
    ResponseTooLong {
        /// The buffer's size.
        capacity: usize,
    },
    /// Any other reader failure, with the platform's error code where there is one.
    #[error("card reader failure (code {code:#010X})")]
    Failed {
        /// The platform's error code (PC/SC `SCARD_*`), or 0.
        code: u32,
    },
}

impl TransportError {
    /// Whether the card may have executed the command despite the error, as far as the error
    /// itself says. The card layer does not rely on it: after any transport error it forgets
    /// what it knew (a reader that reports "no service" mid-command may still have delivered
    /// it, and a VERIFY handed to the transport counts as possibly executed), and asks the
    /// retry count again before the next VERIFY.
    #[must_use]
    pub const fn may_have_reached_card(self) -> bool {
        !matches!(
            self,
            Self::NoCard | Self::CardReset | Self::CardChanged | Self::SharingViolation
        )
    }
}

impl CardEvent {
    /// The error a command not sent yet ends with when this event comes first: the card was
    /// replaced, removed or reset under it.
    #[must_use]
    pub const fn interrupted_command(self) -> TransportError {
        match self {
            Self::Inserted => TransportError::CardChanged,
            Self::Removed => TransportError::CardRemoved,
            Self::Reset => TransportError::CardReset,
        }
    }
}

impl fmt::Display for CardEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Inserted => "card inserted",
            Self::Removed => "card removed",
            Self::Reset => "card reset",
        })
    }
}
