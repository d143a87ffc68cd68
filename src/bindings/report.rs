//! Role pages and the HTML site.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::folder::PyFolder;
use super::schema::PySchema;
use super::table::PyTable;
use super::tiers::PyTiers;
use crate::report::{self, Context, Format, Person, RoleInfo};
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
        tiers: None,
    }
}

/// The schema to show names from: the one given, else the table's.
fn schema_for(table: &PyTable, schema: Option<PySchema>) -> Option<std::sync::Arc<Schema>> {
    schema.map(|s| s.inner).or_else(|| table.schema.clone())
}

/// One role's page ("what may this role do?") as Markdown or HTML. `roles`:
/// (code, display_name, user_type, template); `users`: (role, login, name,
/// active). Returns a str.
#[pyfunction]
#[pyo3(signature = (table, role, *, format="markdown", roles=None, users=None, schema=None, title=""))]
#[allow(clippy::too_many_arguments)]
fn report_role(
    table: PyRef<'_, PyTable>,
    role: &str,
    format: &str,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
) -> PyResult<String> {
    let format = Format::parse(format).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown format \"{format}\"; expected \"markdown\" or \"html\""
        ))
    })?;
    let schema = schema_for(&table, schema);
    let ctx = context(schema.as_deref(), roles, users, title);
    Ok(report::role_report(&table.table, role, &ctx, format)?)
}

/// The HTML site: index.html, one page per role and matrix.html, as
/// `(file name, text)` pairs for a managed folder to write as one unit.
/// `tiers` orders the matrix's roles and names the admin roles.
#[pyfunction]
#[pyo3(signature = (table, *, roles=None, users=None, schema=None, title="", tiers=None))]
fn render_site(
    table: PyRef<'_, PyTable>,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
    tiers: Option<PyRef<'_, PyTiers>>,
) -> Vec<(String, String)> {
    let schema = schema_for(&table, schema);
    let mut ctx = context(schema.as_deref(), roles, users, title);
    ctx.tiers = tiers.as_deref().map(|t| &t.tiers);
    report::html_site(&table.table, &ctx)
}

/// Renders the HTML site and writes it into `folder` (a `Folder` open to
/// write) as one unit; `tiers` as for `render_site`. Returns the names of
/// the files written.
#[pyfunction]
#[pyo3(signature = (folder, table, *, roles=None, users=None, schema=None, title="", tiers=None))]
#[allow(clippy::too_many_arguments)]
fn write_site(
    py: Python<'_>,
    mut folder: PyRefMut<'_, PyFolder>,
    table: PyRef<'_, PyTable>,
    roles: RoleRows,
    users: UserRows,
    schema: Option<PySchema>,
    title: &str,
    tiers: Option<PyRef<'_, PyTiers>>,
) -> PyResult<Vec<String>> {
    let schema = schema_for(&table, schema);
    let mut ctx = context(schema.as_deref(), roles, users, title);
    ctx.tiers = tiers.as_deref().map(|t| &t.tiers);
    let folder = folder.open_mut()?;
    let table = &table.table;
    Ok(py.detach(|| report::write_site(folder, table, &ctx))?)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(report_role, m)?)?;
    m.add_function(wrap_pyfunction!(render_site, m)?)?;
    m.add_function(wrap_pyfunction!(write_site, m)?)?;
    Ok(())
}
