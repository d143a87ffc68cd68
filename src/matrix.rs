//! The role matrix page of the HTML site: every role's effective value of
//! every permission row, side by side, for the roles the reader chooses.
//!
//! Roles are columns in tier order when the tiers are known. By default the
//! roles people hold are compared: admin roles (allowed everything) and
//! roles nobody active holds (often allowed nothing) would otherwise make
//! nearly every row differ. The page reads on a laptop without scrolling
//! sideways: role names are written upwards, cells are short, and the table
//! never grows wider than the window for the roles of an ordinary site.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::model::{Kind, Table, Target, Value};
use crate::report::{css_class, escape, in_words, page_with_class, role_file, Context};
use crate::tiers::{admin_roles, Tiers};

/// Rows worth a matrix, as (row, every role's effective value): every
/// entity, app and advanced row, and the field rows that say something
/// beyond their entity for some role (the rest follow their entity). Entity
/// types in order of their display names, as the role pages list them.
fn matrix_rows(table: &Table, ctx: &Context) -> Vec<(usize, Vec<Value>)> {
    let mut rows = table.sorted_rows();
    rows.sort_by_cached_key(|&row| {
        let t = table.target(row);
        (t.kind(), ctx.entity_sort_key(t.entity_type()))
    });
    rows.into_iter()
        .filter(|&row| table.target(row).kind() != Kind::Field || overrides_entity(table, row))
        .map(|row| {
            let t = table.target(row);
            let values = (0..table.role_count())
                .map(|r| table.effective(t, r))
                .collect();
            (row, values)
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

/// The table's roles (column indices) in tier order: the admin roles, then
/// the roles of the tier chains by level (higher first), then the roles no
/// chain links (on their own line, or not in the tier file), in table order.
fn tier_order(table: &Table, tiers: Option<&Tiers>, admins: &[&str]) -> Vec<usize> {
    let codes: Vec<&str> = table.roles().collect();
    // The roles at either end of a tier edge.
    let chained: HashSet<&str> = tiers
        .map(|t| {
            t.roles()
                .into_iter()
                .flat_map(|upper| {
                    let below = t.directly_below(upper).unwrap_or_default();
                    let upper = (!below.is_empty()).then_some(upper);
                    below.into_iter().chain(upper)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut placed = vec![false; codes.len()];
    let mut order: Vec<usize> = admins
        .iter()
        .copied()
        .chain(
            tiers
                .map(|t| {
                    t.levels()
                        .into_iter()
                        .flatten()
                        .filter(|r| chained.contains(r))
                })
                .into_iter()
                .flatten(),
        )
        .filter_map(|role| table.role_index(role))
        .filter(|&r| !std::mem::replace(&mut placed[r], true))
        .collect();
    order.extend((0..codes.len()).filter(|&r| !placed[r]));
    order
}

/// Why a role is left out of the default choice, or None when people hold
/// it: an admin role; a role for scripts (ApiUser); a role no active
/// account holds, when the users are known.
fn left_out(code: &str, ctx: &Context, admins: &[&str]) -> Option<&'static str> {
    if admins.contains(&code) {
        return Some("admin");
    }
    if ctx.role(code).user_type == "ApiUser" {
        return Some("scripts");
    }
    let active = ctx.holders(code).iter().any(|p| p.active != Some(false));
    (!ctx.people.is_empty() && !active).then_some("nobody active")
}

/// One column: the role's index in the table, its code, and why it is left
/// out of the default choice (None: chosen).
struct Column<'a> {
    role: usize,
    code: &'a str,
    left_out: Option<&'static str>,
}

/// The columns in tier order. When fewer than two roles remain chosen there
/// is nothing to compare, so every role is chosen.
fn columns<'a>(table: &'a Table, ctx: &Context) -> Vec<Column<'a>> {
    let codes: Vec<&str> = table.roles().collect();
    let admins = admin_roles(ctx.tiers);
    let mut columns: Vec<Column> = tier_order(table, ctx.tiers, &admins)
        .into_iter()
        .map(|role| Column {
            role,
            code: codes[role],
            left_out: left_out(codes[role], ctx, &admins),
        })
        .collect();
    if columns.iter().filter(|c| c.left_out.is_none()).count() < 2 {
        columns.iter_mut().for_each(|c| c.left_out = None);
    }
    columns
}

/// Whether the chosen columns' values differ.
fn differs(values: &[Value], columns: &[Column]) -> bool {
    let mut chosen = columns
        .iter()
        .filter(|c| c.left_out.is_none())
        .map(|c| &values[c.role]);
    chosen
        .next()
        .is_some_and(|first| chosen.any(|v| v != first))
}

/// Shows the chosen roles' columns and hides the others, counts the rows
/// where the chosen roles differ (comparing the cells' full values, their
/// titles), then filters the rows by text and by "differ".
const MATRIX_SCRIPT: &str = "\
(function(){var t=document.getElementById('matrix'),boxes=[].slice.call(document.querySelectorAll('#roles input')),\
rows=[].slice.call(t.tBodies[0].rows),head=t.tHead.rows[0],q=document.getElementById('filter'),d=document.getElementById('differs');\
function text(id,v){document.getElementById(id).textContent=v;}\
function apply(){var s=q.value.toLowerCase(),only=d.checked,shown=0;rows.forEach(function(r){var ok=(!only||r.classList.contains('differs'))&&(!s||r.dataset.target.indexOf(s)>=0);r.hidden=!ok;if(ok)shown++;});text('shown',shown);}\
function choose(){var on=[],count=0;boxes.forEach(function(b,i){var c=i+1;if(b.checked)on.push(c);head.cells[c].hidden=!b.checked;rows.forEach(function(r){r.cells[c].hidden=!b.checked;});});\
rows.forEach(function(r){var first=on.length?r.cells[on[0]].title:'',differ=on.some(function(c){return r.cells[c].title!==first;});r.classList.toggle('differs',differ);if(differ)count++;});\
text('differing',count);text('chosen',on.length);apply();}\
function all(on){boxes.forEach(function(b){b.checked=on?true:b.defaultChecked;});choose();}\
boxes.forEach(function(b){b.addEventListener('change',choose);});\
document.getElementById('all-roles').addEventListener('click',function(){all(true);});\
document.getElementById('default-roles').addEventListener('click',function(){all(false);});\
q.addEventListener('input',apply);d.addEventListener('change',apply);choose();})();";

/// The matrix's own style: a fixed layout as wide as the window, role
/// names written upwards in narrow columns, headers that stay in view.
const MATRIX_STYLE: &str = "\
body.wide{max-width:none}\
.legend span{padding:0 .4rem;margin-right:.3rem}\
.controls{margin:.6rem 0;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}.controls input[type=search]{width:20rem;padding:.25rem}\
fieldset.roles{display:flex;flex-wrap:wrap;gap:.2rem .9rem;border:1px solid #d8dde6;margin:.4rem 0;padding:.3rem .6rem}\
fieldset.roles label{overflow-wrap:anywhere}fieldset.roles small{color:#5b6472}\
#matrix{table-layout:fixed;width:100%;font-size:.85rem}#matrix tbody th{overflow-wrap:anywhere;font-weight:normal}\
#matrix th.has-note{text-decoration:underline dotted}\
#matrix thead th{z-index:1;vertical-align:bottom}\
#matrix th.role{width:2.4rem;padding:.2rem 0}\
#matrix th.role a{display:block;margin:0 auto;writing-mode:vertical-rl;transform:rotate(180deg);max-height:9rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:inherit}\
#matrix td{padding:.1rem 0;text-align:center;overflow:hidden;white-space:nowrap}\
tr.differs th{border-left:4px solid #d9822b}";

/// The matrix page: one column per role (in tier order), one row per
/// permission worth showing ([`matrix_rows`]), a choice of the roles to
/// compare, a filter. Returns the HTML page.
pub fn matrix_html(table: &Table, ctx: &Context) -> String {
    let rows = matrix_rows(table, ctx);
    let columns = columns(table, ctx);
    let chosen = columns.iter().filter(|c| c.left_out.is_none()).count();
    let differing = rows.iter().filter(|(_, v)| differs(v, &columns)).count();
    let mut body = format!(
        "<p class=\"nav\"><a href=\"index.html\">All roles</a></p><h1>Role matrix</h1>\
         <p>Effective values (a field follows its entity); field rows that say nothing beyond their entity, \
         for every role, are left out. <strong><span id=\"differing\">{differing}</span> of {} rows differ</strong> \
         between the <span id=\"chosen\">{chosen}</span> roles chosen.</p>\
         <fieldset class=\"roles\" id=\"roles\"><legend>Roles to compare (by default those people hold, \
         admin roles left out)</legend>",
        rows.len(),
    );
    for c in &columns {
        let info = ctx.role(c.code);
        let _ = write!(
            body,
            "<label title=\"{}\"><input type=\"checkbox\" value=\"{}\"{}> {}{}</label>",
            escape(&format!("{} ({})", info.display_name, c.code)),
            escape(c.code),
            if c.left_out.is_none() { " checked" } else { "" },
            escape(&info.display_name),
            c.left_out
                .map(|why| format!(" <small>{why}</small>"))
                .unwrap_or_default()
        );
    }
    let _ = write!(
        body,
        "<span><button type=\"button\" id=\"default-roles\">Roles people hold</button> \
         <button type=\"button\" id=\"all-roles\">Every role</button></span></fieldset>\
         <p class=\"legend\"><span class=\"yes\" style=\"background:#e3f4e6\">yes</span><span style=\"background:#fff4d6\">only if …</span>\
         <span style=\"background:#fbe5e3\">no</span><span style=\"background:#f1f1f1\">unknown</span></p>\
         <div class=\"controls\"><input type=\"search\" id=\"filter\" placeholder=\"Filter: entity, field, app…\" aria-label=\"Filter rows\">\
         <label><input type=\"checkbox\" id=\"differs\"> only rows where the chosen roles differ</label>\
         <span><span id=\"shown\">{}</span> rows shown</span></div>\
         <table id=\"matrix\"><thead><tr><th>Permission</th>",
        rows.len()
    );
    for c in &columns {
        let info = ctx.role(c.code);
        let _ = write!(
            body,
            "<th class=\"role\" data-role=\"{}\"{} title=\"{}\"><a href=\"{}\">{}</a></th>",
            escape(c.code),
            if c.left_out.is_some() { " hidden" } else { "" },
            escape(&format!("{} ({})", info.display_name, c.code)),
            role_file(c.code),
            escape(&info.display_name)
        );
    }
    body.push_str("</tr></thead><tbody>");
    for (row, values) in &rows {
        let t = table.target(*row);
        let label = target_label(t, ctx);
        let note = table.note(*row);
        let _ = write!(
            body,
            "<tr{} data-target=\"{}\"><th{}>{}</th>",
            if differs(values, &columns) {
                " class=\"differs\""
            } else {
                ""
            },
            escape(&format!("{} {}", t, label).to_lowercase()),
            if note.is_empty() {
                String::new()
            } else {
                format!(" class=\"has-note\" title=\"{}\"", escape(note))
            },
            escape(&label)
        );
        for c in &columns {
            let v = &values[c.role];
            let _ = write!(
                body,
                "<td class=\"{}\" title=\"{}\"{}>{}</td>",
                css_class(v),
                escape(&in_words(v)),
                if c.left_out.is_some() { " hidden" } else { "" },
                escape(short_value(v))
            );
        }
        body.push_str("</tr>");
    }
    let _ = write!(body, "</tbody></table><script>{MATRIX_SCRIPT}</script>");
    page_with_class("Role matrix", &body, &ctx.title, "wide", MATRIX_STYLE)
}

fn short_value(value: &Value) -> &'static str {
    match value {
        Value::Yes => "yes",
        Value::No => "no",
        Value::If(_) => "if…",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvio::{read, ReadOptions};
    use crate::report::{Person, RoleInfo};

    /// admin allowed everything, suspended nothing; lead and artist differ
    /// on one row of three.
    const TEXT: &str = "kind,entity_type,name,action,artist,suspended,admin,lead,bot,note\n\
        entity,Shot,,see,yes,no,yes,yes,yes,\n\
        entity,Version,,retire,yes,no,yes,no,yes,<b>lost Versions</b> were found in the trash\n\
        app,,Screening Room,see,yes,no,yes,yes,no,\n";

    fn table() -> Table {
        read(TEXT.as_bytes(), &ReadOptions::default()).unwrap().0
    }

    fn person(login: &str, active: bool) -> Person {
        Person {
            login: login.into(),
            name: login.into(),
            active: Some(active),
        }
    }

    /// Users for every role (suspended's all gone), `bot` a role for scripts.
    fn ctx<'a>(tiers: Option<&'a Tiers>) -> Context<'a> {
        Context {
            people: ["artist", "admin", "lead", "bot"]
                .into_iter()
                .map(|r| (r.to_string(), person(r, true)))
                .chain([("suspended".to_string(), person("gone", false))])
                .collect(),
            roles: vec![RoleInfo {
                code: "bot".into(),
                display_name: "Bot".into(),
                user_type: "ApiUser".into(),
                template: String::new(),
            }],
            tiers,
            ..Context::default()
        }
    }

    fn chosen(table: &Table, ctx: &Context) -> Vec<(String, Option<&'static str>)> {
        columns(table, ctx)
            .into_iter()
            .map(|c| (c.code.to_string(), c.left_out))
            .collect()
    }

    #[test]
    fn by_default_the_roles_people_hold_are_compared_without_admins() {
        let t = table();
        assert_eq!(
            chosen(&t, &ctx(None)),
            [
                ("admin".to_string(), Some("admin")),
                ("artist".into(), None),
                ("suspended".into(), Some("nobody active")),
                ("lead".into(), None),
                ("bot".into(), Some("scripts")),
            ]
        );
        // Without users, every role but the admins.
        let bare = Context::default();
        let left: Vec<_> = chosen(&t, &bare)
            .into_iter()
            .filter(|c| c.1.is_some())
            .collect();
        assert_eq!(left, [("admin".to_string(), Some("admin"))]);
        // A tier file's admins: line names the admin roles.
        let tiers = Tiers::parse("admins: lead\nlead > artist\n").unwrap();
        let with = Context {
            tiers: Some(&tiers),
            ..Context::default()
        };
        let left: Vec<_> = chosen(&t, &with)
            .into_iter()
            .filter(|c| c.1.is_some())
            .collect();
        assert_eq!(left, [("lead".to_string(), Some("admin"))]);
        // One role left to compare is no comparison: every role is chosen.
        let mut one = ctx(None);
        one.people.retain(|(r, _)| r != "lead");
        assert!(chosen(&t, &one).iter().all(|c| c.1.is_none()));
    }

    #[test]
    fn rows_differ_over_the_chosen_roles_only() {
        let page = matrix_html(&table(), &ctx(None));
        assert!(
            page.contains("<span id=\"differing\">1</span> of 3 rows differ")
                && page.contains("<span id=\"chosen\">2</span> roles chosen"),
            "{page}"
        );
        assert_eq!(page.matches("<tr class=\"differs\"").count(), 1);
        // Every role chosen: admin and suspended differ from everyone.
        let all = matrix_html(&table(), &Context::default());
        assert!(all.contains("<span id=\"differing\">3</span> of 3 rows differ"));
        // Roles left out are columns hidden until chosen.
        assert_eq!(
            page.matches("<td class=\"yes\" title=\"yes\" hidden>")
                .count(),
            5
        );
        assert!(page.contains("value=\"admin\"> admin <small>admin</small>"));
        assert!(page.contains("value=\"artist\" checked> artist</label>"));
    }

    #[test]
    fn entity_types_are_in_order_of_their_display_names() {
        use crate::schema::{EntitySchema, Schema};
        let text = "kind,entity_type,name,action,artist\n\
            entity,ActionMenuItem,,see,yes\nentity,ApiUser,,see,no\nentity,Asset,,see,yes\n\
            app,,Media Center,see,yes\n";
        let t = read(text.as_bytes(), &ReadOptions::default()).unwrap().0;
        let entity = |code: &str, name: &str| EntitySchema {
            code: code.into(),
            display_name: name.into(),
            fields: Vec::new(),
        };
        let schema = Schema::new(vec![
            entity("ActionMenuItem", "Action Menu Item"),
            entity("ApiUser", "Script"),
            entity("Asset", "Asset"),
        ]);
        let ctx = Context {
            schema: Some(&schema),
            ..Context::default()
        };
        let order: Vec<String> = matrix_rows(&t, &ctx)
            .into_iter()
            .map(|(row, _)| t.target(row).to_string())
            .collect();
        assert_eq!(
            order,
            [
                "entity:ActionMenuItem::see",
                "entity:Asset::see",
                "entity:ApiUser::see",
                "app::Media Center:see"
            ]
        );
    }

    #[test]
    fn roles_follow_the_tiers() {
        let t = table();
        let tiers = Tiers::parse("admins: admin\nbot\nlead > artist\nsupervisor > lead\n").unwrap();
        let codes: Vec<String> = chosen(&t, &ctx(Some(&tiers)))
            .into_iter()
            .map(|c| c.0)
            .collect();
        // admin, the chain (supervisor is not in the table), then bot (on its
        // own line) and suspended (not in the tiers), in table order.
        assert_eq!(codes, ["admin", "lead", "artist", "suspended", "bot"]);
        let page = matrix_html(&t, &ctx(Some(&tiers)));
        let at = |code: &str| page.find(&format!("data-role=\"{code}\"")).unwrap();
        assert!(at("admin") < at("lead") && at("lead") < at("artist") && at("artist") < at("bot"));
    }

    #[test]
    fn hostile_names_and_notes_are_text() {
        let hostile = "<img src=x onerror=alert(1)>\"'&";
        let mut t = Table::with_roles([hostile, "artist"]).unwrap();
        let row = t
            .insert_target(Target::new(Kind::App, "", hostile, crate::model::Action::See).unwrap());
        t.set(row, 0, &Value::If(hostile.into())).unwrap();
        t.set_note(row, hostile);
        let ctx = Context {
            roles: vec![RoleInfo {
                code: hostile.into(),
                display_name: format!("</script>{hostile}"),
                ..RoleInfo::default()
            }],
            ..Context::default()
        };
        let page = matrix_html(&t, &ctx);
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"));
        assert_eq!(page.matches("</script>").count(), 1, "only the page's own");
    }
}
