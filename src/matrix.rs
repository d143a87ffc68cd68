//! The role matrix page of the HTML site: every role's effective value of
//! every permission row, side by side, filterable.

use std::fmt::Write as _;

use crate::model::{Kind, Table, Target, Value};
use crate::report::{css_class, escape, in_words, page_with_class, role_file, Context};

/// Rows worth a matrix: every entity, app and advanced row, and the field
/// rows where roles differ (the rest follow their entity for everyone).
fn matrix_rows(table: &Table) -> Vec<(usize, Vec<Value>, bool)> {
    table
        .sorted_rows()
        .into_iter()
        .filter_map(|row| {
            let t = table.target(row);
            let values: Vec<Value> = (0..table.role_count())
                .map(|r| table.effective(t, r))
                .collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            (t.kind() != Kind::Field || overrides_entity(table, row))
                .then_some((row, values, differs))
        })
        .collect()
}

/// Whether a field row says something its entity row does not, for any role.
fn overrides_entity(table: &Table, row: usize) -> bool {
    let t = table.target(row);
    let entity = t.entity_target();
    (0..table.role_count()).any(|r| {
        let own = table.value(row, r);
        let follows = entity
            .as_ref()
            .map_or(Value::Unknown, |e| table.effective(e, r));
        own != Value::Inherit && table.effective(t, r) != follows
    })
}

fn target_label(t: &Target, ctx: &Context) -> String {
    match t.kind() {
        Kind::Entity => format!("{} · {}", ctx.entity_name(t.entity_type()), t.action()),
        Kind::Field => format!(
            "{} › {} · {}",
            t.entity_type(),
            ctx.field_name(t.entity_type(), t.name()),
            t.action()
        ),
        Kind::App => format!("app {}", t.name()),
        Kind::Advanced => format!("advanced {}", t.name()),
    }
}

const MATRIX_SCRIPT: &str = "\
(function(){var q=document.getElementById('filter'),d=document.getElementById('differs'),rows=document.querySelectorAll('#matrix tbody tr'),n=document.getElementById('shown');\
function apply(){var text=q.value.toLowerCase(),only=d.checked,shown=0;rows.forEach(function(r){var ok=(!only||r.classList.contains('differs'))&&(!text||r.dataset.target.indexOf(text)>=0);r.hidden=!ok;if(ok)shown++;});n.textContent=shown;}\
q.addEventListener('input',apply);d.addEventListener('change',apply);apply();})();";

/// The matrix page: one column per role, one row per permission worth
/// showing ([`matrix_rows`]), with a filter. Returns the HTML page.
pub fn matrix_html(table: &Table, ctx: &Context) -> String {
    let rows = matrix_rows(table);
    let differing = rows.iter().filter(|r| r.2).count();
    let mut body = format!(
        "<p class=\"nav\"><a href=\"index.html\">All roles</a></p><h1>Role matrix</h1>\
         <p>Effective values (a field follows its entity). {differing} of {} rows differ between roles; field rows \
         that say nothing beyond their entity, for every role, are left out.</p>\
         <p class=\"legend\"><span class=\"yes\" style=\"background:#e3f4e6\">yes</span><span style=\"background:#fff4d6\">only if …</span>\
         <span style=\"background:#fbe5e3\">no</span><span style=\"background:#f1f1f1\">unknown</span></p>\
         <div class=\"controls\"><input type=\"search\" id=\"filter\" placeholder=\"Filter: entity, field, app…\" aria-label=\"Filter rows\">\
         <label><input type=\"checkbox\" id=\"differs\"> only rows where roles differ</label><span><span id=\"shown\">{}</span> rows shown</span></div>\
         <div class=\"scroll\"><table id=\"matrix\"><thead><tr><th>Permission</th>",
        rows.len(),
        rows.len()
    );
    for role in table.roles() {
        let _ = write!(
            body,
            "<th><a href=\"{}\">{}</a></th>",
            role_file(role),
            escape(&ctx.role(role).display_name)
        );
    }
    body.push_str("</tr></thead><tbody>");
    for (row, values, differs) in &rows {
        let t = table.target(*row);
        let label = target_label(t, ctx);
        let _ = write!(
            body,
            "<tr{} data-target=\"{}\"><th>{}</th>",
            if *differs { " class=\"differs\"" } else { "" },
            escape(&format!("{} {}", t, label).to_lowercase()),
            escape(&label)
        );
        for v in values {
            let _ = write!(
                body,
                "<td class=\"{}\" title=\"{}\">{}</td>",
                css_class(v),
                escape(&in_words(v)),
                escape(short_value(v))
            );
        }
        body.push_str("</tr>");
    }
    let _ = write!(
        body,
        "</tbody></table></div><script>{MATRIX_SCRIPT}</script>"
    );
    page_with_class("Role matrix", &body, &ctx.title, "wide")
}

fn short_value(value: &Value) -> &'static str {
    match value {
        Value::Yes => "yes",
        Value::No => "no",
        Value::If(_) => "if…",
        _ => "?",
    }
}
