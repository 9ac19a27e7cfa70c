//! Bringing the card to an application and one of its EFs, skipping what is already done.

use super::unexpected;
use crate::apdu::{Command, FileId, StatusWord};
use crate::card::session::{CardState, Recovery, Reply, Request};
use crate::card::{Application, CardFile};
use crate::error::{CardIncompatible, Error, Operation, UsageError};

/// Brings the card to an application and optionally one of its EFs, skipping the SELECTs the
/// card state says are not needed.
#[derive(Debug)]
pub(super) struct Route {
    application: Application,
    file: Option<FileId>,
    awaiting: Option<Operation>,
}

impl Route {
    pub(super) const fn new(application: Application, file: Option<FileId>) -> Self {
        Self {
            application,
            file,
            awaiting: None,
        }
    }

    /// The next SELECT, or `None` when the card is where it should be. Takes the reply when
    /// it answers one of the route's own SELECTs.
    pub(super) fn step(
        &mut self,
        state: &mut CardState,
        reply: &mut Option<Reply<'_>>,
    ) -> Result<Option<Request>, Error> {
        if let Some(operation) = self.awaiting.take() {
            let Some(answer) = reply.take() else {
                return Err(UsageError::OutOfOrder.into());
            };
            match (operation, answer.status) {
                (Operation::SelectApplication, StatusWord::SUCCESS) => {
                    state.application_selected(self.application);
                }
                (Operation::SelectApplication, status) => {
                    // Whatever the card did, where it stands is no longer known.
                    state.selection_unknown();
                    return Err(if status == StatusWord::FILE_NOT_FOUND {
                        CardIncompatible::ApplicationMissing(self.application).into()
                    } else {
                        unexpected(Operation::SelectApplication, status)
                    });
                }
                (_, StatusWord::SUCCESS) => {
                    if let Some(file) = self.file {
                        state.file_selected(file);
                    }
                }
                (operation, status) => {
                    // Only an exact `90 00` selects the EF; after anything else the current
                    // EF is unknown, so nothing addressed to "the current EF" can follow.
                    state.file_unknown();
                    let file = self.file.unwrap_or(FileId::new(0));
                    return Err(if status == StatusWord::FILE_NOT_FOUND {
                        CardIncompatible::FileMissing(CardFile::new(self.application, file)).into()
                    } else {
                        unexpected(operation, status)
                    });
                }
            }
        }
        if state.selected_application() != Some(self.application) {
            self.awaiting = Some(Operation::SelectApplication);
            let command = Command::select_application(self.application.aid())?;
            return Ok(Some(Request::new(
                command,
                Operation::SelectApplication,
                Recovery::ReadOnly,
            )));
        }
        match self.file {
            Some(file) if state.current_file() != Some(file) => {
                self.awaiting = Some(Operation::SelectFile);
                let command = Command::select_elementary_file(&file);
                Ok(Some(Request::new(
                    command,
                    Operation::SelectFile,
                    Recovery::ReadOnly,
                )))
            }
            _ => Ok(None),
        }
    }
}
