//! BER-TLV data objects (ISO 7816-4 §5.2, X.690) as the My Number Card stores them: one- to
//! three-byte tags (`30`, `DF21`, `FF20`, `7F21`, `5F37`), definite lengths in the short form or
//! the long form with up to three length bytes (`81 xx`, `82 xx xx`, `83 xx xx xx`), and
//! constructed objects that nest.
//!
//! The parsers are `nom` streaming parsers, so a truncated object says how many bytes are
//! missing. That is what [`object_size`] uses to tell, from the first bytes of a file, how long
//! the whole object is and how much is still to read.
//!
//! ```
//! use onshi::apdu::tlv::{Tag, Tlv};
//!
//! let record = [0xFF, 0x20, 0x07, 0xDF, 0x22, 0x04, b'T', b'a', b'r', b'o'];
//! let (container, rest) = Tlv::parse(&record)?;
//! assert!(rest.is_empty());
//! assert_eq!(container.tag(), Tag::from_u32(0xFF20).unwrap());
//! let name = container.find(Tag::from_u32(0xDF22).unwrap())?.unwrap();
//! assert_eq!(name.value(), b"Taro");
//! # Ok::<(), onshi::apdu::tlv::TlvError>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

use nom::IResult;
use nom::Parser;
use nom::bytes::streaming::take;
use nom::number::streaming::be_u8;

/// Longest tag we accept, in bytes.
const MAX_TAG_LEN: usize = 3;
/// Most length bytes after an `8x` byte we accept.
const MAX_LENGTH_BYTES: u8 = 3;
/// Largest value length with three length bytes.
const MAX_VALUE_LEN: usize = 0x00FF_FFFF;

/// A BER-TLV tag of one to three bytes, held as a big-endian number (`DF21` is `0xDF21`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

impl Tag {
    /// The tag whose bytes, read as a big-endian number, are `raw`; `None` unless they form a
    /// valid tag: a first byte whose low five bits are not all one, or such a first byte
    /// followed by subsequent bytes with bit 8 set on all but the last.
    #[must_use]
    pub const fn from_u32(raw: u32) -> Option<Self> {
        let [b0, b1, b2, b3] = raw.to_be_bytes();
        let valid = match (b0, b1, b2) {
            (0, 0, 0) => b3 & 0x1F != 0x1F,
            (0, 0, first) => first & 0x1F == 0x1F && b3 & 0x80 == 0,
            (0, first, second) => first & 0x1F == 0x1F && second & 0x80 != 0 && b3 & 0x80 == 0,
            _ => false,
        };
        if valid { Some(Self(raw)) } else { None }
    }

    /// The tag as a big-endian number.
    #[must_use]
    pub const fn to_u32(self) -> u32 {
        self.0
    }

    /// Number of bytes the tag takes.
    #[must_use]
    pub const fn encoded_len(self) -> usize {
        match self.0 {
            0..=0xFF => 1,
            0x100..=0xFFFF => 2,
            _ => 3,
        }
    }

    /// Whether the object is constructed (bit 6 of the first byte): its value is more TLVs.
    #[must_use]
    pub const fn is_constructed(self) -> bool {
        let first = (self.0 >> (8 * (self.encoded_len() - 1))) as u8;
        first & 0x20 != 0
    }

    fn encode_to_vec(self, out: &mut Vec<u8>) {
        let bytes = self.0.to_be_bytes();
        let start = bytes.len().saturating_sub(self.encoded_len());
        out.extend_from_slice(bytes.get(start..).unwrap_or(&[]));
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tag({:0width$X})",
            self.0,
            width = self.encoded_len() * 2
        )
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$X}", self.0, width = self.encoded_len() * 2)
    }
}

