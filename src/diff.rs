//! Differences between permission tables: two snapshots, two sites, or two
//! roles of one table; applying them; rendering them for a pull request, a
//! spreadsheet, a program or a person at ShotGrid's Permissions page.
//!
//! ```
//! use sgperms::csvio::{read, ReadOptions};
//! use sgperms::diff::diff;
//!
//! let old = read(b"kind,entity_type,name,action,artist\nentity,Version,,retire,yes\n", &ReadOptions::default()).unwrap().0;
//! let new = read(b"kind,entity_type,name,action,artist\nentity,Version,,retire,no\n", &ReadOptions::default()).unwrap().0;
//! let changes = diff(&old, &new);
//! assert_eq!(changes.summary(), "1 cell changed (artist); no targets or roles added or removed");
//! assert_eq!(changes.apply(&old).unwrap(), new);
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::json;

use crate::intern::Name;
use crate::model::{empty_name, Cell, ModelError, Table, Target, Value, NO_RANK};
use crate::safe;
use crate::vocab;

/// The fields of a change record (and of the CSV).
pub const RECORD_FIELDS: [&str; 9] =
    vocab::around_key(&["change", vocab::ROLE], &["before", "after", vocab::NOTE]);

/// One cell that differs. Every part is an interned handle or a code, so a
/// change is `Copy` and building a million of them allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellChange {
    /// The role code.
    pub role: Name,
    /// The target.
    pub target: Target,
    /// The old side's value.
    pub before: Cell,
    /// The new side's value.
    pub after: Cell,
    /// The target's note on the new side.
    pub note: Name,
}

/// A target whose note differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteChange {
    /// The target.
    pub target: Target,
    /// The old side's note.
    pub before: Name,
    /// The new side's note.
    pub after: Name,
}

/// Everything that differs between an old and a new table (or, for a role
/// comparison, between role `old_label` and role `new_label`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// The old side's label: `old`, or a role code.
    pub old_label: String,
    /// The new side's label: `new`, or a role code.
    pub new_label: String,
    /// Role codes only the new side has.
    pub roles_added: Vec<String>,
    /// Role codes only the old side has.
    pub roles_removed: Vec<String>,
    /// The new side's roles in order, so that applying gives its column order.
    pub roles_after: Vec<String>,
    /// Targets only the new side has.
    pub targets_added: Vec<Target>,
    /// Targets only the old side has.
    pub targets_removed: Vec<Target>,
    /// Cells whose value differs.
    pub cells: Vec<CellChange>,
    /// Targets whose note differs.
    pub notes: Vec<NoteChange>,
    /// Whether these are two roles of one table compared
    /// ([`compare_roles`]): nothing changed, they differ.
    pub roles_compared: bool,
}

/// Everything that differs from `old` to `new`. Roles are matched by code,
/// targets by key; in canonical target order, roles in the new table's order.
///
/// Cells are compared by code, without building their texts: only the cells
/// that differ become [`Value`]s. When both tables hold the same targets in
/// the same row order (consecutive snapshots of one site nearly always do),
/// rows are matched by position instead of by key.
pub fn diff(old: &Table, new: &Table) -> Changes {
    let old_roles: Vec<&str> = old.roles().collect();
    let new_roles: Vec<&str> = new.roles().collect();
    let positional = same_targets(old, new);
    let mut changes = Changes {
        old_label: "old".into(),
        new_label: "new".into(),
        roles_added: new_roles
            .iter()
            .filter(|r| old.role_index(r).is_none())
            .map(|r| r.to_string())
            .collect(),
        roles_removed: old_roles
            .iter()
            .filter(|r| new.role_index(r).is_none())
            .map(|r| r.to_string())
            .collect(),
        roles_after: new_roles.iter().map(|r| r.to_string()).collect(),
        targets_removed: if positional {
            Vec::new()
        } else {
            removed_targets(old, new)
        },
        ..Changes::default()
    };
    let cells = CellMatch::new(old, new);
    let old_row = |row: usize| {
        if positional {
            Some(row)
        } else {
            old.target_index(new.target(row))
        }
    };
    // One pass in storage order, where the cells lie one after another,
    // finds every difference; only the rows that have one are then put in
    // canonical order, their changes moved as blocks.
    let role_names: Vec<Name> = new_roles.iter().map(|r| Name::from(r)).collect();
    let mut found: Vec<CellChange> = Vec::new();
    // (row, its changes in `found`), in storage order.
    let mut spans: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for row in 0..new.len() {
        let from = old_row(row);
        let start = found.len();
        cells.push_changes(from, row, &role_names, &mut found);
        let note_differs = from.map_or(empty_name(), |r| old.note_name(r)) != new.note_name(row);
        if from.is_none() || note_differs || found.len() > start {
            spans.push((row, start..found.len()));
        }
    }
    let mut rows: Vec<usize> = spans.iter().map(|(row, _)| *row).collect();
    new.sort_rows(&mut rows);
    let mut span_of = vec![0u32; new.len()];
    for (span, (row, _)) in spans.iter().enumerate() {
        span_of[*row] = span as u32;
    }
    changes.cells.reserve_exact(found.len());
    for row in rows {
        let span = span_of[row] as usize;
        let target = *new.target(row);
        let from = old_row(row);
        if from.is_none() {
            changes.targets_added.push(target);
        }
        let (old_note, note) = (
            from.map_or(empty_name(), |r| old.note_name(r)),
            new.note_name(row),
        );
        if old_note != note {
            changes.notes.push(NoteChange {
                target,
                before: old_note,
                after: note,
            });
        }
        changes
            .cells
            .extend_from_slice(&found[spans[span].1.clone()]);
    }
    changes
}

