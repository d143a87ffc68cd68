"""Folders sgperms manages (a snapshot, a report site), read and written as one unit.

A write stages every file, records in a journal what it is about to replace,
replaces, then clears the journal; a lock file keeps overlapping runs apart
(see ``src/folder.rs``). The next sgperms command that touches a folder whose
write was interrupted puts the previous files back before reading anything.
Nothing inside a managed folder is written through a symlink.

>>> import sgperms.folder, tempfile
>>> d = tempfile.mkdtemp()
>>> with sgperms.folder.writing(d, "doctest") as f:
...     f.commit([("a.txt", b"one"), ("b.txt", b"two")])
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import socket
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Callable, Optional, Union

from ._core import Folder, FolderError

__all__ = ["Folder", "FolderError", "JOURNAL", "LOCK", "LOCK_WAIT_ENV", "lock_wait", "reading", "recover", "writing"]

LOCK = ".sgperms.lock"
JOURNAL = ".sgperms-journal"
LOCK_WAIT_ENV = "SGPERMS_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 30.0

log = logging.getLogger(__name__)

Notice = Optional[Callable[[str], None]]
PathLike = Union[str, "os.PathLike[str]"]


def lock_wait() -> float:
    """Seconds to wait for another sgperms process to let go of a folder:
    ``$SGPERMS_LOCK_WAIT``, else 30. Raises ValueError naming the variable
    when it is not a number of seconds."""
    text = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_LOCK_WAIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{LOCK_WAIT_ENV}={text!r}: expected a number of seconds, such as 30 (0: do not wait)")
    return seconds


def _holder(command: str) -> str:
    """Who holds a lock, for whoever is kept waiting: the command, host and
    start time, never its arguments (they may hold a credential)."""
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    return f"{command} on {socket.gethostname()}, since {now.isoformat()}Z"


def _tell(folder: Folder, notice: Notice) -> None:
    if folder.recovered:
        log.warning("%s", folder.recovered)
        if notice is None:
            warnings.warn(folder.recovered, RuntimeWarning, stacklevel=4)
        else:
            notice(folder.recovered)


@contextmanager
def writing(path: PathLike, command: str = "sgperms", *, notice: Notice = None,
            check: Iterable[str] = ()) -> Iterator[Folder]:
    """Opens ``path`` (created when missing) to replace files in it as one
    unit, holding its lock until the block ends; an interrupted earlier write
    is rolled back first and reported through ``notice`` (a warning by
    default). ``check`` names files that must not be symlinks, directories or
    read-only, refused before any work is done. Yields the Folder: its
    ``commit([(name, bytes), ...])`` replaces them all or none."""
    path = os.fspath(path)
    created = not os.path.lexists(path)
    folder = Folder(path, write=True, wait=lock_wait(), holder=_holder(command))
    try:
        _tell(folder, notice)
        folder.check(list(check))
        yield folder
    except BaseException:
        folder.close()
        if created:
            # A run that failed before writing leaves no empty folder behind.
            try:
                os.rmdir(path)
            except OSError:
                pass
        raise
    finally:
        folder.close()


@contextmanager
def reading(path: PathLike, *, notice: Notice = None) -> Iterator[Folder]:
    """Opens ``path`` to read it, holding a shared lock (no writer meanwhile)
    until the block ends; an interrupted write is rolled back first and
    reported through ``notice``. Yields the Folder."""
    folder = Folder(os.fspath(path), write=False, wait=lock_wait())
    try:
        _tell(folder, notice)
        yield folder
    finally:
        folder.close()


def recover(path: PathLike, *, notice: Notice = None) -> None:
    """Rolls back an interrupted write in the folder ``path`` names (a folder,
    or a file in one) before anything reads it. Costs one stat when the
    folder is whole. Raises FolderError when it cannot be done."""
    path = os.fspath(path)
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    if os.path.lexists(os.path.join(folder, JOURNAL)):
        with reading(folder, notice=notice):
            pass
