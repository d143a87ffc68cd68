//! Targets, values, roles and the permission table.
//!
//! A [`Table`] is a grid: one row per [`Target`], one column per role code.
//! Cells are stored as `u32` codes in one row-major vector, and conditional
//! values are interned, so a 2-million-cell table costs about 8 MB of cells.
//!
//! ```
//! use sgperms::model::{Action, Kind, Table, Target, Value};
//!
//! let mut t = Table::with_roles(["artist"]).unwrap();
//! let asset_see = Target::new(Kind::Entity, "Asset", "", Action::See).unwrap();
//! let row = t.insert_target(asset_see);
//! t.set(row, 0, &Value::Yes).unwrap();
//! assert_eq!(t.cell_text(row, 0), "yes");
//! ```

use std::cmp::Ordering;
use std::fmt;

use indexmap::IndexSet;
use serde::{Deserialize, Serialize};

use crate::intern::{self, Name};
use crate::vocab;

/// What a row of the table is about. The order is the canonical row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A whole entity type (`Asset`): see, create, retire, edit.
    Entity,
    /// One field of an entity type (`Asset.description`): see, edit.
    Field,
    /// An app of the web UI (`Media Center`): see.
    App,
    /// An advanced permission rule (`see_client_notes`): allow.
    Advanced,
}

impl Kind {
    /// Every kind, in canonical order.
    pub const ALL: [Kind; 4] = [Kind::Entity, Kind::Field, Kind::App, Kind::Advanced];

    /// The canonical spelling, as written in CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Entity => "entity",
            Kind::Field => "field",
            Kind::App => "app",
            Kind::Advanced => "advanced",
        }
    }

    /// "a" or "an", for messages about a row of this kind.
    pub fn article(self) -> &'static str {
        match self {
            Kind::Entity | Kind::App | Kind::Advanced => "an",
            Kind::Field => "a",
        }
    }

    /// The actions a row of this kind may have, in canonical order.
    pub fn actions(self) -> &'static [Action] {
        match self {
            Kind::Entity => &[Action::See, Action::Create, Action::Retire, Action::Edit],
            Kind::Field => &[Action::See, Action::Edit],
            Kind::App => &[Action::See],
            Kind::Advanced => &[Action::Allow],
        }
    }

    /// The kind spelled exactly as [`Kind::as_str`] writes it, or `None`.
    pub fn from_canonical(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a role may do to a target. The order is the canonical order within a row group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// See the entity type, field or app.
    See,
    /// Create entities of the type.
    Create,
    /// Retire (delete) entities of the type.
    Retire,
    /// Edit entities of the type, or the field.
    Edit,
    /// The one action of an advanced rule.
    Allow,
}

impl Action {
    /// Every action, in canonical order.
    pub const ALL: [Action; 5] = [
        Action::See,
        Action::Create,
        Action::Retire,
        Action::Edit,
        Action::Allow,
    ];

    /// The action spelled exactly as [`Action::as_str`] writes it, or `None`.
    pub fn from_canonical(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The canonical spelling, as written in CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::See => "see",
            Action::Create => "create",
            Action::Retire => "retire",
            Action::Edit => "edit",
            Action::Allow => "allow",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row key: `(kind, entity_type, name, action)`.
///
/// Built only through [`Target::new`], which enforces the shape DESIGN.md gives
/// each kind, so every `Target` in a table is well formed. The entity type
/// and name are interned ([`crate::intern`]): a target is 24 bytes, `Copy`,
/// and two targets compare by pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    kind: Kind,
    entity_type: Name,
    name: Name,
    action: Action,
}

impl Target {
    /// Checks the shape of a target and returns it, or says what is wrong.
    pub fn new(
        kind: Kind,
        entity_type: impl AsRef<str>,
        name: impl AsRef<str>,
        action: Action,
    ) -> Result<Target, ModelError> {
        let target = Target {
            kind,
            entity_type: Name::from(entity_type.as_ref()),
            name: Name::from(name.as_ref()),
            action,
        };
        target.check()?;
        Ok(target)
    }

    fn check(&self) -> Result<(), ModelError> {
        let needs_entity = matches!(self.kind, Kind::Entity | Kind::Field);
        let needs_name = self.kind != Kind::Entity;
        let problem = if needs_entity && self.entity_type.is_empty() {
            Some((vocab::ENTITY_TYPE, "needs an entity_type"))
        } else if !needs_entity && !self.entity_type.is_empty() {
            Some((vocab::ENTITY_TYPE, "takes no entity_type"))
        } else if needs_name && self.name.is_empty() {
            Some((vocab::NAME, "needs a name"))
        } else if !needs_name && !self.name.is_empty() {
            Some((
                vocab::NAME,
                "takes no name (entity rows describe the whole entity type)",
            ))
        } else {
            None
        };
        if let Some((column, problem)) = problem {
            return Err(ModelError::BadTarget {
                target: self.to_string(),
                column,
                problem: format!("{} {} row {}", self.kind.article(), self.kind, problem),
            });
        }
        if !self.kind.actions().contains(&self.action) {
            return Err(ModelError::BadAction {
                kind: self.kind,
                action: self.action,
            });
        }
        Ok(())
    }

