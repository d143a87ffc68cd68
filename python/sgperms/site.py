"""Reading a ShotGrid site through any shotgun_api3-compatible session.

``Site(sg)`` takes ``shotgun_api3.Shotgun``, Toolkit's
``tank_vendor.shotgun_api3.Shotgun`` or ``shotgun_api3.lib.mockgun.Shotgun``
and never imports shotgun_api3. It reads with ``find``, ``schema_read`` and
``schema_entity_read``, afresh for every public call; it writes only in
``assign_role`` (``update``) and opens sessions of its own only for the probe
(one per role, ``sudo_as_login``).
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import json
import os
import threading
import urllib.parse
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, TypeVar, cast

from . import PermissionTable, Schema, TableError, Tiers, __version__
from . import folder as _folder
from ._core import read_csv_bytes as _read_csv_bytes
from ._core import warn_formulas as _warn_formulas
from ._core import refresh as _refresh
from ._core import template as _template

USER_TYPES = ("HumanUser", "ApiUser", "ClientUser")
RULE_EVENTS = {
    "Shotgun_PermissionRuleSet_NewRule": "rule_added",
    "Shotgun_PermissionRuleSet_ChangeRule": "rule_changed",
    "Shotgun_PermissionRuleSet_DeleteRule": "rule_deleted",
}
ASSIGNMENT_EVENTS = {"Shotgun_HumanUser_Change": "HumanUser", "Shotgun_ApiUser_Change": "ApiUser"}
# Fields read per user type, where the site's schema has them. Never a
# password, session or key field (ApiUser.salted_password is the script key).
USER_FIELDS = {
    "HumanUser": ("login", "name", "sg_status_list", "permission_rule_set"),
    "ApiUser": ("firstname", "sg_status_list", "permission_rule_set"),
    "ClientUser": ("login", "name", "sg_status_list", "permission_rule_set"),
}
EVENT_FIELDS = ("event_type", "created_at", "user", "entity", "attribute_name", "meta", "description")
SNAPSHOT_FILES = ("roles.csv", "users.csv", "permissions.csv", "history.csv", "schema.json", "snapshot.json")

Progress = Optional[Callable[[str], None]]


@dataclass(frozen=True)
class Role:
    """A permission role (ShotGrid's PermissionRuleSet)."""

    code: str
    display_name: str
    user_type: str
    template: str
    system_default: bool
    id: int


@dataclass(frozen=True)
class Assignment:
    """Who holds which role. ``login`` is the script name for an ApiUser;
    ``active`` is None where the site does not record it."""

    user_type: str
    id: int
    login: str
    name: str
    active: Optional[bool]
    role: str


@dataclass(frozen=True)
class Event:
    """A permission change from the event log. ``meta`` is the raw JSON."""

    id: int
    time: str
    who: str
    kind: str
    role: str
    user: str
    description: str
    meta: str = field(default="")


@dataclass(frozen=True)
class RoleChange:
    """One role-assignment decision, allowed or refused, in a form to log."""

    actor: str
    user: str
    from_role: str
    to_role: str
    allowed: bool
    reason: str
    dry_run: bool
    written: bool
    time: str

    def to_dict(self) -> Dict[str, Any]:
        """The decision as a plain dict (JSON-ready)."""
        return asdict(self)


class PermissionDenied(PermissionError):
    """A role assignment was refused; ``.change`` is the refused RoleChange."""

    def __init__(self, change: RoleChange) -> None:
        super().__init__(change.reason)
        self.change = change


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
    written: List[str]
    added: List[Tuple[str, str, str, str]]
    dropped: List[Tuple[str, str, str, str]]
    dropped_roles: List[str]
    skipped_roles: List[Tuple[str, str]] = field(default_factory=list)
    filled: int = 0
    drift: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for a person or a cron mail."""
        lines = [
            f"snapshot in {self.out_dir}: {self.roles} roles, {self.users} users, "
            f"{self.targets} permission rows ({self.known_cells} known cells), {self.events} events "
            f"({self.new_events} new)",
            "files changed: " + (", ".join(self.written) if self.written else "none (the site is unchanged)"),
        ]
        if self.added:
            lines.append(f"rows added for new entity types or fields: {len(self.added)}")
        for target in self.dropped:
            lines.append("dropped (left the schema): " + ":".join(target))
        for role in self.dropped_roles:
            lines.append(f"dropped role column (role left the site): {role}")
        for code, why in self.skipped_roles:
            lines.append(f"role left out of permissions.csv: {code!r} ({why})")
        if self.filled:
            lines.append(f"cells filled in by the probe: {self.filled}")
        for line in self.drift:
            lines.append(f"drift (the site disagrees with the table): {line}")
        return "\n".join(lines)


def _is_system_default(code: str, entity_type: str) -> bool:
    return entity_type.startswith("PermissionRuleSet.") or code.endswith("_system_default")


def _user_type(entity_type: str) -> str:
    return entity_type.split(".", 1)[1] if entity_type.startswith("PermissionRuleSet.") else entity_type


def _link_id(link: Any) -> Optional[int]:
    return link.get("id") if isinstance(link, dict) else None


def _link_name(link: Any) -> str:
    if not isinstance(link, dict):
        return ""
    return str(link.get("name") or f"{link.get('type', '')} {link.get('id', '')}".strip())


def _utc(value: Any) -> str:
    """ISO 8601 in UTC, from what shotgun_api3 returns for a date_time."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"
    return "" if value is None else str(value)


def _raw_json(value: Any) -> str:
    """``meta`` as JSON; shotgun_api3 turns dates inside it into local-time
    datetimes, so they are written in UTC to keep files host-independent."""
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=lambda v: _utc(v) if isinstance(v, _dt.datetime) else str(v))


