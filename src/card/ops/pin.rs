//! The PIN operations: the retry-count query, which spends no try, and VERIFY, sent at most
//! once, naming its key EF, right after the count it relies on was read again in the same
//! exclusive span.

use super::route::Route;
use super::unexpected;
use crate::apdu::{Command, FileId, StatusMeaning, StatusWord};
use crate::card::session::{
    CardOperation, CardState, FreshRetryCount, KeyAddressing, Recovery, Reply, Request, Span, Step,
};
use crate::card::{Pin, PinSlot, PinStatus};
use crate::error::{CardIncompatible, CardMisbehaved, Error, Operation, UsageError};

/// `6A 88`: referenced data (here: the PIN) not found.
const REFERENCE_NOT_FOUND: StatusWord = StatusWord::from_u16(0x6A88);

/// VERIFY's instruction byte.
const VERIFY: u8 = 0x20;

/// P2 of VERIFY and the retry query naming `file` by its short EF identifier.
fn short_file_p2(file: FileId) -> u8 {
    0x80 | (file.to_u16() & 0x1F) as u8
}

/// The retry query (`00 20 00 <P2>`, no data): spends no try.
fn retry_query(p2: u8) -> Result<Command<'static>, Error> {
    Ok(Command::new(0x00, VERIFY, 0x00, p2, &[], 0)?)
}

/// Reads what the card answered to a retry query for `slot`: its status, or the error. A
/// count the PIN cannot have and a `90 00` (a real card answers `63 Cx` even after a right
/// PIN, real-card evidence fact 8) are the card's errors, and leave the count unknown.
fn query_answer(
    state: &mut CardState,
    slot: PinSlot,
    status: StatusWord,
) -> Result<PinStatus, Error> {
    let answer = match status.meaning() {
        StatusMeaning::WrongPin { tries_left } => match slot.kind().max_tries() {
            Some(max) if tries_left > max => Err(CardMisbehaved::ImpossibleCount {
                slot,
                reported: tries_left,
                max,
            }
            .into()),
            _ => Ok(PinStatus::from_tries(tries_left)),
        },
        StatusMeaning::PinBlocked | StatusMeaning::ReferenceDataNotUsable => Ok(PinStatus::Blocked),
        _ if status == REFERENCE_NOT_FOUND => Ok(PinStatus::NotSet),
        _ => Err(unexpected(Operation::RetryQuery, status)),
    };
    match &answer {
        Ok(status) => state.set_pin_status(slot, *status),
        Err(_) => state.set_pin_status(slot, PinStatus::Unknown),
    }
    answer
}

/// Whether a card's answer to the short-EF-id form of the retry query says it does not take
/// that form (rather than reporting on the key).
fn refuses_short_file_id(status: StatusWord) -> bool {
    matches!(
        status.meaning(),
        StatusMeaning::WrongP1P2 | StatusMeaning::InsNotSupported | StatusMeaning::FileNotFound
    ) || status == StatusWord::from_u16(0x6986)
}

/// Where a query or check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryStep {
    /// Bringing the card to the application.
    Route,
    /// The short-EF-id retry query was sent.
    ShortFileQuery,
    /// SELECT of the key EF was sent (the fallback addressing).
    Select,
    /// The retry query after the SELECT was sent.
    SelectedQuery,
}

/// The retry query of one key, in the card's addressing: `00 20 00 <80|SFI>`, or SELECT EF and
/// `00 20 00 80` when the card refuses the first form. Shared between the status query and the
/// re-read before a VERIFY.
#[derive(Debug)]
struct CountQuery {
    slot: PinSlot,
    route: Route,
    step: QueryStep,
    span: Span,
}

impl CountQuery {
    const fn new(slot: PinSlot, span: Span) -> Self {
        Self {
            slot,
            route: Route::new(slot.application(), None),
            step: QueryStep::Route,
            span,
        }
    }

