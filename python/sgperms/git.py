"""Git through its command line, for the history of a snapshot folder.

sgperms reads only what ``git`` itself prints: the repository around a
folder (``rev-parse``), the commits that touched its files (``log``), and the
files' bytes at those commits, streamed through one ``git cat-file --batch``
process (and one ``--batch-check`` for their object ids) however many
versions are read. Every failure is a ``HistoryError`` that says what to do.

>>> from sgperms.git import iso_date
>>> iso_date(1768210200)
'2026-01-12T09:30:00Z'
"""

from __future__ import annotations

import datetime as _dt
import os
import queue
import re
import subprocess
import threading
from dataclasses import dataclass

from . import SgpermsError
from .site import _utc

__all__ = ["Commit", "HistoryError", "Objects", "ReadAhead", "Repo", "day_end", "day_start", "iso_date"]

#: A date argument: ``YYYY-MM-DD``, a day in UTC.
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class HistoryError(SgpermsError, ValueError):
    """A folder's git history cannot be read: not inside a git work tree, an
    unknown revision, a folder never committed, or no git to run."""


@dataclass(frozen=True)
class Commit:
    """A commit: its full id and its commit date (seconds since the epoch)."""

    id: str
    time: int

    @property
    def date(self) -> str:
        """The commit date as UTC ISO 8601 (``2026-01-12T09:30:00Z``)."""
        return iso_date(self.time)

    @property
    def short(self) -> str:
        """The first 10 hex digits of the id, as people quote a commit."""
        return self.id[:10]


def iso_date(seconds: int) -> str:
    """Seconds since the epoch as UTC ISO 8601 to the second, written as
    every time in a snapshot folder is (``Site``'s); returns the text."""
    return _utc(_dt.datetime.fromtimestamp(seconds, _dt.timezone.utc))


def day_end(day: str) -> int:
    """The first second after the UTC day ``YYYY-MM-DD`` (a commit dated
    before it is "on or before that day"); HistoryError for a day that is
    not one."""
    try:
        start = _dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise HistoryError(f'"{day}" is not a date; expected YYYY-MM-DD, e.g. 2026-03-01') from None
    return int((start + _dt.timedelta(days=1)).timestamp())


def day_start(day: str) -> int:
    """The first second of the UTC day ``YYYY-MM-DD``; HistoryError for a
    day that is not one."""
    return day_end(day) - 86400


def _environment() -> dict[str, str]:
    """git's environment: never a prompt, never a pager, messages kept."""
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", GIT_OPTIONAL_LOCKS="0")
    return env


class Repo:
    """A git work tree, driven through its ``git`` command."""

    def __init__(self, top: str) -> None:
        self.top = top

    @classmethod
    def around(cls, path: str) -> tuple[Repo, str]:
        """The work tree holding ``path`` (which need not exist any more: its
        nearest existing folder is asked) and ``path`` relative to the work
        tree's top, with ``/`` (``""`` for the top itself). HistoryError when
        there is none."""
        absolute = os.path.realpath(os.path.abspath(path))
        existing = absolute
        while not os.path.isdir(existing):
            existing = os.path.dirname(existing)
        try:
            top = _git(existing, "rev-parse", "--show-toplevel").strip()
        except HistoryError as e:
            raise HistoryError(
                f"{path}: not inside a git work tree ({e}); sgperms reads the history git keeps of a "
                "snapshot folder: git init, then commit the folder (see the README's nightly job)"
            ) from None
        relative = os.path.relpath(absolute, os.path.realpath(top))
        if relative.startswith(os.pardir):
            raise HistoryError(f"{path}: outside the git work tree at {top}")
        relative = "" if relative == os.curdir else relative.replace(os.sep, "/")
        if "\n" in relative:
            raise HistoryError(f"{path}: a path with a line break cannot be read from git")
        return cls(top), relative

    def git(self, *args: str) -> str:
        """git's output for ``args`` run in the work tree; HistoryError with
        git's own message when it fails."""
        return _git(self.top, *args)

    def commits(self, paths: list[str], until: str = "HEAD") -> list[Commit]:
        """The commits on ``until``'s first-parent line that touched any of
        ``paths``, oldest first. First parents only: a branch merged in
        counts once, at its merge, as the folder's main line saw it."""
        if not self.has_commits():
            return []
        out = self.git("log", "--first-parent", "--reverse", "--format=%H %ct", until, "--", *paths)
        return [_commit(line) for line in out.splitlines() if line.strip()]

    def has_commits(self) -> bool:
        """Whether HEAD names a commit (a new repository has none yet)."""
        try:
            self.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        except HistoryError:
            return False
        return True

    def resolve(self, revision: str) -> Commit:
        """The commit ``revision`` names: anything ``git rev-parse`` takes
        (``HEAD~3``, a tag, an id), or a day ``YYYY-MM-DD`` meaning the last
        commit on HEAD's first-parent line dated on or before it (UTC).
        HistoryError for a revision git does not know."""
        if not revision or revision.startswith("-") or "\n" in revision:
            raise HistoryError(f'"{revision}" is not a revision; expected e.g. HEAD~1, a commit id or 2026-03-01')
        try:
            line = self.git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
            return Commit(line, int(self.git("show", "-s", "--format=%ct", line).strip()))
        except HistoryError:
            if not DAY.fullmatch(revision):
                raise HistoryError(
                    f'unknown revision "{revision}" in {self.top}; expected what git accepts '
                    "(HEAD~1, a branch, a tag, a commit id) or a day YYYY-MM-DD"
                ) from None
        return self._on_or_before(revision)

    def _on_or_before(self, day: str) -> Commit:
        """The newest commit on HEAD's first-parent line dated before the end of ``day``."""
        end = day_end(day)
        if self.has_commits():
            out = self.git("log", "--first-parent", "--format=%H %ct", "HEAD")
            for commit in map(_commit, out.splitlines()):
                if commit.time < end:
                    return commit
        raise HistoryError(f"no commit in {self.top} is dated on or before {day} (UTC)")


