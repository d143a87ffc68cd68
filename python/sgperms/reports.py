"""Role reports ("what may this role do?"), the HTML site, and "what am I
allowed to do?" for one person. The Rust core renders; this module gathers
the data: what a snapshot folder knows (``sgperms.snapshot.report_context``:
roles.csv, users.csv, schema.json) or what a Site reads and probes."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import PermissionTable, Schema, Tiers
from ._core import did_you_mean
from ._core import render_site as _render_site
from ._core import report_role as _report_role
from .folder import writing
from .snapshot import _flag

if TYPE_CHECKING:
    from .site import Site

log = logging.getLogger(__name__)

RoleRow = tuple[str, str, str, str]
SnapshotRow = tuple[str, str, str]
UserRow = tuple[str, str, str, Optional[bool]]


def _get(item: Any, key: str, default: Any = "") -> Any:
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)


def _role_rows(roles: Iterable[Any] | None) -> list[RoleRow] | None:
    if roles is None:
        return None
    return [
        (str(_get(r, "code")), str(_get(r, "display_name") or _get(r, "code")), str(_get(r, "user_type")),
         str(_get(r, "template")))
        for r in roles
    ]


def _user_rows(users: Iterable[Any] | None) -> list[UserRow] | None:
    if users is None:
        return None
    return [(str(_get(u, "role")), str(_get(u, "login")), str(_get(u, "name")), _flag(_get(u, "active", None)))
            for u in users]


def _snapshot_row(snapshot: Any) -> SnapshotRow | None:
    if snapshot is None:
        return None
    return (str(_get(snapshot, "site") or ""), str(_get(snapshot, "taken_at") or ""),
            str(_get(snapshot, "sgperms_version") or ""))


def role_report(
    table: PermissionTable,
    role: str,
    *,
    format: str = "markdown",
    roles: Iterable[Any] | None = None,
    users: Iterable[Any] | None = None,
    schema: Schema | None = None,
    title: str = "",
    snapshot: Any = None,
    tiers: Tiers | None = None,
) -> str:
    """One role's page as Markdown or HTML: what it can see, create, retire
    and edit, entity by entity (by display name), with each rule's note;
    fields that differ; apps; advanced permissions in words; with ``tiers``,
    its place in them and the missed permissions it takes part in, marked
    at the rule; who holds it. ``roles``/``users`` are Roles and
    Assignments (from a Site, or ``sgperms.snapshot.read_roles`` and
    ``read_users``) or rows of roles.csv/users.csv as dicts; ``snapshot``
    is snapshot.json as a dict (site, taken_at, sgperms_version). TierError
    when the table lacks a tier role."""
    return _report_role(
        table, role, format=format, roles=_role_rows(roles), users=_user_rows(users), schema=schema, title=title,
        snapshot=_snapshot_row(snapshot), tiers=tiers,
    )


def write_site(
    table: PermissionTable,
    out_dir: os.PathLike[str] | str,
    *,
    roles: Iterable[Any] | None = None,
    users: Iterable[Any] | None = None,
    schema: Schema | None = None,
    title: str = "",
    snapshot: Any = None,
    tiers: Tiers | None = None,
) -> list[str]:
    """Write a self-contained HTML site (index.html, one page per role,
    matrix.html) into ``out_dir`` as one unit, removing in the same unit the
    pages of roles no longer in the table (``stale_pages``; no other file)
    (sgperms.folder: all pages new and the stale ones gone or, on any
    failure, all as they were; symlinks refused). The index names the site,
    the snapshot's date and the sgperms version (``snapshot``) and, with
    ``tiers``, lists the missed permissions; the role pages are
    ``role_report``'s; ``tiers`` also puts the matrix's roles in tier order
    and names the admin roles (its ``admins:`` line), which the matrix leaves
    out of its default choice. Returns the file names written."""
    pages = _render_site(table, roles=_role_rows(roles), users=_user_rows(users), schema=schema, title=title,
                         snapshot=_snapshot_row(snapshot), tiers=tiers)
    names = [name for name, _ in pages]
    with writing(out_dir, "sgperms report", check=names) as unit:
        stale = stale_pages(out_dir, names)
        unit.commit([(name, text.encode("utf-8")) for name, text in pages], remove=stale)
    log.info("report site written to %s: %d pages%s", os.fspath(out_dir), len(names),
             f", {len(stale)} of roles no longer in the table removed" if stale else "")
    return names


#: The file name of a role's page (``role_file`` in src/report.rs): ``role-CODE.html``,
#: ``role-CODE-HASH.html`` for a code that needed characters replaced.
ROLE_PAGE = re.compile(r"role-[A-Za-z0-9_-]+\.html")
#: How every HTML page sgperms writes starts (compared without case).
_PAGE_START = b"<!doctype html>"


def stale_pages(out_dir: os.PathLike[str] | str, keep: Iterable[str]) -> list[str]:
    """The role pages in ``out_dir`` that an earlier ``write_site`` wrote and
    ``keep`` (the new site's files) no longer has: plain files named as
    sgperms names a role's page and holding an HTML page. Nothing else in the
    folder is ever listed. Returns their names, sorted."""
    kept = set(keep)
    try:
        entries = list(os.scandir(out_dir))
    except (FileNotFoundError, NotADirectoryError):  # no site yet; writing it says what is wrong
        return []
    stale = []
    for entry in entries:
        if entry.name in kept or not ROLE_PAGE.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        with open(entry.path, "rb") as f:
            if f.read(len(_PAGE_START)).lower() == _PAGE_START:
                stale.append(entry.name)
    return sorted(stale)



def allowed(site: Site, login: str, *, format: str = "markdown", connect: Callable[[str], Any] | None = None,
            project: Any = None, rate: float | None = None) -> str:
    """"What am I allowed to do?" for one person of ``site`` (a
    ``sgperms.Site``): probes their role as them (``sgperms.probe.run``;
    ``connect``, ``project`` and ``rate`` as there) and renders it as their role's
    page, titled with their name. Returns Markdown or HTML (``format``).
    LookupError when no person has that login and a role; PermissionError
    when the probe cannot act as them."""
    from .probe import run

    with site.reads_once():
        people = [a for a in site.assignments() if a.user_type == "HumanUser" and a.role]
        person = next((a for a in people if a.login.lower() == login.lower()), None)
        if person is None:
            hint = did_you_mean(login, [a.login for a in people])
            raise LookupError(f"no person with login {login!r} holding a role on the site{hint}")
        measured = run(site, {person.role: person.login}, connect=connect, project=project, rate=rate)
        if person.role in measured.skipped:
            raise PermissionError(f"cannot act as {login}: {measured.skipped[person.role]}")
        return role_report(measured.table, person.role, format=format, roles=site.roles(),
                           users=[a for a in site.assignments() if a.login == person.login],
                           schema=site.schema(), title=f"What {person.name or login} may do")
