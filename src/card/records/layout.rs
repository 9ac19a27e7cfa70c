//! The record container the card's data files share: one constructed BER-TLV object (`FF 10`,
//! `FF 20`, `FF 30`, `FF 40`, `FF 50`) whose fields are found by tag, and the offset table
//! (`DF21`) that opens the card-face and basic-4-info records.

use alloc::string::String;
use alloc::vec::Vec;

use crate::apdu::tlv::{Tag, Tlv};
use crate::card::CardFile;
use crate::error::{Error, MalformedCardData, RecordProblem};

/// A record container, its fields found by tag. Bytes after the container (filler) are ignored.
pub(super) struct Record<'a> {
    file: CardFile,
    container: Tlv<'a>,
}

impl<'a> Record<'a> {
    /// Opens the container `tag` at the start of `bytes`.
    pub(super) fn open(file: CardFile, tag: u32, bytes: &'a [u8]) -> Result<Self, Error> {
        let (container, _filler) =
            Tlv::parse(bytes).map_err(|error| MalformedCardData::Tlv { file, error })?;
        if container.tag().to_u32() != tag {
            return Err(problem(file, RecordProblem::MissingField { tag }));
        }
        Ok(Self { file, container })
    }

    pub(super) fn optional(&self, tag: u32) -> Result<Option<&'a [u8]>, Error> {
        Ok(self.find(tag)?.map(|tlv| tlv.value()))
    }

    pub(super) fn find(&self, tag: u32) -> Result<Option<Tlv<'a>>, Error> {
        let Some(tag) = Tag::from_u32(tag) else {
            return Ok(None);
        };
        self.container
            .find(tag)
            .map_err(|error| MalformedCardData::Tlv {
                file: self.file,
                error,
            })
            .map_err(Error::from)
    }

    pub(super) fn bytes(&self, tag: u32) -> Result<&'a [u8], Error> {
        self.optional(tag)?
            .ok_or_else(|| self.problem(RecordProblem::MissingField { tag }))
    }

    /// A field of exactly `N` bytes.
    pub(super) fn array<const N: usize>(&self, tag: u32) -> Result<[u8; N], Error> {
        <[u8; N]>::try_from(self.bytes(tag)?)
            .map_err(|_| self.problem(RecordProblem::InvalidValue { tag }))
    }

    pub(super) fn text(&self, tag: u32) -> Result<String, Error> {
        let bytes = self.bytes(tag)?;
        core::str::from_utf8(bytes)
            .map(String::from)
            .map_err(|_| self.problem(RecordProblem::NotText { tag }))
    }

    /// The fields with these tags, each as written (tag, length and value), one after another:
    /// what the card's signatures cover.
    pub(super) fn raw_fields(&self, tags: &[u32]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        for &tag in tags {
            let field = self
                .raw_field(|t| t == tag)?
                .ok_or_else(|| self.problem(RecordProblem::MissingField { tag }))?;
            out.extend_from_slice(field);
        }
        Ok(out)
    }

    /// Every field before the one with `tag`, as written.
    pub(super) fn raw_before(&self, tag: u32) -> Result<&'a [u8], Error> {
        let value = self.container.value();
        let mut offset = 0;
        for field in self.container.children() {
            let field = field.map_err(|error| MalformedCardData::Tlv {
                file: self.file,
                error,
            })?;
            if field.tag().to_u32() == tag {
                return Ok(value.get(..offset).unwrap_or(&[]));
            }
            offset += field.total_len();
        }
        Err(self.problem(RecordProblem::MissingField { tag }))
    }

    /// The first field whose tag passes `wanted`, as written (header included).
    fn raw_field(&self, wanted: impl Fn(u32) -> bool) -> Result<Option<&'a [u8]>, Error> {
        let value = self.container.value();
        let mut offset = 0;
        for field in self.container.children() {
            let field = field.map_err(|error| MalformedCardData::Tlv {
                file: self.file,
                error,
            })?;
            let end = offset + field.total_len();
            if wanted(field.tag().to_u32()) {
                return Ok(value.get(offset..end));
            }
            offset = end;
        }
        Ok(None)
    }

    pub(super) fn problem(&self, problem: RecordProblem) -> Error {
        self::problem(self.file, problem)
    }
}

