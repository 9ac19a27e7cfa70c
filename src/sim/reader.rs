//! [`VirtualReader`]: a [`CardReader`] holding a [`VirtualCard`], with card events and
//! injectable transport faults.

use std::collections::VecDeque;

use super::card::VirtualCard;
use super::persona::Persona;
use crate::reader::{CardEvent, CardReader, ReaderCapabilities, TransportError};

/// A fault to inject into the next transmission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing: the transmission goes through (to place the faults after it).
    PassThrough,
    /// The command does not reach the card; the reader reports this error.
    BeforeCard(TransportError),
    /// The command reaches the card and is executed, then the response is lost and the reader
    /// reports this error (the case that makes a PIN's counter unknown).
    AfterCard(TransportError),
    /// The card answers these bytes instead of executing the command (a lying or broken card,
    /// line noise).
    Answer(Vec<u8>),
    /// Another program on the terminal sends these commands to the card just before the
    /// command (it cannot while this program holds the card exclusively: then it does so as
    /// soon as the exclusive span ends).
    OtherProgram(Vec<Vec<u8>>),
}

/// A reader with a virtual card on it (or none).
#[derive(Debug, Default)]
pub struct VirtualReader {
    card: Option<VirtualCard>,
    events: VecDeque<CardEvent>,
    capabilities: ReaderCapabilities,
    faults: VecDeque<Fault>,
    exclusive: bool,
    /// Other programs' commands waiting for the exclusive span to end.
    waiting: Vec<Vec<u8>>,
    /// Commands other programs got through, with the card's answers.
    others: Vec<(Vec<u8>, Vec<u8>)>,
}

impl VirtualReader {
    /// An empty short-APDU reader.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A reader with `card` already on it (no pending event).
    #[must_use]
    pub fn with_card(card: VirtualCard) -> Self {
        Self {
            card: Some(card),
            ..Self::default()
        }
    }

    /// A reader with the persona's card made for today's date (system clock).
    #[must_use]
    pub fn with_persona(persona: Persona) -> Self {
        Self::with_card(persona.card_for_today())
    }

    /// Sets what the reader reports it can do.
    pub fn set_capabilities(&mut self, capabilities: ReaderCapabilities) {
        self.capabilities = capabilities;
    }

    /// Places a card (replacing any) and reports [`CardEvent::Inserted`]. The card is powered
    /// up: no application selected, no security status.
    pub fn insert(&mut self, mut card: VirtualCard) {
        card.power_cycle();
        self.card = Some(card);
        self.events.push_back(CardEvent::Inserted);
    }

    /// Takes the card away and reports [`CardEvent::Removed`].
    pub fn remove(&mut self) -> Option<VirtualCard> {
        let card = self.card.take();
        if card.is_some() {
            self.events.push_back(CardEvent::Removed);
        }
        card
    }

    /// Resets the card (a warm reset: what a PIN unlocked stays unlocked, real-card evidence
    /// fact 10) and reports [`CardEvent::Reset`].
    pub fn reset(&mut self) {
        if let Some(card) = self.card.as_mut() {
            card.warm_reset();
            self.events.push_back(CardEvent::Reset);
        }
    }

    /// Powers the card off and on and reports [`CardEvent::Reset`]: every security status ends.
    pub fn power_cycle(&mut self) {
        if let Some(card) = self.card.as_mut() {
            card.power_cycle();
            self.events.push_back(CardEvent::Reset);
        }
    }

    /// Makes the next transmission fail (faults queue up, one per transmission).
    pub fn inject_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Another program on the terminal sends `command` now: refused with
    /// [`TransportError::SharingViolation`] while this program holds the card exclusively.
    ///
    /// # Errors
    ///
    /// [`TransportError::SharingViolation`] during an exclusive span, [`TransportError::NoCard`]
    /// with no card.
    pub fn send_from_another_program(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.exclusive {
            return Err(TransportError::SharingViolation);
        }
        let card = self.card.as_mut().ok_or(TransportError::NoCard)?;
        let answer = card.respond(command);
        self.others.push((command.to_vec(), answer.clone()));
        Ok(answer)
    }

    /// The commands other programs got through to the card, with its answers.
    #[must_use]
    pub fn other_programs_commands(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.others
    }

    /// Whether this program holds the card exclusively now.
    #[must_use]
    pub const fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    fn run_waiting(&mut self) {
        for command in core::mem::take(&mut self.waiting) {
            let _ = self.send_from_another_program(&command);
        }
    }

    /// The card on the reader.
    #[must_use]
    pub const fn card(&self) -> Option<&VirtualCard> {
        self.card.as_ref()
    }

    /// The card on the reader, to inspect or change its state.
    pub fn card_mut(&mut self) -> Option<&mut VirtualCard> {
        self.card.as_mut()
    }
}

impl CardReader for VirtualReader {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, TransportError> {
        let (answer, lost) = match self.faults.pop_front() {
            Some(Fault::BeforeCard(error)) => return Err(error),
            Some(Fault::AfterCard(error)) => (None, Some(error)),
            Some(Fault::Answer(answer)) => (Some(answer), None),
            Some(Fault::OtherProgram(commands)) => {
                if self.exclusive {
                    self.waiting.extend(commands);
                } else {
                    for other in commands {
                        let _ = self.send_from_another_program(&other);
                    }
                }
                (None, None)
            }
            Some(Fault::PassThrough) | None => (None, None),
        };
        let Some(card) = self.card.as_mut() else {
            return Err(TransportError::NoCard);
        };
        let reply = match answer {
            Some(answer) => answer,
            None => card.respond(command),
        };
        if let Some(error) = lost {
            return Err(error);
        }
        let Some(out) = response.get_mut(..reply.len()) else {
            return Err(TransportError::ResponseTooLong {
                capacity: response.len(),
            });
        };
        out.copy_from_slice(&reply);
        Ok(reply.len())
    }

    fn take_card_event(&mut self) -> Option<CardEvent> {
        // The latest event is what matters: a card inserted after a removal is a new card.
        let last = self.events.back().copied();
        self.events.clear();
        last
    }

    fn capabilities(&self) -> ReaderCapabilities {
        self.capabilities
    }

    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.exclusive = true;
        Ok(())
    }

    fn end_exclusive(&mut self) {
        self.exclusive = false;
        self.run_waiting();
    }
}
