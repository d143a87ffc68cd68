//! Audit: permissions that undo the tiers. A role that can change people's
//! roles can make itself admin; a role granted more than every role above it
//! is a "missed permission" waiting to be found months later.

use std::fmt;

use crate::model::{Action, Kind, Table, Target, Value};
use crate::tiers::{admin_roles, rank, Tiers};

/// What an audit finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// A non-admin role can edit people's roles or the roles themselves.
    SelfElevation,
    /// A role is allowed more than every role above it.
    ExceedsAncestors,
}

impl FindingKind {
    /// `self_elevation` or `exceeds_ancestors`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::SelfElevation => "self_elevation",
            FindingKind::ExceedsAncestors => "exceeds_ancestors",
        }
    }
}

/// One finding: the role, the target, its effective value and why it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What the finding is about.
    pub kind: FindingKind,
    /// The role code.
    pub role: String,
    /// The target.
    pub target: Target,
    /// The role's effective value there.
    pub value: Value,
    /// Why it matters, in a sentence.
    pub detail: String,
}

/// `kind: target: detail`.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.kind.as_str(),
            self.target,
            self.detail
        )
    }
}

/// Targets that let a role change who holds which role, or what roles allow.
pub fn is_elevation_target(target: &Target) -> bool {
    match target.kind() {
        Kind::Field => {
            target.entity_type() == "HumanUser"
                && target.name() == "permission_rule_set"
                && target.action() == Action::Edit
        }
        Kind::Entity => {
            target.entity_type() == "PermissionRuleSet"
                && matches!(target.action(), Action::Create | Action::Edit)
        }
        _ => false,
    }
}

/// Audits a table: self-elevation for every non-admin role (admins are the
/// tier file's `admins:`, or `admin` without one), and, with tiers, roles
/// allowed more than every ancestor. In canonical target order.
pub fn audit(table: &Table, tiers: Option<&Tiers>) -> Vec<Finding> {
    let admins = admin_roles(tiers);
    let roles: Vec<&str> = table.roles().collect();
    let ancestors: Vec<Vec<usize>> = roles
        .iter()
        .map(|role| {
            tiers
                .and_then(|t| t.ancestors(role).ok())
                .unwrap_or_default()
                .iter()
                .filter_map(|a| table.role_index(a))
                .collect()
        })
        .collect();
    let mut findings = Vec::new();
    for row in table.sorted_rows() {
        let target = table.target(row);
        let effective: Vec<Value> = (0..roles.len())
            .map(|r| table.effective(target, r))
            .collect();
        for (r, role) in roles.iter().enumerate() {
            let value = &effective[r];
            let Some(level) = rank(value) else { continue };
            if level > 0 && is_elevation_target(target) && !admins.contains(role) {
                findings.push(Finding {
                    kind: FindingKind::SelfElevation,
                    role: role.to_string(),
                    target: *target,
                    value: value.clone(),
                    detail: format!(
                        "{role} may {} ({}): anyone holding it can make themselves admin",
                        describe(target),
                        value
                    ),
                });
            }
            let above = &ancestors[r];
            let exceeds = !above.is_empty()
                && above
                    .iter()
                    .all(|&a| rank(&effective[a]).is_some_and(|x| x < level));
            if exceeds {
                let theirs: Vec<String> = above
                    .iter()
                    .map(|&a| format!("{} {}", roles[a], effective[a]))
                    .collect();
                findings.push(Finding {
                    kind: FindingKind::ExceedsAncestors,
                    role: role.to_string(),
                    target: *target,
                    value: value.clone(),
                    detail: format!(
                        "{role} has {value} but every role above it has less ({})",
                        theirs.join(", ")
                    ),
                });
            }
        }
    }
    findings
}

fn describe(target: &Target) -> String {
    match target.kind() {
        Kind::Field => format!(
            "{} {}.{}",
            target.action(),
            target.entity_type(),
            target.name()
        ),
        _ => format!("{} {}", target.action(), target.entity_type()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::with_roles(["admin", "it_support", "lead", "artist"]).unwrap();
        let field = t.insert_target(
            Target::new(
                Kind::Field,
                "HumanUser",
                "permission_rule_set",
                Action::Edit,
            )
            .unwrap(),
        );
        let entity =
            t.insert_target(Target::new(Kind::Entity, "HumanUser", "", Action::Edit).unwrap());
        let retire =
            t.insert_target(Target::new(Kind::Entity, "Version", "", Action::Retire).unwrap());
        for (role, (field_value, entity_value, retire_value)) in [
            (Value::Inherit, Value::Yes, Value::Yes),
            (Value::Inherit, Value::Yes, Value::Yes),
            (Value::No, Value::Yes, Value::No),
            (Value::Inherit, Value::If("own record".into()), Value::Yes),
        ]
        .into_iter()
        .enumerate()
        {
            t.set(field, role, &field_value).unwrap();
            t.set(entity, role, &entity_value).unwrap();
            t.set(retire, role, &retire_value).unwrap();
        }
        t
    }

    #[test]
    fn self_elevation_and_missed_permissions() {
        let tiers = Tiers::parse("admins: admin\nadmin\nit_support > lead > artist\n").unwrap();
        let findings = audit(&table(), Some(&tiers));
        let summary: Vec<(FindingKind, &str, String)> = findings
            .iter()
            .map(|f| (f.kind, f.role.as_str(), f.target.to_string()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    FindingKind::SelfElevation,
                    "it_support",
                    "field:HumanUser:permission_rule_set:edit".to_string()
                ),
                (
                    FindingKind::SelfElevation,
                    "artist",
                    "field:HumanUser:permission_rule_set:edit".to_string()
                ),
            ]
        );
        assert!(
            findings[1].detail.contains("if own record"),
            "{}",
            findings[1].detail
        );
        // Without tiers, "admin" is the admin role and nothing is compared.
        assert_eq!(audit(&table(), None).len(), 2);
        // Lead denied retire; artist allowed; it_support above both allowed: not
        // "every ancestor" less, so no missed-permission finding. Take it away:
        let mut t = table();
        let retire = t
            .target_index(&Target::new(Kind::Entity, "Version", "", Action::Retire).unwrap())
            .unwrap();
        t.set(retire, 1, &Value::No).unwrap();
        let missed: Vec<_> = audit(&t, Some(&tiers))
            .into_iter()
            .filter(|f| f.kind == FindingKind::ExceedsAncestors)
            .collect();
        assert_eq!(missed.len(), 1);
        assert_eq!(missed[0].role, "artist");
        assert_eq!(
            missed[0].detail,
            "artist has yes but every role above it has less (it_support no, lead no)"
        );
    }

    #[test]
    fn a_finding_reads_as_a_sentence() {
        let finding = &audit(&table(), None)[0];
        assert_eq!(
            finding.to_string(),
            format!(
                "self_elevation: field:HumanUser:permission_rule_set:edit: {}",
                finding.detail
            )
        );
    }
}
