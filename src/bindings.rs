//! The Python module `sgperms._core`: thin PyO3 classes over the core, and
//! the one place where Rust errors become Python exceptions.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyImportError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::collections::HashMap;

use pyo3::types::{PyBytes, PyDict, PyList};

use crate::atomic::write_atomic;
use crate::audit as core_audit;
use crate::csvio::{
    self, long_cells, long_record, CsvError as CoreCsvError, Layout, ReadOptions, LONG_HEADER,
};
use crate::diff::{self as core_diff, Changes, RECORD_FIELDS};
use crate::folder::{Access, Folder, FolderError as CoreFolderError};
use crate::model::{check_value, ModelError, Role, Table, Target};
use crate::normalize::{
    parse_target, parse_value, Names, NormalizeError as CoreNormalizeError, TargetError,
};
use crate::report::{self, Context, Format, Person, RoleInfo};
use crate::safe;
use crate::schema::{EntitySchema, FieldSchema, Schema as CoreSchema};
use crate::snapshot;
use crate::tiers::{Plan, TierError as CoreTierError, Tiers};
use crate::webapp;

pyo3::create_exception!(
    _core,
    CsvError,
    PyValueError,
    "A permission CSV could not be read. `.path`, `.row` (line), `.column` and `.value` say where."
);
pyo3::create_exception!(
    _core,
    TableError,
    PyValueError,
    "A change the permission table cannot hold: unknown role, malformed target, inherit outside a field."
);
pyo3::create_exception!(
    _core,
    TierError,
    PyValueError,
    "A tier file or tier operation failed: syntax, a cycle, an unknown role, a stale plan."
);
pyo3::create_exception!(
    _core,
    NormalizeError,
    PyValueError,
    "A name or value that normalisation cannot turn into its canonical form."
);
pyo3::create_exception!(
    _core,
    FormulaWarning,
    pyo3::exceptions::PyUserWarning,
    "A table read holds cells a spreadsheet would run as formulas (=, +, -, @, tab, CR first); sgperms keeps them as written."
);

/// Issues one FormulaWarning for a table read, when it holds formula starts.
fn warn_formulas_found(
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

pyo3::create_exception!(
    _core,
    FolderError,
    pyo3::exceptions::PyOSError,
    "A managed folder (snapshot, report site) could not be read or written as one unit; `.kind` says why."
);

fn folder_error(py: Python<'_>, e: CoreFolderError) -> PyErr {
    let err = FolderError::new_err(e.to_string());
    let _ = err.value(py).setattr("kind", e.kind());
    err
}

fn csv_error(py: Python<'_>, e: CoreCsvError) -> PyErr {
    let err = CsvError::new_err(e.to_string());
    let e = e.into_detail();
    let exc = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = exc.setattr("path", e.path);
    let _ = exc.setattr("row", e.row);
    let _ = exc.setattr("column", e.column);
    let _ = exc.setattr("value", e.value);
    err
}

fn table_error(e: ModelError) -> PyErr {
    TableError::new_err(e.to_string())
}

/// An OSError naming the file, as Python's own `open()` raises it: the
/// errno picks the subclass (FileNotFoundError...), `.filename` is set.
fn os_error(e: std::io::Error, path: &std::path::Path) -> PyErr {
    let text = e.to_string();
    let strerror = text.split(" (os error").next().unwrap_or(&text).to_string();
    let filename = path.to_string_lossy().into_owned();
    match e.raw_os_error() {
        Some(errno) => pyo3::exceptions::PyOSError::new_err((errno, strerror, filename)),
        None => pyo3::exceptions::PyOSError::new_err(format!("{filename}: {strerror}")),
    }
}

fn tier_error(e: CoreTierError) -> PyErr {
    TierError::new_err(e.to_string())
}

fn normalize_error(e: CoreNormalizeError) -> PyErr {
    NormalizeError::new_err(e.to_string())
}

fn target_error(e: TargetError) -> PyErr {
    match e {
        TargetError::Normalize(..) => NormalizeError::new_err(e.to_string()),
        TargetError::Model(..) => TableError::new_err(e.to_string()),
    }
}

/// Returns `text` when there is nowhere to put it; writes it to a file object
/// (anything with `write`) or, atomically, to a path, and returns None.
fn emit(py: Python<'_>, text: String, to: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
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

fn parse_layout(layout: &str) -> PyResult<Layout> {
    Layout::parse(layout).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown layout \"{layout}\"; expected \"wide\" or \"long\""
        ))
    })
}

/// A site's schema: entity types and fields with display names and data types.
#[pyclass(module = "sgperms._core", name = "Schema", frozen, from_py_object)]
#[derive(Clone)]
pub struct PySchema {
    inner: Arc<CoreSchema>,
}

