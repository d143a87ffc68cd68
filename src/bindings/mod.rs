//! The Python module `sgperms._core`: PyO3 classes and functions that only
//! convert between Python values and the core's types, one file per area.
//! Core errors become Python exceptions in [`errors`], through `From`, so
//! `?` is the whole of error handling here.

use pyo3::prelude::*;

mod arrow;
mod audit;
mod diff;
mod errors;
mod folder;
mod output;
mod report;
mod schema;
mod snapshot;
mod table;
mod tiers;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    table::register(m)?;
    schema::register(m)?;
    folder::register(m)?;
    tiers::register(m)?;
    audit::register(m)?;
    diff::register(m)?;
    report::register(m)?;
    output::register(m)?;
    arrow::register(m)?;
    snapshot::register(m)?;
    Ok(())
}