/// Whether two tables hold the same targets in the same row order, so that
/// rows can be matched by position. Compares the targets' parts, building
/// no text.
fn same_targets(old: &Table, new: &Table) -> bool {
    old.len() == new.len() && (0..new.len()).all(|row| old.target(row) == new.target(row))
}

/// The targets only `old` has, in canonical order.
fn removed_targets(old: &Table, new: &Table) -> Vec<Target> {
    let mut removed: Vec<&Target> = (0..old.len())
        .map(|row| old.target(row))
        .filter(|t| new.target_index(t).is_none())
        .collect();
    removed.sort_unstable();
    removed.into_iter().cloned().collect()
}

/// How the new table's cells compare to the old table's, by code: codes are
/// process-wide ([`crate::intern`]), so equal codes are equal values. A cell
/// of a role or target `old` lacks counts as unknown (empty).
struct CellMatch<'a> {
    old: &'a Table,
    new: &'a Table,
    /// For each new role, the old table's column for it.
    columns: Vec<Option<usize>>,
    /// Whether rows compare as whole code slices: the same roles in the
    /// same order.
    same_columns: bool,
}

impl<'a> CellMatch<'a> {
    fn new(old: &'a Table, new: &'a Table) -> CellMatch<'a> {
        let columns: Vec<Option<usize>> = new.roles().map(|r| old.role_index(r)).collect();
        let same_columns = old.role_count() == new.role_count()
            && columns.iter().enumerate().all(|(i, c)| *c == Some(i));
        CellMatch {
            old,
            new,
            columns,
            same_columns,
        }
    }

    /// Appends the cells of new row `row` that differ from old row
    /// `old_row` (from unknown, when the old table lacks the target).
    fn push_changes(
        &self,
        old_row: Option<usize>,
        row: usize,
        roles: &[Name],
        out: &mut Vec<CellChange>,
    ) {
        let new_codes = self.new.row_codes(row);
        let old_codes = old_row.map(|r| self.old.row_codes(r));
        if self.same_columns && old_codes == Some(new_codes) {
            return;
        }
        let (target, note) = (*self.new.target(row), self.new.note_name(row));
        for (role, &name) in roles.iter().enumerate() {
            let before = match (old_row, self.columns[role]) {
                (Some(r), Some(c)) => self.old.cell(r, c),
                _ => Cell::UNKNOWN,
            };
            let after = self.new.cell(row, role);
            if before != after {
                out.push(CellChange {
                    role: name,
                    target,
                    before,
                    after,
                    note,
                });
            }
        }
    }
}

/// Where role `b` differs from role `a` in one table (on effective values
/// when `effective`): each change reads "a has before, b has after".
pub fn compare_roles(
    table: &Table,
    a: &str,
    b: &str,
    effective: bool,
) -> Result<Changes, ModelError> {
    let (ia, ib) = (table.require_role(a)?, table.require_role(b)?);
    let value = |row: usize, role: usize| {
        if effective {
            table.effective_cell(table.target(row), role)
        } else {
            table.cell(row, role)
        }
    };
    let role = Name::from(b);
    let cells = table
        .sorted_rows()
        .into_iter()
        .filter_map(|row| {
            let (before, after) = (value(row, ia), value(row, ib));
            (before != after).then(|| CellChange {
                role,
                target: *table.target(row),
                before,
                after,
                note: table.note_name(row),
            })
        })
        .collect();
    Ok(Changes {
        old_label: a.to_string(),
        new_label: b.to_string(),
        roles_after: table.roles().map(str::to_string).collect(),
        cells,
        roles_compared: true,
        ..Changes::default()
    })
}