/// `d[key]["value"]` as text, when present and a string.
fn shotgun_value(d: &Bound<'_, PyAny>, key: &str) -> PyResult<Option<String>> {
    let Ok(item) = d.get_item(key) else {
        return Ok(None);
    };
    match item.get_item("value") {
        Ok(value) if !value.is_none() => Ok(Some(value.extract::<String>()?)),
        _ => Ok(None),
    }
}

fn entity_from_shotgun(
    code: String,
    fields: Option<&Bound<'_, PyAny>>,
    info: Option<&Bound<'_, PyAny>>,
) -> PyResult<EntitySchema> {
    let display_name = match info {
        Some(info) => shotgun_value(info, "name")?,
        None => None,
    }
    .unwrap_or_else(|| code.clone());
    let mut parsed = Vec::new();
    if let Some(fields) = fields {
        let fields = fields.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err(format!(
                "schema_read()[\"{code}\"] must be a dict of fields"
            ))
        })?;
        for (field_code, field) in fields.iter() {
            let field_code: String = field_code.extract()?;
            let context = |e: PyErr| {
                PyTypeError::new_err(format!("schema_read()[\"{code}\"][\"{field_code}\"]: {e}"))
            };
            parsed.push(FieldSchema {
                display_name: shotgun_value(&field, "name")
                    .map_err(context)?
                    .unwrap_or_else(|| field_code.clone()),
                data_type: shotgun_value(&field, "data_type")
                    .map_err(context)?
                    .unwrap_or_default(),
                code: field_code,
            });
        }
    }
    Ok(EntitySchema {
        code,
        display_name,
        fields: parsed,
    })
}

#[pymethods]
impl PySchema {
    /// Builds a schema from exactly what shotgun_api3's `schema_read()` and
    /// `schema_entity_read()` return. Returns a `Schema`.
    #[staticmethod]
    #[pyo3(signature = (schema_read, schema_entity_read=None))]
    fn from_shotgun_dicts(
        schema_read: &Bound<'_, PyDict>,
        schema_entity_read: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PySchema> {
        let mut codes: Vec<String> = schema_read
            .keys()
            .iter()
            .map(|k| k.extract::<String>())
            .collect::<PyResult<_>>()?;
        if let Some(entities) = schema_entity_read {
            for key in entities.keys().iter() {
                let key: String = key.extract()?;
                if !codes.contains(&key) {
                    codes.push(key);
                }
            }
        }
        let entities = codes
            .into_iter()
            .map(|code| {
                let fields = schema_read.get_item(&code)?;
                let info = match schema_entity_read {
                    Some(e) => e.get_item(&code)?,
                    None => None,
                };
                entity_from_shotgun(code, fields.as_ref(), info.as_ref())
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PySchema {
            inner: Arc::new(CoreSchema::new(entities)),
        })
    }

    /// Reads a schema written by `to_json()`. Returns a `Schema`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<PySchema> {
        let inner = CoreSchema::from_json(text)
            .map_err(|e| PyValueError::new_err(format!("not a sgperms schema JSON: {e}")))?;
        Ok(PySchema {
            inner: Arc::new(inner),
        })
    }

    /// The schema as stable, pretty-printed JSON. Returns a str.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Entity type codes, sorted. Returns a list of str.
    fn entity_types(&self) -> Vec<String> {
        self.inner
            .entities()
            .iter()
            .map(|e| e.code.clone())
            .collect()
    }

    /// Display name of an entity type. Returns a str; KeyError when unknown.
    fn display_name(&self, entity_type: &str) -> PyResult<String> {
        self.entity(entity_type).map(|e| e.display_name.clone())
    }

    /// Fields of an entity type as (code, display_name, data_type), sorted by code.
    fn fields(&self, entity_type: &str) -> PyResult<Vec<(String, String, String)>> {
        Ok(self
            .entity(entity_type)?
            .fields
            .iter()
            .map(|f| (f.code.clone(), f.display_name.clone(), f.data_type.clone()))
            .collect())
    }

    fn __len__(&self) -> usize {
        self.inner.entities().len()
    }

    fn __contains__(&self, entity_type: &str) -> bool {
        self.inner.entity(entity_type).is_some()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySchema>()
            .is_ok_and(|o| *o.get().inner == *self.inner)
    }

    fn __repr__(&self) -> String {
        let fields: usize = self.inner.entities().iter().map(|e| e.fields.len()).sum();
        format!(
            "Schema({} entity types, {} fields)",
            self.inner.entities().len(),
            fields
        )
    }
}

impl PySchema {
    fn entity(&self, entity_type: &str) -> PyResult<&EntitySchema> {
        self.inner.entity(entity_type).ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!(
                "no entity type \"{entity_type}\" in the schema"
            ))
        })
    }
}

