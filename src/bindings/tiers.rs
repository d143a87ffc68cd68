//! `Tiers` and what it answers: `Plan`s of `Change`s, `Violations` (a
//! result holding `Violation`s) and assignment `Decision`s; [`Items`], the
//! list behaviour that result types share.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arrow_schema::ArrowError;
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyCapsule, PyDict, PyList, PySlice};

use super::arrow::{self, Columns};
use super::output::emit;
use super::table::{import_pandas, target_tuple, PyTable, TargetTuple};
use crate::intern::Name;
use crate::normalize::parse_value;
use crate::report;
use crate::tiers::{Change, Decision, Plan, Tiers, Violation};
use indexmap::IndexMap;

/// Rows a Jupyter preview shows before it says how many more there are.
pub(super) const PREVIEW_ROWS: usize = 50;

/// `value` as a Python bool, for a rich comparison's answer.
pub(super) fn py_bool(py: Python<'_>, value: bool) -> Py<PyAny> {
    PyBool::new(py, value).to_owned().into_any().unbind()
}

/// The `#[pymethods]` of a result that behaves like the list of its items
/// (`Violations`, `Findings`): one definition, so the two cannot drift.
/// `$data` is the field holding the core's items, `$preview` the renderer of
/// its Jupyter preview; a block after it holds the class's other methods
/// (pyo3 takes one `#[pymethods]` block per class).
macro_rules! list_result_methods {
    ($class:ident, $data:ident, $preview:path $(, { $($extra:tt)* })?) => {
        #[pymethods]
        impl $class {
            $($($extra)*)?

            fn __len__(&self) -> usize {
                self.items.len()
            }

            fn __bool__(&self) -> bool {
                self.items.len() > 0
            }

            fn __getitem__<'py>(&self, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                self.items.get(index)
            }

            fn __iter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                slf.get().items.iter(slf.as_any(), false)
            }

            fn __reversed__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                slf.get().items.iter(slf.as_any(), true)
            }

            fn __contains__(&self, value: &Bound<'_, PyAny>) -> PyResult<bool> {
                self.items.contains(value)
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                match other.cast::<$class>() {
                    Ok(other) => Ok(py_bool(other.py(), self.$data == other.get().$data)),
                    Err(_) => self.items.eq_list(other),
                }
            }

            /// A compact HTML preview for Jupyter (the first 50 items).
            fn _repr_html_(&self) -> String {
                $preview(&self.$data, PREVIEW_ROWS)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                self.items.repr(py)
            }
        }
    };
}
pub(super) use list_result_methods;

