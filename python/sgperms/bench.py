"""`sgperms bench`: a deterministic large studio, measured in one run against
a straightforward pure-Python implementation and polars' CSV parser.

The pure-Python baseline (below, `py_read` and `py_diff`) is what a pipeline
TD would write with the csv module and dicts: honest, not sandbagged.
polars.read_csv is parse-only (no validation) and stands for the near-limit
of reading the same bytes. Timings are medians of several runs after a
warm-up; memory is the resident-size growth while the loaded table is held.
"""

from __future__ import annotations

import csv
import functools
import gc
import importlib
import os
import platform
import random
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from . import Schema, Tiers, diff, read_csv

SchemaDicts = tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]
"""ShotGrid's schema_read() and schema_entity_read() answers, arbitrary JSON."""
Target = tuple[str, str, str, str]
"""A row of the pure-Python table: kind, entity type, name, action."""
PyTable = dict[Target, dict[str, str]]
"""The pure-Python table: target -> role -> value."""


@dataclass
class Studio:
    wide: str
    long: str
    changed: str
    untidy: str
    schema: Schema
    schema_dicts: SchemaDicts
    tiers: Tiers
    roles: list[str]
    cells: int
    wide_bytes: int


def _tier_text(roles: list[str]) -> str:
    """30 roles in three tracks of ten, linked into one DAG."""
    lines = ["admins: " + roles[0], roles[0]]
    tracks = [roles[1:10], roles[10:20], roles[20:]]
    for track in tracks:
        lines.append(" > ".join(track))
    lines.append(f"{tracks[0][2]} > {tracks[1][0]}")
    lines.append(f"{tracks[1][3]} > {tracks[2][0]}")
    return "\n".join(lines) + "\n"