/// A permission table: rows are targets, columns are roles.
#[pyclass(module = "sgperms._core", name = "PermissionTable")]
pub struct PyTable {
    table: Table,
    schema: Option<Arc<CoreSchema>>,
    /// Built on first use: a big schema's name index costs megabytes that a
    /// table only read and written never needs.
    names: std::sync::OnceLock<Names>,
}

impl PyTable {
    fn new_from(table: Table, schema: Option<Arc<CoreSchema>>) -> PyTable {
        PyTable {
            table,
            schema,
            names: std::sync::OnceLock::new(),
        }
    }

    fn target(&self, kind: &str, entity_type: &str, name: &str, action: &str) -> PyResult<Target> {
        let names = self
            .names
            .get_or_init(|| Names::new(self.schema.as_deref(), None));
        parse_target(names, kind, entity_type, name, action).map_err(target_error)
    }

    fn role(&self, role: &str) -> PyResult<usize> {
        self.table.require_role(role).map_err(table_error)
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
            self.role(role)?,
            self.target(kind, entity_type, name, action)?,
        ))
    }
}

/// A column on its way to pandas: categories in first-seen order, their
/// index, and native-endian i32 codes.
type CategoricalColumn<'a> = (Vec<&'a str>, HashMap<&'a str, i32>, Vec<u8>);

#[pymethods]
impl PyTable {
    /// An empty table with these role codes (in this order) and, optionally,
    /// the schema that `set()` and `get()` resolve display names against.
    #[new]
    #[pyo3(signature = (roles=None, *, schema=None))]
    fn py_new(roles: Option<&Bound<'_, PyAny>>, schema: Option<PySchema>) -> PyResult<PyTable> {
        let roles: Vec<String> = match roles {
            None => Vec::new(),
            Some(r) if r.is_instance_of::<pyo3::types::PyString>() => {
                return Err(PyTypeError::new_err(
                    "roles must be a list of role codes, e.g. [\"artist\"], not a str",
                ))
            }
            Some(r) => r
                .extract()
                .map_err(|_| PyTypeError::new_err("roles must be a list of role codes (str)"))?,
        };
        let table = Table::with_roles(roles).map_err(table_error)?;
        Ok(PyTable::new_from(table, schema.map(|s| s.inner)))
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
        let value = parse_value(value).map_err(normalize_error)?;
        check_value(&target, &value).map_err(table_error)?;
        let row = self.table.insert_target(target);
        self.table.set(row, role, &value).map_err(table_error)?;
        if let Some(note) = note {
            self.table.set_note(row, note);
        }
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
    /// column is categorical: a 2-million-cell table holds few distinct
    /// strings, and codes build in a fraction of the time. Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = py.import("pandas").map_err(|_| {
            PyImportError::new_err("to_pandas() needs pandas: pip install 'sgperms[pandas]'")
        })?;
        let numpy = py.import("numpy")?;
        let roles: Vec<&str> = self.table.roles().collect();
        let mut columns: Vec<CategoricalColumn> =
            (0..LONG_HEADER.len()).map(|_| Default::default()).collect();
        for (row, role) in long_cells(&self.table) {
            for ((categories, index, codes), value) in
                columns
                    .iter_mut()
                    .zip(long_record(&self.table, &roles, row, role))
            {
                let code = *index.entry(value).or_insert_with(|| {
                    categories.push(value);
                    categories.len() as i32 - 1
                });
                codes.extend_from_slice(&code.to_ne_bytes());
            }
        }
        let data = PyDict::new(py);
        let categorical = pandas.getattr("Categorical")?;
        for (key, (categories, _, codes)) in LONG_HEADER.iter().zip(columns) {
            let codes = numpy.call_method1("frombuffer", (PyBytes::new(py, &codes), "int32"))?;
            let column =
                categorical.call_method1("from_codes", (codes, PyList::new(py, categories)?))?;
            data.set_item(key, column)?;
        }
        pandas.call_method1("DataFrame", (data,))
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
        let changes =
            core_diff::compare_roles(&self.table, a, b, effective).map_err(table_error)?;
        Ok(PyChanges { changes })
    }

    /// A compact HTML preview for Jupyter (the first 50 rows).
    fn _repr_html_(&self) -> String {
        report::table_preview(&self.table, 50)
    }

    /// A copy that shares nothing with this table.
    fn copy(&self) -> PyTable {
        PyTable::new_from(self.table.clone(), self.schema.clone())
    }
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
    let (table, layout, formulas) = py
        .detach(|| csvio::read_scanning(data, &opts))
        .map_err(|e| csv_error(py, e))?;
    warn_formulas_found(py, &formulas, opts.path.as_deref(), stacklevel)?;
    Ok((PyTable::new_from(table, schema.clone()), layout.as_str()))
}

type TargetTuple = (&'static str, String, String, &'static str);

