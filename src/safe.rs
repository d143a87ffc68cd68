//! Output that is safe where people open it.
//!
//! - **Spreadsheets.** A cell that starts with `=`, `+`, `-`, `@`, a tab or a
//!   carriage return runs as a formula when a CSV is opened in Excel,
//!   LibreOffice or Google Sheets (OWASP "CSV Injection"). CSVs that sgperms
//!   writes for people and never reads back ([`spreadsheet_csv`]) prefix such
//!   a cell with a single quote `'`, as OWASP recommends. Two kinds of cell
//!   are left as they are, because a spreadsheet reads them as a value and
//!   never as a formula, and a quote would turn a number into text: a sign
//!   alone (`-`, `+`) and a sign followed by a plain decimal number (`-1`,
//!   `+2.5`). Tables that sgperms reads back stay byte-lossless; reading
//!   them counts such cells ([`FormulaScan`]) so that the reader can warn.
//! - **Markdown** ([`markdown_text`], [`markdown_code`]): text from a site or
//!   a table renders on GitHub as the literal text: no HTML, links, images,
//!   emphasis, table cells, headings, quotes or list items of its own.
//! - **Terminals** ([`visible_controls`]): ANSI escapes, C0 and C1 controls,
//!   bidirectional overrides and invisible characters are shown as `\x1b`,
//!   `\u202e`, ... instead of acting on the terminal.
//! - **JSON** ([`json_controls`]): the same characters are `\u` escapes, so
//!   JSON printed to a terminal is safe and still decodes to the exact data.
//!
//! ```
//! use sgperms::safe::{neutralise, markdown_text, visible_controls};
//!
//! assert_eq!(neutralise("=HYPERLINK(\"http://evil\",\"click\")"), "'=HYPERLINK(\"http://evil\",\"click\")");
//! assert_eq!(neutralise("-1"), "-1");
//! assert_eq!(markdown_text("<script>"), "\\<script\\>");
//! assert_eq!(visible_controls("\x1b[31mred", true), "\\x1b[31mred");
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a spreadsheet would run this cell as a formula: it starts with
/// `=`, `@`, a tab, a carriage return, or `+`/`-` followed by anything but a
/// plain decimal number (`-1`, `+2.5`; a sign alone is not a formula either).
pub fn is_formula(cell: &str) -> bool {
    is_formula_bytes(cell.as_bytes())
}

/// [`is_formula`] on the raw bytes of a CSV field.
pub fn is_formula_bytes(cell: &[u8]) -> bool {
    let Some((&first, rest)) = cell.split_first() else {
        return false;
    };
    match first {
        b'=' | b'@' | b'\t' | b'\r' => true,
        b'+' | b'-' => !(rest.is_empty() || is_plain_number(rest)),
        _ => false,
    }
}

/// Digits, optionally followed by `.` and more digits: `1`, `25`, `0.5`.
fn is_plain_number(text: &[u8]) -> bool {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    digits(whole) && fraction.is_none_or(digits)
}

/// The cell as a spreadsheet should get it: a formula start is prefixed with
/// a single quote (OWASP); every other cell is returned unchanged.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if is_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Rows as CSV for people to open in a spreadsheet (and never read back):
/// UTF-8, LF line ends, comma-separated, fields quoted only where needed
/// (RFC 4180), every cell [`neutralise`]d. Rows may differ in length.
pub fn spreadsheet_csv<R, C>(rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    // The csv crate quotes exactly where RFC 4180 needs it; writing into a
    // Vec cannot fail, so nothing here can panic or be lost.
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        let _ = writer.write_record(&cells);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // Every cell came in as UTF-8 text, so the bytes are UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The first cell a spreadsheet would run as a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaCell {
    /// The line as an editor shows it.
    pub row: u64,
    /// The column's header, or `column N` in the header row itself.
    pub column: String,
    /// The cell's text.
    pub value: String,
}

/// Cells of a table that a spreadsheet would run as formulas: how many, and
/// the first. Reading keeps them exactly as written; this is for a warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormulaScan {
    /// How many cells start like a formula.
    pub count: usize,
    /// The first of them.
    pub first: Option<FormulaCell>,
}

