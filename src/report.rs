//! Renderings for people: a role's "what am I allowed to do?" page in
//! Markdown or HTML, a small self-contained HTML site (index, one page per
//! role, a filterable role matrix), a change list for a pull request, a
//! click-by-click plan for the Permissions page, and compact HTML previews
//! for Jupyter. Python only passes data in.

use std::fmt::Write as _;

use crate::audit::Finding;
use crate::diff::{shown_value, Changes};
use crate::folder::{Folder, FolderError};
use crate::matrix;
use crate::model::{Action, Kind, ModelError, Table, Target, Value};
use crate::safe::{markdown_code, markdown_text as md};
use crate::schema::Schema;
use crate::tiers::{Plan, TierError, Tiers, Violation};

/// What is known of a role besides its column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleInfo {
    /// The role code.
    pub code: String,
    /// The name the web UI shows.
    pub display_name: String,
    /// Who may hold it: `HumanUser`, `ApiUser` or `ClientUser` (or empty).
    pub user_type: String,
    /// The code of the template it was made from (or empty).
    pub template: String,
}

/// A person (or script) holding a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The login (a script's name).
    pub login: String,
    /// The name shown.
    pub name: String,
    /// Whether the account is active, when known.
    pub active: Option<bool>,
}

/// Markdown or HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown, for a repository or a pull request.
    Markdown,
    /// A self-contained HTML page.
    Html,
}

impl Format {
    /// `markdown` (or `md`) or `html`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "markdown" | "md" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            _ => None,
        }
    }
}

/// Everything a report needs beyond the table.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Display names of entity types and fields, when known.
    pub schema: Option<&'a Schema>,
    /// What is known of the roles; a role missing here shows its code.
    pub roles: Vec<RoleInfo>,
    /// (role code, person) pairs.
    pub people: Vec<(String, Person)>,
    /// The site's title ("Permissions" when empty).
    pub title: String,
    /// Which site and when: from the snapshot folder's snapshot.json.
    pub snapshot: SnapshotInfo,
    /// The tier file, when one is known.
    pub tiers: Option<&'a Tiers>,
    /// The missed permissions the tier file reveals (see [`Context::with_tiers`]).
    pub missed: Vec<Violation>,
}

/// What a snapshot folder records of where and when its table was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The site's URL (empty when unknown).
    pub site: String,
    /// When the snapshot was taken, as recorded (empty when unknown).
    pub taken_at: String,
    /// The sgperms version that took it (empty when unknown).
    pub version: String,
}

/// ShotGrid's documented advanced permissions: (code, what the Permissions
/// page calls it). Codes not here are shown as they are.
const ADVANCED_WORDS: [(&str, &str); 20] = [
    ("use_admin_options", "Use Admin Options"),
    ("hide_global_nav", "Hide Global Nav"),
    (
        "create_toolkit_event_log_entries",
        "Allow the creation of Toolkit EventLogEntries",
    ),
    ("edit_global_formatting", "Edit Global Formatting"),
    (
        "edit_work_schedules",
        "Edit default and project work schedules",
    ),
    (
        "hide_other_menu_in_project_nav",
        "Hide ‘Other’ menu in Project Nav",
    ),
    (
        "hide_saved_filters_in_filter_panel",
        "Hide Saved Filters in Filter Panel",
    ),
    ("manage_project_nav_bar", "Manage Project Navigation Bar"),
    (
        "create_and_save_project_pages",
        "Create and Save Project Pages",
    ),
    ("design_and_save_home_page", "Can Design and Save Home Page"),
    (
        "save_filters_and_sorting_in_my_tasks",
        "Save Filters and Sorting in My Tasks",
    ),
    (
        "save_navigation_and_detail_pages",
        "Save Navigation Pages and Detail Pages",
    ),
    (
        "save_shared_pages_belonging_to_anyone",
        "Save Shared Pages Belonging to Anyone",
    ),
    ("see_assigned_projects_only", "See Assigned Projects Only"),
    ("see_client_notes", "Can see Client Notes"),
    ("see_non_project_notes", "See Non-Project Notes"),
    ("set_permissions", "Set Permissions"),
    (
        "share_playlists_via_client_review_site",
        "Can Share Playlists via Client Review Site",
    ),
    (
        "allow_sudo",
        "Allow “sudo”: act and log events as another user",
    ),
    ("use_overlay_player", "Can use the Overlay Player"),
];

/// An advanced permission in words with its code (`Set Permissions
/// (set_permissions)`), or the code alone when ShotGrid documents no such one.
pub fn advanced_label(code: &str) -> String {
    match ADVANCED_WORDS.iter().find(|(c, _)| *c == code) {
        Some((_, words)) => format!("{words} ({code})"),
        None => code.to_string(),
    }
}

impl<'a> Context<'a> {
    /// The context with `tiers` and the missed permissions they reveal in
    /// `table`; the tier error when the table lacks a tier role.
    pub fn with_tiers(mut self, tiers: &'a Tiers, table: &Table) -> Result<Self, TierError> {
        self.missed = tiers.check(table, false)?;
        self.tiers = Some(tiers);
        Ok(self)
    }

    /// The missed permissions `role` takes part in, above or below.
    fn missed_by(&self, role: &str) -> Vec<&Violation> {
        self.missed
            .iter()
            .filter(|v| v.upper.as_str() == role || v.lower.as_str() == role)
            .collect()
    }

    /// The display name an entity sorts by: the schema's, else the code.
    pub(crate) fn entity_sort_key(&self, entity: &str) -> (String, String) {
        let shown = self
            .schema
            .and_then(|s| s.entity(entity))
            .map_or(entity, |e| e.display_name.as_str());
        (shown.to_lowercase(), entity.to_string())
    }

    pub(crate) fn role(&self, code: &str) -> RoleInfo {
        self.roles
            .iter()
            .find(|r| r.code == code)
            .cloned()
            .unwrap_or_else(|| RoleInfo {
                code: code.to_string(),
                display_name: code.to_string(),
                ..RoleInfo::default()
            })
    }

    pub(crate) fn holders(&self, code: &str) -> Vec<&Person> {
        self.people
            .iter()
            .filter(|(r, _)| r == code)
            .map(|(_, p)| p)
            .collect()
    }

    pub(crate) fn field_name(&self, entity: &str, field: &str) -> String {
        let display = self
            .schema
            .and_then(|s| s.entity(entity))
            .and_then(|e| e.fields.iter().find(|f| f.code == field))
            .map(|f| f.display_name.as_str());
        match display {
            Some(d) if d != field => format!("{d} ({field})"),
            _ => field.to_string(),
        }
    }

    pub(crate) fn entity_name(&self, entity: &str) -> String {
        match self.schema.and_then(|s| s.entity(entity)) {
            Some(e) if e.display_name != entity => format!("{} ({entity})", e.display_name),
            _ => entity.to_string(),
        }
    }
}

/// A value in words: `yes`, `no`, `only if …`, `unknown`.
pub fn in_words(value: &Value) -> String {
    match value {
        Value::If(cond) => format!("only if {cond}"),
        Value::Unknown => "unknown".to_string(),
        Value::Inherit => "as the entity".to_string(),
        other => other.to_text(),
    }
}

