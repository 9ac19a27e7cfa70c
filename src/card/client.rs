//! [`Card`]: the card operations over a [`CardReader`], for code that does not run its own loop.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::ops::{
    self, CardKey, GetChallenge, GetData, LeaveApplication, QueryPinStatus, ReadFile,
    SelectApplication, Sign, SignatureScheme, VerifyOutcome, VerifyPin,
};
use super::records::{
    BasicInfo, CardFaceEntries, CardKind, CardVerifiableCertificate, CertificateAvailability,
    IntegrityRecord, MyNumber, TokenInfo, UserAuthCertificate,
};
use super::session::{
    CardOperation, CardState, Exchange, ExchangeStats, FreshRetryCount, Poll, Span,
};
use super::{Application, CardFile, FileSize, Pin, PinSlot, PinStatus, card_face, card_info};
use crate::error::{CardIncompatible, Error, UsageError};
use crate::reader::CardReader;

/// The My Number Card on a reader: typed operations that each run to completion.
///
/// Every operation first takes the reader's card event (reset, removal, new card) and then
/// forgets what it knew, so a retry count is never carried over to another card or session.
///
/// ```
/// use onshi::card::{Card, Pin, PinKind, PinSlot, VerifyOutcome};
/// use onshi::sim::{Persona, VirtualReader};
///
/// let mut card = Card::new(VirtualReader::with_persona(Persona::Standard));
/// // The count comes from the card, and a VERIFY needs it.
/// let count = card.fresh_count(PinSlot::UserAuth)?;
/// assert_eq!(count.tries_left(), 3);
/// let wrong = Pin::new(PinKind::UserAuth, "9999")?;
/// assert_eq!(card.verify(count, wrong)?, VerifyOutcome::WrongPin { tries_left: 2 });
/// let count = card.state().fresh_count(PinSlot::UserAuth).expect("2 left");
/// let right = Pin::new(PinKind::UserAuth, "1234")?;
/// assert_eq!(card.verify(count, right)?, VerifyOutcome::Verified);
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
    /// The card on `reader`. Card events the reader reported before (the card's insertion)
    /// are taken: the card layer starts knowing nothing of the card, so they change nothing.
    pub fn new(mut reader: R) -> Self {
        let _ = reader.take_card_event();
        let capabilities = reader.capabilities();
        Self {
            reader,
            state: CardState::new(capabilities),
            response: Zeroizing::new(Vec::new()),
        }
    }

    /// Runs `operation` to completion over the reader.
    ///
    /// The reader's card events are taken before every command, the first included: a
    /// command meant for a card that was reset, removed or replaced since the card layer last
    /// looked is not sent, and the operation ends with the matching [`TransportError`](crate::TransportError)
    /// (`CardReset`, `CardRemoved`, `CardChanged`), after which the card layer has forgotten
    /// what it knew of the card and the next operation starts afresh. A caller that watches
    /// the reader itself takes the events first ([`CardReader::take_card_event`]). Commands the
    /// operation marks exclusive are sent while the card is this program's alone
    /// ([`CardReader::begin_exclusive`]).
    ///
    /// # Errors
    ///
    /// The operation's error, or the reader's [`TransportError`](crate::TransportError). A command is never resent
    /// after a transport error.
    pub fn run<O: CardOperation>(&mut self, operation: O) -> Result<O::Output, Error> {
        let mut exchange = Exchange::new(operation);
        let mut poll = exchange.start(&mut self.state);
        let mut held = false;
        let result = loop {
            let Poll::Transmit { span, .. } = poll else {
                let Poll::Done(result) = poll else {
                    break Err(UsageError::OutOfOrder.into());
                };
                break result;
            };
            if let Some(event) = self.reader.take_card_event() {
                poll =
                    exchange.handle_transport_error(&mut self.state, event.interrupted_command());
                continue;
            }
            if matches!(span, Span::Exclusive { .. }) && !held {
                if let Err(error) = self.reader.begin_exclusive() {
                    poll = exchange.handle_transport_error(&mut self.state, error);
                    continue;
                }
                held = true;
            }
            let Poll::Transmit {
                command,
                response_capacity,
                ..
            } = poll
            else {
                continue;
            };
            self.response.clear();
            self.response.resize(response_capacity, 0);
            let sent = self.reader.transmit(command, &mut self.response);
            if held && span != (Span::Exclusive { hold: true }) {
                self.reader.end_exclusive();
                held = false;
            }
            poll = match sent {
                Ok(len) => {
                    let len = len.min(self.response.len());
                    let bytes = self.response.get(..len).unwrap_or(&[]);
                    exchange.handle_response(&mut self.state, bytes)
                }
                Err(error) => exchange.handle_transport_error(&mut self.state, error),
            };
        };
        if held {
            self.reader.end_exclusive();
        }
        result
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

    /// The JPKI token (EF 0006): kind, chip serial, PIN lengths.
    ///
    /// # Errors
    ///
    /// Transport, card and record errors.
    pub fn token_info(&mut self) -> Result<TokenInfo, Error> {
        self.run(ops::read_token_info())
    }

    /// Which certificates the card carries (JPKI EF 0008).
    ///
    /// # Errors
    ///
    /// Transport, card and record errors.
    pub fn certificate_availability(&mut self) -> Result<CertificateAvailability, Error> {
        self.run(ops::read_certificate_availability())
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
            if kind.is_smartphone() && slot.application() != Application::Jpki {
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

    /// Asks the retry count of `slot` (spending nothing) and hands out the count a VERIFY
    /// needs.
    ///
    /// # Errors
    ///
    /// [`UsageError::PinBlocked`] for a blocked PIN, [`CardIncompatible::PinNotSet`] for a key
    /// the card does not have, transport and card errors.
    pub fn fresh_count(&mut self, slot: PinSlot) -> Result<FreshRetryCount, Error> {
        match self.pin_status(slot)? {
            PinStatus::NotSet => Err(CardIncompatible::PinNotSet(slot).into()),
            _ => self
                .state
                .fresh_count(slot)
                .ok_or_else(|| UsageError::PinBlocked(slot).into()),
        }
    }

    /// Checks a PIN: in one exclusive span the count is read again and, only if it is still
    /// `count`, exactly one VERIFY naming the key EF is sent, never resent. `count` comes from
    /// the card ([`fresh_count`](Self::fresh_count), or [`CardState::fresh_count`] after a
    /// [`pin_status`](Self::pin_status)); a count from before a reset is refused.
    ///
    /// # Errors
    ///
    /// [`UsageError::RetryCountNotFresh`], [`UsageError::PinKindMismatch`], transport and card
    /// errors.
    pub fn verify(&mut self, count: FreshRetryCount, pin: Pin) -> Result<VerifyOutcome, Error> {
        self.run(VerifyPin::new(count, pin))
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

    /// Verifies `key` (asking its retry count first if it is not known) and reads `file`.
    ///
    /// The key's slot is the one of the file's application that takes a PIN of its kind; a key
    /// is presented only to a file it opens ([`CardFile::access`]): 照合番号A never to the
    /// basic 4 info, 照合番号B never to the My Number.
    ///
    /// # Errors
    ///
    /// [`UsageError::KeyDoesNotOpenFile`] before anything is sent; otherwise as
    /// [`verify`](Self::verify), and a [`VerifyOutcome`] other than verified becomes
    /// [`UsageError::PinNotVerified`].
    pub fn read_protected(&mut self, file: CardFile, key: Pin) -> Result<Vec<u8>, Error> {
        let slot = self.slot_opening(file, &key)?;
        self.verify_fresh(slot, key)?;
        self.read_file(file)
    }

    /// Reads the basic 4 info with the card-info PIN or 照合番号B.
    ///
    /// # Errors
    ///
    /// As [`read_protected`](Self::read_protected), and record errors.
    pub fn basic_info(&mut self, key: Pin) -> Result<BasicInfo, Error> {
        let file = CardFile::new(Application::CardInfo, card_info::BASIC_INFO);
        self.slot_opening(file, &key)
            .and_then(|slot| self.verify_fresh(slot, key))?;
        self.run(ops::read_basic_info())
    }

    /// Reads the card-face entries with the face photo, with 照合番号A or B.
    ///
    /// # Errors
    ///
    /// As [`read_protected`](Self::read_protected), and record errors.
    pub fn card_face(&mut self, key: Pin) -> Result<CardFaceEntries, Error> {
        let file = CardFile::new(Application::CardFace, card_face::ENTRIES);
        self.slot_opening(file, &key)
            .and_then(|slot| self.verify_fresh(slot, key))?;
        self.run(ops::read_card_face())
    }

    /// Reads the My Number with the card-info PIN or 照合番号A.
    ///
    /// # Errors
    ///
    /// As [`read_protected`](Self::read_protected), and record errors.
    pub fn my_number(&mut self, key: Pin) -> Result<MyNumber, Error> {
        let file = CardFile::new(Application::CardInfo, card_info::MY_NUMBER);
        self.slot_opening(file, &key)
            .and_then(|slot| self.verify_fresh(slot, key))?;
        self.run(ops::read_my_number())
    }

    /// Reads the card-info AP's integrity record with the card-info PIN or a 照合番号.
    ///
    /// # Errors
    ///
    /// As [`read_protected`](Self::read_protected), and record errors.
    pub fn integrity_record(&mut self, key: Pin) -> Result<IntegrityRecord, Error> {
        let file = CardFile::new(Application::CardInfo, card_info::INTEGRITY);
        self.slot_opening(file, &key)
            .and_then(|slot| self.verify_fresh(slot, key))?;
        self.run(ops::read_integrity_record())
    }

    /// The card-verifiable certificate (EF 0004) of the card-face or card-info AP.
    ///
    /// # Errors
    ///
    /// Transport, card and record errors.
    pub fn card_verifiable_certificate(
        &mut self,
        application: Application,
    ) -> Result<CardVerifiableCertificate, Error> {
        self.run(ops::read_card_verifiable_certificate(application))
    }

    /// GET DATA of an MF-level object (see [`data_object`](super::data_object)); leaves the
    /// selected application first. `None` when the card has no such object.
    ///
    /// # Errors
    ///
    /// Transport and card errors.
    pub fn get_data(&mut self, tag: u16) -> Result<Option<Vec<u8>>, Error> {
        self.run(GetData::new(tag))
    }

    /// `len` random bytes from the card (GET CHALLENGE, 1 to 256).
    ///
    /// # Errors
    ///
    /// Transport and card errors; [`CardMisbehaved::ChallengeLength`](crate::error::CardMisbehaved::ChallengeLength).
    pub fn challenge(&mut self, len: u16) -> Result<Vec<u8>, Error> {
        self.run(GetChallenge::new(len))
    }

    /// Signs `input` with `key` under `scheme`; the key's PIN, if it has one, must have been
    /// verified in the same application session.
    ///
    /// # Errors
    ///
    /// [`UsageError::PinNotVerified`], [`UsageError::SigningInputLength`], transport and card
    /// errors.
    pub fn sign(
        &mut self,
        key: CardKey,
        scheme: SignatureScheme,
        input: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.run(Sign::new(key, scheme, input.to_vec()))
    }

    /// Reads the card face with 照合番号A or B and proves it genuine and present: its
    /// card-verifiable certificate (EF 0004) under `anchors`, the issuer's signature, and the
    /// card-face key's signature of `challenge` (see [`authenticity`](super::authenticity)).
    ///
    /// # Errors
    ///
    /// As [`card_face`](Self::card_face), and [`Error::NotAuthentic`].
    #[cfg(feature = "authenticity")]
    pub fn verified_card_face(
        &mut self,
        key: Pin,
        anchors: &super::authenticity::TrustAnchors,
        challenge: &super::authenticity::Challenge,
    ) -> Result<super::authenticity::VerifiedCardFace, Error> {
        let entries = self.card_face(key)?;
        let certificate = self.card_verifiable_certificate(Application::CardFace)?;
        let answer = self.sign(
            CardKey::CardFace,
            SignatureScheme::Verbatim,
            &challenge.digest_info(),
        )?;
        Ok(super::authenticity::verify_card_face(
            anchors,
            &certificate,
            entries,
            challenge,
            &answer,
        )?)
    }

    /// After the user-authentication PIN was verified: has the user-authentication key sign
    /// `challenge` and checks the signature with `certificate`'s key, proving the card holds
    /// the key the certificate names.
    ///
    /// # Errors
    ///
    /// Transport and card errors; [`Error::NotAuthentic`] when the signature does not verify.
    #[cfg(feature = "authenticity")]
    pub fn prove_pin_key(
        &mut self,
        certificate: &UserAuthCertificate,
        challenge: &super::authenticity::Challenge,
    ) -> Result<(), Error> {
        let answer = self.sign(
            CardKey::UserAuth,
            SignatureScheme::Verbatim,
            &challenge.digest_info(),
        )?;
        Ok(super::authenticity::verify_pin_key(
            certificate,
            challenge,
            &answer,
        )?)
    }

    /// Leaves the selected application (selects the Issuer Security Domain): every key a PIN
    /// unlocked is locked again, for every program on the reader.
    ///
    /// # Errors
    ///
    /// Transport and card errors.
    pub fn leave_application(&mut self) -> Result<(), Error> {
        self.run(LeaveApplication::new())
    }

    /// The slot of `file`'s application that takes `key`, if the key opens the file.
    fn slot_opening(&self, file: CardFile, key: &Pin) -> Result<PinSlot, Error> {
        let slot = PinSlot::for_kind(file.application, key.kind())
            .or_else(|| {
                PinSlot::ALL
                    .into_iter()
                    .find(|slot| slot.kind() == key.kind())
            })
            .unwrap_or(PinSlot::UserAuth);
        if slot.application() == file.application && file.access().opened_by(slot) {
            Ok(slot)
        } else {
            Err(UsageError::KeyDoesNotOpenFile { slot, file }.into())
        }
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
        self.sign(CardKey::UserAuth, SignatureScheme::Verbatim, digest_info)
    }

    /// One VERIFY against the count the card reports now; an outcome other than verified is
    /// an error.
    fn verify_fresh(&mut self, slot: PinSlot, pin: Pin) -> Result<(), Error> {
        let count = self.fresh_count(slot)?;
        match self.verify(count, pin)? {
            VerifyOutcome::Verified => Ok(()),
            VerifyOutcome::WrongPin { .. }
            | VerifyOutcome::Blocked
            | VerifyOutcome::CountChanged { .. } => Err(UsageError::PinNotVerified(slot).into()),
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