fn target_tuple(t: &Target) -> TargetTuple {
    (
        t.kind().as_str(),
        t.entity_type().to_string(),
        t.name().to_string(),
        t.action().as_str(),
    )
}

/// The table a schema implies: every entity type (4 actions) and field (see,
/// edit) for these roles; entity cells unknown, field cells "inherit".
#[pyfunction]
fn template(schema: PySchema, roles: Vec<String>) -> PyResult<PyTable> {
    let table = snapshot::template(&schema.inner, &roles).map_err(table_error)?;
    Ok(PyTable::new_from(table, Some(schema.inner)))
}

/// Carries `previous`'s known values and notes into `fresh`. Returns
/// (table, added targets, dropped targets, dropped role codes).
#[pyfunction]
fn refresh(
    previous: PyRef<'_, PyTable>,
    fresh: PyRef<'_, PyTable>,
) -> (PyTable, Vec<TargetTuple>, Vec<TargetTuple>, Vec<String>) {
    let r = snapshot::refresh(&previous.table, &fresh.table);
    (
        PyTable::new_from(r.table, fresh.schema.clone()),
        r.added.iter().map(target_tuple).collect(),
        r.dropped.iter().map(target_tuple).collect(),
        r.dropped_roles,
    )
}

/// Writes bytes to a file atomically (temporary file, fsync, rename).
#[pyfunction]
fn write_atomic_bytes(py: Python<'_>, path: PathBuf, data: &[u8]) -> PyResult<()> {
    Ok(py.detach(|| write_atomic(&path, data))?)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyTable>()?;
    m.add_class::<PySchema>()?;
    m.add("CsvError", py.get_type::<CsvError>())?;
    m.add("TableError", py.get_type::<TableError>())?;
    m.add("NormalizeError", py.get_type::<NormalizeError>())?;
    m.add("TierError", py.get_type::<TierError>())?;
    m.add("FolderError", py.get_type::<FolderError>())?;
    m.add_class::<PyFolder>()?;
    m.add_class::<PyTiers>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyChange>()?;
    m.add_class::<PyViolation>()?;
    m.add_class::<PyDecision>()?;
    m.add_class::<PyFinding>()?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_class::<PyChanges>()?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(drift, m)?)?;
    m.add_function(wrap_pyfunction!(report_role, m)?)?;
    m.add_function(wrap_pyfunction!(render_site, m)?)?;
    m.add_function(wrap_pyfunction!(read_csv_bytes, m)?)?;
    m.add("FormulaWarning", py.get_type::<FormulaWarning>())?;
    m.add_function(wrap_pyfunction!(warn_formulas, m)?)?;
    m.add_function(wrap_pyfunction!(spreadsheet_csv, m)?)?;
    m.add_function(wrap_pyfunction!(terminal_text, m)?)?;
    m.add_function(wrap_pyfunction!(write_atomic_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(template, m)?)?;
    m.add_function(wrap_pyfunction!(refresh, m)?)?;
    Ok(())
}

/// A change of a plan: `role`, `target` (kind, entity_type, name, action),
/// `before`, `after` and `why`.
#[pyclass(module = "sgperms._core", name = "Change", frozen, get_all)]
pub struct PyChange {
    role: String,
    target: TargetTuple,
    before: String,
    after: String,
    why: String,
}

#[pymethods]
impl PyChange {
    fn __repr__(&self) -> String {
        let (k, e, n, a) = &self.target;
        format!(
            "Change({} {k}:{e}:{n}:{a}: {:?} -> {:?}, {})",
            self.role, self.before, self.after, self.why
        )
    }
}

/// Changes to make, nothing changed until `apply`: `len()`, iteration over
/// `Change`s, `apply(table)`, `to_csv()`.
#[pyclass(module = "sgperms._core", name = "Plan", frozen)]
pub struct PyPlan {
    plan: Plan,
}

#[pymethods]
impl PyPlan {
    fn __len__(&self) -> usize {
        self.plan.changes.len()
    }

    fn __bool__(&self) -> bool {
        !self.plan.changes.is_empty()
    }

    /// The changes, in order. Returns a list of Change.
    fn changes(&self) -> Vec<PyChange> {
        self.plan
            .changes
            .iter()
            .map(|c| PyChange {
                role: c.role.clone(),
                target: target_tuple(&c.target),
                before: c.before.to_text(),
                after: c.after.to_text(),
                why: c.why.clone(),
            })
            .collect()
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        PyList::new(py, slf.changes())?
            .into_any()
            .try_iter()
            .map(|it| it.into_any())
    }

    /// A new table with the plan applied (the given one is not changed).
    /// Raises TierError when the table no longer holds what the plan was made from.
    fn apply(&self, table: PyRef<'_, PyTable>) -> PyResult<PyTable> {
        let applied = self.plan.apply(&table.table).map_err(tier_error)?;
        Ok(PyTable::new_from(applied, table.schema.clone()))
    }

