"""An enforcing stand-in for ShotGrid, for tests: mockgun plus permissions.

This is a SIMULATION of behaviour measured on a real site (see the probe
issue and DESIGN.md, "What ShotGrid exposes"), not ShotGrid. It is built on
``shotgun_api3.lib.mockgun``:

- every session made for one ``base_url`` shares one mockgun database;
- a session made with ``sudo_as_login`` acts as that person and the
  ``PermissionTable`` given to :func:`enforce` decides what it may do, with
  the refusal texts measured on a real site (``shotgun_api3.Fault``);
- ``batch()`` is atomic: when one request fails, every earlier one is rolled
  back, ``updated_at`` included (updates set ``updated_at``, as ShotGrid does).

Choices where nothing was measured, kept deliberately simple: a conditional
entity ``see`` returns the rows with an even id; a conditional field edit,
retire or create is always refused with a rule naming the condition, and so
is every field edit of a type whose entity edit is conditional (no record
meets a condition); the refusal lists either the first refused field or all
of them (``refusal_style``), as real sites have been seen to do both.
:func:`enforced` says what the stand-in enforces for a cell.

:func:`fail` makes chosen calls answer otherwise (a timeout, an HTTP error,
a text the probe does not know), to test what is done with such answers.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from collections.abc import Iterable
from typing import Any

import shotgun_api3
from shotgun_api3.lib import mockgun

from . import PermissionTable

SENTINEL_ID = 999999999
_SITES: dict[str, _Site] = {}

Row = dict[str, Any]
"""A mockgun record: ShotGrid field values, arbitrary JSON."""
Database = dict[str, dict[int, Row]]
"""mockgun's database: entity type -> id -> record."""


class _Site:
    def __init__(self, table: PermissionTable, refusal_style: str, no_impersonation: Iterable[str]) -> None:
        self.table = table
        self.refusal_style = refusal_style
        self.no_impersonation = set(no_impersonation)
        self.db: Database | None = None
        self.calls: dict[str, int] = {}
        self.failures: list[tuple[str | None, str | None, str | None, BaseException]] = []


def _fault(text: str) -> Exception:
    return shotgun_api3.Fault(text)


def enforce(sg: Any, table: PermissionTable, *, refusal_style: str = "all",
            no_impersonation: Iterable[str] = frozenset()) -> None:
    """Make every later ``EnforcingShotgun(sg.base_url, ..., sudo_as_login=...)``
    share ``sg``'s database and obey ``table``. ``refusal_style`` is "all"
    (a refusal lists every refused field) or "first" (only the first)."""
    if refusal_style not in ("all", "first"):
        raise ValueError('refusal_style must be "all" or "first"')
    site = _Site(table, refusal_style, no_impersonation)
    site.db = sg._db
    _SITES[sg.base_url] = site


def release(base_url: str) -> None:
    """Stop enforcing the site at ``base_url``: sessions made later for it
    hold a database of their own and obey nothing, until :func:`enforce`."""
    _SITES.pop(base_url, None)


def enforced(table: PermissionTable, role: str, kind: str, entity_type: str, name: str, action: str) -> str:
    """The value the stand-in enforces for a cell of ``table``: its effective
    value ("no" when unknown), except that a field edit the table allows is
    conditional where the entity edit is (the stand-in's records never meet
    a condition, so the entity's condition refuses it)."""
    if role not in table.roles:
        return "no"
    value = table.effective(role, kind, entity_type, name, action) or "no"
    if kind == "field" and action == "edit" and value == "yes":
        entity_edit = table.effective(role, "entity", entity_type, "", "edit")
        if entity_edit.startswith("if "):
            return entity_edit
    return value


def fail(sg_or_url: Any, error: BaseException, *, method: str | None = None, entity_type: str | None = None,
         login: str | None = None) -> None:
    """Make every later matching call on the site raise ``error`` instead of
    answering: ``socket.timeout`` for a call that hangs past the session's
    timeout, ``shotgun_api3.ProtocolError`` for an HTTP error, a ``Fault``
    with a text the probe does not know. ``method`` is a session method
    ("find", "create", "update", "delete", "batch"), ``entity_type`` the type
    called on (any request's, for a batch), ``login`` the person acting ("" for
    admin sessions); None matches any. Nothing reaches the database."""
    url = getattr(sg_or_url, "base_url", sg_or_url)
    _SITES[url].failures.append((method, entity_type, login, error))


def calls(sg_or_url: Any) -> dict[str, int]:
    """Calls made so far on a site, by the login acting (admin sessions count as "")."""
    url = getattr(sg_or_url, "base_url", sg_or_url)
    return dict(_SITES[url].calls)


