//! The wide and long CSV layouts: strict, all-or-nothing reading of what
//! people and spreadsheets produce, and canonical writing.
//!
//! ```
//! use sgperms::csvio::{read, write, Layout, ReadOptions};
//!
//! let text = "sep=;\r\nKind;Entity Type;Name;Action;artist\r\nentity;Shots;;delete;✓\r\n";
//! let (table, layout) = read(text.as_bytes(), &ReadOptions::default()).unwrap();
//! assert_eq!(layout, Layout::Wide);
//! assert_eq!(
//!     write(&table, Layout::Wide),
//!     "kind,entity_type,name,action,artist,note\nentity,Shot,,retire,yes,\n"
//! );
//! ```

use std::collections::HashMap;
use std::fmt;

use csv::{ByteRecord, ReaderBuilder, Terminator, WriterBuilder};

use crate::model::{check_value, Action, Kind, ModelError, Role, Table, Target, Value};
use crate::normalize::{parse_target, parse_value, shown, Names, NormalizeError, TargetError};
use crate::safe::{column_name, FormulaScan};
use crate::schema::Schema;
use crate::vocab::{self, fold, KEY_COLUMNS, LONG_HEADER};

mod fast;

/// The two CSV layouts of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `kind,entity_type,name,action,<role>...,note`: one row per target.
    Wide,
    /// `role,kind,entity_type,name,action,value,note`: one row per cell.
    Long,
}

impl Layout {
    /// `wide` or `long`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Wide => "wide",
            Layout::Long => "long",
        }
    }

    /// Parses `wide` or `long`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Layout> {
        match text {
            "wide" => Some(Layout::Wide),
            "long" => Some(Layout::Long),
            _ => None,
        }
    }
}

/// How to read: a forced layout (else detected from the header), and the
/// schema and roles names are resolved against.
#[derive(Debug, Default, Clone)]
pub struct ReadOptions<'a> {
    /// The layout to read; `None` detects it from the header.
    pub layout: Option<Layout>,
    /// Resolves entity and field display names; unknown ones are errors.
    pub schema: Option<&'a Schema>,
    /// Resolves role display names in headers; unknown roles are errors.
    pub roles: Option<&'a [Role]>,
    /// Named in errors; the reader never opens it.
    pub path: Option<String>,
    /// Keep names the schema or roles do not know as typed instead of failing.
    pub lenient: bool,
    /// Unknown roles are errors even when `lenient` (given roles).
    pub strict_roles: bool,
}

/// Why a CSV could not be read. Nothing is loaded when this is returned.
///
/// Boxed so that `Result<_, CsvError>` stays one pointer wide on the happy
/// path; the details are reached through `Deref` (`err.row`, `err.kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError(Box<CsvErrorDetail>);

/// Where and what: the fields of a [`CsvError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvErrorDetail {
    /// The file, when the reader was told its name.
    pub path: Option<String>,
    /// 1-based line of the record in the file, as an editor shows it.
    pub row: Option<u64>,
    /// The column's header text (or its key name).
    pub column: Option<String>,
    /// The offending cell text, when there is one.
    pub value: Option<String>,
    /// What went wrong.
    pub kind: CsvErrorKind,
}

/// What went wrong, without where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsvErrorKind {
    /// No header: the file is empty or blank.
    Empty,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A UTF-16 file (Excel's "Unicode Text").
    Utf16,
    /// A quote that is never closed.
    UnclosedQuote,
    /// A `role` or `value` column read as the wide layout.
    LongColumnInWide,
    /// A `sep=` line that names no usable delimiter.
    BadSeparatorLine,
    /// CSV the csv crate cannot read; holds its message.
    Syntax(String),
    /// The header lacks these key columns.
    MissingColumns(Vec<&'static str>),
    /// A column named twice.
    DuplicateColumn {
        /// The 1-based column where it first appears.
        first: usize,
    },
    /// A column the long layout does not have.
    UnexpectedColumn,
    /// A column without a header that holds data.
    UnnamedColumnWithData,
    /// A row with more or fewer fields than the header.
    Ragged {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
        /// Whether a field of the row spans lines (a quote left open).
        open_quote: bool,
    },
    /// A name or value that could not be normalised.
    Normalize(NormalizeError),
    /// A row the table cannot hold.
    Model(ModelError),
    /// Two rows for one target (and role) with different values.
    ConflictingValues {
        /// The line of the earlier row.
        first_row: u64,
        /// The earlier row's value.
        first: String,
        /// This row's value.
        second: String,
        /// The target, as `kind:entity_type:name:action`.
        target: String,
    },
    /// Two rows for one target with different notes.
    ConflictingNotes {
        /// The line of the earlier row.
        first_row: u64,
        /// The target, as `kind:entity_type:name:action`.
        target: String,
    },
}

impl CsvErrorKind {
    /// A short snake_case name of the variant (`ragged`, `conflicting_values`,
    /// or the inner error's for [`CsvErrorKind::Normalize`] and
    /// [`CsvErrorKind::Model`], e.g. `unknown_role`): the `.kind` of the
    /// Python exception.
    pub fn kind(&self) -> &'static str {
        match self {
            CsvErrorKind::Empty => "empty",
            CsvErrorKind::InvalidUtf8 => "invalid_utf8",
            CsvErrorKind::Utf16 => "utf16",
            CsvErrorKind::UnclosedQuote => "unclosed_quote",
            CsvErrorKind::LongColumnInWide => "long_column_in_wide",
            CsvErrorKind::BadSeparatorLine => "bad_separator_line",
            CsvErrorKind::Syntax(_) => "syntax",
            CsvErrorKind::MissingColumns(_) => "missing_columns",
            CsvErrorKind::DuplicateColumn { .. } => "duplicate_column",
            CsvErrorKind::UnexpectedColumn => "unexpected_column",
            CsvErrorKind::UnnamedColumnWithData => "unnamed_column_with_data",
            CsvErrorKind::Ragged { .. } => "ragged",
            CsvErrorKind::Normalize(e) => e.kind(),
            CsvErrorKind::Model(e) => e.kind(),
            CsvErrorKind::ConflictingValues { .. } => "conflicting_values",
            CsvErrorKind::ConflictingNotes { .. } => "conflicting_notes",
        }
    }
}

impl fmt::Display for CsvErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvErrorKind::Empty => f.write_str(
                "the file is empty; expected a header such as kind,entity_type,name,action,<role>...,note",
            ),
            CsvErrorKind::InvalidUtf8 => {
                f.write_str("invalid UTF-8; save the file as \"CSV UTF-8\"")
            }
            CsvErrorKind::Utf16 => f.write_str(
                "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\"",
            ),
            CsvErrorKind::UnclosedQuote => f.write_str(
                "a quote opened on this row is never closed, so the rest of the file would be one cell; \
                 close it (a quote inside a cell is written twice: \"\")",
            ),
            CsvErrorKind::LongColumnInWide => f.write_str(
                "this column belongs to the long layout (role,kind,entity_type,name,action,value,note); \
                 read the file with layout \"long\" or \"auto\"",
            ),
            CsvErrorKind::BadSeparatorLine => f.write_str(
                "the \"sep=\" line must name one ASCII character, e.g. sep=; or sep=,",
            ),
            CsvErrorKind::Syntax(msg) => write!(f, "malformed CSV: {msg}"),
            CsvErrorKind::MissingColumns(missing) => write!(
                f,
                "the header lacks {}; expected kind,entity_type,name,action,<role>...,note (wide) \
                 or role,kind,entity_type,name,action,value,note (long)",
                missing.join(", ")
            ),
            CsvErrorKind::DuplicateColumn { first } => {
                write!(f, "the column appears twice (first as column {first})")
            }
            CsvErrorKind::UnexpectedColumn => f.write_str(
                "unexpected column in the long layout; expected role,kind,entity_type,name,action,value,note",
            ),
            CsvErrorKind::UnnamedColumnWithData => {
                f.write_str("a column without a header holds data; name it or empty it")
            }
            CsvErrorKind::Ragged {
                expected,
                found,
                open_quote,
            } => {
                write!(
                    f,
                    "the row has {found} fields but the header has {expected}; expected one field per column"
                )?;
                if *open_quote {
                    f.write_str(" (a field of this row runs over several lines: is a quote left open?)")?;
                }
                Ok(())
            }
            CsvErrorKind::Normalize(err) => err.fmt(f),
            CsvErrorKind::Model(err) => err.fmt(f),
            CsvErrorKind::ConflictingValues {
                first_row,
                first,
                second,
                target,
            } => write!(
                f,
                "conflicting duplicate rows for {target}: row {first_row} says \"{}\", this row says \
                 \"{}\"; expected one value per target and role",
                shown(first),
                shown(second)
            ),
            CsvErrorKind::ConflictingNotes { first_row, target } => write!(
                f,
                "conflicting notes for {target}: row {first_row} has a different note; a target has one \
                 note, so repeat it or leave the other rows' notes empty"
            ),
        }
    }
}

