//! The reader's fast path: one pass over the bytes, splitting each record
//! in place and writing rows spelled canonically straight into the table.
//!
//! It gives the general path ([`super::read_general`]) the last word. A
//! record it cannot split simply (a quote doubled, or text after a closing
//! quote) is read by csv-core, the parser under the csv crate, configured as
//! the csv crate configures it; a row spelled any other way than
//! canonically is normalised and merged by the general path's own
//! functions. Any error makes it give up, and the general path then reads
//! the file again and reports the error, so every error stays exactly the
//! general path's. Line numbers are counted only when something needs one.

use csv::ByteRecord;
use csv_core::ReadRecordResult;
use memchr::{memchr, memchr_iter};

use super::{
    merge_record, scan_formulas, start_table, Column, Header, Layout, LineCounter, Place,
    RowParser, Source,
};
use crate::intern;
use crate::model::{Kind, Table, CODE_INHERIT, CODE_NO, CODE_UNKNOWN, CODE_YES, IF_PREFIX as IF};
use crate::normalize::{Names, TargetParser};
use crate::safe::{column_name, is_formula_bytes, FormulaScan};

/// Reads the file as [`super::read_general`] would; `None` when that path
/// must read it (it then reports the error, if there is one).
pub(super) fn read(
    source: &Source,
    names: &Names,
    place: &Place,
    layout: Option<Layout>,
) -> Option<(Table, Layout, FormulaScan)> {
    let body = source.body;
    // A quote left open is the general path's error to report.
    if source.open_quote().is_some() {
        return None;
    }
    let mut core = CoreRecords::new(source.delimiter);
    let mut lines = LineCounter::new(body, source.line_offset);
    let mut formulas = FormulaScan::default();
    let mut titles: Vec<String> = Vec::new();
    // The header goes through csv-core from the first byte, so that a BOM
    // opening the body is dropped exactly as the csv crate drops it.
    let mut at = 0;
    let (header, mut table) = loop {
        let start = at;
        at = core.read(body, at)?;
        if is_blank(core.record.iter()) {
            continue;
        }
        let line = lines.line_at(start as u64);
        scan_formulas(&mut formulas, &mut titles, line, &core.record);
        break start_table(&core.record, layout, names, &place.at_row(line)).ok()?;
    };
    if header.layout == Layout::Wide {
        // About one row a line, so that the table grows once; a row takes at
        // least a byte a column, which bounds it for files of blank lines.
        let lines = memchr_iter(b'\n', &body[at..]).count() + 1;
        table.reserve(lines.min((body.len() - at) / header.columns.len().max(1) + 1));
    }
    let mut rows = Rows::new(&header, names, place, source.delimiter);
    let split = Splitter::new(source.delimiter);
    let mut fields: Vec<&[u8]> = Vec::with_capacity(header.columns.len());
    at = skip_line_ends(body, at);
    let mut plain: Vec<(usize, &[u8])> = Vec::new();
    while at < body.len() {
        let start = at;
        if let Some(next) = rows.wide_line(&split, body, at, &mut table, &mut plain) {
            for &(i, field) in &plain {
                scan_field(&mut formulas, &mut lines, start, i, field, &titles);
            }
            at = next;
            continue;
        }
        match split.record(body, at, &mut fields) {
            Some(next) => {
                at = next;
                if is_blank(fields.iter().copied()) {
                    continue;
                }
                scan_fields(&mut formulas, &mut lines, start, &fields, &titles);
                if !rows.fast(&fields, &mut table) {
                    let record = ByteRecord::from(fields.clone());
                    rows.general(lines.line_at(start as u64), &record, &mut table)?;
                }
            }
            None => {
                at = skip_line_ends(body, core.read(body, start)?);
                if is_blank(core.record.iter()) {
                    continue;
                }
                let line = lines.line_at(start as u64);
                scan_formulas(&mut formulas, &mut titles, line, &core.record);
                rows.general(line, &core.record, &mut table)?;
            }
        }
    }
    Some((table, header.layout, formulas))
}