    /// What the row is about.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The entity type code; empty for app and advanced rows.
    pub fn entity_type(&self) -> &'static str {
        self.entity_type.as_str()
    }
    /// The field code, app name or rule name; empty for entity rows.
    pub fn name(&self) -> &'static str {
        self.name.as_str()
    }
    /// What a role may do to the target.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The four key texts, in [`vocab::KEY_COLUMNS`] order, as every layout
    /// and record writes them.
    pub fn key(&self) -> [&'static str; 4] {
        [
            self.kind.as_str(),
            self.entity_type.as_str(),
            self.name.as_str(),
            self.action.as_str(),
        ]
    }

    /// The entity row whose value a field row follows (same entity type and action).
    pub fn entity_target(&self) -> Option<Target> {
        (self.kind == Kind::Field).then(|| Target {
            kind: Kind::Entity,
            entity_type: self.entity_type,
            name: empty_name(),
            action: self.action,
        })
    }
}

impl Ord for Target {
    fn cmp(&self, other: &Self) -> Ordering {
        self.kind
            .cmp(&other.kind)
            .then_with(|| by_text(self.entity_type, other.entity_type))
            .then_with(|| by_text(self.name, other.name))
            .then_with(|| self.action.cmp(&other.action))
    }
}

/// Text order, settled by pointer when the names are the same interned one
/// (most neighbours in a table share their entity type).
fn by_text(a: Name, b: Name) -> Ordering {
    if a == b {
        Ordering::Equal
    } else {
        a.as_str().cmp(b.as_str())
    }
}

/// The interned empty string: the name of entity rows, the note of a row without one.
pub(crate) fn empty_name() -> Name {
    static EMPTY: std::sync::LazyLock<Name> = std::sync::LazyLock::new(|| Name::from(""));
    *EMPTY
}

impl PartialOrd for Target {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.kind, self.entity_type, self.name, self.action
        )
    }
}

/// A cell value. `Unknown` is a value of its own and is never read as yes or no.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// Not known: the empty cell. Never read as yes or no.
    Unknown,
    /// Allowed.
    Yes,
    /// Not allowed.
    No,
    /// Fields only: follow the entity's value for the same action.
    Inherit,
    /// A conditional rule; holds the condition text without the `if ` prefix.
    If(String),
}

impl Value {
    /// The canonical spelling: `yes`, `no`, `inherit`, `if <condition>` or empty.
    pub fn to_text(&self) -> String {
        match self {
            Value::If(cond) => format!("{IF_PREFIX}{cond}"),
            fixed => FIXED_TEXTS[fixed_code(fixed).expect("every other value is fixed") as usize]
                .to_string(),
        }
    }

    /// The value spelled exactly as [`Value::to_text`] writes it, or `None`:
    /// the inverse of `to_text`, for text sgperms wrote itself (people's
    /// spellings go through `normalize::parse_value`).
    pub fn from_canonical(text: &str) -> Option<Value> {
        if let Some(cond) = text.strip_prefix(IF_PREFIX) {
            return Some(Value::If(cond.to_string()));
        }
        let code = FIXED_TEXTS.iter().position(|t| *t == text)?;
        Some(FIXED_VALUES[code].clone())
    }
}

/// How a conditional value starts in its canonical spelling.
pub(crate) const IF_PREFIX: &str = "if ";

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// A permission role as ShotGrid's `PermissionRuleSet` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The key: `artist`, `vendor`, `api_admin`...
    pub code: String,
    /// The name the web UI shows: `Artist`, `Vendor`, `API Admin`...
    pub display_name: String,
}

/// Errors from building or changing a table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// A target whose entity type or name does not fit its kind.
    BadTarget {
        /// The target, as `kind:entity_type:name:action`.
        target: String,
        /// The key column at fault (`entity_type` or `name`).
        column: &'static str,
        /// What is wrong, as a sentence fragment.
        problem: String,
    },
    /// An action that rows of this kind do not have (`create` on a field).
    BadAction {
        /// The row's kind.
        kind: Kind,
        /// The action given.
        action: Action,
    },
    /// `inherit` on a row that is not a field.
    InheritOutsideField {
        /// The target, as `kind:entity_type:name:action`.
        target: String,
    },
    /// A role code the table has no column for.
    UnknownRole {
        /// The code given.
        role: String,
        /// The table's role codes.
        known: Vec<String>,
    },
    /// A role code given twice for one table.
    DuplicateRole {
        /// The code.
        role: String,
    },
    /// A change made for another table: the cell no longer holds what it did.
    Stale {
        /// The role code of the cell.
        role: String,
        /// The target of the cell, as `kind:entity_type:name:action`.
        target: String,
        /// What the change expected the cell to hold.
        expected: String,
        /// What the cell holds.
        found: String,
    },
    /// Role codes must be non-empty, trimmed, and distinct from CSV column names.
    BadRoleCode {
        /// The code given.
        role: String,
    },
    /// `if` without its condition.
    EmptyCondition,
}

