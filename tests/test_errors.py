"""Bad input: each one a CsvError naming row and column; nothing half-loaded;
no Rust panic reaches Python on any input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sgperms

from test_normalize import schema

HEADER = "kind,entity_type,name,action,artist,admin\n"


def error(text, **kwargs):
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv(text, **kwargs)
    return info.value


def test_unknown_value():
    e = error(HEADER + "entity,Shot,,see,yes,perhaps\n")
    assert (e.row, e.column, e.value) == (2, "admin", "perhaps")
    assert "expected yes, no, inherit" in str(e)


def test_conflicting_duplicate_rows_name_both_rows():
    e = error(HEADER + "entity,Shot,,see,yes,yes\nentity,Asset,,see,no,no\nentity,Shots,,see,no,yes\n")
    assert (e.row, e.column, e.value) == (4, "artist", "no")
    assert 'row 2 says "yes", this row says "no"' in str(e)


def test_conflicting_notes_name_both_rows():
    e = error("kind,entity_type,name,action,a,note\nentity,Shot,,see,yes,first\nentity,Shot,,see,yes,second\n")
    assert (e.row, e.column) == (3, "note")
    assert "row 2 has a different note" in str(e)


def test_unknown_role_when_roles_given():
    e = error(HEADER + "entity,Shot,,see,yes,yes\n", roles=["artist", "manager"])
    assert (e.row, e.column) == (1, "admin")
    assert 'unknown role "admin"; expected one of: artist, manager' in str(e)
    e = error("role,kind,entity_type,name,action,value\nvendor,entity,Shot,,see,yes\n", roles=["artist"])
    assert (e.row, e.column, e.value) == (2, "role", "vendor")


def test_unknown_or_ambiguous_entity_and_field_with_schema():
    e = error(HEADER + "entity,Assets,,see,yes,yes\n", schema=schema())
    assert (e.row, e.column, e.value) == (2, "entity_type", "Assets")
    assert 'unknown entity type "Assets"' in str(e)
    e = error(HEADER + "field,Shot,Cut In,see,yes,yes\n", schema=schema())
    assert (e.row, e.column, e.value) == (2, "name", "Cut In")
    assert "could be cut_in or sg_cut_in" in str(e)
    e = error(HEADER + "field,Shot,Budget,see,yes,yes\n", schema=schema())
    assert 'unknown field "Budget" on Shot' in str(e)


def test_ragged_rows():
    e = error(HEADER + "entity,Shot,,see,yes\n")
    assert e.row == 2
    assert "the row has 5 fields but the header has 6" in str(e)
    e = error(HEADER + "entity,Shot,,see,yes,yes,stray\n")
    assert (e.row, e.column, e.value) == (2, "column 7", "stray")


def test_invalid_utf8():
    e = error(HEADER.encode() + b"entity,Shot,,see,yes,\xe9\n")
    assert (e.row, e.column) == (2, "admin")
    assert "invalid UTF-8" in str(e)


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n  \r\n", b""])
def test_empty_file(text):
    e = error(text)
    assert (e.row, e.column) == (1, "kind")
    assert "the file is empty" in str(e)


def test_header_without_key_columns():
    e = error("role,artist,admin\nartist,yes,no\n")
    assert (e.row, e.column) == (1, "kind")
    assert "the header lacks kind, entity_type, name, action" in str(e)


def test_wrong_shapes_name_their_column():
    e = error(HEADER + "entity,Shot,code,see,yes,yes\n")
    assert (e.row, e.column) == (2, "name")
    e = error(HEADER + "app,Shot,Media Center,see,yes,yes\n")
    assert (e.row, e.column) == (2, "entity_type")
    e = error(HEADER + "entity,Shot,,allow,yes,yes\n")
    assert (e.row, e.column, e.value) == (2, "action", "allow")
    e = error(HEADER + "entity,Shot,,see,inherit,yes\n")
    assert (e.row, e.column) == (2, "artist")
    e = error("kind,entity_type,name,action,a,,b\nentity,Shot,,see,yes,oops,no\n")
    assert (e.row, e.column, e.value) == (2, "column 6", "oops")


def test_errors_count_lines_through_quoted_newlines():
    text = 'kind,entity_type,name,action,a,note\nentity,Shot,,see,yes,"two\nlines"\nentity,Asset,,see,bad,\n'
    assert error(text).row == 4


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_panic(data):
    try:
        sgperms.read_csv(data)
    except sgperms.CsvError as e:
        assert str(e)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('kindentyp_ac,;\t"\r\n xyes-✓ifroleval')), max_size=200))
def test_csv_shaped_text_never_panics(text):
    try:
        sgperms.read_csv(text if "\n" in text else text + "\n")
    except sgperms.CsvError as e:
        assert e.row is None or e.row >= 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=6, max_size=6))
def test_set_and_get_on_arbitrary_strings_raise_value_errors_never_panics(args):
    t = sgperms.PermissionTable(["artist"])
    role, kind, et, name, action, value = args
    for call in (
        lambda: t.set(role, kind, et, name, action, value, note=value),
        lambda: t.set("artist", kind, et, name, action, value),
        lambda: t.get("artist", kind, et, name, action),
        lambda: t.effective("artist", kind, et, name, action),
    ):
        try:
            call()
        except ValueError:
            pass
    assert sgperms.read_csv(t.to_csv()) == t
