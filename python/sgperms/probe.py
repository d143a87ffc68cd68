"""Probe: measure what each role can really do on a live site, through
``sudo_as_login`` sessions, without changing a record.

ShotGrid enforces every rule on every call made as a user, and its refusals
name the rule. The probe asks, for every entity type and role, in ways that
cannot write: a read (see); a batch that updates a real record's fields to
their current values followed by an update of a record that does not exist
(field edit: the batch is atomic, so the sentinel's "not found" rolls the
real update back and says the fields were allowed); the same with deletes
(retire); a create with deliberately invalid data (create: the permission is
checked before the data). Entity edit is inferred: a field edit that was
allowed needs entity edit.

Besides the rows a read returns (see), a cell is decided only by ShotGrid's
own answer (a ``Fault``) that decides it: the refusal of that very action on
that entity type (or of those very fields), the sentinel's "not found"
naming the sentinel, or, for create, a refusal of the invalid data sent.
Every other answer (a refusal of another action, a timeout, an HTTP or
network error, a text not listed here) leaves the cell unknown, with the
answer kept as evidence. A call that times out also ends that entity type
for that role: the calls not yet made are not made, and the run goes on with
the next entity type.

The probe is the only part of sgperms that opens sessions of its own: one
per role, made like the caller's (``sudo_session``). ``run`` is the entry
point (``Site.probe`` hands over to it); progress goes to the callback given,
and what a log should keep (each role started and finished, timeouts, roles
skipped) to the ``sgperms.probe`` logger.

The texts below were measured on a real site unless a comment says
otherwise; keep them here, in one place.
"""

from __future__ import annotations

import functools
import logging
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import PermissionTable, SgpermsError, _html
from ._core import did_you_mean

if TYPE_CHECKING:
    from .site import Site

log = logging.getLogger(__name__)

SENTINEL_ID = 999999999
# A see read compares up to READ_LIMIT ids with the admin's, read PAGE at a
# time (one call each), so that a type of up to READ_LIMIT rows is compared
# in full.
READ_LIMIT = 5000
PAGE = 500
BY_ID = [{"field_name": "id", "direction": "asc"}]

# Measured answers (substrings, case-insensitive; {entity} is the entity type asked about).
CANNOT_ACCESS = "Entity of type {entity} can not be accessed by this user"
NOT_EDITABLE = "is not editable for this user"
CANNOT_DELETE = "Entity of type {entity} can not be deleted by this user"
CANNOT_CREATE = "Entity of type {entity} cannot be created by this user"
NOT_FOUND = "not found"  # decides only when the text also names SENTINEL_ID
# Not measured here: the start of ShotGrid's create errors in public reports
# ("API create() CRUD ERROR #6: Create failed for [...]"); it decides only
# when the text also names the field or the value the probe made invalid.
INVALID_DATA = "create() CRUD ERROR"
RULE_MARK = "RULE:"
SUDO_REFUSED = "Cannot 'sudo'"
REFUSED_FIELDS = re.compile(r"\[([^\]]*)\]")

# Data types whose current value can be written back unchanged.
SETTABLE_TYPES = {
    "text", "number", "float", "checkbox", "date", "date_time", "duration", "list", "status_list",
    "entity", "multi_entity", "percent", "url", "serializable", "entity_type",
}

Target = tuple[str, str, str, str]
# A record as the session returns it, or a batch request.
Record = dict[str, Any]
# What the probe found per target: (value, call, answer).
Found = dict[Target, tuple[str, str, str]]


class ProbeAborted(SgpermsError, RuntimeError):
    """The probe stopped because a call that had to fail did not (or could
    not be proven to fail). The message says exactly what may have been written."""


