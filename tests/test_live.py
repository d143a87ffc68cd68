"""The live path through the real client: ``sgperms snapshot`` and ``sgperms
probe`` run as commands, through ``shotgun_api3.Shotgun`` over HTTP, against
``fakeshotgrid`` — a fake ShotGrid on 127.0.0.1 that speaks ShotGrid's JSON
wire protocol and answers from mockgun (a simulation, not ShotGrid; see
tests/fakeshotgrid.py).

Every test checks that no credential reaches the output or the files. No
test asserts a duration: a command that should give up on a held call but
does not is stopped by a guard and reported as not honouring --timeout.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from pathlib import Path

import pytest
import shotgun_api3

import sgperms
from sgperms import demo, testing

import fakeshotgrid
from conftest import MOCKGUN_SCHEMA, run_cli
from fakeshotgrid import FakeShotGrid

GOOD_KEY = "good-key-5b0e7c1d9a3f"   # the script key the fake site accepts
WRONG_KEY = "wrong-kéy-48c2d6e0a1"   # non-ASCII on purpose
SCRIPT = "sgperms"
GUARD = 90  # seconds before a command that should have given up is stopped
TIMED_OUT = re.compile(r"tim(ed|e)[ -]?out|gave up|gives up", re.I)


def env_for(server: FakeShotGrid, key: str = GOOD_KEY) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGPERMS_")}
    env.update(SGPERMS_SITE=server.url, SGPERMS_SCRIPT_NAME=SCRIPT, SGPERMS_API_KEY=key)
    return env


def run(server, *args, key=GOOD_KEY, env=None):
    """Run the command as a user would (``python -m sgperms.cli``), against
    the fake site; credentials through the environment."""
    try:
        return run_cli(*args, env=env or env_for(server, key), timeout=GUARD)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"sgperms {' '.join(args)} did not finish within {GUARD} s (a held call was never given up: "
                    f"--timeout not honoured?); stderr so far: {e.stderr!r}")


def assert_no_secret(result, *paths, secrets=(GOOD_KEY, WRONG_KEY)):
    """No credential in the output, nor in any file under ``paths``."""
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr, secret
    for path in paths:
        path = Path(path)
        files = [path] if path.is_file() else (list(path.rglob("*")) if path.exists() else [])
        for f in files:
            if f.is_file():
                data = f.read_bytes()
                for secret in secrets:
                    assert secret.encode("utf-8") not in data, (f, secret)


def one_error_line(result) -> str:
    """The command failed with exactly one line, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sgperms: error: "), lines[0]
    return lines[0]


