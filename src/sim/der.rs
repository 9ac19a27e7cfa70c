//! Small DER/BER builders for the virtual card's files and certificates.

use crate::apdu::tlv::{self, Tag};
use crate::time::Date;

/// Appends the object `tag`, `value` (shortest length form). Every tag the virtual card uses
/// is valid and every value is far below 2^24 bytes, so encoding cannot fail.
pub(crate) fn tlv_into(tag: u32, value: &[u8], out: &mut Vec<u8>) {
    if let Some(tag) = Tag::from_u32(tag) {
        let _ = tlv::encode(tag, value, out);
    }
}

/// The object `tag`, `value`.
pub(crate) fn tlv(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    tlv_into(tag, value, &mut out);
    out
}

/// A SEQUENCE of the parts.
pub(crate) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// An OBJECT IDENTIFIER from its dotted form (the first arc 0–2, the second below 40 or any
/// under arc 2).
pub(crate) fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u128> = dotted
        .split('.')
        .filter_map(|arc| arc.parse().ok())
        .collect();
    let mut body = Vec::new();
    let (first, second) = (
        arcs.first().copied().unwrap_or(0),
        arcs.get(1).copied().unwrap_or(0),
    );
    base128(first * 40 + second, &mut body);
    for &arc in arcs.iter().skip(2) {
        base128(arc, &mut body);
    }
    tlv(0x06, &body)
}

fn base128(mut value: u128, out: &mut Vec<u8>) {
    let mut digits = vec![(value & 0x7F) as u8];
    value >>= 7;
    while value > 0 {
        digits.push(0x80 | (value & 0x7F) as u8);
        value >>= 7;
    }
    out.extend(digits.iter().rev());
}

/// A non-negative INTEGER from big-endian bytes (minimal, with a leading zero when needed).
pub(crate) fn integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    let mut content = bytes.get(start..).unwrap_or(&[0]).to_vec();
    if content.first().is_none_or(|&b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    tlv(0x02, &content)
}

/// A BIT STRING with no unused bits.
pub(crate) fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(bytes);
    tlv(0x03, &content)
}

/// An X.501 Name of single-attribute RDNs: PrintableString for ASCII, UTF8String otherwise.
pub(crate) fn name(attributes: &[(&str, &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attributes
        .iter()
        .map(|(attribute, value)| {
            let string_tag = if value.is_ascii() { 0x13 } else { 0x0C };
            tlv(
                0x31,
                &sequence(&[&oid(attribute), &tlv(string_tag, value.as_bytes())]),
            )
        })
        .collect();
    tlv(0x30, &rdns.concat())
}

/// UTCTime (1950–2049) or GeneralizedTime of `date` at `hh:mm:ss` UTC.
pub(crate) fn time(date: Date, hh: u8, mm: u8, ss: u8) -> Vec<u8> {
    let year = date.year();
    if (1950..2050).contains(&year) {
        let text = format!(
            "{:02}{:02}{:02}{hh:02}{mm:02}{ss:02}Z",
            year % 100,
            date.month(),
            date.day()
        );
        tlv(0x17, text.as_bytes())
    } else {
        let text = format!(
            "{year:04}{:02}{:02}{hh:02}{mm:02}{ss:02}Z",
            date.month(),
            date.day()
        );
        tlv(0x18, text.as_bytes())
    }
}

/// An X.509 extension.
pub(crate) fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let critical = if critical {
        tlv(0x01, &[0xFF])
    } else {
        Vec::new()
    };
    sequence(&[&oid(id), &critical, &tlv(0x04, value)])
}

/// Attribute type OIDs.
pub(crate) mod attribute {
    pub(crate) const COUNTRY: &str = "2.5.4.6";
    pub(crate) const ORGANIZATION: &str = "2.5.4.10";
    pub(crate) const ORGANIZATIONAL_UNIT: &str = "2.5.4.11";
    pub(crate) const COMMON_NAME: &str = "2.5.4.3";
    pub(crate) const LOCALITY: &str = "2.5.4.7";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_and_integers() {
        assert_eq!(
            oid("1.2.840.113549.1.1.11"),
            [
                0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B
            ]
        );
        assert_eq!(oid("2.5.29.15"), [0x06, 0x03, 0x55, 0x1D, 0x0F]);
        assert_eq!(integer(&[0, 0, 0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(integer(&[0, 0]), [0x02, 0x01, 0x00]);
    }
}
