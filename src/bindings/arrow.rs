//! Arrow out: a result as one Arrow record batch, handed to polars, pyarrow,
//! DuckDB (anything that reads the Arrow PyCapsule interface) through
//! `__arrow_c_stream__`, with no Python object per cell.
//!
//! A result lists its columns into [`Columns`]: texts that repeat
//! (targets, roles, values) as dictionary-encoded columns
//! (`Dictionary<Int32, Utf8>`, which pyarrow and pandas read as categories),
//! free text (notes) as plain `Utf8`, flags as `Boolean`; then
//! [`stream`] makes the capsule. No column holds nulls: an unknown
//! value is the empty string, as in the CSV.

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Int32Array, RecordBatch, RecordBatchIterator,
    StringArray,
};
use arrow_schema::{ArrowError, Field, Schema};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::csvio::Categorical;

/// The capsule name the PyCapsule interface gives an `ArrowArrayStream`.
const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// The columns of one record batch, in order.
#[derive(Default)]
pub(super) struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Columns {
    /// A dictionary values array of `texts`, to share between columns with
    /// [`Columns::dictionary`]. Returns an error past 2 GiB of text.
    pub(super) fn values(texts: &[&str]) -> Result<ArrayRef, ArrowError> {
        Ok(Arc::new(strings(texts)?))
    }

    /// Adds a dictionary-encoded column: `keys` index into `values` (from
    /// [`Columns::values`]). Returns an error when a key is out of range.
    pub(super) fn dictionary(
        &mut self,
        name: &str,
        keys: Vec<i32>,
        values: &ArrayRef,
    ) -> Result<&mut Self, ArrowError> {
        let array = DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), values.clone())?;
        Ok(self.push(name, Arc::new(array)))
    }

    /// Adds a dictionary-encoded column from a [`Categorical`]: its
    /// categories become the dictionary, in their order.
    pub(super) fn categorical(
        &mut self,
        name: &str,
        column: Categorical<'_>,
    ) -> Result<&mut Self, ArrowError> {
        let values = Columns::values(&column.categories)?;
        self.dictionary(name, column.codes, &values)
    }

    /// Adds a dictionary-encoded column of `texts`, coded in order of first
    /// appearance.
    pub(super) fn interned<'t>(
        &mut self,
        name: &str,
        texts: impl IntoIterator<Item = &'t str>,
    ) -> Result<&mut Self, ArrowError> {
        self.categorical(name, Categorical::of(texts))
    }

    /// Adds a plain text column. Returns an error past 2 GiB of text.
    pub(super) fn text<'t>(
        &mut self,
        name: &str,
        texts: impl IntoIterator<Item = &'t str>,
    ) -> Result<&mut Self, ArrowError> {
        let texts: Vec<&str> = texts.into_iter().collect();
        Ok(self.push(name, Arc::new(strings(&texts)?)))
    }

    /// Adds a boolean column.
    pub(super) fn boolean(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = bool>,
    ) -> &mut Self {
        let array: BooleanArray = values.into_iter().map(Some).collect();
        self.push(name, Arc::new(array))
    }

    fn push(&mut self, name: &str, array: ArrayRef) -> &mut Self {
        self.fields
            .push(Field::new(name, array.data_type().clone(), false));
        self.arrays.push(array);
        self
    }

    /// The columns as one record batch. Returns an error when their lengths
    /// differ.
    fn batch(self) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(Arc::new(Schema::new(self.fields)), self.arrays)
    }
}

/// `texts` as a `Utf8` array, or an error where its 32-bit offsets would
/// overflow (arrow-rs panics there).
fn strings(texts: &[&str]) -> Result<StringArray, ArrowError> {
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    if i32::try_from(bytes).is_err() {
        return Err(ArrowError::InvalidArgumentError(format!(
            "{bytes} bytes of text do not fit one Arrow Utf8 column"
        )));
    }
    Ok(StringArray::from_iter_values(texts))
}

/// The answer of `__arrow_c_stream__`: a new `arrow_array_stream` capsule
/// yielding `columns` as one record batch. A `requested_schema` is accepted
/// and, as the PyCapsule interface allows, answered with the columns' own
/// schema: sgperms does not cast.
pub(super) fn stream<'py>(
    py: Python<'py>,
    columns: Result<Columns, ArrowError>,
    requested_schema: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyCapsule>> {
    let _ = requested_schema;
    let batch = columns.and_then(Columns::batch).map_err(arrow_error)?;
    let schema = batch.schema();
    let reader = RecordBatchIterator::new([Ok(batch)], schema);
    // The consumer moves the stream out of the capsule and marks it
    // released; dropping the capsule releases a stream nobody took.
    PyCapsule::new_with_value(
        py,
        FFI_ArrowArrayStream::new(Box::new(reader)),
        STREAM_CAPSULE,
    )
}

/// An Arrow error as a Python RuntimeError: only a bug in sgperms (columns of
/// different lengths, a code out of range) or 2 GiB of text in one column
/// produces one.
fn arrow_error(err: ArrowError) -> PyErr {
    PyRuntimeError::new_err(format!("sgperms could not build Arrow columns: {err}"))
}

/// Text columns of Python records as an Arrow stream capsule (for a result
/// built in Python, such as `sgperms.History`): `columns` pairs a name with
/// its texts, every column the same length; those named in `repeated` are
/// dictionary-encoded, the others plain `Utf8`. Returns the capsule;
/// ValueError when the lengths differ.
#[pyfunction]
#[pyo3(signature = (columns, repeated, requested_schema=None))]
fn arrow_text_stream<'py>(
    py: Python<'py>,
    columns: Vec<(String, Vec<String>)>,
    repeated: Vec<String>,
    requested_schema: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyCapsule>> {
    let lengths: std::collections::BTreeSet<usize> = columns.iter().map(|(_, c)| c.len()).collect();
    if lengths.len() > 1 {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "columns of different lengths: {lengths:?}"
        )));
    }
    let built = py.detach(|| {
        let mut out = Columns::default();
        for (name, texts) in &columns {
            let texts = texts.iter().map(String::as_str);
            if repeated.contains(name) {
                out.interned(name, texts)?;
            } else {
                out.text(name, texts)?;
            }
        }
        Ok(out)
    });
    stream(py, built, requested_schema)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(arrow_text_stream, m)?)?;
    Ok(())
}
