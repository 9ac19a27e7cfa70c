//! [`VirtualReader`]: a [`CardReader`] holding a [`VirtualCard`], with card events and
//! injectable transport faults.

use std::collections::VecDeque;

use super::card::VirtualCard;
use super::persona::Persona;
use crate::reader::{CardEvent, CardReader, ReaderCapabilities, TransportError};

/// A transport fault to inject into the next transmission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The command does not reach the card; the reader reports this error.
    BeforeCard(TransportError),
    /// The command reaches the card and is executed, then the response is lost and the reader
    /// reports this error (the case that makes a PIN's counter unknown).
    AfterCard(TransportError),
}

/// A reader with a virtual card on it (or none).
#[derive(Debug, Default)]
pub struct VirtualReader {
    card: Option<VirtualCard>,
    events: VecDeque<CardEvent>,
    capabilities: ReaderCapabilities,
    faults: VecDeque<Fault>,
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
        let fault = self.faults.pop_front();
        if let Some(Fault::BeforeCard(error)) = fault {
            return Err(error);
        }
        let Some(card) = self.card.as_mut() else {
            return Err(TransportError::NoCard);
        };
        let reply = card.respond(command);
        if let Some(Fault::AfterCard(error)) = fault {
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
}
