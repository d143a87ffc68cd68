"""Role reports ("what may this role do?") and the HTML site, fed with what
a snapshot folder knows: roles.csv, users.csv and schema.json. The Rust core
renders; this module only gathers the data."""

from __future__ import annotations

import csv
import os
from typing import Any, Iterable, List, Optional, Tuple

from . import PermissionTable, Schema
from ._core import report_role as _report_role
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


def _read_rows(path: str) -> List[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def snapshot_context(folder: str) -> dict:
    """roles, users and schema from a snapshot folder, for those it holds."""
    found: dict = {}
    roles, users, schema = (os.path.join(folder, n) for n in ("roles.csv", "users.csv", "schema.json"))
    if os.path.exists(roles):
        found["roles"] = _read_rows(roles)
    if os.path.exists(users):
        found["users"] = _read_rows(users)
    if os.path.exists(schema):
        with open(schema, encoding="utf-8") as f:
            found["schema"] = Schema.from_json(f.read())
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
