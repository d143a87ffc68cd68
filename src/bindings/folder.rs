//! `Folder`: a managed folder (snapshot, report site) read or written as
//! one unit.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::folder::{Access, Folder};

/// A managed folder opened to read (shared) or write (exclusive) as one unit;
/// holds the folder's lock until `close()` or the end of a `with` block.
#[pyclass(module = "sgperms._core", name = "Folder")]
pub struct PyFolder {
    inner: Option<Folder>,
    path: PathBuf,
}

impl PyFolder {
    /// The open folder; ValueError once closed.
    pub(super) fn open_mut(&mut self) -> PyResult<&mut Folder> {
        self.inner
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the folder is closed"))
    }
}

#[pymethods]
impl PyFolder {
    /// Opens `path`, waiting up to `wait` seconds for other sgperms processes,
    /// rolling back an interrupted write first (`recovered` says so).
    #[new]
    #[pyo3(signature = (path, *, write, wait = 30.0, holder = ""))]
    fn new(py: Python<'_>, path: PathBuf, write: bool, wait: f64, holder: &str) -> PyResult<Self> {
        let access = if write { Access::Write } else { Access::Read };
        let wait = Duration::try_from_secs_f64(wait.max(0.0)).unwrap_or(Duration::MAX);
        let inner = py.detach(|| Folder::open(&path, access, wait, holder))?;
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

    /// Replaces the named files (`(name, bytes)` pairs, plain names) and
    /// removes the files named in `remove` as one unit: all new and the
    /// removed ones gone, or on error all as they were. Returns None.
    #[pyo3(signature = (files, *, remove = None))]
    fn commit(
        &mut self,
        py: Python<'_>,
        files: Vec<(String, Vec<u8>)>,
        remove: Option<Vec<String>>,
    ) -> PyResult<()> {
        let folder = self.open_mut()?;
        let pairs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let remove: Vec<&str> = remove.iter().flatten().map(String::as_str).collect();
        Ok(py.detach(|| folder.commit_removing(&pairs, &remove))?)
    }

    /// Raises FolderError for a name `commit` would refuse (a symlink, a
    /// directory, a read-only file); returns None.
    fn check(&self, names: Vec<String>) -> PyResult<()> {
        let Some(folder) = self.inner.as_ref() else {
            return Ok(());
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(folder.check(&names)?)
    }

    /// Releases the lock (removing the lock file when nobody else holds it).
    fn close(&mut self) {
        self.inner = None;
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, PyTuple>) -> bool {
        self.close();
        false
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFolder>()
}
