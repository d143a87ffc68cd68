"""``sgperms tiers check|grant|revoke``: role tiers kept beside the site
(``sgperms.Tiers``): grants go up, revocations go down, and check finds
lower tiers allowed more than higher ones."""

from __future__ import annotations

import argparse
import os
import sys

from .. import SgpermsError, targets
from ._files import STDIN, named, one_stdin, read_table_with_layout, read_tiers
from ._output import one_line_errors, write_data
from ._parsers import Commands, add_command
from .status import ExitStatus

EPILOG = """\
A tier file lists chains of roles, higher first, one per line:
  admins: admin                 # roles that may assign any role
  admin                         # a role alone on a line is isolated
  it_support > pipeline_td > tech_artist
  supervisor > lead > artist
  producer > supervisor         # roles may sit in several chains (a DAG)

examples:
  sgperms tiers check tiers.txt permissions.csv
  sgperms tiers grant tiers.txt permissions.csv --role coordinator --target entity:Asset::create
  sgperms tiers revoke tiers.txt permissions.csv --role lead --target entity:Version::retire --plan plan.csv --dry-run
  cat permissions.csv | sgperms tiers grant tiers.txt - --role lead --target entity:Shot::retire > granted.csv

TIERS or PERMS.csv (not both) may be - to read stdin; a table read from stdin is
written to stdout (and the plan to stderr) unless -o says where.
grant: the role and every role above it get at least the value; revoke: the role
and every role below it get "no"; check: every role allows at least what the
roles below it allow (effective values: a field follows its entity).
exit status: check 1 when it finds missed permissions; 2 on errors.
"""


def add_parser(commands: Commands) -> None:
    tiers = commands.add_parser(
        "tiers",
        help="check, grant and revoke along role tiers (supervisor > lead > artist)",
        description="Role tiers kept beside the site: grants go up, revocations go down, and\n"
        "check finds lower tiers allowed more than higher ones (missed permissions).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = tiers.add_subparsers(dest="tier_command", metavar="ACTION", required=True)
    check_cmd = add_command(
        actions, "check", help="list missed permissions; exit 1 if any",
        description="List missed permissions: pairs where a lower tier is allowed more than a higher one.",
        epilog=EPILOG, run=check, quiet="no summary line",
    )
    _add_files(check_cmd)
    check_cmd.add_argument(
        "--unknown", action="store_true", help="also list pairs that cannot be compared (a value is unknown)"
    )
    changes = (
        ("grant", "grant at a role and every role above it"),
        ("revoke", "revoke at a role and every role below it"),
    )
    for name, helptext in changes:
        change_cmd = add_command(
            actions, name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".", epilog=EPILOG,
            run=change, quiet="no summary line",
        )
        _add_files(change_cmd, " (wide or long); rewritten in place unless -o")
        change_cmd.add_argument("--role", required=True, help="the role code to start from")
        change_cmd.add_argument(
            "--target", required=True, metavar="KIND:ENTITY:NAME:ACTION", help="e.g. entity:Asset::create"
        )
        if name == "grant":
            change_cmd.add_argument("--value", default="yes", help='yes (default) or "if <condition>"')
        change_cmd.add_argument("-o", "--output", metavar="OUT", help="write the changed table to OUT ('-' for stdout)")
        change_cmd.add_argument(
            "--plan", metavar="PLAN.csv", help="also write the plan (role, target, before, after, why)"
        )
        change_cmd.add_argument(
            "--dry-run", action="store_true", help="print (and with --plan, write) the plan; change nothing"
        )
        change_cmd.set_defaults(command_name=name)


def _add_files(parser: argparse.ArgumentParser, perms: str = " (wide or long)") -> None:
    parser.add_argument("tiers", metavar="TIERS", help="the tier file ('-' for stdin)")
    parser.add_argument(
        "perms", metavar="PERMS.csv", help=f"a permission table or a snapshot folder{perms} ('-' for stdin)"
    )


@one_line_errors
def check(args: argparse.Namespace) -> ExitStatus:
    one_stdin(args, tiers="TIERS", perms="PERMS.csv")
    tiers = read_tiers(args.tiers)
    table, _ = read_table_with_layout(args.perms)
    found = named(args.tiers, lambda: tiers.check(table, unknown=args.unknown))
    if table.known_cells() == 0 and not args.quiet:
        print("nothing could be checked: every value is unknown (fill in the table, or probe the site)",
              file=sys.stderr)
    weaker = [v for v in found if not v.unknown]
    for violation in found:
        print(violation)
    if not args.quiet:
        unknown = len(found) - len(weaker)
        extra = f", {unknown} pairs not comparable (a value is unknown)" if args.unknown else ""
        print(f"{len(weaker)} missed permission(s): a lower tier allowed more than a higher one{extra}",
              file=sys.stderr)
    return ExitStatus.FINDINGS if weaker else ExitStatus.OK


@one_line_errors
def change(args: argparse.Namespace) -> ExitStatus:
    """grant or revoke (``args.command_name``)."""
    one_stdin(args, tiers="TIERS", perms="PERMS.csv")
    tiers = read_tiers(args.tiers)
    table, layout = read_table_with_layout(args.perms)
    try:
        typed = targets.parse(args.target)
    except ValueError as e:
        raise ValueError(f"--target {e}") from None
    try:
        target = targets.resolve(table, typed)
    except SgpermsError:  # a name or value that does not resolve says so itself
        raise
    except ValueError as e:  # not a row of the table
        raise ValueError(f"--target: {e}") from None
    if args.command_name == "grant":
        plan = named(args.tiers, lambda: tiers.grant(table, args.role, *target, value=args.value))
    else:
        plan = named(args.tiers, lambda: tiers.revoke(table, args.role, *target))
    # A table going to stdout keeps it to itself: the plan goes to stderr.
    to_stdout = not args.dry_run and (args.output == STDIN or (args.perms == STDIN and not args.output))
    for step in plan:
        print(f"{step.role}: {':'.join(step.target)} {step.before or 'unknown'} -> {step.after} ({step.why})",
              file=sys.stderr if to_stdout else sys.stdout)
    if args.plan:
        plan.to_csv(args.plan)
    if to_stdout:
        write_data(plan.apply(table).to_csv(layout=layout))
    elif not args.dry_run and plan:
        inside = os.path.join(args.perms, "permissions.csv") if os.path.isdir(args.perms) else args.perms
        destination = args.output or inside
        plan.apply(table).to_csv(destination, layout=layout)
    if not args.quiet:
        where = "stdout" if to_stdout else args.output or args.perms
        written = "nothing written (dry run)" if args.dry_run else f"written to {where}"
        print(f"{len(plan)} change(s); " + (written if plan else "nothing to change"), file=sys.stderr)
    return ExitStatus.OK
