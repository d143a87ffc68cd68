"""``sgperms audit``: roles that can make themselves admin, and, with
tiers, roles allowed more than every role above them (``sgperms.audit``)."""

from __future__ import annotations

import argparse
import sys

from .. import audit, targets
from ._files import one_stdin, read_table, read_tiers
from ._output import one_line_errors
from ._parsers import Commands, add_command
from .status import ExitStatus

EPILOG = """\
examples:
  sgperms audit permissions.csv
  sgperms audit sgperms-demo/ --tiers sgperms-demo/tiers.txt
  cat permissions.csv | sgperms audit - --tiers tiers.txt

PERMS.csv or TIERS (not both) may be - to read stdin.
exit status: 0 no finding, 1 findings, 2 error.
"""


def add_parser(commands: Commands) -> None:
    parser = add_command(
        commands, "audit",
        help="find roles that can make themselves admin, and missed permissions",
        description="Find non-admin roles that can edit people's roles (HumanUser.permission_rule_set)\n"
        "or the roles themselves, and, with --tiers, roles allowed more than every role above them.",
        epilog=EPILOG, run=run, quiet="no summary line",
    )
    parser.add_argument(
        "perms", metavar="PERMS.csv", help="a permission table (wide or long) or a snapshot folder ('-' for stdin)"
    )
    parser.add_argument(
        "--tiers", metavar="TIERS", help="the tier file (its admins: line names the admin roles; '-' for stdin)"
    )


@one_line_errors
def run(args: argparse.Namespace) -> ExitStatus:
    one_stdin(args, perms="PERMS.csv", tiers="TIERS")
    tiers = read_tiers(args.tiers) if args.tiers else None
    table = read_table(args.perms)
    findings = audit(table, tiers)
    for finding in findings:
        print(finding)
    if not args.quiet:
        unchecked = targets.unchecked_elevation(table)
        if unchecked:
            print("some roles could not be checked for self-elevation: "
                  + ", ".join(":".join(t) for t in unchecked) + " is unknown for them", file=sys.stderr)
        print(f"{len(findings)} finding(s)", file=sys.stderr)
    return ExitStatus.FINDINGS if findings else ExitStatus.OK
