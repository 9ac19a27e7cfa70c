//! The eligibility result file's parser takes arbitrary bytes without panicking (UTF-8 or
//! Shift_JIS, any XML or none), and whatever parses writes back and parses to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::reception::result_file::EligibilityResult;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = EligibilityResult::parse(data) {
        let _ = format!("{parsed:?}");
        if let Ok(written) = parsed.to_xml() {
            assert_eq!(EligibilityResult::parse(&written).ok(), Some(parsed));
        }
    }
});