impl std::ops::Deref for CsvError {
    type Target = CsvErrorDetail;

    fn deref(&self) -> &CsvErrorDetail {
        &self.0
    }
}

impl CsvError {
    /// Takes the details out, for callers that consume them.
    pub fn into_detail(self) -> CsvErrorDetail {
        *self.0
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = [
            self.path.clone(),
            self.row.map(|row| format!("row {row}")),
            self.column.as_ref().map(|c| format!("column \"{c}\"")),
        ];
        let place: Vec<String> = place.into_iter().flatten().collect();
        if !place.is_empty() {
            write!(f, "{}: ", place.join(", "))?;
        }
        self.kind.fmt(f)
    }
}

impl std::error::Error for CsvError {}

/// Where an error happened; filled in as the reader learns more.
#[derive(Clone, Default)]
struct Place {
    path: Option<String>,
    row: Option<u64>,
    column: Option<String>,
    value: Option<String>,
}

impl Place {
    fn at_row(&self, row: u64) -> Place {
        Place {
            row: Some(row),
            ..self.clone()
        }
    }

    fn column(&self, column: &str) -> Place {
        Place {
            column: Some(column.to_string()),
            ..self.clone()
        }
    }

    fn cell(&self, column: &str, value: &str) -> Place {
        Place {
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            ..self.clone()
        }
    }

    fn error(self, kind: CsvErrorKind) -> CsvError {
        CsvError(Box::new(CsvErrorDetail {
            path: self.path,
            row: self.row,
            column: self.column,
            value: self.value,
            kind,
        }))
    }
}

/// What each column of the header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// A key, note, role or value column.
    Named(vocab::Column),
    /// A wide-layout role column: its index in the table.
    RoleCell(usize),
    /// No header text: tolerated while it holds no data (spreadsheets add them).
    Unnamed,
}

fn key_column(folded: &str) -> Option<Column> {
    match vocab::column(folded) {
        Some(column) => Some(Column::Named(column)),
        None if folded.is_empty() => Some(Column::Unnamed),
        None => None,
    }
}

/// The header, resolved: what every column is, where the key columns are.
struct Header {
    layout: Layout,
    columns: Vec<Column>,
    titles: Vec<String>,
    roles: Vec<String>,
    /// Header text of each wide role column, by role index.
    role_titles: Vec<String>,
    kind: usize,
    entity_type: usize,
    name: usize,
    action: usize,
    note: Option<usize>,
    role: usize,
    value: usize,
    /// Fields a row needs (up to the last named column).
    required: usize,
}

impl Header {
    fn parse(
        record: &ByteRecord,
        forced: Option<Layout>,
        names: &Names,
        place: &Place,
    ) -> Result<Header, CsvError> {
        let titles = record
            .iter()
            .enumerate()
            .map(|(i, field)| utf8(field, place, &format!("column {}", i + 1)).map(str::trim))
            .map(|r| r.map(str::to_string))
            .collect::<Result<Vec<_>, _>>()?;
        let classified: Vec<Option<Column>> = titles.iter().map(|t| key_column(&fold(t))).collect();
        let has = |c: vocab::Column| classified.contains(&Some(Column::Named(c)));
        let layout = forced.unwrap_or(if has(vocab::Column::Role) && has(vocab::Column::Value) {
            Layout::Long
        } else {
            Layout::Wide
        });
        let mut needed = vocab::KEY.to_vec();
        if layout == Layout::Long {
            needed.insert(0, vocab::Column::Role);
            needed.push(vocab::Column::Value);
        }
        let missing: Vec<&'static str> = needed
            .into_iter()
            .filter(|c| !has(*c))
            .map(vocab::Column::as_str)
            .collect();
        if let Some(first) = missing.first() {
            let place = place.column(first);
            return Err(place.error(CsvErrorKind::MissingColumns(missing)));
        }
        let mut columns = Vec::with_capacity(titles.len());
        let mut roles: Vec<String> = Vec::new();
        let mut role_titles: Vec<String> = Vec::new();
        // Role codes differing only in case are one role typed twice.
        let mut seen_roles: HashMap<String, usize> = HashMap::new();
        for (i, (title, class)) in titles.iter().zip(classified).enumerate() {
            let column = match (class, layout) {
                (Some(Column::Named(vocab::Column::Role | vocab::Column::Value)), Layout::Wide) => {
                    return Err(place.column(title).error(CsvErrorKind::LongColumnInWide))
                }
                (None, Layout::Wide) => {
                    let code = names
                        .role(title)
                        .map_err(|e| place.column(title).error(CsvErrorKind::Normalize(e)))?;
                    if let Some(first) = seen_roles.insert(code.to_lowercase(), i) {
                        return Err(place
                            .column(title)
                            .error(CsvErrorKind::DuplicateColumn { first: first + 1 }));
                    }
                    roles.push(code);
                    role_titles.push(title.clone());
                    Column::RoleCell(roles.len() - 1)
                }
                (None, Layout::Long) => {
                    return Err(place.column(title).error(CsvErrorKind::UnexpectedColumn))
                }
                (Some(column), _) => column,
            };
            if column != Column::Unnamed && !matches!(column, Column::RoleCell(_)) {
                if let Some(first) = columns.iter().position(|c| *c == column) {
                    return Err(place
                        .column(title)
                        .error(CsvErrorKind::DuplicateColumn { first: first + 1 }));
                }
            }
            debug_assert_eq!(columns.len(), i);
            columns.push(column);
        }
        let find = |c: vocab::Column| columns.iter().position(|k| *k == Column::Named(c));
        let required = columns
            .iter()
            .rposition(|c| *c != Column::Unnamed)
            .map_or(0, |i| i + 1);
        Ok(Header {
            layout,
            kind: find(vocab::Column::Kind).unwrap_or_default(),
            entity_type: find(vocab::Column::EntityType).unwrap_or_default(),
            name: find(vocab::Column::Name).unwrap_or_default(),
            action: find(vocab::Column::Action).unwrap_or_default(),
            note: find(vocab::Column::Note),
            role: find(vocab::Column::Role).unwrap_or_default(),
            value: find(vocab::Column::Value).unwrap_or_default(),
            columns,
            titles,
            roles,
            role_titles,
            required,
        })
    }
}

fn utf8<'r>(bytes: &'r [u8], place: &Place, column: &str) -> Result<&'r str, CsvError> {
    std::str::from_utf8(bytes).map_err(|_| {
        place
            .cell(column, &String::from_utf8_lossy(bytes))
            .error(CsvErrorKind::InvalidUtf8)
    })
}

/// One data row, parsed and normalised.
struct Row {
    line: u64,
    target: Target,
    note: String,
    cells: Cells,
}

enum Cells {
    /// One value per header role, in header order.
    Wide(Vec<Value>),
    /// One role code and its value.
    Long(String, Value),
}

/// The file after its preamble: BOM and `sep=` line removed, delimiter known.
struct Source<'a> {
    body: &'a [u8],
    delimiter: u8,
    /// Lines before `body` (the `sep=` line), added to every reported row.
    line_offset: u64,
}

