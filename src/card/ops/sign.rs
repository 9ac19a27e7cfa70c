//! The card's signing command (`80 2A`) and GET CHALLENGE.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::route::Route;
use super::unexpected;
use crate::apdu::{Command, StatusWord};
use crate::card::session::{CardOperation, CardState, Recovery, Reply, Request, Span, Step};
use crate::card::{Application, PinSlot, jpki};
use crate::error::{CardMisbehaved, Error, Operation, UsageError};

/// The card's signing instruction, with CLA `80`.
const SIGN: u8 = 0x2A;
/// GET CHALLENGE.
const GET_CHALLENGE: u8 = 0x84;
/// RSA-2048: the size of every signature the card makes.
const SIGNATURE_LEN: usize = 256;

/// How the card pads and hashes what it signs: P1 of `80 2A` (real-card evidence, fact 7).
/// Three paddings, each with the caller supplying the hash or the card computing SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureScheme {
    /// `00`: PKCS#1 v1.5 over the input as given (1 to 245 bytes): hand it a DER DigestInfo for
    /// an ordinary signature. What OpenSC and every JPKI tool send.
    Verbatim,
    /// `01`: the card hashes the input with SHA-256 and signs the bare hash (no DigestInfo).
    Sha256Bare,
    /// `02`: the input is a 32-byte SHA-256 hash; the card wraps it in a DigestInfo.
    PrehashedDigestInfo,
    /// `03`: the card hashes the input with SHA-256 and signs its DigestInfo (an ordinary
    /// `sha256WithRSAEncryption` signature over the input).
    Sha256DigestInfo,
    /// `04`: the input is a 32-byte SHA-256 hash, signed with RSASSA-PSS.
    PrehashedPss,
    /// `05`: the card hashes the input with SHA-256 and signs with RSASSA-PSS.
    Sha256Pss,
}

impl SignatureScheme {
    /// Every scheme, by P1.
    pub const ALL: [Self; 6] = [
        Self::Verbatim,
        Self::Sha256Bare,
        Self::PrehashedDigestInfo,
        Self::Sha256DigestInfo,
        Self::PrehashedPss,
        Self::Sha256Pss,
    ];

    /// P1 of the signing command.
    #[must_use]
    pub const fn p1(self) -> u8 {
        match self {
            Self::Verbatim => 0x00,
            Self::Sha256Bare => 0x01,
            Self::PrehashedDigestInfo => 0x02,
            Self::Sha256DigestInfo => 0x03,
            Self::PrehashedPss => 0x04,
            Self::Sha256Pss => 0x05,
        }
    }

    /// The scheme with this P1.
    #[must_use]
    pub fn from_p1(p1: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|scheme| scheme.p1() == p1)
    }

    /// Input lengths the card takes.
    #[must_use]
    pub const fn input_len(self) -> (usize, usize) {
        match self {
            // PKCS#1 v1.5 leaves k − 11 bytes under a 2048-bit key.
            Self::Verbatim => (1, 245),
            Self::PrehashedDigestInfo | Self::PrehashedPss => (32, 32),
            // The card hashes: only the short APDU's limit applies.
            Self::Sha256Bare | Self::Sha256DigestInfo | Self::Sha256Pss => (1, 255),
        }
    }
}

/// A signing key of the card, named in P2 so that no SELECT of the key EF is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKey {
    /// The user-authentication key (JPKI EF 0017, P2 `97`), after the user-authentication PIN.
    UserAuth,
    /// The signing key (JPKI EF 001A, P2 `9A`), after the signing password.
    Signing,
    /// The card-face AP's own key (P2 `00`, the application's default key): no PIN. Its public
    /// half is `DF24` of the card face; a signature by it proves the card is present.
    CardFace,
}

impl CardKey {
    /// The application that holds the key.
    #[must_use]
    pub const fn application(self) -> Application {
        match self {
            Self::UserAuth | Self::Signing => Application::Jpki,
            Self::CardFace => Application::CardFace,
        }
    }

    /// P2: `80 | SFI` of the key EF, or `00` for the application's default key.
    #[must_use]
    pub const fn p2(self) -> u8 {
        match self {
            Self::UserAuth => 0x80 | jpki::USER_AUTH_KEY.to_u16() as u8,
            Self::Signing => 0x80 | jpki::SIGNING_KEY.to_u16() as u8,
            Self::CardFace => 0x00,
        }
    }

    /// The PIN that unlocks the key, if any.
    #[must_use]
    pub const fn unlocked_by(self) -> Option<PinSlot> {
        match self {
            Self::UserAuth => Some(PinSlot::UserAuth),
            Self::Signing => Some(PinSlot::Signing),
            Self::CardFace => None,
        }
    }
}

