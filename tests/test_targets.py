"""Targets typed as text, resolved against a table, and the cells the audit
reads for self-elevation (sgperms.targets)."""

import pytest

import sgperms
from sgperms import targets

SCHEMA = sgperms.Schema.from_shotgun_dicts(
    {"Shot": {"sg_status_list": {"name": {"value": "Status"}, "data_type": {"value": "status_list"}}}},
    {"Shot": {"name": {"value": "Shot"}}},
)
TABLE = "kind,entity_type,name,action,lead,artist\nentity,Shot,,retire,no,yes\nfield,Shot,sg_status_list,edit,yes,no\n"


def test_parse_takes_four_parts_as_typed():
    assert targets.parse("entity:Asset::create") == ("entity", "Asset", "", "create")
    assert targets.parse("field:Shots:Status:edit") == ("field", "Shots", "Status", "edit")
    for text in ("entity:Asset:create", "entity:Asset::create:x", ""):
        with pytest.raises(ValueError, match="expected KIND:ENTITY:NAME:ACTION"):
            targets.parse(text)


def test_resolve_spells_a_target_as_the_table_does():
    table = sgperms.read_csv(TABLE, schema=SCHEMA)
    assert targets.resolve(table, ("entity", "Shots", "", "delete")) == ("entity", "Shot", "", "retire")
    assert targets.resolve(table, ("field", "Shot", "Status", "edit")) == ("field", "Shot", "sg_status_list", "edit")
    plain = sgperms.read_csv(TABLE)  # no schema: built-in entity names still resolve
    assert targets.resolve(plain, ("entity", "shots", "", "retire")) == ("entity", "Shot", "", "retire")


def test_resolve_refuses_a_target_the_table_lacks():
    table = sgperms.read_csv(TABLE)
    with pytest.raises(ValueError, match=r"entity:Shot::see is not a row of the table \(a typo\?"):
        targets.resolve(table, ("entity", "Shot", "", "see"))
    with pytest.raises(sgperms.NormalizeError):
        targets.resolve(table, ("entity", "Shot", "", "fly"))
    assert len(table) == 2  # the table is never changed


def test_unchecked_elevation_lists_what_the_audit_could_not_read():
    assert targets.ELEVATION_TARGETS == (
        ("field", "HumanUser", "permission_rule_set", "edit"), ("entity", "PermissionRuleSet", "", "edit"),
    )
    table = sgperms.read_csv(
        "kind,entity_type,name,action,admin,artist\n"
        "entity,HumanUser,,edit,yes,no\nfield,HumanUser,permission_rule_set,edit,yes,no\n"
        "entity,PermissionRuleSet,,edit,yes,\n"
    )
    assert targets.unchecked_elevation(table) == [("entity", "PermissionRuleSet", "", "edit")]
    table.set("artist", "entity", "PermissionRuleSet", "", "edit", "no")
    assert targets.unchecked_elevation(table) == []
    assert targets.unchecked_elevation(sgperms.read_csv(TABLE)) == list(targets.ELEVATION_TARGETS)
