"""Reading a ShotGrid site through any shotgun_api3-compatible session.

``Site(sg)`` takes ``shotgun_api3.Shotgun``, Toolkit's
``tank_vendor.shotgun_api3.Shotgun`` or ``shotgun_api3.lib.mockgun.Shotgun``
and never imports shotgun_api3. Site only reads: it calls ``find``,
``schema_read`` and ``schema_entity_read`` on the caller's session, afresh
for every public call, and opens no session or connection of its own.

What is not reading lives in its own module; the Site methods named here
only hand over to it:

- writing a snapshot folder: ``sgperms.snapshot.write`` (``Site.snapshot``);
- moving a person to a role, the one write to the site (``update``):
  ``sgperms.promote.assign_role`` (``Site.assign_role``);
- the probe, which opens a session per role (``sudo_as_login``) and makes
  calls that must fail: ``sgperms.probe.run`` (``Site.probe``);
- "what am I allowed to do?", probed and rendered:
  ``sgperms.reports.allowed`` (``Site.allowed``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import logging
import os
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, cast

from . import PermissionTable, Schema, SgpermsError, TableError, Tiers
from ._core import template as _template
from .records import Assignment, Event, Role

if TYPE_CHECKING:
    from .probe import Probe
    from .promote import RoleChange
    from .snapshot import SnapshotResult

log = logging.getLogger(__name__)

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

Progress = Optional[Callable[[str], None]]
#: What a session's schema_read() and schema_entity_read() return.
RawSchema = tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]
# (user type, id) -> login, for naming the people an event links to.
Logins = dict[tuple[Any, Any], str]


# Raised by sgperms.promote.assign_role; defined here, where it has always
# been importable from, while the error classes are being reworked.
class PermissionDenied(SgpermsError, PermissionError):
    """A role assignment was refused; ``.change`` is the refused RoleChange."""

    def __init__(self, change: RoleChange) -> None:
        super().__init__(change.reason)
        self.change = change


def _is_system_default(code: str, entity_type: str) -> bool:
    return entity_type.startswith("PermissionRuleSet.") or code.endswith("_system_default")


def _user_type(entity_type: str) -> str:
    return entity_type.split(".", 1)[1] if entity_type.startswith("PermissionRuleSet.") else entity_type


def _link_id(link: Any) -> int | None:
    return link.get("id") if isinstance(link, dict) else None


def _link_name(link: Any) -> str:
    if not isinstance(link, dict):
        return ""
    return str(link.get("name") or f"{link.get('type', '')} {link.get('id', '')}".strip())


def _utc(value: Any) -> str:
    """ISO 8601 in UTC, from what shotgun_api3 returns for a date_time."""
    if isinstance(value, _dt.datetime):
        moment: _dt.datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return moment.replace(microsecond=0).isoformat() + "Z"
    return "" if value is None else str(value)


def _raw_json(value: Any) -> str:
    """``meta`` as JSON; shotgun_api3 turns dates inside it into local-time
    datetimes, so they are written in UTC to keep files host-independent."""
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      default=lambda v: _utc(v) if isinstance(v, _dt.datetime) else str(v))


def _since(value: Any) -> Any:
    """An event id (int) or an aware datetime, from an int, a datetime (naive
    means UTC), a date or an ISO 8601 string."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"since={value!r}: expected an event id, a datetime or a date such as 2026-01-31") from None
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
    """A public Site method that reads the site afresh: it runs within
    ``reads_once()``, so nothing it reads outlives the outermost such call."""

    @functools.wraps(method)
    def call(self: Site, *args: Any, **kwargs: Any) -> Any:
        with self.reads_once():
            return method(self, *args, **kwargs)

    return cast(_Method, call)


