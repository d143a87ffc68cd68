"""Arrow out: PermissionTable, Changes and Violations as Arrow streams (the
PyCapsule interface), read by pyarrow, polars and DuckDB."""

import pytest

import sgperms

pa = pytest.importorskip("pyarrow", reason="pyarrow is in the [test] extra; install it to run this")
pl = pytest.importorskip("polars", reason="polars is in the [test] extra; install it to run this")
duckdb = pytest.importorskip("duckdb", reason="duckdb is in the [test] extra; install it to run this")

KEYS = ["kind", "entity_type", "name", "action"]
DICTIONARY = pa.dictionary(pa.int32(), pa.string())

WIDE = (
    "kind,entity_type,name,action,admin,artist,vendor,note\n"
    "entity,Asset,,see,yes,yes,,\n"
    "entity,Asset,,edit,yes,no,no,\"artists edit, through tasks \u00e9\u2603\"\n"
    "field,Asset,description,see,inherit,inherit,,\"two\nlines \x01\x1b[31m \u202e\"\n"
    "field,Asset,sg_status_list,edit,inherit,if assigned to a task on the asset,if own,\n"
    "entity,Shot,,see,if on their project,,,\n"
)


def tables():
    """Tables with conditions, unknowns, inherit, notes with unicode and
    controls; one with no rows, one with no roles, one with neither."""
    return {
        "full": sgperms.read_csv(WIDE),
        "no_rows": sgperms.PermissionTable(["admin", "artist"]),
        "no_roles": sgperms.read_csv("kind,entity_type,name,action,note\n"
                                     "entity,Shot,,see,\nentity,Asset,,see,n\u00e9\n"),
        "empty": sgperms.PermissionTable(),
    }


def expected_rows(table):
    """The table's own keys, cells and notes, wide, in canonical order."""
    return [
        {
            **dict(zip(KEYS, target)),
            **{role: table.get(role, *target) for role in table.roles},
            "note": table.note(*target),
        }
        for target in table.targets()
    ]