/// Drift: cells where a probed table disagrees with a recorded one, on
/// effective values compared by permission order (two conditions agree
/// whatever their words). Only cells both sides know; "recorded before, site after".
pub fn drift(recorded: &Table, probed: &Table) -> Changes {
    let mut cells = Vec::new();
    for row in probed.sorted_rows() {
        let target = probed.target(row);
        for (role, code) in probed.roles().enumerate() {
            let (Some(column), after) = (recorded.role_index(code), probed.cell(row, role)) else {
                continue;
            };
            let before = recorded.effective_cell(target, column);
            let (a, b) = (before.rank(), after.rank());
            if a != NO_RANK && b != NO_RANK && a != b {
                cells.push(CellChange {
                    role: Name::from(code),
                    target: *target,
                    before,
                    after,
                    note: empty_name(),
                });
            }
        }
    }
    cells.sort_by_key(|a| a.target);
    Changes {
        old_label: "recorded".into(),
        new_label: "site".into(),
        roles_after: recorded.roles().map(str::to_string).collect(),
        cells,
        ..Changes::default()
    }
}

impl Changes {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of differences: cells, notes, targets and roles.
    pub fn len(&self) -> usize {
        self.cells.len()
            + self.notes.len()
            + self.targets_added.len()
            + self.targets_removed.len()
            + self.roles_added.len()
            + self.roles_removed.len()
    }

    /// `table` with the changes made: roles and targets added and removed,
    /// cells and notes set. Refused, changing nothing, when a changed cell of
    /// `table` no longer holds the value the changes start from.
    pub fn apply(&self, table: &Table) -> Result<Table, ModelError> {
        for change in &self.cells {
            let found = table
                .role_index(&change.role)
                .map_or(Cell::UNKNOWN, |r| table.get_cell(&change.target, r));
            if found != change.before {
                return Err(ModelError::Stale {
                    role: change.role.to_string(),
                    target: change.target.to_string(),
                    expected: change.before.text().to_string(),
                    found: found.text().to_string(),
                });
            }
        }
        let removed: BTreeSet<&Target> = self.targets_removed.iter().collect();
        let mut out = table.reshaped(&self.roles_after, |t| !removed.contains(t))?;
        for change in &self.cells {
            let row = out.insert_target(change.target);
            let role = out.require_role(&change.role)?;
            out.put(row, role, change.after)?;
        }
        for target in &self.targets_added {
            out.insert_target(*target);
        }
        for note in &self.notes {
            let row = out.insert_target(note.target);
            out.set_note(row, &note.after);
        }
        Ok(out)
    }

    /// Roles whose cells changed, in first-change order.
    pub fn changed_roles(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = Vec::new();
        for c in &self.cells {
            if !roles.contains(&c.role.as_str()) {
                roles.push(&c.role);
            }
        }
        roles
    }

    /// One line: what changed, in numbers (for two roles compared, where
    /// and how the second differs from the first).
    pub fn summary(&self) -> String {
        if self.roles_compared {
            return self.comparison_summary();
        }
        if self.is_empty() {
            return "no changes".to_string();
        }
        let roles = self.changed_roles();
        let mut parts = vec![format!(
            "{} cell{} changed{}",
            self.cells.len(),
            plural(self.cells.len()),
            if roles.is_empty() {
                String::new()
            } else {
                format!(" ({})", roles.join(", "))
            }
        )];
        if !self.notes.is_empty() {
            parts.push(format!(
                "{} note{} changed",
                self.notes.len(),
                plural(self.notes.len())
            ));
        }
        let moved = [
            ("target", "added", self.targets_added.len()),
            ("target", "removed", self.targets_removed.len()),
        ];
        let mut any_moved = false;
        for (what, how, n) in moved {
            if n > 0 {
                any_moved = true;
                parts.push(format!("{n} {what}{} {how}", plural(n)));
            }
        }
        if !self.roles_added.is_empty() {
            any_moved = true;
            parts.push(format!("roles added: {}", self.roles_added.join(", ")));
        }
        if !self.roles_removed.is_empty() {
            any_moved = true;
            parts.push(format!("roles removed: {}", self.roles_removed.join(", ")));
        }
        if !any_moved {
            parts.push("no targets or roles added or removed".to_string());
        }
        parts.join("; ")
    }

    /// The summary of two roles compared: `artist differs from lead in 3
    /// cells (each: lead's value -> artist's)`, or that they agree.
    fn comparison_summary(&self) -> String {
        let (a, b) = (&self.old_label, &self.new_label);
        match self.cells.len() {
            0 => format!("{b} allows what {a} allows: no cell differs"),
            n => format!(
                "{b} differs from {a} in {n} cell{} (each: {a}'s value -> {b}'s)",
                plural(n)
            ),
        }
    }

