//! BER-TLV parsing: never panics, sizes agree with `object_size`, nested walks stay in bounds,
//! and every parsed object re-encodes to a TLV with the same tag and value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onshi::apdu::tlv::{self, Tlv, TlvIter};

/// Walks an object and its constructed descendants, at most `depth` levels down.
fn walk(tlv: Tlv<'_>, depth: usize) {
    if depth == 0 || !tlv.tag().is_constructed() {
        return;
    }
    for child in tlv.children() {
        match child {
            Ok(child) => {
                assert!(child.total_len() <= tlv.value().len());
                walk(child, depth - 1);
            }
            Err(_) => break,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok((tlv, rest)) = Tlv::parse(data) {
        assert_eq!(tlv.total_len() + rest.len(), data.len());
        let size = tlv::object_size(data).expect("the header parsed");
        assert_eq!(size.total_len(), tlv.total_len());
        let mut out = Vec::new();
        tlv::encode(tlv.tag(), tlv.value(), &mut out).expect("parsed lengths fit");
        let again = Tlv::parse_exact(&out).expect("own encoding parses");
        assert_eq!((again.tag(), again.value()), (tlv.tag(), tlv.value()));
        walk(tlv, 8);
    }
    for object in TlvIter::new(data) {
        if object.is_err() {
            break;
        }
    }
});