impl<'a> Source<'a> {
    fn new(data: &'a [u8], place: &Place) -> Result<Source<'a>, CsvError> {
        let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        if data.iter().all(u8::is_ascii_whitespace) {
            return Err(place
                .at_row(1)
                .column(vocab::KIND)
                .error(CsvErrorKind::Empty));
        }
        if data.starts_with(b"\xFF\xFE") || data.starts_with(b"\xFE\xFF") {
            return Err(place.at_row(1).error(CsvErrorKind::Utf16));
        }
        // Old Mac exports end lines with a lone CR.
        let first_end = data
            .iter()
            .position(|&b| matches!(b, b'\n' | b'\r'))
            .unwrap_or(data.len());
        let first = &data[..first_end];
        if first.contains(&0) {
            return Err(place.at_row(1).error(CsvErrorKind::Utf16));
        }
        if let Some(spec) = separator_line(first) {
            let delimiter =
                spec.ok_or_else(|| place.at_row(1).error(CsvErrorKind::BadSeparatorLine))?;
            let rest = &data[first_end..];
            let body = rest
                .strip_prefix(b"\r\n")
                .or_else(|| rest.strip_prefix(b"\n"))
                .or_else(|| rest.strip_prefix(b"\r"))
                .unwrap_or(rest);
            return Ok(Source {
                body,
                delimiter,
                line_offset: 1,
            });
        }
        Ok(Source {
            body: data,
            delimiter: sniff_delimiter(first),
            line_offset: 0,
        })
    }

    /// Refuses a body whose last quote never closes: the csv crate would
    /// silently read the rest of the file into one cell.
    fn check_quotes(&self, place: &Place) -> Result<(), CsvError> {
        match self.open_quote() {
            Some(at) => {
                let mut lines = LineCounter::new(self.body, self.line_offset);
                Err(place
                    .at_row(lines.line_of(at))
                    .error(CsvErrorKind::UnclosedQuote))
            }
            None => Ok(()),
        }
    }

    /// The offset of the body's last quote when the quotes do not pair up.
    fn open_quote(&self) -> Option<usize> {
        let mut open_at = None;
        for at in memchr::memchr_iter(b'"', self.body) {
            open_at = match open_at {
                Some(_) => None,
                None => Some(at),
            };
        }
        open_at
    }

    /// Calls `f` with each non-blank record and its 1-based line number,
    /// until `f` returns false. One record buffer serves the whole file.
    fn each_record<F>(&self, place: &Place, mut f: F) -> Result<(), CsvError>
    where
        F: FnMut(u64, &ByteRecord) -> Result<bool, CsvError>,
    {
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(self.body);
        let mut lines = LineCounter::new(self.body, self.line_offset);
        let mut record = ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
                    if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                        continue;
                    }
                    if !f(line, &record)? {
                        return Ok(());
                    }
                }
                Err(err) => {
                    let line = err.position().map(|p| lines.line_at(p.byte()));
                    let place = Place {
                        row: line,
                        ..place.clone()
                    };
                    return Err(place.error(CsvErrorKind::Syntax(err.to_string())));
                }
            }
        }
    }
}

/// Line numbers from byte offsets. The csv crate's own line count skips blank
/// lines, and people look rows up by the number their editor shows.
struct LineCounter<'a> {
    body: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(body: &'a [u8], line_offset: u64) -> LineCounter<'a> {
        LineCounter {
            body,
            byte: 0,
            line: line_offset + 1,
        }
    }

    /// The line holding `byte`.
    fn line_of(&mut self, byte: usize) -> u64 {
        let byte = byte.clamp(self.byte, self.body.len());
        self.line += line_ends(&self.body[self.byte..byte]);
        self.byte = byte;
        self.line
    }

    /// The line of the record starting at `byte`; offsets must not decrease
    /// between calls. The csv crate reports a record as starting before the
    /// blank lines it skipped, so those are stepped over first.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = (byte as usize).clamp(self.byte, self.body.len());
        while matches!(self.body.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        self.line += line_ends(&self.body[self.byte..byte]);
        self.byte = byte;
        self.line
    }
}

/// The delimiter an Excel `sep=` line names: `None` when the line is not one,
/// `Some(None)` when it is but names no usable delimiter. Spreadsheets quote
/// it (`"sep=;"`) or pad it with delimiters (`sep=;;;;`) when they re-save.
fn separator_line(line: &[u8]) -> Option<Option<u8>> {
    let line = line.strip_prefix(b"\"").unwrap_or(line);
    if line.len() < 4 || !line[..4].eq_ignore_ascii_case(b"sep=") {
        return None;
    }
    let delimiter = match line.get(4) {
        Some(&d) if d.is_ascii() && d != b'"' => d,
        _ => return Some(None),
    };
    let padding_only = line[5..].iter().all(|&b| b == delimiter || b == b'"');
    Some(padding_only.then_some(delimiter))
}

/// Line ends in `bytes`: LF, CRLF, or a lone CR, each counted once.
fn line_ends(bytes: &[u8]) -> u64 {
    let lf = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    if !bytes.contains(&b'\r') {
        return lf;
    }
    let lone_cr = bytes
        .windows(2)
        .filter(|w| w[0] == b'\r' && w[1] != b'\n')
        .count()
        + usize::from(bytes.last() == Some(&b'\r'));
    lf + lone_cr as u64
}

/// The delimiter of the header line: whichever of `,` `;` tab occurs most
/// outside quotes (a comma on a tie).
fn sniff_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    candidates[best]
}

/// Turns records into normalised rows.
struct RowParser<'h> {
    header: &'h Header,
    names: &'h Names,
    place: Place,
}

impl RowParser<'_> {
    fn parse(&self, line: u64, record: &ByteRecord) -> Result<Row, CsvError> {
        let place = self.place.at_row(line);
        let h = self.header;
        let ragged = |record: &ByteRecord| CsvErrorKind::Ragged {
            expected: h.columns.len(),
            found: record.len(),
            open_quote: record.iter().any(|f| f.contains(&b'\n')),
        };
        if record.len() < h.required {
            let missing = h.titles.get(record.len()).map_or("", String::as_str);
            return Err(place.column(missing).error(ragged(record)));
        }
        let mut fields: Vec<&str> = Vec::with_capacity(record.len());
        // Labels are built only for an error: this loop runs for every cell.
        let label = |i: usize| match h.titles.get(i).map(String::as_str) {
            Some(title) if !title.is_empty() => title.to_string(),
            _ => format!("column {}", i + 1),
        };
        for (i, bytes) in record.iter().enumerate() {
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => return Err(utf8(bytes, &place, &label(i)).unwrap_err()),
            };
            let unnamed = h.columns.get(i).is_none_or(|c| *c == Column::Unnamed);
            if unnamed && !text.trim().is_empty() {
                let kind = if i < h.columns.len() {
                    CsvErrorKind::UnnamedColumnWithData
                } else {
                    ragged(record)
                };
                return Err(place.cell(&label(i), text).error(kind));
            }
            fields.push(text);
        }
        let target = self.target(&fields, &place)?;
        let note = h.note.map_or("", |i| fields[i]).to_string();
        let cells = match h.layout {
            Layout::Wide => Cells::Wide(self.wide_values(&fields, &target, &place)?),
            Layout::Long => {
                let role_text = fields[h.role];
                let role = self.names.role(role_text).map_err(|e| {
                    place
                        .cell(vocab::ROLE, role_text)
                        .error(CsvErrorKind::Normalize(e))
                })?;
                let value = self.value(fields[h.value], vocab::VALUE, &target, &place)?;
                Cells::Long(role, value)
            }
        };
        Ok(Row {
            line,
            target,
            note,
            cells,
        })
    }

    fn target(&self, fields: &[&str], place: &Place) -> Result<Target, CsvError> {
        let h = self.header;
        let key = [h.kind, h.entity_type, h.name, h.action].map(|i| fields[i]);
        let [kind, entity_type, name, action] = key;
        parse_target(self.names, kind, entity_type, name, action).map_err(|e| {
            let text = KEY_COLUMNS
                .iter()
                .position(|c| *c == e.column())
                .map_or(action, |i| key[i]);
            let place = place.cell(e.column(), text);
            match e {
                TargetError::Normalize(_, e) => place.error(CsvErrorKind::Normalize(e)),
                TargetError::Model(_, e) => place.error(CsvErrorKind::Model(e)),
            }
        })
    }

    fn wide_values(
        &self,
        fields: &[&str],
        target: &Target,
        place: &Place,
    ) -> Result<Vec<Value>, CsvError> {
        let h = self.header;
        let mut values = vec![Value::Unknown; h.roles.len()];
        for (i, column) in h.columns.iter().enumerate() {
            if let Column::RoleCell(role) = column {
                let text = fields.get(i).copied().unwrap_or("");
                values[*role] = self.value(text, &h.titles[i], target, place)?;
            }
        }
        Ok(values)
    }

    fn value(
        &self,
        text: &str,
        column: &str,
        target: &Target,
        place: &Place,
    ) -> Result<Value, CsvError> {
        let value = parse_value(text)
            .map_err(|e| place.cell(column, text).error(CsvErrorKind::Normalize(e)))?;
        check_value(target, &value)
            .map_err(|e| place.cell(column, text).error(CsvErrorKind::Model(e)))?;
        Ok(value)
    }
}