def snapshot_bytes(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def rows(path: Path) -> list:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def same_class(probed: str, truth: str) -> bool:
    """A probed value agrees with the enforced one: equal, or both conditions."""
    return probed == truth or (probed.startswith("if ") and truth.startswith("if "))


def evidence(path: Path) -> dict:
    return {(r["role"], r["kind"], r["entity_type"], r["name"], r["action"]): r for r in rows(path)}


def without_link_names(value):
    """mockgun's filter code writes a ``name`` into the stored link it
    filters on (an in-memory side effect of reading, not a write): compare
    records without link names."""
    if isinstance(value, dict):
        return {k: without_link_names(v) for k, v in value.items()
                if not (k == "name" and "type" in value and "id" in value and set(value) <= {"type", "id", "name"})}
    if isinstance(value, list):
        return [without_link_names(v) for v in value]
    return value


@pytest.fixture
def studio():
    """The demo studio (316 people + 300 more, so people take two pages) on a
    fake ShotGrid enforcing the demo's permission table."""
    sg = fakeshotgrid.demo_site(extra_people=300)
    with FakeShotGrid(sg, demo.permission_table(sg.schema_read()), script_name=SCRIPT, script_key=GOOD_KEY) as server:
        yield server


def active(server, role):
    """Logins of the active people holding ``role``, by login."""
    found = server.find("HumanUser", [["permission_rule_set.PermissionRuleSet.code", "is", role],
                                      ["sg_status_list", "is", "act"]], ["login"])
    return sorted(r["login"] for r in found)


def project_id(server) -> int:
    return server.find("Project", [], ["id"])[0]["id"]


# -- the fake server itself, through the real client ---------------------------


def test_the_fake_server_speaks_shotgrids_wire_protocol(studio):
    sg = shotgun_api3.Shotgun(studio.url, script_name=SCRIPT, api_key=GOOD_KEY, connect=False)
    sg.config.timeout_secs = 10
    assert sg.info()["version"][:2] == [8, 50]
    people = sg.find("HumanUser", [], ["login", "created_at"])
    assert len(people) == len(studio.find("HumanUser", [])) > 500
    reads = [c for c in studio.calls if c.method == "read" and c.entity_type == "HumanUser"]
    assert [(c.page, c.returned) for c in reads] == [(1, 500), (2, len(people) - 500)]
    assert [r["id"] for r in sg.find("HumanUser", [], ["id"], limit=10, page=2)] == [p["id"] for p in people[10:20]]
    # Wire filters: nested "or", relations with lists, dates as UTC strings.
    either = sg.find("HumanUser", [{"filter_operator": "any", "filters": [["login", "is", "extra.0001"],
                                                                         ["login", "is", "extra.0002"]]}], ["login"])
    assert sorted(r["login"] for r in either) == ["extra.0001", "extra.0002"]
    events = sg.find("EventLogEntry", [["event_type", "in", ["Shotgun_HumanUser_Change"]]], ["created_at"],
                     order=[{"field_name": "id", "direction": "desc"}])
    assert len(events) == 3 and events[0]["id"] > events[-1]["id"]
    later = sg.find("EventLogEntry", [["event_type", "in", ["Shotgun_HumanUser_Change"]],
                                      ["created_at", "greater_than", events[1]["created_at"]]], ["id"])
    assert [e["id"] for e in later] == [events[0]["id"]]
    # Schema reads.
    assert set(sg.schema_read()) == set(sg.schema_entity_read()) == set(demo.load_schema()["schema_read"])
    assert list(sg.schema_field_read("Shot", "code")) == ["code"]
    assert "sg_status_list" in sg.schema_field_read("Shot")
    # Writes, counted; a batch is atomic: one failing request undoes the rest.
    shot = sg.create("Shot", {"code": "live_010", "project": {"type": "Project", "id": project_id(studio)}})
    sg.update("Shot", shot["id"], {"description": "from the live test"})
    with pytest.raises(shotgun_api3.Fault, match="not found"):
        sg.batch([{"request_type": "update", "entity_type": "Shot", "entity_id": shot["id"], "data": {"code": "x"}},
                  {"request_type": "delete", "entity_type": "Shot", "entity_id": 999999999}])
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["code"])["code"] == "live_010"
    assert sg.delete("Shot", shot["id"]) is True
    assert (studio.writes, studio.write_attempts) == (3, 4)
    # sudo_as_login: the enforced table, with the measured refusal texts.
    artist = shotgun_api3.Shotgun(studio.url, script_name=SCRIPT, api_key=GOOD_KEY,
                                  sudo_as_login=active(studio, "artist")[0])
    with pytest.raises(shotgun_api3.Fault,
                       match=r"Entity of type ApiUser can not be accessed by this user\. Rule: Artist"):
        artist.find("ApiUser", [])
    # A wrong key, a 503 and a call that never answers.
    with pytest.raises(shotgun_api3.AuthenticationFault, match="Can't authenticate script 'sgperms'"):
        shotgun_api3.Shotgun(studio.url, script_name=SCRIPT, api_key="nope").find("Shot", [])
    studio.fail("read", entity_type="Shot")
    with pytest.raises(shotgun_api3.ProtocolError) as info:
        sg.find("Shot", [])
    assert info.value.errcode == 503
    held = studio.hang("read", entity_type="Shot")
    sg.config.timeout_secs = 1
    sg.close()  # the next connection takes the new timeout
    with pytest.raises(OSError, match="timed out"):
        sg.find("Shot", [])
    assert len(held.hits) == 1
    sg.close()
    assert studio.gave_up() == 1


# -- snapshot ------------------------------------------------------------------