/// One BER-TLV data object borrowed from its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    tag: Tag,
    header_len: usize,
    value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parses the object at the start of `input` and returns it with the bytes after it.
    ///
    /// # Errors
    ///
    /// [`TlvError::Truncated`] when the input ends inside the object, and the other
    /// [`TlvError`] variants for a malformed tag or length.
    pub fn parse(input: &'a [u8]) -> Result<(Self, &'a [u8]), TlvError> {
        let (after_header, (tag, value_len)) = header(input).map_err(TlvError::from_nom)?;
        let header_len = input.len().saturating_sub(after_header.len());
        let (rest, value) = take(value_len)
            .parse(after_header)
            .map_err(TlvError::from_nom)?;
        Ok((
            Self {
                tag,
                header_len,
                value,
            },
            rest,
        ))
    }

    /// Parses `input` as exactly one object.
    ///
    /// # Errors
    ///
    /// As [`Tlv::parse`], and [`TlvError::TrailingData`] when bytes follow the object.
    pub fn parse_exact(input: &'a [u8]) -> Result<Self, TlvError> {
        match Self::parse(input)? {
            (tlv, []) => Ok(tlv),
            (_, rest) => Err(TlvError::TrailingData { len: rest.len() }),
        }
    }

    /// The tag.
    #[must_use]
    pub const fn tag(&self) -> Tag {
        self.tag
    }

    /// The value bytes.
    #[must_use]
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Length of tag and length fields.
    #[must_use]
    pub const fn header_len(&self) -> usize {
        self.header_len
    }

    /// Length of the whole object: header and value.
    #[must_use]
    pub const fn total_len(&self) -> usize {
        self.header_len + self.value.len()
    }

    /// The objects inside this one's value (meaningful when the tag is constructed).
    #[must_use]
    pub const fn children(&self) -> TlvIter<'a> {
        TlvIter::new(self.value)
    }

    /// The first object inside this one with the given tag.
    ///
    /// # Errors
    ///
    /// The first parse error met before the tag was found.
    pub fn find(&self, tag: Tag) -> Result<Option<Self>, TlvError> {
        for child in self.children() {
            let child = child?;
            if child.tag == tag {
                return Ok(Some(child));
            }
        }
        Ok(None)
    }
}

/// `Debug` shows the tag and the value's length, not the value: values can be secrets.
impl fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tlv")
            .field("tag", &self.tag)
            .field("value_len", &self.value.len())
            .finish()
    }
}

/// The objects that follow each other in a byte string. After an error it yields nothing more.
#[derive(Clone, Debug)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
}

impl<'a> TlvIter<'a> {
    /// Iterates over the objects in `bytes`.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Tlv::parse(self.rest) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(error) => {
                self.rest = &[];
                Some(Err(error))
            }
        }
    }
}

/// How long a BER/DER object is, known from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectSize {
    header_len: usize,
    value_len: usize,
}

impl ObjectSize {
    /// Length of tag and length fields.
    #[must_use]
    pub const fn header_len(&self) -> usize {
        self.header_len
    }

    /// Length of the value.
    #[must_use]
    pub const fn value_len(&self) -> usize {
        self.value_len
    }

    /// Length of the whole object.
    #[must_use]
    pub const fn total_len(&self) -> usize {
        // Checked when the size was parsed: both are at most a few bytes and 2^24.
        self.header_len + self.value_len
    }

    /// Bytes still to read after `already_read` bytes of the object (0 once it is complete).
    #[must_use]
    pub const fn remaining_after(&self, already_read: usize) -> usize {
        self.total_len().saturating_sub(already_read)
    }
}

/// The size of the BER/DER object that starts with `prefix`, which needs to hold only the tag
/// and the length (at most 7 bytes; 4 for a certificate's `30 82 xx xx`).
///
/// ```
/// use onshi::apdu::tlv::{object_size, TlvError};
///
/// let size = object_size(&[0x30, 0x82, 0x05, 0x1C, 0x30, 0x82])?;
/// assert_eq!(size.total_len(), 1312);
/// assert_eq!(size.remaining_after(6), 1306);
/// assert_eq!(object_size(&[0x30, 0x82, 0x05]), Err(TlvError::Truncated { missing: 1 }));
/// # Ok::<(), TlvError>(())
/// ```
///
/// # Errors
///
/// [`TlvError::Truncated`] when the prefix ends inside the header (it says how many more bytes
/// are needed), and the other [`TlvError`] variants for a malformed header.
pub fn object_size(prefix: &[u8]) -> Result<ObjectSize, TlvError> {
    let (after_header, (_, value_len)) = header(prefix).map_err(TlvError::from_nom)?;
    Ok(ObjectSize {
        header_len: prefix.len().saturating_sub(after_header.len()),
        value_len,
    })
}

/// Appends the object `tag`, `value` to `out`, with the shortest length encoding.
///
/// # Errors
///
/// [`TlvError::LengthTooLong`] for a value of more than 2^24 − 1 bytes.
pub fn encode(tag: Tag, value: &[u8], out: &mut Vec<u8>) -> Result<(), TlvError> {
    let len = value.len();
    if len > MAX_VALUE_LEN {
        return Err(TlvError::LengthTooLong);
    }
    tag.encode_to_vec(out);
    let len_bytes = (len as u32).to_be_bytes();
    let significant = match len {
        0..=0x7F => 0,
        0x80..=0xFF => 1,
        0x100..=0xFFFF => 2,
        _ => 3,
    };
    if significant == 0 {
        out.extend_from_slice(len_bytes.get(3..).unwrap_or(&[]));
    } else {
        out.push(0x80 | significant as u8);
        out.extend_from_slice(len_bytes.get(4 - significant..).unwrap_or(&[]));
    }
    out.extend_from_slice(value);
    Ok(())
}