/// Reads a permission CSV. Returns the table and the layout it was in.
///
/// All or nothing: any error leaves nothing loaded and names the row (line),
/// the column and the value.
pub fn read(data: &[u8], opts: &ReadOptions) -> Result<(Table, Layout), CsvError> {
    read_scanning(data, opts).map(|(table, layout, _)| (table, layout))
}

/// [`read`], also counting the cells, header included, that a spreadsheet
/// would run as formulas ([`FormulaScan`]): the table keeps them exactly as
/// written (the round trip stays lossless); the count is for a warning.
pub fn read_scanning(
    data: &[u8],
    opts: &ReadOptions,
) -> Result<(Table, Layout, FormulaScan), CsvError> {
    let place = Place {
        path: opts.path.clone(),
        ..Place::default()
    };
    let names = names_for(opts);
    let source = Source::new(data, &place)?;
    if let Some(read) = fast::read(&source, &names, &place, opts.layout) {
        return Ok(read);
    }
    read_general(&source, &names, &place, opts.layout)
}

/// The names a read resolves against, as `opts` asks.
fn names_for(opts: &ReadOptions) -> Names {
    let names = Names::new(opts.schema, opts.roles);
    let names = if opts.lenient { names.lenient() } else { names };
    if opts.strict_roles {
        names.strict_roles()
    } else {
        names
    }
}

/// The reader every file can take, record by record through the csv crate:
/// what [`fast::read`] must agree with, and what reports every error.
fn read_general(
    source: &Source,
    names: &Names,
    place: &Place,
    layout: Option<Layout>,
) -> Result<(Table, Layout, FormulaScan), CsvError> {
    let mut formulas = FormulaScan::default();
    let mut titles: Vec<String> = Vec::new();
    source.check_quotes(place)?;
    let mut loaded: Option<(Header, Table)> = None;
    source.each_record(place, |line, record| {
        scan_formulas(&mut formulas, &mut titles, line, record);
        let Some((header, table)) = loaded.as_mut() else {
            loaded = Some(start_table(record, layout, names, &place.at_row(line))?);
            return Ok(true);
        };
        let parser = RowParser {
            header,
            names,
            place: place.clone(),
        };
        merge_record(&parser, table, line, record).map_err(|err| match err {
            MergeError::Conflict(conflict) => (*conflict).into_error(source, &parser, place),
            MergeError::Invalid(err) => err,
        })?;
        Ok(true)
    })?;
    let (header, table) = loaded.ok_or_else(|| {
        place
            .at_row(1)
            .column(vocab::KIND)
            .error(CsvErrorKind::Empty)
    })?;
    Ok((table, header.layout, formulas))
}

/// The header and an empty table with its roles, from the first record.
fn start_table(
    record: &ByteRecord,
    layout: Option<Layout>,
    names: &Names,
    place: &Place,
) -> Result<(Header, Table), CsvError> {
    let header = Header::parse(record, layout, names, place)?;
    let table = Table::with_roles(header.roles.iter().cloned())
        .map_err(|e| place.clone().error(CsvErrorKind::Model(e)))?;
    Ok((header, table))
}

/// Normalises a data record and merges it into the table; returns the row
/// of its target.
fn merge_record(
    parser: &RowParser,
    table: &mut Table,
    line: u64,
    record: &ByteRecord,
) -> Result<usize, MergeError> {
    let row = parser.parse(line, record).map_err(MergeError::Invalid)?;
    merge(table, row, parser.header, &parser.place)
}

/// Counts a record's formula starts; the first record (the header) names the
/// columns of the rest.
fn scan_formulas(scan: &mut FormulaScan, titles: &mut Vec<String>, line: u64, record: &ByteRecord) {
    let header = titles.is_empty();
    for (i, field) in record.iter().enumerate() {
        scan.check(line, field, || column_name(titles, header, i));
    }
    if header {
        *titles = record
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
    }
}

/// A duplicate row that disagrees with an earlier one; the earlier row is
/// found by a second pass only when this happens, so reading keeps no
/// per-cell bookkeeping.
struct Conflict {
    line: u64,
    target: Target,
    /// The role column that disagrees, or `None` for the note.
    role: Option<(String, String)>,
    first: String,
    second: String,
}

impl Conflict {
    fn into_error(self, source: &Source, parser: &RowParser, place: &Place) -> CsvError {
        let role_code = self.role.as_ref().map(|(code, _)| code.as_str());
        let first_row = first_row_with(source, parser, place, &self.target, role_code).unwrap_or(0);
        let place = place.at_row(self.line);
        match self.role {
            Some((_, column)) => {
                place
                    .cell(&column, &self.second)
                    .error(CsvErrorKind::ConflictingValues {
                        first_row,
                        first: self.first,
                        second: self.second,
                        target: self.target.to_string(),
                    })
            }
            None => place
                .cell(vocab::NOTE, &self.second)
                .error(CsvErrorKind::ConflictingNotes {
                    first_row,
                    target: self.target.to_string(),
                }),
        }
    }
}

/// Adds a row to the table; a value or note that disagrees with an earlier
/// row is a conflict, an empty one never is.
fn merge(table: &mut Table, row: Row, header: &Header, place: &Place) -> Result<usize, MergeError> {
    let long_role = match &row.cells {
        Cells::Long(code, _) => Some(table.add_role(code.as_str()).map_err(|e| {
            MergeError::Invalid(
                place
                    .at_row(row.line)
                    .cell(vocab::ROLE, code)
                    .error(CsvErrorKind::Model(e)),
            )
        })?),
        Cells::Wide(_) => None,
    };
    let index = table.insert_target(row.target);
    let conflict = |role: Option<(String, String)>, first: &str, second: &str, table: &Table| {
        MergeError::Conflict(Box::new(Conflict {
            line: row.line,
            target: *table.target(index),
            role,
            first: first.to_string(),
            second: second.to_string(),
        }))
    };
    let current_note = table.note(index);
    if !row.note.is_empty() && row.note != current_note {
        if !current_note.is_empty() {
            return Err(conflict(None, current_note, &row.note, table));
        }
        table.set_note(index, &row.note);
    }
    let assignments: Vec<(usize, Value, &str)> = match row.cells {
        Cells::Wide(values) => values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i, v, header.role_titles[i].as_str()))
            .collect(),
        Cells::Long(_, value) => vec![(long_role.unwrap_or_default(), value, vocab::VALUE)],
    };
    for (role, value, column) in assignments {
        if value == Value::Unknown {
            continue;
        }
        if !table.is_unknown(index, role) {
            let before = table.cell_text(index, role).to_string();
            if before != value.to_text() {
                let code = table.roles().nth(role).unwrap_or_default().to_string();
                let second = value.to_text();
                return Err(conflict(
                    Some((code, column.to_string())),
                    &before,
                    &second,
                    table,
                ));
            }
        }
        table
            .set(index, role, &value)
            .expect("values were checked against the target when parsed");
    }
    Ok(index)
}

/// Why a row could not be merged into the table.
enum MergeError {
    /// It disagrees with an earlier row; the error is built once the
    /// earlier row is found.
    Conflict(Box<Conflict>),
    /// It cannot be in the table at all.
    Invalid(CsvError),
}