    /// The plan as CSV text, or None after writing `path` atomically.
    #[pyo3(signature = (path=None))]
    fn to_csv(&self, py: Python<'_>, path: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
        emit(py, self.plan.to_csv(), path)
    }

    fn __repr__(&self) -> String {
        format!("Plan({} changes)", self.plan.changes.len())
    }
}

/// A lower tier allowed more than a higher one (effective values), or with
/// `unknown` set, a pair that could not be compared.
#[pyclass(module = "sgperms._core", name = "Violation", frozen, get_all)]
pub struct PyViolation {
    upper: String,
    lower: String,
    target: TargetTuple,
    upper_value: String,
    lower_value: String,
    unknown: bool,
}

#[pymethods]
impl PyViolation {
    fn __str__(&self) -> String {
        let (k, e, n, a) = &self.target;
        let relation = if self.unknown {
            "cannot be compared with"
        } else {
            "allows less than"
        };
        format!(
            "{k}:{e}:{n}:{a}: {} ({}) {relation} {} ({})",
            self.upper,
            display_value(&self.upper_value),
            self.lower,
            display_value(&self.lower_value)
        )
    }

    fn __repr__(&self) -> String {
        format!("Violation({})", self.__str__())
    }
}

fn display_value(value: &str) -> &str {
    if value.is_empty() {
        "unknown"
    } else {
        value
    }
}

/// An assignment decision: truthy when allowed; `.reason` always.
#[pyclass(module = "sgperms._core", name = "Decision", frozen, get_all)]
pub struct PyDecision {
    allowed: bool,
    reason: String,
    actor_role: String,
    current_role: String,
    new_role: String,
}

#[pymethods]
impl PyDecision {
    fn __bool__(&self) -> bool {
        self.allowed
    }

    /// The decision as a dict, for a log.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("allowed", self.allowed)?;
        d.set_item("reason", &self.reason)?;
        d.set_item("actor_role", &self.actor_role)?;
        d.set_item("current_role", &self.current_role)?;
        d.set_item("new_role", &self.new_role)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision({}: {})",
            if self.allowed { "allowed" } else { "refused" },
            self.reason
        )
    }
}

/// An audit finding: `kind` ("self_elevation" or "exceeds_ancestors"),
/// `role`, `target`, `value`, `detail`.
#[pyclass(module = "sgperms._core", name = "Finding", frozen, get_all)]
pub struct PyFinding {
    kind: &'static str,
    role: String,
    target: TargetTuple,
    value: String,
    detail: String,
}

#[pymethods]
impl PyFinding {
    fn __str__(&self) -> String {
        let (k, e, n, a) = &self.target;
        format!("{}: {k}:{e}:{n}:{a}: {}", self.kind, self.detail)
    }

    fn __repr__(&self) -> String {
        format!("Finding({})", self.__str__())
    }
}

/// Role tiers: chains of roles, higher first, from a tier file.
#[pyclass(module = "sgperms._core", name = "Tiers", frozen)]
pub struct PyTiers {
    tiers: Tiers,
}

