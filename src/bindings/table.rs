//! `PermissionTable` and reading CSV bytes into one.

use std::sync::Arc;

use arrow_schema::ArrowError;
use pyo3::exceptions::{PyImportError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict, PyList, PyString, PyTuple};

use super::arrow::{self, Columns};
use super::diff::PyChanges;
use super::output::{emit, warn_formulas_found};
use super::schema::PySchema;
use crate::csvio::{self, long_cells, long_record, Layout, ReadOptions};
use crate::diff as core_diff;
use crate::model::{Role, Table, Target};
use crate::normalize::{parse_target, parse_value, Names};
use crate::report;
use crate::schema::Schema;
use crate::snapshot;
use crate::vocab::{KEY_COLUMNS, LONG_HEADER, NOTE};

/// A target as Python sees it: `(kind, entity_type, name, action)`.
pub(super) type TargetTuple = (&'static str, String, String, &'static str);

pub(super) fn target_tuple(t: &Target) -> TargetTuple {
    (
        t.kind().as_str(),
        t.entity_type().to_string(),
        t.name().to_string(),
        t.action().as_str(),
    )
}

pub(super) fn parse_layout(layout: &str) -> PyResult<Layout> {
    Layout::parse(layout).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown layout \"{layout}\"; expected \"wide\" or \"long\""
        ))
    })
}

/// A permission table: rows are targets, columns are roles.
#[pyclass(module = "sgperms._core", name = "PermissionTable")]
pub struct PyTable {
    pub(super) table: Table,
    pub(super) schema: Option<Arc<Schema>>,
    /// Built on first use: a big schema's name index costs megabytes that a
    /// table only read and written never needs.
    names: std::sync::OnceLock<Names>,
}

impl PyTable {
    pub(super) fn new_from(table: Table, schema: Option<Arc<Schema>>) -> PyTable {
        PyTable {
            table,
            schema,
            names: std::sync::OnceLock::new(),
        }
    }

    /// A table on the same schema, e.g. a plan applied to this one.
    pub(super) fn derived(&self, table: Table) -> PyTable {
        PyTable::new_from(table, self.schema.clone())
    }

    pub(super) fn target(
        &self,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
    ) -> PyResult<Target> {
        let names = self
            .names
            .get_or_init(|| Names::new(self.schema.as_deref(), None));
        Ok(parse_target(names, kind, entity_type, name, action)?)
    }

    fn cell(
        &self,
        role: &str,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
    ) -> PyResult<(usize, Target)> {
        Ok((
            self.table.require_role(role)?,
            self.target(kind, entity_type, name, action)?,
        ))
    }
}

#[pymethods]
impl PyTable {
    /// An empty table with these role codes (in this order) and, optionally,
    /// the schema that `set()` and `get()` resolve display names against.
    #[new]
    #[pyo3(signature = (roles=None, *, schema=None))]
    fn py_new(roles: Option<&Bound<'_, PyAny>>, schema: Option<PySchema>) -> PyResult<PyTable> {
        let roles: Vec<String> = match roles {
            None => Vec::new(),
            Some(r) if r.is_instance_of::<PyString>() => {
                return Err(PyTypeError::new_err(
                    "roles must be a list of role codes, e.g. [\"artist\"], not a str",
                ))
            }
            Some(r) => r
                .extract()
                .map_err(|_| PyTypeError::new_err("roles must be a list of role codes (str)"))?,
        };
        Ok(PyTable::new_from(
            Table::with_roles(roles)?,
            schema.map(|s| s.inner),
        ))
    }

    /// Role codes, in table order.
    #[getter]
    fn roles(&self) -> Vec<String> {
        self.table.roles().map(str::to_string).collect()
    }

    /// The schema names are resolved against, if any.
    #[getter]
    fn schema(&self) -> Option<PySchema> {
        self.schema.clone().map(|inner| PySchema { inner })
    }

    fn __len__(&self) -> usize {
        self.table.len()
    }

    /// Targets as (kind, entity_type, name, action) tuples, in canonical order.
    fn targets(&self) -> Vec<TargetTuple> {
        self.table
            .targets_sorted()
            .into_iter()
            .map(target_tuple)
            .collect()
    }

    /// The number of cells whose value is known (not empty).
    fn known_cells(&self) -> usize {
        snapshot::known_cells(&self.table)
    }

    /// The canonical value of one cell: "yes", "no", "inherit", "if <condition>"
    /// or "" (unknown, also for a target the table lacks).
    #[pyo3(signature = (role, kind, entity_type, name, action))]
    fn get(
        &self,
        role: &str,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
    ) -> PyResult<String> {
        let (role, target) = self.cell(role, kind, entity_type, name, action)?;
        Ok(self.table.get(&target, role).to_text())
    }

