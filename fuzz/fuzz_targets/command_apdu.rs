//! Command APDU parsing: never panics, and whatever parses re-encodes to the same bytes, through
//! the borrowed view and through the owned form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::apdu::{Command, CommandBuf};

fuzz_target!(|data: &[u8]| {
    let Ok(command) = Command::parse(data) else {
        assert!(CommandBuf::parse(data).is_err());
        return;
    };
    assert_eq!(command.encoded_len(), data.len());
    let mut out = vec![0u8; data.len()];
    assert_eq!(command.encode_into(&mut out), Ok(data.len()));
    assert_eq!(out, data);
    let owned = CommandBuf::parse(data).expect("the view parsed");
    assert_eq!(owned.as_command(), command);
    // Display never panics and masks PINs.
    let shown = command.to_string();
    if command.has_secret_data() {
        assert!(shown.contains("**"));
    }
    let _ = format!("{command:?}");
});