#[pymethods]
impl PyTiers {
    /// Parses tier text: `a > b > c` chains, a lone role for an isolated one,
    /// `admins: x, y`, `#` comments. Returns Tiers; raises TierError.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<PyTiers> {
        Ok(PyTiers {
            tiers: Tiers::parse(text).map_err(tier_error)?,
        })
    }

    /// Reads a tier file. Returns Tiers; errors name the file and line.
    #[staticmethod]
    fn read(path: PathBuf) -> PyResult<PyTiers> {
        let bytes = std::fs::read(&path).map_err(|e| os_error(e, &path))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            TierError::new_err(format!(
                "{}: line {line}: invalid UTF-8; save the tier file as UTF-8 text",
                path.display()
            ))
        })?;
        let tiers = Tiers::parse(&text)
            .map_err(|e| TierError::new_err(format!("{}: {e}", path.display())))?;
        Ok(PyTiers { tiers })
    }

    /// Every role the file names, in order of first mention.
    #[getter]
    fn roles(&self) -> Vec<String> {
        self.tiers.roles().into_iter().map(str::to_string).collect()
    }

    /// Roles that may assign any role (the `admins:` line).
    #[getter]
    fn admins(&self) -> Vec<String> {
        self.tiers.admins().to_vec()
    }

    /// Every role above `role`. Returns a list of str.
    fn ancestors(&self, role: &str) -> PyResult<Vec<String>> {
        let found = self.tiers.ancestors(role).map_err(tier_error)?;
        Ok(found.into_iter().map(str::to_string).collect())
    }

    /// Every role below `role`. Returns a list of str.
    fn descendants(&self, role: &str) -> PyResult<Vec<String>> {
        let found = self.tiers.descendants(role).map_err(tier_error)?;
        Ok(found.into_iter().map(str::to_string).collect())
    }

    /// Plans giving `role` and every role above it at least `value`.
    /// Returns a Plan; the table is not changed.
    #[pyo3(signature = (table, role, kind, entity_type, name, action, value="yes"))]
    #[allow(clippy::too_many_arguments)]
    fn grant(
        &self,
        table: PyRef<'_, PyTable>,
        role: &str,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
        value: &str,
    ) -> PyResult<PyPlan> {
        let target = table.target(kind, entity_type, name, action)?;
        let value = parse_value(value).map_err(normalize_error)?;
        let plan = self
            .tiers
            .grant(&table.table, role, &target, &value)
            .map_err(tier_error)?;
        Ok(PyPlan { plan })
    }

    /// Plans taking the permission from `role` and every role below it.
    /// Returns a Plan; the table is not changed.
    #[pyo3(signature = (table, role, kind, entity_type, name, action))]
    #[allow(clippy::too_many_arguments)]
    fn revoke(
        &self,
        table: PyRef<'_, PyTable>,
        role: &str,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
    ) -> PyResult<PyPlan> {
        let target = table.target(kind, entity_type, name, action)?;
        let plan = self
            .tiers
            .revoke(&table.table, role, &target)
            .map_err(tier_error)?;
        Ok(PyPlan { plan })
    }

    /// Lower tiers allowed more than higher ones, on effective values; with
    /// `unknown=True` also the pairs where one side is unknown.
    #[pyo3(signature = (table, *, unknown=false))]
    fn check(
        &self,
        py: Python<'_>,
        table: PyRef<'_, PyTable>,
        unknown: bool,
    ) -> PyResult<Vec<PyViolation>> {
        let table = &table.table;
        let found = py
            .detach(|| self.tiers.check(table, unknown))
            .map_err(tier_error)?;
        Ok(found
            .into_iter()
            .map(|v| PyViolation {
                upper: v.upper,
                lower: v.lower,
                target: target_tuple(&v.target),
                upper_value: v.upper_value.to_text(),
                lower_value: v.lower_value.to_text(),
                unknown: v.unknown,
            })
            .collect())
    }

    /// Whether someone holding `actor_role` may move a person from
    /// `current_role` to `new_role`. Returns a Decision (truthy when allowed).
    fn can_assign(&self, actor_role: &str, current_role: &str, new_role: &str) -> PyDecision {
        let d = self.tiers.can_assign(actor_role, current_role, new_role);
        PyDecision {
            allowed: d.allowed,
            reason: d.reason,
            actor_role: actor_role.to_string(),
            current_role: current_role.to_string(),
            new_role: new_role.to_string(),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Tiers(roles={:?}, admins={:?})",
            self.tiers.roles(),
            self.tiers.admins()
        )
    }
}

/// Non-admin roles that can make themselves admin and, with tiers, roles
/// granted more than every role above them. Returns a list of Finding.
#[pyfunction]
#[pyo3(signature = (table, tiers=None))]
fn audit(table: PyRef<'_, PyTable>, tiers: Option<PyRef<'_, PyTiers>>) -> Vec<PyFinding> {
    core_audit::audit(&table.table, tiers.as_ref().map(|t| &t.tiers))
        .into_iter()
        .map(|f| PyFinding {
            kind: f.kind.as_str(),
            role: f.role,
            target: target_tuple(&f.target),
            value: f.value.to_text(),
            detail: f.detail,
        })
        .collect()
}

/// Differences between two tables (or two roles): `len()`, iteration over
/// records (dicts with change, role, kind, entity_type, name, action, before,
/// after, note), `summary()`, `to_csv()`, `to_markdown()`, `to_json()`,
/// `to_click_plan()`, `to_permission_changes()`, `apply(table)`,
/// `to_pandas()`.
#[pyclass(module = "sgperms._core", name = "Changes", frozen)]
pub struct PyChanges {
    changes: Changes,
}

fn records<'py>(py: Python<'py>, changes: &Changes) -> PyResult<Vec<Bound<'py, PyDict>>> {
    changes
        .records()
        .into_iter()
        .map(|record| {
            let d = PyDict::new(py);
            for (key, value) in RECORD_FIELDS.iter().zip(record) {
                d.set_item(key, value)?;
            }
            Ok(d)
        })
        .collect()
}