class EnforcingShotgun(mockgun.Shotgun):
    """A mockgun session that shares its site's database and, made with
    ``sudo_as_login``, enforces the site's permission table."""

    def __init__(self, base_url: str, script_name: str | None = None, api_key: str | None = None,
                 convert_datetimes_to_utc: bool = True, http_proxy: str | None = None, connect: bool = True,
                 ca_certs: str | None = None, login: str | None = None, password: str | None = None,
                 sudo_as_login: str | None = None, session_token: str | None = None,
                 auth_token: str | None = None) -> None:
        # mockgun's constructor writes a first event: unrestricted, uncounted.
        self._site: _Site | None = None
        self._as: str | None = None
        # Inside a batch: (entity type, id, the row before, or None if created).
        self._journal: list[tuple[str, int, Row | None]] | None = None
        super().__init__(  # type: ignore[no-untyped-call]  # mockgun is unannotated
            base_url, script_name=script_name, api_key=api_key, login=login, password=password,
            sudo_as_login=sudo_as_login, session_token=session_token)
        site = _SITES.get(base_url)
        if site is not None and site.db is not None:
            self._db = site.db
        self.config.script_name, self.config.api_key = script_name, api_key
        self.config.user_login, self.config.user_password = login, password
        self.config.session_token, self.config.sudo_as_login = session_token, sudo_as_login
        self._site = site
        self._as = sudo_as_login

    # -- who is acting -----------------------------------------------------

    def _count(self, method: str, *entity_types: str) -> None:
        """Counts a call, then raises the failure :func:`fail` chose for it, if any."""
        if self._site is None:
            return
        key = self._as or ""
        self._site.calls[key] = self._site.calls.get(key, 0) + 1
        for f_method, f_entity, f_login, error in self._site.failures:
            if (f_method in (None, method) and f_entity in (None, *entity_types)
                    and (f_login is None or f_login.lower() == key.lower())):
                raise error

    def _role(self) -> str | None:
        """The acting person's role code, or None for an unrestricted session."""
        if not self._as or self._site is None:
            return None
        people = [r for r in self._db["HumanUser"].values() if (r.get("login") or "").lower() == self._as.lower()]
        if not people or people[0]["__retired"]:
            raise _fault(f"Cannot 'sudo' - unknown or retired user: '{self._as}'")
        person = people[0]
        if person.get("sg_status_list") not in (None, "act"):
            raise _fault(f"Cannot 'sudo' - inactive user account: '{self._as}'")
        if self._as in self._site.no_impersonation:
            raise _fault(f"Cannot 'sudo' - 'can_impersonate_this_user' turned off for '{self._as}'")
        link = person.get("permission_rule_set") or {}
        rule_set = self._db["PermissionRuleSet"].get(link.get("id"), {})
        code: str | None = rule_set.get("code")
        return code

    def _rule_name(self, role: str) -> str:
        for r in self._db["PermissionRuleSet"].values():
            if r.get("code") == role:
                return r.get("display_name") or role
        return role

    def _enforcing(self) -> _Site:
        """The site whose table this session obeys (only sessions acting as
        someone, on an :func:`enforce`d site, check permissions)."""
        assert self._site is not None
        return self._site

    def _value(self, role: str, kind: str, entity: str, name: str, action: str) -> str:
        return enforced(self._enforcing().table, role, kind, entity, name, action)

    def _conditional(self, role: str, what: str, entity: str, field: str, value: str) -> Exception:
        rule = json.dumps({"condition": value[3:]})
        target = f"entity_type => {entity}" + (f", field_name => {field}" if field else "")
        condition = "update_field_condition" if field else "entity_condition"
        return _fault(f"{what} Rule: {self._rule_name(role)} -- "
                      f"PermissionRule 2615: {condition} FOR {target} RULE: {rule}")

    # -- reads -----------------------------------------------------------------

    def find(self, entity_type: str, filters: Any, fields: list[str] | None = None,
             order: list[dict[str, str]] | None = None, filter_operator: str | None = None, limit: int = 0,
             retired_only: bool = False, page: int = 0) -> list[Row]:
        self._count("find", entity_type)
        role = self._role()
        rows: list[Row] = super().find(  # type: ignore[no-untyped-call]  # mockgun is unannotated
            entity_type, filters, fields, order, filter_operator, 0, retired_only, page)
        if role is not None:
            see = self._value(role, "entity", entity_type, "", "see")
            if see == "no":
                raise _fault(f"Entity of type {entity_type} can not be accessed by this user. "
                             f"Rule: {self._rule_name(role)}")
            if see.startswith("if "):
                rows = [r for r in rows if r["id"] % 2 == 0]
        return rows[:limit] if limit else rows

    def find_one(self, entity_type: str, filters: Any, fields: list[str] | None = None,
                 order: list[dict[str, str]] | None = None, filter_operator: str | None = None,
                 retired_only: bool = False) -> Row | None:
        found = self.find(entity_type, filters, fields, order, filter_operator, 1, retired_only)
        return found[0] if found else None

    # -- writes ----------------------------------------------------------------

    def _check_update(self, role: str, entity_type: str, entity_id: int, data: Row) -> None:
        refused: list[str] = []
        conditional: tuple[str, str] | None = None
        for field in data:
            value = self._value(role, "field", entity_type, field, "edit")
            if value == "no":
                refused.append(field)
            elif value.startswith("if ") and conditional is None:
                conditional = (field, value)
            if refused and self._enforcing().refusal_style == "first":
                break
        if refused:
            fields = ", ".join(f"{entity_type}.{f}" for f in refused)
            raise _fault(f"The field is not editable for this user: [{fields}].")
        if conditional:
            field, value = conditional
            raise self._conditional(role, f"The field is not editable for this user: [{entity_type}.{field}].",
                                    entity_type, field, value)

    def update(self, entity_type: str, entity_id: int, data: Row,
               multi_entity_update_modes: dict[str, str] | None = None) -> Any:
        self._count("update", entity_type)
        return self._update(entity_type, entity_id, data, multi_entity_update_modes)

    def _update(self, entity_type: str, entity_id: int, data: Row, modes: dict[str, str] | None = None) -> Any:
        role = self._role()
        if role is not None:
            self._check_update(role, entity_type, entity_id, data)
        if entity_id not in self._db.get(entity_type, {}):
            raise _fault(f"API update() CRUD ERROR: {entity_type} with id {entity_id} not found")
        self._remember(entity_type, entity_id)
        result = super().update(entity_type, entity_id, data, modes)  # type: ignore[no-untyped-call]  # mockgun
        if "updated_at" in self._schema.get(entity_type, {}):
            self._db[entity_type][entity_id]["updated_at"] = _dt.datetime.now(_dt.timezone.utc)
        return result

    def delete(self, entity_type: str, entity_id: int) -> bool:
        self._count("delete", entity_type)
        return self._delete(entity_type, entity_id)

    def _delete(self, entity_type: str, entity_id: int) -> bool:
        self._check_entity(entity_type, "retire", f"Entity of type {entity_type} can not be deleted by this user.")
        if entity_id not in self._db.get(entity_type, {}):
            raise _fault(f"API delete() CRUD ERROR: {entity_type} with id {entity_id} not found")
        self._remember(entity_type, entity_id)
        deleted: bool = super().delete(entity_type, entity_id)  # type: ignore[no-untyped-call]  # mockgun
        return deleted

    def _check_entity(self, entity_type: str, action: str, refusal: str) -> None:
        """Refuses an entity-level action the acting role may not take."""
        role = self._role()
        if role is None:
            return
        value = self._value(role, "entity", entity_type, "", action)
        if value == "no":
            raise _fault(refusal)
        if value.startswith("if "):
            raise self._conditional(role, refusal, entity_type, "", value)

    def create(self, entity_type: str, data: Row, return_fields: list[str] | None = None) -> Row:
        self._count("create", entity_type)
        return self._create(entity_type, data, return_fields)

    def _create(self, entity_type: str, data: Row, return_fields: list[str] | None = None) -> Row:
        self._check_entity(entity_type, "create", f"Entity of type {entity_type} cannot be created by this user.")
        self._validate(entity_type, data)
        created: Row = super().create(entity_type, data, return_fields)  # type: ignore[no-untyped-call]  # mockgun
        if self._journal is not None:
            self._journal.append((entity_type, created["id"], None))
        return created

    def _remember(self, entity_type: str, entity_id: int) -> None:
        """Inside a batch: keep the row as it was, to roll back."""
        if self._journal is not None:
            self._journal.append((entity_type, entity_id, copy.deepcopy(self._db[entity_type][entity_id])))

    def _validate(self, entity_type: str, data: Row) -> None:
        """ShotGrid refuses invalid data before storing anything."""
        for field, value in data.items():
            info = self._schema.get(entity_type, {}).get(field)
            if info is None:
                raise _fault(f"API create() CRUD ERROR: {entity_type}.{field} does not exist")
            valid = info.get("properties", {}).get("valid_values", {}).get("value")
            if info["data_type"]["value"] == "status_list" and valid and value not in valid:
                raise _fault(f"API create() CRUD ERROR: Invalid value {value!r} for {entity_type}.{field}")
        try:
            self._validate_entity_data(entity_type, data)  # type: ignore[no-untyped-call]  # mockgun's own
        except Exception as e:  # mockgun's own type checks, as a ShotGrid Fault
            raise _fault(f"API create() CRUD ERROR: {e}") from None

    def batch(self, requests: list[dict[str, Any]]) -> list[Any]:
        self._count("batch", *(request["entity_type"] for request in requests))
        self._journal = []
        results: list[Any] = []
        try:
            for request in requests:
                kind = request["request_type"]
                if kind == "update":
                    results.append(self._update(request["entity_type"], request["entity_id"], request["data"])[0])
                elif kind == "delete":
                    results.append(self._delete(request["entity_type"], request["entity_id"]))
                elif kind == "create":
                    results.append(self._create(request["entity_type"], request["data"]))
                else:
                    raise _fault(f"Invalid request type {kind}")
        except Exception:
            # Atomic: undo every change of the batch, newest first, in place,
            # so that every session sharing the database sees the rollback.
            for entity_type, entity_id, row in reversed(self._journal):
                if row is None:
                    del self._db[entity_type][entity_id]
                else:
                    self._db[entity_type][entity_id] = row
            raise
        finally:
            self._journal = None
        return results


def dump(sg: Any) -> Database:
    """Every record of a session's database, retired ones included, for
    comparing before and after (``updated_at`` included)."""
    db: Database = copy.deepcopy(sg._db)
    return db
