//! Names and values as people type them and as the API returns them, turned
//! into the one canonical spelling the model uses.
//!
//! ```
//! use sgperms::model::Value;
//! use sgperms::normalize::{parse_value, Names};
//!
//! assert_eq!(parse_value(" ✓ ").unwrap(), Value::Yes);
//! assert_eq!(parse_value("If assigned").unwrap(), Value::If("assigned".into()));
//! // Without a schema, ShotGrid's built-in display names still resolve.
//! assert_eq!(Names::new(None, None).entity_type("People").unwrap(), "HumanUser");
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::model::{Action, Kind, ModelError, Role, Target, Value};
use crate::schema::{FieldSchema, Schema};
use crate::vocab::{self, fold};

/// A name or value that could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NormalizeError {
    /// A cell value in no accepted spelling; holds the text.
    Value(String),
    /// `if` with nothing after it.
    EmptyCondition,
    /// A row kind in no accepted spelling; holds the text.
    Kind(String),
    /// An action in no accepted spelling; holds the text.
    Action(String),
    /// An entity type the schema does not know; holds the text.
    UnknownEntity(String),
    /// A name that several entity types answer to: the text and their codes.
    AmbiguousEntity(String, Vec<String>),
    /// A field the schema does not know on an entity type.
    UnknownField {
        /// The entity type code.
        entity: String,
        /// The field name given.
        name: String,
    },
    /// A name that several fields of one entity type answer to.
    AmbiguousField {
        /// The entity type code.
        entity: String,
        /// The field name given.
        name: String,
        /// The codes of the fields it could be.
        candidates: Vec<String>,
    },
    /// A role name that is neither a known role's code nor its display name.
    UnknownRole {
        /// The name given.
        name: String,
        /// The known role codes.
        known: Vec<String>,
    },
    /// A name that several roles answer to: the text and their codes.
    AmbiguousRole(String, Vec<String>),
}

impl NormalizeError {
    /// A short snake_case name of the variant (`unknown_value`,
    /// `ambiguous_field`...): the `.kind` of the Python exception.
    pub fn kind(&self) -> &'static str {
        match self {
            NormalizeError::Value(_) => "unknown_value",
            NormalizeError::EmptyCondition => "empty_condition",
            NormalizeError::Kind(_) => "unknown_kind",
            NormalizeError::Action(_) => "unknown_action",
            NormalizeError::UnknownEntity(_) => "unknown_entity",
            NormalizeError::AmbiguousEntity(..) => "ambiguous_entity",
            NormalizeError::UnknownField { .. } => "unknown_field",
            NormalizeError::AmbiguousField { .. } => "ambiguous_field",
            NormalizeError::UnknownRole { .. } => "unknown_role",
            NormalizeError::AmbiguousRole(..) => "ambiguous_role",
        }
    }
}

