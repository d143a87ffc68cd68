//! Role pages and the HTML site.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::folder::PyFolder;
use super::schema::PySchema;
use super::table::PyTable;
use super::tiers::PyTiers;
use crate::report::{self, Context, Format, Person, RoleInfo, SnapshotInfo};
use crate::schema::Schema;

/// Roles as `(code, display_name, user_type, template)` rows.
pub(super) type RoleRows = Option<Vec<(String, String, String, String)>>;
/// Role holders as `(role, login, name, active)` rows.
pub(super) type UserRows = Option<Vec<(String, String, String, Option<bool>)>>;

/// A report context from the rows Python passes.
pub(super) fn context<'a>(
    schema: Option<&'a Schema>,
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
        ..Context::default()
    }
}

/// Where and when a snapshot was taken, as `(site, taken_at, sgperms_version)`.
pub(super) type SnapshotRow = Option<(String, String, String)>;

/// Builds the page context — [`context`] over the schema given (else the
/// table's), the snapshot's provenance, and the tiers with the missed
/// permissions they reveal (a TierError when the table lacks a tier role) —
/// and returns what `render` makes of it.
fn with_page_context<R>(
    table: &PyTable,
    schema: Option<PySchema>,
    (roles, users, title): (RoleRows, UserRows, &str),
    snapshot: SnapshotRow,
    tiers: Option<&PyTiers>,
    render: impl FnOnce(&Context) -> PyResult<R>,
) -> PyResult<R> {
    let schema = schema.map(|s| s.inner).or_else(|| table.schema.clone());
    let mut ctx = context(schema.as_deref(), roles, users, title);
    if let Some((site, taken_at, version)) = snapshot {
        ctx.snapshot = SnapshotInfo {
            site,
            taken_at,
            version,
        };
    }
    if let Some(t) = tiers {
        ctx = ctx.with_tiers(&t.tiers, &table.table)?;
    }
    render(&ctx)
}

/// One role's page ("what may this role do?") as Markdown or HTML. `roles`:
/// (code, display_name, user_type, template); `users`: (role, login, name,
/// active); `snapshot`: (site, taken_at, sgperms_version); `tiers`: marks
/// the missed permissions. Returns a str.
#[pyfunction]
#[pyo3(signature = (table, role, *, format="markdown", roles=None, users=None, schema=None, title="", snapshot=None, tiers=None))]
#[allow(clippy::too_many_arguments)]
fn report_role(
    table: PyRef<'_, PyTable>,
    role: &str,
    format: &str,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
    snapshot: SnapshotRow,
    tiers: Option<PyRef<'_, PyTiers>>,
) -> PyResult<String> {
    let format = Format::parse(format).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown format \"{format}\"; expected \"markdown\" or \"html\""
        ))
    })?;
    let rows = (roles, users, title);
    with_page_context(&table, schema, rows, snapshot, tiers.as_deref(), |ctx| {
        Ok(report::role_report(&table.table, role, ctx, format)?)
    })
}

/// The HTML site: index.html, one page per role and matrix.html, as
/// `(file name, text)` pairs for a managed folder to write as one unit.
/// `tiers` orders the matrix's roles and names the admin roles.
#[pyfunction]
#[pyo3(signature = (table, *, roles=None, users=None, schema=None, title="", snapshot=None, tiers=None))]
fn render_site(
    table: PyRef<'_, PyTable>,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
    snapshot: SnapshotRow,
    tiers: Option<PyRef<'_, PyTiers>>,
) -> PyResult<Vec<(String, String)>> {
    let rows = (roles, users, title);
    with_page_context(&table, schema, rows, snapshot, tiers.as_deref(), |ctx| {
        Ok(report::html_site(&table.table, ctx))
    })
}

/// Renders the HTML site and writes it into `folder` (a `Folder` open to
/// write) as one unit; `tiers` as for `render_site`. Returns the names of
/// the files written.
#[pyfunction]
#[pyo3(signature = (folder, table, *, roles=None, users=None, schema=None, title="", snapshot=None, tiers=None))]
#[allow(clippy::too_many_arguments)]
fn write_site(
    py: Python<'_>,
    mut folder: PyRefMut<'_, PyFolder>,
    table: PyRef<'_, PyTable>,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
    snapshot: SnapshotRow,
    tiers: Option<PyRef<'_, PyTiers>>,
) -> PyResult<Vec<String>> {
    let rows = (roles, users, title);
    with_page_context(&table, schema, rows, snapshot, tiers.as_deref(), |ctx| {
        let folder = folder.open_mut()?;
        let table = &table.table;
        Ok(py.detach(|| report::write_site(folder, table, ctx))?)
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(report_role, m)?)?;
    m.add_function(wrap_pyfunction!(render_site, m)?)?;
    m.add_function(wrap_pyfunction!(write_site, m)?)?;
    Ok(())
}