    fn select(&mut self) -> Result<Request, Error> {
        self.step = QueryStep::Select;
        let file = self.slot.file();
        Ok(Request::new(
            Command::select_elementary_file(&file),
            Operation::SelectFile,
            Recovery::Never,
        )
        .in_span(self.span))
    }

    /// The next command, or the key's status.
    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<PinStatus>, Error> {
        match self.step {
            QueryStep::Route => {
                if let Some(request) = self.route.step(state, &mut reply)? {
                    return Ok(Step::Send(request.in_span(self.span)));
                }
                match state.key_addressing() {
                    KeyAddressing::ShortFileId => {
                        self.step = QueryStep::ShortFileQuery;
                        let p2 = short_file_p2(self.slot.file());
                        Ok(Step::Send(
                            Request::new(retry_query(p2)?, Operation::RetryQuery, Recovery::Never)
                                .in_span(self.span),
                        ))
                    }
                    KeyAddressing::SelectedFile => self.select().map(Step::Send),
                }
            }
            QueryStep::ShortFileQuery => {
                let reply = reply.ok_or(UsageError::OutOfOrder)?;
                if refuses_short_file_id(reply.status) {
                    // The card does not take the short-EF-id form (or has no such key): ask
                    // by SELECT, which tells the two apart.
                    return self.select().map(Step::Send);
                }
                query_answer(state, self.slot, reply.status).map(Step::Done)
            }
            QueryStep::Select => {
                let reply = reply.ok_or(UsageError::OutOfOrder)?;
                match reply.status {
                    StatusWord::SUCCESS => {
                        state.file_selected(self.slot.file());
                        self.step = QueryStep::SelectedQuery;
                        Ok(Step::Send(
                            Request::new(
                                retry_query(0x80)?,
                                Operation::RetryQuery,
                                Recovery::Never,
                            )
                            .in_span(self.span),
                        ))
                    }
                    StatusWord::FILE_NOT_FOUND => {
                        state.file_unknown();
                        state.set_pin_status(self.slot, PinStatus::NotSet);
                        Ok(Step::Done(PinStatus::NotSet))
                    }
                    status => {
                        state.file_unknown();
                        state.set_pin_status(self.slot, PinStatus::Unknown);
                        Err(unexpected(Operation::SelectFile, status))
                    }
                }
            }
            QueryStep::SelectedQuery => {
                let reply = reply.ok_or(UsageError::OutOfOrder)?;
                let answer = query_answer(state, self.slot, reply.status);
                if answer.is_ok() {
                    // The card answered the SELECT form: name its keys that way from now on.
                    state.set_key_addressing(KeyAddressing::SelectedFile);
                }
                answer.map(Step::Done)
            }
        }
    }
}

/// Asks a key's retry counter without spending a try: `00 20 00 <80|SFI>` (`00 20 00 98` for
/// the user-authentication PIN), or SELECT of the key EF and `00 20 00 80` on a card that
/// refuses the first form.
///
/// `63 Cx` gives `x` tries (0: blocked); `69 83`/`69 84` blocked; a key the card does not have
/// (`6A 82` to its SELECT, `6A 88`) is [`PinStatus::NotSet`], which is how a
/// face-authentication card may answer (unconfirmed: it may answer blocked instead). A count
/// above the key's maximum and a `90 00` are the card's errors.
#[derive(Debug)]
pub struct QueryPinStatus {
    query: CountQuery,
}

impl QueryPinStatus {
    /// Queries the key in `slot`.
    #[must_use]
    pub const fn new(slot: PinSlot) -> Self {
        Self {
            query: CountQuery::new(slot, Span::Shared),
        }
    }
}

impl CardOperation for QueryPinStatus {
    type Output = PinStatus;

    fn step(
        &mut self,
        state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<PinStatus>, Error> {
        self.query.step(state, reply)
    }
}

/// What one PIN check gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// The PIN was right; the card reset its counter.
    Verified,
    /// The PIN was wrong and the card has `tries_left` tries left (0: it is now blocked).
    WrongPin {
        /// Tries left, as the card reported (`63 Cx`).
        tries_left: u8,
    },
    /// The card refused because the PIN is blocked (`69 83`/`69 84`).
    Blocked,
    /// The count the card reported just before the VERIFY differs from the one the PIN was
    /// entered against (another program spent tries in between): nothing was sent. Show the
    /// new count (a last-try warning, or the blocked screen) and ask again.
    CountChanged {
        /// The card's count now.
        now: PinStatus,
    },
}

