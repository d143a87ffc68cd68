//! `audit()` and its result, `Findings` (holding `Finding`s).

use pyo3::prelude::*;

use super::table::{target_tuple, PyTable, TargetTuple};
use super::tiers::{list_result_methods, py_bool, Items, PyTiers, PREVIEW_ROWS};
use crate::audit::{self, Finding};
use crate::report;

/// An audit finding: `kind` ("self_elevation" or "exceeds_ancestors"),
/// `role`, `target`, `value`, `detail`.
#[pyclass(module = "sgperms._core", name = "Finding", frozen)]
pub struct PyFinding {
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    role: String,
    #[pyo3(get)]
    target: TargetTuple,
    #[pyo3(get)]
    value: String,
    #[pyo3(get)]
    detail: String,
    /// The core's sentence for it.
    text: String,
}

impl From<Finding> for PyFinding {
    fn from(f: Finding) -> PyFinding {
        PyFinding {
            text: f.to_string(),
            kind: f.kind.as_str(),
            target: target_tuple(&f.target),
            value: f.value.to_text(),
            role: f.role,
            detail: f.detail,
        }
    }
}

#[pymethods]
impl PyFinding {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!("Finding({})", self.text)
    }
}

/// The result of `audit()`: the findings, with a list's behaviour (`len`,
/// iteration, indexing and slicing, `==` against a list or another result,
/// `in`, a list's repr) and a Jupyter preview.
#[pyclass(module = "sgperms._core", name = "Findings", frozen)]
pub struct PyFindings {
    findings: Vec<Finding>,
    items: Items,
}

list_result_methods!(PyFindings, findings, report::findings_preview);

/// Non-admin roles that can make themselves admin and, with tiers, roles
/// granted more than every role above them. Returns Findings (a list's
/// behaviour, and a Jupyter preview).
#[pyfunction(name = "audit")]
#[pyo3(signature = (table, tiers=None))]
fn audit_table(
    py: Python<'_>,
    table: PyRef<'_, PyTable>,
    tiers: Option<PyRef<'_, PyTiers>>,
) -> PyResult<PyFindings> {
    let findings = audit::audit(&table.table, tiers.as_ref().map(|t| &t.tiers));
    let items = Items::new(py, findings.iter().cloned().map(PyFinding::from))?;
    Ok(PyFindings { findings, items })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFinding>()?;
    m.add_class::<PyFindings>()?;
    m.add_function(wrap_pyfunction!(audit_table, m)?)?;
    Ok(())
}