impl ModelError {
    /// A short snake_case name of the variant (`unknown_role`, `stale`...):
    /// the `.kind` of the Python exception.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelError::BadTarget { .. } => "bad_target",
            ModelError::BadAction { .. } => "bad_action",
            ModelError::InheritOutsideField { .. } => "inherit_outside_field",
            ModelError::UnknownRole { .. } => "unknown_role",
            ModelError::DuplicateRole { .. } => "duplicate_role",
            ModelError::Stale { .. } => "stale",
            ModelError::BadRoleCode { .. } => "bad_role_code",
            ModelError::EmptyCondition => "empty_condition",
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::BadTarget {
                target, problem, ..
            } => write!(f, "{target}: {problem}"),
            ModelError::BadAction { kind, action } => {
                let allowed: Vec<_> = kind.actions().iter().map(|a| a.as_str()).collect();
                write!(
                    f,
                    "action \"{action}\" does not apply to {kind} rows; expected {}",
                    allowed.join(", ")
                )
            }
            ModelError::InheritOutsideField { target } => write!(
                f,
                "{target}: \"inherit\" applies only to field rows (a field follows its entity); \
                 expected yes, no, if <condition> or empty"
            ),
            ModelError::UnknownRole { role, known } => {
                let hint = crate::normalize::did_you_mean(role, known.iter().map(String::as_str));
                write!(f, "unknown role \"{role}\"{hint}; the table has: ")?;
                if known.is_empty() {
                    f.write_str("no roles")
                } else {
                    f.write_str(&known.join(", "))
                }
            }
            ModelError::DuplicateRole { role } => write!(f, "role \"{role}\" appears twice"),
            ModelError::BadRoleCode { role } => {
                let names: Vec<&str> = vocab::Column::ALL.iter().map(|c| c.as_str()).collect();
                let aliases: Vec<&str> = vocab::extra_aliases().collect();
                write!(
                    f,
                    "\"{role}\" cannot be a role code: codes are non-empty, without surrounding \
                     spaces, and not a CSV column name ({}, or their aliases {})",
                    names.join(", "),
                    aliases.join(", ")
                )
            }
            ModelError::Stale {
                role,
                target,
                expected,
                found,
            } => write!(
                f,
                "the changes no longer fit this table: {role} {target} should be \"{expected}\" but is \"{found}\"; diff again"
            ),
            ModelError::EmptyCondition => {
                f.write_str("a conditional value needs its condition: \"if <condition>\"")
            }
        }
    }
}

impl std::error::Error for ModelError {}