def _since(value: Any) -> Any:
    """An event id (int) or an aware datetime, from an int, a datetime (naive
    means UTC), a date or an ISO 8601 string."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"since={value!r}: expected an event id, a datetime or a date such as 2026-01-31") from None
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    raise TypeError(f"since must be an event id, a datetime, a date or a str, not {type(value).__name__}")


def public_url(url: str) -> str:
    """The site URL without credentials, query or fragment (never raises: a
    URL that does not parse is shown as its scheme and host text)."""
    try:
        parts = urllib.parse.urlsplit(url or "")
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        rest = (url or "").split("://", 1)[-1]
        return rest.rsplit("@", 1)[-1].split("/", 1)[0].split("?", 1)[0]


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _fresh(method: _Method) -> _Method:
    """A public Site method that reads the site afresh: the outermost such
    call opens a scope in which each thing (schema, roles, assignments) is
    read at most once, and the scope ends with the call, so nothing read
    outlives it."""

    @functools.wraps(method)
    def call(self: "Site", *args: Any, **kwargs: Any) -> Any:
        if getattr(self._scope, "reads", None) is not None:
            return method(self, *args, **kwargs)
        self._scope.reads = {}
        try:
            return method(self, *args, **kwargs)
        finally:
            self._scope.reads = None

    return cast(_Method, call)


class Site:
    """A ShotGrid site read through the caller's own session. Every public
    call reads the site afresh, so a long-lived Site (a Toolkit hook, a
    notebook) sees changes made after it was created."""

    def __init__(self, sg: Any, *, progress: Progress = None) -> None:
        self.sg = sg
        self._progress = progress
        # Per thread, so that two threads calling one Site never share a call's reads.
        self._scope = threading.local()
        self._skipped_roles: List[Tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"Site({public_url(getattr(self.sg, 'base_url', ''))!r})"

    def _say(self, message: str) -> None:
        if self._progress:
            self._progress(message)

    def _once(self, key: str, read: Callable[[], Any]) -> Any:
        """``read()``, or what it returned earlier in the same public call."""
        reads = getattr(self._scope, "reads", None)
        if reads is None:
            return read()
        if key not in reads:
            reads[key] = read()
        return reads[key]

    def _schema_read(self) -> Tuple[dict, dict]:
        def read() -> Tuple[dict, dict]:
            self._say("reading the schema")
            return self.sg.schema_read(), self.sg.schema_entity_read()

        return self._once("schema", read)

    def _has(self, entity_type: str, field_name: Optional[str] = None) -> bool:
        fields_by_type = self._schema_read()[0]
        if entity_type not in fields_by_type:
            return False
        return field_name is None or field_name in fields_by_type[entity_type]

    @_fresh
    def schema(self) -> Schema:
        """The site's schema: entity types and fields with display names and data types."""
        return Schema.from_shotgun_dicts(*self._schema_read())

    @_fresh
    def roles(self) -> List[Role]:
        """Every PermissionRuleSet: assignable roles and the *_system_default
        templates, sorted by user type (HumanUser, ApiUser, ClientUser) then code."""
        return list(self._once("roles", self._read_roles))

    def _read_roles(self) -> List[Role]:
        self._say("reading roles")
        rows = self.sg.find(
            "PermissionRuleSet", [], ["code", "display_name", "entity_type", "parent_set"]
        )
        code_by_id = {row["id"]: row.get("code") or "" for row in rows}
        roles = []
        for row in rows:
            code = row.get("code") or ""
            entity_type = row.get("entity_type") or ""
            parent = _link_id(row.get("parent_set"))
            roles.append(
                Role(
                    code=code,
                    display_name=row.get("display_name") or code,
                    user_type=_user_type(entity_type),
                    template=code_by_id.get(parent, "") if parent is not None else "",
                    system_default=_is_system_default(code, entity_type),
                    id=row["id"],
                )
            )
        order = {t: i for i, t in enumerate(USER_TYPES)}
        roles.sort(key=lambda r: (r.system_default, order.get(r.user_type, len(order)), r.code))
        return roles

    def _role_codes_by_id(self) -> Dict[int, str]:
        return {role.id: role.code for role in self.roles()}

    @_fresh
    def assignments(self) -> List[Assignment]:
        """Who holds which role, for each user type the site's schema has,
        sorted by user type then login."""
        return list(self._once("assignments", self._read_assignments))

    def _read_assignments(self) -> List[Assignment]:
        codes = self._role_codes_by_id()
        result = []
        for user_type in USER_TYPES:
            if not self._has(user_type):
                continue
            wanted = [f for f in USER_FIELDS[user_type] if self._has(user_type, f)]
            self._say(f"reading {user_type} role assignments")
            for row in self.sg.find(user_type, [], wanted):
                status = row.get("sg_status_list")
                login = row.get("login") if user_type != "ApiUser" else row.get("firstname")
                role_id = _link_id(row.get("permission_rule_set"))
                result.append(
                    Assignment(
                        user_type=user_type,
                        id=row["id"],
                        login=str(login or ""),
                        name=str(row.get("name") or login or ""),
                        active=None if "sg_status_list" not in wanted else status == "act",
                        role=codes.get(role_id, _link_name(row.get("permission_rule_set"))),
                    )
                )
        order = {t: i for i, t in enumerate(USER_TYPES)}
        result.sort(key=lambda a: (order[a.user_type], a.login, a.id))
        return result

    @_fresh
    def history(self, since: Any = None) -> List[Event]:
        """Permission events from the event log, oldest first: rule events and
        role assignments. ``since`` is a datetime (events after it) or an int
        (events with a greater id)."""
        if not self._has("EventLogEntry"):
            return []
        since = _since(since)
        wanted = [f for f in EVENT_FIELDS if self._has("EventLogEntry", f)]
        self._say("reading the permission history")
        base: List[list] = []
        if isinstance(since, int):
            base.append(["id", "greater_than", since])
        elif since is not None:
            base.append(["created_at", "greater_than", since])
        # Event type first: it is the selective filter, and mockgun stops at
        # the first filter a row fails.
        rules = self.sg.find(
            "EventLogEntry", [["event_type", "in", list(RULE_EVENTS)]] + base, wanted,
            order=[{"field_name": "id", "direction": "asc"}],
        )
        assigned = self.sg.find(
            "EventLogEntry",
            [["event_type", "in", list(ASSIGNMENT_EVENTS)], ["attribute_name", "is", "permission_rule_set"]] + base,
            wanted,
            order=[{"field_name": "id", "direction": "asc"}],
        )
        codes = self._role_codes_by_id()
        logins = {(a.user_type, a.id): a.login for a in self.assignments()}
        events = [self._event(row, codes, logins) for row in rules + assigned]
        return sorted({e.id: e for e in events}.values(), key=lambda e: e.id)

    def _event(self, row: dict, codes: Dict[int, str], logins: Dict[Tuple[str, int], str]) -> Event:
        event_type = row.get("event_type") or ""
        meta = row.get("meta")
        entity = row.get("entity")
        if event_type in RULE_EVENTS:
            kind = RULE_EVENTS[event_type]
            role = _rule_role(entity, meta, codes)
            user = ""
        else:
            kind = "role_assigned"
            new_value = meta.get("new_value") if isinstance(meta, dict) else None
            role = codes.get(_link_id(new_value), _link_name(new_value))
            user = _person(entity, logins)
        return Event(
            id=row["id"],
            time=_utc(row.get("created_at")),
            who=_person(row.get("user"), logins),
            kind=kind,
            role=role,
            user=user,
            description=str(row.get("description") or ""),
            meta=_raw_json(meta),
        )

    @_fresh
    def assign_role(self, actor: str, user: str, role: str, tiers: Tiers, *, dry_run: bool = False) -> RoleChange:
        """Move person ``user`` (a login) to ``role`` on behalf of ``actor``
        (a login), as the tiers allow: nobody changes their own role, an
        inactive or unknown actor changes nothing, and the rest is
        ``tiers.can_assign``. Writes ``HumanUser.permission_rule_set`` through
        the session unless ``dry_run``. Returns the RoleChange; raises
        PermissionDenied (carrying the refused RoleChange) when refused."""
        now = _utc(_dt.datetime.now(_dt.timezone.utc))
        wanted = [f for f in ("login", "sg_status_list", "permission_rule_set") if self._has("HumanUser", f)]
        rows = self.sg.find("HumanUser", [["login", "in", [actor, user]]], wanted)
        people = {str(row.get("login") or "").lower(): row for row in rows}
        codes = self._role_codes_by_id()
        ids = {r.code: r.id for r in self.roles() if not r.system_default}

        def current(login: str) -> str:
            row = people.get(login.lower())
            return codes.get(_link_id(row.get("permission_rule_set")), "") if row else ""

        def decide(allowed: bool, reason: str, written: bool = False) -> RoleChange:
            return RoleChange(actor, user, current(user), role, allowed, reason, dry_run, written, now)

        actor_row, user_row = people.get(actor.lower()), people.get(user.lower())
        refusal = None
        if actor.lower() == user.lower():
            refusal = "nobody may change their own role"
        elif actor_row is None:
            refusal = f"no person with login {actor!r} on the site"
        elif "sg_status_list" in wanted and actor_row.get("sg_status_list") != "act":
            refusal = f"{actor} is not active"
        elif user_row is None:
            refusal = f"no person with login {user!r} on the site"
        elif role not in ids:
            refusal = f"{role!r} is not an assignable role on the site ({', '.join(sorted(ids))})"
        if refusal is None:
            decision = tiers.can_assign(current(actor), current(user), role)
            if not decision:
                refusal = f"{actor} ({current(actor)}) may not: {decision.reason}"
        if refusal is not None:
            raise PermissionDenied(decide(False, refusal))
        reason = f"{actor} ({current(actor)}) may move {user} from {current(user)} to {role}"
        if current(user) == role:
            return decide(True, f"{user} already holds {role}; nothing to change")
        if dry_run:
            return decide(True, reason + " (dry run: nothing written)")
        self.sg.update("HumanUser", user_row["id"], {"permission_rule_set": {"type": "PermissionRuleSet", "id": ids[role]}})
        return decide(True, reason, written=True)

    @_fresh
    def probe(self, users: Any = "auto", *, connect: Optional[Callable[[str], Any]] = None, project: Any = None,
              targets: Optional[Iterable[str]] = None, progress: Progress = None, rate: Optional[float] = None,
              dry_run: bool = False) -> Any:
        """Measure what each role can really do, acting as one active user per
        role through ``sudo_as_login``, with calls that cannot write (see
        sgperms.probe). ``users`` maps role code -> login, or is "auto" (the
        first active person of each role, by login; the Probe says whom).
        ``connect(login)`` returns a session acting as that login; by default
        one is made like ``self.sg`` (same class, URL, credentials, proxy and
        timeout) with ``sudo_as_login``. ``targets`` limits the entity types.
        Returns a Probe."""
        from . import probe as _probe

        unheld: Dict[str, str] = {}
        if users == "auto":
            users = self.probe_users()
            for role in self.roles():
                if not role.system_default and role.user_type == "HumanUser" and role.code not in users:
                    unheld[role.code] = "no active person holds this role: nobody to act as"
                    self._say(f"{role.code}: skipped, no active person holds it")
            for code, login in users.items():
                self._say(f"{code}: acting as {login}")
        measured = _probe.run(self, dict(users), connect=connect or self._sudo_connect, project=project,
                              targets=targets, progress=progress or self._progress, rate=rate, dry_run=dry_run)
        measured.skipped.update(unheld)
        return measured

    @_fresh
    def probe_users(self) -> Dict[str, str]:
        """Role code -> the login of the first active person holding it."""
        chosen: Dict[str, str] = {}
        for a in self.assignments():
            if a.user_type == "HumanUser" and a.active is not False and a.role and a.role not in chosen:
                chosen[a.role] = a.login
        assignable = [r.code for r in self.roles() if not r.system_default and r.user_type == "HumanUser"]
        return {code: chosen[code] for code in assignable if code in chosen}

    def _sudo_connect(self, login: str) -> Any:
        """A session like ``self.sg`` (class, URL, credentials, proxy and
        timeout) acting as ``login``. shotgun_api3's constructor takes no
        timeout and a connection keeps the timeout it was opened with, so the
        session is made without connecting (``connect=False``) and given the
        timeout before its first call."""
        config = getattr(self.sg, "config", None)
        get = lambda name: getattr(config, name, None)  # noqa: E731
        kwargs = {k: v for k, v in {
            "script_name": get("script_name"), "api_key": get("api_key"), "login": get("user_login"),
            "password": get("user_password"), "session_token": get("session_token"),
            "http_proxy": get("raw_http_proxy"),
        }.items() if v}
        session = type(self.sg)(self.sg.base_url, connect=False, sudo_as_login=login, **kwargs)
        timeout = get("timeout_secs")
        if timeout is not None:
            session.config.timeout_secs = timeout
        return session

    @_fresh
    def allowed(self, login: str, *, format: str = "markdown", connect: Optional[Callable[[str], Any]] = None,
                project: Any = None) -> str:
        """"What am I allowed to do?" for one person: probes their role as
        them and renders it as the role report. Returns Markdown or HTML."""
        from .reports import role_report

        person = next((a for a in self.assignments() if a.user_type == "HumanUser" and a.login.lower() == login.lower()), None)
        if person is None or not person.role:
            raise LookupError(f"no person with login {login!r} holding a role on the site")
        measured = self.probe({person.role: person.login}, connect=connect, project=project)
        if person.role in measured.skipped:
            raise PermissionError(f"cannot act as {login}: {measured.skipped[person.role]}")
        return role_report(measured.table, person.role, format=format, roles=self.roles(),
                           users=[a for a in self.assignments() if a.login == person.login],
                           schema=self.schema(), title=f"What {person.name or login} may do")

    @_fresh
    def template(self) -> PermissionTable:
        """Every entity type (4 actions) and field (see, edit) of the schema for
        every assignable role: entity cells unknown, field cells inherit. A role
        whose code cannot be a CSV column (empty, a column name, a duplicate)
        is left out and listed in ``skipped_roles``."""
        codes: List[str] = []
        self._skipped_roles = []
        for role in self.roles():
            if role.system_default:
                continue
            try:
                PermissionTable([role.code])
            except TableError as e:
                self._skipped_roles.append((role.code, str(e)))
                continue
            if role.code in codes:
                self._skipped_roles.append((role.code, f"a second {role.user_type} role with this code"))
                continue
            codes.append(role.code)
        return _template(self.schema(), codes)

    @property
    def skipped_roles(self) -> List[Tuple[str, str]]:
        """Roles the last template() left out, with the reason."""
        return list(self._skipped_roles)

    @_fresh
    def snapshot(
        self,
        out_dir: "os.PathLike[str] | str",
        *,
        since: Any = None,
        permissions: Optional[PermissionTable] = None,
        probe: Any = None,
        also: Optional[Mapping[str, bytes]] = None,
    ) -> SnapshotResult:
        """Write roles.csv, users.csv, permissions.csv (wide), history.csv,
        schema.json and snapshot.json (and the files ``also`` maps by name,
        such as the demo's tiers.txt) into ``out_dir``, as one unit.

        Known cell values and notes of the previous permissions.csv (or of
        ``permissions``, when given) are kept; rows for new entity types and
        fields are added; rows whose entity type or field left the schema are
        dropped and listed. History is appended, one row per event id; without
        ``since`` only events newer than the last one recorded are read. An
        unchanged site changes no byte. Everything is read before anything is
        written, and the folder is replaced as one unit (sgperms.folder): a
        failed read or write, or a run killed at any point, leaves the
        previous snapshot whole (a killed run's files are put back by the next
        sgperms command touching the folder). The folder's lock keeps
        overlapping snapshots apart; symlinks among its files are refused.
        Returns a SnapshotResult.
        """
        out = os.fspath(out_dir)
        extra = dict(also or {})
        names = SNAPSHOT_FILES + tuple(extra)
        with _folder.writing(out, "sgperms snapshot", notice=self._progress, check=names) as unit:
            return self._snapshot_into(unit, out, since=since, permissions=permissions, probe=probe, extra=extra)

    def _snapshot_into(self, unit: Any, out: str, *, since: Any, permissions: Optional[PermissionTable],
                       probe: Any, extra: Dict[str, bytes]) -> SnapshotResult:
        """The body of snapshot(), run while ``unit`` (the folder) is locked."""
        self._check_folder(out)
        previous_history = _read_history(os.path.join(out, "history.csv"))
        if since is None and previous_history:
            since = max(previous_history)
        roles = self.roles()
        users = self.assignments()
        events = self.history(since=since)
        fresh = self.template()
        if permissions is None:
            permissions = self._previous_permissions(os.path.join(out, "permissions.csv"), roles)
        if permissions is not None:
            table, added, dropped, dropped_roles = _refresh(permissions, fresh)
        else:
            table, added, dropped, dropped_roles = fresh, [], [], []
        drift: List[str] = []
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
            "roles.csv": _csv_bytes(_rows(roles, Role)),
            "users.csv": _csv_bytes(_rows(users, Assignment)),
            "permissions.csv": table.to_csv().encode("utf-8"),
            "history.csv": _csv_bytes([_header(Event)] + [history[i] for i in sorted(history)]),
            "schema.json": (self.schema().to_json() + "\n").encode("utf-8"),
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
        if written or not os.path.exists(os.path.join(out, "snapshot.json")):
            contents["snapshot.json"] = _snapshot_json(self.sg, counts)
            written.append("snapshot.json")
        self._say(f"writing {len(written)} file(s) to {out}")
        unit.commit([(name, contents[name]) for name in written])
        return SnapshotResult(
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
            skipped_roles=list(self._skipped_roles),
            filled=filled,
            drift=drift,
        )

    def _check_folder(self, out: str) -> None:
        """Refuses a folder holding another site's snapshot, or files named
        like a snapshot's that sgperms did not write."""
        info_path = os.path.join(out, "snapshot.json")
        recorded = recorded_site(out)
        if recorded is not None:
            here = public_url(getattr(self.sg, "base_url", ""))
            if recorded != here:
                raise ValueError(
                    f"{out} holds a snapshot of {recorded}, not of {here}: use another folder for this site"
                )
            return
        ours = [name for name in SNAPSHOT_FILES if os.path.exists(os.path.join(out, name))]
        if ours:
            raise ValueError(
                f"{os.path.join(out, ours[0])} exists but {out} holds no snapshot.json: "
                "sgperms would overwrite a file it did not write; use an empty folder"
            )

    def _previous_permissions(self, path: str, roles: Sequence[Role]) -> Optional[PermissionTable]:
        """The previous permissions.csv, names resolved against the site as it
        is now; names the site no longer has are kept so they can be reported."""
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            data = f.read()
        assignable = [(r.code, r.display_name) for r in roles if not r.system_default]
        return _read_csv_bytes(data, schema=self.schema(), roles=assignable, path=path, lenient=True)[0]


