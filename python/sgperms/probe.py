"""Probe: measure what each role can really do on a live site, through
``sudo_as_login`` sessions, without changing a record.

ShotGrid enforces every rule on every call made as a user, and its refusals
name the rule. The probe asks, for every entity type and role, in ways that
cannot write: a read (see); a batch that updates a real record's fields to
their current values followed by an update of a record that does not exist
(field edit: the batch is atomic, so the sentinel's "not found" rolls the
real update back and says the fields were allowed); the same with deletes
(retire); a create with deliberately invalid data (create: the permission is
checked before the data). A cell the probe cannot decide stays unknown.

Every text below was measured on a real site; keep them here, in one place.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from . import PermissionTable

SENTINEL_ID = 999999999
READ_LIMIT = 500

# Measured answers (substrings, case-insensitive).
CANNOT_ACCESS = "can not be accessed by this user"
NOT_EDITABLE = "is not editable for this user"
CANNOT_DELETE = "can not be deleted by this user"
CANNOT_CREATE = "cannot be created by this user"
NOT_FOUND = "not found"
RULE_MARK = "RULE:"
SUDO_REFUSED = "Cannot 'sudo'"
REFUSED_FIELDS = re.compile(r"\[([^\]]*)\]")

# Data types whose current value can be written back unchanged.
SETTABLE_TYPES = {
    "text", "number", "float", "checkbox", "date", "date_time", "duration", "list", "status_list",
    "entity", "multi_entity", "percent", "url", "serializable", "entity_type",
}

Target = Tuple[str, str, str, str]


class ProbeAborted(RuntimeError):
    """The probe stopped because a call that had to fail did not (or could
    not be proven to fail). The message says exactly what may have been written."""


@dataclass
class Probe:
    """What the probe measured. ``table`` holds the decided cells; every other
    cell is unknown. ``evidence`` maps (role, target) to (call, answer)."""

    table: PermissionTable
    evidence: Dict[Tuple[str, Target], Tuple[str, str]] = field(default_factory=dict)
    calls: Dict[str, int] = field(default_factory=dict)
    admin_calls: int = 0
    users: Dict[str, str] = field(default_factory=dict)
    skipped: Dict[str, str] = field(default_factory=dict)

    def compare(self, recorded: PermissionTable) -> Any:
        """Drift: cells where the site disagrees with what the studio recorded
        (effective values; conditions compare as conditions). Changes reading
        "recorded before, site after"; neither table is changed."""
        from ._core import drift

        return drift(recorded, self.table)

    def evidence_csv(self) -> str:
        """The evidence as CSV: role,kind,entity_type,name,action,value,call,answer."""
        import csv
        import io

        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["role", "kind", "entity_type", "name", "action", "value", "call", "answer"])
        for (role, target), (call, answer) in sorted(self.evidence.items()):
            w.writerow([role, *target, self.table.get(role, *target) if role in self.table.roles else "", call, answer])
        return out.getvalue()

    def summary(self) -> str:
        """A few lines: who was probed as whom, calls made, roles skipped."""
        lines = [f"probed {len(self.users)} role(s); {self.table.known_cells()} cells decided; "
                 f"{sum(self.calls.values())} calls as the roles, {self.admin_calls} as admin"]
        for role, login in self.users.items():
            lines.append(f"  {role}: as {login}, {self.calls.get(role, 0)} calls")
        for role, why in self.skipped.items():
            lines.append(f"  {role}: skipped: {why}")
        return "\n".join(lines)


class _SudoRefused(Exception):
    """ShotGrid refused to act as the role's user; the role is skipped."""


def _text(error: BaseException) -> str:
    """A call's error text; a sudo refusal ends the role instead."""
    text = str(error)
    if SUDO_REFUSED.lower() in text.lower():
        raise _SudoRefused(text) from None
    return text


def _has(text: str, mark: str) -> bool:
    return mark.lower() in text.lower()


def _rule(text: str) -> str:
    """The condition a refusal names: what follows "RULE:"."""
    rule = text.split(RULE_MARK, 1)[1].strip()
    return rule or "a conditional rule"