def generate(folder: str, *, entities: int = 250, fields: int = 150, roles: int = 30, seed: int = 7) -> Studio:
    """Write a seeded studio's wide and long CSVs (and a copy differing in 1%
    of cells) into ``folder``; return what the measurements need."""
    rng = random.Random(seed)
    codes = [f"role_{i:02d}" for i in range(roles)]
    tiers = Tiers.parse(_tier_text(codes))
    # A role's level: how many roles sit below it. Values follow the levels, as
    # in a studio that respects its tiers, with a few deliberate exceptions.
    level = {code: len(tiers.descendants(code)) if code in tiers.roles else 0 for code in codes}

    def cells(choices: list[str]) -> list[str]:
        bar = rng.randint(0, max(level.values()) + 1)
        out = []
        for code in codes:
            if rng.random() < 0.001:
                out.append(rng.choice(choices))
            elif level[code] > bar:
                out.append(choices[0])
            elif level[code] == bar:
                out.append("if on their project")
            else:
                out.append(choices[1])
        return out

    schema_read: dict[str, dict[str, Any]] = {}
    schema_entity: dict[str, dict[str, Any]] = {}
    rows: list[list[str]] = []
    for e in range(entities):
        entity = f"CustomEntity{e:03d}"
        schema_entity[entity] = {"name": {"value": f"Thing {e:03d}"}}
        count = max(5, int(rng.gauss(fields, fields / 3)))
        schema_read[entity] = {
            f"sg_field_{f:03d}": {"name": {"value": f"Field {f:03d}"}, "data_type": {"value": "text"}}
            for f in range(count)
        }
        for action in ("see", "create", "retire", "edit"):
            rows.append(["entity", entity, "", action] + cells(["yes", "no"])
                        + ["a reason, with a comma" if rng.random() < 0.01 else ""])
        for f in range(count):
            for action in ("see", "edit"):
                values = ["inherit"] * len(codes) if rng.random() < 0.7 else cells(["yes", "no"])
                rows.append(["field", entity, f"sg_field_{f:03d}", action] + values
                            + ["reviewed" if rng.random() < 0.01 else ""])
    header = ["kind", "entity_type", "name", "action"] + codes + ["note"]
    wide = os.path.join(folder, "studio.csv")
    with open(wide, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    table = read_csv(wide)
    long = os.path.join(folder, "studio-long.csv")
    table.to_csv(long, layout="long")
    changed_rows = [list(r) for r in rows]
    for r in changed_rows:
        for i in range(4, 4 + len(codes)):
            if rng.random() < 0.01:
                r[i] = "no" if r[i] != "no" else "yes"
    changed = os.path.join(folder, "studio-changed.csv")
    with open(changed, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        w.writerows(changed_rows)
    # The same targets as a table looks the day its tier file is first
    # written: values at random, whatever the tiers say.
    untidy = os.path.join(folder, "studio-untidy.csv")
    entity_values = ["yes", "no", "if on their project"]
    field_values = entity_values + ["inherit"]
    with open(untidy, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            choices = field_values if r[0] == "field" else entity_values
            w.writerow(r[:4] + [rng.choice(choices) for _ in codes] + r[-1:])
    return Studio(wide, long, changed, untidy, Schema.from_shotgun_dicts(schema_read, schema_entity),
                  (schema_read, schema_entity), tiers, codes,
                  len(rows) * len(codes), os.path.getsize(wide))


# -- the pure-Python baseline ----------------------------------------------------------

PY_VALUES = {"yes": "yes", "y": "yes", "true": "yes", "1": "yes", "x": "yes", "allow": "yes",
             "no": "no", "n": "no", "false": "no", "0": "no", "-": "no", "deny": "no",
             "inherit": "inherit", "default": "inherit", "": ""}


def py_read(path: str, schema_dicts: SchemaDicts) -> PyTable:
    """Read and normalise a wide CSV with the csv module and dicts."""
    schema_read, schema_entity = schema_dicts
    entities: dict[str, str] = {}
    for code, info in schema_entity.items():
        entities[code] = code
        entities[code.lower()] = code
        entities[info["name"]["value"].lower()] = code
    fields = {e: {**{c: c for c in fs}, **{i["name"]["value"].lower(): c for c, i in fs.items()}}
              for e, fs in schema_read.items()}
    table: PyTable = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        roles = header[4:-1]
        for line, row in enumerate(reader, start=2):
            kind, entity, name, action = (v.strip().lower() if i in (0, 3) else v.strip()
                                          for i, v in enumerate(row[:4]))
            found = entities.get(entity) or entities.get(entity.lower())
            if found is None:
                raise ValueError(f"row {line}: unknown entity type {row[1]!r}")
            entity = found
            if kind == "field":
                found = fields[entity].get(name) or fields[entity].get(name.lower())
                if found is None:
                    raise ValueError(f"row {line}: unknown field {row[2]!r}")
                name = found
            cells = {}
            for role, value in zip(roles, row[4:-1]):
                text = value.strip()
                canonical = PY_VALUES.get(text.lower())
                if canonical is None:
                    if not text.lower().startswith("if "):
                        raise ValueError(f"row {line}, column {role}: unknown value {value!r}")
                    canonical = "if " + text[3:].strip()
                cells[role] = canonical
            table[(kind, entity, name, action)] = cells
    return table


def py_diff(old: PyTable, new: PyTable) -> list[tuple[str, Target, str, str]]:
    """Cells that differ between two tables read by ``py_read``: (role, target, before, after)."""
    changes = []
    for target, cells in new.items():
        before = old.get(target, {})
        for role, value in cells.items():
            if before.get(role, "") != value:
                changes.append((role, target, before.get(role, ""), value))
    for target in old.keys() - new.keys():
        changes.append(("", target, "removed", ""))
    return changes


# -- measuring ------------------------------------------------------------------------


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def median_time(fn: Callable[[], Any], runs: int) -> float:
    """The median wall time of ``runs`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass
class Row:
    operation: str
    sgperms: float
    python: float | None = None
    polars: float | None = None
    target: str = ""
    result: str = ""


def chain(roles: int = 10_000) -> tuple[str, Any]:
    """A tier file chaining ``roles`` roles, and a one-row table whose values
    alternate no, yes down the chain: every other edge misses a permission."""
    codes = [f"r{i}" for i in range(roles)]
    header = ",".join(["kind", "entity_type", "name", "action", *codes, "note"])
    row = ",".join(["entity", "Shot", "", "edit", *("no" if i % 2 == 0 else "yes" for i in range(roles)), ""])
    return " > ".join(codes) + "\n", read_csv(f"{header}\n{row}\n".encode())


def _parse_and_check(tier_text: str, table: Any) -> int:
    """Parse a tier file and check a table against it: how many violations."""
    return _count_violations(Tiers.parse(tier_text), table)


def measure(studio: Studio, runs: int) -> tuple[list[Row], dict[str, float]]:
    """Every measurement, in one process. Returns the rows and memory figures."""
    rows = _timings(studio, runs)  # the tables it loads are gone when it returns
    loaded = _table_memory(studio)
    tracemalloc.start()
    held_py = py_read(studio.wide, studio.schema_dicts)
    py_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del held_py
    return rows, {"sgperms_table": loaded, "python_table_peak": py_peak, "wide_csv": studio.wide_bytes}


def _count_violations(tiers: Tiers, table: Any) -> int:
    """The tier check with its result: how many violations it found."""
    return len(tiers.check(table))


def _timings(studio: Studio, runs: int) -> list[Row]:
    polars: ModuleType | None
    try:
        polars = importlib.import_module("polars")
    except ImportError:
        polars = None
    rows: list[Row] = []
    py_table = py_read(studio.wide, studio.schema_dicts)
    polars_read = (lambda: polars.read_csv(studio.wide)) if polars else None
    rows.append(Row("read+normalise wide (schema)",
                    median_time(lambda: read_csv(studio.wide, schema=studio.schema), runs),
                    median_time(lambda: py_read(studio.wide, studio.schema_dicts), runs),
                    median_time(polars_read, runs) if polars_read else None,
                    ">= 30x Python, <= polars"))
    rows.append(Row("read+normalise long (schema)",
                    median_time(lambda: read_csv(studio.long, schema=studio.schema), runs),
                    polars=median_time(lambda: polars.read_csv(studio.long), runs) if polars else None,
                    target="<= 2x polars"))
    table = read_csv(studio.wide, schema=studio.schema)
    rows.append(Row("write wide", median_time(lambda: table.to_csv(), runs)))
    rows.append(Row("write long", median_time(lambda: table.to_csv(layout="long"), runs)))
    changed = read_csv(studio.changed, schema=studio.schema)
    py_changed = py_read(studio.changed, studio.schema_dicts)
    rows.append(Row("diff (1% of cells differ)", median_time(lambda: diff(table, changed), runs),
                    median_time(lambda: py_diff(py_table, py_changed), runs), target=">= 30x Python"))
    untidy = read_csv(studio.untidy, schema=studio.schema)
    for label, checked in (("tier-respecting", table), ("untidy: random values", untidy)):
        rows.append(Row(f"tiers check, {label} (30-role DAG)",
                        median_time(functools.partial(_count_violations, studio.tiers, checked), runs),
                        target="< 0.2 s", result=f"{_count_violations(studio.tiers, checked):,} violations"))
    chain_text, chain_table = chain()
    rows.append(Row("tiers parse + check, 10,000-role chain x 1 row",
                    median_time(functools.partial(_parse_and_check, chain_text, chain_table), runs),
                    target="< 2 s", result=f"{_parse_and_check(chain_text, chain_table):,} violations"))
    lower = studio.roles[-1]
    rows.append(Row("tiers grant", median_time(
        lambda: studio.tiers.grant(table, lower, "entity", "CustomEntity000", "", "create"), runs)))
    try:
        import pandas  # noqa: F401
        rows.append(Row("to_pandas()", median_time(lambda: table.to_pandas(), max(1, runs // 2)), target="< 0.3 s"))
    except ImportError:
        pass
    if polars:
        rows.append(Row("polars.DataFrame(table) (Arrow stream)", median_time(lambda: polars.DataFrame(table), runs),
                        target="< 0.15 s"))
    return rows


# -- history: a year of nightly commits --------------------------------------------------

#: When the bench's history starts: 2026-01-01, each night committed at 02:00 UTC.
NIGHT_ZERO = 1767225600 + 7200
#: Cells a night changes: a studio's day of permission edits.
NIGHTLY_EDITS = 20


def nightly_repo(studio: Studio, folder: str, nights: int, *, seed: int = 11) -> str:
    """A git repository in ``folder`` whose main branch commits
    ``snap/permissions.csv`` (the studio's wide CSV) ``nights`` times, a day
    apart, each night flipping up to ``NIGHTLY_EDITS`` yes/no cells. Written
    through one ``git fast-import`` (committing night by night would take
    minutes). Returns the snapshot folder's path."""
    import subprocess

    with open(studio.wide, "rb") as f:
        lines = f.read().split(b"\n")
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", folder], check=True)
    importer = subprocess.Popen(["git", "-c", "core.compression=1", "fast-import", "--quiet"], cwd=folder,
                                stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for night in range(nights):
        if night:
            _edit_night(lines, rng)
        blob = b"\n".join(lines)
        importer.stdin.write(b"blob\nmark :%d\ndata %d\n%s\n" % (night + 1, len(blob), blob))
        importer.stdin.write(b"commit refs/heads/main\ncommitter cron <cron@studio.invalid> %d +0000\n"
                             b"data 17\nnightly snapshot\n\nM 100644 :%d snap/permissions.csv\n\n"
                             % (NIGHT_ZERO + night * 86400, night + 1))
    importer.stdin.close()
    if importer.wait() != 0:
        raise RuntimeError("git fast-import failed building the bench's history")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=folder, check=True)
    return os.path.join(folder, "snap")


def _edit_night(lines: list[bytes], rng: random.Random) -> None:
    """Flips up to ``NIGHTLY_EDITS`` yes/no cells of unquoted rows of a wide CSV's lines, in place."""
    for _ in range(NIGHTLY_EDITS):
        i = rng.randrange(1, len(lines) - 1)
        if b'"' in lines[i]:
            continue
        fields = lines[i].split(b",")
        j = rng.randrange(4, len(fields) - 1)
        if fields[j] in (b"yes", b"no"):
            fields[j] = b"no" if fields[j] == b"yes" else b"yes"
            lines[i] = b",".join(fields)


def py_history(snap: str, schema_dicts: SchemaDicts) -> int:
    """The pure-Python baseline of ``sgperms log``: ``git log`` for the
    commits, ``git show`` per version, ``py_read`` and ``py_diff`` each
    consecutive pair. Returns how many cells changed."""
    import subprocess

    top = os.path.dirname(snap)
    path = "snap/permissions.csv"
    commits = subprocess.run(["git", "log", "--reverse", "--format=%H", "--", path], cwd=top, check=True,
                             capture_output=True, text=True).stdout.split()
    previous, changed = None, 0
    for commit in commits:
        data = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=top, check=True, capture_output=True).stdout
        with tempfile.NamedTemporaryFile(suffix=".csv") as f:
            f.write(data)
            f.flush()
            table = py_read(f.name, schema_dicts)
        if previous is not None:
            changed += len(py_diff(previous, table))
        previous = table
    return changed


def _history_rows(studio: Studio, folder: str, nights: tuple[int, int], progress: Any) -> list[Row]:
    """``sgperms.log`` over ``nights[0]`` commits (beside the pure-Python
    baseline) and over ``nights[1]``, each timed once: a year takes long
    enough that one run says it."""
    from .history import log

    rows = []
    for count in nights:
        if progress:
            progress(f"committing {count} nights of the studio into git")
        snap = nightly_repo(studio, os.path.join(folder, f"history-{count}"), count)
        start = time.perf_counter()
        found = log(snap)
        took = time.perf_counter() - start
        python = None
        if count == nights[0]:
            start = time.perf_counter()
            py_history(snap, studio.schema_dicts)
            python = time.perf_counter() - start
        rows.append(Row(f"log: {count} nightly commits (one run)", took, python,
                        target="well under 20 s" if count == nights[0] else "reported",
                        result=f"{len(found):,} changes"))
    return rows


_MEMORY_PROBE = """
import sys, gc, sgperms
from sgperms.bench import _rss
schema = sgperms.Schema.from_json(open(sys.argv[2], encoding="utf-8").read())
data = open(sys.argv[1], "rb").read()
gc.collect()
before = _rss()
table = sgperms.read_csv(data, schema=schema)
gc.collect()
print(_rss() - before)
"""


def _table_memory(studio: Studio) -> int:
    """Resident-size growth of a fresh process while it holds the loaded table
    (in this process, memory freed by earlier measurements would hide it)."""
    import subprocess
    import sys

    schema_path = studio.wide + ".schema.json"
    with open(schema_path, "w", encoding="utf-8") as f:
        f.write(studio.schema.to_json())
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, studio.wide, schema_path],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render(rows: list[Row], memory: dict[str, float], studio: Studio) -> str:
    """The results as a Markdown table, with the machine they ran on."""
    lines = [
        f"studio: {studio.cells:,} cells, {len(studio.roles)} roles, wide CSV {studio.wide_bytes / 1e6:.1f} MB; "
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
        "| operation | sgperms | pure Python | polars (parse only) | vs Python | vs polars | target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        vs_py = f"{r.python / r.sgperms:.1f}x faster" if r.python else ""
        vs_pl = f"{r.sgperms / r.polars:.1f}x polars' time" if r.polars else ""
        lines.append(f"| {r.operation} | {_fmt(r.sgperms)} | {_fmt(r.python)} | {_fmt(r.polars)} "
                     f"| {vs_py} | {vs_pl} | {r.target} | {r.result} |")
    mb = 1e6
    lines += [
        "",
        f"memory: loaded sgperms table {memory['sgperms_table'] / mb:.1f} MB "
        f"({memory['sgperms_table'] / memory['wide_csv']:.2f}x the wide CSV; target < 1.5x); "
        f"pure-Python dict table peak {memory['python_table_peak'] / mb:.1f} MB",
    ]
    return "\n".join(lines)


def run(*, smoke: bool = False, runs: int = 5, folder: str | None = None, progress: Any = None) -> str:
    """Generate the studio (a tiny one with ``smoke``), measure, and return the report."""
    with tempfile.TemporaryDirectory(prefix="sgperms-bench-") as tmp:
        where = folder or tmp
        if progress:
            progress("generating the studio")
        studio = generate(where, entities=8, fields=6, roles=30) if smoke else generate(where)
        if progress:
            progress(f"measuring {studio.cells:,} cells, {1 if smoke else runs} run(s) each after a warm-up")
        rows, memory = measure(studio, 1 if smoke else runs)
        rows += _history_rows(studio, where, (3, 5) if smoke else (20, 365), progress)
        return render(rows, memory, studio)
