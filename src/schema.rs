//! A site's schema: entity types and their fields, with display names and
//! data types, as ShotGrid's `schema_entity_read()` and `schema_read()` report
//! them. Normalisation uses it to turn display names into codes.

use serde::{Deserialize, Serialize};

/// One field of an entity type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSchema {
    pub code: String,
    pub display_name: String,
    pub data_type: String,
}

/// One entity type and its fields, sorted by field code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitySchema {
    pub code: String,
    pub display_name: String,
    pub fields: Vec<FieldSchema>,
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
}
