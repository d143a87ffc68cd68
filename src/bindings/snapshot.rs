//! The snapshot template a schema implies, and carrying a previous
//! snapshot's known values into a fresh one.

use pyo3::prelude::*;

use super::schema::PySchema;
use super::table::{target_tuple, PyTable, TargetTuple};
use crate::snapshot;

/// The table a schema implies: every entity type (4 actions) and field (see,
/// edit) for these roles; entity cells unknown, field cells "inherit".
#[pyfunction]
fn template(schema: PySchema, roles: Vec<String>) -> PyResult<PyTable> {
    let table = snapshot::template(&schema.inner, &roles)?;
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
        fresh.derived(r.table),
        r.added.iter().map(target_tuple).collect(),
        r.dropped.iter().map(target_tuple).collect(),
        r.dropped_roles,
    )
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(template, m)?)?;
    m.add_function(wrap_pyfunction!(refresh, m)?)?;
    Ok(())
}
