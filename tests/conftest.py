from __future__ import annotations

import contextlib
import io
import os
import pathlib
import subprocess
import sys
from typing import Any, Callable

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# ShotGrid's own mockgun test schema, vendored with its licence (see its README).
MOCKGUN_SCHEMA = ROOT / "tests" / "fixtures" / "mockgun"
# The sgperms command as a user runs it, in a process of its own.
CLI = [sys.executable, "-m", "sgperms"]


def run_cli(*args: Any, stdin: str | None = None, env: dict[str, str] | None = None,
            cwd: str | os.PathLike[str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Runs ``sgperms ARGS...`` in a new process (the one way tests run the
    command); returns the finished process with its text output."""
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, input=stdin, env=env, cwd=cwd,
                          timeout=timeout)


def run_in_process(argv: list[str], cwd: str | os.PathLike[str] | None = None) -> tuple[Any, str, str]:
    """Runs ``sgperms ARGV...`` in this process (so a test can monkeypatch
    the connection); returns (exit status, stdout, stderr). An exception
    escaping main() is written to stderr as the traceback a user would see."""
    from sgperms import cli

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status: Any = cli.main(argv)
            except SystemExit as e:
                status = e.code
            except BaseException as e:  # what escapes is a traceback
                status = None
                err.write(f"Traceback (most recent call last):\n{type(e).__name__}: {e}\n")
    finally:
        os.chdir(old)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli`` as a fixture: ``cli("diff", a, b).returncode``."""
    return run_cli


@pytest.fixture
def studio_csv():
    """The example studio the repo ships, as text."""
    return (ROOT / "examples" / "permissions.csv").read_text(encoding="utf-8")
