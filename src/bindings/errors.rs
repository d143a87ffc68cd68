//! Every Python exception class of sgperms, and the one place where Rust
//! errors become them: a `From` impl per core error, so `?` converts at the
//! boundary.
//!
//! `SgpermsError(Exception)` is the base of them all. `CsvError`,
//! `TableError`, `NormalizeError` and `TierError` also subclass
//! `ValueError`, `FolderError` `OSError`. Every instance carries `.kind`,
//! the variant's snake_case name (`unknown_role`, `busy`...); a subclass
//! defined in Python (`ProbeAborted`) gets its own name as its class-level
//! default (`probe_aborted`).

use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::csvio::CsvError as CoreCsvError;
use crate::folder::FolderError as CoreFolderError;
use crate::model::ModelError;
use crate::normalize::{NormalizeError as CoreNormalizeError, TargetError};
use crate::tiers::{TierError as CoreTierError, TierFileError};

pyo3::create_exception!(
    _core,
    FormulaWarning,
    pyo3::exceptions::PyUserWarning,
    "A table read holds cells a spreadsheet would run as formulas (=, +, -, @, tab, CR first); sgperms keeps them as written."
);

/// The module the exception classes say they live in: where users import
/// them from, and where pickle finds them.
const MODULE: &str = "sgperms";

/// The exception classes below `SgpermsError`.
#[derive(Debug, Clone, Copy)]
enum Class {
    Csv,
    Table,
    Normalize,
    Tier,
    Folder,
}

/// Name, second base and docstring of each [`Class`], in the order of its
/// variants. They are built by calling `type()` at import: `create_exception!`
/// gives a class one base, and these have two.
const CLASSES: [(&str, Base, &str); 5] = [
    (
        "CsvError",
        Base::Value,
        "A permission CSV could not be read. `.path`, `.row` (line), `.column` and `.value` say where.",
    ),
    (
        "TableError",
        Base::Value,
        "A change the permission table cannot hold: unknown role, malformed target, inherit outside a field.",
    ),
    (
        "NormalizeError",
        Base::Value,
        "A name or value that normalisation cannot turn into its canonical form.",
    ),
    (
        "TierError",
        Base::Value,
        "A tier file or tier operation failed: syntax, a cycle, an unknown role, a stale plan.",
    ),
    (
        "FolderError",
        Base::Os,
        "A managed folder (snapshot, report site) could not be read or written as one unit; `.kind` says why.",
    ),
];

#[derive(Debug, Clone, Copy)]
enum Base {
    Value,
    Os,
}

static SGPERMS_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
// Apart from SGPERMS_ERROR: creating a subclass runs its __init_subclass__,
// which reads SGPERMS_ERROR while this lock is being filled.
static SUBCLASSES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

/// `SgpermsError`, created on first use.
fn sgperms_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    SGPERMS_ERROR
        .get_or_try_init(py, || {
            let dict = PyDict::new(py);
            dict.set_item("__module__", MODULE)?;
            dict.set_item(
                "__doc__",
                "Base of every sgperms exception. `.kind` names what went wrong in a word \
                 (snake_case), e.g. \"unknown_role\", \"duplicate_column\", \"busy\".",
            )?;
            dict.set_item("kind", "sgperms_error")?;
            let hook = wrap_pyfunction!(init_subclass, py)?;
            let classmethod = py.import("builtins")?.getattr("classmethod")?;
            dict.set_item("__init_subclass__", classmethod.call1((hook,))?)?;
            new_class(py, "SgpermsError", (py.get_type::<PyException>(),), dict)
        })
        .map(|class| class.bind(py))
}

/// The class of one [`Class`], created (with the others) on first use.
fn class(py: Python<'_>, which: Class) -> PyResult<&Bound<'_, PyType>> {
    Ok(subclasses(py)?[which as usize].bind(py))
}

/// The classes of [`CLASSES`], in its order.
fn subclasses(py: Python<'_>) -> PyResult<&Vec<Py<PyType>>> {
    SUBCLASSES.get_or_try_init(py, || {
        let base = sgperms_error(py)?;
        CLASSES
            .iter()
            .map(|(name, second, doc)| {
                let dict = PyDict::new(py);
                dict.set_item("__module__", MODULE)?;
                dict.set_item("__doc__", doc)?;
                let second = match second {
                    Base::Value => py.get_type::<PyValueError>(),
                    Base::Os => py.get_type::<PyOSError>(),
                };
                new_class(py, name, (base.clone(), second), dict)
            })
            .collect::<PyResult<Vec<_>>>()
    })
}

fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: impl IntoPyObject<'py, Target = PyTuple>,
    dict: Bound<'py, PyDict>,
) -> PyResult<Py<PyType>> {
    let class = py.get_type::<PyType>().call1((name, bases, dict))?;
    Ok(class.cast_into::<PyType>()?.unbind())
}