pub(super) fn problem(file: CardFile, problem: RecordProblem) -> Error {
    MalformedCardData::Record { file, problem }.into()
}

/// One field of a record, where it sits in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    /// The field's tag, as a big-endian number (`0xDF22`).
    pub tag: u32,
    /// Offset of the field's first byte (its tag) from the start of the file.
    pub offset: usize,
    /// Length of the whole field: tag, length and value.
    pub len: usize,
}

/// How a record file is laid out: its container tag, its fields in order, and the offset table
/// (`DF21`) when the record opens with one. Used to check that a card's files have the layout a
/// real card's have (same tags, same order, a table that points at the fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordLayout {
    /// The container's tag (`0xFF20`).
    pub container: u32,
    /// Length of the container: header and value (filler after it excluded).
    pub len: usize,
    /// The fields in the order they appear.
    pub entries: Vec<RecordEntry>,
    /// The 16-bit big-endian offsets of the `DF21` table, when the first field is one.
    pub offset_table: Option<Vec<u16>>,
}

impl RecordLayout {
    /// The layout of the record at the start of `bytes`.
    ///
    /// # Errors
    ///
    /// [`MalformedCardData::Tlv`] (naming `file`) when the bytes are not a TLV container of
    /// TLV fields; [`RecordProblem::InvalidValue`] for an offset table of odd length.
    pub fn parse(file: CardFile, bytes: &[u8]) -> Result<Self, Error> {
        let tlv_error = |error| Error::from(MalformedCardData::Tlv { file, error });
        let (container, _) = Tlv::parse(bytes).map_err(tlv_error)?;
        let mut offset = container.header_len();
        let mut entries = Vec::new();
        let mut offset_table = None;
        for field in container.children() {
            let field = field.map_err(tlv_error)?;
            let tag = field.tag().to_u32();
            if entries.is_empty() && tag == OFFSET_TABLE {
                let table = field.value();
                if table.len() % 2 != 0 {
                    return Err(problem(file, RecordProblem::InvalidValue { tag }));
                }
                offset_table = Some(
                    table
                        .chunks_exact(2)
                        .map(|pair| pair.iter().fold(0u16, |n, &b| (n << 8) | u16::from(b)))
                        .collect(),
                );
            }
            entries.push(RecordEntry {
                tag,
                offset,
                len: field.total_len(),
            });
            offset += field.total_len();
        }
        Ok(Self {
            container: container.tag().to_u32(),
            len: container.total_len(),
            entries,
            offset_table,
        })
    }

    /// Whether the offset table points, in order, at every field after it (the reading a
    /// probed card confirms: absolute offsets from the start of the file). `false` without a
    /// table.
    #[must_use]
    pub fn offset_table_matches(&self) -> bool {
        let Some(table) = &self.offset_table else {
            return false;
        };
        let starts = self.entries.iter().skip(1).map(|entry| entry.offset);
        table.len() + 1 == self.entries.len()
            && table
                .iter()
                .zip(starts)
                .all(|(declared, start)| usize::from(*declared) == start)
    }

    /// The tags in order.
    #[must_use]
    pub fn tags(&self) -> Vec<u32> {
        self.entries.iter().map(|entry| entry.tag).collect()
    }
}

/// The offset table's tag.
pub(super) const OFFSET_TABLE: u32 = 0xDF21;

/// Byte strings as upper-case hex in serde.
pub(crate) mod hex_bytes {
    use alloc::string::String;
    use alloc::vec::Vec;

    use crate::apdu::{CompactHex, decode_hex};

    pub(crate) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&CompactHex(bytes))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        decode_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected an even number of hex digits"))
    }

    /// The same for optional byte strings.
    pub(crate) mod option {
        use alloc::vec::Vec;

        pub(crate) fn serialize<S: serde::Serializer>(
            bytes: &Option<Vec<u8>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(bytes) => super::serialize(bytes, s),
                None => s.serialize_none(),
            }
        }
    }
}
