"""Messy input as people and spreadsheets produce it, each normalised."""

import pytest

import sgperms

CANONICAL = (
    "kind,entity_type,name,action,artist,note\n"
    "entity,Shot,,see,yes,\n"
    "entity,Shot,,retire,no,\n"
)


def schema():
    schema_read = {
        "Shot": {
            "sg_status_list": {"name": {"value": "Status"}, "data_type": {"value": "status_list"}},
            "code": {"name": {"value": "Shot Code"}, "data_type": {"value": "text"}},
            "sg_cut_in": {"name": {"value": "Cut In"}, "data_type": {"value": "number"}},
            "cut_in": {"name": {"value": "Cut In"}, "data_type": {"value": "number"}},
        },
        "CustomEntity01": {"code": {"name": {"value": "Name"}, "data_type": {"value": "text"}}},
    }
    schema_entity_read = {
        "Shot": {"name": {"value": "Shot"}},
        "CustomEntity01": {"name": {"value": "Disk Location"}},
    }
    return sgperms.Schema.from_shotgun_dicts(schema_read, schema_entity_read)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("\ufeff" + CANONICAL, id="utf8-bom"),
        pytest.param(CANONICAL.replace("\n", "\r\n"), id="crlf"),
        pytest.param(CANONICAL.replace(",", ";"), id="semicolon"),
        pytest.param(CANONICAL.replace(",", "\t"), id="tab"),
        pytest.param("sep=;\r\n" + CANONICAL.replace(",", ";").replace("\n", "\r\n"), id="excel-sep-line"),
        pytest.param("\ufeffsep=,\n" + CANONICAL, id="bom-and-sep-line"),
        pytest.param(CANONICAL.replace("\n", ",,\n"), id="trailing-empty-columns"),
        pytest.param(CANONICAL.replace("retire", "delete"), id="delete-for-retire"),
        pytest.param(CANONICAL.replace("Shot,,see,yes", "Shots,,see,Yes"), id="plural-and-Yes"),
        pytest.param(CANONICAL.replace("see,yes", "see,x").replace("retire,no", "retire,-"), id="x-and-dash"),
        pytest.param(CANONICAL.replace("see,yes", "see,✓").replace("retire,no", "retire,0"), id="check-and-zero"),
        pytest.param(CANONICAL.replace("see,yes", "see,TRUE").replace("retire,no", "retire,✗"), id="TRUE-and-cross"),
        pytest.param(CANONICAL.replace("kind,entity_type,name,action", "Kind,Entity Type,Name,Action"),
                     id="header-case"),
        pytest.param(CANONICAL + "\n\n", id="blank-lines"),
        pytest.param(CANONICAL.replace("note\n", "Notes\n"), id="notes-header"),
    ],
)
def test_messy_input_is_normalised(text):
    t = sgperms.read_csv(text)
    assert t.to_csv() == CANONICAL


def test_role_display_names_in_headers():
    roles = [
        {"code": "artist", "display_name": "Artist"},
        {"code": "senior_manager", "display_name": "Senior Manager"},
    ]
    text = "kind,entity_type,name,action,Artist,Senior Manager\nentity,Shot,,see,yes,yes\n"
    t = sgperms.read_csv(text, roles=roles)
    assert t.roles == ["artist", "senior_manager"]

    class Role:
        code, display_name = "artist", "Artist"

    assert sgperms.read_csv(text.replace(",Senior Manager", "").replace("yes,yes", "yes"), roles=[Role()]).roles == [
        "artist"
    ]


def test_long_layout_role_display_names():
    text = "role,kind,entity_type,name,action,value\nArtist,entity,Shot,,see,y\n"
    t = sgperms.read_csv(text, roles=[{"code": "artist", "display_name": "Artist"}])
    assert t.get("artist", "entity", "Shot", "", "see") == "yes"


def test_entity_and_field_display_names_with_schema():
    text = (
        "kind,entity_type,name,action,artist\n"
        "entity,Shots,,see,yes\n"
        "field,shot,Status,edit,inherit\n"
        "field,Disk Locations,Name,see,no\n"
        "entity,disk location,,create,no\n"
    )
    t = sgperms.read_csv(text, schema=schema())
    assert t.targets() == [
        ("entity", "CustomEntity01", "", "create"),
        ("entity", "Shot", "", "see"),
        ("field", "CustomEntity01", "code", "see"),
        ("field", "Shot", "sg_status_list", "edit"),
    ]
    # set() on a table read with a schema resolves the same names.
    t.set("artist", "field", "Shots", "Shot Code", "see", "yes")
    assert t.get("artist", "field", "Shot", "code", "see") == "yes"


def test_builtin_entity_display_names_without_schema():
    text = "kind,entity_type,name,action,artist\nentity,People,,see,yes\nentity,Published Files,,see,no\n"
    t = sgperms.read_csv(text)
    assert [x[1] for x in t.targets()] == ["HumanUser", "PublishedFile"]


def test_duplicate_rows_that_agree_merge():
    text = (
        "kind,entity_type,name,action,a,b,note\n"
        "entity,Shot,,see,yes,,why\n"
        "entity,Shots,,see,,no,\n"
        "entity,Shot,,see,yes,no,why\n"
    )
    t = sgperms.read_csv(text)
    assert t.to_csv() == "kind,entity_type,name,action,a,b,note\nentity,Shot,,see,yes,no,why\n"


def test_conditions_keep_their_text():
    text = 'kind,entity_type,name,action,artist\nentity,Note,,edit,"If author of the note, or in CC"\n'
    t = sgperms.read_csv(text)
    assert t.get("artist", "entity", "Note", "", "edit") == "if author of the note, or in CC"