/// `SgpermsError.__init_subclass__`: a subclass that sets no `kind` of its
/// own gets its name in snake_case (`ProbeAborted` -> `probe_aborted`), so
/// every instance has one.
#[pyfunction]
#[pyo3(signature = (cls, **kwargs))]
fn init_subclass(cls: &Bound<'_, PyType>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let py = cls.py();
    let base = sgperms_error(py)?;
    let parent = py
        .import("builtins")?
        .getattr("super")?
        .call1((base, cls))?;
    parent.call_method("__init_subclass__", (), kwargs)?;
    if !cls.getattr("__dict__")?.contains("kind")? {
        cls.setattr("kind", snake_case(&cls.name()?.to_cow()?))?;
    }
    Ok(())
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// An exception of `which` with `message` and `.kind`, on which `more`
/// may set other attributes.
fn raise_with(
    which: Class,
    message: String,
    kind: &str,
    more: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<()>,
) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let exc = class(py, which)?.call1((message,))?;
            exc.setattr("kind", kind)?;
            more(&exc)?;
            Ok(PyErr::from_value(exc))
        };
        build().unwrap_or_else(|e| e)
    })
}

/// An exception of `which` with `message` and `.kind`.
fn raise(which: Class, message: String, kind: &str) -> PyErr {
    raise_with(which, message, kind, |_| Ok(()))
}

impl From<ModelError> for PyErr {
    fn from(e: ModelError) -> PyErr {
        raise(Class::Table, e.to_string(), e.kind())
    }
}

impl From<CoreNormalizeError> for PyErr {
    fn from(e: CoreNormalizeError) -> PyErr {
        raise(Class::Normalize, e.to_string(), e.kind())
    }
}

impl From<TargetError> for PyErr {
    fn from(e: TargetError) -> PyErr {
        let which = match e {
            TargetError::Normalize(..) => Class::Normalize,
            TargetError::Model(..) => Class::Table,
        };
        raise(which, e.to_string(), e.kind())
    }
}

impl From<CoreTierError> for PyErr {
    fn from(e: CoreTierError) -> PyErr {
        raise(Class::Tier, e.to_string(), e.kind())
    }
}

impl From<TierFileError> for PyErr {
    fn from(e: TierFileError) -> PyErr {
        match e {
            TierFileError::Io { path, source } => os_error(source, &path),
            other => raise(Class::Tier, other.to_string(), other.kind()),
        }
    }
}

impl From<CoreFolderError> for PyErr {
    fn from(e: CoreFolderError) -> PyErr {
        raise(Class::Folder, e.to_string(), e.kind())
    }
}

impl From<CoreCsvError> for PyErr {
    fn from(e: CoreCsvError) -> PyErr {
        let message = e.to_string();
        let e = e.into_detail();
        raise_with(Class::Csv, message, e.kind.kind(), |exc| {
            exc.setattr("path", e.path)?;
            exc.setattr("row", e.row)?;
            exc.setattr("column", e.column)?;
            exc.setattr("value", e.value)
        })
    }
}

/// An OSError naming the file, as Python's own `open()` raises it: the
/// errno picks the subclass (FileNotFoundError...), `.filename` is set.
pub(super) fn os_error(e: std::io::Error, path: &std::path::Path) -> PyErr {
    let text = e.to_string();
    let strerror = text.split(" (os error").next().unwrap_or(&text).to_string();
    let filename = path.to_string_lossy().into_owned();
    match e.raw_os_error() {
        Some(errno) => PyOSError::new_err((errno, strerror, filename)),
        None => PyOSError::new_err(format!("{filename}: {strerror}")),
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SgpermsError", sgperms_error(py)?)?;
    for ((name, ..), class) in CLASSES.iter().zip(subclasses(py)?) {
        m.add(*name, class.bind(py))?;
    }
    m.add("FormulaWarning", py.get_type::<FormulaWarning>())?;
    Ok(())
}
