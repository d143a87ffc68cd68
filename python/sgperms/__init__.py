"""sgperms: ShotGrid (Flow Production Tracking) permission tables you can read,
diff, keep in git, edit in a spreadsheet and re-import safely.

>>> import sgperms
>>> t = sgperms.read_csv("kind,entity_type,name,action,artist\\nentity,Shots,,delete,x\\n")
>>> t.get("artist", "entity", "Shot", "", "retire")
'yes'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import IO, Any, Union

from ._core import (
    Change,
    Changes,
    CsvError,
    Decision,
    Finding,
    Findings,
    FolderError,
    FormulaWarning,
    NormalizeError,
    PermissionTable,
    Plan,
    Schema,
    SgpermsError,
    TableError,
    TierError,
    Tiers,
    Violation,
    Violations,
    __version__,
    audit,
    diff,
)
from ._core import read_csv_bytes as _read_csv_bytes

__all__ = [
    "Change",
    "Changes",
    "diff",
    "role_report",
    "write_site",
    "Decision",
    "Finding",
    "Findings",
    "PermissionDenied",
    "ProbeAborted",
    "SgpermsError",
    "FolderError",
    "Plan",
    "RoleChange",
    "TierError",
    "Tiers",
    "Violation",
    "Violations",
    "audit",
    "CsvError",
    "FormulaWarning",
    "NormalizeError",
    "PermissionTable",
    "Schema",
    "TableError",
    "__version__",
    "read_csv",
    "Site",
    "Role",
    "Assignment",
    "Event",
    "SnapshotResult",
    "History",
    "HistoryError",
    "log",
    "table_at",
]

Source = Union[str, bytes, "os.PathLike[str]", IO[str], IO[bytes]]
RoleSpec = Union[str, Mapping[str, Any], Any]


def read_csv(
    source: Source,
    *,
    layout: str = "auto",
    schema: Schema | None = None,
    roles: Iterable[RoleSpec] | None = None,
) -> PermissionTable:
    """Read a permission CSV (wide or long layout) into a PermissionTable.

    ``source`` is a path, a file object (text or binary) or the CSV text
    itself (``bytes``, or a ``str`` that holds a newline, or a delimiter and
    names no file). ``layout`` is
    ``"auto"`` (from the header), ``"wide"`` or ``"long"``. With ``schema``,
    entity and field display names resolve to codes and unknown ones are
    errors. With ``roles`` (codes, dicts with ``code``/``display_name`` as
    ``Site.roles()`` gives, or objects with those attributes), role headers
    may be display names and unknown roles are errors.

    Returns the table; raises ``CsvError`` naming row, column and value.
    Cells a spreadsheet would run as formulas (starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return; not ``-`` alone or a number
    such as ``-1``) are kept exactly as written, with one ``FormulaWarning``
    for the file naming the first one's row and column and how many there are.
    """
    if isinstance(roles, (str, bytes)):
        raise TypeError('roles must be a list of role codes or roles, e.g. ["artist"], not a str')
    data, path = _load(source)
    return _read(data, path, layout, schema, roles, stacklevel=3)[0]


def _read(
    data: bytes,
    path: str | None,
    layout: str,
    schema: Schema | None,
    roles: Iterable[RoleSpec] | None,
    *,
    stacklevel: int = 2,
) -> tuple[PermissionTable, str]:
    """Read CSV bytes; returns the table and the layout the text was in. A
    FormulaWarning is attributed ``stacklevel`` frames up from here."""
    if layout not in ("auto", "wide", "long"):
        raise ValueError(f'unknown layout "{layout}"; expected "auto", "wide" or "long"')
    return _read_csv_bytes(
        data,
        layout=None if layout == "auto" else layout,
        schema=schema,
        roles=None if roles is None else [_role_pair(r) for r in roles],
        path=path,
        stacklevel=stacklevel,
    )


def _load(source: Source) -> tuple[bytes, str | None]:
    """The bytes of a CSV source and the path to name in errors, if any."""
    if isinstance(source, bytes):
        return source, None
    if isinstance(source, str) and _looks_like_text(source):
        return source.encode("utf-8"), None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as f:
            return f.read(), _display_path(path)
    if hasattr(source, "read"):
        data = source.read()
        name = getattr(source, "name", None)
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return data, _display_path(name) if isinstance(name, (str, bytes)) else None
    raise TypeError(
        f"read_csv() takes a path, a file object or CSV text, not {type(source).__name__}"
    )


def _looks_like_text(source: str) -> bool:
    """Whether a str passed as a source is CSV text rather than a file name."""
    if "\n" in source or "\r" in source or not source.strip("\ufeff \t"):
        return True
    if os.path.exists(source) or source.lower().endswith((".csv", ".tsv", ".txt")):
        return False
    return any(d in source for d in ",;\t")


def _display_path(path: str | bytes) -> str:
    """A path as errors show it: any bytes the file system name holds that
    are not UTF-8 appear escaped instead of failing."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def _role_pair(role: RoleSpec) -> tuple[str, str]:
    """(code, display_name) from a code, a mapping or an object with attributes."""
    if isinstance(role, str):
        return role, role
    if isinstance(role, Mapping):
        code = role.get("code")
        display = role.get("display_name") or code
    else:
        code = getattr(role, "code", None)
        display = getattr(role, "display_name", None) or code
    if not isinstance(code, str) or not code:
        raise TypeError(f"a role needs a code: got {role!r}")
    return code, str(display)


# sgperms logs what a Toolkit or cron log should keep (snapshots, probes, role
# changes) on "sgperms" and its children; silent until the application configures logging.
logging.getLogger("sgperms").addHandler(logging.NullHandler())

# Last: these modules build on the names above.
from .git import HistoryError  # noqa: E402
from .history import History, log, table_at  # noqa: E402
from .probe import ProbeAborted  # noqa: E402
from .promote import RoleChange  # noqa: E402
from .records import Assignment, Event, Role  # noqa: E402
from .reports import role_report, write_site  # noqa: E402
from .site import PermissionDenied, Site  # noqa: E402
from .snapshot import SnapshotResult  # noqa: E402
