//! [`PcscReader`]: a [`CardReader`] over PC/SC (feature `pcsc`; never in the default build).
//!
//! It picks a reader by name or the first with a card, waits for a card, and maps PC/SC errors
//! to [`TransportError`]s. It never holds a PC/SC transaction across a person's input (Windows
//! resets a card after 5 s of idle transaction): the connection is made exclusive only for the
//! commands of one PIN check (the SELECT, the count re-read and the VERIFY), then shared again.
//! After the card reports a reset it reconnects and reports
//! [`CardEvent::Reset`], after which the card layer selects again and asks the retry counters
//! again.
//!
//! ```no_run
//! use onshi::card::{Card, PinSlot};
//! use onshi::pcsc::{PcscReader, ReaderSelector};
//! use std::time::Duration;
//!
//! let mut reader = PcscReader::open(ReaderSelector::FirstWithCard)?;
//! reader.wait_for_card(Duration::from_secs(30))?;
//! let mut card = Card::new(reader);
//! println!("{}", card.pin_status(PinSlot::UserAuth)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ffi::{CStr, CString};
use std::fmt;
use std::time::{Duration, Instant};

use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};

use crate::reader::{CardEvent, CardReader, ReaderCapabilities, TransportError};

/// How to pick the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReaderSelector<'a> {
    /// The reader whose name contains this text (PC/SC names change with the port and index,
    /// so an exact name is rarely stable).
    NameContains(&'a str),
    /// The first reader that holds a card; if none does, the first reader.
    FirstWithCard,
}

/// A card reader reached through the platform's PC/SC service (pcsc-lite, WinSCard,
/// CryptoTokenKit).
pub struct PcscReader {
    context: Context,
    name: CString,
    card: Option<pcsc::Card>,
    watch: ReaderState,
    pending: Option<CardEvent>,
    capabilities: ReaderCapabilities,
}

impl fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscReader")
            .field("name", &self.name)
            .field("connected", &self.card.is_some())
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

impl PcscReader {
    /// Opens a reader. A card already on it is reported as [`CardEvent::Inserted`] by the first
    /// [`take_card_event`](CardReader::take_card_event).
    ///
    /// # Errors
    ///
    /// [`TransportError::NoService`] when the PC/SC service is not running,
    /// [`TransportError::NoReader`] when no reader matches.
    pub fn open(selector: ReaderSelector<'_>) -> Result<Self, TransportError> {
        let context = Context::establish(Scope::User).map_err(map_error)?;
        let readers = context.list_readers_owned().map_err(map_error)?;
        let name = match selector {
            ReaderSelector::NameContains(text) => readers
                .into_iter()
                .find(|name| name.to_string_lossy().contains(text)),
            ReaderSelector::FirstWithCard => {
                let with_card = readers
                    .iter()
                    .find(|name| card_present(&context, name))
                    .cloned();
                with_card.or_else(|| readers.into_iter().next())
            }
        }
        .ok_or(TransportError::NoReader)?;
        let mut watch = ReaderState::new(name.clone(), State::UNAWARE);
        // Learn the current state, so the first change seen is a real one.
        let _ = context.get_status_change(Duration::ZERO, std::slice::from_mut(&mut watch));
        watch.sync_current_state();
        // A card already on the reader is news to whoever opens it.
        let pending = watch
            .event_state()
            .contains(State::PRESENT)
            .then_some(CardEvent::Inserted);
        Ok(Self {
            context,
            name,
            card: None,
            watch,
            pending,
            capabilities: ReaderCapabilities::SHORT_ONLY,
        })
    }

    /// The reader's PC/SC name.
    #[must_use]
    pub fn name(&self) -> &CStr {
        &self.name
    }

    /// Declares that the reader passes extended-length APDUs (PC/SC cannot tell; many
    /// contactless readers do not). Off by default.
    pub fn set_extended_length(&mut self, supported: bool) {
        self.capabilities = if supported {
            ReaderCapabilities::EXTENDED_LENGTH
        } else {
            ReaderCapabilities::SHORT_ONLY
        };
    }

    /// Waits until a card is on the reader; `Ok(false)` if none came within `timeout`.
    ///
    /// # Errors
    ///
    /// PC/SC failures other than the timeout.
    pub fn wait_for_card(&mut self, timeout: Duration) -> Result<bool, TransportError> {
        self.wait_for(timeout, State::PRESENT)
    }

    /// Waits until the reader is empty; `Ok(false)` if the card is still there after
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// PC/SC failures other than the timeout.
    pub fn wait_for_removal(&mut self, timeout: Duration) -> Result<bool, TransportError> {
        self.wait_for(timeout, State::EMPTY)
    }

    fn wait_for(&mut self, timeout: Duration, wanted: State) -> Result<bool, TransportError> {
        let start = Instant::now();
        loop {
            self.poll_state(Duration::from_millis(200))?;
            if self.watch.event_state().contains(wanted) {
                return Ok(true);
            }
            if start.elapsed() >= timeout {
                return Ok(false);
            }
        }
    }

