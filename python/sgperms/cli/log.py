"""``sgperms log``: what changed in a snapshot folder kept in git, commit
by commit (``sgperms.log``), as text, Markdown, CSV or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from ..history import History, log
from ._output import note, one_line_errors, progress, write_data
from ._parsers import Commands, add_command
from .status import ExitStatus

#: The formats a history is shown in; csv and json are data, the rest for people.
FORMATS = ("text", "md", "csv", "json")

EPILOG = """\
examples:
  sgperms log snap/                                          everything, oldest first
  sgperms log snap/ --cell artist:entity:Version::retire     when did artists get Version retire, and who?
  sgperms log snap/ --role vendor --since 2026-01-01         one role's year
  sgperms log snap/ --format csv > permission-history.csv    for a spreadsheet
  sgperms diff snap/@2026-03-01 snap/                        the whole change since a day

DIR is a snapshot folder inside a git work tree (the README's nightly job commits
one). The commits on HEAD's first-parent line that touched its permissions.csv,
users.csv or history.csv are read oldest first; the first is the starting point,
each later one is compared with the one before. Listed: every cell, note, row and
role changed, every role assignment changed in users.csv, and the event-log entries
(history.csv) first recorded in that commit, under the change they concern (a rule
event under its role's changes, an assignment event under its person). An event no
change explains is listed on its own. A commit whose file does not read is named
with the error (row, column) and skipped; a deleted one is said too. DIR may
also be a permission CSV kept in git: its history, with the files beside it.
--cell is ROLE:KIND:ENTITY:NAME:ACTION with codes, NAME empty for an entity rule
(artist:entity:Version::retire, artist:field:Shot:sg_status_list:edit).
Dates are YYYY-MM-DD in UTC, both days included; commits are dated by commit date.
formats: text (default), md (for a wiki), csv (one row per change), json
(documented in docs/history.md).
exit status: 0 the history was read (skipped commits are listed), 2 error (not in
a git work tree, never committed, a bad date, a role or cell no version holds).
"""


def add_parser(commands: Commands) -> None:
    parser = add_command(
        commands, "log",
        help="what changed in a snapshot folder kept in git, and who changed it",
        description="Show every change a snapshot folder's git history records, commit by commit, oldest first:\n"
        "cells with before/after and note, roles, rows and role assignments, with the event-log entries\n"
        "that say who made each change.",
        epilog=EPILOG, run=run, quiet="no progress lines",
    )
    parser.add_argument("folder", metavar="DIR", help="a snapshot folder inside a git work tree (or a permission "
                        "CSV file kept in git)")
    parser.add_argument("--cell", metavar="ROLE:KIND:ENTITY:NAME:ACTION", help="only the history of this cell")
    parser.add_argument("--role", metavar="ROLE", help="only changes to this role (and people given or taken it)")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only commits dated on or after this day (UTC)")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only commits dated on or before this day (UTC)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")


def render(history: History, fmt: str) -> str:
    """``history`` in the format ``fmt``."""
    formats: dict[str, Callable[[], str]] = {
        "text": history.to_text,
        "md": history.to_markdown,
        "csv": history.to_csv,
        "json": lambda: history.to_json() + "\n",
    }
    return formats[fmt]()


@one_line_errors
def run(args: argparse.Namespace) -> ExitStatus:
    history = log(args.folder, cell=args.cell, role=args.role, since=args.since, until=args.until,
                  progress=progress(args))
    text = render(history, args.format)
    if args.format in ("csv", "json"):
        write_data(text)
    else:
        sys.stdout.write(text)
    if history.skipped and not args.quiet:
        note(f"{len(history.skipped)} commit file(s) could not be read and were skipped; "
             "they are named in the output")
    return ExitStatus.OK