    /// Sets one cell from any accepted spelling (adding the target if new) and,
    /// when given, the target's note. Returns None.
    #[pyo3(signature = (role, kind, entity_type, name, action, value, note=None))]
    #[allow(clippy::too_many_arguments)]
    fn set(
        &mut self,
        role: &str,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
        value: &str,
        note: Option<&str>,
    ) -> PyResult<()> {
        let (role, target) = self.cell(role, kind, entity_type, name, action)?;
        let value = parse_value(value)?;
        self.table.set_cell(target, role, &value, note)?;
        Ok(())
    }

    /// The value the role really has: a field follows its entity (`inherit`),
    /// and an entity "no" makes its fields "no". Returns a canonical value str.
    #[pyo3(signature = (role, kind, entity_type, name, action))]
    fn effective(
        &self,
        role: &str,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
    ) -> PyResult<String> {
        let (role, target) = self.cell(role, kind, entity_type, name, action)?;
        Ok(self.table.effective(&target, role).to_text())
    }

    /// The note of a target ("" when none or absent).
    #[pyo3(signature = (kind, entity_type, name, action))]
    fn note(&self, kind: &str, entity_type: &str, name: &str, action: &str) -> PyResult<String> {
        let target = self.target(kind, entity_type, name, action)?;
        Ok(self
            .table
            .target_index(&target)
            .map_or_else(String::new, |row| self.table.note(row).to_string()))
    }

    /// Writes the canonical CSV (UTF-8, LF, sorted). Returns the text when
    /// `path` is None; writes to a file object (anything with `write`);
    /// otherwise writes the file at `path` atomically and returns None.
    #[pyo3(signature = (path=None, *, layout="wide"))]
    fn to_csv(
        &self,
        py: Python<'_>,
        path: Option<&Bound<'_, PyAny>>,
        layout: &str,
    ) -> PyResult<Option<String>> {
        let layout = parse_layout(layout)?;
        let text = py.detach(|| csvio::write(&self.table, layout));
        emit(py, text, path)
    }

    /// Every cell as a dict with the long layout's keys, in canonical order.
    fn to_records<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let roles: Vec<&str> = self.table.roles().collect();
        long_cells(&self.table)
            .map(|(row, role)| {
                let record = PyDict::new(py);
                for (key, value) in
                    LONG_HEADER
                        .iter()
                        .zip(long_record(&self.table, &roles, row, role))
                {
                    record.set_item(key, value)?;
                }
                Ok(record)
            })
            .collect()
    }

    /// A pandas DataFrame in the long layout (one row per cell). Every
    /// column is categorical (categories in order of first appearance): a
    /// 2-million-cell table holds few distinct strings, and codes build in a
    /// fraction of the time. The codes are the Arrow stream's
    /// ([`csvio::coded`]), spread over the cells; needs pandas, not pyarrow.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py)?;
        let numpy = py.import("numpy")?;
        let columns = py.detach(|| csvio::long_columns(&self.table));
        let data = PyDict::new(py);
        let categorical = pandas.getattr("Categorical")?;
        for (key, column) in LONG_HEADER.iter().zip(columns) {
            let bytes = PyBytes::new_with(py, column.codes.len() * 4, |buf| {
                for (out, code) in buf.chunks_exact_mut(4).zip(&column.codes) {
                    out.copy_from_slice(&code.to_ne_bytes());
                }
                Ok(())
            })?;
            let codes = numpy.call_method1("frombuffer", (bytes, "int32"))?;
            let categories = PyList::new(py, column.categories)?;
            data.set_item(
                key,
                categorical.call_method1("from_codes", (codes, categories))?,
            )?;
        }
        pandas.call_method1("DataFrame", (data,))
    }

    /// The wide layout as an Arrow stream (the PyCapsule interface, for
    /// `polars.DataFrame(table)`, `pyarrow.table(table)`, DuckDB): kind,
    /// entity_type, name, action, one column per role, note, targets in
    /// canonical order. Every column but note is dictionary-encoded; a cell
    /// is its canonical text ("" when unknown). Returns a new stream each call.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let columns = py.detach(|| wide_columns(&self.table));
        arrow::stream(py, columns, requested_schema)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyTable>()
            .is_ok_and(|o| o.borrow().table == self.table)
    }

    fn __repr__(&self) -> String {
        format!(
            "PermissionTable(roles={:?}, targets={})",
            self.table.roles().collect::<Vec<_>>(),
            self.table.len()
        )
    }

    /// Where role `b` differs from role `a` (effective values by default):
    /// each change reads "a has before, b has after". Returns Changes.
    #[pyo3(signature = (a, b, *, effective=true))]
    fn compare_roles(&self, a: &str, b: &str, effective: bool) -> PyResult<PyChanges> {
        let changes = core_diff::compare_roles(&self.table, a, b, effective)?;
        Ok(PyChanges { changes })
    }

    /// A compact HTML preview for Jupyter (the first 50 rows).
    fn _repr_html_(&self) -> String {
        report::table_preview(&self.table, 50)
    }

    /// A copy that shares nothing with this table.
    fn copy(&self) -> PyTable {
        self.derived(self.table.clone())
    }

    fn __copy__(&self) -> PyTable {
        self.copy()
    }

    /// The schema is immutable and shared; everything else is copied.
    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyTable {
        self.copy()
    }

    /// Pickles as the canonical wide CSV and the schema; unpickling reads
    /// the CSV back verbatim, so every table comes back equal.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.borrow();
        let table = &this.table;
        let csv = py.detach(|| csvio::write(table, Layout::Wide));
        let state = (PyBytes::new(py, csv.as_bytes()), this.schema());
        (slf.get_type(), PyTuple::empty(py), state).into_pyobject(py)
    }

    fn __setstate__(
        &mut self,
        py: Python<'_>,
        state: (Bound<'_, PyBytes>, Option<PySchema>),
    ) -> PyResult<()> {
        let (csv, schema) = state;
        let csv = csv.as_bytes();
        let table = py.detach(|| csvio::read_canonical(csv))?;
        *self = PyTable::new_from(table, schema.map(|s| s.inner));
        Ok(())
    }
}

