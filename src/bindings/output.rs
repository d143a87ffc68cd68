//! Output that is safe where people open it: text for terminals and
//! spreadsheets, the formula warning of a table read, and atomic writes.

use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::errors::FormulaWarning;
use crate::atomic::write_atomic;
use crate::safe;

/// Issues one FormulaWarning for a table read, when it holds formula starts.
pub(super) fn warn_formulas_found(
    py: Python<'_>,
    scan: &safe::FormulaScan,
    path: Option<&str>,
    stacklevel: i32,
) -> PyResult<()> {
    let Some(message) = scan.message(path) else {
        return Ok(());
    };
    // The message shows controls escaped, so it holds no NUL.
    let message = std::ffi::CString::new(message).unwrap_or_default();
    let category = py.get_type::<FormulaWarning>();
    PyErr::warn(py, category.as_any(), &message, stacklevel)
}

/// Warns (FormulaWarning, once for the file) when a CSV with a header row
/// holds cells a spreadsheet would run as formulas; for the tables sgperms
/// reads with Python's csv module (roles.csv, users.csv, history.csv).
#[pyfunction]
#[pyo3(signature = (data, path=None, stacklevel=1))]
fn warn_formulas(py: Python<'_>, data: &[u8], path: Option<&str>, stacklevel: i32) -> PyResult<()> {
    let scan = py.detach(|| safe::FormulaScan::csv(data));
    warn_formulas_found(py, &scan, path, stacklevel)
}

/// Rows as CSV for a spreadsheet, never read back: LF, quoted where needed,
/// every cell that would run as a formula prefixed with `'` (OWASP).
#[pyfunction]
fn spreadsheet_csv(rows: Vec<Vec<String>>) -> String {
    safe::spreadsheet_csv(rows)
}

/// Text for a terminal: ANSI escapes, C0/C1 controls, bidirectional
/// overrides and invisible characters shown as `\x1b`, `\u202e`, ...; with
/// `one_line`, line breaks as `\n` too.
#[pyfunction]
#[pyo3(signature = (text, one_line=false))]
fn terminal_text(text: &str, one_line: bool) -> String {
    safe::visible_controls(text, one_line).into_owned()
}

/// Text from a site or a table as Markdown that renders as that literal
/// text (no HTML, links, emphasis or table cells of its own), on one line.
#[pyfunction]
fn markdown_text(text: &str) -> String {
    safe::markdown_text(text)
}

/// Returns `text` when there is nowhere to put it; writes it to a file object
/// (anything with `write`) or, atomically, to a path, and returns None.
pub(super) fn emit(
    py: Python<'_>,
    text: String,
    to: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    let Some(to) = to else {
        return Ok(Some(text));
    };
    if to.hasattr("write")? {
        to.call_method1("write", (text,))?;
        return Ok(None);
    }
    let path: PathBuf = to
        .extract()
        .map_err(|_| PyTypeError::new_err("expected a path, a file object or None"))?;
    // write_atomic's errors name the path; From picks the OSError subclass.
    py.detach(|| write_atomic(&path, text.as_bytes()))?;
    Ok(None)
}

/// Writes bytes to a file atomically (temporary file, fsync, rename).
#[pyfunction]
fn write_atomic_bytes(py: Python<'_>, path: PathBuf, data: &[u8]) -> PyResult<()> {
    Ok(py.detach(|| write_atomic(&path, data))?)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(warn_formulas, m)?)?;
    m.add_function(wrap_pyfunction!(spreadsheet_csv, m)?)?;
    m.add_function(wrap_pyfunction!(terminal_text, m)?)?;
    m.add_function(wrap_pyfunction!(markdown_text, m)?)?;
    m.add_function(wrap_pyfunction!(write_atomic_bytes, m)?)?;
    Ok(())
}