/// A BER-TLV object that cannot be parsed or encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The input ends inside the object.
    #[error("TLV truncated: {missing} more bytes needed")]
    Truncated {
        /// How many more bytes the next step needs (the whole remainder when the value is short).
        missing: usize,
    },
    /// A tag of more than three bytes.
    #[error("TLV tag longer than 3 bytes")]
    TagTooLong,
    /// The indefinite length form `80`, which DER and the card never use.
    #[error("TLV with indefinite length")]
    IndefiniteLength,
    /// More than three length bytes, or a value longer than 2^24 − 1 bytes to encode.
    #[error("TLV length with more than 3 length bytes")]
    LengthTooLong,
    /// Bytes follow the object where only one was expected.
    #[error("{len} bytes after the TLV object")]
    TrailingData {
        /// How many bytes follow.
        len: usize,
    },
    /// A parser combinator failed in a way the other variants do not name.
    #[error("malformed TLV")]
    Malformed,
}

impl TlvError {
    fn from_nom(error: nom::Err<Self>) -> Self {
        match error {
            nom::Err::Incomplete(nom::Needed::Size(missing)) => Self::Truncated {
                missing: missing.get(),
            },
            nom::Err::Incomplete(nom::Needed::Unknown) => Self::Truncated { missing: 1 },
            nom::Err::Error(error) | nom::Err::Failure(error) => error,
        }
    }
}

impl<I> nom::error::ParseError<I> for TlvError {
    fn from_error_kind(_: I, _: nom::error::ErrorKind) -> Self {
        Self::Malformed
    }

    fn append(_: I, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type ParseResult<'a, T> = IResult<&'a [u8], T, TlvError>;

/// Tag: a first byte, then while the low five bits of the first are all one, subsequent bytes
/// until one has bit 8 clear.
fn tag(input: &[u8]) -> ParseResult<'_, Tag> {
    let (mut rest, first) = be_u8(input)?;
    let mut raw = u32::from(first);
    if first & 0x1F == 0x1F {
        let mut len = 1;
        loop {
            let (next_rest, byte) = be_u8(rest)?;
            rest = next_rest;
            len += 1;
            raw = (raw << 8) | u32::from(byte);
            if byte & 0x80 == 0 {
                break;
            }
            if len == MAX_TAG_LEN {
                return Err(nom::Err::Failure(TlvError::TagTooLong));
            }
        }
    }
    Ok((rest, Tag(raw)))
}

/// Length: `0x00..=0x7F` itself, or `0x8n` followed by `n` (1 to 3) big-endian bytes.
fn length(input: &[u8]) -> ParseResult<'_, usize> {
    let (rest, first) = be_u8(input)?;
    match first {
        0x00..=0x7F => Ok((rest, usize::from(first))),
        0x80 => Err(nom::Err::Failure(TlvError::IndefiniteLength)),
        _ if first & 0x7F > MAX_LENGTH_BYTES => Err(nom::Err::Failure(TlvError::LengthTooLong)),
        _ => {
            let (rest, bytes) = take(first & 0x7F).parse(rest)?;
            let value = bytes
                .iter()
                .fold(0usize, |value, &byte| (value << 8) | usize::from(byte));
            Ok((rest, value))
        }
    }
}

