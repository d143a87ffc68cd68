"""``sgperms compare``: where one role differs from another in one
permission table (``PermissionTable.compare_roles``)."""

from __future__ import annotations

import argparse

from ._files import read_table
from ._output import one_line_errors
from ._parsers import Commands, add_command
from .diff import FORMATS, show
from .status import ExitStatus

EPILOG = """\
examples:
  sgperms compare permissions.csv lead artist
  sgperms compare sgperms-demo/ lead artist --effective --format md
  cat permissions.csv | sgperms compare - lead artist

PERMS.csv may be - to read stdin. Each line reads ROLE_A's value -> ROLE_B's.
formats: text (default), md, csv, json (as for diff; comparing two roles
changes nothing, so there is no click plan).
exit status: 0 the roles agree, 1 they differ, 2 error.
"""


def add_parser(commands: Commands) -> None:
    parser = add_command(
        commands, "compare",
        help="how one role differs from another",
        description="Show where ROLE_B differs from ROLE_A in one permission table.",
        epilog=EPILOG, run=run, quiet="print nothing: the exit status says whether they differ",
    )
    parser.add_argument("perms", metavar="PERMS.csv", help="a permission CSV or a snapshot folder ('-' for stdin)")
    parser.add_argument("role_a", metavar="ROLE_A")
    parser.add_argument("role_b", metavar="ROLE_B")
    parser.add_argument(
        "--effective", action="store_true", help="compare effective values (a field follows its entity)"
    )
    parser.add_argument("--format", choices=[f for f in FORMATS if f != "plan"], default="text",
                        help="output format (default text)")


@one_line_errors
def run(args: argparse.Namespace) -> ExitStatus:
    changes = read_table(args.perms).compare_roles(args.role_a, args.role_b, effective=args.effective)
    return show(args, changes, args.perms)