/// One PIN check: in one exclusive span, the application is selected, the count is read
/// again, and only if it is the one the PIN was entered against, exactly one VERIFY naming the
/// key EF follows. Never repeated.
///
/// It takes a [`FreshRetryCount`], which only the card layer makes from the card's report and
/// which is consumed: a count of another card (or of this card before a reset) is refused
/// without sending anything.
#[derive(Debug)]
pub struct VerifyPin {
    count: FreshRetryCount,
    pin: Pin,
    query: CountQuery,
    sent: bool,
    hold_after: bool,
    /// The count was read in the span this VERIFY continues: no second read.
    counted_in_span: bool,
}

impl VerifyPin {
    /// Checks `pin` against the key whose fresh `count` the caller holds.
    #[must_use]
    pub const fn new(count: FreshRetryCount, pin: Pin) -> Self {
        let slot = count.slot();
        Self {
            count,
            pin,
            query: CountQuery::new(slot, Span::Exclusive { hold: true }),
            sent: false,
            hold_after: false,
            counted_in_span: false,
        }
    }

    /// Keeps the exclusive span after the VERIFY, for a command that relies on the verified
    /// PIN ([`Sign::exclusive`](super::Sign::exclusive)): nothing another program does can
    /// come between them. The span ends at the next command that is not exclusive, or when
    /// the driver waits for anything.
    #[must_use]
    pub const fn holding_span(mut self) -> Self {
        self.hold_after = true;
        self
    }

    /// The key checked.
    #[must_use]
    pub const fn slot(&self) -> PinSlot {
        self.count.slot()
    }

    fn verify(&mut self, state: &CardState) -> Result<Request, Error> {
        let slot = self.count.slot();
        let p2 = match state.key_addressing() {
            KeyAddressing::ShortFileId => short_file_p2(slot.file()),
            KeyAddressing::SelectedFile => 0x80,
        };
        self.sent = true;
        let command = Command::new(0x00, VERIFY, 0x00, p2, self.pin.secret().expose_secret(), 0)?;
        Ok(Request::new(command, Operation::Verify, Recovery::Never)
            .in_span(Span::Exclusive {
                hold: self.hold_after,
            })
            .verifying(slot))
    }
}

impl CardOperation for VerifyPin {
    type Output = VerifyOutcome;