/// What [`parse_value`] accepts, for messages.
pub const EXPECTED_VALUES: &str = "yes, no, inherit, \"if <condition>\" or empty \
     (also accepted: y/true/1/x/✓/allow, n/false/0/-/✗/deny, default)";

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NormalizeError::Value(v) => {
                write!(
                    f,
                    "unknown value \"{}\"; expected {EXPECTED_VALUES}",
                    shown(v)
                )
            }
            NormalizeError::EmptyCondition => {
                f.write_str("\"if\" needs its condition, e.g. \"if assigned to the task\"")
            }
            NormalizeError::Kind(v) => write!(
                f,
                "unknown kind \"{}\"; expected entity, field, app or advanced",
                shown(v)
            ),
            NormalizeError::Action(v) => write!(
                f,
                "unknown action \"{}\"; expected see, create, retire (or delete), edit or allow",
                shown(v)
            ),
            NormalizeError::UnknownEntity(v) => write!(
                f,
                "unknown entity type \"{}\"; expected an entity type code or display name \
                 from the schema (e.g. Shot, Shots, CustomEntity01)",
                shown(v)
            ),
            NormalizeError::AmbiguousEntity(v, c) => write!(
                f,
                "ambiguous entity type \"{v}\"; it could be {}: use the code",
                c.join(" or ")
            ),
            NormalizeError::UnknownField { entity, name } => write!(
                f,
                "unknown field \"{}\" on {entity}; expected a field code or display name \
                 of {entity} from the schema",
                shown(name)
            ),
            NormalizeError::AmbiguousField {
                entity,
                name,
                candidates,
            } => write!(
                f,
                "ambiguous field \"{name}\" on {entity}; it could be {}: use the code",
                candidates.join(" or ")
            ),
            NormalizeError::UnknownRole { name, known } => {
                write!(f, "unknown role \"{}\"", shown(name))?;
                if let Some(near) = closest(name, known.iter().map(String::as_str)) {
                    write!(f, " (did you mean \"{near}\"?)")?;
                }
                write!(f, "; expected one of: {}", known.join(", "))
            }
            NormalizeError::AmbiguousRole(v, c) => write!(
                f,
                "ambiguous role \"{v}\"; it could be {}: use the code",
                c.join(" or ")
            ),
        }
    }
}

impl std::error::Error for NormalizeError {}

/// A target that could not be built, with the key column to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    /// A key text in no accepted spelling (or a name the schema lacks): the
    /// column and why.
    Normalize(&'static str, NormalizeError),
    /// Key texts that make no target (a field without a name): the column
    /// and why.
    Model(&'static str, ModelError),
}

impl TargetError {
    /// The `kind` of the error inside ([`NormalizeError::kind`],
    /// [`ModelError::kind`]).
    pub fn kind(&self) -> &'static str {
        match self {
            TargetError::Normalize(_, e) => e.kind(),
            TargetError::Model(_, e) => e.kind(),
        }
    }

    /// The key column (`kind`, `entity_type`, `name` or `action`) at fault.
    pub fn column(&self) -> &'static str {
        match self {
            TargetError::Normalize(column, _) | TargetError::Model(column, _) => column,
        }
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Normalize(column, e) => write!(f, "{column}: {e}"),
            TargetError::Model(column, e) => write!(f, "{column}: {e}"),
        }
    }
}

impl std::error::Error for TargetError {}

/// Builds a target from its four key texts as people type them: kind and
/// action in any accepted spelling, entity and field display names resolved.
pub fn parse_target(
    names: &Names,
    kind: &str,
    entity_type: &str,
    name: &str,
    action: &str,
) -> Result<Target, TargetError> {
    TargetParser::new(names).parse(kind, entity_type, name, action)
}

/// [`parse_target`] for the rows of one file: the entity type and the field
/// resolved last are remembered, because a file's rows of one entity type
/// come together and so do a field's actions, so most rows resolve by a
/// comparison instead of a lookup.
#[derive(Debug)]
pub struct TargetParser<'n> {
    names: &'n Names,
    entity: Remembered,
    field: Remembered,
}

