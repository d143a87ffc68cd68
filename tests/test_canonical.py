"""A permission CSV as read, and its canonical form (sgperms.canonical):
what `sgperms fmt` writes and `fmt --check` compares."""

import io

import pytest

import sgperms
from sgperms import canonical

MESSY = "\ufeffsep=;\r\nKind;Entity Type;Name;Action;artist\r\nentity;Shots;;delete;✓\r\nentity;Asset;;see;no\r\n"
CANONICAL = "kind,entity_type,name,action,artist,note\nentity,Asset,,see,no,\nentity,Shot,,retire,yes,\n"
ROLES = "code,display_name,user_type,template,system_default,id\nartist,Artist,HumanUser,,no,3\n"


def test_read_keeps_the_bytes_and_the_layout(tmp_path):
    path = tmp_path / "perms.csv"
    path.write_bytes(MESSY.encode())
    found = canonical.read(str(path))
    assert found.data == MESSY.encode() and found.layout == "wide"
    assert found.text() == CANONICAL.encode() and not found.is_canonical()
    long = found.table.to_csv(layout="long")
    assert found.text("long") == long.encode()
    again = canonical.read(io.BytesIO(long.encode()))
    assert again.layout == "long" and again.is_canonical() and not again.is_canonical("wide")
    assert canonical.read(path).table == found.table  # a PathLike too


def test_a_file_is_checked_against_the_roles_csv_beside_it(tmp_path):
    (tmp_path / "roles.csv").write_text(ROLES)
    (tmp_path / "perms.csv").write_text(CANONICAL.replace(",artist,", ",artsit,"))
    named = r'unknown role "artsit" \(did you mean "artist"\?\).*\(the roles of .*roles.csv\)'
    with pytest.raises(sgperms.CsvError, match=named):
        canonical.read(str(tmp_path / "perms.csv"))
    (tmp_path / "perms.csv").write_text(CANONICAL.replace(",artist,", ",Artist,"))
    assert canonical.read(str(tmp_path / "perms.csv")).table.roles == ["artist"]  # display names resolve


def test_a_stream_has_nothing_beside_it_but_may_be_given_roles(tmp_path):
    (tmp_path / "roles.csv").write_text(ROLES)
    typo = CANONICAL.replace(",artist,", ",artsit,").encode()
    assert canonical.read(io.BytesIO(typo)).table.roles == ["artsit"]
    with pytest.raises(sgperms.CsvError, match="the roles of"):
        canonical.read(io.BytesIO(typo), roles_file=str(tmp_path / "roles.csv"))


def test_errors_name_the_stream_and_a_schema_is_strict():
    class Stdin(io.BytesIO):
        name = "<stdin>"

    stdin = Stdin(b"kind,entity_type,name,action,artist\nentity,Shot,,see,perhaps\n")
    with pytest.raises(sgperms.CsvError, match=r"^<stdin>, row 2"):
        canonical.read(stdin)
    schema = sgperms.Schema.from_shotgun_dicts({"Shot": {}}, {"Shot": {"name": {"value": "Shot"}}})
    with pytest.raises(ValueError, match="Asset"):
        canonical.read(CANONICAL, schema=schema)
