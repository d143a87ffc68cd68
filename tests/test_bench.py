"""The benchmark's smoke mode, so it never rots (no timing is asserted), and
the pure-Python baseline gives the same answers as sgperms."""


import sgperms
from sgperms import bench

from conftest import run_cli


def test_smoke_run_measures_every_operation():
    r = run_cli("bench", "--smoke")
    assert r.returncode == 0, r.stderr
    for operation in ("read+normalise wide (schema)", "read+normalise long (schema)", "write wide", "write long",
                      "diff (1% of cells differ)", "tiers check, tier-respecting (30-role DAG)",
                      "tiers check, untidy: random values (30-role DAG)",
                      "tiers parse + check, 10,000-role chain x 1 row", "tiers grant", "to_pandas()"):
        assert f"| {operation} |" in r.stdout, operation
    assert "memory: loaded sgperms table" in r.stdout and "x faster" in r.stdout
    # The chain's one row misses a permission on every other edge, once each.
    assert "| 5,000 violations |" in r.stdout


def test_the_untidy_studio_breaks_its_tiers(tmp_path):
    studio = bench.generate(str(tmp_path), entities=4, fields=5, roles=30)
    untidy = sgperms.read_csv(studio.untidy, schema=studio.schema)
    tidy = sgperms.read_csv(studio.wide, schema=studio.schema)
    assert len(untidy) == len(tidy)
    assert len(studio.tiers.check(untidy)) > len(studio.tiers.check(tidy))


def test_the_baseline_is_honest(tmp_path):
    studio = bench.generate(str(tmp_path), entities=6, fields=5, roles=30)
    assert studio.tiers.roles[0] == "role_00" and len(studio.roles) == 30
    python = bench.py_read(studio.wide, studio.schema_dicts)
    table = sgperms.read_csv(studio.wide, schema=studio.schema)
    assert len(python) == len(table)
    for target, cells in python.items():
        for role, value in cells.items():
            assert table.get(role, *target) == value
    changed = sgperms.read_csv(studio.changed, schema=studio.schema)
    py_changes = bench.py_diff(python, bench.py_read(studio.changed, studio.schema_dicts))
    assert len(py_changes) == len(sgperms.diff(table, changed)) > 0