pub(crate) fn css_class(value: &Value) -> &'static str {
    match value {
        Value::Yes => "yes",
        Value::No => "no",
        Value::If(_) => "if",
        _ => "unknown",
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const ENTITY_ACTIONS: [Action; 4] = [Action::See, Action::Create, Action::Retire, Action::Edit];

/// An entity type's four rules for one role: values and notes, see to edit.
struct EntityRules {
    entity: String,
    values: [Value; 4],
    notes: [&'static str; 4],
}

/// A field whose rule differs from its entity's for one role.
struct FieldException {
    entity: String,
    field: String,
    action: Action,
    value: Value,
    entity_value: Value,
    note: &'static str,
}

/// One role's effective permissions, gathered once for both formats;
/// entities by display name.
struct RoleView {
    entities: Vec<EntityRules>,
    field_exceptions: Vec<FieldException>,
    /// (target, value, note) of app rows, then of advanced rows.
    apps: Vec<(Target, Value, &'static str)>,
    advanced: Vec<(Target, Value, &'static str)>,
}

impl RoleView {
    fn new(table: &Table, role: usize, ctx: &Context) -> RoleView {
        let mut view = RoleView {
            entities: Vec::new(),
            field_exceptions: Vec::new(),
            apps: Vec::new(),
            advanced: Vec::new(),
        };
        for row in table.sorted_rows() {
            let t = table.target(row);
            let value = table.effective(t, role);
            let note = table.note(row);
            match t.kind() {
                Kind::Entity => {
                    let at = ENTITY_ACTIONS
                        .iter()
                        .position(|a| *a == t.action())
                        .unwrap_or(0);
                    if view
                        .entities
                        .last()
                        .is_none_or(|e| e.entity != t.entity_type())
                    {
                        view.entities.push(EntityRules {
                            entity: t.entity_type().to_string(),
                            values: std::array::from_fn(|_| Value::Unknown),
                            notes: [""; 4],
                        });
                    }
                    if let Some(e) = view.entities.last_mut() {
                        e.values[at] = value;
                        e.notes[at] = note;
                    }
                }
                Kind::Field => {
                    let entity = t
                        .entity_target()
                        .map_or(Value::Unknown, |e| table.get(&e, role));
                    if table.value(row, role) != Value::Inherit && value != entity {
                        view.field_exceptions.push(FieldException {
                            entity: t.entity_type().into(),
                            field: t.name().into(),
                            action: t.action(),
                            value,
                            entity_value: entity,
                            note,
                        });
                    }
                }
                Kind::App => view.apps.push((*t, value, note)),
                Kind::Advanced => view.advanced.push((*t, value, note)),
            }
        }
        view.entities
            .sort_by_cached_key(|e| ctx.entity_sort_key(&e.entity));
        view.advanced
            .sort_by_cached_key(|(t, _, _)| advanced_label(t.name()).to_lowercase());
        view
    }

    fn all_values(&self) -> impl Iterator<Item = &Value> {
        self.entities
            .iter()
            .flat_map(|e| e.values.iter())
            .chain(self.apps.iter().map(|(_, v, _)| v))
            .chain(self.advanced.iter().map(|(_, v, _)| v))
    }

    /// "has no rights" / "nothing known" / None for an ordinary role.
    fn plainly(&self) -> Option<&'static str> {
        let values: Vec<&Value> = self.all_values().collect();
        if values.is_empty() || values.iter().all(|v| **v == Value::Unknown) {
            Some("Nothing is known yet about what this role may do: every permission is unknown (fill in the table, or probe the site).")
        } else if values.iter().all(|v| **v == Value::No) {
            Some("This role has no rights: it cannot see, create, retire or edit anything, and has no app or advanced permissions.")
        } else {
            None
        }
    }

    fn counts(&self) -> String {
        let count = |i: usize| {
            self.entities
                .iter()
                .filter(|e| e.values[i] != Value::No && e.values[i] != Value::Unknown)
                .count()
        };
        let conditional = self
            .entities
            .iter()
            .any(|e| e.values.iter().any(|x| matches!(x, Value::If(_))));
        format!(
            "{} entity type{}: sees {}, creates {}, retires {}, edits {}{}",
            self.entities.len(),
            if self.entities.len() == 1 { "" } else { "s" },
            count(0),
            count(1),
            count(2),
            count(3),
            if conditional {
                " (some only under conditions)"
            } else {
                ""
            }
        )
    }
}

/// One role's page: what it can see, create, retire and edit, entity by
/// entity, each rule's note and the missed permissions it takes part in;
/// field exceptions; apps; advanced permissions; its place in the tiers; who
/// holds it. Returns the page, or the unknown-role error when the table
/// lacks `role`.
pub fn role_report(
    table: &Table,
    role: &str,
    ctx: &Context,
    format: Format,
) -> Result<String, ModelError> {
    let column = table.require_role(role)?;
    let view = RoleView::new(table, column, ctx);
    let info = ctx.role(role);
    let holders = ctx.holders(role);
    Ok(match format {
        Format::Markdown => role_markdown(&view, &info, &holders, ctx),
        Format::Html => page(
            &format!("{} — what this role may do", info.display_name),
            &role_html(&view, &info, &holders, ctx),
            &ctx.title,
        ),
    })
}

/// "code X, for HumanUser, from template Y", each part passed through
/// `code` (the role code) or `text` (the rest) for the output format.
fn role_heading(
    info: &RoleInfo,
    code: impl Fn(&str) -> String,
    text: impl Fn(&str) -> String,
) -> String {
    let mut extra = vec![format!("code {}", code(&info.code))];
    if !info.user_type.is_empty() {
        extra.push(format!("for {}", text(&info.user_type)));
    }
    if !info.template.is_empty() {
        extra.push(format!("from template {}", text(&info.template)));
    }
    extra.join(", ")
}

/// What a value lets a role do, for a sentence: `may`, `may not`, `may only
/// if …`, `may (unknown)`.
fn may(value: &Value) -> String {
    match value {
        Value::Yes => "may".to_string(),
        Value::No => "may not".to_string(),
        Value::If(cond) => format!("may only if {cond}"),
        other => format!("may ({})", in_words(other)),
    }
}

/// A rule in words: `Version (Version) — retire`, `app Toolkit`, …
fn rule_label(t: &Target, ctx: &Context) -> String {
    match t.kind() {
        Kind::Entity => format!("{} — {}", ctx.entity_name(t.entity_type()), t.action()),
        Kind::Field => format!(
            "{} field {} — {}",
            ctx.entity_name(t.entity_type()),
            ctx.field_name(t.entity_type(), t.name()),
            t.action()
        ),
        Kind::App => format!("app {}", t.name()),
        Kind::Advanced => format!("advanced {}", advanced_label(t.name())),
    }
}

/// The marks for `role` at the rules `which` picks: "but Lead, above you,
/// may not: a missed permission" for each missed permission there.
fn missed_marks(ctx: &Context, role: &str, which: impl Fn(&Target) -> bool) -> Vec<String> {
    ctx.missed_by(role)
        .into_iter()
        .filter(|v| which(&v.target))
        .map(|v| {
            let (other, place, value) = if v.lower.as_str() == role {
                (v.upper.as_str(), "above", v.upper_value.value())
            } else {
                (v.lower.as_str(), "below", v.lower_value.value())
            };
            format!(
                "but {}, {place} you, {}: a missed permission",
                ctx.role(other).display_name,
                may(&value)
            )
        })
        .collect()
}

/// A value in words followed by the marks at its rule (` — but …`).
fn marked(value: &Value, marks: &[String]) -> (String, String) {
    let marks = marks.iter().map(|m| format!(" — {m}")).collect::<String>();
    (in_words(value), marks)
}

/// The marks at one entity rule of `role`.
fn entity_marks(ctx: &Context, role: &str, entity: &str, action: Action) -> Vec<String> {
    missed_marks(ctx, role, |t| {
        t.kind() == Kind::Entity && t.entity_type() == entity && t.action() == action
    })
}

/// `retire: why; edit: why` for an entity's notes ("" when none).
fn entity_notes(notes: &[&str; 4]) -> String {
    ENTITY_ACTIONS
        .iter()
        .zip(notes)
        .filter(|(_, n)| !n.is_empty())
        .map(|(a, n)| format!("{a}: {n}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where `role` stands in the tiers, in sentences; none without a tier file.
fn tier_place(ctx: &Context, role: &str) -> Vec<String> {
    let Some(tiers) = ctx.tiers else {
        return Vec::new();
    };
    let names = |roles: Vec<&str>| {
        roles
            .iter()
            .map(|r| ctx.role(r).display_name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (Ok(above), Ok(below)) = (tiers.ancestors(role), tiers.descendants(role)) else {
        return vec!["Not in the tier file: no role is ranked above or below it.".to_string()];
    };
    let levels = tiers.levels();
    let level = levels.iter().position(|l| l.contains(&role)).unwrap_or(0) + 1;
    let mut out = vec![format!("Level {level} of {} (1 is the top).", levels.len())];
    out.push(if above.is_empty() {
        "No role is above it.".to_string()
    } else {
        format!("Above it: {}.", names(above))
    });
    out.push(if below.is_empty() {
        "No role is below it.".to_string()
    } else {
        format!("Below it: {}.", names(below))
    });
    out
}

/// A missed permission in a sentence: `Version (Version) — retire: Artist
/// may, but Lead, above it, may not.`
fn missed_sentence(v: &Violation, ctx: &Context) -> String {
    format!(
        "{}: {} {}, but {}, above it, {}.",
        rule_label(&v.target, ctx),
        ctx.role(v.lower.as_str()).display_name,
        may(&v.lower_value.value()),
        ctx.role(v.upper.as_str()).display_name,
        may(&v.upper_value.value())
    )
}

/// "N missed permissions" in words.
fn missed_count(n: usize) -> String {
    match n {
        0 => "No missed permissions: no role may do more than a role above it.".to_string(),
        1 => "1 missed permission: a role may do more than a role above it.".to_string(),
        n => format!("{n} missed permissions: a role may do more than a role above it."),
    }
}

fn role_markdown(view: &RoleView, info: &RoleInfo, holders: &[&Person], ctx: &Context) -> String {
    let role = info.code.as_str();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}\n\n{}\n",
        md(&info.display_name),
        role_heading(info, |c| markdown_code(c, false), md)
    );
    if let Some(plain) = view.plainly() {
        let _ = writeln!(out, "**{plain}**\n");
    } else {
        let _ = writeln!(out, "{}\n", view.counts());
    }
    if !view.entities.is_empty() {
        out.push_str(
            "## Entities\n\n| Entity | See | Create | Retire | Edit | Notes |\n|---|---|---|---|---|---|\n",
        );
        for e in &view.entities {
            let cells: Vec<String> = ENTITY_ACTIONS
                .iter()
                .zip(&e.values)
                .map(|(a, v)| {
                    let (words, marks) = marked(v, &entity_marks(ctx, role, &e.entity, *a));
                    if marks.is_empty() {
                        md(&words)
                    } else {
                        format!("**{}**", md(&format!("{words}{marks}")))
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md(&ctx.entity_name(&e.entity)),
                cells.join(" | "),
                md(&entity_notes(&e.notes))
            );
        }
        out.push('\n');
    }
    if !view.field_exceptions.is_empty() {
        out.push_str("## Fields that differ from their entity\n\n| Entity | Field | Action | Allowed | Entity allows | Note |\n|---|---|---|---|---|---|\n");
        for f in &view.field_exceptions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                md(&ctx.entity_name(&f.entity)),
                md(&ctx.field_name(&f.entity, &f.field)),
                f.action,
                md(&in_words(&f.value)),
                md(&in_words(&f.entity_value)),
                md(f.note)
            );
        }
        out.push('\n');
    }
    for (title, items) in [
        ("Apps", &view.apps),
        ("Advanced permissions", &view.advanced),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}\n");
        for (t, value, note) in items {
            let (words, marks) = marked(value, &missed_marks(ctx, role, |x| x == t));
            let note = if note.is_empty() {
                String::new()
            } else {
                format!(" (note: {note})")
            };
            let _ = writeln!(
                out,
                "- {}: {}{}",
                md(&flag_name(t)),
                md(&format!("{words}{marks}")),
                md(&note)
            );
        }
        out.push('\n');
    }
    if ctx.tiers.is_some() {
        out.push_str("## Place in the tiers\n\n");
        for line in tier_place(ctx, role) {
            let _ = writeln!(out, "- {}", md(&line));
        }
        let missed = ctx.missed_by(role);
        let _ = writeln!(out, "\n{}\n", md(&missed_count(missed.len())));
        for v in &missed {
            let _ = writeln!(out, "- {}", md(&missed_sentence(v, ctx)));
        }
        if !missed.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "## Who holds this role\n");
    if holders.is_empty() {
        out.push_str("Nobody (as far as the users list tells).\n");
    }
    for p in holders {
        let state = match p.active {
            Some(false) => " (inactive)",
            _ => "",
        };
        let _ = writeln!(out, "- {} ({}){state}", md(&p.name), md(&p.login));
    }
    out
}

/// An app's name, or an advanced permission in words with its code.
fn flag_name(t: &Target) -> String {
    match t.kind() {
        Kind::Advanced => advanced_label(t.name()),
        _ => t.name().to_string(),
    }
}

/// A table cell of a value, with the marks at its rule.
fn value_cell(value: &Value, marks: &[String]) -> String {
    let (words, marks) = marked(value, marks);
    if marks.is_empty() {
        format!("<td class=\"{}\">{}</td>", css_class(value), escape(&words))
    } else {
        format!(
            "<td class=\"{} missed\">{} <strong class=\"missed\">{}</strong></td>",
            css_class(value),
            escape(&words),
            escape(&marks)
        )
    }
}

fn role_html(view: &RoleView, info: &RoleInfo, holders: &[&Person], ctx: &Context) -> String {
    let role = info.code.as_str();
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"nav\"><a href=\"index.html\">All roles</a> · <a href=\"matrix.html\">Role matrix</a></p>\
         <h1>{}</h1><p class=\"meta\">{}</p>",
        escape(&info.display_name),
        role_heading(info, |c| format!("<code>{}</code>", escape(c)), escape)
    );
    match view.plainly() {
        Some(plain) => {
            let _ = write!(out, "<p class=\"plain\">{}</p>", escape(plain));
        }
        None => {
            let _ = write!(out, "<p>{}</p>", escape(&view.counts()));
        }
    }
    if !view.entities.is_empty() {
        out.push_str("<h2>Entities</h2><table><thead><tr><th>Entity</th><th>See</th><th>Create</th><th>Retire</th><th>Edit</th><th>Notes</th></tr></thead><tbody>");
        for e in &view.entities {
            let _ = write!(out, "<tr><th>{}</th>", escape(&ctx.entity_name(&e.entity)));
            for (a, v) in ENTITY_ACTIONS.iter().zip(&e.values) {
                out.push_str(&value_cell(v, &entity_marks(ctx, role, &e.entity, *a)));
            }
            let _ = write!(
                out,
                "<td class=\"note\">{}</td></tr>",
                escape(&entity_notes(&e.notes))
            );
        }
        out.push_str("</tbody></table>");
    }
    if !view.field_exceptions.is_empty() {
        out.push_str("<h2>Fields that differ from their entity</h2><table><thead><tr><th>Entity</th><th>Field</th><th>Action</th><th>Allowed</th><th>Entity allows</th><th>Note</th></tr></thead><tbody>");
        for f in &view.field_exceptions {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td>{}{}<td class=\"note\">{}</td></tr>",
                escape(&ctx.entity_name(&f.entity)),
                escape(&ctx.field_name(&f.entity, &f.field)),
                f.action,
                value_cell(&f.value, &[]),
                value_cell(&f.entity_value, &[]),
                escape(f.note)
            );
        }
        out.push_str("</tbody></table>");
    }
    for (title, items) in [
        ("Apps", &view.apps),
        ("Advanced permissions", &view.advanced),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = write!(out, "<h2>{title}</h2><ul class=\"flags\">");
        for (t, value, note) in items {
            let (words, marks) = marked(value, &missed_marks(ctx, role, |x| x == t));
            let _ = write!(
                out,
                "<li class=\"{}\">{}: {}",
                css_class(value),
                escape(&flag_name(t)),
                escape(&words)
            );
            if !marks.is_empty() {
                let _ = write!(out, " <strong class=\"missed\">{}</strong>", escape(&marks));
            }
            if !note.is_empty() {
                let _ = write!(out, " <span class=\"note\">(note: {})</span>", escape(note));
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    if ctx.tiers.is_some() {
        out.push_str("<h2>Place in the tiers</h2><ul class=\"tiers\">");
        for line in tier_place(ctx, role) {
            let _ = write!(out, "<li>{}</li>", escape(&line));
        }
        let missed = ctx.missed_by(role);
        let _ = write!(out, "</ul><p>{}</p>", escape(&missed_count(missed.len())));
        missed_list(&mut out, &missed, ctx);
    }
    out.push_str("<h2>Who holds this role</h2>");
    if holders.is_empty() {
        out.push_str("<p>Nobody (as far as the users list tells).</p>");
    } else {
        let _ = write!(out, "<p>{} people</p><ul class=\"people\">", holders.len());
        for p in holders {
            let state = if p.active == Some(false) {
                " <span class=\"inactive\">inactive</span>"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<li>{} <code>{}</code>{state}</li>",
                escape(&p.name),
                escape(&p.login)
            );
        }
        out.push_str("</ul>");
    }
    out
}

/// Appends the missed permissions as an HTML list (nothing when none).
fn missed_list(out: &mut String, missed: &[&Violation], ctx: &Context) {
    if missed.is_empty() {
        return;
    }
    out.push_str("<ul class=\"missed\">");
    for v in missed {
        let _ = write!(out, "<li>{}</li>", escape(&missed_sentence(v, ctx)));
    }
    out.push_str("</ul>");
}

const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1d2430}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #d8dde6}
table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}th,td{border:1px solid #d8dde6;padding:.2rem .5rem;text-align:left;vertical-align:top}
thead th{background:#eef1f6;position:sticky;top:0}
td.yes,li.yes{background:#e3f4e6}td.no,li.no{background:#fbe5e3}td.if,li.if{background:#fff4d6}td.unknown,li.unknown{background:#f1f1f1;color:#666}
.meta,.nav{color:#5b6472}.plain{font-weight:600;padding:.6rem;background:#fbe5e3}
ul.flags li,ul.people li{margin:.1rem 0;padding:0 .3rem;list-style:none}.inactive{color:#a33;font-size:.85em}
.missed{color:#a0281e}td.missed{outline:2px solid #c0392b}td.note,.note{color:#5b6472;font-size:.9em}
@media print{.controls,.nav{display:none}body{max-width:none;font-size:11px}thead th{position:static}tr{break-inside:avoid}}";

fn page(title: &str, body: &str, site_title: &str) -> String {
    page_with_class(title, body, site_title, "", "")
}

/// A page with the site's style, then `style` (a page's own rules), and
/// `class` on its body.
pub(crate) fn page_with_class(
    title: &str,
    body: &str,
    site_title: &str,
    class: &str,
    style: &str,
) -> String {
    let heading = if site_title.is_empty() {
        String::new()
    } else {
        format!(" — {}", escape(site_title))
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}{heading}</title><style>{STYLE}{style}</style></head><body class=\"{class}\">{body}</body></html>\n",
        escape(title)
    )
}

/// The HTML site: `(file name, contents)` for the index, one page per role
/// and the role matrix.
pub fn html_site(table: &Table, ctx: &Context) -> Vec<(String, String)> {
    let mut files = vec![("index.html".to_string(), index_html(table, ctx))];
    for role in table.roles() {
        if let Ok(page) = role_report(table, role, ctx, Format::Html) {
            files.push((role_file(role), page));
        }
    }
    files.push(("matrix.html".to_string(), matrix::matrix_html(table, ctx)));
    files
}

/// Renders the HTML site ([`html_site`]) and writes it into `folder` (open
/// to write) as one unit: every page new, or on error every file as it was.
/// Returns the names of the files written.
pub fn write_site(
    folder: &mut Folder,
    table: &Table,
    ctx: &Context,
) -> Result<Vec<String>, FolderError> {
    let pages = html_site(table, ctx);
    let files: Vec<(&str, &[u8])> = pages
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_bytes()))
        .collect();
    folder.commit(&files)?;
    Ok(pages.into_iter().map(|(name, _)| name).collect())
}

/// The file name of a role's page: its code, with anything but letters,
/// digits, `-` and `_` replaced.
pub fn role_file(role: &str) -> String {
    let safe: String = role
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe == role {
        return format!("role-{safe}.html");
    }
    // Codes that needed replacing could meet another code: make them distinct.
    let hash = role.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("role-{safe}-{:08x}.html", hash as u32)
}

/// Where and when the table was taken, and by which sgperms, in words.
fn provenance(ctx: &Context) -> String {
    let snap = &ctx.snapshot;
    // The host names the site; without the scheme the page holds no address
    // a reader (or a check that nothing loads from the network) takes as a link.
    let host = snap
        .site
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let site = if host.is_empty() {
        "an unnamed site"
    } else {
        host
    };
    let mut out = format!("Site: {site}.");
    if !snap.taken_at.is_empty() {
        let _ = write!(out, " Snapshot taken {}", snap.taken_at);
        if !snap.version.is_empty() {
            let _ = write!(out, " by sgperms {}", snap.version);
        }
        out.push('.');
    }
    let _ = write!(out, " Pages made by sgperms {}.", env!("CARGO_PKG_VERSION"));
    out
}

fn index_html(table: &Table, ctx: &Context) -> String {
    let mut body = format!(
        "<h1>{}</h1><p class=\"meta\">{}</p><p>{} roles, {} permission rows. <a href=\"matrix.html\">Compare every role in one matrix</a>.</p>",
        escape(if ctx.title.is_empty() { "Permissions" } else { &ctx.title }),
        escape(&provenance(ctx)),
        table.role_count(),
        table.len()
    );
    if ctx.tiers.is_some() {
        let _ = write!(
            body,
            "<p class=\"missed\"><a href=\"#missed\">{}</a></p>",
            escape(&missed_count(ctx.missed.len()))
        );
    }
    body.push_str("<table><thead><tr><th>Role</th><th>Code</th><th>People</th><th>Summary</th></tr></thead><tbody>");
    for (i, role) in table.roles().enumerate() {
        let info = ctx.role(role);
        let view = RoleView::new(table, i, ctx);
        let summary = view.plainly().map_or_else(|| view.counts(), str::to_string);
        let _ = write!(
            body,
            "<tr><th><a href=\"{}\">{}</a></th><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            role_file(role),
            escape(&info.display_name),
            escape(role),
            ctx.holders(role).len(),
            escape(&summary)
        );
    }
    body.push_str("</tbody></table>");
    if ctx.tiers.is_some() {
        let _ = write!(
            body,
            "<h2 id=\"missed\">Missed permissions</h2><p>{}</p>",
            escape(&missed_count(ctx.missed.len()))
        );
        let missed: Vec<&Violation> = ctx.missed.iter().collect();
        missed_list(&mut body, &missed, ctx);
    }
    page("Permission roles", &body, &ctx.title)
}

/// GitHub refuses pull-request descriptions over 65,536 characters.
const MARKDOWN_LIMIT: usize = 60_000;

/// The changes as Markdown for a pull-request description: the summary,
/// then a table per role; cut short (and saying so) to fit a description.
pub fn changes_markdown(changes: &Changes) -> String {
    let full = changes_markdown_full(changes);
    if full.len() <= MARKDOWN_LIMIT {
        return full;
    }
    let mut cut = MARKDOWN_LIMIT;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    let end = full[..cut].rfind('\n').unwrap_or(cut);
    format!(
        "{}\n\n… cut here to fit a pull-request description: {} changes in all; attach `sgperms diff --format csv` for the rest.\n",
        &full[..end],
        changes.len()
    )
}

fn changes_markdown_full(changes: &Changes) -> String {
    let mut out = format!("### Permission changes\n\n{}\n\n", md(&changes.summary()));
    for (label, items) in [
        ("Roles added", &changes.roles_added),
        ("Roles removed", &changes.roles_removed),
    ] {
        if !items.is_empty() {
            let _ = writeln!(
                out,
                "**{label}:** {}\n",
                items
                    .iter()
                    .map(|r| markdown_code(r, false))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    for (label, items) in [
        ("Targets added", &changes.targets_added),
        ("Targets removed", &changes.targets_removed),
    ] {
        if !items.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>{label} ({})</summary>\n",
                items.len()
            );
            for t in items.iter() {
                let _ = writeln!(out, "- {}", markdown_code(&t.to_string(), false));
            }
            out.push_str("\n</details>\n\n");
        }
    }
    for role in changes.changed_roles() {
        let _ = writeln!(
            out,
            "#### {}\n\n| Target | Before | After | Note |\n|---|---|---|---|",
            md(role)
        );
        for c in changes.cells.iter().filter(|c| c.role == role) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                markdown_code(&c.target.to_string(), true),
                md(c.before.shown()),
                md(c.after.shown()),
                md(&c.note)
            );
        }
        out.push('\n');
    }
    if !changes.notes.is_empty() {
        out.push_str("#### Notes\n\n| Target | Before | After |\n|---|---|---|\n");
        for n in &changes.notes {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                markdown_code(&n.target.to_string(), true),
                md(&n.before),
                md(&n.after)
            );
        }
    }
    out
}

fn ui_action(action: Action) -> &'static str {
    match action {
        Action::See => "See",
        Action::Create => "Create",
        Action::Retire => "Retire",
        Action::Edit => "Edit",
        Action::Allow => "Allow",
    }
}

/// For a person at ShotGrid's Permissions page: for each changed cell, where
/// to click, grouped by role and section. Conditional values cannot be set by
/// checkbox and are flagged.
pub fn click_plan(changes: &Changes, ctx: &Context) -> String {
    let mut out = String::new();
    if changes.cells.is_empty() {
        return "Nothing to change on the Permissions page.\n".to_string();
    }
    for role in changes.changed_roles() {
        let display = ctx.role(role).display_name;
        let _ = writeln!(out, "{display} ({role})");
        for (section, kind) in [
            ("Entity Permissions", Kind::Entity),
            ("Field Permissions", Kind::Field),
            ("App Permissions", Kind::App),
            ("Advanced", Kind::Advanced),
        ] {
            let cells: Vec<_> = changes
                .cells
                .iter()
                .filter(|c| c.role == role && c.target.kind() == kind)
                .collect();
            if cells.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {section}");
            for c in cells {
                let t = &c.target;
                let place = match kind {
                    Kind::Entity => format!(
                        "Permissions > {display} > {section} > {}",
                        ctx.entity_name(t.entity_type())
                    ),
                    Kind::Field => format!(
                        "Permissions > {display} > {section} > {} > {}",
                        ctx.entity_name(t.entity_type()),
                        ctx.field_name(t.entity_type(), t.name())
                    ),
                    _ => format!("Permissions > {display} > {section} > {}", t.name()),
                };
                let what = ui_action(t.action());
                let greyed = c.before.is_condition();
                let step = match &c.after.value() {
                    _ if greyed && !c.after.is_condition() => format!(
                        "{place}: {what} is a conditional rule today (greyed out, not settable by checkbox): \
                         remove the condition first, then set it to {}",
                        c.after.shown()
                    ),
                    Value::Yes => format!("{place}: tick {what}"),
                    Value::No => format!("{place}: untick {what}"),
                    Value::Inherit => format!("{place}: {what} back to the entity's default (inherit)"),
                    Value::If(cond) => format!(
                        "{place}: {what} \"only if {cond}\" — NOT SETTABLE BY CHECKBOX: a conditional rule (greyed out in the UI)"
                    ),
                    Value::Unknown => format!("{place}: {what} — no step: the new value is unknown"),
                };
                let _ = writeln!(out, "    {step}");
            }
        }
    }
    out
}

/// A compact HTML preview of a table for Jupyter: the first `cap` rows.
pub fn table_preview(table: &Table, cap: usize) -> String {
    let mut out = format!(
        "<div><p><b>PermissionTable</b>: {} roles × {} targets</p><table><thead><tr><th>kind</th><th>entity_type</th><th>name</th><th>action</th>",
        table.role_count(),
        table.len()
    );
    for role in table.roles() {
        let _ = write!(out, "<th>{}</th>", escape(role));
    }
    out.push_str("<th>note</th></tr></thead><tbody>");
    let rows = table.sorted_rows();
    for &row in rows.iter().take(cap) {
        let t = table.target(row);
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            t.kind(),
            escape(t.entity_type()),
            escape(t.name()),
            t.action()
        );
        for role in 0..table.role_count() {
            let _ = write!(out, "<td>{}</td>", escape(table.cell_text(row, role)));
        }
        let _ = write!(out, "<td>{}</td></tr>", escape(table.note(row)));
    }
    out.push_str("</tbody></table>");
    if rows.len() > cap {
        let _ = write!(out, "<p>… {} more rows</p>", rows.len() - cap);
    }
    out.push_str("</div>");
    out
}

/// A compact HTML preview of changes for Jupyter: the summary and the first
/// `cap` cell changes.
pub fn changes_preview(changes: &Changes, cap: usize) -> String {
    let heading = format!(
        "<b>Changes</b> ({} → {}): {}",
        escape(&changes.old_label),
        escape(&changes.new_label),
        escape(&changes.summary())
    );
    let rows = changes.cells.iter().map(|c| {
        [
            c.role.to_string(),
            c.target.to_string(),
            c.before.shown().to_string(),
            c.after.shown().to_string(),
            c.note.to_string(),
        ]
    });
    preview(
        &heading,
        &["role", "target", "before", "after", "note"],
        rows,
        cap,
        "cell changes",
    )
}

/// The shape every list preview shares: `heading` (HTML, escaped by the
/// caller) in a paragraph, a table of `header` and the first `cap` of `rows`
/// (plain text, escaped here; no table when there are none), then
/// "… N more `what`" when rows were left out.
fn preview<const N: usize>(
    heading: &str,
    header: &[&str; N],
    rows: impl ExactSizeIterator<Item = [String; N]>,
    cap: usize,
    what: &str,
) -> String {
    let mut out = format!("<div><p>{heading}</p>");
    let total = rows.len();
    if total > 0 {
        out.push_str("<table><thead><tr>");
        for h in header {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead><tbody>");
        for row in rows.take(cap) {
            out.push_str("<tr>");
            for cell in &row {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        if total > cap {
            let _ = write!(out, "<p>… {} more {}</p>", total - cap, escape(what));
        }
    }
    out.push_str("</div>");
    out
}

/// "1 change", "2 changes": `n` and `noun`, plural with an `s`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A compact HTML preview of a tier plan for Jupyter: how many changes and
/// the first `cap` of them (role, target, before, after, why).
pub fn plan_preview(plan: &Plan, cap: usize) -> String {
    let rows = plan.changes.iter().map(|c| {
        [
            c.role.clone(),
            c.target.to_string(),
            shown_value(&c.before),
            shown_value(&c.after),
            c.why.clone(),
        ]
    });
    preview(
        &format!(
            "<b>Plan</b>: {}, nothing changed until apply",
            count(plan.changes.len(), "change")
        ),
        &["role", "target", "before", "after", "why"],
        rows,
        cap,
        "changes",
    )
}

/// A compact HTML preview of a tier check for Jupyter: how many missed
/// permissions (and pairs not comparable) and the first `cap` of them.
pub fn violations_preview(violations: &[Violation], cap: usize) -> String {
    let unknown = violations.iter().filter(|v| v.unknown).count();
    let mut summary = count(violations.len() - unknown, "missed permission");
    if unknown > 0 {
        let _ = write!(summary, ", {} not comparable", count(unknown, "pair"));
    }
    let rows = violations.iter().map(|v| {
        [
            v.target.to_string(),
            v.upper.to_string(),
            v.upper_value.shown().to_string(),
            v.lower.to_string(),
            v.lower_value.shown().to_string(),
            if v.unknown {
                "not comparable"
            } else {
                "allows less"
            }
            .to_string(),
        ]
    });
    preview(
        &format!("<b>Violations</b>: {summary}"),
        &[
            "target",
            "upper",
            "upper value",
            "lower",
            "lower value",
            "problem",
        ],
        rows,
        cap,
        "violations",
    )
}

/// A compact HTML preview of audit findings for Jupyter: how many and the
/// first `cap` of them (kind, role, target, value, detail).
pub fn findings_preview(findings: &[Finding], cap: usize) -> String {
    let rows = findings.iter().map(|f| {
        [
            f.kind.as_str().to_string(),
            f.role.clone(),
            f.target.to_string(),
            shown_value(&f.value),
            f.detail.clone(),
        ]
    });
    preview(
        &format!("<b>Findings</b>: {}", count(findings.len(), "finding")),
        &["kind", "role", "target", "value", "detail"],
        rows,
        cap,
        "findings",
    )
}

/// A compact HTML preview of tiers for Jupyter: the roles by level (the top
/// first), each with the roles directly below it and whether it is an
/// admin, the first `cap` roles.
pub fn tiers_preview(tiers: &Tiers, cap: usize) -> String {
    let levels = tiers.levels();
    let rows: Vec<[String; 4]> = levels
        .iter()
        .enumerate()
        .flat_map(|(level, roles)| roles.iter().map(move |role| (level, *role)))
        .map(|(level, role)| {
            [
                level.to_string(),
                role.to_string(),
                tiers.directly_below(role).unwrap_or_default().join(", "),
                if tiers.admins().iter().any(|a| a == role) {
                    "admin"
                } else {
                    ""
                }
                .to_string(),
            ]
        })
        .collect();
    preview(
        &format!(
            "<b>Tiers</b>: {} in {}, {}",
            count(rows.len(), "role"),
            count(levels.len(), "level"),
            count(tiers.admins().len(), "admin")
        ),
        &["level", "role", "directly below", "admin"],
        rows.into_iter(),
        cap,
        "roles",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvio::{read, ReadOptions};
    use crate::diff::diff;
    use crate::model::Target;

    fn table(text: &str) -> Table {
        read(text.as_bytes(), &ReadOptions::default()).unwrap().0
    }

    const TEXT: &str = "kind,entity_type,name,action,artist,nobody,note\n\
        entity,Task,,see,yes,no,\nentity,Task,,create,no,no,\nentity,Task,,retire,no,no,\n\
        entity,Task,,edit,if assigned to the task,no,\nfield,Task,content,edit,no,inherit,\n\
        field,Task,sg_status_list,edit,inherit,inherit,\napp,,Screening Room,see,yes,no,\n\
        advanced,,see_client_notes,allow,no,no,\n";

    #[test]
    fn role_pages_say_what_a_role_may_do() {
        let t = table(TEXT);
        let ctx = Context {
            people: vec![(
                "artist".into(),
                Person {
                    login: "ada".into(),
                    name: "Ada <A>".into(),
                    active: Some(false),
                },
            )],
            ..Context::default()
        };
        let md = role_report(&t, "artist", &ctx, Format::Markdown).unwrap();
        assert!(
            md.contains("| Task | yes | no | no | only if assigned to the task |  |"),
            "{md}"
        );
        assert!(
            md.contains("| Task | content | edit | no | only if assigned to the task |  |"),
            "{md}"
        );
        assert!(
            !md.contains("sg_status_list"),
            "inherit fields are not exceptions"
        );
        assert!(
            md.contains("- Screening Room: yes") && md.contains("- Ada \\<A\\> (ada) (inactive)"),
            "{md}"
        );
        assert!(
            md.contains("- Can see Client Notes (see_client_notes): no")
                && !md.contains("Place in the tiers"),
            "{md}"
        );
        let none = role_report(&t, "nobody", &ctx, Format::Markdown).unwrap();
        assert!(none.contains("**This role has no rights"), "{none}");
        let html = role_report(&t, "artist", &ctx, Format::Html).unwrap();
        assert!(html.contains("Ada &lt;A&gt;") && !html.contains("Ada <A>"));
        let ghost = role_report(&t, "ghost", &ctx, Format::Html).unwrap_err();
        assert_eq!(ghost.kind(), "unknown_role");
    }

    #[test]
    fn role_pages_mark_missed_permissions_and_sort_entities_by_display_name() {
        let text = "kind,entity_type,name,action,lead,artist,note\n\
            entity,Version,,retire,no,yes,lost Versions were in the trash\n\
            entity,ApiUser,,see,no,no,\nentity,Asset,,see,yes,yes,\n\
            advanced,,set_permissions,allow,no,no,\nadvanced,,odd_code,allow,no,no,\n";
        let t = table(text);
        let schema = Schema::from_shotgun(
            Vec::new(),
            vec![
                ("ApiUser".into(), Some("Script".into())),
                ("Version".into(), None),
            ],
        );
        let tiers = Tiers::parse("lead > artist").unwrap();
        let ctx = Context {
            schema: Some(&schema),
            snapshot: SnapshotInfo {
                site: "https://studio.example".into(),
                taken_at: "2026-11-23T17:06:07Z".into(),
                version: "0.1.0".into(),
            },
            ..Context::default()
        }
        .with_tiers(&tiers, &t)
        .unwrap();
        let artist = role_report(&t, "artist", &ctx, Format::Markdown).unwrap();
        let order: Vec<usize> = ["| Asset |", "| Script (ApiUser) |", "| Version |"]
            .iter()
            .map(|e| artist.find(e).unwrap_or_else(|| panic!("{e} in {artist}")))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{artist}");
        assert!(artist.contains("**yes — but lead, above you, may not\\: a missed permission** | unknown | retire\\: lost Versions were in the trash |"), "{artist}");
        assert!(
            artist.contains(
                "- Level 2 of 2 (1 is the top).\n- Above it\\: lead.\n- No role is below it."
            ),
            "{artist}"
        );
        assert!(
            artist.contains("- Version — retire\\: artist may, but lead, above it, may not."),
            "{artist}"
        );
        assert!(
            artist.contains("- odd_code: no\n- Set Permissions (set_permissions): no"),
            "{artist}"
        );
        let lead = role_report(&t, "lead", &ctx, Format::Html).unwrap();
        assert!(lead.contains("<td class=\"no missed\">no <strong class=\"missed\"> — but artist, below you, may: a missed permission</strong></td>"), "{lead}");
        assert!(lead.contains("<li>Below it: artist.</li>"), "{lead}");
        let index = &html_site(&t, &ctx)[0].1;
        assert!(
            index.contains(
                "Site: studio.example. Snapshot taken 2026-11-23T17:06:07Z by sgperms 0.1.0."
            ),
            "{index}"
        );
        assert!(index.contains("<p>1 missed permission: a role may do more than a role above it.</p><ul class=\"missed\"><li>Version — retire: artist may, but lead, above it, may not.</li></ul>"), "{index}");
    }

    #[test]
    fn the_site_has_an_index_role_pages_and_a_matrix() {
        let t = table(TEXT);
        let files = html_site(&t, &Context::default());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "index.html",
                "role-artist.html",
                "role-nobody.html",
                "matrix.html"
            ]
        );
        let matrix = &files[3].1;
        assert!(
            matrix.contains("class=\"differs\"") && !matrix.contains("http"),
            "self-contained"
        );
        assert_eq!(
            matrix.matches("<tr").count() - 1,
            7,
            "sg_status_list follows its entity for both roles"
        );
    }

    #[test]
    fn click_plans_flag_conditions() {
        let old = table(TEXT);
        let new = table(
            &TEXT
                .replace("entity,Task,,create,no,no", "entity,Task,,create,yes,no")
                .replace(
                    "app,,Screening Room,see,yes,no",
                    "app,,Screening Room,see,if on a project,no",
                ),
        );
        let plan = click_plan(&diff(&old, &new), &Context::default());
        assert!(
            plan.contains("Permissions > artist > Entity Permissions > Task: tick Create"),
            "{plan}"
        );
        assert!(plan.contains("NOT SETTABLE BY CHECKBOX"), "{plan}");
        let md = changes_markdown(&diff(&old, &new));
        assert!(
            md.contains("| `entity:Task::create` | no | yes |  |"),
            "{md}"
        );
    }

    const HOSTILE: [&str; 8] = [
        "=HYPERLINK(\"http://evil\",\"click\")",
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "![img](http://x)",
        "a | b `c` # d",
        "\x1b[31mred\u{202e}",
        "- item\n# heading\n> quote",
        "<img src=x onerror=alert(1)>",
    ];

    /// A table, people and role names all carrying hostile text.
    fn hostile() -> (Table, Context<'static>) {
        let mut t = table(TEXT);
        let row = t.insert_target(Target::new(Kind::App, "", HOSTILE[1], Action::See).unwrap());
        t.set(row, 0, &Value::If(HOSTILE[2].into())).unwrap();
        t.set_note(row, HOSTILE[6]);
        let see = t.target_index(&Target::new(Kind::Entity, "Task", "", Action::See).unwrap());
        t.set_note(see.unwrap(), HOSTILE[7]);
        let edit =
            t.target_index(&Target::new(Kind::Field, "Task", "content", Action::Edit).unwrap());
        t.set_note(edit.unwrap(), HOSTILE[1]);
        // The tier file makes "nobody" outrank artist: a missed permission
        // whose sentence carries both hostile display names.
        let tiers: &'static Tiers = Box::leak(Box::new(Tiers::parse("nobody > artist").unwrap()));
        let ctx = Context {
            roles: vec![
                RoleInfo {
                    code: "artist".into(),
                    display_name: HOSTILE[7].into(),
                    user_type: HOSTILE[4].into(),
                    template: HOSTILE[3].into(),
                },
                RoleInfo {
                    code: "nobody".into(),
                    display_name: HOSTILE[2].into(),
                    ..RoleInfo::default()
                },
            ],
            snapshot: SnapshotInfo {
                site: HOSTILE[7].into(),
                taken_at: HOSTILE[1].into(),
                version: HOSTILE[2].into(),
            },
            people: HOSTILE
                .iter()
                .map(|h| {
                    let person = Person {
                        login: h.to_string(),
                        name: h.to_string(),
                        active: None,
                    };
                    ("artist".to_string(), person)
                })
                .collect(),
            ..Context::default()
        };
        let ctx = ctx.with_tiers(tiers, &t).unwrap();
        assert!(!ctx.missed.is_empty());
        (t, ctx)
    }

    /// What would render on GitHub as markup rather than text: raw HTML,
    /// links, images, code, and table rows broken by a `|` or a line break.
    fn assert_literal_markdown(md: &str) {
        let mut width: Option<usize> = None;
        for line in md.lines() {
            let mut escaped = false;
            let mut code = false;
            for c in line.chars() {
                if c == '`' && !escaped {
                    code = !code;
                }
                if !escaped && !code && matches!(c, '<' | '[' | ']' | '!') {
                    // Only the report's own markup may use these.
                    assert!(
                        line.starts_with("<details>") || line.starts_with("</details>") || c == '!',
                        "unescaped {c:?} in {line:?}"
                    );
                }
                escaped = !escaped && c == '\\';
            }
            assert!(!code, "unclosed code span in {line:?}");
            assert!(
                !line.contains('\x1b') && !line.contains('\u{202e}'),
                "{line:?}"
            );
            if line.starts_with('|') {
                let cells = line
                    .replace("\\\\", "")
                    .replace("\\|", "")
                    .matches('|')
                    .count();
                // Every row has as many cells as its table's header.
                let header = *width.get_or_insert(cells);
                assert_eq!(cells, header, "a cell split: {line:?}");
            } else {
                width = None;
            }
        }
    }

    #[test]
    fn markdown_shows_hostile_text_as_text() {
        let (t, ctx) = hostile();
        let page = role_report(&t, "artist", &ctx, Format::Markdown).unwrap();
        assert_literal_markdown(&page);
        assert!(
            page.starts_with("# \\<img src=x onerror=alert(1)\\>\n"),
            "{page}"
        );
        assert!(
            page.contains(
                "- \\<script\\>alert(1)\\</script\\>: only if \\[x\\](javascript\\:alert(1))"
            ),
            "{page}"
        );
        assert!(page.contains("\\\\x1b\\[31mred\\\\u202e"), "{page}");
        // Notes, tier places and missed permissions are text too.
        assert!(
            page.contains("see\\: \\<img src=x onerror=alert(1)\\> |"),
            "{page}"
        );
        assert!(
            page.contains("| \\<script\\>alert(1)\\</script\\> |"),
            "{page}"
        );
        assert!(
            page.contains("- Above it\\: \\[x\\](javascript\\:alert(1))."),
            "{page}"
        );
        assert!(
            page.contains("**yes — but \\[x\\](javascript\\:alert(1)), above you, may not\\: a missed permission**"),
            "{page}"
        );
        assert!(
            page.contains("- \\- item \\# heading \\> quote (\\- item \\# heading \\> quote)"),
            "{page}"
        );
        assert!(
            page.contains("for a \\| b \\`c\\` \\# d, from template !\\[img\\](http\\://x)"),
            "{page}"
        );

        let mut new = t.clone();
        let row = new.insert_target(Target::new(Kind::App, "", HOSTILE[4], Action::See).unwrap());
        new.set(row, 0, &Value::If(HOSTILE[0].into())).unwrap();
        new.set_note(row, HOSTILE[6]);
        new.add_role(HOSTILE[4]).ok();
        let changes = diff(&table(TEXT), &new);
        let md = changes_markdown(&changes);
        assert_literal_markdown(&md);
        assert!(
            md.contains("| `app::a \\| b `c` # d:see` |")
                || md.contains("| ``app::a \\| b `c` # d:see`` |"),
            "{md}"
        );
        assert!(md.contains("\\- item \\# heading \\> quote |"), "{md}");
    }

    #[test]
    fn html_escapes_hostile_text() {
        let (t, ctx) = hostile();
        let mut pages = html_site(&t, &ctx);
        pages.push((
            "role".into(),
            role_report(&t, "artist", &ctx, Format::Html).unwrap(),
        ));
        pages.push(("preview".into(), table_preview(&t, 100)));
        let changes = diff(&table(TEXT), &t);
        pages.push(("changes".into(), changes_preview(&changes, 100)));
        for (name, html) in &pages {
            for bad in [
                "<script>alert",
                "<img",
                "onerror=alert(1)>",
                "href=\"javascript",
            ] {
                assert!(!html.contains(bad), "{name}: {bad} in {html}");
            }
        }
        assert!(pages[1].1.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(pages[1].1.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        let index = &pages[0].1;
        assert!(
            index.contains("Site: &lt;img src=x onerror=alert(1)&gt;."),
            "{index}"
        );
        assert!(index.contains("Missed permissions"), "{index}");
    }

    #[test]
    fn previews_are_capped() {
        let t = table(TEXT);
        let preview = table_preview(&t, 3);
        assert!(preview.contains("… 5 more rows"));
        assert_eq!(preview.matches("<tr>").count(), 4);
    }

    /// Plan, violations, findings and tiers carrying hostile text, as
    /// previews capped at `cap` rows.
    fn result_previews(cap: usize) -> Vec<(&'static str, String)> {
        use crate::audit::{Finding, FindingKind};
        let target = Target::new(Kind::App, "", HOSTILE[1], Action::See).unwrap();
        let hostile = Value::If(HOSTILE[7].into());
        let change = crate::tiers::Change {
            role: HOSTILE[1].into(),
            target,
            before: Value::Unknown,
            after: hostile.clone(),
            why: HOSTILE[7].into(),
        };
        let violation = Violation {
            upper: HOSTILE[7].into(),
            lower: HOSTILE[1].into(),
            target,
            upper_value: crate::model::Cell::of(&Value::No),
            lower_value: crate::model::Cell::of(&hostile),
            unknown: false,
        };
        let finding = Finding {
            kind: FindingKind::SelfElevation,
            role: HOSTILE[1].into(),
            target,
            value: hostile,
            detail: HOSTILE[7].into(),
        };
        let tiers = Tiers::parse("admins: <img/src=x/onerror=alert(1)\na > b > c\na > d").unwrap();
        vec![
            (
                "plan",
                plan_preview(
                    &Plan {
                        changes: vec![change; 3],
                    },
                    cap,
                ),
            ),
            ("violations", violations_preview(&[violation; 3], cap)),
            ("findings", findings_preview(&vec![finding; 3], cap)),
            ("tiers", tiers_preview(&tiers, cap)),
        ]
    }

    #[test]
    fn result_previews_escape_hostile_text() {
        for (name, html) in result_previews(50) {
            for bad in ["<script>alert", "<img"] {
                assert!(!html.contains(bad), "{name}: {bad} in {html}");
            }
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                    || html.contains("&lt;img/src=x/onerror=alert(1)"),
                "{name}: {html}"
            );
        }
    }

    #[test]
    fn result_previews_are_capped() {
        let previews = result_previews(2);
        for (name, html) in &previews[..3] {
            assert_eq!(html.matches("<tr>").count(), 3, "{name}: {html}");
            assert!(html.contains("… 1 more "), "{name}: {html}");
        }
        let (_, tiers) = &previews[3];
        assert!(tiers.contains("… 3 more roles"), "{tiers}");
        assert!(tiers.contains("<b>Tiers</b>: 5 roles in 3 levels, 1 admin"));
        let empty = violations_preview(&[], 2);
        assert_eq!(
            empty,
            "<div><p><b>Violations</b>: 0 missed permissions</p></div>"
        );
        assert!(plan_preview(&Plan::default(), 2).contains("0 changes"));
    }

    #[test]
    fn tiers_preview_lists_roles_by_level() {
        let tiers = Tiers::parse("admins: boss\na > b > c\na > c\nlone").unwrap();
        let html = tiers_preview(&tiers, 50);
        assert!(html.contains("<tr><td>0</td><td>a</td><td>b, c</td><td></td></tr>"));
        assert!(html.contains("<tr><td>1</td><td>b</td><td>c</td><td></td></tr>"));
        assert!(html.contains("<tr><td>2</td><td>c</td><td></td><td></td></tr>"));
        assert!(html.contains("<tr><td>0</td><td>boss</td><td></td><td>admin</td></tr>"));
    }

    #[test]
    fn the_site_is_written_as_one_unit() {
        use crate::folder::{Access, Folder};
        let dir = tempfile::tempdir().unwrap();
        let t = table(TEXT);
        let ctx = Context::default();
        let mut folder =
            Folder::open(dir.path(), Access::Write, std::time::Duration::ZERO, "test").unwrap();
        let names = write_site(&mut folder, &t, &ctx).unwrap();
        let pages = html_site(&t, &ctx);
        assert_eq!(
            names,
            pages.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
        );
        for (name, text) in pages {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(name)).unwrap(),
                text
            );
        }
        assert_eq!(Format::parse("md"), Some(Format::Markdown));
        assert_eq!(Format::parse("pdf"), None);
    }
}
