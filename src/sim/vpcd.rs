//! The virtual card on a real PC/SC stack: a client of `vpcd` (Debian's vsmartcard-vpcd), which
//! makes pcscd show the card in the reader "Virtual PCD 00 00" (port 35963) or "… 00 01"
//! (35964). Any PC/SC program (OpenSC, a vendor's middleware, [`PcscReader`]) then sees it as a
//! card.
//!
//! The protocol, as observed: every frame is a big-endian `u16` length and a payload. A
//! one-byte payload is a control: `00` power off, `01` power on, `02` reset (no answer), `04`
//! send the ATR (answered with the ATR; vpcd also polls presence this way every ~400 ms). Any
//! other payload is a command APDU, answered with the response APDU.
//!
//! [`PcscReader`]: crate::pcsc::PcscReader

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::card::VirtualCard;

/// The port of vpcd's first reader.
pub const DEFAULT_PORT: u16 = 35963;

/// A virtual card placed in a vpcd reader.
#[derive(Debug)]
pub struct VpcdCard {
    stream: TcpStream,
}

/// Takes the card out of the reader from another thread.
#[derive(Debug)]
pub struct CardRemover {
    stream: TcpStream,
}

impl CardRemover {
    /// Pulls the card: pcscd sees the reader empty within about 400 ms.
    ///
    /// # Errors
    ///
    /// The socket's error, if shutting it down fails.
    pub fn remove(&self) -> io::Result<()> {
        match self.stream.shutdown(Shutdown::Both) {
            Err(error) if error.kind() != io::ErrorKind::NotConnected => Err(error),
            _ => Ok(()),
        }
    }
}

impl VpcdCard {
    /// Places the card: connects to vpcd at `address`, retrying until `timeout` (vpcd accepts
    /// only on its ~400 ms poll). After a removal, wait until pcscd shows the reader empty and
    /// about a second more (vpcd's grace period) before placing a card again.
    ///
    /// # Errors
    ///
    /// The last connection error once `timeout` has passed.
    pub fn connect(address: SocketAddr, timeout: Duration) -> io::Result<Self> {
        let start = Instant::now();
        loop {
            match TcpStream::connect_timeout(&address, Duration::from_millis(500)) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(Self { stream });
                }
                Err(error) if start.elapsed() >= timeout => return Err(error),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A handle that removes the card from another thread.
    ///
    /// # Errors
    ///
    /// The socket's error, if it cannot be cloned.
    pub fn remover(&self) -> io::Result<CardRemover> {
        Ok(CardRemover {
            stream: self.stream.try_clone()?,
        })
    }

    /// Serves `card` until vpcd closes the connection or the card is removed.
    ///
    /// # Errors
    ///
    /// A socket error other than the connection's end.
    pub fn serve(mut self, card: &Mutex<VirtualCard>) -> io::Result<()> {
        loop {
            quick_ack(&self.stream);
            let mut len = [0u8; 2];
            if self.stream.read_exact(&mut len).is_err() {
                return Ok(());
            }
            let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if self.stream.read_exact(&mut message).is_err() {
                return Ok(());
            }
            let reply = {
                let mut card = card
                    .lock()
                    .map_err(|_| io::Error::other("the virtual card's lock is poisoned"))?;
                match message.as_slice() {
                    // Power off ends every security status; a reset is warm and keeps it
                    // (real-card evidence, fact 10).
                    [0x00] => {
                        card.power_cycle();
                        None
                    }
                    [0x02] => {
                        card.warm_reset();
                        None
                    }
                    [0x01] => None,
                    [0x04] => Some(card.atr()),
                    apdu => Some(card.respond(apdu)),
                }
            };
            if let Some(reply) = reply {
                let Ok(len) = u16::try_from(reply.len()) else {
                    return Err(io::Error::other("response longer than a vpcd frame"));
                };
                let mut frame = Vec::with_capacity(reply.len() + 2);
                frame.extend_from_slice(&len.to_be_bytes());
                frame.extend_from_slice(&reply);
                if self.stream.write_all(&frame).is_err() {
                    return Ok(());
                }
            }
        }
    }
}

/// vpcd sends length and body in two writes without TCP_NODELAY; acknowledging at once takes
/// an APDU from 44 ms to 0.2 ms. The flag is not sticky, so it is set before every read.
#[cfg(target_os = "linux")]
fn quick_ack(stream: &TcpStream) {
    use std::os::linux::net::TcpStreamExt;
    let _ = stream.set_quickack(true);
}

#[cfg(not(target_os = "linux"))]
fn quick_ack(_stream: &TcpStream) {}