@dataclass
class Probe:
    """What the probe measured. ``table`` holds the decided cells; every other
    cell is unknown. ``evidence`` maps (role, target) to (call, answer), for
    decided and undecided cells alike. ``timed_out`` maps a role to the entity
    types where a call as that role was given up after the session's timeout."""

    table: PermissionTable
    evidence: dict[tuple[str, Target], tuple[str, str]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    admin_calls: int = 0
    users: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    timed_out: dict[str, list[str]] = field(default_factory=dict)

    def compare(self, recorded: PermissionTable) -> Any:
        """Drift: cells where the site disagrees with what the studio recorded
        (effective values; conditions compare as conditions). Changes reading
        "recorded before, site after"; neither table is changed."""
        from ._core import drift

        return drift(recorded, self.table)

    def resume(self, earlier: PermissionTable) -> PermissionTable:
        """The table of a probe resumed over ``earlier`` (what an earlier run
        measured, probed for other roles): every role of ``earlier`` with its
        values and notes as they were, then this probe's roles. Neither table
        is changed. Probe only the roles ``earlier`` lacks: a cell both
        tables hold with different values is a CsvError."""
        from . import read_csv

        rows = self.table.to_csv(layout="long").splitlines(True)[1:]  # without its header
        return read_csv((earlier.to_csv(layout="long") + "".join(rows)).encode("utf-8"), layout="long")

    def evidence_csv(self) -> str:
        """The evidence as CSV: role,kind,entity_type,name,action,value,call,answer.
        For people (a spreadsheet), never read back: cells that would run as
        formulas (ShotGrid's answers, names from the site) start with ``'``."""
        from ._core import spreadsheet_csv

        rows = [["role", "kind", "entity_type", "name", "action", "value", "call", "answer"]]
        for (role, target), (call, answer) in sorted(self.evidence.items()):
            value = self.table.get(role, *target) if role in self.table.roles else ""
            rows.append([role, *target, value, call, answer])
        return spreadsheet_csv([["" if cell is None else str(cell) for cell in row] for row in rows])

    def summary(self) -> str:
        """A few lines: who was probed as whom, calls made, timeouts, roles skipped."""
        lines = [f"probed {len(self.users)} role(s); {self.table.known_cells()} cells decided; "
                 f"{sum(self.calls.values())} calls as the roles, {self.admin_calls} as admin"]
        for role, login in self.users.items():
            lines.append(f"  {role}: as {login}, {self.calls.get(role, 0)} calls")
            if self.timed_out.get(role):
                lines.append(f"  {role}: timed out on {', '.join(self.timed_out[role])}: "
                             "the cells not measured there stay unknown")
        for role, why in self.skipped.items():
            lines.append(f"  {role}: skipped: {why}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A compact HTML preview for Jupyter: the first line of the summary,
        then one row per role probed or skipped."""
        rows = [(role, login, str(self.calls.get(role, 0)), ", ".join(self.timed_out.get(role, [])), "")
                for role, login in self.users.items()]
        rows += [(role, "", "", "", why) for role, why in self.skipped.items()]
        return _html.preview("Probe", self.summary().splitlines()[0],
                             ("role", "as", "calls", "timed out on", "skipped"), rows, what="roles")


class _SudoRefused(Exception):
    """ShotGrid refused to act as the role's user; the role is skipped."""


class _TimedOut(Exception):
    """A call as the role got no answer within the session's timeout; the
    rest of that entity type is not asked."""

    def __init__(self, call: str, answer: str, targets: list[Target]) -> None:
        super().__init__(answer)
        self.call, self.answer, self.targets = call, answer, targets


def _answer(error: BaseException, call: str, targets: list[Target]) -> tuple[bool, str]:
    """(is ShotGrid's own answer, its text) for a call that raised. Only a
    ``Fault`` (shotgun_api3's or a vendored copy's) is ShotGrid answering;
    anything else is kept with its type. A sudo refusal ends the role and a
    timeout the entity type instead."""
    text = str(error)
    if SUDO_REFUSED.lower() in text.lower():
        raise _SudoRefused(text) from None
    # socket.timeout is TimeoutError from Python 3.10 only.
    if isinstance(error, (socket.timeout, TimeoutError)):
        raise _TimedOut(call, f"no answer within the timeout ({type(error).__name__}: {text})", targets) from None
    if any(cls.__name__ == "Fault" for cls in type(error).__mro__):
        return True, text
    return False, f"{type(error).__name__}: {text}"


def _has(text: str, mark: str) -> bool:
    return mark.lower() in text.lower()


def _sentinel_not_found(text: str) -> bool:
    """The sentinel's "not found": the text names the sentinel, so a real
    record the role cannot see is never taken for it."""
    return _has(text, NOT_FOUND) and str(SENTINEL_ID) in text


def _rule(text: str) -> str:
    """The condition a refusal names: what follows "RULE:"."""
    rule = text.split(RULE_MARK, 1)[1].strip()
    return rule or "a conditional rule"


class _Prober:
    def __init__(self, site: Any, connect: Callable[[str], Any], project: Any, rate: float | None,
                 progress: Callable[[str], None] | None, dry_run: bool) -> None:
        self.site = site
        self.admin = site.sg
        self.connect = connect
        self.project = project
        self.pause = 1.0 / rate if rate else 0.0
        self.progress = progress
        self.dry_run = dry_run
        self.schema = site.raw_schema()[0]
        self.admin_calls = 0
        self.planned: list[str] = []

    def say(self, message: str, level: int = logging.DEBUG) -> None:
        log.log(level, "%s", message)
        if self.progress:
            self.progress(message)

    def filters(self, entity: str) -> list[list[Any]]:
        if self.project is not None and "project" in self.schema.get(entity, {}):
            return [["project", "is", {"type": "Project", "id": int(self.project)}]]
        return []

    def admin_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.admin_calls += 1
        return getattr(self.admin, method)(*args, **kwargs)

    def candidates(self, entity: str) -> list[str]:
        fields = []
        for name, info in sorted(self.schema.get(entity, {}).items()):
            editable = (info.get("editable") or {}).get("value", True)
            kind = (info.get("data_type") or {}).get("value")
            if name != "id" and editable and kind in SETTABLE_TYPES:
                fields.append(name)
        return fields

    def invalid_data(self, entity: str) -> dict[str, Any] | None:
        """Data a create must refuse after its permission check: an invalid
        value for a field a create may set (never ``id`` or a read-only
        field, whose refusal would not be about the value)."""
        settable = sorted((name, info) for name, info in self.schema.get(entity, {}).items()
                          if name != "id" and (info.get("editable") or {}).get("value", True))
        for name, info in settable:
            kind = (info.get("data_type") or {}).get("value")
            valid = ((info.get("properties") or {}).get("valid_values") or {}).get("value")
            if kind == "status_list" and valid:
                return {name: "__sgperms_probe_invalid__"}
        for name, info in settable:
            if (info.get("data_type") or {}).get("value") in ("number", "float", "duration", "percent"):
                return {name: "__sgperms_probe_not_a_number__"}
        return None

    def prepare(self, entities: list[str]) -> dict[str, tuple[Record | None, list[int]]]:
        """As admin: prove the sentinel absent everywhere (before any call that
        could write), and find a real record and the ids the admin sees (the
        first READ_LIMIT, in id order) per type."""
        for entity in entities:
            if self.admin_call("find", entity, [["id", "is", SENTINEL_ID]], ["id"]):
                raise ProbeAborted(
                    f"{entity} {SENTINEL_ID} exists, so the probe's sentinel could be written: "
                    "nothing was probed and nothing written"
                )
        prepared = {}
        admin_find = functools.partial(self.admin_call, "find")
        for entity in entities:
            fields = self.candidates(entity)
            record = self.admin_call("find_one", entity, self.filters(entity), fields)
            prepared[entity] = (record, _first_ids(admin_find, entity, self.filters(entity)))
        return prepared


def _first_ids(find: Callable[..., Any], entity: str, filters: list[list[Any]]) -> list[int]:
    """The first READ_LIMIT ids ``find`` returns, in id order, a page per call;
    an id cursor rather than page numbers, so that every page is one call."""
    ids: list[int] = []
    while len(ids) < READ_LIMIT:
        after = [["id", "greater_than", ids[-1]]] if ids else []
        page = [row["id"] for row in find(entity, filters + after, ["id"], order=BY_ID, limit=PAGE)]
        ids += page
        if len(page) < PAGE:
            break
    return ids


def _decide_see(p: _Prober, s: Any, entity: str, admin_ids: list[int]) -> tuple[str, str, str]:
    call = f"find {entity} (ids in id order, up to {READ_LIMIT}, {PAGE} a call)"
    try:
        ids = _first_ids(s.find, entity, p.filters(entity))
    except Exception as e:  # a refusal is a Fault; anything else is not decidable
        fault, text = _answer(e, call, [("entity", entity, "", "see")])
        return ("no" if fault and _has(text, CANNOT_ACCESS.format(entity=entity)) else ""), call, text
    if not admin_ids:
        return "", call, "no rows to compare: cannot tell yes from a condition"
    # The role's rows are among the admin's, so its first rows reach at least
    # as far as the admin's: an id of the admin's missing from them is hidden.
    seen = set(ids)
    missing = [i for i in admin_ids if i not in seen]
    if missing:
        hidden = f"{len(missing)} of the rows the admin sees are not returned (id {missing[0]} first)"
        return "if restricted", call, hidden
    if ids == admin_ids and len(ids) < READ_LIMIT:
        return "yes", call, f"all {len(ids)} rows"
    if ids == admin_ids:
        return "", call, f"the admin's first {READ_LIMIT} rows, and there are more: cannot tell yes from a condition"
    return "", call, f"{len(ids)} rows, not all of them the admin's: cannot tell yes from a condition"


def _batch(s: Any, requests: list[Record], what: str, call: str, targets: list[Target]) -> tuple[bool, str]:
    """Runs a probe batch that must fail; returns (is ShotGrid's own answer, its text)."""
    try:
        s.batch(requests)
    except Exception as e:
        return _answer(e, call, targets)
    raise ProbeAborted(
        f"a probe batch succeeded ({what}): it may have written {requests!r}; stop and check these records"
    )


def _decide_fields(p: _Prober, s: Any, entity: str, record: Record, role: str, found: Found) -> None:
    fields = [f for f in p.candidates(entity) if f in record]
    while fields:
        data = {f: record.get(f) for f in fields}
        requests = [
            {"request_type": "update", "entity_type": entity, "entity_id": record["id"], "data": data},
            {"request_type": "update", "entity_type": entity, "entity_id": SENTINEL_ID, "data": data},
        ]
        call = (f"batch [update {entity} {record['id']} {len(fields)} field(s) to their values, "
                f"update {entity} {SENTINEL_ID}]")
        targets: list[Target] = [("field", entity, f, "edit") for f in fields]
        fault, text = _batch(s, requests, f"field edit of {entity} as {role}", call, targets)
        if fault and _sentinel_not_found(text):
            for target in targets:
                found[target] = ("yes", call, text)
            found[("entity", entity, "", "edit")] = ("yes", f"a field edit needs entity edit: {call}", text)
            return
        match = REFUSED_FIELDS.search(text) if fault and _has(text, NOT_EDITABLE) else None
        # Only fields named with this entity type count: a refusal of another
        # type's field says nothing about these.
        listed = {part.strip() for part in match.group(1).split(",")} if match else set()
        refused = [f for f in fields if f"{entity}.{f}" in listed]
        if not refused:
            # Not an answer that decides these fields: they stay unknown.
            for target in targets:
                found[target] = ("", call, text)
            return
        value = f"if {_rule(text)}" if RULE_MARK in text else "no"
        for f in refused:
            found[("field", entity, f, "edit")] = (value, call, text)
        fields = [f for f in fields if f not in refused]


def _decide_retire(p: _Prober, s: Any, entity: str, record: Record, role: str) -> tuple[str, str, str]:
    requests = [
        {"request_type": "delete", "entity_type": entity, "entity_id": record["id"]},
        {"request_type": "delete", "entity_type": entity, "entity_id": SENTINEL_ID},
    ]
    call = f"batch [delete {entity} {record['id']}, delete {entity} {SENTINEL_ID}]"
    fault, text = _batch(s, requests, f"retire of {entity} as {role}", call, [("entity", entity, "", "retire")])
    if fault and _has(text, CANNOT_DELETE.format(entity=entity)):
        return (f"if {_rule(text)}" if RULE_MARK in text else "no"), call, text
    return ("yes" if fault and _sentinel_not_found(text) else ""), call, text


def _decide_create(p: _Prober, s: Any, entity: str, role: str) -> tuple[str, str, str]:
    data = p.invalid_data(entity)
    if data is None:
        return "", "create", "no field to make the data invalid with: not probed"
    call = f"create {entity} {data}"
    try:
        created = s.create(entity, data)
    except Exception as e:
        fault, text = _answer(e, call, [("entity", entity, "", "create")])
        if fault and _has(text, CANNOT_CREATE.format(entity=entity)):
            return (f"if {_rule(text)}" if RULE_MARK in text else "no"), call, text
        # The permission is checked before the data: a refusal of the very
        # data sent (its field or its value named) means the permission passed.
        [(name, value)] = data.items()
        refused_data = _has(text, INVALID_DATA) and (_has(text, f"{entity}.{name}") or value in text)
        return ("yes" if fault and refused_data else ""), call, text
    # Whatever came back (a record, or a proxy's HTML page as bytes), the
    # create was not refused: say what may have been written, never crash.
    what = f"{entity} {created.get('id')}" if isinstance(created, dict) else f"a {entity} (the answer was not a record)"
    raise ProbeAborted(f"a probe create succeeded as {role}: {what} may have been written with {data!r}")


def _asked(p: _Prober, entity: str, record: Record | None) -> list[Target]:
    """The cells of an entity type the probe asks about (entity edit included)."""
    targets: list[Target] = [("entity", entity, "", "see"), ("entity", entity, "", "create")]
    if record is not None:
        targets += [("entity", entity, "", "retire"), ("entity", entity, "", "edit")]
        targets += [("field", entity, f, "edit") for f in p.candidates(entity) if f in record]
    return targets


def _decide_entity(p: _Prober, s: Any, entity: str, record: Record | None, admin_ids: list[int], role: str,
                   found: Found) -> None:
    found[("entity", entity, "", "see")] = _decide_see(p, s, entity, admin_ids)
    if record is not None:
        _decide_fields(p, s, entity, record, role, found)
        found.setdefault(("entity", entity, "", "edit"), (
            "", f"inferred from field edit of {entity}", "no field edit was allowed, so entity edit is not known"))
        found[("entity", entity, "", "retire")] = _decide_retire(p, s, entity, record, role)
    found[("entity", entity, "", "create")] = _decide_create(p, s, entity, role)


def sudo_session(sg: Any, login: str) -> Any:
    """A session like ``sg`` (class, URL, credentials, proxy and timeout)
    acting as ``login`` (``sudo_as_login``), not yet connected. shotgun_api3's
    constructor takes no timeout and a connection keeps the timeout it was
    opened with, so the session is made without connecting
    (``connect=False``) and given the timeout before its first call. Returns
    the session."""
    config = getattr(sg, "config", None)

    def get(name: str) -> Any:
        return getattr(config, name, None)

    kwargs = {k: v for k, v in {
        "script_name": get("script_name"), "api_key": get("api_key"), "login": get("user_login"),
        "password": get("user_password"), "session_token": get("session_token"),
        "http_proxy": get("raw_http_proxy"),
    }.items() if v}
    session = type(sg)(sg.base_url, connect=False, sudo_as_login=login, **kwargs)
    timeout = get("timeout_secs")
    if timeout is not None:
        session.config.timeout_secs = timeout
    return session


def run(site: Site, users: Any = "auto", *, connect: Callable[[str], Any] | None = None, project: Any = None,
        targets: Iterable[str] | None = None, progress: Callable[[str], None] | None = None,
        rate: float | None = None, dry_run: bool = False) -> Probe:
    """Measure what each role of ``site`` (a ``sgperms.Site``) can really do,
    acting as one active user per role through ``sudo_as_login``, with calls
    that cannot write. ``users`` maps role code -> login, or is "auto" (the
    first active person of each role, by login; the Probe says whom, and
    lists the roles no active person holds as skipped). ``connect(login)``
    returns a session acting as that login; by default ``sudo_session`` makes
    one like ``site.sg``. ``project`` limits reads to one project's records,
    ``targets`` the entity types; ``rate`` caps calls per second;
    ``progress`` (default: the site's) hears each step; ``dry_run`` makes no
    call and says what it would ask. Returns a Probe; raises ProbeAborted
    when a call that had to fail did not."""
    with site.reads_once():
        unheld: dict[str, str] = {}
        if users == "auto":
            users = site.probe_users()
            for role in site.roles():
                if not role.system_default and role.user_type == "HumanUser" and role.code not in users:
                    unheld[role.code] = "no active person holds this role: nobody to act as"
                    skipped = f"{role.code}: skipped, no active person holds it"
                    log.warning("%s", skipped)
                    site._say(skipped)
            for code, login in users.items():
                site._say(f"{code}: acting as {login}")
        elif not dry_run:  # a dry run asks the site nothing, not even its roles
            _require_roles(site, users)
        measured = _measure(site, dict(users), connect=connect or functools.partial(sudo_session, site.sg),
                            project=project, targets=targets, progress=progress or site.progress, rate=rate,
                            dry_run=dry_run)
        measured.skipped.update(unheld)
        return measured


def _require_roles(site: Site, users: Any) -> None:
    """A role of ``users`` (role code -> login) the site lacks is a
    ValueError suggesting the closest role, before anything is asked."""
    codes = [role.code for role in site.roles()]
    for role in users:
        if role not in codes:
            raise ValueError(f'unknown role "{role}"{did_you_mean(role, codes)}; the site has: {", ".join(codes)}')


def _measure(site: Any, users: dict[str, str], *, connect: Callable[[str], Any], project: Any,
             targets: Iterable[str] | None, progress: Callable[[str], None] | None,
             rate: float | None, dry_run: bool) -> Probe:
    """Probe every role in ``users`` (role code -> login); see ``run``."""
    p = _Prober(site, connect, project, rate, progress, dry_run)
    entities = sorted(p.schema)
    if targets is not None:
        wanted = set(targets)
        entities = [e for e in entities if e in wanted]
    table = PermissionTable(list(users))
    probe = Probe(table=table, users=dict(users))
    if dry_run:
        for role, login in users.items():
            for entity in entities:
                p.say(f"would probe {entity} as {role} ({login}): find, field-edit batch(es), retire batch, create")
        return probe
    log.info("probing %d role(s) on %d entity types", len(users), len(entities))
    p.say(f"checking the sentinel id {SENTINEL_ID} on {len(entities)} entity types")
    prepared = p.prepare(entities)
    for role, login in users.items():
        try:
            session = connect(login)
        except Exception as e:  # ShotGrid may refuse the sudo session at once
            probe.skipped[role] = str(e)
            # The type only: a session's error may spell out its URL and credentials.
            log.warning("%s: skipped: no session acting as %s (%s)", role, login, type(e).__name__)
            continue
        log.info("%s: probing as %s", role, login)
        counted = _Counted(session, p.pause)
        found: Found = {}
        try:
            for i, entity in enumerate(entities, start=1):
                p.say(f"{role} ({login}): {entity} [{i}/{len(entities)}]")
                record, admin_ids = prepared[entity]
                try:
                    _decide_entity(p, counted, entity, record, admin_ids, role, found)
                except _TimedOut as hung:
                    probe.timed_out.setdefault(role, []).append(entity)
                    p.say(f"{role} ({login}): {entity}: {hung.call}: {hung.answer}; "
                          f"the rest of {entity} is not asked and stays unknown; going on", logging.WARNING)
                    for target in hung.targets:
                        found[target] = ("", hung.call, hung.answer)
                    for target in _asked(p, entity, record):
                        found.setdefault(target, ("", "not asked", f"{hung.call} timed out before"))
        except _SudoRefused as refused:
            probe.skipped[role] = str(refused)
            log.warning("%s: skipped: ShotGrid refused to act as %s: %s", role, login, refused)
            continue
        probe.calls[role] = counted.count
        for target, (value, call, answer) in found.items():
            probe.evidence[(role, target)] = (call, answer)
            if value:
                table.set(role, *target, value)
        log.info("%s: probed as %s: %d calls, %d of %d cells decided%s", role, login, counted.count,
                 sum(1 for value, _, _ in found.values() if value), len(found),
                 f", timed out on {', '.join(probe.timed_out[role])}" if role in probe.timed_out else "")
    probe.admin_calls = p.admin_calls
    for role in probe.skipped:
        probe.users.pop(role, None)
    return probe


class _Counted:
    """A session wrapper that counts calls and keeps the request rate polite."""

    def __init__(self, session: Any, pause: float) -> None:
        self._session, self._pause, self.count = session, pause, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._session, name)
        if name not in ("find", "find_one", "batch", "create", "update", "delete"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self._pause:
                time.sleep(self._pause)
            return attr(*args, **kwargs)

        return call