    /// Polls the reader's state and records insertion and removal as events.
    fn poll_state(&mut self, timeout: Duration) -> Result<(), TransportError> {
        let before = self.watch.event_state();
        let count_before = self.watch.event_count();
        match self
            .context
            .get_status_change(timeout, std::slice::from_mut(&mut self.watch))
        {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(()),
            Err(error) => return Err(map_error(error)),
        }
        let now = self.watch.event_state();
        let swapped = self.watch.event_count() != count_before;
        if now.contains(State::EMPTY) && !before.contains(State::EMPTY) {
            self.card = None;
            self.pending = Some(CardEvent::Removed);
        } else if now.contains(State::PRESENT) && (!before.contains(State::PRESENT) || swapped) {
            self.card = None;
            self.pending = Some(CardEvent::Inserted);
        }
        self.watch.sync_current_state();
        Ok(())
    }

    fn connected(&mut self) -> Result<&pcsc::Card, TransportError> {
        if self.card.is_none() {
            let card = self
                .context
                .connect(&self.name, ShareMode::Shared, Protocols::ANY)
                .map_err(map_error)?;
            self.card = Some(card);
        }
        self.card.as_ref().ok_or(TransportError::NoCard)
    }
}

impl CardReader for PcscReader {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError> {
        let capacity = response.len();
        let result = self
            .connected()?
            .transmit(command, response)
            .map(<[u8]>::len);
        match result {
            Ok(len) => Ok(len),
            Err(pcsc::Error::ResetCard) => {
                // The command was not sent. Reconnect so the next one can be, and tell the card
                // layer to forget what it knew.
                if let Some(card) = self.card.as_mut()
                    && card
                        .reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard)
                        .is_err()
                {
                    self.card = None;
                }
                self.pending = Some(CardEvent::Reset);
                Err(TransportError::CardReset)
            }
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => {
                self.card = None;
                self.pending = Some(CardEvent::Removed);
                Err(TransportError::CardRemoved)
            }
            Err(pcsc::Error::InsufficientBuffer) => {
                Err(TransportError::ResponseTooLong { capacity })
            }
            Err(error) => Err(map_error(error)),
        }
    }

    fn take_card_event(&mut self) -> Option<CardEvent> {
        let _ = self.poll_state(Duration::ZERO);
        self.pending.take()
    }

    fn capabilities(&self) -> ReaderCapabilities {
        self.capabilities
    }

    /// Makes the connection exclusive: the shared connection is closed leaving the card as it
    /// is, and a new one is opened with `SCARD_SHARE_EXCLUSIVE`; no other program can connect
    /// or send the card a command until [`end_exclusive`](CardReader::end_exclusive). Not a
    /// PC/SC transaction: nothing is held while a person types, only for the commands of one
    /// PIN check. (`SCardReconnect` from exclusive back to shared leaves the reader locked for
    /// other programs on pcsc-lite 1.9.9, so the connection is opened anew instead.)
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.connected()?;
        if let Some(shared) = self.card.take()
            && let Err((shared, error)) = shared.disconnect(Disposition::LeaveCard)
        {
            self.card = Some(shared);
            return Err(map_error(error));
        }
        match self
            .context
            .connect(&self.name, ShareMode::Exclusive, Protocols::ANY)
        {
            Ok(exclusive) => {
                self.card = Some(exclusive);
                Ok(())
            }
            Err(pcsc::Error::ResetCard) => {
                self.pending = Some(CardEvent::Reset);
                Err(TransportError::CardReset)
            }
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => {
                self.pending = Some(CardEvent::Removed);
                Err(TransportError::CardRemoved)
            }
            Err(error) => Err(map_error(error)),
        }
    }

    /// Closes the exclusive connection, leaving the card as it is, and connects shared again
    /// at once (an idle reader with no connection may power the card down).
    fn end_exclusive(&mut self) {
        if let Some(exclusive) = self.card.take() {
            let _ = exclusive.disconnect(Disposition::LeaveCard);
        }
        self.card = self
            .context
            .connect(&self.name, ShareMode::Shared, Protocols::ANY)
            .ok();
    }
}

fn card_present(context: &Context, name: &CStr) -> bool {
    let mut state = ReaderState::new(name.to_owned(), State::UNAWARE);
    context
        .get_status_change(Duration::ZERO, std::slice::from_mut(&mut state))
        .is_ok()
        && state.event_state().contains(State::PRESENT)
}

/// The transport error for a PC/SC error.
#[must_use]
pub fn map_error(error: pcsc::Error) -> TransportError {
    match error {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => TransportError::NoService,
        pcsc::Error::NoReadersAvailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::ReaderUnavailable => TransportError::NoReader,
        pcsc::Error::NoSmartcard => TransportError::NoCard,
        pcsc::Error::RemovedCard => TransportError::CardRemoved,
        pcsc::Error::ResetCard => TransportError::CardReset,
        pcsc::Error::SharingViolation => TransportError::SharingViolation,
        pcsc::Error::Timeout => TransportError::Timeout,
        pcsc::Error::InsufficientBuffer => TransportError::ResponseTooLong { capacity: 0 },
        other => TransportError::Failed { code: other as u32 },
    }
}