/// The first line holding a non-empty value (or note, when `role` is `None`) for `target`.
fn first_row_with(
    source: &Source,
    parser: &RowParser,
    place: &Place,
    target: &Target,
    role: Option<&str>,
) -> Option<u64> {
    let mut found = None;
    let mut header_seen = false;
    // Only earlier, already-read rows matter, and they parsed: errors are moot.
    let _ = source.each_record(place, |line, record| {
        if !std::mem::replace(&mut header_seen, true) {
            return Ok(true);
        }
        let Ok(row) = parser.parse(line, record) else {
            return Ok(true);
        };
        let holds = row.target == *target
            && match (&row.cells, role) {
                (_, None) => !row.note.is_empty(),
                (Cells::Wide(values), Some(code)) => parser
                    .header
                    .roles
                    .iter()
                    .position(|r| r == code)
                    .is_some_and(|i| values[i] != Value::Unknown),
                (Cells::Long(code, value), Some(wanted)) => {
                    code == wanted && *value != Value::Unknown
                }
            };
        if holds {
            found = Some(line);
        }
        Ok(!holds)
    });
    found
}

/// Reads the wide layout exactly as [`write()`] writes it, normalising
/// nothing: names, role codes, values and notes are taken as written, so
/// any table comes back equal to the one written, whatever its names (the
/// lossless path behind pickling). Returns the table; text sgperms did not
/// write may be refused where [`read`] would accept it.
pub fn read_canonical(data: &[u8]) -> Result<Table, CsvError> {
    let place = Place::default();
    let mut reader = ReaderBuilder::new().has_headers(false).from_reader(data);
    let mut records = reader.records();
    let syntax = |e: csv::Error| {
        let row = e.position().map(csv::Position::line);
        Place {
            row,
            ..Place::default()
        }
        .error(CsvErrorKind::Syntax(e.to_string()))
    };
    let header = match records.next() {
        Some(header) => header.map_err(syntax)?,
        None => {
            return Err(place
                .at_row(1)
                .column(vocab::KIND)
                .error(CsvErrorKind::Empty))
        }
    };
    let roles = header.len().saturating_sub(KEY_COLUMNS.len() + 1);
    let canonical = header.len() > KEY_COLUMNS.len()
        && header.iter().take(KEY_COLUMNS.len()).eq(KEY_COLUMNS)
        && header.get(header.len() - 1) == Some(vocab::NOTE);
    if !canonical {
        let missing = KEY_COLUMNS.to_vec();
        return Err(place.at_row(1).error(CsvErrorKind::MissingColumns(missing)));
    }
    let role_codes = header.iter().skip(KEY_COLUMNS.len()).take(roles);
    let mut table =
        Table::with_roles(role_codes).map_err(|e| place.at_row(1).error(CsvErrorKind::Model(e)))?;
    for record in records {
        let record = record.map_err(syntax)?;
        let place = place.at_row(record.position().map_or(0, csv::Position::line));
        let [kind, entity_type, name, action] = [0, 1, 2, 3].map(|i| &record[i]);
        let unknown = |column: &str, text: &str, e: NormalizeError| {
            place.cell(column, text).error(CsvErrorKind::Normalize(e))
        };
        let kind = Kind::from_canonical(kind)
            .ok_or_else(|| unknown(vocab::KIND, kind, NormalizeError::Kind(kind.into())))?;
        let action = Action::from_canonical(action)
            .ok_or_else(|| unknown(vocab::ACTION, action, NormalizeError::Action(action.into())))?;
        let target = Target::new(kind, entity_type, name, action)
            .map_err(|e| place.clone().error(CsvErrorKind::Model(e)))?;
        let row = table.insert_target(target);
        for (role, text) in record
            .iter()
            .skip(KEY_COLUMNS.len())
            .take(roles)
            .enumerate()
        {
            let column = &header[KEY_COLUMNS.len() + role];
            let value = Value::from_canonical(text)
                .ok_or_else(|| unknown(column, text, NormalizeError::Value(text.into())))?;
            table
                .set(row, role, &value)
                .map_err(|e| place.cell(column, text).error(CsvErrorKind::Model(e)))?;
        }
        table.set_note(row, &record[record.len() - 1]);
    }
    Ok(table)
}

/// Writes a table in canonical form: UTF-8, LF, rows in canonical order,
/// roles in table order, every field quoted only where needed.
pub fn write(table: &Table, layout: Layout) -> String {
    let mut writer = WriterBuilder::new()
        .terminator(Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(estimate_size(table, layout)));
    let result = match layout {
        Layout::Wide => write_wide(table, &mut writer),
        Layout::Long => write_long(table, &mut writer),
    };
    result.expect("writing to memory cannot fail");
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("every field written is a str")
}

fn estimate_size(table: &Table, layout: Layout) -> usize {
    let rows = match layout {
        Layout::Wide => table.len(),
        Layout::Long => table.len() * table.role_count(),
    };
    rows * (40 + 4 * table.role_count().min(8))
}

type CsvWriter = csv::Writer<Vec<u8>>;

fn write_wide(table: &Table, w: &mut CsvWriter) -> csv::Result<()> {
    let mut header = KEY_COLUMNS.to_vec();
    header.extend(table.roles());
    header.push(vocab::NOTE);
    w.write_record(&header)?;
    let mut record: Vec<&str> = Vec::with_capacity(header.len());
    for row in table.sorted_rows() {
        record.clear();
        record.extend(table.target(row).key());
        record.extend((0..table.role_count()).map(|role| table.cell_text(row, role)));
        record.push(table.note(row));
        w.write_record(&record)?;
    }
    Ok(())
}

/// One cell as a long-layout record, fields in [`LONG_HEADER`] order.
pub fn long_record<'t>(
    table: &'t Table,
    roles: &[&'t str],
    row: usize,
    role: usize,
) -> [&'t str; 7] {
    let [kind, entity_type, name, action] = table.target(row).key();
    [
        roles[role],
        kind,
        entity_type,
        name,
        action,
        table.cell_text(row, role),
        table.note(row),
    ]
}

/// Every (row, role) pair in canonical long-layout order.
pub fn long_cells(table: &Table) -> impl Iterator<Item = (usize, usize)> {
    let roles = table.role_count();
    table
        .sorted_rows()
        .into_iter()
        .flat_map(move |row| (0..roles).map(move |role| (row, role)))
}

/// One column as categories: its distinct texts in order of first
/// appearance, and each cell's index into them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Categorical<'t> {
    /// The distinct texts, in order of first appearance.
    pub categories: Vec<&'t str>,
    /// One index into `categories` per cell.
    pub codes: Vec<i32>,
}

impl<'t> Categorical<'t> {
    /// `texts` as categories (in order of first appearance) and one code each.
    pub fn of(texts: impl IntoIterator<Item = &'t str>) -> Categorical<'t> {
        let mut index: HashMap<&str, i32> = HashMap::new();
        let mut out = Categorical::default();
        let mut last: Option<(&str, i32)> = None;
        for text in texts {
            // Sorted targets repeat their kind, entity type, name and note
            // row after row: comparing with the last text spares most hashes.
            let code = match last {
                Some((same, code)) if same == text => code,
                _ => *index.entry(text).or_insert_with(|| {
                    out.categories.push(text);
                    out.categories.len() as i32 - 1
                }),
            };
            last = Some((text, code));
            out.codes.push(code);
        }
        out
    }

    /// The same categories with each code repeated `times` times in a row:
    /// a per-target column spread over the target's cells.
    fn repeated(&self, times: usize) -> Categorical<'t> {
        Categorical {
            categories: self.categories.clone(),
            codes: self
                .codes
                .iter()
                .flat_map(|&code| std::iter::repeat_n(code, times))
                .collect(),
        }
    }
}

/// The table as categorical columns, targets in canonical order: what data
/// frames and Arrow are built from, without a string per cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedTable<'t> {
    /// One column per [`KEY_COLUMNS`] field, one code per target.
    pub keys: [Categorical<'t>; 4],
    /// The notes, one code per target.
    pub notes: Categorical<'t>,
    /// The canonical texts of the cells, one code per cell, row after row
    /// (the long layout's order): one set of categories for every role.
    pub values: Categorical<'t>,
}