/// A record of fields that are all ASCII whitespace: skipped, as the
/// general path skips it.
fn is_blank<'f>(mut fields: impl Iterator<Item = &'f [u8]>) -> bool {
    fields.all(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// The first byte at or after `at` that is no line end.
fn skip_line_ends(body: &[u8], mut at: usize) -> usize {
    while matches!(body.get(at), Some(b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// Counts a data record's formula starts, as [`scan_formulas`] does.
fn scan_fields(
    formulas: &mut FormulaScan,
    lines: &mut LineCounter,
    start: usize,
    fields: &[&[u8]],
    titles: &[String],
) {
    for (i, field) in fields.iter().enumerate() {
        scan_field(formulas, lines, start, i, field, titles);
    }
}

/// Counts field `i` of the record at `start` when it starts like a formula;
/// the line is counted only then.
#[inline]
fn scan_field(
    formulas: &mut FormulaScan,
    lines: &mut LineCounter,
    start: usize,
    i: usize,
    field: &[u8],
    titles: &[String],
) {
    if is_formula_bytes(field) {
        let line = lines.line_at(start as u64);
        formulas.check(line, field, || column_name(titles, false, i));
    }
}

/// Splits the common records in place: fields separated by the delimiter,
/// ended by CR or LF, each either plain or wholly quoted with no quote
/// inside. Plain fields may hold quotes (csv-core keeps those as text).
struct Splitter {
    delimiter: u8,
    /// Bytes that end a plain field: the delimiter, CR and LF.
    stops: [bool; 256],
    /// The same three bytes, each repeated across a word.
    stop_words: [u64; 3],
}

/// The lowest bit of each byte of a word.
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

impl Splitter {
    fn new(delimiter: u8) -> Splitter {
        let bytes = [delimiter, b'\r', b'\n'];
        let mut stops = [false; 256];
        for b in bytes {
            stops[usize::from(b)] = true;
        }
        let stop_words = bytes.map(|b| u64::from(b) * LOW_BITS);
        Splitter {
            delimiter,
            stops,
            stop_words,
        }
    }

    /// The offset of the first stop byte at or after `at`, or the end of
    /// the body: eight bytes a step where eight are left.
    #[inline]
    fn plain_end(&self, body: &[u8], mut at: usize) -> usize {
        while let Some(bytes) = body.get(at..at + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            let word = u64::from_le_bytes(word);
            // A byte of `x` is zero where the word holds that stop byte; the
            // lowest flagged byte of the sum is always a real one.
            let found = self.stop_words.iter().fold(0, |found, stop| {
                let x = word ^ stop;
                found | (x.wrapping_sub(LOW_BITS) & !x & (LOW_BITS << 7))
            });
            if found != 0 {
                return at + (found.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        while at < body.len() && !self.stops[usize::from(body[at])] {
            at += 1;
        }
        at
    }

    /// Splits the record starting at `at` (not a line end) into `fields`;
    /// returns where the next record starts, or `None` for a record that
    /// only csv-core reads right.
    fn record<'a>(
        &self,
        body: &'a [u8],
        mut at: usize,
        fields: &mut Vec<&'a [u8]>,
    ) -> Option<usize> {
        fields.clear();
        loop {
            let (field, end) = self.field(body, at)?;
            fields.push(field);
            match self.after(body, end) {
                After::Field(next) => at = next,
                After::Record(next) => return Some(next),
            }
        }
    }

    /// The field starting at `at` and the offset just past it (a delimiter,
    /// a line end or the end of the body); `None` for a field only csv-core
    /// reads right.
    #[inline]
    fn field<'a>(&self, body: &'a [u8], at: usize) -> Option<(&'a [u8], usize)> {
        if body.get(at) == Some(&b'"') {
            let close = at + 1 + memchr(b'"', &body[at + 1..])?;
            let end = close + 1;
            if matches!(body.get(end), Some(&b) if !self.stops[usize::from(b)]) {
                return None;
            }
            return Some((&body[at + 1..close], end));
        }
        let end = self.plain_end(body, at);
        Some((&body[at..end], end))
    }

    /// What follows a field that ends at `end`.
    #[inline]
    fn after(&self, body: &[u8], end: usize) -> After {
        match body.get(end) {
            Some(&b) if b == self.delimiter => After::Field(end + 1),
            _ => After::Record(skip_line_ends(body, end)),
        }
    }
}

/// What follows a field: another field of the record, or the next record
/// (each at the offset given).
enum After {
    Field(usize),
    Record(usize),
}

/// The canonical cells followed by the delimiter, as little-endian words:
/// most cells of a wide file are matched and skipped in one compare.
struct Words {
    /// `(word, mask, length, code)`: the eight bytes at a cell, masked,
    /// equal `word` when the cell spells `code` in `length` bytes.
    cells: [(u64, u64, usize, u32); 4],
}

impl Words {
    fn new(delimiter: u8) -> Words {
        let cell = |text: &[u8], code: u32| {
            let mut bytes = [0u8; 8];
            bytes[..text.len()].copy_from_slice(text);
            bytes[text.len()] = delimiter;
            let mask = match text.len() {
                7 => u64::MAX,
                n => (1u64 << (8 * (n + 1))) - 1,
            };
            (u64::from_le_bytes(bytes), mask, text.len(), code)
        };
        Words {
            cells: [
                cell(b"no", CODE_NO),
                cell(b"yes", CODE_YES),
                cell(b"", CODE_UNKNOWN),
                cell(b"inherit", CODE_INHERIT),
            ],
        }
    }

    /// The code and length of a canonical cell at `at` that the delimiter
    /// follows.
    #[inline]
    fn cell(&self, body: &[u8], at: usize) -> Option<(u32, usize)> {
        let bytes: [u8; 8] = body.get(at..at + 8)?.try_into().ok()?;
        let word = u64::from_le_bytes(bytes);
        self.cells
            .iter()
            .find(|(w, mask, _, _)| word & mask == *w)
            .map(|&(_, _, len, code)| (code, len))
    }
}

/// Records read by csv-core itself, exactly as the csv crate reads them
/// (`has_headers(false)`, `flexible(true)`, the file's delimiter).
struct CoreRecords {
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    record: ByteRecord,
}

impl CoreRecords {
    fn new(delimiter: u8) -> CoreRecords {
        CoreRecords {
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 1024],
            ends: vec![0; 64],
            record: ByteRecord::new(),
        }
    }

    /// Reads the record at `at` into `self.record`; returns the offset just
    /// past it, or `None` when the body holds no more records.
    fn read(&mut self, body: &[u8], at: usize) -> Option<usize> {
        let (mut read, mut outlen, mut endlen) = (at, 0, 0);
        loop {
            let (result, nin, nout, nend) = self.core.read_record(
                &body[read..],
                &mut self.out[outlen..],
                &mut self.ends[endlen..],
            );
            read += nin;
            outlen += nout;
            endlen += nend;
            match result {
                // The whole rest of the body was given: the next call, with
                // nothing left, ends the last record.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return None,
            }
        }
        self.record.clear();
        let mut start = 0;
        for &end in &self.ends[..endlen] {
            self.record.push_field(&self.out[start..end]);
            start = end;
        }
        Some(read)
    }
}

/// Rows written into the table, the common ones directly.
struct Rows<'h> {
    parser: RowParser<'h>,
    targets: TargetParser<'h>,
    /// One cell code per role, reused by every wide row.
    codes: Vec<u32>,
    /// The key texts of the last long row and its table row.
    last: LastKey,
    /// The table's role codes, and the role of the last long row.
    roles: (Vec<Box<[u8]>>, usize),
    words: Words,
}

impl<'h> Rows<'h> {
    fn new(header: &'h Header, names: &'h Names, place: &Place, delimiter: u8) -> Rows<'h> {
        Rows {
            parser: RowParser {
                header,
                names,
                place: place.clone(),
            },
            targets: TargetParser::new(names),
            codes: Vec::with_capacity(header.roles.len()),
            last: LastKey::default(),
            roles: (Vec::new(), 0),
            words: Words::new(delimiter),
        }
    }

    /// Reads a record through the general path's own functions; `None` on
    /// an error (the general path then reports it).
    fn general(&mut self, line: u64, record: &ByteRecord, table: &mut Table) -> Option<()> {
        let row = merge_record(&self.parser, table, line, record).ok()?;
        if self.parser.header.layout == Layout::Long {
            let h = self.parser.header;
            let key = [h.kind, h.entity_type, h.name, h.action]
                .map(|i| record.get(i).unwrap_or_default());
            self.last.remember(key, row);
        }
        Some(())
    }

    /// Writes a long row spelled canonically into the table; false, having
    /// changed nothing the general path would see, for any other row (and
    /// for every wide row, which [`Rows::wide_line`] takes when it can).
    fn fast(&mut self, fields: &[&[u8]], table: &mut Table) -> bool {
        let h = self.parser.header;
        h.layout == Layout::Long
            && fields.len() == h.columns.len()
            && self.unnamed_empty(fields)
            && self.long(fields, table)
    }

    /// Whether every column without a header is blank in this row.
    fn unnamed_empty(&self, fields: &[&[u8]]) -> bool {
        let h = self.parser.header;
        h.columns
            .iter()
            .zip(fields)
            .all(|(c, f)| *c != Column::Unnamed || f.iter().all(u8::is_ascii_whitespace))
    }

    /// A wide record spelled canonically, for a new target, written into
    /// the table as it is split: returns where the next record starts and
    /// leaves in `plain` the fields other than role cells (which, spelled
    /// canonically, never start like a formula). `None`, having changed
    /// nothing, for any other record.
    fn wide_line<'a>(
        &mut self,
        split: &Splitter,
        body: &'a [u8],
        mut at: usize,
        table: &mut Table,
        plain: &mut Vec<(usize, &'a [u8])>,
    ) -> Option<usize> {
        let h = self.parser.header;
        if h.layout != Layout::Wide {
            return None;
        }
        plain.clear();
        let codes = &mut self.codes;
        codes.clear();
        codes.resize(h.roles.len(), CODE_UNKNOWN);
        let mut inherits = false;
        let last = h.columns.len().checked_sub(1)?;
        let mut next = None;
        for (i, column) in h.columns.iter().enumerate() {
            let role = match *column {
                Column::RoleCell(role) => Some(role),
                _ => None,
            };
            // The last column is followed by a line end, never a delimiter.
            let word = role
                .filter(|_| i < last)
                .and_then(|_| self.words.cell(body, at));
            let end = match (role, word) {
                (Some(role), Some((code, len))) => {
                    codes[role] = code;
                    inherits |= code == CODE_INHERIT;
                    at + len
                }
                _ => {
                    let (field, end) = split.field(body, at)?;
                    match (role, cell_code(field, true)) {
                        (Some(role), Some(code)) => {
                            codes[role] = code;
                            inherits |= code == CODE_INHERIT;
                        }
                        (Some(_), None) => return None,
                        (None, _) => plain.push((i, field)),
                    }
                    end
                }
            };
            match (split.after(body, end), i == last) {
                (After::Field(after), false) => at = after,
                (After::Record(after), true) => next = Some(after),
                _ => return None,
            }
        }
        let field = |column: usize| plain.iter().find(|(i, _)| *i == column).map(|(_, f)| *f);
        let unnamed_data = plain.iter().any(|(i, f)| {
            h.columns[*i] == Column::Unnamed && !f.iter().all(u8::is_ascii_whitespace)
        });
        if unnamed_data {
            return None;
        }
        let [kind, entity_type, name, action] =
            [h.kind, h.entity_type, h.name, h.action].map(|i| field(i).and_then(text));
        let note = match h.note {
            Some(i) => text(field(i)?)?,
            None => "",
        };
        let target = self
            .targets
            .parse(kind?, entity_type?, name?, action?)
            .ok()?;
        if inherits && target.kind() != Kind::Field {
            return None;
        }
        let before = table.len();
        let row = table.insert_target(target);
        if table.len() == before {
            // An earlier row named this target: the general path merges.
            return None;
        }
        if !note.is_empty() {
            table.set_note(row, note);
        }
        table.set_row_codes(row, codes);
        next
    }

    /// One cell of a target, for a role the table has.
    fn long(&mut self, fields: &[&[u8]], table: &mut Table) -> bool {
        let h = self.parser.header;
        let Some(role) = self.role(fields[h.role], table) else {
            return false;
        };
        let Some(note) = h.note.map_or(Some(""), |i| text(fields[i])) else {
            return false;
        };
        let key = [h.kind, h.entity_type, h.name, h.action].map(|i| fields[i]);
        let (row, same) = match self.last.row_of(&key) {
            Some(row) => (row, true),
            None => {
                let Some(target) = self.target(fields) else {
                    return false;
                };
                (table.insert_target(target), false)
            }
        };
        let is_field = table.target(row).kind() == Kind::Field;
        let Some(cell) = cell_code(fields[h.value], is_field) else {
            return false;
        };
        let current = table.note(row);
        let new_note = !note.is_empty() && note != current;
        let filled = cell != CODE_UNKNOWN && !table.is_unknown(row, role);
        if (new_note && !current.is_empty()) || filled {
            // A conflict, or a duplicate: the general path decides.
            return false;
        }
        if !same {
            self.last.remember(key, row);
        }
        if new_note {
            table.set_note(row, note);
        }
        if cell != CODE_UNKNOWN {
            table.set_code(row, role, cell);
        }
        true
    }

    /// The table's role named by a long row's role field. Files list a
    /// target's roles in table order, so the one after the last is tried
    /// before a lookup.
    fn role(&mut self, field: &[u8], table: &Table) -> Option<usize> {
        let (codes, last) = &mut self.roles;
        if codes.len() != table.role_count() {
            *codes = table.roles().map(|r| r.as_bytes().into()).collect();
        }
        let next = (*last + 1) % codes.len().max(1);
        let role = if codes.get(next).is_some_and(|c| **c == *field) {
            next
        } else {
            table.role_index(text(field)?)?
        };
        *last = role;
        Some(role)
    }

    /// The row's target, when its key texts make one.
    fn target(&mut self, fields: &[&[u8]]) -> Option<crate::model::Target> {
        let h = self.parser.header;
        let [kind, entity_type, name, action] =
            [h.kind, h.entity_type, h.name, h.action].map(|i| text(fields[i]));
        self.targets.parse(kind?, entity_type?, name?, action?).ok()
    }
}

/// The cell code of a field spelled canonically (a condition interned
/// process-wide); `None` for any other spelling (and for `inherit` outside
/// field rows).
fn cell_code(field: &[u8], is_field: bool) -> Option<u32> {
    let code = match field {
        b"" => CODE_UNKNOWN,
        b"yes" => CODE_YES,
        b"no" => CODE_NO,
        b"inherit" if is_field => CODE_INHERIT,
        _ if field.starts_with(IF.as_bytes()) => {
            return canonical_condition(field).map(intern::condition_code)
        }
        _ => return None,
    };
    Some(code)
}

/// `if <condition>` already in canonical form (UTF-8, the condition
/// neither empty nor padded, no CR, no emoji selector for normalising to
/// drop), or `None`.
fn canonical_condition(field: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(field).ok()?;
    let cond = text.strip_prefix(IF)?;
    let canonical = !cond.is_empty() && cond.trim() == cond && !cond.contains(['\r', '\u{FE0F}']);
    canonical.then_some(text)
}

/// A field as text, when it is UTF-8.
fn text(field: &[u8]) -> Option<&str> {
    std::str::from_utf8(field).ok()
}

/// The key texts of the last long row, and its row in the table.
#[derive(Default)]
struct LastKey {
    bytes: Vec<u8>,
    ends: [usize; 4],
    row: Option<usize>,
}

impl LastKey {
    fn remember(&mut self, key: [&[u8]; 4], row: usize) {
        self.bytes.clear();
        for (end, field) in self.ends.iter_mut().zip(key) {
            self.bytes.extend_from_slice(field);
            *end = self.bytes.len();
        }
        self.row = Some(row);
    }

    /// The row of `key` when it is the last row's.
    fn row_of(&self, key: &[&[u8]; 4]) -> Option<usize> {
        let mut start = 0;
        for (end, field) in self.ends.iter().zip(key) {
            if self.bytes.get(start..*end) != Some(*field) {
                return None;
            }
            start = *end;
        }
        self.row
    }
}
