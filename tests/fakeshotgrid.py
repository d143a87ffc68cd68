"""A fake ShotGrid server for tests: ShotGrid's JSON wire protocol over HTTP
on 127.0.0.1, answered from a ``shotgun_api3.lib.mockgun`` database.

This is a SIMULATION of ShotGrid's wire protocol built on mockgun, not
ShotGrid. It exists so that tests can run sgperms through the real
``shotgun_api3.Shotgun`` client (its HTTP, JSON, paging, date and fault
handling) without a site. What it answers:

- ``POST /api3/json`` with ``{"method_name": ..., "params": [auth, args]}``,
  as ``shotgun_api3.Shotgun._call_rpc`` sends it; ``info`` carries no auth;
- ``info`` (a server version recent enough for the client's optimised
  paging: ``paging_info.has_next_page``), ``read`` (wire filters
  ``{"logical_operator", "conditions": [{"path", "relation", "values"}]}``,
  ``return_fields``, ``sorts``, ``paging`` pages of ``entities_per_page``),
  ``create``, ``update``, ``delete``, ``revive``, ``batch``, ``schema_read``,
  ``schema_entity_read``, ``schema_field_read``;
- script authentication (``script_name``/``script_key``): a wrong key is
  ShotGrid's authentication fault (error code 102, which the client raises
  as ``AuthenticationFault``);
- ``sudo_as_login``: the call is made by ``sgperms.testing.EnforcingShotgun``
  acting as that person, so the ``PermissionTable`` given to the server is
  enforced with the refusal texts measured on a real site, and ``batch`` is
  atomic;
- faults as ShotGrid sends them: HTTP 200 with ``{"exception": true,
  "message": ..., "error_code": ...}``, so the client raises ``Fault``
  itself; dates and times as ``YYYY-MM-DDTHH:MM:SSZ`` strings (UTC); entity
  links with a ``name``.

Controls for tests: :meth:`FakeShotGrid.hang` (the next matching call is held
open, unanswered, until the client gives up or the server stops),
:meth:`FakeShotGrid.fail` (the next matching call gets an HTTP error, 503 by
default), ``script_key``, ``writes`` (write calls that went through) and
``write_attempts``, ``calls`` (every call, in order), ``abandoned`` and
:meth:`FakeShotGrid.gave_up` (held calls the client gave up on),
:meth:`FakeShotGrid.change_role` (as an admin does in the web app, event
included) and ``echo_key_in_faults`` (adversarial: the authentication fault
repeats the key sent; real sites do not). What is not measured on a real
site is chosen simply and said so where it is chosen.
"""

from __future__ import annotations

import datetime as _dt
import http.server
import itertools
import json
import os
import select
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from sgperms import demo, testing

API_PATH = "/api3/json"
ERR_AUTH = 102  # what shotgun_api3 turns into AuthenticationFault
# Any other fault: shotgun_api3 raises Fault whatever the code; the code real
# sites send for permission and CRUD errors was not measured.
ERR_OTHER = 103
VERSION = [8, 50, 0, 0]
ANY = "*"
_WRITES = {"create", "update", "delete", "revive", "batch"}
_DATE_TIME = "%Y-%m-%dT%H:%M:%SZ"
_LINK_NAMES = ("name", "display_name", "code", "content", "title", "subject", "firstname", "cached_display_name")
_URLS = itertools.count(1)


@dataclass
class Call:
    """One call the server received."""

    method: str
    sudo: str | None
    entity_type: str | None
    page: int | None = None
    per_page: int | None = None
    returned: int | None = None
    outcome: str = ""  # "ok", "fault: ...", "held", "http 503", "auth"


@dataclass
class _Trap:
    kind: str  # "hang" or "fail"
    method: str
    sudo: Any
    entity_type: str | None
    status: int = 503
    skip: int = 0
    hits: list[Call] = field(default_factory=list)


class _Fault(Exception):
    def __init__(self, message: str, code: int = ERR_OTHER) -> None:
        super().__init__(message)
        self.code = code


