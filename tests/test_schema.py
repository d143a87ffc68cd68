"""Schema from shotgun_api3's own dicts, through mockgun."""

import pytest
from shotgun_api3.lib import mockgun

import sgperms

from conftest import MOCKGUN_SCHEMA


@pytest.fixture
def real_site():
    mockgun.Shotgun.set_schema_paths(
        str(MOCKGUN_SCHEMA / "schema.pickle"), str(MOCKGUN_SCHEMA / "schema_entity.pickle")
    )
    return mockgun.Shotgun("https://example.shotgunstudio.com", script_name="sgperms-test", api_key="not-a-key")


def test_real_mockgun_schema_builds_and_normalises(real_site):
    schema = sgperms.Schema.from_shotgun_dicts(real_site.schema_read(), real_site.schema_entity_read())
    assert len(schema) == 77
    assert "PermissionRuleSet" in schema
    assert schema.display_name("HumanUser") == "Person"
    assert ("sg_status_list", "Status", "status_list") in schema.fields("Shot")
    text = (
        "kind,entity_type,name,action,artist\n"
        "entity,People,,see,yes\n"
        "entity,Disk Locations,,create,no\n"
        "field,Shots,Status,edit,if assigned\n"
        "field,Person,Permission Group,edit,no\n"
        "field,Scripts,permission_rule_set,see,yes\n"
        "entity,Files,,delete,no\n"
    )
    t = sgperms.read_csv(text, schema=schema)
    assert t.targets() == [
        ("entity", "Attachment", "", "retire"),
        ("entity", "CustomEntity01", "", "create"),
        ("entity", "HumanUser", "", "see"),
        ("field", "ApiUser", "permission_rule_set", "see"),
        ("field", "HumanUser", "permission_rule_set", "edit"),
        ("field", "Shot", "sg_status_list", "edit"),
    ]
    # The real schema has two Shot fields displayed as "Cut In": ambiguous.
    with pytest.raises(sgperms.CsvError, match="ambiguous field \"Cut In\" on Shot"):
        sgperms.read_csv("kind,entity_type,name,action,a\nfield,Shot,Cut In,see,yes\n", schema=schema)
    assert sgperms.Schema.from_json(schema.to_json()) == schema


def test_schema_tolerates_missing_pieces_and_rejects_wrong_types():
    schema = sgperms.Schema.from_shotgun_dicts({"Shot": {"code": {}}}, {"Asset": {"name": {"value": "Asset"}}})
    assert schema.entity_types() == ["Asset", "Shot"]
    assert schema.fields("Shot") == [("code", "code", "")]
    assert schema.fields("Asset") == []
    with pytest.raises(KeyError):
        schema.fields("Task")
    with pytest.raises(TypeError, match=r'schema_read\(\)\["Shot"\]'):
        sgperms.Schema.from_shotgun_dicts({"Shot": ["not", "a", "dict"]}, {})
    with pytest.raises(ValueError, match="not a sgperms schema JSON"):
        sgperms.Schema.from_json("{}")