class _Prober:
    def __init__(self, site: Any, connect: Callable[[str], Any], project: Any, rate: Optional[float],
                 progress: Optional[Callable[[str], None]], dry_run: bool) -> None:
        self.site = site
        self.admin = site.sg
        self.connect = connect
        self.project = project
        self.pause = 1.0 / rate if rate else 0.0
        self.progress = progress
        self.dry_run = dry_run
        self.schema = site._schema_read()[0]
        self.admin_calls = 0
        self.planned: List[str] = []

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def filters(self, entity: str) -> List[list]:
        if self.project is not None and "project" in self.schema.get(entity, {}):
            return [["project", "is", {"type": "Project", "id": int(self.project)}]]
        return []

    def admin_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.admin_calls += 1
        return getattr(self.admin, method)(*args, **kwargs)

    def candidates(self, entity: str) -> List[str]:
        fields = []
        for name, info in sorted(self.schema.get(entity, {}).items()):
            editable = (info.get("editable") or {}).get("value", True)
            kind = (info.get("data_type") or {}).get("value")
            if name != "id" and editable and kind in SETTABLE_TYPES:
                fields.append(name)
        return fields

    def invalid_data(self, entity: str) -> Optional[dict]:
        """Data a create must refuse after its permission check."""
        for name, info in sorted(self.schema.get(entity, {}).items()):
            kind = (info.get("data_type") or {}).get("value")
            valid = ((info.get("properties") or {}).get("valid_values") or {}).get("value")
            if kind == "status_list" and valid:
                return {name: "__sgperms_probe_invalid__"}
        for name, info in sorted(self.schema.get(entity, {}).items()):
            if (info.get("data_type") or {}).get("value") in ("number", "float", "duration", "percent"):
                return {name: "__sgperms_probe_not_a_number__"}
        return None

    def prepare(self, entities: List[str]) -> Dict[str, Tuple[Optional[dict], int]]:
        """As admin: prove the sentinel absent everywhere (before any call that
        could write), and find a real record and the admin's row count per type."""
        for entity in entities:
            if self.admin_call("find", entity, [["id", "is", SENTINEL_ID]], ["id"]):
                raise ProbeAborted(
                    f"{entity} {SENTINEL_ID} exists, so the probe's sentinel could be written: "
                    "nothing was probed and nothing written"
                )
        prepared = {}
        for entity in entities:
            fields = self.candidates(entity)
            record = self.admin_call("find_one", entity, self.filters(entity), fields)
            rows = len(self.admin_call("find", entity, self.filters(entity), ["id"], limit=READ_LIMIT))
            prepared[entity] = (record, rows)
        return prepared


def _decide_see(p: _Prober, s: Any, entity: str, admin_rows: int) -> Tuple[str, str, str]:
    call = f"find {entity} (ids, up to {READ_LIMIT})"
    try:
        rows = len(s.find(entity, p.filters(entity), ["id"], limit=READ_LIMIT))
    except Exception as e:  # a refusal is a Fault; anything else is not decidable
        text = _text(e)
        return ("no" if _has(text, CANNOT_ACCESS) else ""), call, text
    if rows < admin_rows:
        return "if restricted", call, f"{rows} of the {admin_rows} rows the admin sees"
    if admin_rows == 0:
        return "", call, "no rows to compare: cannot tell yes from a condition"
    return "yes", call, f"all {rows} rows"


def _batch(p: _Prober, s: Any, requests: List[dict], what: str) -> str:
    """Runs a probe batch that must fail; returns its refusal text."""
    try:
        s.batch(requests)
    except Exception as e:
        return _text(e)
    raise ProbeAborted(
        f"a probe batch succeeded ({what}): it may have written {requests!r}; stop and check these records"
    )