class Capsule:
    """Hands one capsule already made to pyarrow's public reader."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self.capsule


def read(capsule):
    return pa.RecordBatchReader.from_stream(Capsule(capsule)).read_all()


def columns(table):
    return [*KEYS, *table.roles, "note"]


@pytest.mark.parametrize("name", ["full", "no_rows", "no_roles", "empty"])
def test_pyarrow_reads_the_wide_layout_dictionary_encoded(name):
    table = tables()[name]
    arrow = pa.table(table)
    assert arrow.column_names == columns(table)
    for field in arrow.schema:
        assert not field.nullable
        assert field.type == (pa.string() if field.name == "note" else DICTIONARY), field.name
    assert arrow.to_pylist() == expected_rows(table)


def test_the_full_table_has_what_the_test_means():
    rows = expected_rows(tables()["full"])
    values = {row[role] for row in rows for role in ["admin", "artist", "vendor"]}
    assert {"", "yes", "no", "inherit", "if own", "if on their project"} <= values
    assert any("\x01\x1b[31m" in row["note"] and "\n" in row["note"] for row in rows)


@pytest.mark.parametrize("name", ["full", "no_rows", "no_roles", "empty"])
def test_polars_reads_the_same_values_as_categoricals(name):
    table = tables()[name]
    frame = pl.DataFrame(table)
    assert frame.columns == columns(table)
    assert frame.to_dicts() == expected_rows(table)
    for column in columns(table):
        assert frame.schema[column] == (pl.String if column == "note" else pl.Categorical), column


@pytest.mark.parametrize("name", ["full", "no_rows", "no_roles"])
def test_duckdb_queries_the_table(name):
    table = tables()[name]
    quoted = ", ".join(f'"{c}"' for c in columns(table))
    table_ = table  # noqa: F841 (DuckDB's replacement scan finds it by name; "table" is a keyword)
    got = duckdb.sql(f"select {quoted} from table_").fetchall()
    assert got == [tuple(row.values()) for row in expected_rows(table)]


def test_duckdb_filters_on_dictionary_columns():
    perms = sgperms.read_csv(WIDE)  # noqa: F841 (found by DuckDB's replacement scan)
    got = duckdb.sql("select entity_type, action, artist from perms where artist like 'if %'").fetchall()
    assert got == [("Asset", "edit", "if assigned to a task on the asset")]


def test_each_call_gives_a_new_stream():
    table = sgperms.read_csv(WIDE)
    first, second = table.__arrow_c_stream__(), table.__arrow_c_stream__()
    assert first is not second
    assert read(second).to_pylist() == expected_rows(table)
    assert pa.table(table) == pa.table(table)
    assert pl.DataFrame(table).equals(pl.DataFrame(table))
    del first  # a stream nobody read is released with its capsule


def test_a_requested_schema_is_answered_with_the_tables_own():
    table = sgperms.read_csv(WIDE)
    plain = pa.schema([(c, pa.string()) for c in columns(table)])
    capsule = table.__arrow_c_stream__(plain.__arrow_c_schema__())
    assert read(capsule).schema == pa.table(table).schema
    assert table.__arrow_c_stream__(requested_schema=None) is not None


def test_the_stream_is_a_snapshot_of_the_table():
    table = sgperms.read_csv(WIDE)
    capsule = table.__arrow_c_stream__()
    before = expected_rows(table)
    table.set("artist", "entity", "Shot", "", "see", "no")
    assert read(capsule).to_pylist() == before
    assert pa.table(table).to_pylist() == expected_rows(table)


# -- Changes ---------------------------------------------------------------


def changes_examples():
    old = sgperms.read_csv(WIDE)
    new = old.copy()
    new.set("artist", "entity", "Asset", "", "see", "no", note="now \u2603\x07")
    new.set("vendor", "entity", "Shot", "", "see", "if own")
    new.set("admin", "entity", "Sequence", "", "see", "yes")
    return {
        "diff": sgperms.diff(old, new),
        "compare_roles": old.compare_roles("admin", "artist"),
        "none": sgperms.diff(old, old),
    }


CHANGE_COLUMNS = ["change", "role", *KEYS, "before", "after", "note"]


def assert_arrow_agrees(result, records, columns, plain):
    """pyarrow, polars and DuckDB read ``result`` as ``records``: the
    ``columns`` in order, each dictionary-encoded but those in ``plain``
    (name -> type); a second stream equals the first."""
    arrow = pa.table(result)
    assert arrow.column_names == columns
    for field in arrow.schema:
        assert field.type == plain.get(field.name, DICTIONARY), field.name
    assert arrow.to_pylist() == records
    assert pl.DataFrame(result).to_dicts() == records
    result_ = result  # noqa: F841 (found by DuckDB's replacement scan)
    assert duckdb.sql("select * from result_").fetchall() == [tuple(r.values()) for r in records]
    assert pa.table(result) == arrow


@pytest.mark.parametrize("name", ["diff", "compare_roles", "none"])
def test_changes_as_arrow(name):
    changes = changes_examples()[name]
    assert_arrow_agrees(changes, list(changes), CHANGE_COLUMNS, {"note": pa.string()})


def test_changes_examples_are_not_empty():
    examples = changes_examples()
    assert len(examples["diff"]) >= 3 and len(examples["compare_roles"]) >= 1 and not examples["none"]


# -- Violations -------------------------------------------------------------

VIOLATION_COLUMNS = ["kind", "entity_type", "name", "action", "upper", "upper_value", "lower", "lower_value",
                     "unknown"]


def violations_examples():
    tiers = sgperms.Tiers.parse("vendor > artist > admin")
    table = sgperms.read_csv(WIDE)
    return {
        "known": tiers.check(table),
        "unknown": tiers.check(table, unknown=True),
        "none": tiers.check(sgperms.PermissionTable(["admin", "artist", "vendor"])),
    }


def violation_records(violations):
    return violations.to_pandas().to_dict("records")


@pytest.mark.parametrize("name", ["known", "unknown", "none"])
def test_violations_as_arrow(name):
    violations = violations_examples()[name]
    records = [
        {**dict(zip(KEYS, v.target)), "upper": v.upper, "upper_value": v.upper_value, "lower": v.lower,
         "lower_value": v.lower_value, "unknown": v.unknown}
        for v in violations
    ]
    assert_arrow_agrees(violations, records, VIOLATION_COLUMNS, {"unknown": pa.bool_()})
    assert violation_records(violations) == records


def test_violations_examples_are_not_empty():
    examples = violations_examples()
    assert len(examples["known"]) >= 1
    assert any(v.unknown for v in examples["unknown"]) and not examples["none"]