fn context<'a>(
    schema: Option<&'a CoreSchema>,
    roles: RoleRows,
    users: UserRows,
    title: &str,
) -> Context<'a> {
    Context {
        schema,
        roles: roles
            .unwrap_or_default()
            .into_iter()
            .map(|(code, display_name, user_type, template)| RoleInfo {
                code,
                display_name,
                user_type,
                template,
            })
            .collect(),
        people: users
            .unwrap_or_default()
            .into_iter()
            .map(|(role, login, name, active)| {
                (
                    role,
                    Person {
                        login,
                        name,
                        active,
                    },
                )
            })
            .collect(),
        title: title.to_string(),
    }
}

#[pymethods]
impl PyChanges {
    fn __len__(&self) -> usize {
        self.changes.len()
    }

    fn __bool__(&self) -> bool {
        !self.changes.is_empty()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyList::new(py, records(py, &self.changes)?)?
            .into_any()
            .try_iter()
            .map(|it| it.into_any())
    }

    /// The labels of the two sides ("old"/"new", or the two role codes).
    #[getter]
    fn old(&self) -> String {
        self.changes.old_label.clone()
    }

    #[getter(new)]
    fn new_label(&self) -> String {
        self.changes.new_label.clone()
    }

    #[getter]
    fn roles_added(&self) -> Vec<String> {
        self.changes.roles_added.clone()
    }

    #[getter]
    fn roles_removed(&self) -> Vec<String> {
        self.changes.roles_removed.clone()
    }

    #[getter]
    fn targets_added(&self) -> Vec<TargetTuple> {
        self.changes
            .targets_added
            .iter()
            .map(target_tuple)
            .collect()
    }

    #[getter]
    fn targets_removed(&self) -> Vec<TargetTuple> {
        self.changes
            .targets_removed
            .iter()
            .map(target_tuple)
            .collect()
    }

    /// One line: what changed, in numbers.
    fn summary(&self) -> String {
        self.changes.summary()
    }

    /// Plain text: the summary, then one line per difference.
    fn to_text(&self) -> String {
        self.changes.to_text()
    }

    /// The changes as CSV (change,role,kind,entity_type,name,action,before,after,note),
    /// or None after writing `path` atomically.
    #[pyo3(signature = (path=None))]
    fn to_csv(&self, py: Python<'_>, path: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
        emit(py, self.changes.to_csv(), path)
    }

    /// Markdown fit for a pull-request description.
    fn to_markdown(&self) -> String {
        report::changes_markdown(&self.changes)
    }

    /// The changes as JSON.
    fn to_json(&self) -> String {
        self.changes.to_json()
    }

    /// Where to click on ShotGrid's Permissions page, grouped by role and
    /// section; `roles` maps codes to display names.
    #[pyo3(signature = (roles=None, schema=None))]
    fn to_click_plan(
        &self,
        roles: Option<Vec<(String, String)>>,
        schema: Option<PySchema>,
    ) -> String {
        let roles = roles.map(|r| {
            r.into_iter()
                .map(|(c, d)| (c, d, String::new(), String::new()))
                .collect()
        });
        let schema = schema.map(|s| s.inner);
        report::click_plan(&self.changes, &context(schema.as_deref(), roles, None, ""))
    }

    /// EXPERIMENTAL: (entries, unmapped) — the `permission_changes` entries the
    /// web app's Permissions page sends, for the cells whose rule type is
    /// measured; and every other cell change with the reason it was left out.
    fn to_permission_changes<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Vec<Bound<'py, PyDict>>)> {
        let (known, unmapped) = webapp::permission_changes(&self.changes);
        let json = py.import("json")?;
        let known = json.call_method1("loads", (serde_json::Value::Array(known).to_string(),))?;
        let unmapped = unmapped
            .into_iter()
            .map(|u| {
                let d = PyDict::new(py);
                d.set_item("role", &u.change.role)?;
                d.set_item("target", target_tuple(&u.change.target))?;
                d.set_item("after", u.change.after.to_text())?;
                d.set_item("reason", &u.reason)?;
                Ok(d)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok((known, unmapped))
    }

    /// `table` with the changes made. Returns a new PermissionTable.
    fn apply(&self, table: PyRef<'_, PyTable>) -> PyResult<PyTable> {
        let applied = self.changes.apply(&table.table).map_err(table_error)?;
        Ok(PyTable::new_from(applied, table.schema.clone()))
    }

    /// The records as a pandas DataFrame. Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = py.import("pandas").map_err(|_| {
            PyImportError::new_err("to_pandas() needs pandas: pip install 'sgperms[pandas]'")
        })?;
        let rows = records(py, &self.changes)?;
        let frame = pandas.call_method1("DataFrame", (PyList::new(py, rows)?,))?;
        let columns = PyList::new(py, RECORD_FIELDS)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("columns", columns)?;
        frame.call_method("reindex", (), Some(&kwargs))
    }

    /// A compact HTML preview for Jupyter.
    fn _repr_html_(&self) -> String {
        report::changes_preview(&self.changes, 50)
    }

    fn __repr__(&self) -> String {
        format!("Changes({})", self.changes.summary())
    }
}