    fn step(
        &mut self,
        state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<VerifyOutcome>, Error> {
        let slot = self.count.slot();
        if reply.is_none() && !self.sent {
            if self.pin.kind() != slot.kind() {
                return Err(UsageError::PinKindMismatch {
                    slot,
                    kind: self.pin.kind(),
                }
                .into());
            }
            if self.count.epoch() != state.epoch() {
                return Err(UsageError::RetryCountNotFresh(slot).into());
            }
            // Another program on a shared reader may have selected another application since
            // this program last did: the span begins with SELECT of the application, so the
            // key EF the query and the VERIFY name is the one of this application.
            if !self.counted_in_span {
                state.selection_unknown();
            }
        }
        if !self.sent && self.counted_in_span {
            return self.verify(state).map(Step::Send);
        }
        if !self.sent {
            return match self.query.step(state, reply)? {
                Step::Send(request) => Ok(Step::Send(request)),
                Step::Done(PinStatus::Remaining(now)) if now == self.count.tries_left() => {
                    self.verify(state).map(Step::Send)
                }
                Step::Done(PinStatus::Blocked) => Ok(Step::Done(VerifyOutcome::Blocked)),
                Step::Done(PinStatus::NotSet) => Err(CardIncompatible::PinNotSet(slot).into()),
                Step::Done(now) => Ok(Step::Done(VerifyOutcome::CountChanged { now })),
            };
        }
        let reply = reply.ok_or(UsageError::OutOfOrder)?;
        let outcome = match reply.status.meaning() {
            StatusMeaning::Success => {
                state.set_verified(slot);
                state.set_pin_status(slot, slot.full_status());
                VerifyOutcome::Verified
            }
            StatusMeaning::WrongPin { tries_left } if tries_left < self.count.tries_left() => {
                state.set_pin_status(slot, PinStatus::from_tries(tries_left));
                VerifyOutcome::WrongPin { tries_left }
            }
            // `69 83`, or `69 84`: what the JPKI card answers for a blocked PIN.
            StatusMeaning::PinBlocked | StatusMeaning::ReferenceDataNotUsable => {
                state.set_pin_status(slot, PinStatus::Blocked);
                VerifyOutcome::Blocked
            }
            _ => {
                // Anything else, a wrong PIN that did not lower the count included: what the
                // card did is unknown; ask again before anything else.
                state.set_pin_status(slot, PinStatus::Unknown);
                return Err(unexpected(Operation::Verify, reply.status));
            }
        };
        Ok(Step::Done(outcome))
    }
}

/// What became of a key presented only if enough tries were left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// Enough tries were left: the VERIFY was sent, and this is what the card said.
    Sent(VerifyOutcome),
    /// Fewer tries were left than the reserve (or none, or no such key): nothing was sent.
    Withheld(PinStatus),
}

/// A key a machine read (照合番号B from the OCR, not typed by a person), presented only while
/// the card has at least `reserve` tries left, so a misread never locks the key: in one
/// exclusive span, SELECT of the application, the count, and, if it is enough, one VERIFY.
/// Nobody reads the count before it is presented, so it is read once, in the span.
#[derive(Debug)]
pub struct VerifyWithReserve {
    slot: PinSlot,
    pin: Option<Pin>,
    reserve: u8,
    query: CountQuery,
    verify: Option<VerifyPin>,
    started: bool,
}

impl VerifyWithReserve {
    /// Presents `pin` to `slot` when at least `reserve` tries (1 or more) are left.
    #[must_use]
    pub const fn new(slot: PinSlot, pin: Pin, reserve: u8) -> Self {
        Self {
            slot,
            pin: Some(pin),
            reserve,
            query: CountQuery::new(slot, Span::Exclusive { hold: true }),
            verify: None,
            started: false,
        }
    }
}

impl CardOperation for VerifyWithReserve {
    type Output = ReserveOutcome;

    fn step(
        &mut self,
        state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<ReserveOutcome>, Error> {
        if let Some(verify) = self.verify.as_mut() {
            return Ok(match verify.step(state, reply)? {
                Step::Send(request) => Step::Send(request),
                Step::Done(outcome) => Step::Done(ReserveOutcome::Sent(outcome)),
            });
        }
        if !self.started {
            self.started = true;
            if let Some(pin) = &self.pin
                && pin.kind() != self.slot.kind()
            {
                return Err(UsageError::PinKindMismatch {
                    slot: self.slot,
                    kind: pin.kind(),
                }
                .into());
            }
            state.selection_unknown();
        }
        match self.query.step(state, reply)? {
            Step::Send(request) => Ok(Step::Send(request)),
            Step::Done(PinStatus::Remaining(tries)) if tries >= self.reserve.max(1) => {
                let (Some(count), Some(pin)) = (state.fresh_count(self.slot), self.pin.take())
                else {
                    return Err(UsageError::OutOfOrder.into());
                };
                let mut verify = VerifyPin::new(count, pin);
                verify.counted_in_span = true;
                let step = verify.step(state, None)?;
                self.verify = Some(verify);
                Ok(match step {
                    Step::Send(request) => Step::Send(request),
                    Step::Done(outcome) => Step::Done(ReserveOutcome::Sent(outcome)),
                })
            }
            Step::Done(status) => Ok(Step::Done(ReserveOutcome::Withheld(status))),
        }
    }
}