def test_snapshot_pages_past_500_records(studio, tmp_path):
    out = tmp_path / "snap"
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "10")
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, out)
    # Every person, although a read answers at most 500: the client paged.
    people = studio.find("HumanUser", [], ["login", "permission_rule_set"])
    assert len(people) > 500
    recorded = [u for u in rows(out / "users.csv") if u["user_type"] == "HumanUser"]
    assert sorted(u["login"] for u in recorded) == sorted(p["login"] for p in people)
    reads = [c for c in studio.calls if c.method == "read" and c.entity_type == "HumanUser"]
    assert max(c.returned for c in reads) <= 500 == reads[0].per_page
    assert {c.page for c in reads} >= {1, 2}
    assert sum(c.returned for c in reads if c.page in (1, 2)) >= len(people)
    # Role codes resolve through the links the server sent.
    codes = {r["id"]: r["code"] for r in studio.find("PermissionRuleSet", [], ["code"])}
    by_login = {p["login"]: codes[p["permission_rule_set"]["id"]] for p in people}
    assert {u["login"]: u["role"] for u in recorded} == by_login
    assert {u["login"] for u in rows(out / "users.csv") if u["user_type"] == "ApiUser"} >= {"toolkit", "reporting"}
    assert sorted(r["code"] for r in rows(out / "roles.csv")) == sorted(codes.values())
    history = rows(out / "history.csv")
    assert len(history) == 8 and history[0]["time"] == "2026-01-12T09:30:00Z"  # dates crossed the wire in UTC
    assert "21 roles" in r.stdout and f"{len(people) + 6 + 9} users" in r.stdout
    assert studio.writes == studio.write_attempts == 0


def test_snapshot_of_shotgrids_own_schema(tmp_path):
    sg = fakeshotgrid.shotgrid_schema_site(str(MOCKGUN_SCHEMA), people=510)
    table = demo.permission_table(sg.schema_read())
    with FakeShotGrid(sg, table, script_name=SCRIPT, script_key=GOOD_KEY) as server:
        out = tmp_path / "snap"
        r = run(server, "snapshot", "-o", str(out), "--timeout", "10")
        assert r.returncode == 0, r.stderr
        assert_no_secret(r, out)
        users = rows(out / "users.csv")
        assert len([u for u in users if u["user_type"] == "HumanUser"]) == 510
        assert {u["role"] for u in users if u["user_type"] == "HumanUser"} == {"admin", "artist", "lead", "vendor"}
        schema = sgperms.Schema.from_json((out / "schema.json").read_text())
        perms = sgperms.read_csv(out / "permissions.csv", schema=schema)
        assert perms.roles == ["admin", "artist", "lead", "vendor", "api_admin"]
        entity_rows = {t[1] for t in perms.targets() if t[0] == "entity"}
        assert entity_rows == set(sg.schema_read()) and len(entity_rows) == 77
        assert [e["kind"] for e in rows(out / "history.csv")] == ["role_assigned"]
        # The probe on that schema, as the artist, in the project.
        probed, ev = tmp_path / "probed.csv", tmp_path / "evidence.csv"
        before = without_link_names(server.dump())
        r = run(server, "probe", "--as", "artist=person.0001", "--project", str(project_id(server)), "--rate", "0",
                "--timeout", "10", "-o", str(probed), "--evidence", str(ev))
        assert r.returncode == 0, r.stderr
        assert_no_secret(r, probed, ev)
        assert without_link_names(server.dump()) == before and server.writes == 0 < server.write_attempts
        assert_matches(sgperms.read_csv(probed), table, ["artist"])


