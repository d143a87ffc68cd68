//! `Changes`: differences between two tables or two roles, from `diff()`,
//! `drift()` and `PermissionTable.compare_roles()`.

use arrow_schema::ArrowError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList};

use super::arrow::{self, Columns};
use super::output::emit;
use super::report::{context, RoleRows};
use super::schema::PySchema;
use super::table::{import_pandas, target_tuple, PyTable, TargetTuple};
use crate::diff::{self, Changes, RECORD_FIELDS};
use crate::report;
use crate::vocab::NOTE;
use crate::webapp;

/// Differences between two tables (or two roles): `len()`, iteration over
/// records (dicts with change, role, kind, entity_type, name, action, before,
/// after, note), `summary()`, `to_csv()`, `to_markdown()`, `to_json()`,
/// `to_click_plan()`, `to_permission_changes()`, `apply(table)`,
/// `to_pandas()`.
#[pyclass(module = "sgperms._core", name = "Changes", frozen)]
pub struct PyChanges {
    pub(super) changes: Changes,
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

/// The records as Arrow columns, [`RECORD_FIELDS`] in order: every column
/// but note dictionary-encoded.
fn arrow_columns(changes: &Changes) -> Result<Columns, ArrowError> {
    let records = changes.records();
    let mut columns = Columns::default();
    for (i, name) in RECORD_FIELDS.iter().enumerate() {
        let texts = records.iter().map(|record| record[i].as_str());
        if *name == NOTE {
            columns.text(name, texts)?;
        } else {
            columns.interned(name, texts)?;
        }
    }
    Ok(columns)
}

fn targets(targets: &[crate::model::Target]) -> Vec<TargetTuple> {
    targets.iter().map(target_tuple).collect()
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
        targets(&self.changes.targets_added)
    }

    #[getter]
    fn targets_removed(&self) -> Vec<TargetTuple> {
        targets(&self.changes.targets_removed)
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
        let roles: RoleRows = roles.map(|r| {
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
                d.set_item("role", u.change.role.as_str())?;
                d.set_item("target", target_tuple(&u.change.target))?;
                d.set_item("after", u.change.after.text())?;
                d.set_item("reason", &u.reason)?;
                Ok(d)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok((known, unmapped))
    }

    /// `table` with the changes made. Returns a new PermissionTable.
    fn apply(&self, table: PyRef<'_, PyTable>) -> PyResult<PyTable> {
        Ok(table.derived(self.changes.apply(&table.table)?))
    }

    /// The records as a pandas DataFrame. Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py)?;
        let rows = records(py, &self.changes)?;
        let frame = pandas.call_method1("DataFrame", (PyList::new(py, rows)?,))?;
        let columns = PyList::new(py, RECORD_FIELDS)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("columns", columns)?;
        frame.call_method("reindex", (), Some(&kwargs))
    }

    /// The records as an Arrow stream (the PyCapsule interface, for polars,
    /// pyarrow, DuckDB): the columns of `to_csv()`, every one but note
    /// dictionary-encoded. Returns a new stream each call.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let columns = py.detach(|| arrow_columns(&self.changes));
        arrow::stream(py, columns, requested_schema)
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
        changes: diff::drift(&recorded.table, &probed.table),
    }
}

/// Everything that differs from `old` to `new`: roles matched by code,
/// targets by key. Returns Changes.
#[pyfunction(name = "diff")]
fn diff_tables(old: PyRef<'_, PyTable>, new: PyRef<'_, PyTable>) -> PyChanges {
    PyChanges {
        changes: diff::diff(&old.table, &new.table),
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyChanges>()?;
    m.add_function(wrap_pyfunction!(diff_tables, m)?)?;
    m.add_function(wrap_pyfunction!(drift, m)?)?;
    Ok(())
}