impl<'n> TargetParser<'n> {
    /// A parser resolving names against `names`, remembering nothing yet.
    pub fn new(names: &'n Names) -> TargetParser<'n> {
        TargetParser {
            names,
            entity: Remembered::default(),
            field: Remembered::default(),
        }
    }

    /// The target of four key texts, exactly as [`parse_target`] builds it.
    pub fn parse(
        &mut self,
        kind: &str,
        entity_type: &str,
        name: &str,
        action: &str,
    ) -> Result<Target, TargetError> {
        let names = self.names;
        let kind = parse_kind(kind).map_err(|e| TargetError::Normalize(vocab::KIND, e))?;
        let action = parse_action(action).map_err(|e| TargetError::Normalize(vocab::ACTION, e))?;
        let typed_entity =
            matches!(kind, Kind::Entity | Kind::Field) && !entity_type.trim().is_empty();
        let entity_type = if typed_entity {
            self.entity
                .resolve("", entity_type, || names.entity_type(entity_type))
                .map_err(|e| TargetError::Normalize(vocab::ENTITY_TYPE, e))?
        } else {
            entity_type.trim()
        };
        let name = if kind == Kind::Field && typed_entity && !name.trim().is_empty() {
            self.field
                .resolve(entity_type, name, || names.field(entity_type, name))
                .map_err(|e| TargetError::Normalize(vocab::NAME, e))?
        } else {
            name.trim()
        };
        Target::new(kind, entity_type, name, action).map_err(|e| {
            let column = match &e {
                ModelError::BadTarget { column, .. } => *column,
                _ => vocab::ACTION,
            };
            TargetError::Model(column, e)
        })
    }
}

/// The last name a [`TargetParser`] resolved: the text typed, in which scope
/// (the entity type of a field), and the code it resolved to.
#[derive(Debug, Default)]
struct Remembered {
    known: bool,
    scope: String,
    typed: String,
    code: String,
}

impl Remembered {
    /// The code of `typed` in `scope`: the remembered one when both are the
    /// same as last time, else `resolve`'s answer, remembered when it is one.
    fn resolve(
        &mut self,
        scope: &str,
        typed: &str,
        resolve: impl FnOnce() -> Result<String, NormalizeError>,
    ) -> Result<&str, NormalizeError> {
        if !(self.known && self.scope == scope && self.typed == typed) {
            self.known = false;
            self.code = resolve()?;
            self.scope.clear();
            self.scope.push_str(scope);
            self.typed.clear();
            self.typed.push_str(typed);
            self.known = true;
        }
        Ok(&self.code)
    }
}

/// A value as error messages quote it: control characters escaped and long
/// text cut, so that one bad cell makes one readable line.
pub fn shown(text: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a cell value in any accepted spelling.
pub fn parse_value(text: &str) -> Result<Value, NormalizeError> {
    // The canonical spellings first: almost every cell of a real file is one.
    match text {
        "yes" => return Ok(Value::Yes),
        "no" => return Ok(Value::No),
        "inherit" => return Ok(Value::Inherit),
        "" => return Ok(Value::Unknown),
        _ => {}
    }
    // U+FE0F asks for the emoji form of ✔ and ✖; it carries no meaning here.
    let text_owned;
    let text = if text.contains('\u{FE0F}') {
        text_owned = text.replace('\u{FE0F}', "");
        text_owned.as_str()
    } else {
        text
    };
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("if") {
        return Err(NormalizeError::EmptyCondition);
    }
    if let Some(cond) = condition(trimmed) {
        return Ok(Value::If(cond.to_string()));
    }
    let value = match trimmed.to_lowercase().as_str() {
        "" => Value::Unknown,
        "yes" | "y" | "true" | "1" | "x" | "✓" | "✔" | "allow" => Value::Yes,
        "no" | "n" | "false" | "0" | "-" | "✗" | "✘" | "deny" => Value::No,
        "inherit" | "default" => Value::Inherit,
        _ => return Err(NormalizeError::Value(text.to_string())),
    };
    Ok(value)
}

/// The condition of an `if <condition>` value, trimmed; `None` when `text` is not one.
fn condition(text: &str) -> Option<&str> {
    let prefix = text.get(..2)?;
    let rest = &text[2..];
    let cond = rest.trim_start();
    let separated = rest.len() > cond.len();
    (prefix.eq_ignore_ascii_case("if") && separated && !cond.is_empty()).then_some(cond)
}

/// Parses a row kind (`entity`, `fields`, ...).
pub fn parse_kind(text: &str) -> Result<Kind, NormalizeError> {
    if let Some(kind) = Kind::from_canonical(text) {
        return Ok(kind);
    }
    match fold(text).as_str() {
        "entity" | "entities" => Ok(Kind::Entity),
        "field" | "fields" => Ok(Kind::Field),
        "app" | "apps" => Ok(Kind::App),
        "advanced" => Ok(Kind::Advanced),
        _ => Err(NormalizeError::Kind(text.to_string())),
    }
}

/// Parses an action; `delete` is ShotGrid's older word for `retire`.
pub fn parse_action(text: &str) -> Result<Action, NormalizeError> {
    if let Some(action) = Action::from_canonical(text) {
        return Ok(action);
    }
    match fold(text).as_str() {
        "see" | "view" | "read" => Ok(Action::See),
        "create" => Ok(Action::Create),
        "retire" | "delete" => Ok(Action::Retire),
        "edit" | "update" => Ok(Action::Edit),
        "allow" => Ok(Action::Allow),
        _ => Err(NormalizeError::Action(text.to_string())),
    }
}

/// The candidate closest to a name someone typed, for "did you mean ...?"
/// in every message about an unknown name. Names are compared folded (case,
/// spaces, `_` and `-` ignored) by edit distance counting a swap of two
/// neighbouring letters as one edit (`artsit` -> `artist`). `None` when no
/// candidate is within a third of the name's length (at least one edit);
/// among equally close candidates, the first.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted: Vec<char> = fold(name).chars().collect();
    if wanted.is_empty() {
        return None;
    }
    let limit = (wanted.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let folded: Vec<char> = fold(candidate).chars().collect();
        let distance = edit_distance(&wanted, &folded);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// ` (did you mean "X"?)`, X the candidate [`closest`] to `name`, or ""
/// when none is close: the hint every unknown-role error gives.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map_or_else(String::new, |near| format!(" (did you mean \"{near}\"?)"))
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours each count one.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = d;
        }
    }
    rows[a.len() * width + b.len()]
}