/// The table as [`CodedTable`] columns. Cells are coded through the table's
/// own cell codes, so only targets are hashed, not cells.
pub fn coded(table: &Table) -> CodedTable<'_> {
    let rows = table.sorted_rows();
    let key = |i: usize| Categorical::of(rows.iter().map(|&row| table.target(row).key()[i]));
    let mut values = Categorical::default();
    values.codes.reserve_exact(rows.len() * table.role_count());
    // The category of each cell code, -1 until the code is first met.
    let mut category_of: Vec<i32> = Vec::new();
    for &row in &rows {
        for (role, &code) in table.row_codes(row).iter().enumerate() {
            let code = code as usize;
            if code >= category_of.len() {
                category_of.resize(code + 1, -1);
            }
            if category_of[code] < 0 {
                category_of[code] = values.categories.len() as i32;
                values.categories.push(table.cell_text(row, role));
            }
            values.codes.push(category_of[code]);
        }
    }
    CodedTable {
        keys: [key(0), key(1), key(2), key(3)],
        notes: Categorical::of(rows.iter().map(|&row| table.note(row))),
        values,
    }
}

/// The long layout as columns, one per [`LONG_HEADER`] field, for a data
/// frame: a big table holds few distinct texts, so codes are far cheaper
/// than a string per cell. Categories are in order of first appearance in
/// the long layout.
pub fn long_columns(table: &Table) -> Vec<Categorical<'_>> {
    let roles = table.role_count();
    if roles == 0 || table.is_empty() {
        return vec![Categorical::default(); LONG_HEADER.len()];
    }
    let coded = coded(table);
    let role = Categorical {
        categories: table.roles().collect(),
        codes: (0..table.len()).flat_map(|_| 0..roles as i32).collect(),
    };
    let [kind, entity_type, name, action] = coded.keys.map(|key| key.repeated(roles));
    vec![
        role,
        kind,
        entity_type,
        name,
        action,
        coded.values,
        coded.notes.repeated(roles),
    ]
}

