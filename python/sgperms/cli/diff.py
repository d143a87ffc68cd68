"""``sgperms diff``: what changed between two permission tables or snapshot
folders (``sgperms.diff``), as text, Markdown, CSV, JSON or a click plan.
``compare`` renders its changes with ``FORMATS`` and ``show`` too."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from .. import Changes, Schema, diff, history
from ..snapshot import display_names, schema_beside
from ._files import STDIN, one_stdin, read_table
from ._output import one_line_errors, write_data
from ._parsers import Commands, add_command
from .status import ExitStatus

#: The formats changes are shown in; csv and json are data, the rest for people.
FORMATS = ("text", "md", "csv", "json", "plan")

EPILOG = """\
examples:
  sgperms diff yesterday/ today/                     snapshot folders (their permissions.csv)
  sgperms diff old.csv new.csv --format md           for a pull-request description
  sgperms diff old.csv new.csv --format plan         where to click on ShotGrid's Permissions page
  sgperms diff snap/@HEAD~1 snap/                    the last commit's change (any git revision)
  sgperms diff snap/@2026-03-01 snap/@2026-04-01      March: the last commits on or before each day (UTC)

formats: text (default), md (for a pull request), csv, json, plan (where to click on
ShotGrid's Permissions page; role and field names from the roles.csv and schema.json
beside NEW). OLD or NEW (not both) may be - to read stdin. DIR@REV reads a folder (or a
CSV) as git holds it at REV: anything git takes, or YYYY-MM-DD for the last commit on
or before that day (by commit date, UTC), with that commit's roles.csv and schema.json.
A path that exists is always a path. For every change over time: sgperms log DIR.
exit status: 0 no differences, 1 differences, 2 error (like diff).
"""


def add_parser(commands: Commands) -> None:
    parser = add_command(
        commands, "diff",
        help="what changed between two permission tables or snapshot folders",
        description="Show what changed between two permission tables (CSV files or snapshot folders):\n"
        "cells with before/after and the new note, targets and roles added or removed.",
        epilog=EPILOG, run=run, quiet="print nothing: the exit status says whether they differ",
    )
    parser.add_argument("old", metavar="OLD", help="a permission CSV or a snapshot folder, DIR@REV at a git "
                        "revision or day, or '-' for stdin")
    parser.add_argument("new", metavar="NEW", help="as OLD")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")


def render(changes: Changes, fmt: str, source: str) -> str:
    """``changes`` in the format ``fmt``; a click plan names roles and fields
    as the roles.csv and schema.json beside ``source`` do (at its revision
    for ``DIR@REV``; none for stdin)."""
    formats: dict[str, Callable[[], str]] = {
        "text": changes.to_text,
        "md": changes.to_markdown,
        "csv": changes.to_csv,
        "json": lambda: changes.to_json() + "\n",
        "plan": lambda: changes.to_click_plan(*_names(source)),
    }
    return formats[fmt]()


def _names(source: str) -> tuple[list[tuple[str, str]] | None, Schema | None]:
    """Role display names and the schema a click plan for ``source`` uses."""
    if source == STDIN:
        return None, None
    at = history.split_revision(source)
    if at:
        return history.names_at(*at)
    return display_names(source), schema_beside(source)


def show(args: argparse.Namespace, changes: Changes, source: str) -> ExitStatus:
    """Prints ``changes`` in ``args.format`` (nothing with -q): csv and json
    are data (exact), text, md and plan are for people. Returns 1 when there
    are changes, else 0."""
    if not args.quiet:
        text = render(changes, args.format, source)
        if args.format in ("csv", "json"):
            write_data(text)
        else:
            sys.stdout.write(text)
    return ExitStatus.FINDINGS if changes else ExitStatus.OK


@one_line_errors
def run(args: argparse.Namespace) -> ExitStatus:
    one_stdin(args, old="OLD", new="NEW")
    return show(args, diff(read_table(args.old), read_table(args.new)), args.new)
