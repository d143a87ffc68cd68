"""PermissionTable (and Schema) survive pickle, copy and deepcopy: equal to
the original, and independent of it."""

import copy
import pickle

import pytest

import sgperms

TEXT = (
    "kind,entity_type,name,action,admin,artist,note\n"
    "entity,Asset,,see,yes,yes,\n"
    "entity,Version,,retire,yes,\"if created by them, or \"\"their\"\" group\",artists tidy up\n"
    "field,Asset,description,edit,inherit,no,\"a note\nover two lines\"\n"
    "app,,Media Center,see,yes,,\n"
    "advanced,,see_client_notes,allow,yes,no,\n"
)

SCHEMA = sgperms.Schema.from_shotgun_dicts(
    {"Shot": {"sg_status_list": {"name": {"value": "Status"}, "data_type": {"value": "status_list"}}}},
    {"Shot": {"name": {"value": "Shot"}}},
)


def table():
    return sgperms.read_csv(TEXT)


def round_trips():
    """Each way of copying, as a function of a table."""
    ways = {f"pickle protocol {p}": (lambda t, p=p: pickle.loads(pickle.dumps(t, protocol=p)))
            for p in range(pickle.HIGHEST_PROTOCOL + 1)}
    ways["copy.copy"] = copy.copy
    ways["copy.deepcopy"] = copy.deepcopy
    return ways


@pytest.mark.parametrize("way", sorted(round_trips()))
def test_a_copy_is_equal_and_independent(way):
    original = table()
    copied = round_trips()[way](original)
    assert type(copied) is sgperms.PermissionTable
    assert copied == original
    assert copied.to_csv() == original.to_csv() == TEXT
    copied.set("artist", "entity", "Asset", "", "see", "no", note="changed")
    assert original.get("artist", "entity", "Asset", "", "see") == "yes"
    assert original.note("entity", "Asset", "", "see") == ""
    assert copied != original


@pytest.mark.parametrize("way", sorted(round_trips()))
def test_tables_the_reader_would_change_come_back_as_they_were(way):
    """Pickling must not normalise: role codes differing only in case are two
    roles in a table, although a CSV header could not hold both."""
    odd = sgperms.PermissionTable(["artist", "Artist"])
    odd.set("Artist", "entity", "Asset", "", "see", "if in\r\ntheir group ", note=" spaced\r\nnote ")
    copied = round_trips()[way](odd)
    assert copied == odd
    assert copied.roles == ["artist", "Artist"]
    assert copied.get("Artist", "entity", "Asset", "", "see") == "if in\ntheir group"
    for empty in (sgperms.PermissionTable(), sgperms.PermissionTable(["a", "b"])):
        assert round_trips()[way](empty) == empty
        assert round_trips()[way](empty).roles == empty.roles


@pytest.mark.parametrize("way", sorted(round_trips()))
def test_the_schema_comes_along(way):
    original = sgperms.PermissionTable(["artist"], schema=SCHEMA)
    original.set("artist", "field", "Shots", "Status", "edit", "yes")
    copied = round_trips()[way](original)
    assert copied.schema == SCHEMA
    # Display names still resolve against it.
    assert copied.get("artist", "field", "Shot", "Status", "edit") == "yes"
    with pytest.raises(sgperms.NormalizeError):
        copied.get("artist", "field", "Shot", "Budget", "edit")
    assert round_trips()[way](table()).schema is None


def test_a_schema_pickles_and_copies_on_its_own():
    assert pickle.loads(pickle.dumps(SCHEMA)) == SCHEMA
    assert copy.copy(SCHEMA) is SCHEMA and copy.deepcopy(SCHEMA) is SCHEMA


def test_a_garbled_state_is_an_error_not_a_crash():
    t = sgperms.PermissionTable()
    with pytest.raises(sgperms.CsvError) as info:
        t.__setstate__((b"kind,entity_type\nentity,Asset\n", None))
    assert isinstance(info.value, sgperms.SgpermsError)
    with pytest.raises(sgperms.CsvError, match='unknown value "maybe"'):
        t.__setstate__((b"kind,entity_type,name,action,a,note\nentity,Asset,,see,maybe,\n", None))
    assert t == sgperms.PermissionTable()