impl FormulaScan {
    /// Counts `cell` when it is a formula start; `column` names its column
    /// (called only for the first one found).
    pub fn check(&mut self, row: u64, cell: &[u8], column: impl FnOnce() -> String) {
        if !is_formula_bytes(cell) {
            return;
        }
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(FormulaCell {
                row,
                column: column(),
                value: String::from_utf8_lossy(cell).into_owned(),
            });
        }
    }

    /// Scans every field of a CSV with a header row (comma-separated, as
    /// sgperms writes roles.csv, users.csv and history.csv). A CSV that does
    /// not parse is scanned up to the error: its reader reports the error.
    pub fn csv(data: &[u8]) -> FormulaScan {
        let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        let mut scan = FormulaScan::default();
        let mut titles: Vec<String> = Vec::new();
        let mut record = csv::ByteRecord::new();
        while let Ok(true) = reader.read_byte_record(&mut record) {
            let row = record.position().map_or(0, |p| p.line());
            let header = titles.is_empty();
            for (i, field) in record.iter().enumerate() {
                scan.check(row, field, || column_name(&titles, header, i));
            }
            if header {
                titles = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).trim().to_string())
                    .collect();
            }
        }
        scan
    }

    /// One line for a warning, naming the file (or "the CSV text"), the
    /// first such cell's row and column and how many there are; `None` when
    /// there are none.
    pub fn message(&self, path: Option<&str>) -> Option<String> {
        let first = self.first.as_ref()?;
        let mut value: String = first.value.chars().take(40).collect();
        if value.len() < first.value.len() {
            value.push('…');
        }
        let text = format!(
            "{}: {} a spreadsheet would run as {} (starting with =, +, -, @, a tab or a carriage return), \
             first at row {}, column {}: {:?}; sgperms keeps {} exactly as written: check {} before opening the file in a spreadsheet",
            path.unwrap_or("the CSV text"),
            if self.count == 1 { "1 cell".to_string() } else { format!("{} cells", self.count) },
            if self.count == 1 { "a formula" } else { "formulas" },
            first.row,
            first.column,
            value,
            if self.count == 1 { "it" } else { "them" },
            if self.count == 1 { "it" } else { "them" },
        );
        Some(visible_controls(&text, true).into_owned())
    }
}

/// How a column is named in a formula warning.
pub fn column_name(titles: &[String], header_row: bool, index: usize) -> String {
    match titles.get(index) {
        Some(title) if !header_row && !title.is_empty() => title.clone(),
        _ => format!("column {}", index + 1),
    }
}

/// Characters that act on a terminal or hide text, always shown escaped:
/// C0 controls but tab and line feed, DEL, C1 controls (U+009B is an ANSI
/// escape on its own), bidirectional marks and overrides, zero-width space,
/// word joiner and invisible operators, line and paragraph separators, the
/// byte order mark and interlinear annotation marks.
fn always_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200b}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}'
        | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Zero-width (non-)joiners belong between two non-ASCII characters (emoji
/// sequences, Persian, Indic scripts); next to ASCII they only hide.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200c}' | '\u{200d}')
}

fn joiner_hides(prev: Option<char>, next: Option<char>) -> bool {
    let visible = |c: char| !c.is_ascii() && !always_hidden(c);
    !matches!((prev, next), (Some(p), Some(n)) if visible(p) && visible(n))
}

/// Text for a terminal: every character that could act on it or hide text
/// (see the module's list) shown as `\xNN` or `\uNNNN`, carriage return as
/// `\r`; with `one_line`, line feeds as `\n` too. Tabs are kept. Returns the
/// text unchanged (borrowed) when there is nothing to show.
pub fn visible_controls(text: &str, one_line: bool) -> Cow<'_, str> {
    let hides = |prev: Option<char>, c: char, next: Option<char>| {
        always_hidden(c) || (one_line && c == '\n') || (is_joiner(c) && joiner_hides(prev, next))
    };
    let mut prev = None;
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if hides(prev, c, chars.peek().copied()) {
            clean = false;
            break;
        }
        prev = Some(c);
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if hides(prev, c, chars.peek().copied()) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x100 => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
            }
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    Cow::Owned(out)
}

