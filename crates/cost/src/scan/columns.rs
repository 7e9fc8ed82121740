//! The columns the fast path reads, a batch of rows at a time: strings as
//! small ids (decoded page by page, each dictionary entry interned once),
//! numbers as `f64`, the usage start as a day number, the tags map as the
//! id of its domain tag's value.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{DataType, DoubleType, FloatType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::reader::RowGroupReader;

/// The id of a missing or empty string.
pub(super) const NONE: u32 = u32::MAX;
/// The id of a value that is not UTF-8.
pub(super) const BAD: u32 = u32::MAX - 1;
/// The domain cost-allocation tag, as lines.rs reads it.
const DOMAIN_TAG: &[u8] = crate::lines::DOMAIN_TAG.as_bytes();
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy)]
pub(super) enum NumberKind {
    Double,
    Float,
    Int64,
    Int32,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum StartKind {
    Millis,
    Micros,
    Date,
}

/// A leaf column of the file: its index and maximum definition level.
#[derive(Debug, Clone, Copy)]
pub(super) struct Leaf {
    pub(super) index: usize,
    pub(super) max_def: i16,
}

/// A fast, deterministic hasher for small keys (FxHash's mixing).
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut word = [0u8; 8];
        word[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(word));
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_i32(&mut self, n: i32) {
        self.add(u64::from(n as u32));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Distinct strings of one column to dense ids.
#[derive(Default)]
pub(super) struct Strings {
    ids: FxMap<Box<[u8]>, u32>,
    pub(super) values: Vec<Box<[u8]>>,
}

impl Strings {
    /// The id of `bytes` (`NONE` when empty), `None` when not UTF-8.
    pub(super) fn id(&mut self, bytes: &[u8]) -> Option<u32> {
        if bytes.is_empty() {
            return Some(NONE);
        }
        if let Some(&id) = self.ids.get(bytes) {
            return Some(id);
        }
        std::str::from_utf8(bytes).ok()?;
        let id = u32::try_from(self.values.len())
            .ok()
            .filter(|&id| id < BAD)?;
        self.values.push(bytes.into());
        self.ids.insert(bytes.into(), id);
        Some(id)
    }

    pub(super) fn text(&self, id: u32) -> &str {
        self.values
            .get(id as usize)
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or_default()
    }
}

fn typed<T: DataType>(reader: ColumnReader) -> Result<ColumnReaderImpl<T>, ParquetError> {
    T::get_column_reader(reader)
        .ok_or_else(|| ParquetError::General("a column's physical type changed".into()))
}

/// A flat string column turned into ids, one per row.
pub(super) struct TextColumn {
    pages: StringPages,
}

impl TextColumn {
    pub(super) fn new(group: &dyn RowGroupReader, leaf: Leaf) -> Result<Self, ParquetError> {
        Ok(TextColumn {
            pages: StringPages::new(group, leaf, 0)?,
        })
    }

    /// Reads up to `rows` rows into `ids`; the first row not UTF-8 into `bad`.
    pub(super) fn read(
        &mut self,
        rows: usize,
        strings: &mut Strings,
        ids: &mut Vec<u32>,
        bad: &mut usize,
    ) -> Result<usize, ParquetError> {
        ids.clear();
        while ids.len() < rows && self.pages.peek(strings)?.is_some() {
            let id = match self.pages.take() {
                Some(BAD) => {
                    *bad = (*bad).min(ids.len());
                    NONE
                }
                Some(id) => id,
                None => NONE,
            };
            ids.push(id);
        }
        Ok(ids.len())
    }
}

/// Reads up to `rows` values of a flat column, one per row, `null` where it is null.
fn read_dense<T: DataType, O>(
    reader: &mut ColumnReaderImpl<T>,
    (max_def, def): (i16, &mut Vec<i16>),
    rows: usize,
    values: &mut Vec<T::T>,
    out: &mut Vec<O>,
    null: O,
    convert: impl Fn(&T::T) -> O,
) -> Result<usize, ParquetError>
where
    O: Copy,
{
    def.clear();
    values.clear();
    out.clear();
    let (read, _, _) = reader.read_records(rows, Some(def), None, values)?;
    if max_def == 0 {
        out.extend(values.iter().map(convert));
    } else {
        let mut values = values.iter();
        out.extend(def.iter().map(|&d| {
            if d == max_def {
                values.next().map_or(null, &convert)
            } else {
                null
            }
        }));
    }
    Ok(read)
}

/// A flat number column as `f64`, 0 where null (as `lines::number`).
enum NumberColumn {
    Double(ColumnReaderImpl<DoubleType>, Vec<f64>),
    Float(ColumnReaderImpl<FloatType>, Vec<f32>),
    Int64(ColumnReaderImpl<Int64Type>, Vec<i64>),
    Int32(ColumnReaderImpl<Int32Type>, Vec<i32>),
}

pub(super) struct Numbers {
    column: NumberColumn,
    max_def: i16,
    def: Vec<i16>,
}

impl Numbers {
    pub(super) fn new(
        group: &dyn RowGroupReader,
        (leaf, kind): (Leaf, NumberKind),
    ) -> Result<Self, ParquetError> {
        let reader = group.get_column_reader(leaf.index)?;
        let column = match kind {
            NumberKind::Double => NumberColumn::Double(typed(reader)?, Vec::new()),
            NumberKind::Float => NumberColumn::Float(typed(reader)?, Vec::new()),
            NumberKind::Int64 => NumberColumn::Int64(typed(reader)?, Vec::new()),
            NumberKind::Int32 => NumberColumn::Int32(typed(reader)?, Vec::new()),
        };
        Ok(Numbers {
            column,
            max_def: leaf.max_def,
            def: Vec::new(),
        })
    }

    pub(super) fn read(&mut self, rows: usize, out: &mut Vec<f64>) -> Result<usize, ParquetError> {
        let (def, max_def) = (&mut self.def, self.max_def);
        match &mut self.column {
            NumberColumn::Double(r, v) => read_dense(r, (max_def, def), rows, v, out, 0.0, |x| *x),
            NumberColumn::Float(r, v) => {
                read_dense(r, (max_def, def), rows, v, out, 0.0, |x| f64::from(*x))
            }
            NumberColumn::Int64(r, v) => {
                read_dense(r, (max_def, def), rows, v, out, 0.0, |x| *x as f64)
            }
            NumberColumn::Int32(r, v) => {
                read_dense(r, (max_def, def), rows, v, out, 0.0, |x| f64::from(*x))
            }
        }
    }
}

/// The usage start as days since 1970-01-01, `i64::MIN` where null.
enum StartColumn {
    Timestamp(ColumnReaderImpl<Int64Type>, Vec<i64>, i64),
    Date(ColumnReaderImpl<Int32Type>, Vec<i32>),
}

pub(super) struct Starts {
    column: StartColumn,
    max_def: i16,
    def: Vec<i16>,
}

impl Starts {
    pub(super) fn new(
        group: &dyn RowGroupReader,
        (leaf, kind): (Leaf, StartKind),
    ) -> Result<Self, ParquetError> {
        let reader = group.get_column_reader(leaf.index)?;
        let column = match kind {
            StartKind::Millis => StartColumn::Timestamp(typed(reader)?, Vec::new(), DAY_MS),
            StartKind::Micros => StartColumn::Timestamp(typed(reader)?, Vec::new(), DAY_MS * 1000),
            StartKind::Date => StartColumn::Date(typed(reader)?, Vec::new()),
        };
        Ok(Starts {
            column,
            max_def: leaf.max_def,
            def: Vec::new(),
        })
    }

    pub(super) fn read(&mut self, rows: usize, out: &mut Vec<i64>) -> Result<usize, ParquetError> {
        let (def, max_def) = (&mut self.def, self.max_def);
        match &mut self.column {
            StartColumn::Timestamp(r, v, per_day) => {
                let per_day = *per_day;
                read_dense(r, (max_def, def), rows, v, out, i64::MIN, |t| {
                    t.div_euclid(per_day)
                })
            }
            StartColumn::Date(r, v) => {
                read_dense(r, (max_def, def), rows, v, out, i64::MIN, |d| i64::from(*d))
            }
        }
    }
}

/// The tags map: per row, the id of its first non-empty domain tag value.
pub(super) struct TagColumn {
    keys: StringPages,
    values: StringPages,
    key_strings: Strings,
    domain_key: u32,
}

impl TagColumn {
    pub(super) fn new(
        group: &dyn RowGroupReader,
        (key, value): (Leaf, Leaf),
    ) -> Result<Self, ParquetError> {
        let mut key_strings = Strings::default();
        let domain_key = key_strings.id(DOMAIN_TAG).unwrap_or(NONE);
        Ok(TagColumn {
            keys: StringPages::new(group, key, 1)?,
            values: StringPages::new(group, value, 1)?,
            key_strings,
            domain_key,
        })
    }

    pub(super) fn read(
        &mut self,
        rows: usize,
        strings: &mut Strings,
        ids: &mut Vec<u32>,
        bad: &mut usize,
    ) -> Result<usize, ParquetError> {
        ids.clear();
        while let Some(rep) = self.keys.peek(&mut self.key_strings)? {
            if self.values.peek(strings)? != Some(rep) {
                return Err(general(
                    "the tags map's keys and values disagree (corrupt file?)",
                ));
            }
            if rep == 0 {
                if ids.len() == rows {
                    break;
                }
                ids.push(NONE);
            }
            let (key, value) = (self.keys.take(), self.values.take());
            let row = ids.len().wrapping_sub(1);
            let Some(id) = ids.get_mut(row) else {
                return Err(general("a map entry before its first row (corrupt file?)"));
            };
            if key == Some(BAD) || value == Some(BAD) {
                *bad = (*bad).min(row);
            } else if let (Some(key), Some(value)) = (key, value) {
                if *id == NONE && key == self.domain_key {
                    *id = value;
                }
            }
        }
        Ok(ids.len())
    }
}

/// A string column decoded page by page, without the typed reader: each
/// dictionary entry becomes an id once, and a dictionary-encoded page's
/// indices are mapped through those ids, so no string is touched (or
/// reference-counted) per row. Pages in other encodings than PLAIN and
/// dictionary are refused (`ParquetError::NYI`), and the file goes line by line.
struct StringPages {
    pages: Box<dyn PageReader>,
    max_def: i16,
    max_rep: i16,
    /// Dictionary index to string id (`BAD` when not UTF-8).
    dictionary: Vec<u32>,
    /// The current page's levels and ids of its present values.
    defs: Vec<i16>,
    reps: Vec<i16>,
    ids: Vec<u32>,
    level: usize,
    value: usize,
    indices: Vec<u32>,
}

fn general(message: &str) -> ParquetError {
    ParquetError::General(message.to_string())
}

/// Parquet's RLE / bit-packed hybrid: `count` values of `bit_width` bits into `out`.
fn rle_hybrid(
    data: &[u8],
    bit_width: u8,
    count: usize,
    out: &mut Vec<u32>,
) -> Result<(), ParquetError> {
    let truncated = || general("truncated RLE data");
    let width = usize::from(bit_width);
    if width > 32 {
        return Err(general("RLE bit width over 32"));
    }
    let value_bytes = width.div_ceil(8);
    let mut at = 0;
    let start = out.len();
    while out.len() - start < count {
        let mut header: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = *data.get(at).ok_or_else(truncated)?;
            at += 1;
            header |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(general("bad RLE run header"));
            }
        }
        let left = count - (out.len() - start);
        if header & 1 == 0 {
            let run = usize::try_from(header >> 1).map_err(|_| truncated())?;
            let bytes = data.get(at..at + value_bytes).ok_or_else(truncated)?;
            at += value_bytes;
            let mut value = 0u32;
            for (i, b) in bytes.iter().enumerate() {
                value |= u32::from(*b) << (8 * i);
            }
            out.extend(std::iter::repeat_n(value, run.min(left)));
        } else {
            let groups = usize::try_from(header >> 1).map_err(|_| truncated())?;
            let bytes = data.get(at..at + groups * width).ok_or_else(truncated)?;
            at += groups * width;
            let take = (groups * 8).min(left);
            if width == 0 {
                out.extend(std::iter::repeat_n(0, take));
                continue;
            }
            let mask = if width == 32 {
                u64::MAX >> 32
            } else {
                (1u64 << width) - 1
            };
            let (mut buffer, mut bits, mut next) = (0u64, 0usize, 0usize);
            for _ in 0..take {
                while bits < width {
                    buffer |= u64::from(bytes[next]) << bits;
                    next += 1;
                    bits += 8;
                }
                out.push((buffer & mask) as u32);
                buffer >>= width;
                bits -= width;
            }
        }
    }
    out.truncate(start + count);
    Ok(())
}

