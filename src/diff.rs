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

use crate::model::{ModelError, Table, Target, Value};
use crate::safe;
use crate::vocab;

/// The fields of a change record (and of the CSV).
pub const RECORD_FIELDS: [&str; 9] =
    vocab::around_key(&["change", vocab::ROLE], &["before", "after", vocab::NOTE]);

/// One cell that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellChange {
    /// The role code.
    pub role: String,
    /// The target.
    pub target: Target,
    /// The old side's value.
    pub before: Value,
    /// The new side's value.
    pub after: Value,
    /// The target's note on the new side.
    pub note: String,
}

/// A target whose note differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteChange {
    /// The target.
    pub target: Target,
    /// The old side's note.
    pub before: String,
    /// The new side's note.
    pub after: String,
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
}

/// Everything that differs from `old` to `new`. Roles are matched by code,
/// targets by key; in canonical target order, roles in the new table's order.
pub fn diff(old: &Table, new: &Table) -> Changes {
    let old_roles: Vec<&str> = old.roles().collect();
    let new_roles: Vec<&str> = new.roles().collect();
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
        targets_removed: old
            .targets_sorted()
            .into_iter()
            .filter(|t| new.target_index(t).is_none())
            .cloned()
            .collect(),
        ..Changes::default()
    };
    let old_columns: Vec<Option<usize>> = new_roles.iter().map(|r| old.role_index(r)).collect();
    for row in new.sorted_rows() {
        let target = new.target(row);
        let old_row = old.target_index(target);
        if old_row.is_none() {
            changes.targets_added.push(target.clone());
        }
        let old_note = old_row.map_or("", |r| old.note(r));
        if old_note != new.note(row) {
            changes.notes.push(NoteChange {
                target: target.clone(),
                before: old_note.to_string(),
                after: new.note(row).to_string(),
            });
        }
        for (role, code) in new_roles.iter().enumerate() {
            let old_cell = match (old_row, old_columns[role]) {
                (Some(r), Some(c)) => Some((r, c)),
                _ => None,
            };
            // Compare texts first: building values for 2M equal cells would allocate.
            let before_text = old_cell.map_or("", |(r, c)| old.cell_text(r, c));
            if before_text != new.cell_text(row, role) {
                changes.cells.push(CellChange {
                    role: code.to_string(),
                    target: target.clone(),
                    before: old_cell.map_or(Value::Unknown, |(r, c)| old.value(r, c)),
                    after: new.value(row, role),
                    note: new.note(row).to_string(),
                });
            }
        }
    }
    changes
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
            table.effective(table.target(row), role)
        } else {
            table.value(row, role)
        }
    };
    let cells = table
        .sorted_rows()
        .into_iter()
        .filter_map(|row| {
            let (before, after) = (value(row, ia), value(row, ib));
            (before != after).then(|| CellChange {
                role: b.to_string(),
                target: table.target(row).clone(),
                before,
                after,
                note: table.note(row).to_string(),
            })
        })
        .collect();
    Ok(Changes {
        old_label: a.to_string(),
        new_label: b.to_string(),
        roles_after: table.roles().map(str::to_string).collect(),
        cells,
        ..Changes::default()
    })
}

/// Drift: cells where a probed table disagrees with a recorded one, on
/// effective values compared by permission order (two conditions agree
/// whatever their words). Only cells both sides know; "recorded before, site after".
pub fn drift(recorded: &Table, probed: &Table) -> Changes {
    use crate::tiers::rank;
    let mut cells = Vec::new();
    for row in probed.sorted_rows() {
        let target = probed.target(row);
        for (role, code) in probed.roles().enumerate() {
            let (Some(column), after) = (recorded.role_index(code), probed.value(row, role)) else {
                continue;
            };
            let before = recorded.effective(target, column);
            if let (Some(a), Some(b)) = (rank(&before), rank(&after)) {
                if a != b {
                    cells.push(CellChange {
                        role: code.to_string(),
                        target: target.clone(),
                        before,
                        after,
                        note: String::new(),
                    });
                }
            }
        }
    }
    cells.sort_by(|a, b| a.target.cmp(&b.target));
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
                .map_or(Value::Unknown, |r| table.get(&change.target, r));
            if found != change.before {
                return Err(ModelError::Stale {
                    role: change.role.clone(),
                    target: change.target.to_string(),
                    expected: change.before.to_text(),
                    found: found.to_text(),
                });
            }
        }
        let removed: BTreeSet<&Target> = self.targets_removed.iter().collect();
        let mut out = table.reshaped(&self.roles_after, |t| !removed.contains(t))?;
        for change in &self.cells {
            let row = out.insert_target(change.target.clone());
            let role = out.require_role(&change.role)?;
            out.set(row, role, &change.after)?;
        }
        for target in &self.targets_added {
            out.insert_target(target.clone());
        }
        for note in &self.notes {
            let row = out.insert_target(note.target.clone());
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

    /// One line: what changed, in numbers.
    pub fn summary(&self) -> String {
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
                c.before.to_text(),
                c.after.to_text(),
                &c.note,
            ));
        }
        for n in &self.notes {
            out.push(record(
                "note",
                "",
                Some(&n.target),
                n.before.clone(),
                n.after.clone(),
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
                "before": c.before.to_text(), "after": c.after.to_text(), "note": c.note,
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
                shown_value(&c.before),
                shown_value(&c.after)
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "  note {}: {:?} -> {:?}", n.target, n.before, n.after);
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

    proptest! {
        #[test]
        fn diff_properties(a in small_table(), b in small_table()) {
            prop_assert!(diff(&a, &a).is_empty());
            let d = diff(&a, &b);
            prop_assert_eq!(write(&d.apply(&a).unwrap(), Layout::Wide), write(&b, Layout::Wide));
            prop_assert_eq!(d.apply(&a).unwrap(), b.clone());
            let back = diff(&b, &a);
            let mut swapped: Vec<(String, String, Value, Value)> =
                d.cells.iter().map(|c| (c.role.clone(), c.target.to_string(), c.after.clone(), c.before.clone())).collect();
            let mut reverse: Vec<(String, String, Value, Value)> =
                back.cells.iter().map(|c| (c.role.clone(), c.target.to_string(), c.before.clone(), c.after.clone())).collect();
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