    /// Every difference as a record with the [`RECORD_FIELDS`]: roles,
    /// targets, cells, then notes.
    pub fn records(&self) -> Vec<[String; 9]> {
        let target_fields = |t: &Target| t.key().map(str::to_string);
        let record = |change: &str,
                      role: &str,
                      t: Option<&Target>,
                      before: String,
                      after: String,
                      note: &str| {
            let [k, e, n, a] = t.map_or_else(Default::default, target_fields);
            [
                change.to_string(),
                role.to_string(),
                k,
                e,
                n,
                a,
                before,
                after,
                note.to_string(),
            ]
        };
        let mut out = Vec::with_capacity(self.len());
        for role in &self.roles_added {
            out.push(record(
                "role_added",
                role,
                None,
                String::new(),
                String::new(),
                "",
            ));
        }
        for role in &self.roles_removed {
            out.push(record(
                "role_removed",
                role,
                None,
                String::new(),
                String::new(),
                "",
            ));
        }
        for t in &self.targets_added {
            out.push(record(
                "target_added",
                "",
                Some(t),
                String::new(),
                String::new(),
                "",
            ));
        }
        for t in &self.targets_removed {
            out.push(record(
                "target_removed",
                "",
                Some(t),
                String::new(),
                String::new(),
                "",
            ));
        }
        for c in &self.cells {
            out.push(record(
                "cell",
                &c.role,
                Some(&c.target),
                c.before.text().to_string(),
                c.after.text().to_string(),
                &c.note,
            ));
        }
        for n in &self.notes {
            out.push(record(
                "note",
                "",
                Some(&n.target),
                n.before.to_string(),
                n.after.to_string(),
                &n.after,
            ));
        }
        out
    }

    /// Every difference as a CSV row with the [`RECORD_FIELDS`], for a
    /// spreadsheet: cells that would run as formulas are neutralised
    /// ([`crate::safe::spreadsheet_csv`]); sgperms never reads this back.
    pub fn to_csv(&self) -> String {
        let header = RECORD_FIELDS.map(str::to_string);
        safe::spreadsheet_csv(std::iter::once(header).chain(self.records()))
    }