def test_a_role_change_between_two_snapshots_is_recorded(studio, tmp_path):
    out = tmp_path / "snap"
    assert run(studio, "snapshot", "-o", str(out), "--timeout", "10").returncode == 0
    first = snapshot_bytes(out)
    who = active(studio, "artist")[3]
    studio.change_role(who, "lead")
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "10")
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, out)
    before = {u["login"]: u for u in csv.DictReader(io.StringIO(first["users.csv"].decode()))}
    after = {u["login"]: u for u in rows(out / "users.csv")}
    assert before[who]["role"] == "artist" and after[who]["role"] == "lead"
    assert {k for k in after if after[k] != before.get(k)} == {who}
    assigned = rows(out / "history.csv")[-1]
    assert (assigned["kind"], assigned["user"], assigned["role"]) == ("role_assigned", who, "lead")
    assert "users.csv" in r.stdout and "history.csv" in r.stdout
    # Nothing changed since: not a byte (dates round-trip through the wire).
    changed = snapshot_bytes(out)
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "10")
    assert r.returncode == 0, r.stderr
    assert "none (the site is unchanged)" in r.stdout
    assert snapshot_bytes(out) == changed


def test_a_long_lived_site_records_a_role_change(studio, tmp_path):
    """A Site kept across calls (a Toolkit hook, a notebook) reads afresh."""
    sg = shotgun_api3.Shotgun(studio.url, script_name=SCRIPT, api_key=GOOD_KEY, connect=False)
    sg.config.timeout_secs = 10
    site = sgperms.Site(sg)
    out = tmp_path / "snap"
    site.snapshot(out)
    who = active(studio, "artist")[5]
    studio.change_role(who, "supervisor")
    result = site.snapshot(out)
    assert "users.csv" in result.written
    assert {u["login"]: u["role"] for u in rows(out / "users.csv")}[who] == "supervisor"
    assert next(a.role for a in site.assignments() if a.login == who) == "supervisor"


# -- probe -----------------------------------------------------------------------


def assert_matches(probed, truth, roles):
    """Every decided cell agrees with what the server enforces for ``truth``
    (``sgperms.testing.enforced``); returns how many were decided."""
    decided = 0
    assert probed.roles == list(roles)
    for target in probed.targets():
        for role in roles:
            value = probed.get(role, *target)
            if value:
                decided += 1
                enforced = testing.enforced(truth, role, *target)
                assert same_class(value, enforced), (role, target, value, enforced)
    return decided


def test_probe_is_accurate_and_writes_nothing(studio, tmp_path):
    roles = ["artist", "vendor", "coordinator"]
    users = {role: active(studio, role)[0] for role in roles}
    out, ev = tmp_path / "probed.csv", tmp_path / "evidence.csv"
    before = without_link_names(studio.dump())
    calls_before = len(studio.calls)
    r = run(studio, "probe", *[f"--as={role}={login}" for role, login in users.items()], "--project",
            str(project_id(studio)), "--rate", "0", "--timeout", "10", "-o", str(out), "--evidence", str(ev))
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, out, ev)
    # Zero writes: the data is as it was; every write call was refused.
    assert without_link_names(studio.dump()) == before
    assert studio.writes == 0 < studio.write_attempts
    truth = studio.table
    probed = sgperms.read_csv(out)
    decided = assert_matches(probed, truth, roles)
    entities = sorted(demo.load_schema()["schema_read"])
    assert decided >= len(roles) * len(entities) * 3
    found = evidence(ev)
    for role in roles:
        for entity in ("Shot", "Asset", "Task", "Version", "Note", "Project", "HumanUser", "ApiUser", "Playlist"):
            for action in ("see", "create", "retire"):
                key = (role, "entity", entity, "", action)
                assert probed.get(*key), (key, found.get(key))
                assert found[key]["answer"], key
        assert probed.get(role, "field", "Shot", "sg_status_list", "edit"), role
    assert probed.get("vendor", "entity", "ApiUser", "", "see") == "no"
    assert probed.get("artist", "entity", "Version", "", "retire") == "yes"  # the demo's missed permission
    assert probed.get("vendor", "entity", "Shot", "", "see").startswith("if ")
    # The calls the summary reports are the calls the site saw from each user.
    for role, login in users.items():
        seen = sum(1 for c in studio.calls[calls_before:] if c.sudo == login and c.method != "info")
        assert f"  {role}: as {login}, {seen} calls" in r.stdout, (role, seen, r.stdout)