class FakeShotGrid:
    """A fake ShotGrid site on 127.0.0.1 answering from the mockgun session
    ``sg`` (its database and schema are used in place, not copied), enforcing
    ``table`` for calls made with ``sudo_as_login``. Use as a context
    manager, or call :meth:`start` and :meth:`stop`."""

    def __init__(self, sg: Any, table: Any, *, script_name: str = "sgperms", script_key: str = "",
                 hold_at_most: float = 120.0) -> None:
        self.script_name = script_name
        self.script_key = script_key
        self.hold_at_most = hold_at_most
        self.table = table
        # The enforcing stand-in finds its site by base_url: give this server
        # its own, so it never shares state with another test's mockgun site.
        self._key = f"https://fakeshotgrid-{next(_URLS)}.invalid"
        sg.base_url = self._key
        testing.enforce(sg, table)
        self._schema, self._schema_entity = sg._schema, sg._schema_entity
        self._admin = self._session(None)
        self._sessions: dict[str | None, Any] = {None: self._admin}
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._traps: list[_Trap] = []
        self.calls: list[Call] = []
        self.writes = 0
        self.write_attempts = 0
        self.abandoned = 0
        self.echo_key_in_faults = False
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life ------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeShotGrid:
        handler = type("Handler", (_Handler,), {"site": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fakeshotgrid", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # ends every held call
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeShotGrid:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- controls --------------------------------------------------------------

    def hang(self, method: str, *, sudo: Any = ANY, entity_type: str | None = None, skip: int = 0) -> _Trap:
        """Hold the next matching call (after ``skip`` more) open without
        answering until the client gives up (closes the connection) or the
        server stops. ``sudo``: a login, None (calls without sudo; ``info``
        carries no credentials, so it is always None) or ANY."""
        trap = _Trap("hang", method, sudo, entity_type, skip=skip)
        with self._lock:
            self._traps.append(trap)
        return trap

    def fail(self, method: str, status: int = 503, *, sudo: Any = ANY, entity_type: str | None = None,
             skip: int = 0) -> _Trap:
        """Answer the next matching call (after ``skip`` more) with an HTTP
        error (503: what a site down for maintenance or too busy answers)."""
        trap = _Trap("fail", method, sudo, entity_type, status, skip=skip)
        with self._lock:
            self._traps.append(trap)
        return trap

    def gave_up(self, at_least: int = 1, *, within: float = 10.0) -> int:
        """How many held calls the client gave up on (closed), once at least
        ``at_least`` have been seen or ``within`` seconds have passed: the
        server notices a closed connection a moment after the client closes it."""
        waited = 0.0
        while self.abandoned < at_least and waited < within:
            threading.Event().wait(0.05)
            waited += 0.05
        return self.abandoned

    def dump(self) -> dict:
        """Every record, retired ones included (for before/after comparisons)."""
        with self._lock:
            return testing.dump(self._admin)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        """A read on the server's data, unrestricted (for test assertions)."""
        with self._lock:
            return self._admin.find(*args, **kwargs)

    def change_role(self, login: str, role: str, *, by: str | None = None) -> None:
        """Move a person to another role as an admin does in the web app: the
        field changes and the event log records it."""
        with self._lock:
            db = self._admin._db
            person = next(r for r in db["HumanUser"].values() if r.get("login") == login)
            old = person.get("permission_rule_set")
            new_set = next(r for r in db["PermissionRuleSet"].values() if r.get("code") == role)
            new = {"type": "PermissionRuleSet", "id": new_set["id"], "name": new_set.get("display_name") or role}
            self._admin.update("HumanUser", person["id"], {"permission_rule_set": new})
            actor = next((r for r in db["HumanUser"].values() if r.get("login") == by), None) if by else None
            self._admin.create("EventLogEntry", {
                "event_type": "Shotgun_HumanUser_Change",
                "attribute_name": "permission_rule_set",
                "entity": {"type": "HumanUser", "id": person["id"]},
                "user": {"type": "HumanUser", "id": actor["id"]} if actor else None,
                "created_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0),
                "description": f"changed \"Permission Group\" on Person {person.get('name')}",
                "meta": {"type": "attribute_change", "attribute_name": "permission_rule_set",
                         "entity_type": "HumanUser", "entity_id": person["id"], "old_value": old, "new_value": new},
            })

    # -- the protocol ----------------------------------------------------------

    def _session(self, sudo: str | None) -> Any:
        session = testing.EnforcingShotgun(self._key, script_name=self.script_name, api_key="(server side)",
                                           sudo_as_login=sudo)
        # mockgun's schema is set class-wide: pin this site's own.
        session._schema, session._schema_entity = self._schema, self._schema_entity
        return session

    def _trap(self, call: Call) -> _Trap | None:
        for trap in list(self._traps):
            if trap.method != call.method:
                continue
            if trap.sudo != ANY and trap.sudo != call.sudo:
                continue
            if trap.entity_type is not None and trap.entity_type != call.entity_type:
                continue
            if trap.skip:
                trap.skip -= 1
                continue
            self._traps.remove(trap)
            trap.hits.append(call)
            return trap
        return None

    def _authenticate(self, auth: dict) -> str | None:
        """The sudo login of an authenticated call; raises the auth fault."""
        if not isinstance(auth, dict):
            raise _Fault("Invalid authentication parameters", ERR_AUTH)
        if "script_name" in auth:
            name = auth.get("script_name")
            if name != self.script_name or auth.get("script_key") != self.script_key:
                extra = f" with key {auth.get('script_key')!r}" if self.echo_key_in_faults else ""
                raise _Fault(f"Can't authenticate script '{name}'{extra}", ERR_AUTH)
        elif "user_login" in auth:
            raise _Fault(f"Can't authenticate user '{auth.get('user_login')}'", ERR_AUTH)
        else:
            raise _Fault("Can't authenticate: no valid credentials", ERR_AUTH)
        return auth.get("sudo_as_login") or None

    def answer(self, method: str, args: Any, sudo: str | None, call: Call) -> Any:
        """The ``results`` of one authenticated call (raises _Fault)."""
        with self._lock:
            if sudo not in self._sessions:
                self._sessions[sudo] = self._session(sudo)
            sg = self._sessions[sudo]
            try:
                return self._dispatch(sg, method, args or {}, call)
            except _Fault:
                raise
            except Exception as e:  # a shotgun_api3.Fault of the stand-in, or mockgun's own errors
                raise _Fault(str(e)) from None

    def _dispatch(self, sg: Any, method: str, args: Any, call: Call) -> Any:
        if method == "read":
            return self._read(sg, args, call)
        if method == "schema_read":
            return self._schema
        if method == "schema_entity_read":
            return self._schema_entity
        if method == "schema_field_read":
            fields = self._schema.get(args.get("type"))
            if fields is None:
                raise _Fault(f"API schema_field_read() {args.get('type')} is not a valid entity type")
            name = args.get("field_name")
            return {k: v for k, v in fields.items() if not name or k == name}
        if method in _WRITES:
            self.write_attempts += 1
            result = self._write(sg, method, args)
            self.writes += 1
            return result
        raise _Fault(f"Unknown method: {method}")

    def _read(self, sg: Any, args: dict, call: Call) -> dict:
        entity = args["type"]
        if entity not in self._schema:
            raise _Fault(f"API read() {entity} is not a valid entity type")
        filters, operator = _filters(args.get("filters") or {"logical_operator": "and", "conditions": []},
                                     entity, self._schema)
        order = [{"field_name": s["field_name"], "direction": s.get("direction", "asc")}
                 for s in args.get("sorts") or []]
        rows = sg.find(entity, filters, args.get("return_fields") or ["id"], order or None, operator,
                       retired_only=args.get("return_only") == "retired")
        paging = args.get("paging") or {}
        per_page = int(paging.get("entities_per_page") or 500)
        page = int(paging.get("current_page") or 1)
        chunk = rows[(page - 1) * per_page: page * per_page]
        call.page, call.per_page, call.returned = page, per_page, len(chunk)
        info: dict[str, Any] = {"has_next_page": page * per_page < len(rows)}
        if "return_paging_info_without_counts" not in args:
            info = {"entity_count": len(rows), "current_page": page, "page_count": -(-len(rows) // per_page)}
        return {"entities": [self._outbound(r) for r in chunk], "paging_info": info}

    def _write(self, sg: Any, method: str, args: Any) -> Any:
        if method == "batch":
            requests = []
            for r in args:
                request = {"request_type": r["request_type"], "entity_type": r["type"]}
                if "id" in r:
                    request["entity_id"] = r["id"]
                if "fields" in r:
                    request["data"] = self._data(r["type"], r["fields"])
                requests.append(request)
            return [self._outbound(r) if isinstance(r, dict) else r for r in sg.batch(requests)]
        entity = args["type"]
        if method == "create":
            return self._outbound(sg.create(entity, self._data(entity, args["fields"]), args.get("return_fields")))
        if method == "update":
            modes = {f["field_name"]: f["multi_entity_update_mode"]
                     for f in args["fields"] if "multi_entity_update_mode" in f}
            return self._outbound(sg.update(entity, args["id"], self._data(entity, args["fields"]), modes or None)[0])
        if method == "delete":
            return sg.delete(entity, args["id"])
        return sg.revive(entity, args["id"])

    def _data(self, entity: str, fields: list[dict]) -> dict:
        """``[{"field_name", "value"}]`` as mockgun data, dates as datetimes."""
        return {f["field_name"]: _inbound(self._schema, entity, f["field_name"], f.get("value")) for f in fields}

    def _outbound(self, value: Any) -> Any:
        """A value as ShotGrid sends it: UTC date-time strings, named links."""
        if isinstance(value, dict):
            out = {k: self._outbound(v) for k, v in value.items() if not k.startswith("__")}
            if "type" in out and "id" in out and "name" not in out and out["type"] in self._admin._db:
                row = self._admin._db[out["type"]].get(out["id"])
                if row is not None and set(out) <= {"type", "id"}:
                    name = next((row[k] for k in _LINK_NAMES if isinstance(row.get(k), str) and row[k]), None)
                    if name is not None:
                        out["name"] = name
            return out
        if isinstance(value, (list, tuple)):
            return [self._outbound(v) for v in value]
        if isinstance(value, _dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(_dt.timezone.utc)
            return value.strftime(_DATE_TIME)
        if isinstance(value, _dt.date):
            return value.strftime("%Y-%m-%d")
        return value


def _field_type(schema: dict, entity: str, path: str) -> str | None:
    parts = path.split(".", 2)
    if len(parts) == 3:
        return _field_type(schema, parts[1], parts[2])
    info = schema.get(entity, {}).get(path)
    return info["data_type"]["value"] if info else None


def _inbound(schema: dict, entity: str, path: str, value: Any) -> Any:
    """A wire value as mockgun stores it: date-times become aware datetimes."""
    if isinstance(value, list):
        return [_inbound(schema, entity, path, v) for v in value]
    if isinstance(value, str) and _field_type(schema, entity, path) == "date_time":
        try:
            return _dt.datetime.strptime(value, _DATE_TIME).replace(tzinfo=_dt.timezone.utc)
        except ValueError:
            return value
    return value


def _filters(wire: dict, entity: str, schema: dict):
    """ShotGrid's wire filters as mockgun's: (filters, filter_operator)."""
    operator = {"and": "all", "or": "any"}[wire.get("logical_operator", "and")]
    out: list[Any] = []
    for condition in wire.get("conditions", []):
        if "conditions" in condition:
            nested, nested_operator = _filters(condition, entity, schema)
            out.append({"filter_operator": nested_operator, "filters": nested})
            continue
        path, relation, values = condition["path"], condition["relation"], condition.get("values", [])
        values = [_inbound(schema, entity, path, v) for v in values]
        if relation in ("in", "not_in", "between", "not_between") or len(values) != 1:
            out.append([path, relation, values])
        else:
            out.append([path, relation, values[0]])
    return out, operator


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a client kept alive in the test process must not block stop()


class _Handler(http.server.BaseHTTPRequestHandler):
    site: FakeShotGrid
    protocol_version = "HTTP/1.1"  # keep-alive, as the client asks
    server_version = "fakeshotgrid"
    timeout = 60  # idle keep-alive connections
    wbufsize = -1  # an answer goes out in one write (flushed after each request)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # One small request and answer at a time: without this, Nagle's
        # algorithm and delayed ACKs add 40 ms to every keep-alive call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, payload: Any) -> None:
        self._send(200, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def do_POST(self) -> None:
        site = self.site
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path != API_PATH:
            self._send(404, b"<html><body>Not found</body></html>", "text/html")
            return
        try:
            payload = json.loads(body.decode("utf-8"))
            method, params = payload["method_name"], payload.get("params") or []
        except (ValueError, KeyError, TypeError):
            self._json({"exception": True, "message": "Invalid JSON request", "error_code": ERR_OTHER})
            return
        auth = params[0] if method != "info" and params else None
        args = params[1] if method != "info" and len(params) > 1 else None
        sudo = auth.get("sudo_as_login") if isinstance(auth, dict) else None
        entity = _entity_of(method, args)
        call = Call(method, sudo, entity)
        with site._lock:
            site.calls.append(call)
            trap = site._trap(call)
        if trap is not None and trap.kind == "hang":
            call.outcome = "held"
            self._hold()
            return
        if trap is not None:
            call.outcome = f"http {trap.status}"
            self._send(trap.status, b"<html><body><h1>Service Unavailable</h1></body></html>", "text/html")
            return
        if method == "info":
            call.outcome = "ok"
            self._json({"version": VERSION[:3], "full_version": VERSION, "user_authentication_method": "default",
                        "s3_uploads_enabled": False, "s3_enabled_upload_types": {}})
            return
        try:
            sudo = site._authenticate(auth)
            results = site.answer(method, args, sudo, call)
        except _Fault as fault:
            call.outcome = "auth" if fault.code == ERR_AUTH else f"fault: {fault}"
            self._json({"exception": True, "message": str(fault), "error_code": fault.code})
            return
        call.outcome = "ok"
        self._json({"results": results})

    def _hold(self) -> None:
        """Answer nothing until the client closes the connection (it gave up),
        the server stops, or hold_at_most passes; then close."""
        site = self.site
        sock = self.connection
        waited = 0.0
        while not site._release.wait(0.1):
            waited += 0.1
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                try:
                    gone = sock.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    gone = True
                if gone:
                    with site._lock:
                        site.abandoned += 1
                    break
            if waited >= site.hold_at_most:
                break
        self.close_connection = True


def _entity_of(method: str, args: Any) -> str | None:
    if isinstance(args, dict):
        return args.get("type")
    if method == "batch" and isinstance(args, list) and args:
        return args[0].get("type")
    return None


def demo_site(extra_people: int = 0) -> Any:
    """The demo studio's mockgun session (``sgperms.demo.build_site``), with
    ``extra_people`` more active artists (login ``extra.NNNN``) for paging."""

    sg = demo.build_site()
    artist = sg.find_one("PermissionRuleSet", [["code", "is", "artist"]], ["display_name"])
    for i in range(extra_people):
        sg.create("HumanUser", {
            "login": f"extra.{i:04d}", "name": f"Extra Person {i:04d}", "firstname": "Extra", "lastname": f"{i:04d}",
            "email": f"extra.{i:04d}@demo-studio.example", "sg_status_list": "act",
            "permission_rule_set": {"type": "PermissionRuleSet", "id": artist["id"]},
        })
    return sg


def shotgrid_schema_site(schema_pickles: Any, people: int, roles=("admin", "artist", "lead", "vendor")) -> Any:
    """A mockgun session on ShotGrid's own mockgun schema (``schema_pickles``:
    the folder holding schema.pickle and schema_entity.pickle): the system
    templates, ``roles`` (HumanUser roles with the demo's codes), ``people``
    active people spread over them (login ``person.NNNN``), a script, one
    recorded role change, and two records of every entity type, in one
    project where the type has a project field."""
    from shotgun_api3.lib import mockgun

    previous = mockgun.Shotgun.get_schema_paths()
    mockgun.Shotgun.set_schema_paths(os.path.join(schema_pickles, "schema.pickle"),
                                     os.path.join(schema_pickles, "schema_entity.pickle"))
    try:
        sg = mockgun.Shotgun(f"https://shotgrid-schema-{next(_URLS)}.invalid", script_name="x", api_key="y")
    finally:
        if all(previous):
            mockgun.Shotgun.set_schema_paths(*previous)
    ids = {}
    for code, user_type in (("admin_system_default", "HumanUser"), ("artist_system_default", "HumanUser"),
                            ("api_admin_system_default", "ApiUser")):
        ids[code] = sg.create("PermissionRuleSet", {"code": code, "display_name": code.split("_")[0].title(),
                                                    "entity_type": f"PermissionRuleSet.{user_type}"})["id"]
    for code in roles:
        template = "admin_system_default" if code == "admin" else "artist_system_default"
        ids[code] = sg.create("PermissionRuleSet", {
            "code": code, "display_name": code.title(), "entity_type": "HumanUser",
            "parent_set": {"type": "PermissionRuleSet", "id": ids[template]}})["id"]
    ids["api_admin"] = sg.create("PermissionRuleSet", {
        "code": "api_admin", "display_name": "API Admin", "entity_type": "ApiUser",
        "parent_set": {"type": "PermissionRuleSet", "id": ids["api_admin_system_default"]}})["id"]
    for i in range(people):
        code = roles[i % len(roles)]
        sg.create("HumanUser", {"login": f"person.{i:04d}", "name": f"Person {i:04d}", "sg_status_list": "act",
                                "permission_rule_set": {"type": "PermissionRuleSet", "id": ids[code]}})
    sg.create("ApiUser", {"firstname": "sgperms",
                          "permission_rule_set": {"type": "PermissionRuleSet", "id": ids["api_admin"]}})
    sg.create("EventLogEntry", {
        "event_type": "Shotgun_HumanUser_Change", "attribute_name": "permission_rule_set",
        "entity": {"type": "HumanUser", "id": 2}, "user": {"type": "HumanUser", "id": 1},
        "created_at": _dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=_dt.timezone.utc),
        "meta": {"type": "attribute_change", "attribute_name": "permission_rule_set", "entity_type": "HumanUser",
                 "entity_id": 2, "old_value": None, "new_value": {"type": "PermissionRuleSet", "id": ids[roles[1]]}},
    })
    add_records(sg)
    return sg


def add_records(sg: Any) -> None:
    """Two records of every entity type that has none, as the demo makes
    them, in one project: something real for a probe to (not) change."""
    project = sg.find_one("Project", [], ["id"]) or sg.create("Project", {"name": "Live Test Feature"})
    demo.add_records(sg, project, "record of")