    /// The changes as JSON (an object with the same parts as the struct).
    /// Controls, bidirectional overrides and invisible characters in the
    /// data are `\u` escapes ([`crate::safe::json_controls`]): the same data,
    /// safe to print.
    pub fn to_json(&self) -> String {
        let target = |t: &Target| {
            vocab::KEY_COLUMNS
                .iter()
                .zip(t.key())
                .map(|(column, text)| (column.to_string(), json!(text)))
                .collect::<serde_json::Map<_, _>>()
        };
        let value = json!({
            "old": self.old_label,
            "new": self.new_label,
            "summary": self.summary(),
            "roles_added": self.roles_added,
            "roles_removed": self.roles_removed,
            "targets_added": self.targets_added.iter().map(target).collect::<Vec<_>>(),
            "targets_removed": self.targets_removed.iter().map(target).collect::<Vec<_>>(),
            "cells": self.cells.iter().map(|c| json!({
                "role": c.role, "target": target(&c.target),
                "before": c.before.text(), "after": c.after.text(), "note": c.note,
            })).collect::<Vec<_>>(),
            "notes": self.notes.iter().map(|n| json!({
                "target": target(&n.target), "before": n.before, "after": n.after,
            })).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        safe::json_controls(&text).into_owned()
    }

    /// Plain text: the summary, then one line per difference.
    pub fn to_text(&self) -> String {
        let mut out = self.summary();
        out.push('\n');
        for role in &self.roles_added {
            let _ = writeln!(out, "+ role {role}");
        }
        for role in &self.roles_removed {
            let _ = writeln!(out, "- role {role}");
        }
        for t in &self.targets_added {
            let _ = writeln!(out, "+ {t}");
        }
        for t in &self.targets_removed {
            let _ = writeln!(out, "- {t}");
        }
        for c in &self.cells {
            let _ = writeln!(
                out,
                "  {} {}: {} -> {}",
                c.role,
                c.target,
                c.before.shown(),
                c.after.shown()
            );
        }
        for n in &self.notes {
            // Quoted as Rust strings, so an empty note shows as "" (Ustr's own Debug is `u!(..)`).
            let _ = writeln!(
                out,
                "  note {}: {:?} -> {:?}",
                n.target,
                n.before.as_str(),
                n.after.as_str()
            );
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A value as people read it in a diff: unknown is spelled out.
pub fn shown_value(value: &Value) -> String {
    match value {
        Value::Unknown => "unknown".to_string(),
        other => other.to_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvio::{read, write, Layout, ReadOptions};
    use crate::model::{Action, Kind};
    use proptest::prelude::*;

    fn table(text: &str) -> Table {
        read(text.as_bytes(), &ReadOptions::default()).unwrap().0
    }

    #[test]
    fn a_comparison_of_two_roles_says_how_they_differ_not_what_changed() {
        let t = table("kind,entity_type,name,action,lead,artist\nentity,Version,,retire,no,yes\nentity,Shot,,see,yes,yes\n");
        let c = compare_roles(&t, "lead", "artist", false).unwrap();
        assert_eq!(
            c.summary(),
            "artist differs from lead in 1 cell (each: lead's value -> artist's)"
        );
        assert!(c
            .to_text()
            .ends_with("\n  artist entity:Version::retire: no -> yes\n"));
        let same = compare_roles(&t, "artist", "artist", false).unwrap();
        assert_eq!(
            same.summary(),
            "artist allows what artist allows: no cell differs"
        );
    }

    #[test]
    fn diff_names_every_kind_of_change() {
        let old = table("kind,entity_type,name,action,artist,lead,note\nentity,Version,,retire,yes,no,\nentity,Shot,,see,yes,yes,\n");
        let new = table("kind,entity_type,name,action,artist,vendor,note\nentity,Version,,retire,no,no,lost versions\nentity,Asset,,see,yes,,\n");
        let d = diff(&old, &new);
        assert_eq!(d.roles_added, ["vendor"]);
        assert_eq!(d.roles_removed, ["lead"]);
        assert_eq!(d.targets_added[0].to_string(), "entity:Asset::see");
        assert_eq!(d.targets_removed[0].to_string(), "entity:Shot::see");
        let cells: Vec<String> = d
            .cells
            .iter()
            .map(|c| format!("{} {} {}>{}", c.role, c.target, c.before, c.after))
            .collect();
        assert_eq!(
            cells,
            [
                "artist entity:Asset::see >yes",
                "artist entity:Version::retire yes>no",
                "vendor entity:Version::retire >no"
            ]
        );
        assert_eq!(d.cells[1].note, "lost versions");
        assert_eq!(d.notes.len(), 1);
        assert!(d
            .to_text()
            .ends_with("\n  note entity:Version::retire: \"\" -> \"lost versions\"\n"));
        assert_eq!(
            d.summary(),
            "3 cells changed (artist, vendor); 1 note changed; 1 target added; 1 target removed; roles added: vendor; roles removed: lead"
        );
        assert_eq!(d.apply(&old).unwrap(), new);
        assert!(d
            .to_csv()
            .contains("cell,artist,entity,Version,,retire,yes,no,lost versions\n"));
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(json["cells"][1]["before"], "yes");
    }

    #[test]
    fn csv_neutralises_formulas_and_json_keeps_data() {
        let old = table("kind,entity_type,name,action,artist,note\napp,,Screening Room,see,no,\n");
        let mut new = old.clone();
        let hostile = [
            "=HYPERLINK(\"http://evil\",\"click\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1)",
            "\t=1",
            "-2+3",
        ];
        for name in hostile {
            let row = new.insert_target(Target::new(Kind::App, "", name, Action::See).unwrap());
            new.set(row, 0, &Value::If(name.into())).unwrap();
            new.set_note(row, name);
        }
        let row = new.insert_target(Target::new(Kind::App, "", "-1", Action::See).unwrap());
        new.set_note(row, "\x1b[31m\u{202e}-");
        let d = diff(&old, &new);
        let csv = d.to_csv();
        let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let mut neutralised = 0;
        for row in &rows {
            for cell in row.iter() {
                assert!(!crate::safe::is_formula(cell), "{cell:?} in {csv}");
                neutralised += usize::from(cell.starts_with('\''));
            }
        }
        // Each hostile name: the name of its target_added record, the name
        // and note of its cell record, the name, after and note of its note
        // record ("if ..." values are safe; "-1" is a number).
        assert_eq!(neutralised, 5 * (1 + 2 + 3));
        assert!(
            csv.contains(",'@SUM(1),see,,if @SUM(1),'@SUM(1)\n"),
            "{csv}"
        );
        assert!(csv.contains("target_added,,app,,-1,see,,,\n"), "{csv}");
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
        let notes: Vec<&str> = json["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["after"].as_str().unwrap())
            .collect();
        assert!(notes.contains(&"=HYPERLINK(\"http://evil\",\"click\")"));
        assert!(notes.contains(&"\x1b[31m\u{202e}-"));
        assert!(!d.to_json().contains('\u{202e}') && d.to_json().contains("\\u202e"));
    }

    #[test]
    fn compare_roles_on_effective_values() {
        let t = table(
            "kind,entity_type,name,action,lead,artist\nentity,Task,,edit,yes,if assigned\nfield,Task,content,edit,inherit,no\nfield,Task,sg_status_list,edit,inherit,inherit\n",
        );
        let c = compare_roles(&t, "lead", "artist", true).unwrap();
        let lines: Vec<String> = c
            .cells
            .iter()
            .map(|c| format!("{} {}>{}", c.target, c.before, c.after))
            .collect();
        assert_eq!(
            lines,
            [
                "entity:Task::edit yes>if assigned",
                "field:Task:content:edit yes>no",
                "field:Task:sg_status_list:edit yes>if assigned"
            ]
        );
        let raw = compare_roles(&t, "lead", "artist", false).unwrap();
        assert_eq!(raw.cells.len(), 2);
        assert!(compare_roles(&t, "lead", "nobody", true).is_err());
        let target = Target::new(Kind::Entity, "Task", "", Action::Edit).unwrap();
        assert_eq!(c.cells[0].target, target);
    }

    #[test]
    fn drift_compares_effective_values_by_order() {
        let recorded = table("kind,entity_type,name,action,a,b\nentity,Task,,edit,no,if own\nfield,Task,content,edit,inherit,inherit\nentity,Shot,,see,,yes\n");
        let probed = table("kind,entity_type,name,action,a,b,c\nentity,Task,,edit,yes,if restricted,yes\nfield,Task,content,edit,no,if x,no\nentity,Shot,,see,yes,yes,no\n");
        let d = drift(&recorded, &probed);
        let cells: Vec<String> = d
            .cells
            .iter()
            .map(|c| format!("{} {} {}>{}", c.role, c.target, c.before, c.after))
            .collect();
        assert_eq!(cells, ["a entity:Task::edit no>yes"]);
    }

    prop_compose! {
        fn small_table()(
            roles in prop::collection::btree_set("[a-d]", 0..4),
            rows in prop::collection::vec((0usize..3, "[A-C]", 0usize..3, "[a-c ,]{0,3}"), 0..8),
        ) -> Table {
            let mut t = Table::with_roles(roles.into_iter().map(|r| format!("r{r}"))).unwrap();
            for (action, entity, value, note) in rows {
                let action = [Action::See, Action::Create, Action::Edit][action];
                let row = t.insert_target(Target::new(Kind::Entity, format!("E{entity}"), "", action).unwrap());
                t.set_note(row, &note);
                for role in 0..t.role_count() {
                    let v = [Value::Yes, Value::No, Value::If(format!("c{value}"))][(value + role) % 3].clone();
                    t.set(row, role, &v).unwrap();
                }
            }
            t
        }
    }

    /// The straightforward diff the fast one must equal: every row of `new`
    /// in canonical order, matched by key, cells compared as text.
    fn reference_diff(old: &Table, new: &Table) -> Changes {
        let new_roles: Vec<&str> = new.roles().collect();
        let mut changes = Changes {
            old_label: "old".into(),
            new_label: "new".into(),
            roles_added: new_roles
                .iter()
                .filter(|r| old.role_index(r).is_none())
                .map(|r| r.to_string())
                .collect(),
            roles_removed: old
                .roles()
                .filter(|r| new.role_index(r).is_none())
                .map(str::to_string)
                .collect(),
            roles_after: new_roles.iter().map(|r| r.to_string()).collect(),
            targets_removed: old
                .targets_sorted()
                .into_iter()
                .filter(|t| new.target_index(t).is_none())
                .cloned()
                .collect(),
            ..Changes::default()
        };
        for row in new.sorted_rows() {
            let target = new.target(row);
            let old_row = old.target_index(target);
            if old_row.is_none() {
                changes.targets_added.push(*target);
            }
            let old_note = old_row.map_or("", |r| old.note(r));
            if old_note != new.note(row) {
                changes.notes.push(NoteChange {
                    target: *target,
                    before: Name::from(old_note),
                    after: Name::from(new.note(row)),
                });
            }
            for (role, code) in new_roles.iter().enumerate() {
                let old_cell = old_row.zip(old.role_index(code));
                let before =
                    old_cell.map_or(String::new(), |(r, c)| old.cell_text(r, c).to_string());
                if before != new.cell_text(row, role) {
                    changes.cells.push(CellChange {
                        role: Name::from(code),
                        target: *target,
                        before: Cell::of(
                            &old_cell.map_or(Value::Unknown, |(r, c)| old.value(r, c)),
                        ),
                        after: Cell::of(&new.value(row, role)),
                        note: Name::from(new.note(row)),
                    });
                }
            }
        }
        changes
    }

    /// One row of a table to build: target, note, a value per role.
    type Spec = (Target, String, Vec<Value>);

    /// A table with these roles and rows, inserted in this order; cells are
    /// filled row by row, or from the last cell back when `backwards`, so
    /// that conditions are interned in another order.
    fn build(roles: &[&str], rows: &[Spec], backwards: bool) -> Table {
        let mut t = Table::with_roles(roles.iter().copied()).unwrap();
        for (target, note, _) in rows {
            let row = t.insert_target(*target);
            t.set_note(row, note);
        }
        let mut cells: Vec<(usize, usize)> = (0..rows.len())
            .flat_map(|row| (0..roles.len()).map(move |role| (row, role)))
            .collect();
        if backwards {
            cells.reverse();
        }
        for (row, role) in cells {
            let target = &rows[row].0;
            let value = &rows[row].2[role];
            let value = match value {
                Value::Inherit if target.kind() != Kind::Field => Value::Yes,
                other => other.clone(),
            };
            t.set(row, role, &value).unwrap();
        }
        t
    }

    fn pool_target(i: usize) -> Target {
        let entity = ["Asset", "Shot", "Task"][i % 3];
        match i % 12 {
            0..=5 => Target::new(
                Kind::Entity,
                entity,
                "",
                [Action::See, Action::Edit][i / 3 % 2],
            ),
            6..=10 => Target::new(
                Kind::Field,
                entity,
                ["code", "sg_x"][i % 2],
                [Action::See, Action::Edit][i / 6 % 2],
            ),
            _ => Target::new(Kind::App, "", "Media Center", Action::See),
        }
        .unwrap()
    }

    fn pool_value(i: usize) -> Value {
        [
            Value::Unknown,
            Value::Yes,
            Value::No,
            Value::Inherit,
            Value::If("c0".into()),
            Value::If("c1".into()),
            Value::If("c 2".into()),
        ][i % 7]
            .clone()
    }

    prop_compose! {
        /// Two tables as consecutive snapshots might be: the same targets in
        /// the same order with some cells and notes changed (mode 0), the
        /// rows reordered (1), targets added and removed (2), or roles
        /// changed as well (3); the new table's conditions interned forwards
        /// or backwards.
        fn snapshot_pair()(
            rows in prop::collection::vec((0usize..12, prop::collection::vec(0usize..7, 4), 0usize..3), 0..10),
            edits in prop::collection::vec((0usize..10, 0usize..4, 0usize..7), 0..6),
            note_edits in prop::collection::vec((0usize..10, 0usize..3), 0..3),
            order_seed in any::<u64>(),
            added in prop::collection::vec((0usize..12, prop::collection::vec(0usize..7, 5)), 0..3),
            removed in prop::collection::vec(0usize..10, 0..3),
            new_roles in prop::collection::vec(0usize..5, 0..5),
            mode in 0usize..4,
            backwards in any::<bool>(),
            old_backwards in any::<bool>(),
        ) -> (Table, Table) {
            let notes = ["", "why", "a, b"];
            let mut old: Vec<Spec> = Vec::new();
            for (target, values, note) in rows {
                let target = pool_target(target);
                if old.iter().all(|r| r.0 != target) {
                    old.push((target, notes[note].to_string(), values.into_iter().map(pool_value).collect()));
                }
            }
            let old_roles = ["r0", "r1", "r2", "r3"];
            let mut new = old.clone();
            for (row, role, value) in edits {
                if let Some(r) = new.get_mut(row) {
                    r.2[role] = pool_value(value);
                }
            }
            for (row, note) in note_edits {
                if let Some(r) = new.get_mut(row) {
                    r.1 = notes[note].to_string();
                }
            }
            if mode >= 1 {
                let key = |i: usize| (i as u64 ^ order_seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let mut order: Vec<usize> = (0..new.len()).collect();
                order.sort_by_key(|&i| key(i));
                new = order.into_iter().map(|i| new[i].clone()).collect();
            }
            let mut roles: Vec<&str> = old_roles.to_vec();
            if mode >= 2 {
                for row in removed {
                    if row < new.len() {
                        new.remove(row);
                    }
                }
                for (target, values) in added {
                    let target = pool_target(target);
                    if new.iter().all(|r| r.0 != target) {
                        new.push((target, String::new(), values[..4].iter().copied().map(pool_value).collect()));
                    }
                }
            }
            if mode == 3 {
                let all = ["r0", "r1", "r2", "r3", "r4"];
                roles = Vec::new();
                for i in new_roles {
                    if !roles.contains(&all[i]) {
                        roles.push(all[i]);
                    }
                }
                for r in &mut new {
                    r.2 = roles.iter().map(|role| {
                        let i = all.iter().position(|a| a == role).unwrap();
                        r.2.get(i).cloned().unwrap_or(Value::Yes)
                    }).collect();
                }
            }
            (build(&old_roles, &old, old_backwards), build(&roles, &new, backwards))
        }
    }

    proptest! {
        #[test]
        fn diff_equals_the_text_reference((a, b) in snapshot_pair()) {
            prop_assert_eq!(diff(&a, &b), reference_diff(&a, &b));
            prop_assert_eq!(diff(&b, &a), reference_diff(&b, &a));
            prop_assert!(diff(&a, &a).is_empty());
            prop_assert!(diff(&b, &b.clone()).is_empty());
            prop_assert_eq!(diff(&a, &b).apply(&a).unwrap(), b);
        }

        #[test]
        fn diff_of_random_tables_equals_the_reference(a in small_table(), b in small_table()) {
            prop_assert_eq!(diff(&a, &b), reference_diff(&a, &b));
        }
    }

    #[test]
    fn same_row_order_is_matched_by_position() {
        let t = |i: usize| pool_target(i);
        let v = |i: usize| vec![pool_value(i), pool_value(i + 4), Value::No, Value::Yes];
        let rows: Vec<Spec> = (0..12).map(|i| (t(i), String::new(), v(i))).collect();
        let old = build(&["r0", "r1", "r2", "r3"], &rows, false);
        // Conditions interned backwards: the same texts under other codes
        // (row 2's new value is the one it had).
        let mut changed = rows.clone();
        changed[2].2[1] = Value::If("c 2".into());
        changed[5].2[0] = Value::If("new".into());
        changed[8].2[2] = Value::Inherit;
        changed[7].1 = "reviewed".into();
        let new = build(&["r0", "r1", "r2", "r3"], &changed, true);
        assert!(same_targets(&old, &new));
        assert!(diff(&old, &build(&["r0", "r1", "r2", "r3"], &rows, true)).is_empty());
        let d = diff(&old, &new);
        assert_eq!(d, reference_diff(&old, &new));
        let cells: Vec<String> = d
            .cells
            .iter()
            .map(|c| format!("{} {} {}>{}", c.role, c.target, c.before, c.after))
            .collect();
        assert_eq!(
            cells,
            [
                "r0 entity:Task::edit if c1>if new",
                "r2 field:Task:code:edit no>inherit"
            ]
        );
        assert_eq!(d.notes.len(), 1);
        // The same rows reordered, or one removed: matched by key.
        let mut reordered = changed.clone();
        reordered.reverse();
        let new = build(&["r0", "r1", "r2", "r3"], &reordered, false);
        assert!(!same_targets(&old, &new));
        assert_eq!(diff(&old, &new), d);
        let fewer = build(&["r0", "r1", "r2", "r3"], &changed[1..], false);
        assert!(!same_targets(&old, &fewer));
        assert_eq!(diff(&old, &fewer), reference_diff(&old, &fewer));
        assert_eq!(diff(&old, &fewer).targets_removed, [t(0)]);
    }

    proptest! {
        #[test]
        fn diff_properties(a in small_table(), b in small_table()) {
            prop_assert!(diff(&a, &a).is_empty());
            let d = diff(&a, &b);
            prop_assert_eq!(write(&d.apply(&a).unwrap(), Layout::Wide), write(&b, Layout::Wide));
            prop_assert_eq!(d.apply(&a).unwrap(), b.clone());
            let back = diff(&b, &a);
            let mut swapped: Vec<(String, String, Value, Value)> =
                d.cells.iter().map(|c| (c.role.to_string(), c.target.to_string(), c.after.value(), c.before.value())).collect();
            let mut reverse: Vec<(String, String, Value, Value)> =
                back.cells.iter().map(|c| (c.role.to_string(), c.target.to_string(), c.before.value(), c.after.value())).collect();
            // Cells of roles or targets only one side has are additions one
            // way and removals the other: compare the cells both sides have.
            let shared = |c: &(String, String, Value, Value)| {
                let both_roles = a.role_index(&c.0).is_some() && b.role_index(&c.0).is_some();
                let both_targets = a.targets_sorted().iter().any(|t| t.to_string() == c.1)
                    && b.targets_sorted().iter().any(|t| t.to_string() == c.1);
                both_roles && both_targets
            };
            swapped.retain(shared);
            reverse.retain(shared);
            swapped.sort();
            reverse.sort();
            prop_assert_eq!(swapped, reverse);
            prop_assert_eq!(&back.roles_added, &d.roles_removed);
            prop_assert_eq!(&back.targets_removed, &d.targets_added);
            prop_assert_eq!(back.apply(&b).unwrap(), a);
        }
    }
}
