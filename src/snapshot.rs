//! Snapshot tables: the template a site's schema implies, and the refresh
//! that carries what an admin already knows into a new snapshot.
//!
//! ```
//! use sgperms::model::Value;
//! use sgperms::schema::{EntitySchema, FieldSchema, Schema};
//! use sgperms::snapshot::template;
//!
//! let schema = Schema::new(vec![EntitySchema {
//!     code: "Shot".into(),
//!     display_name: "Shot".into(),
//!     fields: vec![FieldSchema { code: "code".into(), display_name: "Shot Code".into(), data_type: "text".into() }],
//! }]);
//! let t = template(&schema, &["artist".to_string()]).unwrap();
//! assert_eq!(t.len(), 4 + 2);
//! assert_eq!(t.value(4, 0), Value::Inherit); // field rows follow their entity
//! ```

use crate::model::{Kind, ModelError, Table, Target, Value};
use crate::schema::Schema;

/// Every entity type (see, create, retire, edit) and field (see, edit) of the
/// schema, for these roles: entity cells unknown, field cells `inherit`, in
/// canonical order.
pub fn template(schema: &Schema, roles: &[String]) -> Result<Table, ModelError> {
    let mut table = Table::with_roles(roles.iter().cloned())?;
    for entity in schema.entities() {
        for &action in Kind::Entity.actions() {
            table.insert_target(Target::new(Kind::Entity, &entity.code, "", action)?);
        }
    }
    for entity in schema.entities() {
        for field in &entity.fields {
            for &action in Kind::Field.actions() {
                let row = table.insert_target(Target::new(
                    Kind::Field,
                    &entity.code,
                    &field.code,
                    action,
                )?);
                for role in 0..table.role_count() {
                    table.set(row, role, &Value::Inherit)?;
                }
            }
        }
    }
    Ok(table)
}

/// What a refresh kept, added and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// The fresh table with the previous known values and notes.
    pub table: Table,
    /// Targets of the template that the previous table did not have.
    pub added: Vec<Target>,
    /// Entity and field targets whose entity type or field left the schema.
    pub dropped: Vec<Target>,
    /// Roles the previous table had and the site no longer has.
    pub dropped_roles: Vec<String>,
}

/// Carries `previous` into `fresh` (a [`template`] of the site as it is now):
/// every known value and note of a target and role both still present is
/// kept; app and advanced rows, which no schema lists, are kept whole; entity
/// and field rows the schema no longer has are dropped and reported.
pub fn refresh(previous: &Table, fresh: &Table) -> Refresh {
    let mut table = fresh.clone();
    let role_map: Vec<Option<usize>> = previous
        .roles()
        .map(|code| table.role_index(code))
        .collect();
    let dropped_roles = previous
        .roles()
        .zip(&role_map)
        .filter(|(_, to)| to.is_none())
        .map(|(code, _)| code.to_string())
        .collect();
    let mut dropped = Vec::new();
    for row in previous.sorted_rows() {
        let target = previous.target(row);
        let in_schema = matches!(target.kind(), Kind::Entity | Kind::Field);
        let to_row = match table.target_index(target) {
            Some(to_row) => to_row,
            None if in_schema => {
                dropped.push(*target);
                continue;
            }
            None => table.insert_target(*target),
        };
        table.set_note(to_row, previous.note(row));
        for (from_role, to_role) in role_map.iter().enumerate() {
            if let (Some(to_role), false) = (to_role, previous.is_unknown(row, from_role)) {
                table
                    .set(to_row, *to_role, &previous.value(row, from_role))
                    .expect("a value valid for a target stays valid for the same target");
            }
        }
    }
    let added = fresh
        .sorted_rows()
        .into_iter()
        .map(|row| fresh.target(row))
        .filter(|t| previous.target_index(t).is_none())
        .cloned()
        .collect();
    Refresh {
        table,
        added,
        dropped,
        dropped_roles,
    }
}

/// The number of cells whose value is known (not empty).
pub fn known_cells(table: &Table) -> usize {
    (0..table.len())
        .map(|row| {
            (0..table.role_count())
                .filter(|&role| !table.is_unknown(row, role))
                .count()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Action;
    use crate::schema::{EntitySchema, FieldSchema};

    fn schema(fields: &[&str]) -> Schema {
        Schema::new(vec![
            EntitySchema {
                code: "Shot".into(),
                display_name: "Shot".into(),
                fields: fields
                    .iter()
                    .map(|f| FieldSchema {
                        code: f.to_string(),
                        display_name: f.to_string(),
                        data_type: "text".into(),
                    })
                    .collect(),
            },
            EntitySchema {
                code: "Asset".into(),
                display_name: "Asset".into(),
                fields: vec![],
            },
        ])
    }

    fn roles(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn template_has_four_entity_and_two_field_rows() {
        let t = template(&schema(&["code", "sg_status_list"]), &roles(&["a", "b"])).unwrap();
        assert_eq!(t.len(), 2 * 4 + 2 * 2);
        let entity = Target::new(Kind::Entity, "Shot", "", Action::Retire).unwrap();
        let field = Target::new(Kind::Field, "Shot", "code", Action::Edit).unwrap();
        assert_eq!(t.get(&entity, 1), Value::Unknown);
        assert_eq!(t.get(&field, 1), Value::Inherit);
    }

    #[test]
    fn refresh_keeps_known_values_adds_new_rows_and_drops_gone_ones() {
        let mut old = template(
            &schema(&["code", "sg_gone"]),
            &roles(&["artist", "retired_role"]),
        )
        .unwrap();
        let see = old
            .target_index(&Target::new(Kind::Entity, "Shot", "", Action::See).unwrap())
            .unwrap();
        old.set(see, 0, &Value::If("assigned".into())).unwrap();
        old.set_note(see, "why");
        let app =
            old.insert_target(Target::new(Kind::App, "", "Screening Room", Action::See).unwrap());
        old.set(app, 0, &Value::Yes).unwrap();

        let fresh = template(&schema(&["code", "sg_new"]), &roles(&["artist", "lead"])).unwrap();
        let r = refresh(&old, &fresh);
        let see_target = Target::new(Kind::Entity, "Shot", "", Action::See).unwrap();
        assert_eq!(r.table.get(&see_target, 0), Value::If("assigned".into()));
        assert_eq!(
            r.table.note(r.table.target_index(&see_target).unwrap()),
            "why"
        );
        assert_eq!(r.table.get(&see_target, 1), Value::Unknown);
        let app_target = Target::new(Kind::App, "", "Screening Room", Action::See).unwrap();
        assert_eq!(r.table.get(&app_target, 0), Value::Yes);
        let texts = |ts: &[Target]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(
            texts(&r.added),
            ["field:Shot:sg_new:see", "field:Shot:sg_new:edit"]
        );
        assert_eq!(
            texts(&r.dropped),
            ["field:Shot:sg_gone:see", "field:Shot:sg_gone:edit"]
        );
        assert_eq!(r.dropped_roles, ["retired_role"]);
        assert_eq!(r.table.len(), fresh.len() + 1);
        assert_eq!(known_cells(&r.table), known_cells(&fresh) + 2);
        // Refreshing with itself changes nothing.
        let again = refresh(&r.table, &fresh);
        assert_eq!(again.table, r.table);
        assert!(again.added.is_empty() && again.dropped.is_empty());
    }
}