/// Serialized JSON with the characters [`visible_controls`] shows escaped
/// written as `\u` escapes too (serde_json escapes only U+0000–U+001F): the
/// JSON decodes to exactly the same data and is safe to print.
pub fn json_controls(json: &str) -> Cow<'_, str> {
    let hides = |prev: Option<char>, c: char, next: Option<char>| {
        always_hidden(c) || (is_joiner(c) && joiner_hides(prev, next))
    };
    let mut out: Option<String> = None;
    let mut prev = None;
    let mut chars = json.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        // Outside strings JSON is ASCII, so only string contents match.
        if hides(prev, c, chars.peek().map(|&(_, n)| n)) {
            let buffer = out.get_or_insert_with(|| json[..at].to_string());
            let _ = write!(buffer, "\\u{:04x}", c as u32);
        } else if let Some(buffer) = out.as_mut() {
            buffer.push(c);
        }
        prev = Some(c);
    }
    out.map_or(Cow::Borrowed(json), Cow::Owned)
}

/// Text from a site or a table as Markdown that renders as exactly that text
/// on GitHub (CommonMark with GitHub's extensions), in a paragraph, a heading,
/// a list item or a table cell:
///
/// - line breaks and tabs become spaces, and controls are shown as in
///   [`visible_controls`] (a line break would end a table row or start a
///   block of its own);
/// - `\`, `` ` ``, `*`, `_` (but inside a word), `[`, `]`, `<`, `>`, `#`, `|`,
///   `~`, `&`, `:`, `@` and `$` are backslash-escaped: no HTML, entities,
///   links, images, autolinks, emphasis, code, strikethrough, math, headings,
///   quotes or table cells of its own;
/// - a leading list marker (`-`, `+`, `1.`, `1)`) and the dot of `www.` are
///   escaped too.
pub fn markdown_text(text: &str) -> String {
    let flat: String = text
        .replace("\r\n", " ")
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let flat = visible_controls(&flat, true);
    let chars: Vec<char> = flat.chars().collect();
    // A leading list marker: `-`, `+` or digits followed by `.` or `)`.
    let start = chars.iter().position(|c| *c != ' ').unwrap_or(chars.len());
    let digits = chars[start..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let marker = match chars.get(start) {
        Some('-' | '+') => Some(start),
        _ if digits > 0 && matches!(chars.get(start + digits), Some('.' | ')')) => {
            Some(start + digits)
        }
        _ => None,
    };
    let mut out = String::with_capacity(flat.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | ':' | '@' | '$' => {
                true
            }
            '_' => {
                !matches!((prev, next), (Some(p), Some(n)) if p.is_alphanumeric() && n.is_alphanumeric())
            }
            '.' => i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w')),
            _ => false,
        };
        if escape || marker == Some(i) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text from a site or a table as a Markdown code span that shows exactly
/// that text in monospace: line breaks become spaces, controls are shown as
/// in [`visible_controls`], the fence is longer than any run of backticks in
/// the text. In a table cell (`in_table`), `|` is escaped (GitHub unescapes
/// it inside code); text holding a backslash there cannot be a code span
/// (`\|` would end the cell) and is `<code>` around [`markdown_text`].
pub fn markdown_code(text: &str, in_table: bool) -> String {
    let flat: String = text
        .chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .collect();
    let flat = visible_controls(&flat, true).into_owned();
    if flat.trim().is_empty() {
        return markdown_text(&flat);
    }
    if in_table && flat.contains('\\') {
        return format!("<code>{}</code>", markdown_text(&flat));
    }
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') || flat.starts_with(' ') {
        " "
    } else {
        ""
    };
    let body = if in_table {
        flat.replace('|', "\\|")
    } else {
        flat
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOSTILE: [&str; 6] = [
        "=HYPERLINK(\"http://evil\",\"click\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1)",
        "\t=1",
        "\r=1",
        "-2+3+cmd|' /C calc'!A0",
    ];

    #[test]
    fn formula_starts_are_neutralised_as_owasp_says() {
        for cell in HOSTILE {
            assert!(is_formula(cell), "{cell:?}");
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in [
            "-1", "+2.5", "-0.25", "-", "+", "", "yes", "if =x", "'=1", " =1",
        ] {
            assert!(!is_formula(cell), "{cell:?}");
            assert_eq!(neutralise(cell), cell);
        }
        for cell in ["-1.", "-.5", "-1e5", "--1", "-1-1", "- note", "+1 2"] {
            assert!(is_formula(cell), "{cell:?}");
        }
    }

    #[test]
    fn spreadsheet_csv_quotes_and_neutralises_every_cell() {
        let csv = spreadsheet_csv([
            vec!["name", "note"],
            vec!["=HYPERLINK(\"http://evil\",\"click\")", "a,b"],
            vec!["\t=1", "-1"],
            vec!["\r=1", "plain"],
        ]);
        assert_eq!(
            csv,
            "name,note\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\",\"a,b\"\n'\t=1,-1\n\"'\r=1\",plain\n"
        );
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[1][0], "'=HYPERLINK(\"http://evil\",\"click\")");
        assert_eq!(rows[3][0], "'\r=1");
        assert!(rows.iter().flatten().all(|cell| !is_formula(cell)));
    }

    #[test]
    fn formula_scan_counts_and_names_the_first() {
        let scan = FormulaScan::csv(
            b"\xef\xbb\xbfcode,display_name\nartist,Artist\nlead,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\nx,@SUM(1)\ny,-1\nz,-\n",
        );
        assert_eq!(scan.count, 2);
        let first = scan.first.clone().unwrap();
        assert_eq!((first.row, first.column.as_str()), (3, "display_name"));
        let message = scan.message(Some("roles.csv")).unwrap();
        assert!(
            message.starts_with("roles.csv: 2 cells a spreadsheet would run as formulas"),
            "{message}"
        );
        assert!(message.contains("first at row 3, column display_name: \"=HYPERLINK("));
        assert!(FormulaScan::csv(b"a,b\n1,-1\n").message(None).is_none());
        let header = FormulaScan::csv(b"a,=b\n");
        assert_eq!(header.first.unwrap().column, "column 2");
        let one = FormulaScan::csv(b"a\n\x1b=\n=\x1b[31m\n");
        assert_eq!(one.count, 1);
        let message = one.message(None).unwrap();
        assert!(message.starts_with("the CSV text: 1 cell a spreadsheet would run as a formula"));
        assert!(!message.contains('\x1b'), "{message}");
    }

    #[test]
    fn reading_counts_formulas_and_keeps_every_byte() {
        use crate::csvio::{read_scanning, write, Layout, ReadOptions};
        let text = "kind,entity_type,name,action,artist,note\n\
            app,,\"=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\",see,-,\"+cmd|' /C calc'!A0\"\n\
            app,,@SUM(1),see,yes,-1\n\
            app,,plain,see,if -x,\n";
        let (table, layout, scan) =
            read_scanning(text.as_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(scan.count, 3, "`-` (no) and -1 are not formulas");
        let first = scan.first.clone().unwrap();
        assert_eq!((first.row, first.column.as_str()), (2, "name"));
        assert_eq!(first.value, "=HYPERLINK(\"http://evil\",\"click\")");
        let canonical = write(&table, layout);
        assert!(
            canonical.contains(",no,+cmd|' /C calc'!A0\n"),
            "{canonical}"
        );
        let (again, _, rescan) =
            read_scanning(canonical.as_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(write(&again, Layout::Wide), canonical, "lossless");
        assert_eq!(rescan.count, 3);
        let long = write(&table, Layout::Long);
        let (_, _, long_scan) = read_scanning(long.as_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(long_scan.count, 3, "{long}");
        let clean = read_scanning(
            b"kind,entity_type,name,action,a\nentity,Shot,,see,-\n",
            &ReadOptions::default(),
        );
        assert_eq!(clean.unwrap().2, FormulaScan::default());
    }

    #[test]
    fn terminal_text_shows_controls() {
        assert_eq!(
            visible_controls("a\x1b[31mb\u{9b}c\u{202e}d\u{2066}e\u{200b}f\x00", true),
            "a\\x1b[31mb\\x9bc\\u202ed\\u2066e\\u200bf\\x00"
        );
        assert_eq!(visible_controls("a\r\nb\tc", true), "a\\r\\nb\tc");
        assert_eq!(visible_controls("a\r\nb", false), "a\\r\nb");
        assert!(matches!(
            visible_controls("plain ✓ é", true),
            Cow::Borrowed(_)
        ));
        // Joiners stay inside emoji and scripts, and show next to ASCII.
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(visible_controls(family, true), family);
        assert_eq!(visible_controls("ad\u{200d}a", true), "ad\\u200da");
        assert_eq!(visible_controls("\u{200c}", true), "\\u200c");
    }

    #[test]
    fn json_keeps_data_and_escapes_hidden_characters() {
        let json = serde_json::to_string(&["a\x1bb\u{202e}c\u{85}d👨\u{200d}👩"]).unwrap();
        let safe = json_controls(&json);
        assert_eq!(safe, "[\"a\\u001bb\\u202ec\\u0085d👨\u{200d}👩\"]");
        let back: Vec<String> = serde_json::from_str(&safe).unwrap();
        assert_eq!(back[0], "a\x1bb\u{202e}c\u{85}d👨\u{200d}👩");
        assert!(matches!(json_controls("[\"plain\"]"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_text_escapes_what_github_would_render() {
        assert_eq!(
            markdown_text("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(
            markdown_text("[x](javascript:alert(1))"),
            "\\[x\\](javascript\\:alert(1))"
        );
        assert_eq!(markdown_text("![img](http://x)"), "!\\[img\\](http\\://x)");
        assert_eq!(markdown_text("a|b"), "a\\|b");
        assert_eq!(markdown_text("`x`"), "\\`x\\`");
        assert_eq!(markdown_text("# h"), "\\# h");
        assert_eq!(markdown_text("> q"), "\\> q");
        assert_eq!(markdown_text("- item"), "\\- item");
        assert_eq!(markdown_text("+ item"), "\\+ item");
        assert_eq!(markdown_text("12. item"), "12\\. item");
        assert_eq!(markdown_text("1) item"), "1\\) item");
        assert_eq!(markdown_text("a\nb\r\nc"), "a b c");
        assert_eq!(markdown_text("sg_status_list"), "sg_status_list");
        assert_eq!(markdown_text("_em_ *b*"), "\\_em\\_ \\*b\\*");
        assert_eq!(markdown_text("www.evil.com"), "www\\.evil.com");
        assert_eq!(markdown_text("&lt;"), "\\&lt;");
        assert_eq!(markdown_text("\x1b[31m"), "\\\\x1b\\[31m");
        assert_eq!(
            markdown_text("pipeline-td 2026-01-31"),
            "pipeline-td 2026-01-31"
        );
    }

    #[test]
    fn markdown_code_spans_hold_anything() {
        assert_eq!(
            markdown_code("entity:Task::create", true),
            "`entity:Task::create`"
        );
        assert_eq!(markdown_code("a|b", true), "`a\\|b`");
        assert_eq!(markdown_code("a|b", false), "`a|b`");
        assert_eq!(markdown_code("a`b", false), "``a`b``");
        assert_eq!(markdown_code("`", false), "`` ` ``");
        assert_eq!(markdown_code("a\nb", false), "`a b`");
        assert_eq!(markdown_code("a\\|b", true), "<code>a\\\\\\|b</code>");
        assert_eq!(markdown_code("", true), "");
    }

    proptest! {
        #[test]
        fn neutralised_cells_never_start_a_formula(cell in "[=+@\\-\t\ra-z0-9. ]{0,8}") {
            prop_assert!(!is_formula(&neutralise(&cell)));
            let unchanged = neutralise(&cell) == cell.as_str();
            prop_assert_eq!(unchanged, !is_formula(&cell));
        }

        #[test]
        fn visible_text_has_no_hidden_characters(text in "\\PC{0,12}|[\\x00-\\x1f\\x7f-\\u{9f}\\u{200b}-\\u{206f}a ]{0,12}") {
            let shown = visible_controls(&text, true);
            prop_assert!(!shown.chars().any(|c| always_hidden(c) || c == '\n'));
            prop_assert_eq!(visible_controls(&shown, true), shown.clone());
        }

        #[test]
        fn markdown_text_is_one_line_without_raw_specials(text in "\\PC{0,16}|[<>\\[\\]()|`*_#\\-+!:@&\n\\\\a1 ]{0,16}") {
            let md = markdown_text(&text);
            prop_assert!(!md.contains('\n'));
            // Every special character is preceded by an escaping backslash.
            let chars: Vec<char> = md.chars().collect();
            let mut escaped = false;
            for &c in &chars {
                if !escaped && matches!(c, '<' | '>' | '[' | ']' | '|' | '`' | '*' | '&') {
                    prop_assert!(false, "unescaped {c:?} in {md:?}");
                }
                escaped = !escaped && c == '\\';
            }
        }
    }
}
