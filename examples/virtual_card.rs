//! Serves a virtual My Number Card persona to `vpcd`, so that `pcscd` — and any PC/SC
//! program: OpenSC, a vendor's middleware, `onshi`'s own `PcscReader` — sees it as a card in
//! the reader "Virtual PCD 00 00".
//!
//! ```sh
//! sudo apt-get install pcscd vsmartcard-vpcd     # then start pcscd
//! cargo run --features sim --example virtual_card -- --persona one-try-left [--port 35963]
//! ```
//!
//! The card is made for today's date (by the system clock). When vpcd drops the connection
//! the card is placed again; stop with Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use onshi::sim::vpcd::{DEFAULT_PORT, VpcdCard};
use onshi::sim::{Persona, system_date_in_japan};

fn usage() -> ! {
    eprintln!("usage: virtual_card --persona NAME [--port PORT] [--once]");
    eprintln!("personas: {}", Persona::ALL.map(|p| p.name()).join(", "));
    std::process::exit(2)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut persona = Persona::Standard;
    let mut port = DEFAULT_PORT;
    let mut once = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--persona" => {
                let name = args.next().unwrap_or_else(|| usage());
                persona = name.parse().unwrap_or_else(|error| {
                    eprintln!("{error}");
                    usage()
                });
            }
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--once" => once = true,
            _ => usage(),
        }
    }
    let today = system_date_in_japan();
    let card = Mutex::new(persona.card(today));
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        let connection = VpcdCard::connect(address, Duration::from_secs(15))?;
        println!("persona {persona} (made for {today}) is on the vpcd reader at {address}");
        connection.serve(&card)?;
        println!("vpcd closed the connection");
        if once {
            return Ok(());
        }
    }
}
