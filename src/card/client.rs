//! [`Card`]: the card operations over a [`CardReader`], for code that does not run its own loop.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::ops::{
    self, QueryPinStatus, ReadFile, SelectApplication, SignWithUserAuthKey, VerifyOutcome,
    VerifyPin,
};
use super::records::{BasicInfo, CardFaceEntries, CardKind, MyNumber, UserAuthCertificate};
use super::session::{CardOperation, CardState, Exchange, ExchangeStats, Poll};
use super::{Application, FileSize, Pin, PinSlot, PinStatus};
use crate::error::{CardFile, CardIncompatible, Error};
use crate::reader::CardReader;

/// The My Number Card on a reader: typed operations that each run to completion.
///
/// Every operation first takes the reader's card event (reset, removal, new card) and then
/// forgets what it knew, so a retry count is never carried over to another card or session.
///
/// ```
/// use onshi::card::{Card, Pin, PinKind, PinSlot, PinStatus, VerifyOutcome};
/// use onshi::sim::{Persona, VirtualReader};
///
/// let mut card = Card::new(VirtualReader::with_persona(Persona::Standard));
/// assert_eq!(card.pin_status(PinSlot::UserAuth)?, PinStatus::Remaining(3));
/// let wrong = Pin::new(PinKind::UserAuth, "9999")?;
/// assert_eq!(card.verify(PinSlot::UserAuth, wrong)?, VerifyOutcome::WrongPin { tries_left: 2 });
/// let right = Pin::new(PinKind::UserAuth, "1234")?;
/// assert_eq!(card.verify(PinSlot::UserAuth, right)?, VerifyOutcome::Verified);
/// # Ok::<(), onshi::Error>(())
/// ```
#[derive(Debug)]
pub struct Card<R: CardReader> {
    reader: R,
    state: CardState,
    response: Zeroizing<Vec<u8>>,
}

/// The remaining tries of every PIN, read without spending any (like `myna pin status`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PinReport {
    /// What kind of card it is (from the JPKI token).
    pub kind: CardKind,
    /// Each PIN the card has an application for, with its status.
    pub pins: Vec<(PinSlot, PinStatus)>,
}

impl<R: CardReader> Card<R> {
    /// The card on `reader`.
    pub fn new(reader: R) -> Self {
        let capabilities = reader.capabilities();
        Self {
            reader,
            state: CardState::new(capabilities),
            response: Zeroizing::new(Vec::new()),
        }
    }

    /// Runs `operation` to completion over the reader.
    ///
    /// # Errors
    ///
    /// The operation's error, or the reader's [`TransportError`](crate::TransportError). A
    /// command is never resent after a transport error.
    pub fn run<O: CardOperation>(&mut self, operation: O) -> Result<O::Output, Error> {
        if let Some(event) = self.reader.take_card_event() {
            self.state.card_event(event);
        }
        let mut exchange = Exchange::new(operation);
        let mut poll = exchange.start(&mut self.state);
        loop {
            let (command, capacity) = match poll {
                Poll::Done(result) => return result,
                Poll::Transmit {
                    command,
                    response_capacity,
                } => (command, response_capacity),
            };
            self.response.clear();
            self.response.resize(capacity, 0);
            match self.reader.transmit(command, &mut self.response) {
                Ok(len) => {
                    let len = len.min(self.response.len());
                    let bytes = self.response.get(..len).unwrap_or(&[]);
                    poll = exchange.handle_response(&mut self.state, bytes);
                }
                Err(error) => {
                    poll = exchange.handle_transport_error(&mut self.state, error);
                }
            }
        }
    }

    /// Selects an application (skipped when it is already selected).
    ///
    /// # Errors
    ///
    /// [`CardIncompatible::ApplicationMissing`] when the card does not have it.
    pub fn select(&mut self, application: Application) -> Result<(), Error> {
        self.run(SelectApplication::new(application))
    }

    /// What kind of card this is, from the JPKI token.
    ///
    /// # Errors
    ///
    /// Transport, card and record errors.
    pub fn kind(&mut self) -> Result<CardKind, Error> {
        self.run(ops::read_card_kind())
    }

    /// The retry count of one PIN, spending no try.
    ///
    /// # Errors
    ///
    /// Transport and card errors.
    pub fn pin_status(&mut self, slot: PinSlot) -> Result<PinStatus, Error> {
        self.run(QueryPinStatus::new(slot))
    }

