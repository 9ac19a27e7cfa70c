//! Response APDU parsing: never panics, splits off exactly two status bytes, and re-encodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::apdu::Response;

fuzz_target!(|data: &[u8]| {
    match Response::parse(data) {
        Ok(response) => {
            assert_eq!(response.data().len() + 2, data.len());
            let mut out = vec![0u8; response.encoded_len()];
            assert_eq!(response.encode_into(&mut out), Ok(data.len()));
            assert_eq!(out, data);
            let _ = response.status().meaning();
            let _ = response.status().to_string();
        }
        Err(_) => assert!(data.len() < 2),
    }
});
