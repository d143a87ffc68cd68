"""The Python API contract: PermissionTable, read_csv sources, errors."""

import io
import pathlib
import subprocess
import sys

import pytest

import sgperms

WIDE = (
    "kind,entity_type,name,action,admin,artist,note\n"
    "entity,Asset,,see,yes,yes,\n"
    "entity,Asset,,edit,yes,no,artists edit through tasks\n"
    "field,Asset,description,see,inherit,inherit,\n"
    "field,Asset,description,edit,yes,yes,\n"
    "field,Asset,sg_status_list,edit,inherit,if assigned to a task on the asset,\n"
)


def test_read_csv_accepts_text_bytes_paths_and_file_objects(tmp_path):
    path = tmp_path / "perms.csv"
    path.write_text(WIDE, encoding="utf-8")
    tables = [
        sgperms.read_csv(WIDE),
        sgperms.read_csv(WIDE.encode()),
        sgperms.read_csv(path),
        sgperms.read_csv(str(path)),
        sgperms.read_csv(io.StringIO(WIDE)),
        sgperms.read_csv(io.BytesIO(WIDE.encode())),
    ]
    with open(path, "rb") as f:
        tables.append(sgperms.read_csv(f))
    assert all(t == tables[0] for t in tables)
    assert tables[0].roles == ["admin", "artist"]
    assert len(tables[0]) == 5


def test_path_is_named_in_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("kind,entity_type,name,action,artist\nentity,Asset,,see,maybe\n")
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}, row 2, column \"artist\": unknown value \"maybe\"")


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        sgperms.read_csv(tmp_path / "nope.csv")
    with pytest.raises(TypeError, match="path, a file object or CSV text"):
        sgperms.read_csv(42)


def test_get_set_effective_and_notes():
    t = sgperms.read_csv(WIDE)
    assert t.get("artist", "entity", "Asset", "", "edit") == "no"
    assert t.get("artist", "field", "Asset", "sg_status_list", "edit") == "if assigned to a task on the asset"
    assert t.get("artist", "entity", "Shot", "", "see") == ""  # absent target: unknown
    assert t.effective("artist", "field", "Asset", "description", "see") == "yes"  # inherit -> entity
    assert t.effective("artist", "field", "Asset", "description", "edit") == "no"  # entity edit is no
    assert t.effective("artist", "field", "Asset", "sg_status_list", "edit") == "no"
    assert t.effective("admin", "field", "Asset", "sg_status_list", "edit") == "yes"
    assert t.note("entity", "Asset", "", "edit") == "artists edit through tasks"

    t.set("artist", "Entities", "Assets", "", "Delete", "✓", note="artists tidy their own")
    assert t.get("artist", "entity", "Asset", "", "retire") == "yes"
    assert t.get("admin", "entity", "Asset", "", "retire") == ""
    assert t.note("entity", "Asset", "", "retire") == "artists tidy their own"
    t.set("artist", "entity", "Asset", "", "retire", "0")
    assert t.get("artist", "entity", "Asset", "", "retire") == "no"
    assert t.note("entity", "Asset", "", "retire") == "artists tidy their own"  # note=None keeps it
    t.set("artist", "entity", "Asset", "", "see", "IF on an assigned project")
    assert t.get("artist", "entity", "Asset", "", "see") == "if on an assigned project"
    assert len(t) == 6


def test_set_rejects_what_the_table_cannot_hold():
    t = sgperms.PermissionTable(["artist"])
    with pytest.raises(sgperms.TableError, match='unknown role "vendor"; the table has: artist'):
        t.set("vendor", "entity", "Asset", "", "see", "yes")
    with pytest.raises(sgperms.NormalizeError, match='unknown value "maybe"'):
        t.set("artist", "entity", "Asset", "", "see", "maybe")
    with pytest.raises(sgperms.TableError, match="only to field rows"):
        t.set("artist", "entity", "Asset", "", "see", "inherit")
    with pytest.raises(sgperms.TableError, match='action "create" does not apply to field rows'):
        t.set("artist", "field", "Asset", "code", "create", "yes")
    with pytest.raises(sgperms.NormalizeError, match='unknown kind "page"'):
        t.get("artist", "page", "Asset", "", "see")
    with pytest.raises(sgperms.TableError, match="cannot be a role code"):
        sgperms.PermissionTable(["note"])
    with pytest.raises(sgperms.TableError, match="appears twice"):
        sgperms.PermissionTable(["a", "a"])
    assert len(t) == 0  # nothing half-applied
    assert issubclass(sgperms.CsvError, ValueError)
    assert issubclass(sgperms.TableError, ValueError)
    assert issubclass(sgperms.NormalizeError, ValueError)


