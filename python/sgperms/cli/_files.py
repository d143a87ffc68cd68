"""The files commands read: permission tables (a CSV, a snapshot folder, or
``-`` for stdin) and tier files (or ``-``)."""

from __future__ import annotations

import argparse
import io
import sys
from typing import IO, Callable, TypeVar

from .. import PermissionTable, TierError, Tiers, canonical, history, snapshot
from ..snapshot import Source

__all__ = [
    "STDIN", "StdinFile", "named", "one_stdin", "read_table", "read_table_with_layout", "read_tiers", "side_files",
    "stdin",
]

#: The file argument that means stdin (or, for an output, stdout).
STDIN = "-"
#: How errors name stdin.
STDIN_NAME = "<stdin>"

T = TypeVar("T")


def stdin() -> IO[bytes]:
    """The bytes of stdin (a text stream put in its place is read as UTF-8)."""
    stream = sys.stdin
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer  # type: ignore[no-any-return]
    return io.BytesIO(stream.read().encode("utf-8"))


def one_stdin(args: argparse.Namespace, **names: str) -> None:
    """Stdin can be read once: ValueError when more than one of the file
    arguments ``names`` (argparse name -> the name help shows) is ``-``."""
    dashes = [shown for name, shown in names.items() if getattr(args, name) == STDIN]
    if len(dashes) > 1:
        raise ValueError(f"{' and '.join(dashes)} are both - (stdin): only one of them can be")


class StdinFile:
    """Stdin's bytes for a side file given as ``-`` (a roles.csv, users.csv
    or schema.json), read once: every ``read()`` returns all of them, so an
    option read twice (report checks the table against its roles, then lists
    them) sees the same file. Errors name it ``<stdin>``."""

    name = STDIN_NAME

    def __init__(self) -> None:
        self._data = stdin().read()

    def read(self) -> bytes:
        return self._data


def side_files(args: argparse.Namespace, *names: str) -> None:
    """Each option in ``names`` given as ``-`` becomes a StdinFile, which the
    library's readers take like a path. Check ``one_stdin`` first."""
    for name in names:
        if getattr(args, name) == STDIN:
            setattr(args, name, StdinFile())


def read_table_with_layout(path: str, roles_file: Source | None = None) -> tuple[PermissionTable, str]:
    """A permission table and the layout it was in, from a CSV file, a
    snapshot folder (checked against the roles.csv beside it, display names
    resolved with its schema.json: ``sgperms.snapshot.read_table``), either
    of them at a git revision (``DIR@REV``: ``sgperms.history.table_at``,
    with that commit's roles.csv and schema.json) or ``-`` (stdin, checked
    against ``roles_file`` when given)."""
    if path == STDIN:
        found = canonical.read(stdin(), roles_file=roles_file)
        return found.table, found.layout
    at = history.split_revision(path)
    if at:
        return history.table_at_with_layout(*at)
    return snapshot.read_table_with_layout(path, roles_file=roles_file)


def read_table(path: str, roles_file: Source | None = None) -> PermissionTable:
    """A permission table; see ``read_table_with_layout``."""
    return read_table_with_layout(path, roles_file)[0]


def read_tiers(path: str) -> Tiers:
    """A tier file, or ``-`` for stdin; one that names no role (empty, or
    comments only) is an error, not a check that silently passes."""
    tiers = named(path, lambda: _parse_stdin_tiers()) if path == STDIN else Tiers.read(path)
    if not tiers.roles:
        raise TierError(
            f'{_shown(path)}: the file names no role; expected one chain per line, higher first, '
            'e.g. "supervisor > lead > artist"'
        )
    return tiers


def _parse_stdin_tiers() -> Tiers:
    """The tier file on stdin (``Tiers.read`` reads only files)."""
    data = stdin().read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise TierError(f"line {line}: invalid UTF-8; save the tier file as UTF-8 text") from None
    return Tiers.parse(text)


def _shown(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def named(path: str, call: Callable[[], T]) -> T:
    """Runs a tier operation; its TierError names the tier file (``-``: stdin)."""
    try:
        return call()
    except TierError as e:
        raise TierError(f"{_shown(path)}: {e}") from None