def _commit(line: str) -> Commit:
    """A Commit from a ``%H %ct`` line of git log."""
    commit_id, seconds = line.split()
    return Commit(commit_id, int(seconds))


def _git(cwd: str, *args: str) -> str:
    """Runs git in ``cwd``; its standard output, or HistoryError with the
    first line git printed on failure (or saying git is not installed)."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=_environment(), stdin=subprocess.DEVNULL,
            capture_output=True, check=False,
        )
    except FileNotFoundError:
        raise HistoryError("git is not installed (or not on PATH); sgperms reads history through it") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(message[0] if message else f"git {args[0]} failed (exit {done.returncode})")
    return done.stdout.decode("utf-8", "replace")


class Objects:
    """Files at commits, streamed: ``git cat-file --batch-check`` answers
    which object a file is at a commit, ``git cat-file --batch`` gives the
    bytes of objects; each runs once for all the versions read. Use as a
    context manager (or call ``close``)."""

    def __init__(self, repo: Repo) -> None:
        self._check = _batch(repo, "--batch-check")
        self._read = _batch(repo, "--batch")

    def id(self, commit: Commit, path: str) -> tuple[str, str] | None:
        """(object id, type: ``blob`` or ``tree``) of ``path`` at ``commit``;
        None when it is not there."""
        header = _ask(self._check, f"{commit.id}:{path}")
        parts = header.split()
        if len(parts) != 3 or parts[1] == "missing":
            return None
        return parts[0], parts[1]

    def read(self, object_id: str) -> bytes:
        """The bytes of the object ``object_id``; HistoryError when git has none."""
        return _read_object(self._read, object_id)

    def close(self) -> None:
        """Ends both git processes."""
        for process in (self._check, self._read):
            if process.stdin is not None:
                process.stdin.close()
            if process.stdout is not None:
                process.stdout.close()
            process.wait()

    def __enter__(self) -> Objects:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _batch(repo: Repo, mode: str) -> subprocess.Popen[bytes]:
    """A running ``git cat-file`` in ``mode`` (``--batch`` or ``--batch-check``)."""
    try:
        return subprocess.Popen(
            ["git", "cat-file", mode], cwd=repo.top, env=_environment(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise HistoryError("git is not installed (or not on PATH); sgperms reads history through it") from None


def _ask(process: subprocess.Popen[bytes], name: str) -> str:
    """Sends one object name to a cat-file process; returns its header line."""
    assert process.stdin is not None and process.stdout is not None
    try:
        # A file name that is not UTF-8 reaches git as the bytes it has on disk.
        process.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
        process.stdin.flush()
    except BrokenPipeError:
        raise HistoryError("git cat-file ended early") from None
    line = process.stdout.readline()
    if not line:
        raise HistoryError("git cat-file ended early")
    return line.decode("utf-8", "replace")


def _read_object(process: subprocess.Popen[bytes], object_id: str) -> bytes:
    """The bytes of ``object_id`` from a ``cat-file --batch`` process; HistoryError when git has none."""
    header = _ask(process, object_id).split()
    if len(header) != 3:
        raise HistoryError(f"git has no object {object_id}")
    assert process.stdout is not None
    size = int(header[2])
    # A buffered read returns the whole object (or less only at the end of the stream).
    data = process.stdout.read(size)
    if len(data) != size or process.stdout.read(1) != b"\n":
        raise HistoryError("git cat-file ended in the middle of a file")
    return data


class ReadAhead:
    """The bytes of objects known in advance, in order, read by a thread
    through a ``cat-file --batch`` of its own while the caller works on the
    ones before (a table parses while git inflates the next version). At
    most ``depth`` objects wait beside the one being handed over."""

    def __init__(self, repo: Repo, ids: list[str], depth: int = 1) -> None:
        self._process = _batch(repo, "--batch")
        self._queue: queue.Queue[tuple[str, bytes | BaseException]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(ids,), name="sgperms-read-ahead", daemon=True)
        self._thread.start()

    def _run(self, ids: list[str]) -> None:
        for object_id in ids:
            try:
                item: bytes | BaseException = _read_object(self._process, object_id)
            except BaseException as e:  # handed to the caller, which raises it where it reads
                item = e
            while not self._stop.is_set():
                try:
                    self._queue.put((object_id, item), timeout=0.1)
                    break
                except queue.Full:
                    continue
            if self._stop.is_set() or isinstance(item, BaseException):
                return
        self._queue.put(("", b""))  # the end

    def take(self, object_id: str) -> bytes | None:
        """The bytes of ``object_id`` if it is among the ids still ahead
        (those before it are dropped); None when it is not (the caller reads
        it itself). Raises what reading it raised."""
        while not self._done:
            found, item = self._queue.get()
            if not found:
                self._done = True
            elif isinstance(item, BaseException):
                self._done = True
                raise item
            elif found == object_id:
                return item
        return None

    def close(self) -> None:
        """Stops the thread and ends its git process."""
        self._stop.set()
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._thread.join()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait()
