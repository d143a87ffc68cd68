"""``sgperms bench``: sgperms timed on a generated 2-million-cell studio
against pure Python and polars (``sgperms.bench.run``)."""

from __future__ import annotations

import argparse

from ._output import progress
from ._parsers import Commands, add_command
from .status import ExitStatus

EPILOG = """\
examples:
  sgperms bench                    the full studio, 5 runs a measurement (minutes)
  sgperms bench --smoke            a tiny studio once (CI runs it so the benchmark never rots)
  sgperms bench --runs 3 -q        3 runs, no progress lines

polars is optional: pip install 'sgperms[bench]'.
"""


def add_parser(commands: Commands) -> None:
    bench = add_command(
        commands, "bench",
        help="measure sgperms on a generated 2-million-cell studio against pure Python and polars",
        description="Generate a seeded studio (250 entity types, ~150 fields each, 30 roles in a tier\n"
        "DAG) and time read, write, diff, tiers check, grant and to_pandas() against a pure-Python\n"
        "implementation and polars' CSV parser, in one run. Prints a Markdown table.",
        epilog=EPILOG, run=run, quiet="no progress lines; only the table",
    )
    bench.add_argument("--smoke", action="store_true", help="a tiny studio, one run")
    bench.add_argument("--runs", type=int, default=5, help="runs per measurement after a warm-up (default 5)")


def run(args: argparse.Namespace) -> ExitStatus:
    from .. import bench

    print(bench.run(smoke=args.smoke, runs=args.runs, progress=progress(args)))
    return ExitStatus.OK
