"""What every command's parser has: help with examples kept as written,
``-q/--quiet``, and the function that runs it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._output import Command

if TYPE_CHECKING:
    #: What ``add_subparsers()`` returns: each command adds its parser to it.
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Commands = argparse._SubParsersAction

__all__ = ["Commands", "add_command"]


def add_command(commands: Commands, name: str, *, help: str, description: str, epilog: str, run: Command,
                quiet: str = "print only errors") -> argparse.ArgumentParser:
    """Adds the command ``name``: its one-line ``help`` (in ``sgperms
    --help``), ``description`` and ``epilog`` (examples, exit statuses),
    shown as written, ``-q/--quiet`` (``quiet`` says what it leaves), and
    ``run``, what runs it. Returns its parser, for the command's own options."""
    parser = commands.add_parser(
        name, help=help, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet)
    parser.set_defaults(run=run)
    return parser