/// Drift: cells where `probed` disagrees with `recorded` (effective values,
/// by permission order), only where both know. Returns Changes.
#[pyfunction]
fn drift(recorded: PyRef<'_, PyTable>, probed: PyRef<'_, PyTable>) -> PyChanges {
    PyChanges {
        changes: core_diff::drift(&recorded.table, &probed.table),
    }
}

/// Everything that differs from `old` to `new`: roles matched by code,
/// targets by key. Returns Changes.
#[pyfunction]
fn diff(old: PyRef<'_, PyTable>, new: PyRef<'_, PyTable>) -> PyChanges {
    PyChanges {
        changes: core_diff::diff(&old.table, &new.table),
    }
}

type RoleRows = Option<Vec<(String, String, String, String)>>;
type UserRows = Option<Vec<(String, String, String, Option<bool>)>>;

/// One role's page ("what may this role do?") as Markdown or HTML. `roles`:
/// (code, display_name, user_type, template); `users`: (role, login, name,
/// active). Returns a str.
#[pyfunction]
#[pyo3(signature = (table, role, *, format="markdown", roles=None, users=None, schema=None, title=""))]
#[allow(clippy::too_many_arguments)]
fn report_role(
    table: PyRef<'_, PyTable>,
    role: &str,
    format: &str,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
) -> PyResult<String> {
    let format = match format {
        "markdown" | "md" => Format::Markdown,
        "html" => Format::Html,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown format \"{other}\"; expected \"markdown\" or \"html\""
            )))
        }
    };
    let schema = schema.map(|s| s.inner).or_else(|| table.schema.clone());
    let ctx = context(schema.as_deref(), roles, users, title);
    report::role_report(&table.table, role, &ctx, format).ok_or_else(|| {
        table
            .table
            .require_role(role)
            .map_err(table_error)
            .unwrap_err()
    })
}

/// The HTML site: index.html, one page per role and matrix.html, as
/// `(file name, text)` pairs for a managed folder to write as one unit.
#[pyfunction]
#[pyo3(signature = (table, *, roles=None, users=None, schema=None, title=""))]
fn render_site(
    table: PyRef<'_, PyTable>,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
) -> Vec<(String, String)> {
    let schema = schema.map(|s| s.inner).or_else(|| table.schema.clone());
    let ctx = context(schema.as_deref(), roles, users, title);
    report::html_site(&table.table, &ctx)
}

/// A managed folder opened to read (shared) or write (exclusive) as one unit;
/// holds the folder's lock until `close()` or the end of a `with` block.
#[pyclass(module = "sgperms._core", name = "Folder")]
pub struct PyFolder {
    inner: Option<Folder>,
    path: PathBuf,
}

#[pymethods]
impl PyFolder {
    /// Opens `path`, waiting up to `wait` seconds for other sgperms processes,
    /// rolling back an interrupted write first (`recovered` says so).
    #[new]
    #[pyo3(signature = (path, *, write, wait = 30.0, holder = ""))]
    fn new(py: Python<'_>, path: PathBuf, write: bool, wait: f64, holder: &str) -> PyResult<Self> {
        let access = if write { Access::Write } else { Access::Read };
        let wait = std::time::Duration::try_from_secs_f64(wait.max(0.0))
            .unwrap_or(std::time::Duration::MAX);
        let inner = py
            .detach(|| Folder::open(&path, access, wait, holder))
            .map_err(|e| folder_error(py, e))?;
        Ok(PyFolder {
            inner: Some(inner),
            path,
        })
    }

    /// The sentence saying what interrupted write was rolled back on opening, or None.
    #[getter]
    fn recovered(&self) -> Option<String> {
        self.inner
            .as_ref()
            .and_then(|f| f.recovered().map(str::to_string))
    }

    /// The folder.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Replaces the named files (`(name, bytes)` pairs, plain names) as one
    /// unit: all new, or on error all as they were. Returns None.
    fn commit(&mut self, py: Python<'_>, files: Vec<(String, Vec<u8>)>) -> PyResult<()> {
        let folder = self
            .inner
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the folder is closed"))?;
        let pairs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        py.detach(|| folder.commit(&pairs))
            .map_err(|e| folder_error(py, e))
    }

    /// Raises FolderError for a name `commit` would refuse (a symlink, a
    /// directory, a read-only file); returns None.
    fn check(&self, py: Python<'_>, names: Vec<String>) -> PyResult<()> {
        let Some(folder) = self.inner.as_ref() else {
            return Ok(());
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        folder.check(&names).map_err(|e| folder_error(py, e))
    }

    /// Releases the lock (removing the lock file when nobody else holds it).
    fn close(&mut self) {
        self.inner = None;
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }
}
