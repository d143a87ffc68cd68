"""Output for people and files: text a terminal shows instead of obeying,
paths as messages name them, and one file written whole.

The ``sgperms`` command prints every line through ``terminal_text`` and
writes every file it names through ``write_atomic``; a Toolkit hook or a
script that prints site data (names, notes, ShotGrid's answers) can do the
same.

>>> from sgperms.output import terminal_text
>>> terminal_text("bad\\x1b[2Jname\\nnext")
'bad\\\\x1b[2Jname\\nnext'
>>> terminal_text("one\\ntwo", one_line=True)
'one\\\\ntwo'
"""

from __future__ import annotations

import os
from typing import Union

from . import _display_path
from ._core import terminal_text as _terminal_text
from ._core import write_atomic_bytes as _write_atomic_bytes

__all__ = ["display_path", "terminal_text", "write_atomic"]

PathLike = Union[str, "os.PathLike[str]"]


def terminal_text(text: str, *, one_line: bool = False) -> str:
    """``text`` as a terminal should show it: ANSI escapes, C0 and C1
    controls, bidirectional overrides and invisible characters appear as
    ``\\x1b``, ``\\u202e``, ... instead of acting (``src/safe.rs``); tabs and
    line feeds are kept, or with ``one_line`` line breaks appear as ``\\n``
    too. Returns the text to print."""
    return _terminal_text(text, one_line)


def write_atomic(path: PathLike, data: bytes | str) -> None:
    """Writes ``data`` (``str`` as UTF-8) to the file ``path`` as one unit: a
    temporary file beside it, flushed to disk, renamed over it. The file's
    mode is kept and a symlink is followed to its target; a read-only file
    is refused. Raises OSError naming the file."""
    _write_atomic_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)


def display_path(path: str | bytes | os.PathLike[str]) -> str:
    """A path as sgperms' messages show it: bytes of a file system name that
    are not UTF-8 appear escaped (``\\xe9``) instead of failing."""
    return _display_path(os.fspath(path))