def _decide_fields(p: _Prober, s: Any, entity: str, record: dict, role: str, found: dict) -> None:
    fields = [f for f in p.candidates(entity) if f in record]
    while fields:
        data = {f: record.get(f) for f in fields}
        requests = [
            {"request_type": "update", "entity_type": entity, "entity_id": record["id"], "data": data},
            {"request_type": "update", "entity_type": entity, "entity_id": SENTINEL_ID, "data": data},
        ]
        call = f"batch [update {entity} {record['id']} {len(fields)} field(s) to their values, update {entity} {SENTINEL_ID}]"
        text = _batch(p, s, requests, f"field edit of {entity} as {role}")
        if _has(text, NOT_FOUND):
            for f in fields:
                found[("field", entity, f, "edit")] = ("yes", call, text)
            return
        listed = []
        match = REFUSED_FIELDS.search(text) if _has(text, NOT_EDITABLE) else None
        if match:
            listed = [part.strip().split(".", 1)[-1] for part in match.group(1).split(",")]
        refused = [f for f in listed if f in fields]
        if not refused:
            # Not an answer the probe knows: the remaining fields stay unknown.
            for f in fields:
                found[("field", entity, f, "edit")] = ("", call, text)
            return
        value = f"if {_rule(text)}" if RULE_MARK in text else "no"
        for f in refused:
            found[("field", entity, f, "edit")] = (value, call, text)
        fields = [f for f in fields if f not in refused]


def _decide_retire(p: _Prober, s: Any, entity: str, record: dict, role: str) -> Tuple[str, str, str]:
    requests = [
        {"request_type": "delete", "entity_type": entity, "entity_id": record["id"]},
        {"request_type": "delete", "entity_type": entity, "entity_id": SENTINEL_ID},
    ]
    call = f"batch [delete {entity} {record['id']}, delete {entity} {SENTINEL_ID}]"
    text = _batch(p, s, requests, f"retire of {entity} as {role}")
    if _has(text, CANNOT_DELETE):
        return (f"if {_rule(text)}" if RULE_MARK in text else "no"), call, text
    return ("yes" if _has(text, NOT_FOUND) else ""), call, text


def _decide_create(p: _Prober, s: Any, entity: str, role: str) -> Tuple[str, str, str]:
    data = p.invalid_data(entity)
    if data is None:
        return "", "create", "no field to make the data invalid with: not probed"
    call = f"create {entity} {data}"
    try:
        created = s.create(entity, data)
    except Exception as e:
        text = _text(e)
        if _has(text, CANNOT_CREATE):
            return (f"if {_rule(text)}" if RULE_MARK in text else "no"), call, text
        return "yes", call, text
    raise ProbeAborted(f"a probe create succeeded as {role}: {entity} {created.get('id')} was written with {data!r}")


def run(site: Any, users: Dict[str, str], *, connect: Callable[[str], Any], project: Any = None,
        targets: Optional[Iterable[str]] = None, progress: Optional[Callable[[str], None]] = None,
        rate: Optional[float] = None, dry_run: bool = False) -> Probe:
    """Probe every role in ``users`` (role code -> login). See Site.probe."""
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
    p.say(f"checking the sentinel id {SENTINEL_ID} on {len(entities)} entity types")
    prepared = p.prepare(entities)
    for role, login in users.items():
        try:
            session = connect(login)
        except Exception as e:  # ShotGrid may refuse the sudo session at once
            probe.skipped[role] = str(e)
            continue
        counted = _Counted(session, p.pause)
        found: Dict[Target, Tuple[str, str, str]] = {}
        try:
            for i, entity in enumerate(entities, start=1):
                p.say(f"{role} ({login}): {entity} [{i}/{len(entities)}]")
                record, admin_rows = prepared[entity]
                found[("entity", entity, "", "see")] = _decide_see(p, counted, entity, admin_rows)
                if record is not None:
                    _decide_fields(p, counted, entity, record, role, found)
                    found[("entity", entity, "", "retire")] = _decide_retire(p, counted, entity, record, role)
                found[("entity", entity, "", "create")] = _decide_create(p, counted, entity, role)
        except _SudoRefused as refused:
            probe.skipped[role] = str(refused)
            continue
        probe.calls[role] = counted.count
        for target, (value, call, answer) in found.items():
            probe.evidence[(role, target)] = (call, answer)
            if value:
                table.set(role, *target, value)
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