    /// The retry counts of every PIN, spending none: the JPKI-AP first (its token says whether
    /// this is a smartphone, which has no other application), then the card-info and card-face
    /// applications.
    ///
    /// # Errors
    ///
    /// Transport and card errors.
    pub fn pin_report(&mut self) -> Result<PinReport, Error> {
        let kind = self.kind()?;
        let mut pins = Vec::with_capacity(PinSlot::ALL.len());
        for slot in PinSlot::ALL {
            if kind == CardKind::Smartphone && slot.application() != Application::Jpki {
                continue;
            }
            match self.pin_status(slot) {
                Ok(status) => pins.push((slot, status)),
                // A card without the application simply has none of its PINs.
                Err(Error::CardIncompatible(CardIncompatible::ApplicationMissing(_))) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(PinReport { kind, pins })
    }

    /// Verifies a PIN with exactly one VERIFY, never resent. Refused without sending anything
    /// unless the card's last report for the slot shows tries left: call
    /// [`pin_status`](Self::pin_status) first.
    ///
    /// # Errors
    ///
    /// [`UsageError::RetryCountNotFresh`](crate::error::UsageError::RetryCountNotFresh),
    /// [`UsageError::PinBlocked`](crate::error::UsageError::PinBlocked), transport and card
    /// errors.
    pub fn verify(&mut self, slot: PinSlot, pin: Pin) -> Result<VerifyOutcome, Error> {
        self.run(VerifyPin::new(slot, pin))
    }

    /// Reads a file whose size comes from its own DER/BER header.
    ///
    /// # Errors
    ///
    /// Transport and card errors; [`UsageError::PinNotVerified`](crate::error::UsageError::PinNotVerified)
    /// for a protected file.
    pub fn read_file(&mut self, file: CardFile) -> Result<Vec<u8>, Error> {
        self.run(ReadFile::new(file, FileSize::FromHeader))
    }

    /// Reads the user-authentication certificate.
    ///
    /// # Errors
    ///
    /// Transport, card and certificate errors.
    pub fn user_auth_certificate(&mut self) -> Result<UserAuthCertificate, Error> {
        self.run(ops::read_user_auth_certificate())
    }

    /// Verifies the card-info PIN (asking its retry count first if it is not known) and reads
    /// the basic 4 info.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify); [`VerifyOutcome`] other than verified becomes
    /// [`UsageError::PinNotVerified`](crate::error::UsageError::PinNotVerified).
    pub fn basic_info(&mut self, pin: Pin) -> Result<BasicInfo, Error> {
        self.verify_fresh(PinSlot::CardInfo, pin)?;
        self.run(ops::read_basic_info())
    }

    /// Verifies 照合番号B in the card-face AP (asking its retry count first if it is not known)
    /// and reads the card-face entries with the face photo.
    ///
    /// # Errors
    ///
    /// As [`basic_info`](Self::basic_info).
    pub fn card_face(&mut self, verification_number_b: Pin) -> Result<CardFaceEntries, Error> {
        self.verify_fresh(PinSlot::CardFaceVerificationB, verification_number_b)?;
        self.run(ops::read_card_face())
    }

    /// Verifies the card-info PIN and reads the My Number.
    ///
    /// # Errors
    ///
    /// As [`basic_info`](Self::basic_info).
    pub fn my_number(&mut self, pin: Pin) -> Result<MyNumber, Error> {
        self.verify_fresh(PinSlot::CardInfo, pin)?;
        self.run(ops::read_my_number())
    }

    /// Verifies the user-authentication PIN and signs a DigestInfo with the user-authentication
    /// key: 256 bytes of RSA-2048 PKCS#1 v1.5 signature.
    ///
    /// # Errors
    ///
    /// As [`basic_info`](Self::basic_info).
    pub fn sign_with_user_auth_key(
        &mut self,
        pin: Pin,
        digest_info: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.verify_fresh(PinSlot::UserAuth, pin)?;
        self.run(SignWithUserAuthKey::new(digest_info.to_vec()))
    }

    /// One VERIFY after a retry query if the count is not known; an outcome other than
    /// verified is an error.
    fn verify_fresh(&mut self, slot: PinSlot, pin: Pin) -> Result<(), Error> {
        if self.state.pin_status(slot) == PinStatus::Unknown {
            self.pin_status(slot)?;
        }
        match self.verify(slot, pin)? {
            VerifyOutcome::Verified => Ok(()),
            VerifyOutcome::WrongPin { .. } | VerifyOutcome::Blocked => {
                Err(crate::error::UsageError::PinNotVerified(slot).into())
            }
        }
    }

    /// What the card layer knows about the card.
    #[must_use]
    pub const fn state(&self) -> &CardState {
        &self.state
    }

    /// Traffic so far.
    #[must_use]
    pub const fn stats(&self) -> ExchangeStats {
        self.state.stats()
    }

    /// The reader.
    #[must_use]
    pub const fn reader(&self) -> &R {
        &self.reader
    }

    /// The reader, mutably (to insert or remove a virtual card, say).
    pub fn reader_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Gives the reader back.
    pub fn into_reader(self) -> R {
        self.reader
    }
}