/// Makes the Python item at an index, the first time it is asked for.
type Build = Box<dyn Fn(Python<'_>, usize) -> PyResult<Py<PyAny>> + Send + Sync>;

/// The Python items of a result that stands in for a list (`Violations`,
/// `Findings`): each made on first use and kept (`len()` makes none,
/// `result[0]` and iteration make only what they reach), so
/// `result[0] is result[0]` and `result == list(result)` hold as they do for
/// a list. The result keeps the core's data beside them for its preview and
/// columns.
pub(super) struct Items {
    len: usize,
    /// One slot per item, allocated on first use.
    slots: OnceLock<Box<[OnceLock<Py<PyAny>>]>>,
    build: Build,
}

impl Items {
    /// The Python objects for `values`, in order, made now.
    pub(super) fn new<T: pyo3::PyClass + Into<PyClassInitializer<T>>>(
        py: Python<'_>,
        values: impl IntoIterator<Item = T>,
    ) -> PyResult<Items> {
        let slots: Box<[OnceLock<Py<PyAny>>]> = values
            .into_iter()
            .map(|v| Ok(OnceLock::from(Py::new(py, v)?.into_any())))
            .collect::<PyResult<_>>()?;
        Ok(Items {
            len: slots.len(),
            slots: OnceLock::from(slots),
            build: Box::new(|_, _| unreachable!("every eager item is made at once")),
        })
    }

    /// `len` items that `build` makes one by one, when first asked for.
    pub(super) fn lazy(len: usize, build: Build) -> Items {
        Items {
            len,
            slots: OnceLock::new(),
            build,
        }
    }

    /// How many items.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The item at `index` (< len), made now if it was not yet.
    fn item<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        let slots = self
            .slots
            .get_or_init(|| (0..self.len).map(|_| OnceLock::new()).collect());
        let slot = &slots[index];
        if let Some(item) = slot.get() {
            return Ok(item.bind(py).clone());
        }
        let made = (self.build)(py, index)?;
        // Another thread may have won the race; either way one object is kept.
        Ok(slot.get_or_init(|| made).bind(py).clone())
    }

    /// A new list of the items.
    pub(super) fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = (0..self.len)
            .map(|i| self.item(py, i))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// `items[index]` as a list answers it: an int (negative from the end)
    /// gives an item, a slice a new list; anything else the list's TypeError.
    pub(super) fn get<'py>(&self, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = index.py();
        if let Ok(i) = index.extract::<isize>() {
            let len = self.len as isize;
            let at = if i < 0 { i + len } else { i };
            return match usize::try_from(at).ok().filter(|&at| at < self.len) {
                Some(at) => self.item(py, at),
                None => Err(PyIndexError::new_err("list index out of range")),
            };
        }
        if let Ok(slice) = index.cast::<PySlice>() {
            let picked = slice.indices(self.len as isize)?;
            let items = (0..picked.slicelength)
                .map(|k| self.item(py, (picked.start + k as isize * picked.step) as usize))
                .collect::<PyResult<Vec<_>>>()?;
            return Ok(PyList::new(py, items)?.into_any());
        }
        PyList::empty(py).as_any().get_item(index)
    }

    /// An iterator over the items of `owner` (the result holding them) that
    /// makes each item as it reaches it: `map(owner.__getitem__, range)`.
    pub(super) fn iter<'py>(
        &self,
        owner: &Bound<'py, PyAny>,
        last_first: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = owner.py();
        let builtins = py.import("builtins")?;
        let n = self.len as isize;
        let range = if last_first {
            builtins.getattr("range")?.call1((n - 1, -1, -1))?
        } else {
            builtins.getattr("range")?.call1((n,))?
        };
        builtins
            .getattr("map")?
            .call1((owner.getattr("__getitem__")?, range))
    }

    /// Whether an item equals `value`, as `in` on a list.
    pub(super) fn contains(&self, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.list(value.py())?.contains(value)
    }

    /// `==` against a list: the list of the items compared with it; against
    /// anything else NotImplemented (the caller compares two results).
    pub(super) fn eq_list(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        if other.is_instance_of::<PyList>() {
            return Ok(py_bool(py, self.list(py)?.as_any().eq(other)?));
        }
        Ok(py.NotImplemented())
    }

    /// The repr of the list of the items: `[Violation(...), ...]`.
    pub(super) fn repr(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.list(py)?.repr()?.to_string())
    }
}

/// A change of a plan: `role`, `target` (kind, entity_type, name, action),
/// `before`, `after` and `why`.
#[pyclass(module = "sgperms._core", name = "Change", frozen)]
pub struct PyChange {
    #[pyo3(get)]
    role: String,
    #[pyo3(get)]
    target: TargetTuple,
    #[pyo3(get)]
    before: String,
    #[pyo3(get)]
    after: String,
    #[pyo3(get)]
    why: String,
    /// The core's sentence for it.
    text: String,
}

impl From<&Change> for PyChange {
    fn from(c: &Change) -> PyChange {
        PyChange {
            role: c.role.clone(),
            target: target_tuple(&c.target),
            before: c.before.to_text(),
            after: c.after.to_text(),
            why: c.why.clone(),
            text: c.to_string(),
        }
    }
}

#[pymethods]
impl PyChange {
    fn __repr__(&self) -> String {
        format!("Change({})", self.text)
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
        self.plan.changes.iter().map(PyChange::from).collect()
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
        Ok(table.derived(self.plan.apply(&table.table)?))
    }

    /// The plan as CSV text, or None after writing `path` atomically.
    #[pyo3(signature = (path=None))]
    fn to_csv(&self, py: Python<'_>, path: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
        emit(py, self.plan.to_csv(), path)
    }

    /// A compact HTML preview for Jupyter (the first 50 changes).
    fn _repr_html_(&self) -> String {
        report::plan_preview(&self.plan, PREVIEW_ROWS)
    }

    fn __repr__(&self) -> String {
        format!("Plan({} changes)", self.plan.changes.len())
    }
}

