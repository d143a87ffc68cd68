//! `Schema`: a site's entity types and fields, from shotgun_api3's dicts or
//! sgperms' JSON.

use std::sync::Arc;

use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::schema::{EntitySchema, Schema, ShotgunField};

/// A site's schema: entity types and fields with display names and data types.
#[pyclass(module = "sgperms._core", name = "Schema", frozen, from_py_object)]
#[derive(Clone)]
pub struct PySchema {
    pub(super) inner: Arc<Schema>,
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

/// The fields of `schema_read()[code]`.
fn shotgun_fields(code: &str, fields: &Bound<'_, PyAny>) -> PyResult<Vec<ShotgunField>> {
    let fields = fields.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "schema_read()[\"{code}\"] must be a dict of fields"
        ))
    })?;
    fields
        .iter()
        .map(|(field_code, field)| {
            let field_code: String = field_code.extract()?;
            let context = |e: PyErr| {
                PyTypeError::new_err(format!("schema_read()[\"{code}\"][\"{field_code}\"]: {e}"))
            };
            Ok(ShotgunField {
                name: shotgun_value(&field, "name").map_err(context)?,
                data_type: shotgun_value(&field, "data_type").map_err(context)?,
                code: field_code,
            })
        })
        .collect()
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
        let fields = schema_read
            .iter()
            .map(|(code, fields)| {
                let code: String = code.extract()?;
                let fields = shotgun_fields(&code, &fields)?;
                Ok((code, fields))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let names = match schema_entity_read {
            Some(entities) => entities
                .iter()
                .map(|(code, info)| Ok((code.extract()?, shotgun_value(&info, "name")?)))
                .collect::<PyResult<Vec<_>>>()?,
            None => Vec::new(),
        };
        Ok(PySchema {
            inner: Arc::new(Schema::from_shotgun(fields, names)),
        })
    }

    /// Reads a schema written by `to_json()`. Returns a `Schema`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<PySchema> {
        let inner = Schema::from_json(text)
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

    /// Pickles as its JSON.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let from_json = slf.get_type().getattr("from_json")?;
        (from_json, (slf.get().to_json(),)).into_pyobject(py)
    }

    /// A schema is immutable: a copy is the schema itself.
    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }
}

impl PySchema {
    fn entity(&self, entity_type: &str) -> PyResult<&EntitySchema> {
        self.inner.entity(entity_type).ok_or_else(|| {
            PyKeyError::new_err(format!("no entity type \"{entity_type}\" in the schema"))
        })
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySchema>()
}