/// English plural of a display name, as ShotGrid's UI shows entity pages.
fn plural(name: &str) -> String {
    if name.eq_ignore_ascii_case("person") {
        return "People".to_string();
    }
    let lower = name.to_lowercase();
    let consonant_y = lower.ends_with('y')
        && !matches!(
            lower.chars().rev().nth(1),
            Some('a' | 'e' | 'i' | 'o' | 'u')
        );
    if consonant_y {
        format!("{}ies", &name[..name.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

/// ShotGrid's built-in entity types and their display names, used to resolve
/// names when no schema is given. Custom entities cannot be known without one.
const BUILTIN_ENTITIES: &[(&str, &str)] = &[
    ("ActionMenuItem", "Action Menu Item"),
    ("ApiUser", "Script"),
    ("Asset", "Asset"),
    ("Attachment", "File"),
    ("Booking", "Booking"),
    ("Camera", "Camera"),
    ("ClientUser", "Client User"),
    ("Cut", "Cut"),
    ("CutItem", "Cut Item"),
    ("Delivery", "Delivery"),
    ("Department", "Department"),
    ("Element", "Element"),
    ("Episode", "Episode"),
    ("EventLogEntry", "Event Log Entry"),
    ("Group", "Group"),
    ("HumanUser", "Person"),
    ("Icon", "Icon"),
    ("Level", "Level"),
    ("LocalStorage", "Local Storage"),
    ("Note", "Note"),
    ("Page", "Page"),
    ("PermissionRuleSet", "Permission Rule Set"),
    ("Phase", "Phase"),
    ("PipelineConfiguration", "Pipeline Configuration"),
    ("Playlist", "Playlist"),
    ("Project", "Project"),
    ("PublishedFile", "Published File"),
    ("PublishedFileType", "Published File Type"),
    ("Release", "Release"),
    ("Reply", "Reply"),
    ("Revision", "Revision"),
    ("Scene", "Scene"),
    ("Sequence", "Sequence"),
    ("Shot", "Shot"),
    ("Status", "Status"),
    ("Step", "Pipeline Step"),
    ("Tag", "Tag"),
    ("Task", "Task"),
    ("TaskTemplate", "Task Template"),
    ("Ticket", "Ticket"),
    ("TimeLog", "Time Log"),
    ("Version", "Version"),
];

/// What a name resolved to.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    Found(String),
    Ambiguous(Vec<String>),
    Missing,
}

/// Codes addressed by exact code, by case-insensitive code, then by any
/// folded alias (display name, plural); the first level that answers wins.
#[derive(Debug, Default)]
struct NameIndex {
    exact: HashMap<String, String>,
    code_ci: HashMap<String, Vec<String>>,
    alias: HashMap<String, Vec<String>>,
}

impl NameIndex {
    fn add(&mut self, code: &str, aliases: &[String]) {
        self.exact.insert(code.to_string(), code.to_string());
        push_unique(self.code_ci.entry(code.to_lowercase()).or_default(), code);
        for alias in aliases.iter().chain(std::iter::once(&code.to_string())) {
            push_unique(self.alias.entry(fold(alias)).or_default(), code);
        }
    }

    fn resolve(&self, text: &str) -> Resolved {
        if let Some(code) = self.exact.get(text) {
            return Resolved::Found(code.clone());
        }
        for candidates in [
            self.code_ci.get(&text.to_lowercase()),
            self.alias.get(&fold(text)),
        ]
        .into_iter()
        .flatten()
        {
            match candidates.as_slice() {
                [one] => return Resolved::Found(one.clone()),
                [] => {}
                many => return Resolved::Ambiguous(many.to_vec()),
            }
        }
        Resolved::Missing
    }
}

fn push_unique(codes: &mut Vec<String>, code: &str) {
    if !codes.iter().any(|c| c == code) {
        codes.push(code.to_string());
    }
}

fn entity_aliases(code: &str, display_name: &str) -> Vec<String> {
    vec![display_name.to_string(), plural(display_name), plural(code)]
}

/// Resolves entity types, fields and roles against an optional schema and an
/// optional list of roles. Without a schema, entity names resolve against
/// ShotGrid's built-in types and anything else is kept as typed; fields are
/// kept as typed. Without roles, role names are kept as typed.
#[derive(Debug)]
pub struct Names {
    has_schema: bool,
    /// Unknown names are errors (strict) or kept as typed (lenient).
    strict: bool,
    /// Unknown roles are errors (when roles are given).
    strict_roles: bool,
    entities: NameIndex,
    fields: HashMap<String, EntityFields>,
    roles: Option<(NameIndex, Vec<String>)>,
}

/// An entity type's fields: codes sorted for exact lookups (the common case,
/// no index needed), and the display-name index built on the first miss.
/// The texts are copied into one buffer, so that building the fields of a
/// large schema for each read costs two allocations an entity type.
#[derive(Debug)]
struct EntityFields {
    /// Each field's code then display name, back to back, fields sorted.
    text: String,
    /// Where each field's code and display name end in `text`.
    ends: Vec<(usize, usize)>,
    aliases: std::sync::OnceLock<NameIndex>,
}

impl EntityFields {
    fn new(fields: &[FieldSchema]) -> EntityFields {
        let mut sorted: Vec<&FieldSchema> = fields.iter().collect();
        sorted.sort_by(|a, b| (&a.code, &a.display_name).cmp(&(&b.code, &b.display_name)));
        let mut text = String::with_capacity(
            sorted
                .iter()
                .map(|f| f.code.len() + f.display_name.len())
                .sum(),
        );
        let mut ends = Vec::with_capacity(sorted.len());
        for field in sorted {
            text.push_str(&field.code);
            let code_end = text.len();
            text.push_str(&field.display_name);
            ends.push((code_end, text.len()));
        }
        EntityFields {
            text,
            ends,
            aliases: std::sync::OnceLock::new(),
        }
    }

    /// The code and display name of the `i`th field in code order.
    fn field(&self, i: usize) -> (&str, &str) {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p].1);
        let (code_end, end) = self.ends[i];
        (&self.text[start..code_end], &self.text[code_end..end])
    }

    fn resolve(&self, text: &str) -> Resolved {
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let code = self.field(mid).0;
            match code.cmp(text) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Resolved::Found(code.to_string()),
            }
        }
        self.aliases
            .get_or_init(|| {
                let mut index = NameIndex::default();
                for i in 0..self.ends.len() {
                    let (code, display) = self.field(i);
                    index.add(code, &[display.to_string()]);
                }
                index
            })
            .resolve(text)
    }
}