/// A lower tier allowed more than a higher one (effective values), or with
/// `unknown` set, a pair that could not be compared.
#[pyclass(module = "sgperms._core", name = "Violation", frozen)]
pub struct PyViolation {
    #[pyo3(get)]
    upper: String,
    #[pyo3(get)]
    lower: String,
    #[pyo3(get)]
    target: TargetTuple,
    #[pyo3(get)]
    upper_value: String,
    #[pyo3(get)]
    lower_value: String,
    #[pyo3(get)]
    unknown: bool,
    /// The core's sentence for it.
    text: String,
}

/// The result of `Tiers.check`: the violations, in canonical target order,
/// with a list's behaviour (`len`, iteration, indexing and slicing, `==`
/// against a list or another result, `in`, a list's repr; the `Violation`
/// objects are made on first use, not by `len()`), a Jupyter preview,
/// `to_pandas()` and `summary()`.
#[pyclass(module = "sgperms._core", name = "Violations", frozen)]
pub struct PyViolations {
    violations: Arc<Vec<Violation>>,
    items: Items,
}

impl PyViolations {
    fn new(violations: Vec<Violation>) -> PyViolations {
        let violations = Arc::new(violations);
        let source = Arc::clone(&violations);
        let items = Items::lazy(
            violations.len(),
            Box::new(move |py, i| Ok(Py::new(py, PyViolation::from(source[i]))?.into_any())),
        );
        PyViolations { violations, items }
    }
}

/// The columns of `Violations.to_pandas()`, in order.
const VIOLATION_COLUMNS: [&str; 9] = [
    "kind",
    "entity_type",
    "name",
    "action",
    "upper",
    "upper_value",
    "lower",
    "lower_value",
    "unknown",
];

/// The text columns of one violation, [`VIOLATION_COLUMNS`] but `unknown`
/// in order; an unknown value is "".
fn violation_texts(v: &Violation) -> [&'static str; 8] {
    let [kind, entity_type, name, action] = v.target.key();
    [
        kind,
        entity_type,
        name,
        action,
        v.upper.as_str(),
        v.upper_value.text(),
        v.lower.as_str(),
        v.lower_value.text(),
    ]
}

/// The violations as Arrow columns, [`VIOLATION_COLUMNS`] in order: the text
/// dictionary-encoded, `unknown` boolean.
fn arrow_columns(violations: &[Violation]) -> Result<Columns, ArrowError> {
    let rows: Vec<[&str; 8]> = violations.iter().map(violation_texts).collect();
    let mut columns = Columns::default();
    for (i, name) in VIOLATION_COLUMNS[..8].iter().enumerate() {
        columns.interned(name, rows.iter().map(|row| row[i]))?;
    }
    columns.boolean("unknown", violations.iter().map(|v| v.unknown));
    Ok(columns)
}

list_result_methods!(PyViolations, violations, report::violations_preview, {
    /// The violations as a pandas DataFrame, one row each: kind, entity_type,
    /// name, action, upper, upper_value, lower, lower_value (text; unknown is
    /// ""), unknown (bool); every text column categorical. Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pandas = import_pandas(py)?;
        let rows: Vec<[&str; 8]> = self.violations.iter().map(violation_texts).collect();
        let columns = PyDict::new(py);
        let series = |values: Bound<'py, PyList>, dtype: &str| {
            let kwargs = PyDict::new(py);
            kwargs.set_item("dtype", dtype)?;
            pandas.call_method("Series", (values,), Some(&kwargs))
        };
        for (i, name) in VIOLATION_COLUMNS[..8].iter().enumerate() {
            let values = PyList::new(py, rows.iter().map(|row| row[i]))?;
            columns.set_item(name, series(values, "category")?)?;
        }
        let unknown = PyList::new(py, self.violations.iter().map(|v| v.unknown))?;
        columns.set_item("unknown", series(unknown, "bool")?)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("columns", PyList::new(py, VIOLATION_COLUMNS)?)?;
        pandas.call_method("DataFrame", (columns,), Some(&kwargs))
    }

    /// The violations as an Arrow stream (the PyCapsule interface, for
    /// polars, pyarrow, DuckDB): the columns of `to_pandas()`, the text ones
    /// dictionary-encoded. Returns a new stream each call.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let columns = py.detach(|| arrow_columns(&self.violations));
        arrow::stream(py, columns, requested_schema)
    }

    /// Counts, for a quick look: a dict with `"edges"`, a list of
    /// `(upper, lower, count)` per tier edge, and `"targets"`, a list of
    /// `((kind, entity_type, name, action), count)` per target; each in
    /// order of first appearance.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // Interned names and targets hash by their precomputed hash, not their text.
        let mut edges: IndexMap<(Name, Name), usize> = IndexMap::new();
        let mut targets: IndexMap<crate::model::Target, usize> = IndexMap::new();
        for v in self.violations.iter() {
            *edges.entry((v.upper, v.lower)).or_default() += 1;
            *targets.entry(v.target).or_default() += 1;
        }
        let out = PyDict::new(py);
        out.set_item(
            "edges",
            edges
                .into_iter()
                .map(|((u, l), n)| (u.as_str(), l.as_str(), n))
                .collect::<Vec<_>>(),
        )?;
        out.set_item(
            "targets",
            targets
                .into_iter()
                .map(|(t, n)| (target_tuple(&t), n))
                .collect::<Vec<_>>(),
        )?;
        Ok(out)
    }
});