def test_probe_does_not_call_a_restricted_view_yes_when_both_views_fill_a_page(tmp_path):
    """The artist sees only some Tasks, but more than one read's worth (500):
    "as many rows as the admin, up to 500" does not decide "yes"."""
    sg = fakeshotgrid.demo_site()
    project = sg.find_one("Project", [], ["id"])
    for i in range(1100):
        sg.create("Task", {"content": f"task {i}", "project": {"type": "Project", "id": project["id"]}})
    table = demo.permission_table(sg.schema_read())
    table.set("artist", "entity", "Task", "", "see", "if assigned to the task")
    with FakeShotGrid(sg, table, script_name=SCRIPT, script_key=GOOD_KEY) as server:
        out, ev = tmp_path / "probed.csv", tmp_path / "evidence.csv"
        r = run(server, "probe", "--as", f"artist={active(server, 'artist')[0]}", "--rate", "0", "--timeout", "10",
                "-o", str(out), "--evidence", str(ev))
        assert r.returncode == 0, r.stderr
        seen = sgperms.read_csv(out).get("artist", "entity", "Task", "", "see")
        assert seen in ("", "if restricted") or seen.startswith("if "), (
            seen, evidence(ev)[("artist", "entity", "Task", "", "see")])
        assert_matches(sgperms.read_csv(out), table, ["artist"])


@pytest.mark.parametrize("where", ["read", "batch", "create"])
def test_probe_leaves_a_cell_unknown_on_a_503(studio, tmp_path, where):
    role = "vendor"  # may not create Shots, may see some, may edit no field
    login = active(studio, role)[0]
    trap = studio.fail(where, 503, sudo=login, entity_type="Shot")
    out, ev = tmp_path / "probed.csv", tmp_path / "evidence.csv"
    r = run(studio, "probe", "--as", f"{role}={login}", "--rate", "0", "--timeout", "10", "-o", str(out),
            "--evidence", str(ev))
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, out, ev)
    assert len(trap.hits) == 1
    probed, found = sgperms.read_csv(out), evidence(ev)
    hit = {"read": [("entity", "Shot", "", "see")], "create": [("entity", "Shot", "", "create")],
           "batch": [k[1:] for k in found if k[0] == role and k[1:3] == ("field", "Shot") and k[4] == "edit"]}[where]
    assert hit
    for target in hit:
        assert probed.get(role, *target) == "", (target, found[(role, *target)])
        assert "503" in found[(role, *target)]["answer"] or "too busy" in found[(role, *target)]["answer"]
    # The rest of the run went on and is right.
    for action in ("see", "create", "retire"):
        if ("entity", "Shot", "", action) not in hit:
            assert probed.get(role, "entity", "Shot", "", action), action
    assert assert_matches(probed, studio.table, [role]) > 100
    assert studio.writes == 0


@pytest.mark.parametrize("hang", ["a read as the role", "the role's session connecting"])
def test_probe_gives_up_on_a_call_that_never_answers(studio, tmp_path, hang):
    role = "artist"
    login = active(studio, role)[0]
    if hang == "a read as the role":
        trap = studio.hang("read", sudo=login, entity_type="Shot")
    else:
        # The admin session connects first; the next info is the session
        # acting as the role (info carries no credentials to tell them apart).
        trap = studio.hang("info", skip=1)
    out, ev = tmp_path / "probed.csv", tmp_path / "evidence.csv"
    r = run(studio, "probe", "--as", f"{role}={login}", "--rate", "0", "--timeout", "2", "-o", str(out),
            "--evidence", str(ev))
    assert len(trap.hits) == 1, "the call was never made"
    assert r.returncode == 0, r.stderr
    assert_no_secret(r, out, ev)
    output = r.stdout + r.stderr
    assert TIMED_OUT.search(output), "the run does not say that a call was given up:\n" + output
    assert studio.gave_up() == 1  # the client closed the held call
    probed = sgperms.read_csv(out)
    assert_matches(probed, studio.table, [role])
    if hang == "a read as the role":
        found = evidence(ev)
        see = (role, "entity", "Shot", "", "see")
        assert probed.get(*see) == "" and TIMED_OUT.search(found[see]["answer"]), found[see]
        # The run went on with the types after it.
        for entity in ("Software", "Task", "Version"):
            assert probed.get(role, "entity", entity, "", "see"), entity