def test_to_csv_both_layouts_and_atomic_file(tmp_path):
    t = sgperms.read_csv(WIDE)
    assert t.to_csv() == WIDE
    long = t.to_csv(layout="long")
    assert long.splitlines()[0] == "role,kind,entity_type,name,action,value,note"
    assert long.splitlines()[1] == "admin,entity,Asset,,see,yes,"
    assert sgperms.read_csv(long) == t
    out = tmp_path / "out.csv"
    assert t.to_csv(out) is None
    assert out.read_bytes() == WIDE.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(ValueError, match='unknown layout "tall"'):
        t.to_csv(layout="tall")
    with pytest.raises(OSError):
        t.to_csv(tmp_path / "missing-dir" / "out.csv")


def test_targets_records_equality_and_copy():
    t = sgperms.read_csv(WIDE)
    assert t.targets()[:2] == [("entity", "Asset", "", "see"), ("entity", "Asset", "", "edit")]
    records = t.to_records()
    assert len(records) == len(t) * len(t.roles)
    assert records[3] == {
        "role": "artist",
        "kind": "entity",
        "entity_type": "Asset",
        "name": "",
        "action": "edit",
        "value": "no",
        "note": "artists edit through tasks",
    }
    c = t.copy()
    assert c == t and c is not t
    c.set("artist", "entity", "Asset", "", "see", "no")
    assert c != t
    assert t != "not a table"
    assert repr(t) == 'PermissionTable(roles=["admin", "artist"], targets=5)'


def test_to_pandas():
    pd = pytest.importorskip("pandas", reason="pandas is in the [test] extra; install it to run this")
    t = sgperms.read_csv(WIDE)
    df = t.to_pandas()
    assert list(df.columns) == ["role", "kind", "entity_type", "name", "action", "value", "note"]
    assert len(df) == 10
    assert str(df["value"].dtype) == "category"
    artist_edit = df[(df.role == "artist") & (df.entity_type == "Asset") & (df.kind == "entity")
                     & (df.action == "edit")]
    assert artist_edit["value"].tolist() == ["no"]
    assert isinstance(df, pd.DataFrame)


@pytest.mark.parametrize("text", [
    WIDE + "entity,Shot,,see,if on their project,,\"x\x01\u00e9\"\n",
    "kind,entity_type,name,action,note\nentity,Asset,,see,n\n",
    "kind,entity_type,name,action,artist,note\n",
])
def test_to_pandas_holds_the_records_as_categories_in_order_of_appearance(text):
    pd = pytest.importorskip("pandas", reason="pandas is in the [test] extra; install it to run this")
    t = sgperms.read_csv(text)
    records = t.to_records()
    df = t.to_pandas()
    columns = ["role", "kind", "entity_type", "name", "action", "value", "note"]
    assert list(df.columns) == columns and len(df) == len(records) == len(t) * len(t.roles)
    for column in columns:
        values = [r[column] for r in records]
        assert isinstance(df[column].dtype, pd.CategoricalDtype)
        assert df[column].cat.categories.tolist() == list(dict.fromkeys(values))
        assert df[column].tolist() == values


def test_to_pandas_needs_no_pyarrow():
    pytest.importorskip("pandas", reason="pandas is in the [test] extra; install it to run this")
    code = (
        "import sys\n"
        "sys.modules['pyarrow'] = None  # import pyarrow raises ImportError\n"
        "import sgperms\n"
        f"df = sgperms.read_csv({WIDE!r}).to_pandas()\n"
        "assert len(df) == 10 and str(df['value'].dtype) == 'category'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_example_file_is_canonical(studio_csv):
    t = sgperms.read_csv(studio_csv)
    assert t.to_csv() == studio_csv
    assert {"admin", "artist", "manager", "vendor"} <= set(t.roles)


def test_package_ships_types():
    pkg = pathlib.Path(sgperms.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "_core.pyi").exists()