class Site:
    """A ShotGrid site read through the caller's own session ``sg``. Every
    public call reads the site afresh, so a long-lived Site (a Toolkit hook,
    a notebook) sees changes made after it was created. ``progress`` (a
    function taking one line, or None) hears what is being read."""

    def __init__(self, sg: Any, *, progress: Progress = None) -> None:
        self.sg = sg
        self.progress = progress
        # Per thread, so that two threads calling one Site never share a call's reads.
        self._scope = threading.local()
        self._skipped_roles: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"Site({public_url(getattr(self.sg, 'base_url', ''))!r})"

    @contextmanager
    def reads_once(self) -> Iterator[None]:
        """A block in which each thing read from the site (schema, roles,
        assignments) is read at most once, however many calls need it; the
        outermost block's end forgets them all, so the next call reads
        afresh. Every public read of Site runs in one; sgperms.snapshot,
        sgperms.promote, sgperms.probe and sgperms.reports.allowed open one
        around all their reads. Yields nothing."""
        if getattr(self._scope, "reads", None) is not None:
            yield
            return
        self._scope.reads = {}
        try:
            yield
        finally:
            self._scope.reads = None

    def _say(self, message: str) -> None:
        log.debug("%s", message)
        if self.progress:
            self.progress(message)

    def _once(self, key: str, read: Callable[[], Any]) -> Any:
        """``read()``, or what it returned earlier in the same public call."""
        reads = getattr(self._scope, "reads", None)
        if reads is None:
            return read()
        if key not in reads:
            reads[key] = read()
        return reads[key]

    def _schema_read(self) -> RawSchema:
        def read() -> RawSchema:
            self._say("reading the schema")
            return self.sg.schema_read(), self.sg.schema_entity_read()

        return cast(RawSchema, self._once("schema", read))

    @_fresh
    def raw_schema(self) -> RawSchema:
        """What the session's ``schema_read()`` and ``schema_entity_read()``
        return (fields with their data types and properties, by entity type;
        entity types), as a pair."""
        return self._schema_read()

    @_fresh
    def has(self, entity_type: str, field_name: str | None = None) -> bool:
        """Whether the site's schema has ``entity_type`` (and its field
        ``field_name``, when given)."""
        fields_by_type = self._schema_read()[0]
        if entity_type not in fields_by_type:
            return False
        return field_name is None or field_name in fields_by_type[entity_type]

    @_fresh
    def schema(self) -> Schema:
        """The site's schema: entity types and fields with display names and data types."""
        return Schema.from_shotgun_dicts(*self._schema_read())

    @_fresh
    def roles(self) -> list[Role]:
        """Every PermissionRuleSet: assignable roles and the *_system_default
        templates, sorted by user type (HumanUser, ApiUser, ClientUser) then code."""
        return list(self._once("roles", self._read_roles))

    def _read_roles(self) -> list[Role]:
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

    def _role_codes_by_id(self) -> dict[int | None, str]:
        return {role.id: role.code for role in self.roles()}

    @_fresh
    def assignments(self) -> list[Assignment]:
        """Who holds which role, for each user type the site's schema has,
        sorted by user type then login."""
        return list(self._once("assignments", self._read_assignments))

    def _read_assignments(self) -> list[Assignment]:
        codes = self._role_codes_by_id()
        result = []
        for user_type in USER_TYPES:
            if not self.has(user_type):
                continue
            wanted = [f for f in USER_FIELDS[user_type] if self.has(user_type, f)]
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
    def history(self, since: Any = None) -> list[Event]:
        """Permission events from the event log, oldest first: rule events and
        role assignments. ``since`` is a datetime (events after it) or an int
        (events with a greater id)."""
        if not self.has("EventLogEntry"):
            return []
        since = _since(since)
        wanted = [f for f in EVENT_FIELDS if self.has("EventLogEntry", f)]
        self._say("reading the permission history")
        base: list[list[Any]] = []
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

    def _event(self, row: dict[str, Any], codes: dict[int | None, str], logins: Logins) -> Event:
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

    def assign_role(self, actor: str, user: str, role: str, tiers: Tiers, *, dry_run: bool = False) -> RoleChange:
        """Hands over to ``sgperms.promote.assign_role(self, ...)``, which
        moves person ``user`` to ``role`` on behalf of ``actor`` as the tiers
        allow and writes it through the session unless ``dry_run``. Returns
        the RoleChange; raises PermissionDenied when refused."""
        from .promote import assign_role

        return assign_role(self, actor, user, role, tiers, dry_run=dry_run)

    def probe(self, users: Any = "auto", *, connect: Callable[[str], Any] | None = None, project: Any = None,
              targets: Iterable[str] | None = None, progress: Progress = None, rate: float | None = None,
              dry_run: bool = False) -> Probe:
        """Hands over to ``sgperms.probe.run(self, ...)``, which measures what
        each role can really do, acting as one active user per role (``users``:
        role code -> login, or "auto") in sessions of its own, with calls that
        cannot write. Returns a Probe."""
        from .probe import run

        return run(self, users, connect=connect, project=project, targets=targets, progress=progress, rate=rate,
                   dry_run=dry_run)

    @_fresh
    def probe_users(self) -> dict[str, str]:
        """Role code -> the login of the first active person holding it."""
        chosen: dict[str, str] = {}
        for a in self.assignments():
            if a.user_type == "HumanUser" and a.active is not False and a.role and a.role not in chosen:
                chosen[a.role] = a.login
        assignable = [r.code for r in self.roles() if not r.system_default and r.user_type == "HumanUser"]
        return {code: chosen[code] for code in assignable if code in chosen}

    def allowed(self, login: str, *, format: str = "markdown", connect: Callable[[str], Any] | None = None,
                project: Any = None, rate: float | None = None) -> str:
        """Hands over to ``sgperms.reports.allowed(self, login, ...)``: "what
        am I allowed to do?" for one person, probed as them and rendered as
        their role's page. Returns Markdown or HTML."""
        from .reports import allowed

        return allowed(self, login, format=format, connect=connect, project=project, rate=rate)

    @_fresh
    def template(self) -> PermissionTable:
        """Every entity type (4 actions) and field (see, edit) of the schema for
        every assignable role: entity cells unknown, field cells inherit. A role
        whose code cannot be a CSV column (empty, a column name, a duplicate)
        is left out and listed in ``skipped_roles``."""
        codes: list[str] = []
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
    def skipped_roles(self) -> list[tuple[str, str]]:
        """Roles the last template() left out, with the reason."""
        return list(self._skipped_roles)

    def snapshot(
        self,
        out_dir: os.PathLike[str] | str,
        *,
        since: Any = None,
        permissions: PermissionTable | None = None,
        probe: Probe | None = None,
        also: Mapping[str, bytes] | None = None,
    ) -> SnapshotResult:
        """Hands over to ``sgperms.snapshot.write(self, out_dir, ...)``, which
        reads this site and writes its snapshot folder (roles.csv, users.csv,
        permissions.csv, history.csv, schema.json, snapshot.json) as one
        unit, keeping the known values and notes of the previous
        permissions.csv. Returns a SnapshotResult."""
        from . import snapshot

        return snapshot.write(self, out_dir, since=since, permissions=permissions, probe=probe, also=also)


def _person(link: Any, logins: Logins) -> str:
    """A user link as a login (script name for scripts), else its name."""
    if isinstance(link, dict):
        login = logins.get((link.get("type"), link.get("id")))
        if login:
            return login
    return _link_name(link)


def _rule_role(entity: Any, meta: Any, codes: dict[int | None, str]) -> str:
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
