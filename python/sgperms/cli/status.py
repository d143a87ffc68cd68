"""How a command of ``sgperms`` ends: its exit status (the same meanings in
every command), or a Failure, said in one line."""

from __future__ import annotations

import enum

__all__ = ["ExitStatus", "Failure"]


class ExitStatus(enum.IntEnum):
    """What a command's exit status says."""

    #: Done; no difference or finding.
    OK = 0
    #: Done, and it found something: differences (diff, compare), findings
    #: (audit, tiers check), files to reformat (fmt --check), a refusal (promote).
    FINDINGS = 1
    #: An error: one line on stderr, never a traceback; nothing written.
    ERROR = 2
    #: Interrupted (Ctrl-C), as a shell reports SIGINT.
    INTERRUPTED = 130


class Failure(Exception):
    """A command stops: ``main()`` prints the message as one ``sgperms:
    error:`` line (credentials masked) and exits 2 (``ExitStatus.ERROR``)."""
