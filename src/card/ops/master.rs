//! The application level and the MF level: selecting an application, leaving it (which ends
//! its security status), and GET DATA, which answers only at MF level.

use alloc::vec::Vec;

use super::route::Route;
use super::unexpected;
use crate::apdu::{Command, StatusWord};
use crate::card::Application;
use crate::card::session::{CardOperation, CardState, Recovery, Reply, Request, Step};
use crate::error::{Error, Operation, UsageError};

/// Selects an application by AID (the card is identified by SELECT, never by its ATR).
#[derive(Debug)]
pub struct SelectApplication {
    route: Route,
}

impl SelectApplication {
    /// Selects `application` unless it is already selected.
    #[must_use]
    pub const fn new(application: Application) -> Self {
        Self {
            route: Route::new(application, None),
        }
    }
}

impl CardOperation for SelectApplication {
    type Output = ();

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<()>, Error> {
        match self.route.step(state, &mut reply)? {
            Some(request) => Ok(Step::Send(request)),
            None => Ok(Step::Done(())),
        }
    }
}

/// The GlobalPlatform Issuer Security Domain's default AID. Selecting it leaves the current
/// application, clears its security status, and brings the card to its power-on (MF-level)
/// state (real-card evidence, fact 10); an ISO SELECT MF does neither on this card.
pub const ISSUER_SECURITY_DOMAIN: [u8; 7] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00];

/// Leaves the selected application by selecting the Issuer Security Domain: the application's
/// security status ends, so a key unlocked by a PIN can no longer be used by anyone (a warm
/// reset or a dropped connection does not end it, fact 10). Always sent, even when the card
/// state says no application is selected: another program may have selected one.
#[derive(Debug, Default)]
pub struct LeaveApplication {
    sent: bool,
}

impl LeaveApplication {
    /// The operation.
    #[must_use]
    pub const fn new() -> Self {
        Self { sent: false }
    }
}

impl CardOperation for LeaveApplication {
    type Output = ();

    fn step(&mut self, state: &mut CardState, reply: Option<Reply<'_>>) -> Result<Step<()>, Error> {
        if !self.sent {
            self.sent = true;
            let command = Command::select_application(&ISSUER_SECURITY_DOMAIN)?;
            return Ok(Step::Send(Request::new(
                command,
                Operation::SelectApplication,
                Recovery::ReadOnly,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        if reply.status == StatusWord::SUCCESS {
            state.master_file_selected();
            Ok(Step::Done(()))
        } else {
            state.selection_unknown();
            Err(unexpected(Operation::SelectApplication, reply.status))
        }
    }
}

/// `6A 88`: the data object is not there.
const DATA_NOT_FOUND: StatusWord = StatusWord::from_u16(0x6A88);

/// GET DATA of an MF-level data object (`00 CA <tag>`): the card answers only with no
/// application selected (fact 11), so the card is first brought to MF level unless it is
/// known to be there. A `6A 88` is an absent object (`None`). The card refuses a short Le for
/// large objects with `67 00`; on a reader with extended length the command is then sent again
/// with an extended Le (it only reads).
#[derive(Debug)]
pub struct GetData {
    tag: u16,
    leave: Option<LeaveApplication>,
    extended: bool,
    sent: bool,
}

impl GetData {
    /// Asks for the object `tag` (e.g. `0x00F8`).
    #[must_use]
    pub const fn new(tag: u16) -> Self {
        Self {
            tag,
            leave: None,
            extended: false,
            sent: false,
        }
    }

    fn request(&self) -> Result<Request, Error> {
        let [p1, p2] = self.tag.to_be_bytes();
        let command = if self.extended {
            Command::new_extended(0x00, GET_DATA, p1, p2, &[], 65_536)?
        } else {
            Command::new(0x00, GET_DATA, p1, p2, &[], 256)?
        };
        Ok(Request::new(
            command,
            Operation::GetData,
            Recovery::ReadOnly,
        ))
    }
}

/// GET DATA's instruction byte.
const GET_DATA: u8 = 0xCA;

impl CardOperation for GetData {
    type Output = Option<Vec<u8>>;

    fn step(
        &mut self,
        state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<Option<Vec<u8>>>, Error> {
        if !self.sent {
            if !state.is_at_master_file() {
                let leave = self.leave.get_or_insert_with(LeaveApplication::new);
                match leave.step(state, reply)? {
                    Step::Send(request) => return Ok(Step::Send(request)),
                    Step::Done(()) => {}
                }
            }
            self.sent = true;
            return self.request().map(Step::Send);
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        match reply.status {
            StatusWord::SUCCESS => Ok(Step::Done(Some(reply.data.to_vec()))),
            DATA_NOT_FOUND => Ok(Step::Done(None)),
            StatusWord::WRONG_LENGTH if !self.extended && state.capabilities().extended_length => {
                self.extended = true;
                self.request().map(Step::Send)
            }
            status => Err(unexpected(Operation::GetData, status)),
        }
    }
}