def test_snapshot_gives_up_on_a_call_that_never_answers(studio, tmp_path):
    out = tmp_path / "snap"
    assert run(studio, "snapshot", "-o", str(out), "--timeout", "10").returncode == 0
    previous = snapshot_bytes(out)
    studio.change_role(active(studio, "artist")[0], "lead")  # something to write
    trap = studio.hang("read", sudo=None, entity_type="HumanUser")
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "2")
    assert len(trap.hits) == 1
    assert r.returncode == 2
    line = one_error_line(r)
    assert TIMED_OUT.search(line), line
    assert studio.url in line or "127.0.0.1" in line
    assert_no_secret(r, out)
    assert snapshot_bytes(out) == previous
    assert studio.gave_up() == 1


def test_snapshot_on_a_503_changes_nothing_and_says_so(studio, tmp_path):
    out = tmp_path / "snap"
    assert run(studio, "snapshot", "-o", str(out), "--timeout", "10").returncode == 0
    previous = snapshot_bytes(out)
    studio.change_role(active(studio, "artist")[0], "lead")
    trap = studio.fail("read", 503, sudo=None, entity_type="HumanUser")
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "10")
    assert len(trap.hits) == 1
    assert r.returncode == 2
    line = one_error_line(r)
    assert "503" in line and ("too busy" in line or "maintenance" in line), line
    assert_no_secret(r, out)
    assert snapshot_bytes(out) == previous
    # The next night it works again.
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "10")
    assert r.returncode == 0 and "users.csv" in r.stdout


# -- credentials -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["snapshot", "probe"])
@pytest.mark.parametrize("given", ["environment", "flag"])
def test_a_wrong_key_is_one_clear_line_and_never_printed(studio, tmp_path, command, given):
    out = tmp_path / ("snap" if command == "snapshot" else "probed.csv")
    args = [command, "-o", str(out), "--timeout", "10"]
    args += ["--as", f"artist={active(studio, 'artist')[0]}"] if command == "probe" else []
    if given == "flag":
        env = {k: v for k, v in os.environ.items() if not k.startswith("SGPERMS_")}
        r = run(studio, *args, "--site", studio.url, "--script-name", SCRIPT, "--api-key", WRONG_KEY, env=env)
    else:
        r = run(studio, *args, key=WRONG_KEY)
    assert r.returncode == 2
    line = one_error_line(r)
    assert "authenticate" in line.lower(), line
    assert r.stdout == ""
    assert_no_secret(r, tmp_path)
    assert not out.exists() or (out.is_dir() and not any(out.iterdir())), "a failed run wrote something"
    assert [c.outcome for c in studio.calls if c.method != "info"] == ["auth"]
    assert studio.write_attempts == 0


def test_a_key_echoed_by_the_server_is_still_never_printed(studio, tmp_path):
    """Adversarial (not measured on a real site): the error text carries the
    key the client sent."""
    studio.echo_key_in_faults = True
    out = tmp_path / "snap"
    r = run(studio, "snapshot", "-o", str(out), "--timeout", "10", key=WRONG_KEY)
    assert r.returncode == 2
    one_error_line(r)
    assert_no_secret(r, tmp_path)


def test_a_proxy_page_answering_a_create_stops_the_probe_saying_what_may_be_written(studio, tmp_path):
    """A site or proxy that answers a create with HTTP 200 and an HTML page:
    the create was not refused, so the probe cannot know nothing was written."""
    role = "vendor"
    login = active(studio, role)[0]
    trap = studio.fail("create", 200, sudo=login, entity_type="Shot")
    out = tmp_path / "probed.csv"
    r = run(studio, "probe", "--as", f"{role}={login}", "--rate", "0", "--timeout", "10", "-o", str(out))
    assert len(trap.hits) == 1
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "PROBE STOPPED" in r.stderr and "a Shot (the answer was not a record) may have been written" in r.stderr
    assert "AttributeError" not in r.stderr and "Traceback" not in r.stderr
    assert_no_secret(r, out)