fn level_width(max: i16) -> u8 {
    (16 - (max as u16).leading_zeros()) as u8
}

impl StringPages {
    pub(super) fn new(
        group: &dyn RowGroupReader,
        leaf: Leaf,
        max_rep: i16,
    ) -> Result<Self, ParquetError> {
        Ok(StringPages {
            pages: group.get_column_page_reader(leaf.index)?,
            max_def: leaf.max_def,
            max_rep,
            dictionary: Vec::new(),
            defs: Vec::new(),
            reps: Vec::new(),
            ids: Vec::new(),
            level: 0,
            value: 0,
            indices: Vec::new(),
        })
    }

    /// Loads the next data page; `false` at the end of the column chunk.
    fn load(&mut self, strings: &mut Strings) -> Result<bool, ParquetError> {
        loop {
            let Some(page) = self.pages.get_next_page()? else {
                return Ok(false);
            };
            let (buf, num_values, encoding, levels) = match page {
                Page::DictionaryPage {
                    buf, num_values, ..
                } => {
                    self.dictionary.clear();
                    let mut at = 0;
                    for _ in 0..num_values {
                        let (bytes, next) = plain_string(&buf, at)?;
                        at = next;
                        self.dictionary.push(strings.id(bytes).unwrap_or(BAD));
                    }
                    continue;
                }
                Page::DataPage {
                    buf,
                    num_values,
                    encoding,
                    def_level_encoding,
                    rep_level_encoding,
                    ..
                } => {
                    if (self.max_def > 0 && def_level_encoding != Encoding::RLE)
                        || (self.max_rep > 0 && rep_level_encoding != Encoding::RLE)
                    {
                        return Err(ParquetError::NYI("levels not RLE-encoded".into()));
                    }
                    (buf, num_values, encoding, None)
                }
                Page::DataPageV2 {
                    buf,
                    num_values,
                    encoding,
                    def_levels_byte_len,
                    rep_levels_byte_len,
                    ..
                } => (
                    buf,
                    num_values,
                    encoding,
                    Some((rep_levels_byte_len as usize, def_levels_byte_len as usize)),
                ),
            };
            let count = num_values as usize;
            let mut at = 0;
            let mut levels_of = |max: i16,
                                 v2_len: Option<usize>,
                                 out: &mut Vec<i16>,
                                 scratch: &mut Vec<u32>|
             -> Result<(), ParquetError> {
                out.clear();
                if max == 0 {
                    out.resize(count, 0);
                    return Ok(());
                }
                let length = match v2_len {
                    Some(length) => length,
                    None => {
                        let prefix = buf
                            .get(at..at + 4)
                            .ok_or_else(|| general("truncated levels"))?;
                        at += 4;
                        u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize
                    }
                };
                let data = buf
                    .get(at..at + length)
                    .ok_or_else(|| general("truncated levels"))?;
                at += length;
                scratch.clear();
                rle_hybrid(data, level_width(max), count, scratch)?;
                out.extend(scratch.iter().map(|&l| l as i16));
                Ok(())
            };
            levels_of(
                self.max_rep,
                levels.map(|l| l.0),
                &mut self.reps,
                &mut self.indices,
            )?;
            levels_of(
                self.max_def,
                levels.map(|l| l.1),
                &mut self.defs,
                &mut self.indices,
            )?;
            let present = if self.max_def == 0 {
                count
            } else {
                self.defs.iter().filter(|&&d| d == self.max_def).count()
            };
            let values = &buf[at.min(buf.len())..];
            self.ids.clear();
            match encoding {
                Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                    let width = *values.first().ok_or_else(|| general("truncated page"))?;
                    self.indices.clear();
                    rle_hybrid(&values[1..], width, present, &mut self.indices)?;
                    for &index in &self.indices {
                        let id = *self
                            .dictionary
                            .get(index as usize)
                            .ok_or_else(|| general("dictionary index out of range"))?;
                        self.ids.push(id);
                    }
                }
                Encoding::PLAIN => {
                    let mut at = 0;
                    for _ in 0..present {
                        let (bytes, next) = plain_string(values, at)?;
                        at = next;
                        self.ids.push(strings.id(bytes).unwrap_or(BAD));
                    }
                }
                other => return Err(ParquetError::NYI(format!("{other} strings"))),
            }
            self.level = 0;
            self.value = 0;
            if count > 0 {
                return Ok(true);
            }
        }
    }

    /// The next level's repetition level, loading pages as needed.
    #[inline]
    fn peek(&mut self, strings: &mut Strings) -> Result<Option<i16>, ParquetError> {
        if self.level == self.defs.len() && !self.load(strings)? {
            return Ok(None);
        }
        Ok(Some(self.reps[self.level]))
    }

    /// Takes the level `peek` saw: the id of its value, if present.
    #[inline]
    fn take(&mut self) -> Option<u32> {
        let present = self.defs[self.level] == self.max_def;
        self.level += 1;
        if present {
            let id = self.ids.get(self.value).copied();
            self.value += 1;
            id
        } else {
            None
        }
    }
}

fn plain_string(buf: &[u8], at: usize) -> Result<(&[u8], usize), ParquetError> {
    let prefix = buf
        .get(at..at + 4)
        .ok_or_else(|| general("truncated PLAIN string"))?;
    let length = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    let bytes = buf
        .get(at + 4..at + 4 + length)
        .ok_or_else(|| general("truncated PLAIN string"))?;
    Ok((bytes, at + 4 + length))
}
