//! A site's schema: entity types and their fields, with display names and
//! data types, as ShotGrid's `schema_entity_read()` and `schema_read()` report
//! them. Normalisation uses it to turn display names into codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One field of an entity type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSchema {
    /// The field code: `sg_status_list`.
    pub code: String,
    /// The name the web UI shows: `Status`.
    pub display_name: String,
    /// ShotGrid's data type: `status_list`, `text`, `entity`...
    pub data_type: String,
}

/// One entity type and its fields, sorted by field code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitySchema {
    /// The entity type code: `HumanUser`, `CustomEntity01`.
    pub code: String,
    /// The name the web UI shows: `Person`.
    pub display_name: String,
    /// The fields, sorted by code.
    pub fields: Vec<FieldSchema>,
}

/// A field as shotgun_api3's `schema_read()` describes it: the display name
/// (`["name"]["value"]`) and data type (`["data_type"]["value"]`) where given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShotgunField {
    /// The field code (the key of `schema_read()[entity]`).
    pub code: String,
    /// The display name, when given.
    pub name: Option<String>,
    /// The data type, when given.
    pub data_type: Option<String>,
}

/// Entity types sorted by code, so that equal sites give equal schemas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    entities: Vec<EntitySchema>,
}

impl Schema {
    /// Builds a schema, sorting entity types and fields by code.
    pub fn new(mut entities: Vec<EntitySchema>) -> Schema {
        entities.sort_by(|a, b| a.code.cmp(&b.code));
        for entity in &mut entities {
            entity.fields.sort_by(|a, b| a.code.cmp(&b.code));
        }
        Schema { entities }
    }

    /// Builds a schema from what shotgun_api3 returns: `fields`, the entity
    /// types of `schema_read()` with their fields, and `names`, the entity
    /// types of `schema_entity_read()` with their display names. Every entity
    /// type either names is in the schema; a missing display name is the
    /// code, a missing data type empty.
    pub fn from_shotgun(
        fields: Vec<(String, Vec<ShotgunField>)>,
        names: Vec<(String, Option<String>)>,
    ) -> Schema {
        let mut entities: BTreeMap<String, (Option<String>, Vec<FieldSchema>)> = BTreeMap::new();
        for (code, entity_fields) in fields {
            let fields = entity_fields
                .into_iter()
                .map(|f| FieldSchema {
                    display_name: f.name.unwrap_or_else(|| f.code.clone()),
                    data_type: f.data_type.unwrap_or_default(),
                    code: f.code,
                })
                .collect();
            entities.entry(code).or_default().1 = fields;
        }
        for (code, name) in names {
            entities.entry(code).or_default().0 = name;
        }
        Schema::new(
            entities
                .into_iter()
                .map(|(code, (name, fields))| EntitySchema {
                    display_name: name.unwrap_or_else(|| code.clone()),
                    code,
                    fields,
                })
                .collect(),
        )
    }

    /// Entity types, sorted by code.
    pub fn entities(&self) -> &[EntitySchema] {
        &self.entities
    }

    /// The entity type with this exact code.
    pub fn entity(&self, code: &str) -> Option<&EntitySchema> {
        self.entities
            .binary_search_by(|e| e.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.entities[i])
    }

    /// The schema as JSON (stable: sorted, pretty-printed).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a schema is plain data")
    }

    /// Reads a schema written by [`Schema::to_json`].
    pub fn from_json(text: &str) -> Result<Schema, serde_json::Error> {
        serde_json::from_str::<Schema>(text).map(|s| Schema::new(s.entities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_json_round_trip() {
        let schema = Schema::new(vec![
            EntitySchema {
                code: "Shot".into(),
                display_name: "Shot".into(),
                fields: vec![
                    FieldSchema {
                        code: "sg_status_list".into(),
                        display_name: "Status".into(),
                        data_type: "status_list".into(),
                    },
                    FieldSchema {
                        code: "code".into(),
                        display_name: "Shot Code".into(),
                        data_type: "text".into(),
                    },
                ],
            },
            EntitySchema {
                code: "Asset".into(),
                display_name: "Asset".into(),
                fields: vec![],
            },
        ]);
        assert_eq!(schema.entities()[0].code, "Asset");
        assert_eq!(schema.entity("Shot").unwrap().fields[0].code, "code");
        assert!(schema.entity("Task").is_none());
        assert_eq!(Schema::from_json(&schema.to_json()).unwrap(), schema);
        assert!(Schema::from_json("{").is_err());
    }

    #[test]
    fn from_shotgun_takes_every_entity_either_call_names() {
        let code = ShotgunField {
            code: "code".into(),
            ..Default::default()
        };
        let status = ShotgunField {
            code: "sg_status_list".into(),
            name: Some("Status".into()),
            data_type: Some("status_list".into()),
        };
        let schema = Schema::from_shotgun(
            vec![("Shot".into(), vec![status, code])],
            vec![
                ("Asset".into(), Some("Asset".into())),
                ("Shot".into(), None),
            ],
        );
        assert_eq!(schema.entities().len(), 2);
        assert!(schema.entity("Asset").unwrap().fields.is_empty());
        let shot = schema.entity("Shot").unwrap();
        assert_eq!(shot.display_name, "Shot");
        assert_eq!(
            shot.fields[0],
            FieldSchema {
                code: "code".into(),
                display_name: "code".into(),
                data_type: String::new(),
            }
        );
        assert_eq!(shot.fields[1].display_name, "Status");
    }
}