/// The wide layout as Arrow columns: the key columns and the roles
/// dictionary-encoded (every role column shares one dictionary of the
/// table's cell texts), the note plain.
fn wide_columns(table: &Table) -> Result<Columns, ArrowError> {
    let coded = csvio::coded(table);
    let mut columns = Columns::default();
    for (name, key) in KEY_COLUMNS.iter().zip(coded.keys) {
        columns.categorical(name, key)?;
    }
    let values = Columns::values(&coded.values.categories)?;
    // One pass over the row-major codes, not one strided pass per role.
    let mut keys = vec![Vec::with_capacity(table.len()); table.role_count()];
    for row in coded.values.codes.chunks_exact(table.role_count().max(1)) {
        for (column, &code) in keys.iter_mut().zip(row) {
            column.push(code);
        }
    }
    for (name, keys) in table.roles().zip(keys) {
        columns.dictionary(name, keys, &values)?;
    }
    let notes = &coded.notes;
    columns.text(
        NOTE,
        notes.codes.iter().map(|&c| notes.categories[c as usize]),
    )?;
    Ok(columns)
}

pub(super) fn import_pandas(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("pandas").map_err(|_| {
        PyImportError::new_err("to_pandas() needs pandas: pip install 'sgperms[pandas]'")
    })
}

/// Reads permission CSV bytes. Returns (table, layout) where layout is
/// "wide" or "long", the one the text was in. Cells a spreadsheet would run
/// as formulas are kept as written and warned about (FormulaWarning, one per
/// read, attributed `stacklevel` frames up).
#[pyfunction]
#[pyo3(signature = (data, *, layout=None, schema=None, roles=None, path=None, lenient=false, strict_roles=false, stacklevel=1))]
#[allow(clippy::too_many_arguments)]
fn read_csv_bytes(
    py: Python<'_>,
    data: &[u8],
    layout: Option<&str>,
    schema: Option<PySchema>,
    roles: Option<Vec<(String, String)>>,
    path: Option<String>,
    lenient: bool,
    strict_roles: bool,
    stacklevel: i32,
) -> PyResult<(PyTable, &'static str)> {
    let layout = layout.map(parse_layout).transpose()?;
    let roles: Option<Vec<Role>> = roles.map(|roles| {
        roles
            .into_iter()
            .map(|(code, display_name)| Role { code, display_name })
            .collect()
    });
    let schema = schema.map(|s| s.inner);
    let opts = ReadOptions {
        layout,
        schema: schema.as_deref(),
        roles: roles.as_deref(),
        path,
        lenient,
        strict_roles,
    };
    let (table, layout, formulas) = py.detach(|| csvio::read_scanning(data, &opts))?;
    warn_formulas_found(py, &formulas, opts.path.as_deref(), stacklevel)?;
    Ok((PyTable::new_from(table, schema.clone()), layout.as_str()))
}

/// ` (did you mean "X"?)` for the candidate closest to `name` (as every
/// unknown-role error suggests one), or "" when none is close.
#[pyfunction]
fn did_you_mean(name: &str, candidates: Vec<String>) -> String {
    crate::normalize::did_you_mean(name, candidates.iter().map(String::as_str))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTable>()?;
    m.add_function(wrap_pyfunction!(read_csv_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(did_you_mean, m)?)?;
    Ok(())
}