def recorded_site(folder: str) -> Optional[str]:
    """The site (URL) a snapshot folder's snapshot.json records; None when
    there is no snapshot.json. Raises ValueError naming the file when it is
    not one sgperms wrote."""
    path = os.path.join(folder, "snapshot.json")
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


def _fill(table: PermissionTable, probed: PermissionTable) -> Tuple[PermissionTable, int]:
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


def _person(link: Any, logins: Dict[Tuple[str, int], str]) -> str:
    """A user link as a login (script name for scripts), else its name."""
    if isinstance(link, dict):
        login = logins.get((link.get("type"), link.get("id")))
        if login:
            return login
    return _link_name(link)


def _rule_role(entity: Any, meta: Any, codes: Dict[int, str]) -> str:
    """The role a rule event is about, from whatever the event carries."""
    if isinstance(entity, dict) and entity.get("type") == "PermissionRuleSet":
        return codes.get(_link_id(entity), _link_name(entity))
    if isinstance(meta, dict):
        for key in ("permission_rule_set_code", "permission_rule_set", "rule_set", "role"):
            value = meta.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict):
                return codes.get(_link_id(value), _link_name(value))
    return ""


def _header(cls: type) -> List[str]:
    return [f.name for f in fields(cls)]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _rows(items: Sequence[Any], cls: type) -> List[List[str]]:
    return [_header(cls)] + [[_cell(v) for v in asdict(item).values()] for item in items]


def _csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _read_history(path: str) -> Dict[int, List[str]]:
    """Rows of a previous history.csv by event id; empty when there is none."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise ValueError(f"{path}: invalid UTF-8; save it as CSV UTF-8") from None
    if not rows:
        return {}
    header = _header(Event)
    if rows[0] != header:
        raise ValueError(f"{path}: not a sgperms history file (expected the header {','.join(header)})")
    with open(path, "rb") as f:
        _warn_formulas(f.read(), path)  # kept as written; a spreadsheet would run them
    history = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}, row {number}: expected {len(header)} fields ({','.join(header)}), got {len(row)}")
        try:
            history[int(row[0])] = row
        except ValueError:
            raise ValueError(f"{path}, row {number}: expected an event id, got {row[0]!r}") from None
    return history


def _differs(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read() != data
    except FileNotFoundError:
        return True


def _snapshot_json(sg: Any, counts: Dict[str, int]) -> bytes:
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    info = {
        "site": public_url(getattr(sg, "base_url", "")),
        "taken_at": now.isoformat() + "Z",
        "sgperms_version": __version__,
        "counts": counts,
    }
    return (json.dumps(info, indent=2, sort_keys=True) + "\n").encode("utf-8")
