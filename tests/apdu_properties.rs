//! Property tests of the wire layer: parse and re-emit are byte-identical, no input panics,
//! TLV encoding round-trips.

use onshi::apdu::tlv::{self, Tag, Tlv, TlvIter};
use onshi::apdu::{ApduCase, Command, CommandBuf, LengthEncoding, Response};
use proptest::prelude::*;

/// Encodes a command the way ISO 7816-3 §12.1.3 describes it, independently of the crate.
fn reference_encode(header: [u8; 4], data: &[u8], ne: u32, extended: bool) -> Vec<u8> {
    let mut out = header.to_vec();
    if extended {
        if !data.is_empty() {
            out.push(0);
            out.extend_from_slice(&(data.len() as u16).to_be_bytes());
            out.extend_from_slice(data);
        }
        if ne != 0 {
            if data.is_empty() {
                out.push(0);
            }
            out.extend_from_slice(&((ne % 65_536) as u16).to_be_bytes());
        }
    } else {
        if !data.is_empty() {
            out.push(data.len() as u8);
            out.extend_from_slice(data);
        }
        if ne != 0 {
            out.push((ne % 256) as u8);
        }
    }
    out
}

fn header() -> impl Strategy<Value = [u8; 4]> {
    (0u8..0xFF, any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(c, i, p1, p2)| [c, i, p1, p2])
}

/// One of the seven cases with its data and Ne.
fn case() -> impl Strategy<Value = (ApduCase, Vec<u8>, u32, bool)> {
    prop_oneof![
        Just((ApduCase::One, vec![], 0, false)),
        (1u32..=256).prop_map(|ne| (ApduCase::TwoShort, vec![], ne, false)),
        prop::collection::vec(any::<u8>(), 1..=255).prop_map(|d| (
            ApduCase::ThreeShort,
            d,
            0,
            false
        )),
        (prop::collection::vec(any::<u8>(), 1..=255), 1u32..=256).prop_map(|(d, ne)| (
            ApduCase::FourShort,
            d,
            ne,
            false
        )),
        (1u32..=65_536).prop_map(|ne| (ApduCase::TwoExtended, vec![], ne, true)),
        prop::collection::vec(any::<u8>(), 1..=1024).prop_map(|d| (
            ApduCase::ThreeExtended,
            d,
            0,
            true
        )),
        (prop::collection::vec(any::<u8>(), 1..=1024), 1u32..=65_536).prop_map(|(d, ne)| (
            ApduCase::FourExtended,
            d,
            ne,
            true
        )),
    ]
}

fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        any::<u8>()
            .prop_filter("not a multi-byte first byte", |b| b & 0x1F != 0x1F)
            .prop_map(u32::from),
        (0u8..8, 0u8..0x80).prop_map(|(class, second)| {
            u32::from_be_bytes([0, 0, (class << 5) | 0x1F, second])
        }),
        (0u8..8, 0x80u8..=0xFF, 0u8..0x80).prop_map(|(class, second, third)| {
            u32::from_be_bytes([0, (class << 5) | 0x1F, second, third])
        }),
    ]
    .prop_map(|raw| Tag::from_u32(raw).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_case_parses_and_reencodes_byte_identical(header in header(), (case, data, ne, extended) in case()) {
        let bytes = reference_encode(header, &data, ne, extended);
        let command = Command::parse(&bytes).unwrap();
        prop_assert_eq!(command.case(), case);
        prop_assert_eq!(
            [command.class(), command.instruction(), command.p1(), command.p2()],
            header
        );
        prop_assert_eq!(command.data(), &data[..]);
        prop_assert_eq!(command.expected_len(), ne);
        prop_assert_eq!(command.encoded_len(), bytes.len());
        let mut out = vec![0u8; bytes.len()];
        prop_assert_eq!(command.encode_into(&mut out), Ok(bytes.len()));
        prop_assert_eq!(&out, &bytes);
        // The constructors build the same bytes.
        let built = if extended {
            Command::new_extended(header[0], header[1], header[2], header[3], &data, ne)
        } else {
            Command::new(header[0], header[1], header[2], header[3], &data, ne)
        };
        prop_assert_eq!(built, Ok(command));
        // The owned form holds the same command.
        let owned = CommandBuf::parse(&bytes).unwrap();
        prop_assert_eq!(owned.as_command(), command);
    }

    #[test]
    fn arbitrary_bytes_parse_or_error_and_reencode_exactly(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(command) = Command::parse(&bytes) {
            let mut out = Vec::new();
            command.encode_to_vec(&mut out);
            prop_assert_eq!(&out, &bytes);
        }
    }

    #[test]
    fn plausible_bodies_parse_or_error_and_reencode_exactly(
        header in header(),
        body in prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(2), any::<u8>()], 0..12),
    ) {
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(&body);
        if let Ok(command) = Command::parse(&bytes) {
            let mut out = Vec::new();
            command.encode_to_vec(&mut out);
            prop_assert_eq!(&out, &bytes);
            let encoding = command.length_encoding();
            prop_assert!(encoding == LengthEncoding::Short || body.first() == Some(&0));
        }
    }

    #[test]
    fn responses_split_into_data_and_status(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        match Response::parse(&bytes) {
            Ok(response) => {
                prop_assert!(bytes.len() >= 2);
                let mut out = vec![0u8; response.encoded_len()];
                prop_assert_eq!(response.encode_into(&mut out), Ok(bytes.len()));
                prop_assert_eq!(&out, &bytes);
                prop_assert_eq!(response.data(), &bytes[..bytes.len() - 2]);
            }
            Err(_) => prop_assert!(bytes.len() < 2),
        }
    }

    #[test]
    fn tlv_encode_then_parse_round_trips(tag in tag(), value in prop::collection::vec(any::<u8>(), 0..1200)) {
        let mut out = Vec::new();
        tlv::encode(tag, &value, &mut out).unwrap();
        let parsed = Tlv::parse_exact(&out).unwrap();
        prop_assert_eq!(parsed.tag(), tag);
        prop_assert_eq!(parsed.value(), &value[..]);
        prop_assert_eq!(parsed.total_len(), out.len());
        let size = tlv::object_size(&out[..parsed.header_len()]).unwrap();
        prop_assert_eq!(size.total_len(), out.len());
        // Any shorter prefix is reported as truncated, never as something else.
        let cut = out.len() / 2;
        prop_assert!(
            matches!(Tlv::parse(&out[..cut]), Err(tlv::TlvError::Truncated { .. })),
            "prefix of {} bytes", cut
        );
    }

    #[test]
    fn nested_tlv_round_trips(
        outer in tag(),
        children in prop::collection::vec((tag(), prop::collection::vec(any::<u8>(), 0..300)), 0..8),
    ) {
        let mut inner = Vec::new();
        for (tag, value) in &children {
            tlv::encode(*tag, value, &mut inner).unwrap();
        }
        let mut out = Vec::new();
        tlv::encode(outer, &inner, &mut out).unwrap();
        let parsed = Tlv::parse_exact(&out).unwrap();
        let got: Vec<(Tag, Vec<u8>)> = parsed
            .children()
            .map(|child| child.map(|c| (c.tag(), c.value().to_vec())))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(got, children);
    }

    #[test]
    fn arbitrary_tlv_bytes_parse_or_error(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok((tlv, rest)) = Tlv::parse(&bytes) {
            prop_assert_eq!(tlv.total_len() + rest.len(), bytes.len());
            let size = tlv::object_size(&bytes).unwrap();
            prop_assert_eq!(size.total_len(), tlv.total_len());
        }
        for child in TlvIter::new(&bytes).map_while(Result::ok) {
            prop_assert!(child.total_len() <= bytes.len());
        }
    }
}