impl From<Violation> for PyViolation {
    fn from(v: Violation) -> PyViolation {
        PyViolation {
            text: v.to_string(),
            target: target_tuple(&v.target),
            upper_value: v.upper_value.text().to_string(),
            lower_value: v.lower_value.text().to_string(),
            upper: v.upper.to_string(),
            lower: v.lower.to_string(),
            unknown: v.unknown,
        }
    }
}

#[pymethods]
impl PyViolation {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!("Violation({})", self.text)
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

/// Role tiers: chains of roles, higher first, from a tier file.
#[pyclass(module = "sgperms._core", name = "Tiers", frozen)]
pub struct PyTiers {
    pub(super) tiers: Tiers,
}

#[pymethods]
impl PyTiers {
    /// Parses tier text: `a > b > c` chains, a lone role for an isolated one,
    /// `admins: x, y`, `#` comments. Returns Tiers; raises TierError.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<PyTiers> {
        Ok(PyTiers {
            tiers: Tiers::parse(text)?,
        })
    }

    /// Reads a tier file. Returns Tiers; errors name the file and line.
    #[staticmethod]
    fn read(path: PathBuf) -> PyResult<PyTiers> {
        Ok(PyTiers {
            tiers: Tiers::read(&path)?,
        })
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
        let found = self.tiers.ancestors(role)?;
        Ok(found.into_iter().map(str::to_string).collect())
    }

    /// Every role below `role`. Returns a list of str.
    fn descendants(&self, role: &str) -> PyResult<Vec<String>> {
        let found = self.tiers.descendants(role)?;
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
        let value = parse_value(value)?;
        let plan = self.tiers.grant(&table.table, role, &target, &value)?;
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
        let plan = self.tiers.revoke(&table.table, role, &target)?;
        Ok(PyPlan { plan })
    }

    /// Lower tiers allowed more than higher ones, on effective values, once
    /// per direct tier edge (taken across roles unknown on that target; the
    /// transitive pairs follow and are not listed); with `unknown=True` also
    /// the direct edges where one side is unknown. Returns Violations (a
    /// list's behaviour, a Jupyter preview, `to_pandas()`, `summary()`).
    #[pyo3(signature = (table, *, unknown=false))]
    fn check(
        &self,
        py: Python<'_>,
        table: PyRef<'_, PyTable>,
        unknown: bool,
    ) -> PyResult<PyViolations> {
        let table = &table.table;
        let found = py.detach(|| self.tiers.check(table, unknown))?;
        Ok(PyViolations::new(found))
    }

    /// Whether someone holding `actor_role` may move a person from
    /// `current_role` to `new_role`. Returns a Decision (truthy when allowed).
    fn can_assign(&self, actor_role: &str, current_role: &str, new_role: &str) -> PyDecision {
        let Decision { allowed, reason } =
            self.tiers.can_assign(actor_role, current_role, new_role);
        PyDecision {
            allowed,
            reason,
            actor_role: actor_role.to_string(),
            current_role: current_role.to_string(),
            new_role: new_role.to_string(),
        }
    }

    /// A compact HTML preview for Jupyter: roles by level, what is directly
    /// below each, the admins (the first 50 roles).
    fn _repr_html_(&self) -> String {
        report::tiers_preview(&self.tiers, PREVIEW_ROWS)
    }

    fn __repr__(&self) -> String {
        format!(
            "Tiers(roles={:?}, admins={:?})",
            self.tiers.roles(),
            self.tiers.admins()
        )
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTiers>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyChange>()?;
    m.add_class::<PyViolation>()?;
    m.add_class::<PyViolations>()?;
    m.add_class::<PyDecision>()?;
    Ok(())
}
