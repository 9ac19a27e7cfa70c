//! The virtual card answers any sequence of commands without panicking, always with a status
//! word, and its PIN counters only ever go down by one per VERIFY with a PIN.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::card::PinSlot;
use onshi::sim::Persona;
use onshi::time::Date;

fuzz_target!(|data: &[u8]| {
    let Some((&persona, mut rest)) = data.split_first() else {
        return;
    };
    let persona = Persona::ALL[usize::from(persona) % Persona::ALL.len()];
    let today = Date::new(2026, 11, 27).expect("valid date");
    let mut card = persona.card(today);
    // Commands are length-prefixed: one byte of length, then the command.
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (command, tail) = tail.split_at(len);
        rest = tail;
        let before: Vec<Option<u8>> = PinSlot::ALL
            .iter()
            .map(|s| card.pin_remaining(*s))
            .collect();
        let response = card.respond(command);
        assert!(response.len() >= 2);
        let after: Vec<Option<u8>> = PinSlot::ALL
            .iter()
            .map(|s| card.pin_remaining(*s))
            .collect();
        let verify_with_pin = card
            .log()
            .last()
            .is_some_and(|entry| entry.is_pin_verification());
        for (b, a) in before.iter().zip(&after) {
            match (b, a) {
                (Some(b), Some(a)) if a < b => {
                    assert!(
                        verify_with_pin && *a + 1 == *b,
                        "counter dropped without a VERIFY"
                    )
                }
                _ => {}
            }
        }
    }
});