fn write_long(table: &Table, w: &mut CsvWriter) -> csv::Result<()> {
    w.write_record(LONG_HEADER)?;
    let roles: Vec<&str> = table.roles().collect();
    for (row, role) in long_cells(table) {
        w.write_record(long_record(table, &roles, row, role))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Kind};
    use proptest::prelude::*;

    fn read_str(text: &str) -> Result<(Table, Layout), CsvError> {
        read(text.as_bytes(), &ReadOptions::default())
    }

    fn err(text: &str) -> CsvError {
        read_str(text).unwrap_err()
    }

    #[test]
    fn no_role_takes_a_column_name() {
        for (alias, _) in vocab::ALIASES {
            assert!(key_column(alias).is_some(), "{alias}");
            assert!(Table::with_roles([alias]).is_err(), "{alias}");
        }
    }

    #[test]
    fn messy_input_is_normalised() {
        let text = "\u{feff}sep=;\r\nKind;Entity Type;Name;Action;artist;Note;;\r\n\
                    entity;Shots;;delete;✓;\"a; b\";;\r\n\
                    Fields;shot;sg_status_list;Edit;Default;;;\r\n";
        let (table, layout) = read_str(text).unwrap();
        assert_eq!(layout, Layout::Wide);
        assert_eq!(
            write(&table, Layout::Wide),
            "kind,entity_type,name,action,artist,note\n\
             entity,Shot,,retire,yes,a; b\n\
             field,Shot,sg_status_list,edit,inherit,\n"
        );
        let tabbed = "kind\tentity_type\tname\taction\tartist\nentity\tAsset\t\tsee\tTRUE\n";
        assert_eq!(read_str(tabbed).unwrap().0.cell_text(0, 0), "yes");
        let old_mac =
            "sep=;\rkind;entity_type;name;action;a\rentity;Shot;;see;x\rentity;Asset;;see;maybe\r";
        let e = err(old_mac);
        assert_eq!((e.row, e.value.as_deref()), (Some(4), Some("maybe")));
    }

    #[test]
    fn errors_name_row_column_and_value() {
        let e = err(
            "kind,entity_type,name,action,artist\nentity,Asset,,see,yes\nentity,Shot,,see,maybe\n",
        );
        assert_eq!(
            (e.row, e.column.as_deref(), e.value.as_deref()),
            (Some(3), Some("artist"), Some("maybe"))
        );
        assert!(
            e.to_string()
                .starts_with("row 3, column \"artist\": unknown value \"maybe\""),
            "{e}"
        );

        let e =
            err("kind,entity_type,name,action,a\nentity,Asset,,see,yes\n\nentity,Asset,,see,no\n");
        assert_eq!(e.row, Some(4));
        assert!(
            e.to_string()
                .contains("row 2 says \"yes\", this row says \"no\""),
            "{e}"
        );

        let e = err(
            "kind,entity_type,name,action,a,note\nentity,Asset,,see,yes,x\nentity,Asset,,see,,y\n",
        );
        assert!(
            matches!(e.kind, CsvErrorKind::ConflictingNotes { first_row: 2, .. }),
            "{e}"
        );

        let e = err("kind,entity_type,name,action,a\nentity,Asset,,see\n");
        assert_eq!(
            e.kind,
            CsvErrorKind::Ragged {
                expected: 5,
                found: 4,
                open_quote: false
            }
        );
        assert_eq!(e.column.as_deref(), Some("a"));
        let e = err("kind,entity_type,name,action,a,note\nentity,Asset,,see,yes,\"open\nentity,Shot,,see,yes,\n");
        assert_eq!(
            (e.kind.clone(), e.row),
            (CsvErrorKind::UnclosedQuote, Some(2))
        );
        let e = err("kind,entity_type,name,action,a,note\nentity,Asset,,see,yes,\"a\"\"b\nentity,Shot,,see,yes,\"c\"\n");
        assert_eq!(
            (e.kind.clone(), e.row),
            (CsvErrorKind::UnclosedQuote, Some(3))
        );
        let e = err("kind,entity_type,name,action,a\nentity,Asset,,see,yes,surprise\n");
        assert!(matches!(e.kind, CsvErrorKind::Ragged { .. }), "{e}");
        assert_eq!(err("").kind, CsvErrorKind::Empty);
        assert_eq!(err("\u{feff}\r\n  \n").kind, CsvErrorKind::Empty);
        assert_eq!(
            err("role,value\n").kind,
            CsvErrorKind::MissingColumns(vec!["kind", "entity_type", "name", "action"])
        );
        let e = read(
            b"kind,entity_type,name,action,a\nentity,Asset,,see,\xff\n",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind.clone(), e.row, e.column.as_deref()),
            (CsvErrorKind::InvalidUtf8, Some(2), Some("a"))
        );
        let e = err("kind,entity_type,name,action,a\nentity,Asset,,see,inherit\n");
        assert!(e.to_string().contains("only to field rows"), "{e}");
        let e = err("kind,entity_type,name,action,a\nentity,Asset,code,see,yes\n");
        assert_eq!(e.column.as_deref(), Some("name"));
        let e = err("kind,entity_type,name,action,a,a\n");
        assert!(
            matches!(e.kind, CsvErrorKind::DuplicateColumn { first: 5 }),
            "{e}"
        );
    }

    #[test]
    fn long_layout_round_trip_and_duplicates() {
        let text = "role,kind,entity_type,name,action,value,note\n\
                    artist,entity,Asset,,see,yes,why\n\
                    admin,entity,Asset,,see,yes,why\n\
                    artist,entity,Asset,,see,Y,\n";
        let (table, layout) = read_str(text).unwrap();
        assert_eq!(layout, Layout::Long);
        assert_eq!(table.roles().collect::<Vec<_>>(), ["artist", "admin"]);
        let e = err("role,kind,entity_type,name,action,value\nnote,entity,Asset,,see,yes\n");
        assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("role")));
        let e = err("role,kind,entity_type,name,action,value,extra\n");
        assert_eq!(e.kind, CsvErrorKind::UnexpectedColumn);
    }

    #[test]
    fn schema_resolves_and_rejects() {
        use crate::schema::{EntitySchema, FieldSchema};
        let schema = Schema::new(vec![EntitySchema {
            code: "Shot".into(),
            display_name: "Shot".into(),
            fields: vec![FieldSchema {
                code: "sg_status_list".into(),
                display_name: "Status".into(),
                data_type: "status_list".into(),
            }],
        }]);
        let opts = ReadOptions {
            schema: Some(&schema),
            path: Some("perms.csv".into()),
            ..Default::default()
        };
        let (t, _) = read(
            b"kind,entity_type,name,action,a\nfield,Shots,Status,see,yes\n",
            &opts,
        )
        .unwrap();
        let target = Target::new(Kind::Field, "Shot", "sg_status_list", Action::See).unwrap();
        assert_eq!(t.get(&target, 0), Value::Yes);
        let e = read(
            b"kind,entity_type,name,action,a\nfield,Shot,Budget,see,yes\n",
            &opts,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "perms.csv, row 2, column \"name\": unknown field \"Budget\" on Shot; expected a field code \
             or display name of Shot from the schema"
        );
    }

    prop_compose! {
        fn role_codes()(codes in prop::collection::btree_set("[a-zé][a-z0-9_é]{0,6}", 0..5)) -> Vec<String> {
            codes.into_iter().filter(|c| !vocab::is_reserved(c)).collect()
        }
    }

    /// Names that no normalisation rewrites: canonical already.
    fn name() -> impl Strategy<Value = String> {
        "[a-zé漢]([a-z0-9_ é漢,\"]{0,8}[a-z0-9é漢\"])?"
    }

    fn entity_type() -> impl Strategy<Value = String> {
        "Zz[a-zA-Zé漢ß0-9]{0,5}"
    }

    fn target() -> impl Strategy<Value = Target> {
        (0usize..4, entity_type(), name(), 0usize..4).prop_map(|(k, et, name, a)| {
            let kind = Kind::ALL[k];
            let actions = kind.actions();
            let action = actions[a % actions.len()];
            match kind {
                Kind::Entity => Target::new(kind, et, "", action),
                Kind::Field => Target::new(kind, et, name, action),
                _ => Target::new(kind, "", name, action),
            }
            .unwrap()
        })
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Unknown),
            Just(Value::Yes),
            Just(Value::No),
            Just(Value::Inherit),
            "[a-zA-Z0-9 ,\"\n\r漢é-]{0,12}[a-z漢]".prop_map(Value::If),
        ]
    }

    fn note() -> impl Strategy<Value = String> {
        "[a-z ,;\"\n\r\t漢é✓]{0,15}"
    }

    prop_compose! {
        fn table()(
            roles in role_codes(),
            rows in prop::collection::vec((target(), note(), prop::collection::vec(value(), 5)), 0..12),
        ) -> Table {
            let mut t = Table::with_roles(roles).unwrap();
            for (target, note, values) in rows {
                let is_field = target.kind() == Kind::Field;
                let row = t.insert_target(target);
                t.set_note(row, &note);
                for (role, value) in values.iter().enumerate().take(t.role_count()) {
                    let v = match value {
                        Value::Inherit if !is_field => Value::No,
                        v => v.clone(),
                    };
                    t.set(row, role, &v).unwrap();
                }
            }
            t
        }
    }

    proptest! {
        #[test]
        fn wide_round_trip(t in table()) {
            let text = write(&t, Layout::Wide);
            let (back, layout) = read_str(&text).unwrap();
            prop_assert_eq!(layout, Layout::Wide);
            prop_assert_eq!(&back, &t);
            prop_assert_eq!(write(&back, Layout::Wide), text);
        }

        #[test]
        fn long_round_trip(t in table()) {
            let text = write(&t, Layout::Long);
            let (back, _) = read(text.as_bytes(), &ReadOptions { layout: Some(Layout::Long), ..Default::default() }).unwrap();
            prop_assert_eq!(write(&back, Layout::Long), text.clone());
            if t.role_count() > 0 && !t.is_empty() {
                prop_assert_eq!(&back, &t);
                // wide -> long -> wide is lossless.
                prop_assert_eq!(write(&back, Layout::Wide), write(&t, Layout::Wide));
            } else {
                // The long layout carries roles and targets only through its
                // cells: with no cells, nothing survives (documented).
                prop_assert!(back.is_empty() && back.role_count() == 0);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = read(&data, &ReadOptions::default());
        }

        #[test]
        fn mutated_csv_never_panics(t in table(), cut in any::<prop::sample::Index>(), junk in prop::collection::vec(any::<u8>(), 0..8)) {
            let mut bytes = write(&t, Layout::Wide).into_bytes();
            let at = cut.index(bytes.len() + 1);
            bytes.splice(at..at, junk);
            if let Err(e) = read(&bytes, &ReadOptions::default()) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    /// Reads `data` both ways; when the fast path reads it, the general
    /// path must read the same table, layout and formula count.
    fn fast_agrees(data: &[u8], opts: &ReadOptions) -> Result<bool, TestCaseError> {
        let place = Place {
            path: opts.path.clone(),
            ..Place::default()
        };
        let names = names_for(opts);
        let Ok(source) = Source::new(data, &place) else {
            return Ok(false);
        };
        let general = read_general(&source, &names, &place, opts.layout);
        let Some((table, layout, formulas)) = fast::read(&source, &names, &place, opts.layout)
        else {
            return Ok(false);
        };
        let (expected, expected_layout, expected_formulas) = general.map_err(|e| {
            TestCaseError::fail(format!(
                "the fast path read what the general path refuses: {e}"
            ))
        })?;
        prop_assert_eq!(&table, &expected);
        prop_assert_eq!(layout, expected_layout);
        prop_assert_eq!(formulas, expected_formulas);
        let targets = |t: &Table| {
            (0..t.len())
                .map(|i| t.target(i).to_string())
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(targets(&table), targets(&expected));
        let notes = |t: &Table| {
            (0..t.len())
                .map(|i| t.note(i).to_string())
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(notes(&table), notes(&expected));
        // Codes are process-wide: both paths must give every cell the same one.
        let codes = |t: &Table| {
            (0..t.len())
                .flat_map(|r| t.row_codes(r).to_vec())
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(codes(&table), codes(&expected));
        Ok(true)
    }

    /// Bytes that make CSV unusual: quotes, line ends, BOMs, delimiters,
    /// spellings to normalise, formulas, controls and broken UTF-8.
    fn odd_bytes() -> impl Strategy<Value = Vec<u8>> {
        let tokens: Vec<&'static [u8]> = vec![
            b"\"",
            b"\"\"",
            b"\r\n",
            b"\r",
            b"\n",
            b"\n\n",
            b"\xEF\xBB\xBF",
            b",",
            b";",
            b"\t",
            b" ",
            b"",
            b"Yes",
            "\u{2713}".as_bytes(),
            b"=1+2",
            b"-x",
            b"+1",
            b"@a",
            b"if x",
            b"if ",
            b"IF y ",
            b"inherit",
            "\u{FE0F}".as_bytes(),
            b"\xff",
            b"Shots",
            b"Fields",
            b"entity",
            b"field",
            b"app",
            b"no",
            b"yes",
            b"see",
            b"delete",
            b"sep=;\n",
            b"\0",
            "\u{a0}".as_bytes(),
            b"a,b",
            b"\",x\"",
            b"x\"y",
        ];
        prop_oneof![
            prop::sample::select(tokens).prop_map(<[u8]>::to_vec),
            prop::collection::vec(any::<u8>(), 1..4),
        ]
    }

    /// Edits to a CSV: insert bytes, delete a range, or repeat a line.
    #[derive(Debug, Clone)]
    enum Edit {
        Insert(prop::sample::Index, Vec<u8>),
        Delete(prop::sample::Index, usize),
        RepeatLine(prop::sample::Index),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            3 => (any::<prop::sample::Index>(), odd_bytes()).prop_map(|(at, b)| Edit::Insert(at, b)),
            1 => (any::<prop::sample::Index>(), 1usize..6).prop_map(|(at, n)| Edit::Delete(at, n)),
            1 => any::<prop::sample::Index>().prop_map(Edit::RepeatLine),
        ]
    }

    fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
        match edit {
            Edit::Insert(at, junk) => {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, junk.iter().copied());
            }
            Edit::Delete(at, n) => {
                let at = at.index(bytes.len() + 1);
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::RepeatLine(at) => {
                let at = at.index(bytes.len() + 1);
                let start = bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| at + i + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(end..end, line);
            }
        }
    }

    fn test_schema() -> Schema {
        use crate::schema::{EntitySchema, FieldSchema};
        let field = |code: &str, display_name: &str| FieldSchema {
            code: code.into(),
            display_name: display_name.into(),
            data_type: "text".into(),
        };
        Schema::new(vec![
            EntitySchema {
                code: "Shot".into(),
                display_name: "Shot".into(),
                fields: vec![
                    field("sg_status_list", "Status"),
                    field("code", "Shot Code"),
                ],
            },
            EntitySchema {
                code: "CustomEntity01".into(),
                display_name: "Zz".into(),
                fields: vec![field("zz", "Zz Field")],
            },
        ])
    }

    /// Hand-written files in the spellings people use.
    const MESSY: &[&str] = &[
        "\u{feff}sep=;\r\nKind;Entity Type;Name;Action;artist;Note;;\r\nentity;Shots;;delete;\u{2713};\"a; b\";;\r\nFields;shot;sg_status_list;Edit;Default;;;\r\n",
        "kind\tentity_type\tname\taction\tartist\nentity\tAsset\t\tsee\tTRUE\n",
        "kind,entity_type,name,action,a,b,note\nentity,Shot,,see,yes,if on set,n\nfield,Shot,Status,see,inherit,,\nfield,Shot,sg_status_list,edit,no,\"if \"\"x\"\"\",\"q \"\"r\"\"\"\napp,,Media,see,yes,no,\n",
        "role,kind,entity_type,name,action,value,note\na,entity,Shot,,see,yes,n\nb,entity,Shot,,see,if x,n\na,field,Shot,code,see,inherit,\nb,field,Shot,code,see,,\na,entity,Shot,,see,yes,\n",
        "kind,entity_type,name,action,a,note\r\n\r\nentity,=Shot,,see,yes,\"two\r\nlines\"\r\n \r\napp,,-cmd,see,no,@x\r\nadvanced,,+r,allow,,\t\r",
    ];

    proptest! {
        // At least 512 cases; more when PROPTEST_CASES asks for more.
        #![proptest_config(ProptestConfig {
            cases: ProptestConfig::default().cases.max(512),
            ..ProptestConfig::default()
        })]

        #[test]
        fn the_fast_path_agrees_with_the_general_path(
            t in table(),
            long in any::<bool>(),
            messy in prop::sample::select(MESSY),
            from_table in any::<bool>(),
            edits in prop::collection::vec(edit(), 0..4),
            // Names a schema or roles do not know are errors, which the
            // fast path leaves to the general one: most cases go without.
            with_schema in prop::bool::weighted(0.25),
            with_roles in prop::bool::weighted(0.25),
            lenient in any::<bool>(),
            forced in prop::sample::select(vec![None, Some(Layout::Wide), Some(Layout::Long)]),
        ) {
            let mut bytes = if from_table {
                write(&t, if long { Layout::Long } else { Layout::Wide }).into_bytes()
            } else {
                messy.as_bytes().to_vec()
            };
            for e in &edits {
                apply(&mut bytes, e);
            }
            let schema = test_schema();
            let roles = [("a", "Artist"), ("b", "B Role"), ("Artist", "Lead")].map(|(code, name)| Role {
                code: code.into(),
                display_name: name.into(),
            });
            let opts = ReadOptions {
                schema: with_schema.then_some(&schema),
                roles: with_roles.then_some(&roles[..]),
                lenient,
                layout: forced,
                ..Default::default()
            };
            fast_agrees(&bytes, &opts)?;
        }
    }

    #[test]
    fn the_fast_path_reads_every_file_sgperms_writes() {
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&(table(), any::<bool>()), |(t, long)| {
                let layout = if long { Layout::Long } else { Layout::Wide };
                let text = write(&t, layout);
                prop_assert!(fast_agrees(text.as_bytes(), &ReadOptions::default())?);
                Ok(())
            })
            .unwrap();
        for text in MESSY {
            let schema = test_schema();
            let opts = ReadOptions {
                schema: Some(&schema),
                lenient: true,
                ..Default::default()
            };
            assert!(fast_agrees(text.as_bytes(), &opts).unwrap(), "{text}");
        }
    }

    #[test]
    fn the_canonical_reader_takes_every_table_back_unchanged() {
        // Two roles a header could not hold side by side, and names the
        // normalising reader would resolve or trim.
        let mut t = Table::with_roles(["artist", "Artist"]).unwrap();
        for (target, value) in [
            (
                Target::new(Kind::Entity, "People", "", Action::See).unwrap(),
                Value::Yes,
            ),
            (
                Target::new(Kind::Field, "Shots", " padded ", Action::Edit).unwrap(),
                Value::Inherit,
            ),
            (
                Target::new(Kind::App, "", "a, \"b\"\nc", Action::See).unwrap(),
                Value::If("x\ny".into()),
            ),
        ] {
            let row = t.insert_target(target);
            t.set(row, 1, &value).unwrap();
            t.set_note(row, "note, with \"quotes\"\nand lines");
        }
        let text = write(&t, Layout::Wide);
        assert_eq!(read_canonical(text.as_bytes()).unwrap(), t);
        let empty = Table::with_roles(["a"]).unwrap();
        assert_eq!(
            read_canonical(write(&empty, Layout::Wide).as_bytes()).unwrap(),
            empty
        );

        let err =
            read_canonical(b"kind,entity_type,name,action,a,note\nentity,Asset,,delete,yes,\n")
                .unwrap_err();
        assert_eq!((err.row, err.kind.kind()), (Some(2), "unknown_action"));
        let err = read_canonical(b"Kind,entity_type,name,action,note\n").unwrap_err();
        assert_eq!(err.kind.kind(), "missing_columns");
        let err = read_canonical(b"kind,entity_type,name,action,a,note\nentity,Asset,,see\n")
            .unwrap_err();
        assert_eq!(err.kind.kind(), "syntax");
    }

    #[test]
    fn long_columns_hold_the_long_records_as_codes() {
        let (t, _) = read_str(
            "kind,entity_type,name,action,a,b,note\nentity,Asset,,see,yes,no,n\nentity,Shot,,see,yes,,\n",
        )
        .unwrap();
        let columns = long_columns(&t);
        assert_eq!(columns.len(), LONG_HEADER.len());
        let roles: Vec<&str> = t.roles().collect();
        for (i, (row, role)) in long_cells(&t).enumerate() {
            let record = long_record(&t, &roles, row, role);
            for (column, text) in columns.iter().zip(record) {
                assert_eq!(column.categories[column.codes[i] as usize], text);
            }
        }
        assert_eq!(columns[5].categories, ["yes", "no", ""]);
    }

    #[test]
    fn long_columns_are_categories_of_the_long_records_in_order_of_appearance() {
        let text = "kind,entity_type,name,action,b,a,c,note\n\
                    field,Shot,code,edit,inherit,if x,,\u{1}é\n\
                    entity,Shot,,see,if x,if y,no,n\n\
                    entity,Asset,,see,,yes,if y,n\n";
        let (t, _) = read_str(text).unwrap();
        let roles: Vec<&str> = t.roles().collect();
        let records: Vec<[&str; 7]> = long_cells(&t)
            .map(|(row, role)| long_record(&t, &roles, row, role))
            .collect();
        let expected: Vec<Categorical> = (0..LONG_HEADER.len())
            .map(|i| Categorical::of(records.iter().map(|r| r[i])))
            .collect();
        assert_eq!(long_columns(&t), expected);
        for roles in [&[][..], &["a"][..]] {
            let empty = Table::with_roles(roles.iter().copied()).unwrap();
            assert_eq!(long_columns(&empty), vec![Categorical::default(); 7]);
        }
        let no_roles = t.reshaped(&[], |_| true).unwrap();
        assert_eq!(long_columns(&no_roles), vec![Categorical::default(); 7]);
    }
}