/// Free text (notes, conditions) in canonical form: LF line ends, trimmed.
fn canonical_text(text: &str) -> String {
    let text = text.trim();
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// Whether a target can hold a value: `inherit` exists only on field rows, and
/// a condition needs its text.
pub fn check_value(target: &Target, value: &Value) -> Result<(), ModelError> {
    match value {
        Value::Inherit if target.kind != Kind::Field => Err(ModelError::InheritOutsideField {
            target: target.to_string(),
        }),
        Value::If(cond) if cond.trim().is_empty() => Err(ModelError::EmptyCondition),
        _ => Ok(()),
    }
}

fn is_valid_role_code(code: &str) -> bool {
    !code.is_empty() && code.trim() == code && !vocab::is_reserved(code)
}

/// The cell code of an unknown (empty) cell; a new row or role starts so.
pub const CODE_UNKNOWN: u32 = 0;
/// The cell code of `yes`.
pub const CODE_YES: u32 = 1;
/// The cell code of `no`.
pub const CODE_NO: u32 = 2;
/// The cell code of `inherit`.
pub const CODE_INHERIT: u32 = 3;
/// Cell codes below this are the fixed values above; from it on, interned
/// conditions in order of first use.
pub const FIRST_CONDITION: u32 = 4;

/// The value of each fixed cell code, indexed by code.
const FIXED_VALUES: [Value; FIRST_CONDITION as usize] =
    [Value::Unknown, Value::Yes, Value::No, Value::Inherit];
/// The canonical text of each fixed cell code, indexed by code.
const FIXED_TEXTS: [&str; FIRST_CONDITION as usize] = ["", "yes", "no", "inherit"];

/// The rank of `no`, the least permissive value.
pub const RANK_NO: u8 = 0;
/// The rank of every `if <condition>`: more than `no`, less than `yes`.
pub const RANK_IF: u8 = 1;
/// The rank of `yes`.
pub const RANK_YES: u8 = 2;
/// The rank of an unknown (or unresolvable) value.
pub const NO_RANK: u8 = u8::MAX;

/// The permission order of a cell code: [`RANK_NO`] < [`RANK_IF`] <
/// [`RANK_YES`]; unknown and `inherit` (unresolved) get [`NO_RANK`].
pub fn rank_code(code: u32) -> u8 {
    match code {
        CODE_YES => RANK_YES,
        CODE_NO => RANK_NO,
        CODE_UNKNOWN | CODE_INHERIT => NO_RANK,
        _ => RANK_IF,
    }
}

/// The code of a fixed value; `None` for a condition, which is interned.
fn fixed_code(value: &Value) -> Option<u32> {
    match value {
        Value::Unknown => Some(CODE_UNKNOWN),
        Value::Yes => Some(CODE_YES),
        Value::No => Some(CODE_NO),
        Value::Inherit => Some(CODE_INHERIT),
        Value::If(_) => None,
    }
}

/// A cell's value as its code: 4 bytes, `Copy`, and the same code for the
/// same value in every table of the process (conditions are interned
/// process-wide, [`crate::intern`]), so cells compare as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell(u32);

impl Cell {
    /// The unknown (empty) cell.
    pub const UNKNOWN: Cell = Cell(CODE_UNKNOWN);

    /// The cell of a value, interning its condition. The value is not checked
    /// against a target (see [`check_value`]).
    pub fn of(value: &Value) -> Cell {
        Cell(match value {
            Value::If(cond) => {
                intern::condition_code(&format!("{IF_PREFIX}{}", canonical_text(cond)))
            }
            fixed => fixed_code(fixed).expect("every other value has a fixed code"),
        })
    }

    /// The code: below [`FIRST_CONDITION`] a fixed value, from it on an
    /// interned condition.
    pub fn code(self) -> u32 {
        self.0
    }

    /// The canonical text (`yes`, `if <condition>`, "" for unknown), without allocating.
    pub fn text(self) -> &'static str {
        code_text(self.0)
    }

    /// The value.
    pub fn value(self) -> Value {
        match self.0 {
            n if n < FIRST_CONDITION => FIXED_VALUES[n as usize].clone(),
            n => Value::If(intern::condition_text(n)[IF_PREFIX.len()..].to_string()),
        }
    }

    /// Whether the cell is unknown.
    pub fn is_unknown(self) -> bool {
        self.0 == CODE_UNKNOWN
    }

    /// Whether the cell is a condition.
    pub fn is_condition(self) -> bool {
        self.0 >= FIRST_CONDITION
    }

    /// The permission order of the value, as [`rank_code`].
    pub fn rank(self) -> u8 {
        rank_code(self.0)
    }

    /// What a field cell `own` means given its entity's cell: a `no` on
    /// either side wins, an unknown entity leaves it unknown, `inherit`
    /// takes the entity's value.
    pub fn effective(own: Cell, entity: Cell) -> Cell {
        Cell(match (own.0, entity.0) {
            (CODE_NO, _) | (_, CODE_NO) => CODE_NO,
            (_, CODE_UNKNOWN) => CODE_UNKNOWN,
            (CODE_INHERIT, entity) => entity,
            (own, _) => own,
        })
    }

    /// The text as people read it in a diff or a report: unknown is spelled out.
    pub fn shown(self) -> &'static str {
        match self.0 {
            CODE_UNKNOWN => "unknown",
            _ => self.text(),
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// The canonical text of a cell code, without allocating.
pub fn code_text(code: u32) -> &'static str {
    match code {
        n if n < FIRST_CONDITION => FIXED_TEXTS[n as usize],
        n => intern::condition_text(n),
    }
}

/// The permission grid: targets x roles, plus one note per target.
#[derive(Debug, Clone, Default)]
pub struct Table {
    roles: IndexSet<String>,
    targets: IndexSet<Target>,
    cells: Vec<u32>,
    notes: Vec<Name>,
}

impl Table {
    /// An empty table with these role codes, in this order.
    pub fn with_roles<I, S>(roles: I) -> Result<Table, ModelError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut table = Table::default();
        for role in roles {
            let role = role.into();
            if table.role_index(&role).is_some() {
                return Err(ModelError::DuplicateRole { role });
            }
            table.add_role(role)?;
        }
        Ok(table)
    }

    /// Role codes in table order.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        self.roles.iter().map(String::as_str)
    }

    /// Number of roles (columns).
    pub fn role_count(&self) -> usize {
        self.roles.len()
    }

    /// Number of targets (rows).
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the table has no targets.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The column of a role code, if the table has it.
    pub fn role_index(&self, code: &str) -> Option<usize> {
        self.roles.get_index_of(code)
    }

    /// The column of a role, or an error listing the roles the table has.
    pub fn require_role(&self, code: &str) -> Result<usize, ModelError> {
        self.role_index(code)
            .ok_or_else(|| ModelError::UnknownRole {
                role: code.to_string(),
                known: self.roles.iter().cloned().collect(),
            })
    }

    /// Adds a role column of unknown cells (or finds it) and returns its index.
    pub fn add_role(&mut self, code: impl Into<String>) -> Result<usize, ModelError> {
        let code = code.into();
        if !is_valid_role_code(&code) {
            return Err(ModelError::BadRoleCode { role: code });
        }
        if let Some(i) = self.roles.get_index_of(&code) {
            return Ok(i);
        }
        let old = self.roles.len();
        if !self.targets.is_empty() {
            let mut cells = Vec::with_capacity(self.targets.len() * (old + 1));
            for row in self.cells.chunks(old.max(1)).take(self.targets.len()) {
                cells.extend_from_slice(&row[..old]);
                cells.push(CODE_UNKNOWN);
            }
            self.cells = cells;
        }
        self.roles.insert(code);
        Ok(old)
    }

    /// Row index of a target, if present.
    pub fn target_index(&self, target: &Target) -> Option<usize> {
        self.targets.get_index_of(target)
    }

    /// The target of a row.
    pub fn target(&self, row: usize) -> &Target {
        &self.targets[row]
    }

    /// Adds a row of unknown cells (or finds it) and returns its index.
    pub fn insert_target(&mut self, target: Target) -> usize {
        let (row, added) = self.targets.insert_full(target);
        if added {
            self.cells
                .resize(self.cells.len() + self.roles.len(), CODE_UNKNOWN);
            self.notes.push(empty_name());
        }
        row
    }

    /// Makes room for `rows` more targets, so that a reader that knows how
    /// many rows follow grows the table once instead of by doubling.
    pub fn reserve(&mut self, rows: usize) {
        self.targets.reserve(rows);
        self.cells.reserve(rows.saturating_mul(self.roles.len()));
        self.notes.reserve(rows);
    }

    /// Sets one cell. `inherit` is refused outside field rows.
    pub fn set(&mut self, row: usize, role: usize, value: &Value) -> Result<(), ModelError> {
        check_value(&self.targets[row], value)?;
        self.set_code(row, role, Cell::of(value).0);
        Ok(())
    }

    /// Sets the cell of `target` (added when the table lacks it) for the
    /// role at index `role` and, when `note` is given, the target's note.
    /// Returns the target's row. The value is checked against the target
    /// before the target is added, so an error changes nothing.
    pub fn set_cell(
        &mut self,
        target: Target,
        role: usize,
        value: &Value,
        note: Option<&str>,
    ) -> Result<usize, ModelError> {
        check_value(&target, value)?;
        let row = self.insert_target(target);
        self.set(row, role, value)?;
        if let Some(note) = note {
            self.set_note(row, note);
        }
        Ok(row)
    }

    /// Writes a whole row of codes (fixed values, or process-wide condition
    /// codes from [`crate::intern`]) already
    /// checked against the target: the reader's fast path.
    pub(crate) fn set_row_codes(&mut self, row: usize, codes: &[u32]) {
        debug_assert!(codes.len() == self.roles.len());
        let width = self.roles.len();
        self.cells[row * width..(row + 1) * width].copy_from_slice(codes);
    }

    /// Sets one cell's code, already checked against the target (`inherit`
    /// only on a field row): the reader's fast path.
    pub(crate) fn set_code(&mut self, row: usize, role: usize, code: u32) {
        let width = self.roles.len();
        self.cells[row * width + role] = code;
    }

    /// The code of a cell: below [`FIRST_CONDITION`] a fixed value, from it
    /// on a process-wide interned condition (the same in every table).
    pub(crate) fn code(&self, row: usize, role: usize) -> u32 {
        self.cells[row * self.roles.len() + role]
    }

    /// A cell, as its code.
    pub fn cell(&self, row: usize, role: usize) -> Cell {
        Cell(self.code(row, role))
    }

    /// The codes of one row's cells, in role order.
    pub(crate) fn row_codes(&self, row: usize) -> &[u32] {
        let width = self.roles.len();
        &self.cells[row * width..(row + 1) * width]
    }

    /// The canonical text of a cell, without allocating.
    pub fn cell_text(&self, row: usize, role: usize) -> &'static str {
        code_text(self.code(row, role))
    }

    /// Whether a cell is unknown (empty).
    pub fn is_unknown(&self, row: usize, role: usize) -> bool {
        self.code(row, role) == CODE_UNKNOWN
    }

    /// The value of a cell.
    pub fn value(&self, row: usize, role: usize) -> Value {
        self.cell(row, role).value()
    }

    /// The value of a target for a role; a target the table lacks is unknown.
    pub fn get(&self, target: &Target, role: usize) -> Value {
        self.get_cell(target, role).value()
    }

    /// The cell of a target for a role; a target the table lacks is unknown.
    pub fn get_cell(&self, target: &Target, role: usize) -> Cell {
        self.target_index(target)
            .map_or(Cell::UNKNOWN, |row| self.cell(row, role))
    }

    /// Sets one cell from its code. `inherit` is refused outside field rows.
    pub fn put(&mut self, row: usize, role: usize, cell: Cell) -> Result<(), ModelError> {
        if cell.0 == CODE_INHERIT && self.targets[row].kind != Kind::Field {
            return Err(ModelError::InheritOutsideField {
                target: self.targets[row].to_string(),
            });
        }
        self.set_code(row, role, cell.0);
        Ok(())
    }

    /// What the role can really do: a field follows its entity for the same
    /// action, and an entity `no` makes every field `no`. Where the entity's
    /// value is unknown, so is the field's (unless the field itself says `no`),
    /// because an unknown entity might be `no`.
    pub fn effective(&self, target: &Target, role: usize) -> Value {
        self.effective_cell(target, role).value()
    }

    /// [`Table::effective`] as a code, without building the value.
    pub fn effective_cell(&self, target: &Target, role: usize) -> Cell {
        let own = self.get_cell(target, role);
        let Some(entity_target) = target.entity_target() else {
            return own;
        };
        Cell::effective(own, self.get_cell(&entity_target, role))
    }

    /// The rank (see [`rank_code`]) of every role's effective value on one
    /// row, written into `out`: the allocation-free twin of [`Table::effective`]
    /// for passes over whole tables.
    pub fn effective_ranks(&self, row: usize, out: &mut Vec<u8>) {
        out.clear();
        let target = &self.targets[row];
        let entity_row = target.entity_target().and_then(|e| self.target_index(&e));
        for role in 0..self.roles.len() {
            let own = self.code(row, role);
            let rank = match (target.kind, entity_row) {
                (Kind::Field, entity) => {
                    let entity = entity.map_or(CODE_UNKNOWN, |e| self.code(e, role));
                    match (own, entity) {
                        (CODE_NO, _) | (_, CODE_NO) => RANK_NO,
                        (_, CODE_UNKNOWN) | (CODE_UNKNOWN, _) => NO_RANK,
                        (CODE_INHERIT, entity) => rank_code(entity),
                        (own, _) => rank_code(own),
                    }
                }
                _ => rank_code(own),
            };
            out.push(rank);
        }
    }

    /// The note of a row ("" when none).
    pub fn note(&self, row: usize) -> &'static str {
        self.notes[row].as_str()
    }

    /// The note of a row, interned: what a change record holds.
    pub fn note_name(&self, row: usize) -> Name {
        self.notes[row]
    }

    /// Sets a target's note in canonical form: LF line ends, no surrounding
    /// whitespace (spreadsheets add both).
    pub fn set_note(&mut self, row: usize, note: &str) {
        self.notes[row] = Name::from(canonical_text(note).as_str());
    }

    /// Row indices in canonical order (kind, entity_type, name, action).
    pub fn sorted_rows(&self) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..self.targets.len()).collect();
        self.sort_rows(&mut rows);
        rows
    }

    /// Sorts row indices (given in storage order) into canonical target
    /// order. The kind is the first key, and the rows of one kind are nearly
    /// always stored in canonical order already (sgperms writes so; scripts
    /// write an entity's rows then its fields'): rows are split by kind and
    /// each part is sorted only when one pass of comparisons finds it is not.
    pub fn sort_rows(&self, rows: &mut Vec<usize>) {
        let mut parts: [Vec<usize>; Kind::ALL.len()] = Default::default();
        for &row in rows.iter() {
            parts[self.targets[row].kind as usize].push(row);
        }
        rows.clear();
        for mut part in parts {
            if !part.is_sorted_by(|&a, &b| self.targets[a] <= self.targets[b]) {
                part.sort_unstable_by(|&a, &b| self.targets[a].cmp(&self.targets[b]));
            }
            rows.append(&mut part);
        }
    }

    /// Targets in canonical order.
    pub fn targets_sorted(&self) -> Vec<&Target> {
        self.sorted_rows()
            .into_iter()
            .map(|row| &self.targets[row])
            .collect()
    }

    /// A copy with these roles, in this order: columns the table has are
    /// copied, new ones are unknown, the others are left out. Targets whose
    /// `keep` is false are left out too.
    pub fn reshaped(
        &self,
        roles: &[String],
        keep: impl Fn(&Target) -> bool,
    ) -> Result<Table, ModelError> {
        let mut out = Table::with_roles(roles.iter().cloned())?;
        let from: Vec<Option<usize>> = roles.iter().map(|r| self.role_index(r)).collect();
        for row in 0..self.len() {
            let target = self.target(row);
            if !keep(target) {
                continue;
            }
            let to = out.insert_target(*target);
            out.notes[to] = self.notes[row];
            for (to_role, from_role) in from.iter().enumerate() {
                if let Some(from_role) = from_role {
                    out.set_code(to, to_role, self.code(row, *from_role));
                }
            }
        }
        Ok(out)
    }

    /// Bytes held by the table's own buffers (not counting allocator
    /// overhead, nor the interned names, notes and conditions every table
    /// of the process shares).
    pub fn heap_size(&self) -> usize {
        self.cells.capacity() * 4
            + self.targets.capacity() * (std::mem::size_of::<Target>() + 16)
            + self.notes.capacity() * std::mem::size_of::<Name>()
    }
}