fn header(input: &[u8]) -> ParseResult<'_, (Tag, usize)> {
    (tag, length).parse(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn tags_of_the_card() {
        for (raw, bytes, constructed) in [
            (0x30, &[0x30][..], true),
            (0x04, &[0x04][..], false),
            (0xDF21, &[0xDF, 0x21][..], false),
            (0xFF20, &[0xFF, 0x20][..], true),
            (0x7F21, &[0x7F, 0x21][..], true),
            (0x5F37, &[0x5F, 0x37][..], false),
            (0x5F_8120, &[0x5F, 0x81, 0x20][..], false),
        ] {
            let tag = Tag::from_u32(raw).unwrap();
            assert_eq!(tag.is_constructed(), constructed, "{tag}");
            let mut out = Vec::new();
            encode(tag, &[], &mut out).unwrap();
            assert_eq!(&out[..out.len() - 1], bytes);
            let (parsed, _) = Tlv::parse(&out).unwrap();
            assert_eq!(parsed.tag(), tag);
        }
        assert_eq!(Tag::from_u32(0x1F), None, "announces a second byte");
        assert_eq!(Tag::from_u32(0xDF81), None, "second byte says more follow");
        assert_eq!(
            Tag::from_u32(0x5F_2020),
            None,
            "middle byte must have bit 8 set"
        );
        assert_eq!(Tag::from_u32(0x0102), None, "first byte must be xx11111");
        assert_eq!(Tag::from_u32(0x1F81_8101), None, "four bytes");
    }

    #[test]
    fn lengths_short_and_long() {
        for (len, header) in [
            (0usize, vec![0x04, 0x00]),
            (0x7F, vec![0x04, 0x7F]),
            (0x80, vec![0x04, 0x81, 0x80]),
            (0x100, vec![0x04, 0x82, 0x01, 0x00]),
            (0x1_0000, vec![0x04, 0x83, 0x01, 0x00, 0x00]),
        ] {
            let value = vec![0xAB; len];
            let mut out = Vec::new();
            encode(Tag::from_u32(0x04).unwrap(), &value, &mut out).unwrap();
            assert_eq!(&out[..header.len()], &header[..]);
            let tlv = Tlv::parse_exact(&out).unwrap();
            assert_eq!(tlv.value().len(), len);
            assert_eq!(tlv.header_len(), header.len());
        }
        // Non-minimal long form is BER, still parsed.
        let tlv = Tlv::parse_exact(&[0x04, 0x81, 0x01, 0xAA]).unwrap();
        assert_eq!(tlv.value(), &[0xAA]);
    }

    #[test]
    fn errors_on_truncation_and_overflow() {
        assert_eq!(Tlv::parse(&[]), Err(TlvError::Truncated { missing: 1 }));
        assert_eq!(Tlv::parse(&[0xDF]), Err(TlvError::Truncated { missing: 1 }));
        assert_eq!(
            Tlv::parse(&[0x30, 0x82, 0x05]),
            Err(TlvError::Truncated { missing: 1 })
        );
        assert_eq!(
            Tlv::parse(&[0x30, 0x82, 0x05, 0x1C, 0x00]),
            Err(TlvError::Truncated { missing: 0x051B })
        );
        assert_eq!(
            Tlv::parse(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(TlvError::LengthTooLong)
        );
        assert_eq!(
            Tlv::parse(&[0x30, 0x80, 0x00]),
            Err(TlvError::IndefiniteLength)
        );
        assert_eq!(
            Tlv::parse(&[0x5F, 0x81, 0x82, 0x01, 0x00]),
            Err(TlvError::TagTooLong)
        );
        assert_eq!(
            Tlv::parse_exact(&[0x04, 0x00, 0xFF]),
            Err(TlvError::TrailingData { len: 1 })
        );
        let too_long = vec![0u8; MAX_VALUE_LEN + 1];
        assert_eq!(
            encode(Tag::from_u32(0x04).unwrap(), &too_long, &mut Vec::new()),
            Err(TlvError::LengthTooLong)
        );
    }

    #[test]
    fn nested_containers() {
        // FF20 { DF21 {01 02}, DF22 "A", 7F21 { 5F37 {FF} } }
        let bytes = [
            0xFF, 0x20, 0x10, 0xDF, 0x21, 0x02, 0x01, 0x02, 0xDF, 0x22, 0x01, b'A', 0x7F, 0x21,
            0x04, 0x5F, 0x37, 0x01, 0xFF,
        ];
        let outer = Tlv::parse_exact(&bytes).unwrap();
        let tags: Vec<u32> = outer
            .children()
            .map(|c| c.unwrap().tag().to_u32())
            .collect();
        assert_eq!(tags, [0xDF21, 0xDF22, 0x7F21]);
        let inner = outer.find(Tag::from_u32(0x7F21).unwrap()).unwrap().unwrap();
        let signature = inner.find(Tag::from_u32(0x5F37).unwrap()).unwrap().unwrap();
        assert_eq!(signature.value(), &[0xFF]);
        assert_eq!(outer.find(Tag::from_u32(0xDF29).unwrap()).unwrap(), None);
        // A broken child is reported, then iteration stops.
        let broken = Tlv::parse_exact(&[0xFF, 0x20, 0x03, 0xDF, 0x21, 0x05]).unwrap();
        let mut children = broken.children();
        assert_eq!(
            children.next(),
            Some(Err(TlvError::Truncated { missing: 5 }))
        );
        assert_eq!(children.next(), None);
    }

    #[test]
    fn object_size_from_a_prefix() {
        let size = object_size(&[0x30, 0x82, 0x05, 0x1C]).unwrap();
        assert_eq!((size.header_len(), size.value_len()), (4, 0x051C));
        assert_eq!(size.total_len(), 1312);
        assert_eq!(size.remaining_after(256), 1056);
        assert_eq!(size.remaining_after(2000), 0);
        assert_eq!(
            object_size(&[0x30]),
            Err(TlvError::Truncated { missing: 1 })
        );
        assert_eq!(
            object_size(&[0x30, 0x83, 0x01]),
            Err(TlvError::Truncated { missing: 2 })
        );
        let size = object_size(&[0xFF, 0x20, 0x83, 0x01, 0x00, 0x00]).unwrap();
        assert_eq!(size.total_len(), 6 + 0x1_0000);
    }
}