impl Names {
    /// Builds the indexes once; reuse one `Names` for a whole file.
    pub fn new(schema: Option<&Schema>, roles: Option<&[Role]>) -> Names {
        let mut entities = NameIndex::default();
        let mut fields = HashMap::new();
        match schema {
            Some(schema) => {
                for entity in schema.entities() {
                    entities.add(
                        &entity.code,
                        &entity_aliases(&entity.code, &entity.display_name),
                    );
                    fields.insert(entity.code.clone(), EntityFields::new(&entity.fields));
                }
            }
            None => {
                for (code, display_name) in BUILTIN_ENTITIES {
                    entities.add(code, &entity_aliases(code, display_name));
                }
            }
        }
        let roles = roles.map(|roles| {
            let mut index = NameIndex::default();
            for role in roles {
                index.add(&role.code, std::slice::from_ref(&role.display_name));
            }
            let mut codes = Vec::new();
            for role in roles {
                push_unique(&mut codes, &role.code);
            }
            (index, codes)
        });
        Names {
            has_schema: schema.is_some(),
            strict: true,
            strict_roles: true,
            entities,
            fields,
            roles,
        }
    }

    /// The same resolution, but a name the schema or roles do not know is kept
    /// as typed instead of being an error (ambiguous names still are): for
    /// reading a previous snapshot whose rows may have left the site.
    pub fn lenient(mut self) -> Names {
        self.strict = false;
        self.strict_roles = false;
        self
    }

