"""The ``sgperms`` command: one module per command, each over sgperms'
public API, and what they share.

=============== ==============================================================
module          what
=============== ==============================================================
``fmt``         ``sgperms fmt``: canonical permission CSVs
``snapshot``    ``sgperms snapshot``: a site into a snapshot folder
``probe``       ``sgperms probe``: what each role can really do
``demo``        ``sgperms demo``: the demo studio
``bench``       ``sgperms bench``: the benchmark
``tiers``       ``sgperms tiers check|grant|revoke``
``audit``       ``sgperms audit``: self-elevation and missed permissions
``promote``     ``sgperms promote``: a person to a role, as the tiers allow
``diff``        ``sgperms diff`` (and the change formats ``compare`` shares)
``compare``     ``sgperms compare``: one role against another
``log``         ``sgperms log``: a snapshot folder's history in git
``report``      ``sgperms report``: role pages and the HTML site
``allowed``     ``sgperms allowed``: "what am I allowed to do?" for one person, probed
``status``      ``ExitStatus`` (0 ok, 1 findings, 2 error, 130 interrupted), ``Failure``
``_output``     printing: the terminal filter, data, error lines, closed pipes
``_connect``    credentials: flags and SGPERMS_* variables, connecting, masking
``_files``      tables and tier files from paths, folders or ``-`` (stdin)
``_parsers``    what every command's parser has (-q, examples)
=============== ==============================================================

A command module has ``add_parser(commands)`` and the function its parser
runs (``run``; ``tiers`` has ``check`` and ``change``), which returns an
``ExitStatus`` or raises a ``Failure`` (one error line, exit 2). ``main()``
parses, recovers the folders the arguments name, runs the command and turns
anything unexpected into one line too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import FolderError, __version__
from ..folder import recover
from . import (
    _connect,
    allowed,
    audit,
    bench,
    compare,
    demo,
    diff,
    fmt,
    log,
    probe,
    promote,
    report,
    snapshot,
    tiers,
)
from ._connect import CREDENTIALS, MIN_MASKABLE
from ._output import error, human_output, note, one_line, quiet_closed_pipes
from .status import ExitStatus, Failure

__all__ = ["CREDENTIALS", "MIN_MASKABLE", "ExitStatus", "Failure", "build_parser", "main"]

#: The commands, in the order ``sgperms --help`` lists them.
COMMANDS = (fmt, snapshot, probe, demo, bench, tiers, audit, promote, diff, log, compare, report, allowed)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sgperms`` command."""
    parser = argparse.ArgumentParser(
        prog="sgperms",
        description="ShotGrid permission tables you can read, diff, keep in git and edit in a spreadsheet.",
        epilog="Run 'sgperms COMMAND --help' for a command's options and examples.\n"
        "Also runs as 'python -m sgperms'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"sgperms {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sgperms`` command; returns its exit status (ExitStatus): 0,
    1 (a difference or a finding, as each command documents), 2 (an error:
    one line on stderr, never a traceback), 130 (interrupted). A closed pipe
    (``sgperms diff a b | head -1``) is not an error: the rest of the output
    is dropped and the status is the command's own."""
    restore = quiet_closed_pipes()
    restore_text = human_output()
    try:
        return int(_main(argv))
    finally:
        restore_text()
        restore()


def _recover_folders(args: argparse.Namespace) -> None:
    """Before anything is read: every folder a path argument names (or holds
    a file of) that an interrupted write left half-replaced is put back."""
    values: list[Any] = []
    for value in vars(args).values():
        values.extend(value if isinstance(value, list) else [value])
    for value in values:
        if isinstance(value, str) and value not in ("", "-") and os.path.exists(value):
            recover(value, notice=note)


def _main(argv: Sequence[str] | None) -> ExitStatus:
    parser = build_parser()
    args = parser.parse_args(argv)
    _connect.SECRETS[:] = _connect.command_secrets(args)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return ExitStatus.ERROR
    try:
        _recover_folders(args)
    except (FolderError, ValueError) as e:  # a folder left unusable, or a bad $SGPERMS_LOCK_WAIT
        error(str(e))
        return ExitStatus.ERROR
    try:
        status: ExitStatus = args.run(args)
        return status
    except (Failure, FolderError) as e:
        error(str(e))
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        error("interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # The reader (head, less) went away: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.OK
    except Exception as e:  # the last resort: one line, never a traceback
        detail = one_line(_connect.scrub(str(e), _connect.SECRETS))[:300]  # masked before it is cut
        error(
            f"unexpected {type(e).__name__}{': ' + detail if detail else ''} "
            "(this is a bug in sgperms, please report it with the command that caused it)"
        )
        return ExitStatus.ERROR
