//! EXPERIMENTAL: the payload of the web app's own Permissions page
//! (`/page/set_permissions`, a JSON list of `permission_changes`). That
//! endpoint is undocumented and sits behind a web session; everything that
//! depends on its shape lives in this module and nowhere else.
//!
//! Only rule types measured on a real site are emitted: ShotGrid's refusals
//! name `update_field` rules (`PermissionRule 306: DENY update_field FOR
//! entity_type => EventLogEntry, field_name => meta`). Every other cell is
//! listed as not mappable, never guessed.

use serde_json::{json, Value as Json};

use crate::diff::{CellChange, Changes};
use crate::model::{Action, Kind, Value};

/// A change the payload cannot carry, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// The cell change.
    pub change: CellChange,
    /// Why the payload cannot carry it.
    pub reason: String,
}

/// The `permission_changes` entries for the cells whose rule type is known,
/// and every other cell change with the reason it was left out.
pub fn permission_changes(changes: &Changes) -> (Vec<Json>, Vec<Unmapped>) {
    let mut known = Vec::new();
    let mut unmapped = Vec::new();
    for c in &changes.cells {
        let t = &c.target;
        let allow = match c.after.value() {
            Value::Yes => Some(true),
            Value::No => Some(false),
            _ => None,
        };
        let reason = if !(t.kind() == Kind::Field && t.action() == Action::Edit) {
            Some(format!(
                "the rule type for {} {} is not measured",
                t.kind(),
                t.action()
            ))
        } else if allow.is_none() {
            Some(format!(
                "\"{}\" is not a plain allow/deny: set it by hand",
                c.after.text()
            ))
        } else {
            None
        };
        match (reason, allow) {
            (None, Some(allow)) => known.push(json!({
                "permission_rule_set_code": c.role,
                "rule_type": "update_field",
                "entity_type": t.entity_type(),
                "field_name": t.name(),
                "allow": allow,
            })),
            (reason, _) => unmapped.push(Unmapped {
                change: *c,
                reason: reason.unwrap_or_default(),
            }),
        }
    }
    (known, unmapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvio::{read, ReadOptions};
    use crate::diff::diff;

    #[test]
    fn only_measured_rule_types_are_emitted() {
        let read_str = |t: &str| read(t.as_bytes(), &ReadOptions::default()).unwrap().0;
        let old = read_str("kind,entity_type,name,action,artist\nfield,Task,content,edit,yes\nfield,Task,due_date,edit,yes\nentity,Task,,create,no\n");
        let new = read_str("kind,entity_type,name,action,artist\nfield,Task,content,edit,no\nfield,Task,due_date,edit,if assigned\nentity,Task,,create,yes\n");
        let (known, unmapped) = permission_changes(&diff(&old, &new));
        assert_eq!(
            known,
            [
                json!({"permission_rule_set_code": "artist", "rule_type": "update_field", "entity_type": "Task", "field_name": "content", "allow": false})
            ]
        );
        let reasons: Vec<&str> = unmapped.iter().map(|u| u.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "the rule type for entity create is not measured",
                "\"if assigned\" is not a plain allow/deny: set it by hand"
            ]
        );
    }
}