    /// Unknown roles are errors again, whatever [`Names::lenient`] said: for
    /// a table checked against the roles.csv beside it, where names the
    /// schema lacks are kept but a misspelt role column is refused.
    pub fn strict_roles(mut self) -> Names {
        self.strict_roles = true;
        self
    }

    /// The entity type code for a code or display name (singular or plural, any case).
    pub fn entity_type(&self, text: &str) -> Result<String, NormalizeError> {
        let text = text.trim();
        match self.entities.resolve(text) {
            Resolved::Found(code) => Ok(code),
            Resolved::Ambiguous(codes) => Err(NormalizeError::AmbiguousEntity(text.into(), codes)),
            Resolved::Missing if self.has_schema && self.strict => {
                Err(NormalizeError::UnknownEntity(text.into()))
            }
            Resolved::Missing => Ok(text.to_string()),
        }
    }

    /// The field code for a code or display name on an entity type already resolved.
    pub fn field(&self, entity_type: &str, text: &str) -> Result<String, NormalizeError> {
        let text = text.trim();
        if !self.has_schema {
            return Ok(text.to_string());
        }
        let resolved = self
            .fields
            .get(entity_type)
            .map_or(Resolved::Missing, |index| index.resolve(text));
        match resolved {
            Resolved::Found(code) => Ok(code),
            Resolved::Ambiguous(candidates) => Err(NormalizeError::AmbiguousField {
                entity: entity_type.into(),
                name: text.into(),
                candidates,
            }),
            Resolved::Missing if !self.strict => Ok(text.to_string()),
            Resolved::Missing => Err(NormalizeError::UnknownField {
                entity: entity_type.into(),
                name: text.into(),
            }),
        }
    }

