"""Role reports ("what may this role do?") and the HTML site, fed with what
a snapshot folder knows: roles.csv, users.csv and schema.json. The Rust core
renders; this module only gathers the data."""

from __future__ import annotations

import csv
import os
from typing import Any, Iterable, List, Optional, Tuple

from . import PermissionTable, Schema
from ._core import report_role as _report_role
from ._core import warn_formulas as _warn_formulas
from ._core import render_site as _render_site
from .folder import writing

RoleRow = Tuple[str, str, str, str]
UserRow = Tuple[str, str, str, Optional[bool]]


def _get(item: Any, key: str, default: Any = "") -> Any:
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)


def _role_rows(roles: Optional[Iterable[Any]]) -> Optional[List[RoleRow]]:
    if roles is None:
        return None
    return [
        (str(_get(r, "code")), str(_get(r, "display_name") or _get(r, "code")), str(_get(r, "user_type")), str(_get(r, "template")))
        for r in roles
    ]


def _active(value: Any) -> Optional[bool]:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    return {"yes": True, "true": True, "no": False, "false": False}.get(text)


def _user_rows(users: Optional[Iterable[Any]]) -> Optional[List[UserRow]]:
    if users is None:
        return None
    return [(str(_get(u, "role")), str(_get(u, "login")), str(_get(u, "name")), _active(_get(u, "active", None))) for u in users]


#: The columns each snapshot file needs, and the header sgperms writes.
ROLES_HEADER = ("code", "display_name", "user_type", "template", "system_default", "id")
USERS_HEADER = ("user_type", "id", "login", "name", "active", "role")
_NEEDED = {"roles.csv": ("code", "display_name"), "users.csv": ("login", "role")}


def _text(path: str) -> str:
    """A file's UTF-8 text (a BOM dropped). OSError (naming the file) when it
    cannot be opened; ValueError naming the file and line when it is not
    UTF-8 text."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ValueError(f"{path}, row {line}: invalid UTF-8; save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)") from None


def _read_rows(path: str, kind: str = "") -> List[dict]:
    """The rows of roles.csv or users.csv (``kind``, or the file's name) as
    dicts; missing cells are empty. Errors name the file (and row): not UTF-8,
    no header, a header without the columns sgperms reads."""
    text = _text(path)
    _warn_formulas(text.encode("utf-8"), path)
    kind = kind or os.path.basename(path)
    needed = _NEEDED.get(kind, ())
    expected = ",".join(ROLES_HEADER if kind == "roles.csv" else USERS_HEADER)
    try:
        reader = csv.DictReader(text.splitlines(True), restval="")
        header = [h.strip() for h in reader.fieldnames or []]
        rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as e:
        raise ValueError(f"{path}, row {reader.line_num}: {e}; expected a CSV file such as {kind} ({expected})") from None
    if not header:
        raise ValueError(f"{path}: the file is empty; expected a header such as {expected}")
    missing = [c for c in needed if c not in header]
    if missing:
        raise ValueError(
            f"{path}, row 1: the header lacks {', '.join(missing)}; expected {expected} "
            f"(as 'sgperms snapshot' writes {kind})"
        )
    return rows


def _read_schema(path: str) -> Schema:
    try:
        return Schema.from_json(_text(path))
    except ValueError as e:
        raise ValueError(e if str(e).startswith(path) else f"{path}: {e}") from None


def snapshot_context(folder: str) -> dict:
    """roles, users and schema from a snapshot folder, for those it holds.
    A file that is there but cannot be read is an error naming it (OSError or
    ValueError), never skipped: a garbled roles.csv must not silently drop
    the checks and names it provides."""
    found: dict = {}
    roles, users, schema = (os.path.join(folder, n) for n in ("roles.csv", "users.csv", "schema.json"))
    if os.path.lexists(roles):
        found["roles"] = _read_rows(roles, "roles.csv")
    if os.path.lexists(users):
        found["users"] = _read_rows(users, "users.csv")
    if os.path.lexists(schema):
        found["schema"] = _read_schema(schema)
    return found


def role_report(
    table: PermissionTable,
    role: str,
    *,
    format: str = "markdown",
    roles: Optional[Iterable[Any]] = None,
    users: Optional[Iterable[Any]] = None,
    schema: Optional[Schema] = None,
    title: str = "",
) -> str:
    """One role's page as Markdown or HTML: what it can see, create, retire
    and edit, entity by entity; fields that differ; apps; advanced
    permissions; who holds it. ``roles``/``users`` are Site.roles() and
    Site.assignments() results or rows of roles.csv/users.csv."""
    return _report_role(
        table, role, format=format, roles=_role_rows(roles), users=_user_rows(users), schema=schema, title=title
    )


def write_site(
    table: PermissionTable,
    out_dir: "os.PathLike[str] | str",
    *,
    roles: Optional[Iterable[Any]] = None,
    users: Optional[Iterable[Any]] = None,
    schema: Optional[Schema] = None,
    title: str = "",
) -> List[str]:
    """Write a self-contained HTML site (index.html, one page per role,
    matrix.html) into ``out_dir`` as one unit (sgperms.folder: all pages new
    or, on any failure, all as they were; symlinks refused). Returns the file
    names written."""
    pages = _render_site(table, roles=_role_rows(roles), users=_user_rows(users), schema=schema, title=title)
    names = [name for name, _ in pages]
    with writing(out_dir, "sgperms report", check=names) as unit:
        unit.commit([(name, text.encode("utf-8")) for name, text in pages])
    return names
