"""Permission CSV files as people, spreadsheets and file systems make them:
spreadsheet quirks, file modes and links, odd file names, huge or binary
values, and the messages for common mistakes."""

import io
import os
import stat

import pytest

import sgperms

from conftest import run_cli

HEADER = "kind,entity_type,name,action,artist\n"
CANONICAL = HEADER.replace("\n", ",note\n") + "entity,Shot,,see,yes,\n"


def fmt(*args, stdin=None):
    return run_cli("fmt", *args, stdin=stdin)


def test_rewriting_keeps_mode_follows_symlinks_and_refuses_read_only(tmp_path):
    path = tmp_path / "perms.csv"
    path.write_text(HEADER + "entity,Shots,,see,x\n")
    path.chmod(0o664)
    assert fmt(str(path)).returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    target = tmp_path / "target.csv"
    target.write_text(HEADER + "entity,Shots,,see,x\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert fmt(str(link)).returncode == 0
    assert link.is_symlink() and target.read_text() == CANONICAL
    locked = tmp_path / "locked.csv"
    locked.write_text(HEADER + "entity,Shots,,see,x\n")
    locked.chmod(0o444)
    r = fmt(str(locked))
    assert r.returncode == 2 and "the file is read-only" in r.stderr
    assert ".sgperms-" not in r.stderr and "os error" not in r.stderr


def test_output_dash_is_stdout_and_check_with_output_is_refused(tmp_path):
    path = tmp_path / "perms.csv"
    path.write_text(HEADER + "entity,Shots,,see,x\n")
    r = fmt(str(path), "-o", "-")
    assert (r.returncode, r.stdout) == (0, CANONICAL)
    assert not (tmp_path / "-").exists() and not os.path.exists("-")
    r = fmt(str(path), "--check", "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 2 and "--check writes nothing" in r.stderr
    r = fmt(str(tmp_path))
    assert r.returncode == 2 and "is a directory; pass its files" in r.stderr


def test_file_names_that_are_not_utf8(tmp_path):
    name = os.path.join(os.fsencode(tmp_path), b"\xff.csv")
    with open(name, "w") as f:
        f.write(HEADER + "entity,Shot,,see,maybe\n")
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv(os.fsdecode(name))
    assert info.value.path.endswith("\\xff.csv")


def test_a_missing_file_named_with_a_comma_is_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        sgperms.read_csv(str(tmp_path / "perms, v2.csv"))


@pytest.mark.parametrize(
    "text",
    [
        "sep=;;;;;\n" + HEADER.replace(",", ";") + "entity;Shot;;see;yes\n",
        '"sep=;"\n' + HEADER.replace(",", ";") + "entity;Shot;;see;yes\n",
        HEADER + "entity,Shot,,see,✔\ufe0f\n",
    ],
    ids=["libreoffice-padded-sep", "quoted-sep", "emoji-check"],
)
def test_spreadsheet_quirks(text):
    assert sgperms.read_csv(text).to_csv() == CANONICAL


def test_notes_are_trimmed_and_get_lf_line_ends():
    t = sgperms.read_csv(HEADER.replace("\n", ",note\n") + 'entity,Shot,,see,yes,"  two\r\nlines  "\n')
    assert t.note("entity", "Shot", "", "see") == "two\nlines"
    assert "\r" not in t.to_csv()


@pytest.mark.parametrize(
    "data, message",
    [
        ("\ufeff".encode("utf-16-le") + HEADER.encode("utf-16-le"), "UTF-16"),
        (HEADER.encode("utf-16-le"), "UTF-16"),
        (HEADER + 'entity,Shot,,see,"yes\nentity,Asset,,see,no\n', "never closed"),
        (HEADER + "entity,Shot,,see,if\n", '"if" needs its condition'),
        ("kind,entity_type,name,action,artist,Artist\n", "appears twice"),
    ],
    ids=["utf16-bom", "utf16-no-bom", "open-quote", "bare-if", "case-duplicate-role"],
)
def test_clear_messages_for_common_mistakes(data, message):
    with pytest.raises(sgperms.CsvError, match=message):
        sgperms.read_csv(data.encode() if isinstance(data, str) else data)


def test_forcing_wide_on_a_long_file_says_so():
    long = sgperms.read_csv(CANONICAL).to_csv(layout="long")
    with pytest.raises(sgperms.CsvError, match='belongs to the long layout'):
        sgperms.read_csv(long, layout="wide")


def test_huge_or_binary_values_are_quoted_short():
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv(HEADER + "entity,Shot,,see," + "y\x00" * 100000 + "\n")
    assert len(str(info.value)) < 400 and "\x00" not in str(info.value)
    assert len(info.value.value) == 200000  # the attribute keeps it whole


def test_very_wide_headers_read():
    roles = [f"role_{i}" for i in range(30000)]
    text = ("kind,entity_type,name,action," + ",".join(roles) + "\n"
            + "entity,Shot,,see," + ",".join(["yes"] * len(roles)) + "\n")
    t = sgperms.read_csv(text)
    assert len(t.roles) == 30000 and t.get("role_29999", "entity", "Shot", "", "see") == "yes"


def test_type_mistakes_are_type_errors_that_explain():
    with pytest.raises(TypeError, match="not a str"):
        sgperms.PermissionTable("artist")
    with pytest.raises(TypeError, match="not a str"):
        sgperms.read_csv(CANONICAL, roles="artist")
    with pytest.raises(sgperms.TableError, match="entity_type, name, action"):
        sgperms.PermissionTable(["Entity Type"])


def test_to_csv_writes_to_file_objects():
    t = sgperms.read_csv(CANONICAL)
    buffer = io.StringIO()
    assert t.to_csv(buffer) is None
    assert buffer.getvalue() == CANONICAL


def test_short_rows_name_the_missing_column():
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv(CANONICAL.replace("yes,\n", "yes\n"))
    assert (info.value.row, info.value.column) == (2, "note")