/// Two tables are equal when they would be written identically: the same
/// roles in the same order, the same targets (in any insertion order), and
/// the same cell texts and notes.
impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        // IndexSet's own equality ignores order; role order changes the output.
        if !self.roles.iter().eq(other.roles.iter()) || self.targets.len() != other.targets.len() {
            return false;
        }
        self.targets.iter().enumerate().all(|(row, target)| {
            other.target_index(target).is_some_and(|other_row| {
                self.notes[row] == other.notes[other_row]
                    && (0..self.roles.len())
                        .all(|role| self.cell_text(row, role) == other.cell_text(other_row, role))
            })
        })
    }
}

impl Eq for Table {}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(et: &str, action: Action) -> Target {
        Target::new(Kind::Entity, et, "", action).unwrap()
    }

    fn field(et: &str, name: &str, action: Action) -> Target {
        Target::new(Kind::Field, et, name, action).unwrap()
    }

    #[test]
    fn target_shapes_are_enforced() {
        assert!(Target::new(Kind::Entity, "", "", Action::See).is_err());
        assert!(Target::new(Kind::Entity, "Asset", "code", Action::See).is_err());
        assert!(Target::new(Kind::Field, "Asset", "", Action::See).is_err());
        assert!(Target::new(Kind::App, "Asset", "x", Action::See).is_err());
        assert!(Target::new(Kind::App, "", "Media Center", Action::See).is_ok());
        assert!(Target::new(Kind::Advanced, "", "set_permissions", Action::Allow).is_ok());
        let err = Target::new(Kind::Field, "Asset", "code", Action::Create).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action \"create\" does not apply to field rows; expected see, edit"
        );
    }

    #[test]
    fn canonical_order_is_kind_entity_name_action() {
        let mut targets = [
            Target::new(Kind::Advanced, "", "a", Action::Allow).unwrap(),
            field("Asset", "code", Action::Edit),
            entity("Shot", Action::See),
            entity("Asset", Action::Edit),
            entity("Asset", Action::See),
            field("Asset", "code", Action::See),
            Target::new(Kind::App, "", "z", Action::See).unwrap(),
        ];
        targets.sort();
        let texts: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            texts,
            [
                "entity:Asset::see",
                "entity:Asset::edit",
                "entity:Shot::see",
                "field:Asset:code:see",
                "field:Asset:code:edit",
                "app::z:see",
                "advanced::a:allow"
            ]
        );
    }

    #[test]
    fn cells_round_trip_and_conditions_are_interned() {
        let mut t = Table::with_roles(["artist", "admin"]).unwrap();
        let row = t.insert_target(field("Task", "sg_status_list", Action::Edit));
        let cond = Value::If("assigned to the task".into());
        t.set(row, 0, &cond).unwrap();
        t.set(row, 1, &Value::Inherit).unwrap();
        assert_eq!(t.value(row, 0), cond);
        assert_eq!(t.cell_text(row, 0), "if assigned to the task");
        assert_eq!(t.cell_text(row, 1), "inherit");
        let row2 = t.insert_target(field("Task", "content", Action::Edit));
        t.set(row2, 0, &cond).unwrap();
        assert_eq!(t.code(row, 0), t.code(row2, 0));
        let mut other = Table::with_roles(["vendor"]).unwrap();
        let row3 = other.insert_target(field("Shot", "code", Action::See));
        other.set(row3, 0, &cond).unwrap();
        assert_eq!(
            other.code(row3, 0),
            t.code(row, 0),
            "one code in every table"
        );
    }

    #[test]
    fn inherit_only_on_fields() {
        let mut t = Table::with_roles(["artist"]).unwrap();
        let row = t.insert_target(entity("Asset", Action::See));
        let err = t.set(row, 0, &Value::Inherit).unwrap_err();
        assert!(err.to_string().contains("only to field rows"), "{err}");
    }

    #[test]
    fn adding_a_role_keeps_existing_cells() {
        let mut t = Table::with_roles(["a"]).unwrap();
        let r0 = t.insert_target(entity("Asset", Action::See));
        let r1 = t.insert_target(entity("Shot", Action::See));
        t.set(r0, 0, &Value::Yes).unwrap();
        t.set(r1, 0, &Value::No).unwrap();
        let b = t.add_role("b").unwrap();
        assert_eq!(b, 1);
        assert_eq!(t.cell_text(r0, 0), "yes");
        assert_eq!(t.cell_text(r1, 0), "no");
        assert_eq!(t.cell_text(r0, 1), "");
        assert_eq!(t.add_role("a").unwrap(), 0);
        assert_eq!(
            Table::with_roles(["a", "a"]).unwrap_err(),
            ModelError::DuplicateRole { role: "a".into() }
        );
    }

    #[test]
    fn effective_follows_the_entity() {
        let mut t = Table::with_roles(["r"]).unwrap();
        let see = t.insert_target(entity("Asset", Action::See));
        let f = t.insert_target(field("Asset", "code", Action::See));
        let cases = [
            (Value::Yes, Value::Inherit, Value::Yes),
            (Value::If("c".into()), Value::Inherit, Value::If("c".into())),
            (Value::No, Value::Yes, Value::No),
            (Value::Yes, Value::No, Value::No),
            (Value::Unknown, Value::No, Value::No),
            (Value::Unknown, Value::Yes, Value::Unknown),
            (Value::Yes, Value::Unknown, Value::Unknown),
            (Value::If("c".into()), Value::Yes, Value::Yes),
        ];
        for (entity_value, field_value, expected) in cases {
            t.set(see, 0, &entity_value).unwrap();
            t.set(f, 0, &field_value).unwrap();
            assert_eq!(
                t.effective(t.target(f), 0),
                expected,
                "entity {entity_value:?}, field {field_value:?}"
            );
        }
        let mut ranks = Vec::new();
        for (entity_value, field_value, expected) in [
            (Value::Yes, Value::Inherit, Some(2u8)),
            (Value::Unknown, Value::No, Some(0)),
        ] {
            t.set(see, 0, &entity_value).unwrap();
            t.set(f, 0, &field_value).unwrap();
            t.effective_ranks(f, &mut ranks);
            assert_eq!(ranks[0], expected.unwrap());
            assert_eq!(crate::tiers::rank(&t.effective(t.target(f), 0)), expected);
        }
        // A field whose entity row is missing cannot be resolved.
        let lone = field("Shot", "code", Action::Edit);
        let row = t.insert_target(lone);
        t.set(row, 0, &Value::Inherit).unwrap();
        assert_eq!(t.effective(&lone, 0), Value::Unknown);
    }

    #[test]
    fn equality_ignores_insertion_order_but_not_role_order() {
        let mut a = Table::with_roles(["x", "y"]).unwrap();
        let mut b = Table::with_roles(["x", "y"]).unwrap();
        let t1 = entity("Asset", Action::See);
        let t2 = entity("Shot", Action::See);
        let a1 = a.insert_target(t1);
        a.insert_target(t2);
        b.insert_target(t2);
        let b1 = b.insert_target(t1);
        a.set(a1, 1, &Value::Yes).unwrap();
        assert_ne!(a, b);
        b.set(b1, 1, &Value::Yes).unwrap();
        assert_eq!(a, b);
        b.set_note(b1, "why");
        assert_ne!(a, b);
        let c = Table::with_roles(["y", "x"]).unwrap();
        assert_ne!(Table::with_roles(["x", "y"]).unwrap(), c);
    }

    #[test]
    fn two_million_cells_take_tens_of_megabytes() {
        let roles: Vec<String> = (0..30).map(|i| format!("role_{i:02}")).collect();
        let mut t = Table::with_roles(roles).unwrap();
        let conditions: Vec<Value> = (0..50)
            .map(|i| Value::If(format!("condition {i}")))
            .collect();
        'fill: for e in 0..250 {
            for f in 0..150 {
                for action in [Action::See, Action::Edit] {
                    let row = t.insert_target(field(
                        &format!("CustomEntity{e:03}"),
                        &format!("sg_field_{f:03}"),
                        action,
                    ));
                    for role in 0..30 {
                        let v = match (row + role) % 7 {
                            0 => conditions[(row + role) % 50].clone(),
                            1 | 2 => Value::Yes,
                            3 => Value::No,
                            _ => Value::Inherit,
                        };
                        t.set(row, role, &v).unwrap();
                    }
                    if t.len() * t.role_count() >= 2_000_000 {
                        break 'fill;
                    }
                }
            }
        }
        assert!(t.len() * t.role_count() >= 2_000_000);
        let mb = t.heap_size() as f64 / 1e6;
        assert!(mb < 40.0, "{mb:.1} MB for 2M cells");
    }

    #[test]
    fn canonical_spellings_read_back_exactly() {
        for value in [
            Value::Unknown,
            Value::Yes,
            Value::No,
            Value::Inherit,
            Value::If(" odd, \"spaced\" ".into()),
        ] {
            assert_eq!(Value::from_canonical(&value.to_text()), Some(value));
        }
        assert_eq!(Value::from_canonical("Yes"), None);
        for kind in Kind::ALL {
            assert_eq!(Kind::from_canonical(kind.as_str()), Some(kind));
        }
        for action in Action::ALL {
            assert_eq!(Action::from_canonical(action.as_str()), Some(action));
        }
        assert_eq!(Action::from_canonical("delete"), None);
    }

    #[test]
    fn set_cell_changes_nothing_on_error() {
        let mut t = Table::with_roles(["artist"]).unwrap();
        let err = t
            .set_cell(
                entity("Asset", Action::See),
                0,
                &Value::Inherit,
                Some("why"),
            )
            .unwrap_err();
        assert_eq!(err.kind(), "inherit_outside_field");
        assert!(t.is_empty());
        let row = t
            .set_cell(
                field("Asset", "code", Action::See),
                0,
                &Value::Inherit,
                Some(" why\r\n"),
            )
            .unwrap();
        assert_eq!((t.cell_text(row, 0), t.note(row)), ("inherit", "why"));
        t.set_cell(field("Asset", "code", Action::See), 0, &Value::No, None)
            .unwrap();
        assert_eq!((t.cell_text(row, 0), t.note(row)), ("no", "why"));
    }

    #[test]
    fn column_names_are_no_role_codes() {
        let err = Table::with_roles(["Entity Type"]).unwrap_err();
        assert_eq!(err.kind(), "bad_role_code");
        assert_eq!(
            err.to_string(),
            "\"Entity Type\" cannot be a role code: codes are non-empty, without surrounding \
             spaces, and not a CSV column name (kind, entity_type, name, action, note, role, \
             value, or their aliases entity, notes, reason, comment)"
        );
    }
}