    /// The role code for a role code or display name.
    pub fn role(&self, text: &str) -> Result<String, NormalizeError> {
        let text = text.trim();
        let Some((index, known)) = &self.roles else {
            return Ok(text.to_string());
        };
        match index.resolve(text) {
            Resolved::Found(code) => Ok(code),
            Resolved::Ambiguous(codes) => Err(NormalizeError::AmbiguousRole(text.into(), codes)),
            Resolved::Missing if !self.strict_roles => Ok(text.to_string()),
            Resolved::Missing => Err(NormalizeError::UnknownRole {
                name: text.into(),
                known: known.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{EntitySchema, FieldSchema};

    fn field(code: &str, name: &str) -> FieldSchema {
        FieldSchema {
            code: code.into(),
            display_name: name.into(),
            data_type: "text".into(),
        }
    }

    fn schema() -> Schema {
        Schema::new(vec![
            EntitySchema {
                code: "Shot".into(),
                display_name: "Shot".into(),
                fields: vec![
                    field("sg_status_list", "Status"),
                    field("sg_cut_in", "Cut In"),
                    field("cut_in", "Cut In"),
                ],
            },
            EntitySchema {
                code: "CustomEntity01".into(),
                display_name: "Disk Location".into(),
                fields: vec![],
            },
            EntitySchema {
                code: "CustomEntity02".into(),
                display_name: "Library".into(),
                fields: vec![],
            },
            EntitySchema {
                code: "CustomEntity03".into(),
                display_name: "Library".into(),
                fields: vec![],
            },
        ])
    }

    #[test]
    fn values_in_every_spelling() {
        for yes in [
            "yes", "Yes", "Y", "TRUE", "1", "x", "X", "✓", "✔", "allow", " yes ",
        ] {
            assert_eq!(parse_value(yes).unwrap(), Value::Yes, "{yes}");
        }
        for no in ["no", "N", "false", "0", "-", "✗", "✘", "Deny"] {
            assert_eq!(parse_value(no).unwrap(), Value::No, "{no}");
        }
        for inherit in ["inherit", "Default", "INHERIT"] {
            assert_eq!(parse_value(inherit).unwrap(), Value::Inherit);
        }
        assert_eq!(parse_value("").unwrap(), Value::Unknown);
        assert_eq!(parse_value("   ").unwrap(), Value::Unknown);
        assert_eq!(
            parse_value("IF  assigned to task ").unwrap(),
            Value::If("assigned to task".into())
        );
        assert_eq!(parse_value("✔\u{FE0F}").unwrap(), Value::Yes);
        assert_eq!(
            parse_value(" if ").unwrap_err(),
            NormalizeError::EmptyCondition
        );
        assert_eq!(shown("a\u{0}b\nc"), "a\\u{0}b\\nc");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 61);
        for bad in ["maybe", "iffy", "yes please", "2"] {
            let err = parse_value(bad).unwrap_err();
            assert!(
                err.to_string().contains("expected yes, no, inherit"),
                "{err}"
            );
        }
    }

    #[test]
    fn kinds_and_actions() {
        assert_eq!(parse_kind("Fields").unwrap(), Kind::Field);
        assert_eq!(parse_action("Delete").unwrap(), Action::Retire);
        assert_eq!(parse_action("retire").unwrap(), Action::Retire);
        assert!(parse_action("destroy").is_err());
        assert!(parse_kind("page").is_err());
    }

    #[test]
    fn plurals() {
        assert_eq!(plural("Shot"), "Shots");
        assert_eq!(plural("Delivery"), "Deliveries");
        assert_eq!(plural("Day"), "Days");
        assert_eq!(plural("Status"), "Statuses");
        assert_eq!(plural("Person"), "People");
    }

    #[test]
    fn entities_without_schema_use_builtins_and_keep_the_rest() {
        let names = Names::new(None, None);
        assert_eq!(names.entity_type("Shots").unwrap(), "Shot");
        assert_eq!(names.entity_type("shot").unwrap(), "Shot");
        assert_eq!(
            names.entity_type("Published Files").unwrap(),
            "PublishedFile"
        );
        assert_eq!(names.entity_type("Pipeline Steps").unwrap(), "Step");
        assert_eq!(names.entity_type("Script").unwrap(), "ApiUser");
        assert_eq!(
            names.entity_type("CustomEntity07").unwrap(),
            "CustomEntity07"
        );
        assert_eq!(names.field("Shot", " Status ").unwrap(), "Status");
    }

    #[test]
    fn entities_and_fields_with_schema() {
        let schema = schema();
        let names = Names::new(Some(&schema), None);
        assert_eq!(
            names.entity_type("Disk Locations").unwrap(),
            "CustomEntity01"
        );
        assert_eq!(
            names.entity_type("customentity01").unwrap(),
            "CustomEntity01"
        );
        assert_eq!(
            names.entity_type("Libraries").unwrap_err(),
            NormalizeError::AmbiguousEntity(
                "Libraries".into(),
                vec!["CustomEntity02".into(), "CustomEntity03".into()]
            )
        );
        assert!(matches!(
            names.entity_type("Asset"),
            Err(NormalizeError::UnknownEntity(_))
        ));
        assert_eq!(names.field("Shot", "Status").unwrap(), "sg_status_list");
        assert_eq!(names.field("Shot", "cut_in").unwrap(), "cut_in");
        let err = names.field("Shot", "Cut In").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ambiguous field \"Cut In\" on Shot; it could be cut_in or sg_cut_in: use the code"
        );
        assert!(names.field("Shot", "Budget").is_err());
        let lenient = Names::new(Some(&schema), None).lenient();
        assert_eq!(lenient.field("Shot", "Budget").unwrap(), "Budget");
        assert_eq!(lenient.field("Shot", "Status").unwrap(), "sg_status_list");
        assert_eq!(lenient.entity_type("Assets").unwrap(), "Assets");
        assert!(lenient.field("Shot", "Cut In").is_err());
    }

    #[test]
    fn roles_by_code_or_display_name() {
        let roles = vec![
            Role {
                code: "artist".into(),
                display_name: "Artist".into(),
            },
            Role {
                code: "senior_manager".into(),
                display_name: "Senior Manager".into(),
            },
        ];
        let names = Names::new(None, Some(&roles));
        assert_eq!(names.role("Senior Manager").unwrap(), "senior_manager");
        assert_eq!(names.role("ARTIST").unwrap(), "artist");
        let err = names.role("vendor").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown role \"vendor\"; expected one of: artist, senior_manager"
        );
        assert_eq!(
            names.role("artsit").unwrap_err().to_string(),
            "unknown role \"artsit\" (did you mean \"artist\"?); expected one of: artist, senior_manager"
        );
        assert_eq!(
            names.role("Senior Manger").unwrap_err().to_string(),
            "unknown role \"Senior Manger\" (did you mean \"senior_manager\"?); \
             expected one of: artist, senior_manager"
        );
        assert!(Names::new(None, Some(&roles))
            .lenient()
            .strict_roles()
            .role("artsit")
            .is_err());
        assert_eq!(Names::new(None, None).role(" Vendor ").unwrap(), "Vendor");
        assert_eq!(
            Names::new(None, Some(&roles))
                .lenient()
                .role("gone")
                .unwrap(),
            "gone"
        );
    }

    #[test]
    fn closest_suggests_the_nearest_name_or_nothing() {
        let known = ["admin", "artist", "lead", "coordinator", "senior_manager"];
        let near = |name: &str| closest(name, known.iter().copied());
        assert_eq!(near("artsit"), Some("artist"));
        assert_eq!(near("Artst"), Some("artist"));
        assert_eq!(near("coordinater"), Some("coordinator"));
        assert_eq!(near("Senior Manager"), Some("senior_manager"));
        assert_eq!(near("leed"), Some("lead"));
        assert_eq!(near("vendor"), None);
        assert_eq!(near("xyz"), None);
        assert_eq!(near(""), None);
        assert_eq!(closest("ab", ["ac", "ab1"]), Some("ac"));
    }
}
