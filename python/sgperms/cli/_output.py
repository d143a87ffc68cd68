"""What the command prints, and how: text for people through the terminal
filter, data (CSV, JSON) exactly, one ``sgperms: error:`` line per failure
with every credential masked, and a closed pipe that is not an error.

``main()`` routes stdout and stderr through ``TerminalText`` (see
``human_output``) and the process's own streams through ``QuietPipe`` (see
``quiet_closed_pipes``) for the whole command."""

from __future__ import annotations

import argparse
import functools
import io
import os
import sys
import warnings
from typing import Any, Callable, Protocol

from .. import FormulaWarning
from ..output import display_path, terminal_text
from . import _connect
from .status import ExitStatus, Failure

__all__ = [
    "Command", "TerminalText", "describe", "error", "human_output", "note", "one_line", "one_line_errors",
    "os_message", "progress", "quiet_closed_pipes", "terminal_safe", "write_data",
]

class Command(Protocol):
    """A command's body: the parsed arguments in, the exit status out. A
    Protocol rather than a Callable alias, so that a wrapped command keeps
    its parameter's name (``args``) as the type checker and stubtest see it."""

    def __call__(self, args: argparse.Namespace) -> ExitStatus: ...


def terminal_safe(text: str, one_line: bool = False) -> str:
    """The one function all human-facing output goes through (main() routes
    stdout and stderr through it, and error/one_line call it): ANSI escapes,
    C0 and C1 controls, bidirectional overrides and invisible characters are
    shown as ``\\x1b``, ``\\u202e``, ... (``sgperms.output.terminal_text``);
    with ``one_line``, line breaks as ``\\n`` too. Tabs and line feeds are kept."""
    return terminal_text(text, one_line=one_line)


def one_line(message: str) -> str:
    """``message`` as one terminal-safe line."""
    return terminal_safe(message, one_line=True)


class TerminalText:
    """A text stream for people: every write goes through terminal_safe.
    ``data`` is the stream underneath, for machine output (CSV, JSON) that
    must keep every character."""

    def __init__(self, stream: Any) -> None:
        self.data = stream

    def write(self, text: str) -> int:
        self.data.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.data, name)


def write_data(text: str) -> None:
    """Machine output to stdout (CSV, JSON), exactly as rendered: CSV cells are
    already neutralised for spreadsheets, JSON escapes controls itself."""
    getattr(sys.stdout, "data", sys.stdout).write(text)


def human_output() -> Callable[[], None]:
    """Routes stdout and stderr through TerminalText and shows each
    FormulaWarning once per command as one line (``sgperms: warning: ...``)
    instead of Python's two-line form; returns the function that undoes it."""
    streams = [(name, getattr(sys, name)) for name in ("stdout", "stderr")]
    for name, stream in streams:
        if stream is not None and not isinstance(stream, TerminalText):
            setattr(sys, name, TerminalText(stream))
    caught = warnings.catch_warnings()
    caught.__enter__()
    warnings.simplefilter("always", FormulaWarning)
    shown: set[str] = set()
    python_show = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if not issubclass(category, FormulaWarning):
            python_show(message, category, filename, lineno, file, line)
        elif str(message) not in shown:
            shown.add(str(message))
            print(f"sgperms: warning: {one_line(str(message))}", file=sys.stderr)

    warnings.showwarning = show

    def restore() -> None:
        caught.__exit__(None, None, None)
        for name, stream in streams:
            setattr(sys, name, stream)

    return restore


def error(message: str) -> None:
    """One ``sgperms: error:`` line on stderr: the running command's
    credentials masked, control characters and line breaks shown."""
    message = _connect.scrub(message, _connect.SECRETS)
    print(f"sgperms: error: {one_line(message)}", file=sys.stderr)


def note(message: str) -> None:
    """One ``sgperms: note:`` line on stderr (a folder put back, ...)."""
    print(f"sgperms: note: {one_line(message)}", file=sys.stderr)


def progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    """A progress printer for stderr when it is a terminal and not -q."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return lambda message: print(f"sgperms: {message}...", file=sys.stderr)


def os_message(e: OSError, name: str | None = None) -> str:
    """One line for a file that could not be opened, read or written, naming
    it: ``e.filename`` when Python (or the core's reader) set it, else the
    core writers' own message, which names the path, else ``name``."""
    filename = e.filename
    if filename is None or not e.strerror:
        text = e.strerror or str(e) or type(e).__name__
        return text if name is None or name in text else f"{name}: {text}"
    shown = display_path(filename) if isinstance(filename, (str, bytes)) else str(filename)
    if isinstance(e, IsADirectoryError):
        return f"{shown}: is a folder; expected a file"
    if isinstance(e, PermissionError):
        return f"{shown}: {e.strerror} (check the file's permissions)"
    return f"{shown}: {e.strerror}"


def describe(e: Exception, name: str | None = None) -> str:
    """The one line for an error a user can cause: a value or file that is
    wrong (ValueError: CsvError, TierError, NormalizeError, TableError, ...)
    says it itself; a file that cannot be used is ``os_message(e, name)``."""
    return os_message(e, name) if isinstance(e, OSError) and not isinstance(e, ValueError) else str(e)


#: The errors a user can cause, which ``one_line_errors`` turns into one line.
USER_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError)


def one_line_errors(body: Command) -> Command:
    """``body`` with the errors a user can cause (``USER_ERRORS``: a file
    that cannot be used, a table, tier file or value that is wrong) made a
    Failure: one error line (``describe``), exit status 2. Anything else
    goes up to main(), which reports it as a bug."""

    @functools.wraps(body)
    def run(args: argparse.Namespace) -> ExitStatus:
        try:
            return body(args)
        except USER_ERRORS as e:
            raise Failure(describe(e)) from None

    return run


class QuietPipe(io.RawIOBase):
    """A standard stream's file descriptor whose reader may go away
    (``| head``, a pager quit early): from then on, output is dropped."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.broken = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        if not self.broken:
            try:
                return os.write(self._fd, data)
            except BrokenPipeError:
                self.broken = True
        return len(data)


def quiet_closed_pipes() -> Callable[[], None]:
    """Routes the process's own stdout and stderr through QuietPipe; returns
    the function that puts them back. A closed pipe is then not an error: the
    command finishes (a grant still writes its table) and exits with its own
    status, without a word about the pipe."""
    replaced: list[tuple[str, Any, io.TextIOWrapper]] = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or stream is not getattr(sys, f"__{name}__"):
            continue  # someone else's stream (a test's capture, an embedding)
        try:
            fd = stream.fileno()
            stream.flush()
        except (OSError, ValueError, AttributeError):
            continue
        quiet = io.TextIOWrapper(
            io.BufferedWriter(QuietPipe(fd)),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=getattr(stream, "write_through", False),
        )
        setattr(sys, name, quiet)
        replaced.append((name, stream, quiet))

    def restore() -> None:
        for name, stream, quiet in replaced:
            try:
                quiet.flush()
            except (OSError, ValueError):
                pass
            setattr(sys, name, stream)

    return restore
