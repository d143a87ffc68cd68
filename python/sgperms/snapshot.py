"""The snapshot folder: its files, their formats, reading them, and writing
the folder as one unit. Site, the role reports, the demo and the ``sgperms``
command (``sgperms.cli``) go through this module for the files' names and
layouts.

=================== ====================================================== ==================
file                what                                                   read with
=================== ====================================================== ==================
``roles.csv``       every PermissionRuleSet, one ``Role`` a row            ``read_roles``
``users.csv``       who holds which role, one ``Assignment`` a row         ``read_users``
``permissions.csv`` the permission table, wide layout                      ``read_table``
``history.csv``     permission events, one ``Event`` a row, ``meta`` raw   ``read_history``
``schema.json``     entity types and fields with display names (Schema)    ``read_schema``
``snapshot.json``   site URL (no credentials), time, sgperms version,      ``recorded_site``
                    counts
=================== ====================================================== ==================

``write(site, out_dir)`` reads a site and replaces these files together
(through ``sgperms.folder.writing``): the folder holds the previous set or the
new set, never a mix. Every reader names the file (and row) in its errors:
OSError when the file cannot be opened, ValueError when it is not what
sgperms writes. The CSVs are read back exactly; cells a spreadsheet would run
as formulas are kept and warned about (``sgperms.FormulaWarning``).

>>> import sgperms.snapshot as snapshot
>>> snapshot.FILES
('roles.csv', 'users.csv', 'permissions.csv', 'history.csv', 'schema.json', 'snapshot.json')
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol, Union

from . import CsvError, PermissionTable, Schema, Tiers, __version__, _html, _load
from . import folder as _folder
from ._core import read_csv_bytes as _read_csv_bytes
from ._core import refresh as _refresh
from ._core import warn_formulas as _warn_formulas
from .records import Assignment, Event, Role
from .site import Site, public_url

if TYPE_CHECKING:
    from .probe import Probe

__all__ = [
    "FILES", "HISTORY_CSV", "HISTORY_HEADER", "PERMISSIONS_CSV", "ROLES_CSV", "ROLES_HEADER", "SCHEMA_JSON",
    "SNAPSHOT_JSON", "USERS_CSV", "USERS_HEADER", "SnapshotResult", "beside", "display_names", "parse_history",
    "parse_table", "read_history", "read_roles", "read_schema", "read_table", "read_table_with_layout", "read_users",
    "recorded_site", "report_context", "role_columns", "role_names", "roles_beside", "schema_beside", "write",
]

log = logging.getLogger(__name__)

PathLike = Union[str, "os.PathLike[str]"]


class Readable(Protocol):
    """Bytes from somewhere other than a named file (the command's stdin);
    ``name`` is how errors name it."""

    name: str

    def read(self) -> bytes: ...


#: A file sgperms reads: a path, or something with read() and a name.
Source = Union[str, "os.PathLike[str]", Readable]


def _name(source: Source) -> str:
    """How errors name a source: its path, or its name."""
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else source.name

ROLES_CSV = "roles.csv"
USERS_CSV = "users.csv"
PERMISSIONS_CSV = "permissions.csv"
HISTORY_CSV = "history.csv"
SCHEMA_JSON = "schema.json"
SNAPSHOT_JSON = "snapshot.json"
# Not a snapshot file: a tier file an admin keeps beside the table (the demo writes one).
TIERS_TXT = "tiers.txt"
#: The files of a snapshot folder, in the order a snapshot builds them.
FILES = (ROLES_CSV, USERS_CSV, PERMISSIONS_CSV, HISTORY_CSV, SCHEMA_JSON, SNAPSHOT_JSON)


def _header(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


#: The header each CSV is written with: the record's fields, in order.
ROLES_HEADER = tuple(_header(Role))
USERS_HEADER = tuple(_header(Assignment))
HISTORY_HEADER = tuple(_header(Event))
# The columns sgperms reads from a roles.csv or users.csv a person made.
_NEEDED = {ROLES_CSV: ("code", "display_name"), USERS_CSV: ("login", "role")}


@dataclass
class SnapshotResult:
    """What a snapshot wrote and found."""

    out_dir: str
    roles: int
    users: int
    targets: int
    known_cells: int
    events: int
    new_events: int
    written: list[str]
    added: list[tuple[str, str, str, str]]
    dropped: list[tuple[str, str, str, str]]
    dropped_roles: list[str]
    skipped_roles: list[tuple[str, str]] = field(default_factory=list)
    filled: int = 0
    drift: list[str] = field(default_factory=list)

    def _counts(self) -> str:
        return (f"{self.roles} roles, {self.users} users, {self.targets} permission rows "
                f"({self.known_cells} known cells), {self.events} events ({self.new_events} new)")

    def _findings(self) -> list[tuple[str, str]]:
        """(what, detail) for each line the summary has after the counts and
        the files, in its order."""
        found = [("rows added for new entity types or fields", str(len(self.added)))] if self.added else []
        found += [("dropped (left the schema)", ":".join(target)) for target in self.dropped]
        found += [("dropped role column (role left the site)", role) for role in self.dropped_roles]
        found += [("role left out of permissions.csv", f"{code!r} ({why})") for code, why in self.skipped_roles]
        found += [("cells filled in by the probe", str(self.filled))] if self.filled else []
        found += [("drift (the site disagrees with the table)", line) for line in self.drift]
        return found

    def summary(self) -> str:
        """A few lines for a person or a cron mail: counts, files changed, and
        every row, role and drift worth a look."""
        lines = [
            f"snapshot in {self.out_dir}: {self._counts()}",
            "files changed: " + (", ".join(self.written) if self.written else "none (the site is unchanged)"),
        ]
        return "\n".join(lines + [f"{what}: {detail}" for what, detail in self._findings()])

    def _repr_html_(self) -> str:
        """A compact HTML preview for Jupyter: the counts, then each file
        written and each line of the summary after them."""
        rows = [("file written", name) for name in self.written] + self._findings()
        return _html.preview(f"SnapshotResult {self.out_dir}", self._counts(), ("what", "detail"), rows)


# -- reading the files -----------------------------------------------------------


def beside(path: PathLike, name: str) -> str | None:
    """The file ``name`` in the snapshot folder ``path`` is (or the file
    ``path`` sits in), spelt as relative as ``path`` was; None when it is not
    there."""
    path = os.fspath(path)
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    found = os.path.join(folder, name)
    return found if os.path.lexists(found) else None


def _text(source: Source) -> str:
    """A file's UTF-8 text (a BOM dropped). OSError (naming the file) when it
    cannot be opened; ValueError naming the file and line when it is not
    UTF-8 text."""
    path = _name(source)
    if isinstance(source, (str, os.PathLike)):
        with open(path, "rb") as f:
            data = f.read()
    else:
        data = source.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ValueError(
            f"{path}, row {line}: invalid UTF-8; save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)") from None


def _read_rows(source: Source, kind: str = "") -> list[dict[str, str]]:
    """The rows of roles.csv or users.csv (``kind``, or the file's name) as
    dicts; missing cells are empty. Errors name the file (and row): not UTF-8,
    no header, a header without the columns sgperms reads."""
    path = _name(source)
    text = _text(source)
    _warn_formulas(text.encode("utf-8"), path)
    kind = kind or os.path.basename(path)
    needed = _NEEDED.get(kind, ())
    expected = ",".join(ROLES_HEADER if kind == ROLES_CSV else USERS_HEADER)
    try:
        reader = csv.DictReader(text.splitlines(True), restval="")
        header = [h.strip() for h in reader.fieldnames or []]
        rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as e:
        raise ValueError(
            f"{path}, row {reader.line_num}: {e}; expected a CSV file such as {kind} ({expected})") from None
    if not header:
        raise ValueError(f"{path}: the file is empty; expected a header such as {expected}")
    missing = [c for c in needed if c not in header]
    if missing:
        raise ValueError(
            f"{path}, row 1: the header lacks {', '.join(missing)}; expected {expected} "
            f"(as 'sgperms snapshot' writes {kind})"
        )
    return rows


def _flag(value: Any) -> bool | None:
    """A yes/no cell (yes, true, no, false in any case) as a bool; None when
    empty or anything else. A bool or None is returned as it is."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    return {"yes": True, "true": True, "no": False, "false": False}.get(text)


def _id(value: str) -> int:
    """An id cell as an int; 0 where a hand-made file has none (ids are only shown)."""
    text = value.strip()
    return int(text) if text.isdigit() else 0


def read_roles(path: Source) -> list[Role]:
    """The roles of a roles.csv, in file order, cells as written. A hand-made
    file needs only ``code`` and ``display_name``; a column it lacks reads
    as empty ('', ``system_default`` False, ``id`` 0). Returns the Roles."""
    return [
        Role(code=r.get("code", ""), display_name=r.get("display_name", ""), user_type=r.get("user_type", ""),
             template=r.get("template", ""), system_default=_flag(r.get("system_default")) is True,
             id=_id(r.get("id", "")))
        for r in _read_rows(path, ROLES_CSV)
    ]


def read_users(path: Source) -> list[Assignment]:
    """Who holds which role, from a users.csv, in file order, cells as
    written. A hand-made file needs only ``login`` and ``role``; a column it
    lacks reads as empty ('', ``active`` None, ``id`` 0). Returns the
    Assignments."""
    return [
        Assignment(user_type=r.get("user_type", ""), id=_id(r.get("id", "")), login=r.get("login", ""),
                   name=r.get("name", ""), active=_flag(r.get("active")), role=r.get("role", ""))
        for r in _read_rows(path, USERS_CSV)
    ]


def read_history(path: PathLike) -> dict[int, list[str]]:
    """The rows of a history.csv by event id, each kept exactly as written
    (a snapshot appends to them); empty when there is no file or it is
    empty. ValueError naming the file and row when it is not one sgperms
    wrote."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    return parse_history(data, path)


def parse_history(data: bytes, path: str) -> dict[int, list[str]]:
    """The rows of a history.csv's bytes by event id, as ``read_history``
    (errors name it ``path``); a FormulaWarning when cells would run as
    formulas in a spreadsheet."""
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: invalid UTF-8; save it as CSV UTF-8") from None
    except csv.Error as e:
        raise ValueError(f"{path}: {e}") from None
    if not rows:
        return {}
    header = list(HISTORY_HEADER)
    if rows[0] != header:
        raise ValueError(f"{path}: not a sgperms history file (expected the header {','.join(header)})")
    _warn_formulas(data, path)  # kept as written; a spreadsheet would run them
    history = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(
                f"{path}, row {number}: expected {len(header)} fields ({','.join(header)}), got {len(row)}")
        try:
            history[int(row[0])] = row
        except ValueError:
            raise ValueError(f"{path}, row {number}: expected an event id, got {row[0]!r}") from None
    return history


def read_schema(source: Source) -> Schema:
    """The Schema a schema.json holds (what ``Schema.to_json()`` writes).
    Errors name the file."""
    path = _name(source)
    try:
        return Schema.from_json(_text(source))
    except ValueError as e:
        raise ValueError(e if str(e).startswith(path) else f"{path}: {e}") from None


def recorded_site(folder: PathLike) -> str | None:
    """The site (URL) a snapshot folder's snapshot.json records; None when
    there is no snapshot.json. Raises ValueError naming the file when it is
    not one sgperms wrote."""
    path = os.path.join(os.fspath(folder), SNAPSHOT_JSON)
    try:
        with open(path, encoding="utf-8") as f:
            site = json.load(f).get("site")
    except FileNotFoundError:
        return None
    except (ValueError, AttributeError):
        site = None
    if not isinstance(site, str):
        raise ValueError(f"{path}: not a sgperms snapshot.json; move it away to snapshot here")
    return site


def schema_beside(path: PathLike) -> Schema | None:
    """The schema.json beside a table (or in a snapshot folder), read; None
    when there is none."""
    found = beside(path, SCHEMA_JSON)
    return read_schema(found) if found else None


def roles_beside(path: PathLike, roles_file: Source | None = None
                 ) -> tuple[list[tuple[str, str]] | None, str | None]:
    """The roles a table beside ``path`` may have as columns, and the file
    they came from: (code, display name) of each assignable role in
    ``roles_file``, else in the roles.csv beside ``path``; (None, None) when
    there is none. ShotGrid's *_system_default templates are not columns."""
    found: Source | None = roles_file if roles_file else beside(path, ROLES_CSV)
    if found is None:
        return None, None
    return role_columns(found), _name(found)


def role_columns(roles_file: Source) -> list[tuple[str, str]]:
    """(code, display name) of each role in a roles.csv that a table may
    have as a column: ShotGrid's *_system_default templates are not."""
    return [
        (r.code.strip(), (r.display_name or r.code).strip())
        for r in read_roles(roles_file)
        if r.code.strip() and not r.system_default
    ]


def display_names(path: PathLike) -> list[tuple[str, str]] | None:
    """(code, display name) of every role in the roles.csv beside ``path``,
    templates included (a click plan names them); None when there is none
    or it holds no role."""
    found = beside(path, ROLES_CSV)
    return role_names(read_roles(found)) if found else None


def role_names(roles: Sequence[Role]) -> list[tuple[str, str]] | None:
    """(code, display name, or the code when it has none) of each role;
    None when there is no role."""
    return [(r.code, r.display_name or r.code) for r in roles] or None


def _naming_roles_file(e: CsvError, roles_file: str | None) -> CsvError:
    """An unknown-role error says which roles.csv the roles came from."""
    if roles_file and 'unknown role "' in str(e):
        named = CsvError(f"{e} (the roles of {roles_file})")
        for attribute in ("path", "row", "column", "value"):
            setattr(named, attribute, getattr(e, attribute, None))
        return named
    return e


def read_table_with_layout(path: PathLike, *, roles_file: Source | None = None) -> tuple[PermissionTable, str]:
    """A permission table from a CSV file or a snapshot folder (its
    permissions.csv), and the layout it was in ("wide" or "long").

    Where a roles.csv sits beside the table (or ``roles_file`` is given),
    every role column must be one of its roles (display names resolve): a
    misspelt column is a CsvError naming the file, the column, the closest
    role and the roles file, never a new role. Entity and field display
    names resolve with the schema.json beside it; names it lacks are kept as
    typed. Without a roles.csv the CSV may add roles."""
    path = os.fspath(path)
    if os.path.isdir(path):
        inner = os.path.join(path, PERMISSIONS_CSV)
        if not os.path.lexists(inner):
            raise ValueError(
                f"{inner}: no such file; pass a permission CSV, or a snapshot folder (one that holds permissions.csv)"
            )
        path = inner
    schema = schema_beside(path)
    roles, found = roles_beside(path, roles_file)
    data, shown = _load(path)
    return parse_table(data, shown, schema=schema, roles=roles, roles_file=found)


def parse_table(data: bytes, shown: str | None, *, schema: Schema | None, roles: list[tuple[str, str]] | None,
                roles_file: str | None) -> tuple[PermissionTable, str]:
    """A permission table from the bytes of a permissions.csv (errors name
    it ``shown``), read as ``read_table_with_layout`` reads a folder's:
    display names resolved with ``schema``, every role column one of
    ``roles`` (from ``role_columns`` of the file ``roles_file``) when given.
    Returns the table and its layout; CsvError naming row and column."""
    try:
        return _read_csv_bytes(data, schema=schema, roles=roles, path=shown, lenient=True,
                               strict_roles=roles is not None)
    except CsvError as e:
        raise _naming_roles_file(e, roles_file) from None


def read_table(path: PathLike, *, roles_file: Source | None = None) -> PermissionTable:
    """A permission table from a CSV file or a snapshot folder, checked
    against the roles.csv beside it; see ``read_table_with_layout``."""
    return read_table_with_layout(path, roles_file=roles_file)[0]


def snapshot_provenance(folder: PathLike) -> dict[str, Any] | None:
    """A snapshot folder's snapshot.json as a dict (site, taken_at,
    sgperms_version, counts), for the report pages to name; None when there
    is none or it is not one sgperms wrote (only the snapshot writer
    depends on that file, so readers never fail over it)."""
    path = os.path.join(os.fspath(folder), SNAPSHOT_JSON)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("site"), str):
        log.debug("%s: not a sgperms snapshot.json; the report names no site", path)
        return None
    return data


def report_context(path: PathLike, *, roles: Source | None = None, users: Source | None = None,
                   schema: Source | None = None, tiers: PathLike | Tiers | None = None) -> dict[str, Any]:
    """What a role report knows about a table: ``roles`` (Roles), ``users``
    (Assignments), ``schema`` (Schema) and ``tiers`` (Tiers, from tiers.txt;
    or given read) from the files given, else from those beside ``path`` (a snapshot
    folder, or a table in one), for those there are, and ``snapshot`` (the
    folder's snapshot.json); keyword arguments for ``sgperms.role_report``
    and ``write_site``. A file that is there but cannot be read is an error
    naming it (OSError or ValueError), never skipped: a garbled roles.csv
    must not silently drop the checks and names it provides."""
    found: dict[str, Any] = {}
    roles_path = roles or beside(path, ROLES_CSV)
    if roles_path:
        found["roles"] = read_roles(roles_path)
    users_path = users or beside(path, USERS_CSV)
    if users_path:
        found["users"] = read_users(users_path)
    schema_path = schema or beside(path, SCHEMA_JSON)
    if schema_path:
        found["schema"] = read_schema(schema_path)
    if isinstance(tiers, Tiers):
        found["tiers"] = tiers
    elif tiers_path := tiers or beside(path, TIERS_TXT):
        found["tiers"] = Tiers.read(os.fspath(tiers_path))
    snapshot_file = beside(path, SNAPSHOT_JSON)
    provenance = snapshot_provenance(os.path.dirname(snapshot_file) or ".") if snapshot_file else None
    if provenance:
        found["snapshot"] = provenance
    return found


# -- writing the folder ----------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _rows(items: Sequence[Any], cls: type) -> list[list[str]]:
    return [_header(cls)] + [[_cell(v) for v in asdict(item).values()] for item in items]


def _csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _differs(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read() != data
    except FileNotFoundError:
        return True


def _snapshot_json(site_url: str, counts: dict[str, int]) -> bytes:
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    info = {
        "site": site_url,
        "taken_at": now.isoformat() + "Z",
        "sgperms_version": __version__,
        "counts": counts,
    }
    return (json.dumps(info, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _fill(table: PermissionTable, probed: PermissionTable) -> tuple[PermissionTable, int]:
    """``table`` with the probe's decided values where its own effective value
    is unknown; recorded values are never overwritten. Returns (table, count)."""
    table = table.copy()
    filled = 0
    for target in probed.targets():
        for role in probed.roles:
            value = probed.get(role, *target)
            if value and role in table.roles and table.effective(role, *target) == "":
                table.set(role, *target, value)
                filled += 1
    return table, filled


def _check_folder(out: str, site_url: str) -> None:
    """Refuses a folder holding another site's snapshot, or files named
    like a snapshot's that sgperms did not write."""
    recorded = recorded_site(out)
    if recorded is not None:
        if recorded != site_url:
            raise ValueError(
                f"{out} holds a snapshot of {recorded}, not of {site_url}: use another folder for this site"
            )
        return
    ours = [name for name in FILES if os.path.exists(os.path.join(out, name))]
    if ours:
        raise ValueError(
            f"{os.path.join(out, ours[0])} exists but {out} holds no snapshot.json: "
            "sgperms would overwrite a file it did not write; use an empty folder"
        )


def _previous_permissions(site: Site, path: str, roles: Sequence[Role]) -> PermissionTable | None:
    """The previous permissions.csv, names resolved against the site as it
    is now; names the site no longer has are kept so they can be reported."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    assignable = [(r.code, r.display_name) for r in roles if not r.system_default]
    return _read_csv_bytes(data, schema=site.schema(), roles=assignable, path=path, lenient=True)[0]


def write(
    site: Site,
    out_dir: PathLike,
    *,
    since: Any = None,
    permissions: PermissionTable | None = None,
    probe: Probe | None = None,
    also: Mapping[str, bytes] | None = None,
) -> SnapshotResult:
    """Read ``site`` (a ``sgperms.Site``) and write roles.csv, users.csv,
    permissions.csv (wide), history.csv, schema.json and snapshot.json (and
    the files ``also`` maps by name, such as the demo's tiers.txt) into
    ``out_dir``, as one unit.

    Known cell values and notes of the previous permissions.csv (or of
    ``permissions``, when given) are kept; rows for new entity types and
    fields are added; rows whose entity type or field left the schema are
    dropped and listed. With ``probe`` (a ``sgperms.probe.Probe``), its
    decided values fill unknown cells and where the site disagrees with the
    table is listed as drift. History is appended, one row per event id;
    without ``since`` only events newer than the last one recorded are read.
    An unchanged site changes no byte. Everything is read before anything
    is written, and the folder is replaced as one unit (sgperms.folder): a
    failed read or write, or a run killed at any point, leaves the previous
    snapshot whole (a killed run's files are put back by the next sgperms
    command touching the folder). The folder's lock keeps overlapping
    snapshots apart; symlinks among its files are refused; a folder holding
    another site's snapshot, or files named like a snapshot's that sgperms
    did not write, is refused (ValueError). Returns a SnapshotResult.
    """
    out = os.fspath(out_dir)
    extra = dict(also or {})
    site_url = public_url(getattr(site.sg, "base_url", ""))
    log.info("snapshot of %s into %s: started", site_url, out)
    with site.reads_once(), _folder.writing(out, "sgperms snapshot", notice=site.progress,
                                            check=FILES + tuple(extra)) as unit:
        _check_folder(out, site_url)
        result, contents = _build(site, out, site_url, since=since, permissions=permissions, probe=probe, extra=extra)
        if site.progress:
            site.progress(f"writing {len(result.written)} file(s) to {out}")
        unit.commit([(name, contents[name]) for name in result.written])
    log.info("snapshot of %s into %s: %s; files written: %s", site_url, out, result._counts(),
             ", ".join(result.written) or "none (the site is unchanged)")
    for what, detail in result._findings():
        log.info("snapshot of %s: %s: %s", site_url, what, detail)
    return result


def _build(site: Site, out: str, site_url: str, *, since: Any, permissions: PermissionTable | None, probe: Probe | None,
           extra: dict[str, bytes]) -> tuple[SnapshotResult, dict[str, bytes]]:
    """Everything a snapshot reads, and the files' new contents: (the result,
    with the names of the files that differ in ``written``; name -> bytes)."""
    previous_history = read_history(os.path.join(out, HISTORY_CSV))
    if since is None and previous_history:
        since = max(previous_history)
    roles = site.roles()
    users = site.assignments()
    events = site.history(since=since)
    fresh = site.template()
    if permissions is None:
        permissions = _previous_permissions(site, os.path.join(out, PERMISSIONS_CSV), roles)
    if permissions is not None:
        table, added, dropped, dropped_roles = _refresh(permissions, fresh)
    else:
        table, added, dropped, dropped_roles = fresh, [], [], []
    drift: list[str] = []
    filled = 0
    if probe is not None:
        drift = [f"{c['role']} {c['kind']}:{c['entity_type']}:{c['name']}:{c['action']}: recorded "
                 f"{c['before'] or 'unknown'}, site {c['after']}" for c in probe.compare(table)]
        table, filled = _fill(table, probe.table)
    history = dict(previous_history)
    new_events = [e for e in events if e.id not in history]
    for event in new_events:
        history[event.id] = _rows([event], Event)[1]
    contents = {
        ROLES_CSV: _csv_bytes(_rows(roles, Role)),
        USERS_CSV: _csv_bytes(_rows(users, Assignment)),
        PERMISSIONS_CSV: table.to_csv().encode("utf-8"),
        HISTORY_CSV: _csv_bytes([_header(Event)] + [history[i] for i in sorted(history)]),
        SCHEMA_JSON: (site.schema().to_json() + "\n").encode("utf-8"),
        **extra,
    }
    counts = {
        "roles": len(roles),
        "users": len(users),
        "permission_rows": len(table),
        "known_cells": table.known_cells(),
        "events": len(history),
    }
    written = [name for name, data in contents.items() if _differs(os.path.join(out, name), data)]
    if written or not os.path.exists(os.path.join(out, SNAPSHOT_JSON)):
        contents[SNAPSHOT_JSON] = _snapshot_json(site_url, counts)
        written.append(SNAPSHOT_JSON)
    result = SnapshotResult(
        out_dir=out,
        roles=len(roles),
        users=len(users),
        targets=len(table),
        known_cells=counts["known_cells"],
        events=len(history),
        new_events=len(new_events),
        written=written,
        added=list(added),
        dropped=list(dropped),
        dropped_roles=list(dropped_roles),
        skipped_roles=site.skipped_roles,
        filled=filled,
        drift=drift,
    )
    return result, contents
