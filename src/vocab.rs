//! The words of the CSV layouts, in one place: the column names and the
//! spellings people type for them, how names are folded before they are
//! compared, and which names a role code may not take.
//!
//! A leaf module: it uses nothing else of the crate, so the model, the
//! normaliser and the reader can all share it without importing each other.
//!
//! ```
//! use sgperms::vocab::{column, fold, is_reserved, Column, LONG_HEADER};
//!
//! assert_eq!(fold("Entity Type"), "entitytype");
//! assert_eq!(column(&fold("Entity Type")), Some(Column::EntityType));
//! assert_eq!(LONG_HEADER, ["role", "kind", "entity_type", "name", "action", "value", "note"]);
//! assert!(is_reserved("Notes") && !is_reserved("artist"));
//! ```

/// The `kind` column: entity, field, app or advanced.
pub const KIND: &str = "kind";
/// The `entity_type` column: the entity type code of an entity or field row.
pub const ENTITY_TYPE: &str = "entity_type";
/// The `name` column: a field code, an app name or an advanced rule name.
pub const NAME: &str = "name";
/// The `action` column: see, create, retire, edit or allow.
pub const ACTION: &str = "action";
/// The `note` column: the reason for a target's values.
pub const NOTE: &str = "note";
/// The long layout's `role` column: the role code of a cell.
pub const ROLE: &str = "role";
/// The long layout's `value` column: the value of a cell.
pub const VALUE: &str = "value";

/// The columns that name a target, in the order every layout writes them.
pub const KEY: [Column; 4] = [
    Column::Kind,
    Column::EntityType,
    Column::Name,
    Column::Action,
];

/// The header texts of [`KEY`].
pub const KEY_COLUMNS: [&str; 4] = [
    KEY[0].as_str(),
    KEY[1].as_str(),
    KEY[2].as_str(),
    KEY[3].as_str(),
];

/// The long layout's header: one row per cell.
pub const LONG_HEADER: [&str; 7] = around_key(&[ROLE], &[VALUE, NOTE]);

/// `before`, then [`KEY_COLUMNS`], then `after`: the header of every record
/// that names a target, so each spells the key columns the same way.
///
/// # Panics
///
/// At compile time, when `N` is not the length of the three parts together.
pub const fn around_key<const N: usize>(
    before: &[&'static str],
    after: &[&'static str],
) -> [&'static str; N] {
    assert!(before.len() + KEY_COLUMNS.len() + after.len() == N);
    let mut out = [""; N];
    let mut i = 0;
    while i < before.len() {
        out[i] = before[i];
        i += 1;
    }
    let mut j = 0;
    while j < KEY_COLUMNS.len() {
        out[i + j] = KEY_COLUMNS[j];
        j += 1;
    }
    let mut k = 0;
    while k < after.len() {
        out[i + j + k] = after[k];
        k += 1;
    }
    out
}

/// A column of either layout other than a role column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// `kind`.
    Kind,
    /// `entity_type` (also typed `entity`).
    EntityType,
    /// `name`.
    Name,
    /// `action`.
    Action,
    /// `note` (also typed `notes`, `reason` or `comment`).
    Note,
    /// `role` (long layout).
    Role,
    /// `value` (long layout).
    Value,
}

impl Column {
    /// Every column, in the order messages list them.
    pub const ALL: [Column; 7] = [
        Column::Kind,
        Column::EntityType,
        Column::Name,
        Column::Action,
        Column::Note,
        Column::Role,
        Column::Value,
    ];

    /// The canonical header text, as sgperms writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Column::Kind => KIND,
            Column::EntityType => ENTITY_TYPE,
            Column::Name => NAME,
            Column::Action => ACTION,
            Column::Note => NOTE,
            Column::Role => ROLE,
            Column::Value => VALUE,
        }
    }
}

/// Every header spelling sgperms reads, folded (see [`fold`]), and the
/// column it names.
pub const ALIASES: [(&str, Column); 11] = [
    ("kind", Column::Kind),
    ("entitytype", Column::EntityType),
    ("entity", Column::EntityType),
    ("name", Column::Name),
    ("action", Column::Action),
    ("note", Column::Note),
    ("notes", Column::Note),
    ("reason", Column::Note),
    ("comment", Column::Note),
    ("role", Column::Role),
    ("value", Column::Value),
];

/// The column a folded header text names, or `None` (a role column, or no
/// column sgperms knows).
pub fn column(folded: &str) -> Option<Column> {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == folded)
        .map(|(_, column)| *column)
}

/// Whether `code` cannot be a role code because a layout would read its
/// column as one of its own (`Note`, `entity`, `Entity Type`...).
pub fn is_reserved(code: &str) -> bool {
    column(&fold(code)).is_some()
}

/// The spellings of [`ALIASES`] that are not a column's canonical name
/// folded (`entity`, `notes`, `reason`, `comment`), for messages.
pub fn extra_aliases() -> impl Iterator<Item = &'static str> {
    ALIASES
        .iter()
        .filter(|(alias, column)| *alias != fold(column.as_str()))
        .map(|(alias, _)| *alias)
}

/// Lower case without spaces, underscores or hyphens: `Published Files`,
/// `published_files` and `PublishedFiles` all fold to `publishedfiles`.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_reads_its_own_name() {
        for column in Column::ALL {
            assert_eq!(super::column(&fold(column.as_str())), Some(column));
        }
        assert_eq!(
            extra_aliases().collect::<Vec<_>>(),
            ["entity", "notes", "reason", "comment"]
        );
    }
}
