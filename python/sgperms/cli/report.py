"""``sgperms report``: "what am I allowed to do?" as one role's page
(Markdown or HTML) or an HTML site of every role (``sgperms.role_report``,
``sgperms.write_site``), with what the snapshot folder knows."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

from .. import role_report, write_site
from ..output import write_atomic
from ..reports import stale_pages
from ..snapshot import read_roles, read_schema, read_users, report_context
from ._files import STDIN, one_stdin, read_table, read_tiers, side_files
from ._output import one_line_errors
from ._parsers import Commands, add_command
from .status import ExitStatus

EPILOG = """\
examples:
  sgperms report sgperms-demo/permissions.csv --role artist -o artist.md
  sgperms report sgperms-demo/permissions.csv --all -o site/
  sgperms report permissions.csv --all --tiers tiers.txt --users users.csv -o site/
  sgperms report permissions.csv --role artist --tiers tiers.txt -o artist.html
  cat permissions.csv | sgperms report - --role artist --roles roles.csv -o -

PERMS.csv may be - to read stdin (then only the --users, --roles and --schema
given are used).
exit status: 0 written, 2 error.
"""


def add_parser(commands: Commands) -> None:
    report = add_command(
        commands, "report",
        help="\"what am I allowed to do?\": a role's page, or an HTML site of every role",
        description="Write one role's page (Markdown or HTML, by the extension of -o) or, with --all,\n"
        "a self-contained HTML site: an index, one page per role and a filterable role matrix.\n"
        "In a snapshot folder, roles.csv, users.csv, schema.json, snapshot.json and tiers.txt beside PERMS.csv\n"
        "are used: pages name the site and the snapshot's date, and mark the missed permissions.",
        epilog=EPILOG, run=run, quiet="print only errors",
    )
    report.add_argument("perms", metavar="PERMS.csv", help="a permission CSV or a snapshot folder ('-' for stdin)")
    report.add_argument("--role", help="the role code of the page")
    report.add_argument("--all", action="store_true", help="write the HTML site of every role into -o DIR")
    report.add_argument(
        "-o", "--output", required=True, metavar="FILE|DIR", help="FILE.md, FILE.html, - (stdout), or DIR with --all"
    )
    report.add_argument(
        "--users", metavar="users.csv", help="who holds which role (default: beside PERMS.csv; -: stdin)"
    )
    report.add_argument("--roles", metavar="roles.csv", help="role display names (default: beside PERMS.csv; -: stdin)")
    report.add_argument(
        "--schema", metavar="schema.json", help="entity and field display names (default: beside PERMS.csv; -: stdin)"
    )
    report.add_argument(
        "--tiers", metavar="TIERS",
        help="the tier file: each page shows the role's place and its missed permissions, and the matrix lists "
        "roles in tier order without its admins (default: tiers.txt beside PERMS.csv; -: stdin)",
    )
    report.add_argument("--title", default="", help="a title for the pages, e.g. the studio's name")


def _context(args: argparse.Namespace) -> dict[str, Any]:
    """roles, users, schema and tiers for the pages: the files given, else
    those beside the table, with its snapshot.json (none beside stdin); each
    one there is read strictly."""
    if args.perms != STDIN:
        tiers = read_tiers(args.tiers) if args.tiers else None
        return report_context(args.perms, roles=args.roles, users=args.users, schema=args.schema, tiers=tiers)
    readers: tuple[tuple[str, Callable[[str], Any]], ...] = (
        ("roles", read_roles), ("users", read_users), ("schema", read_schema), ("tiers", read_tiers)
    )
    return {name: read(getattr(args, name)) for name, read in readers if getattr(args, name)}


@one_line_errors
def run(args: argparse.Namespace) -> ExitStatus:
    if bool(args.role) == bool(args.all):
        raise ValueError("pass --role ROLE (one page) or --all (the HTML site)")
    one_stdin(args, perms="PERMS.csv", roles="--roles", users="--users", schema="--schema", tiers="--tiers")
    side_files(args, "roles", "users", "schema")
    table = read_table(args.perms, args.roles)
    context = _context(args)
    if args.all:
        pages_before = stale_pages(args.output, ())
        written = write_site(table, args.output, title=args.title, **context)
        if not args.quiet:
            out = args.output.rstrip("/") or "/"
            removed = sorted(set(pages_before) - set(written))
            gone = (f"; removed {len(removed)} of roles no longer in the table: {', '.join(removed)}"
                    if removed else "")
            print(f"wrote {len(written)} pages to {out}/{gone} (open {os.path.join(out, 'index.html')})",
                  file=sys.stderr)
        return ExitStatus.OK
    fmt = "html" if args.output.lower().endswith((".html", ".htm")) else "markdown"
    text = role_report(table, args.role, format=fmt, title=args.title, **context)
    if args.output == STDIN:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    return ExitStatus.OK