/// One signature by one of the card's keys: `80 2A <scheme> <key> Lc <input> 00`, after its
/// PIN (if any) was verified in the same application session. Sent once, never repeated.
#[derive(Debug)]
pub struct Sign {
    key: CardKey,
    scheme: SignatureScheme,
    input: Vec<u8>,
    route: Route,
    sent: bool,
    exclusive: bool,
    select_again: bool,
}

impl Sign {
    /// Signs `input` with `key` under `scheme`.
    #[must_use]
    pub const fn new(key: CardKey, scheme: SignatureScheme, input: Vec<u8>) -> Self {
        Self {
            key,
            scheme,
            input,
            route: Route::new(key.application(), None),
            sent: false,
            exclusive: false,
            select_again: false,
        }
    }

    /// Sends it in an exclusive span: continuing one the previous command held (a VERIFY
    /// [`holding_span`](super::VerifyPin::holding_span)), or beginning one. No other program
    /// can change what the card has selected or verified in between.
    #[must_use]
    pub const fn exclusive(mut self) -> Self {
        self.exclusive = true;
        self
    }

    /// Selects the key's application again first, inside the span (another program may have
    /// selected another one). Not after a PIN: whether selecting the application again ends
    /// a verified PIN is not known for real cards.
    #[must_use]
    pub const fn selecting_again(mut self) -> Self {
        self.select_again = true;
        self
    }
}

impl CardOperation for Sign {
    type Output = Vec<u8>;

    fn step(
        &mut self,
        state: &mut CardState,
        mut reply: Option<Reply<'_>>,
    ) -> Result<Step<Vec<u8>>, Error> {
        if !self.sent {
            let (min, max) = self.scheme.input_len();
            if !(min..=max).contains(&self.input.len()) {
                return Err(UsageError::SigningInputLength {
                    scheme: self.scheme,
                    len: self.input.len(),
                }
                .into());
            }
            if let Some(slot) = self.key.unlocked_by()
                && !state.is_verified(slot)
            {
                return Err(UsageError::PinNotVerified(slot).into());
            }
            if self.select_again && reply.is_none() {
                state.selection_unknown();
            }
            let hold = Span::Exclusive { hold: true };
            if let Some(request) = self.route.step(state, &mut reply)? {
                return Ok(Step::Send(if self.exclusive {
                    request.in_span(hold)
                } else {
                    request
                }));
            }
            self.sent = true;
            let command = Command::new(
                0x80,
                SIGN,
                self.scheme.p1(),
                self.key.p2(),
                &self.input,
                SIGNATURE_LEN as u32,
            )?;
            let request = Request::new(command, Operation::Sign, Recovery::Never);
            return Ok(Step::Send(if self.exclusive {
                request.in_span(Span::Exclusive { hold: false })
            } else {
                request
            }));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        match reply.status {
            StatusWord::SUCCESS if reply.data.len() == SIGNATURE_LEN => {
                Ok(Step::Done(reply.data.to_vec()))
            }
            StatusWord::SUCCESS => Err(CardMisbehaved::SignatureLength {
                len: reply.data.len(),
            }
            .into()),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => match self.key.unlocked_by() {
                Some(slot) => Err(UsageError::PinNotVerified(slot).into()),
                None => Err(unexpected(Operation::Sign, reply.status)),
            },
            status => Err(unexpected(Operation::Sign, status)),
        }
    }
}

/// GET CHALLENGE: `len` (1 to 256) random bytes from the card, `00 84 00 00 Le`.
#[derive(Debug)]
pub struct GetChallenge {
    len: u16,
    sent: bool,
}

impl GetChallenge {
    /// Asks for `len` bytes (1 to 256).
    #[must_use]
    pub const fn new(len: u16) -> Self {
        Self { len, sent: false }
    }
}

impl CardOperation for GetChallenge {
    type Output = Vec<u8>;

    fn step(
        &mut self,
        _state: &mut CardState,
        reply: Option<Reply<'_>>,
    ) -> Result<Step<Vec<u8>>, Error> {
        if !self.sent {
            self.sent = true;
            let command = Command::new(0x00, GET_CHALLENGE, 0x00, 0x00, &[], u32::from(self.len))?;
            return Ok(Step::Send(Request::new(
                command,
                Operation::GetChallenge,
                Recovery::Never,
            )));
        }
        let Some(reply) = reply else {
            return Err(UsageError::OutOfOrder.into());
        };
        match reply.status {
            StatusWord::SUCCESS if reply.data.len() == usize::from(self.len) => {
                Ok(Step::Done(reply.data.to_vec()))
            }
            StatusWord::SUCCESS => Err(CardMisbehaved::ChallengeLength {
                asked: self.len,
                got: reply.data.len(),
            }
            .into()),
            status => Err(unexpected(Operation::GetChallenge, status)),
        }
    }
}
