"""Site: roles, assignments, schema, template, history and snapshots, against
mockgun with the project's own demo schema and with ShotGrid's own schema."""

import copy
import csv
import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import shotgun_api3
from shotgun_api3.lib import mockgun

import sgperms
from sgperms import demo

from conftest import MOCKGUN_SCHEMA, run_cli
from conftest import run_in_process as conftest_run_in_process


@pytest.fixture
def demo_sg():
    return demo.build_site()


def populate_small_studio(sg):
    """Roles, templates, people, a script and events on any schema that has the permission types."""
    artist_t = sg.create("PermissionRuleSet", {"code": "artist_system_default", "display_name": "Artist",
                                               "entity_type": "PermissionRuleSet.HumanUser"})
    api_t = sg.create("PermissionRuleSet", {"code": "api_admin_system_default", "display_name": "API Admin",
                                            "entity_type": "PermissionRuleSet.ApiUser"})
    roles = {}
    for code, user_type, template in [("artist", "HumanUser", artist_t), ("lead", "HumanUser", artist_t),
                                      ("api_admin", "ApiUser", api_t)]:
        row = sg.create("PermissionRuleSet", {"code": code, "display_name": code.title(), "entity_type": user_type,
                                              "parent_set": {"type": "PermissionRuleSet", "id": template["id"]}})
        roles[code] = {"type": "PermissionRuleSet", "id": row["id"]}
    alice = sg.create("HumanUser", {"login": "alice", "name": "Alice", "permission_rule_set": roles["lead"],
                                    "sg_status_list": "act"})
    sg.create("HumanUser",
              {"login": "bob", "name": "Bob", "permission_rule_set": roles["artist"], "sg_status_list": "dis"})
    sg.create("ApiUser", {"firstname": "toolkit", "permission_rule_set": roles["api_admin"]})
    sg.create("EventLogEntry", {"event_type": "Shotgun_PermissionRuleSet_ChangeRule", "entity": roles["artist"],
                                "user": {"type": "HumanUser", "id": alice["id"]}, "description": "rule changed",
                                "created_at": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)})
    sg.create("EventLogEntry", {"event_type": "Shotgun_HumanUser_Change", "attribute_name": "permission_rule_set",
                                "entity": {"type": "HumanUser", "id": alice["id"]},
                                "user": {"type": "HumanUser", "id": alice["id"]},
                                "meta": {"new_value": roles["lead"], "old_value": roles["artist"]},
                                "created_at": dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.timezone.utc)})
    sg.create("EventLogEntry", {"event_type": "Shotgun_Shot_Change", "attribute_name": "code",
                                "created_at": dt.datetime(2026, 4, 2, tzinfo=dt.timezone.utc)})
    return roles


@pytest.fixture
def shotgrid_sg():
    mockgun.Shotgun.set_schema_paths(str(MOCKGUN_SCHEMA / "schema.pickle"),
                                     str(MOCKGUN_SCHEMA / "schema_entity.pickle"))
    sg = mockgun.Shotgun("https://user:pw@studio.shotgunstudio.com/?x=1", script_name="s", api_key="k")
    sg._schema = copy.deepcopy(sg._schema)  # tests may change it; mockgun caches one copy per path
    populate_small_studio(sg)
    return sg


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def files(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


# -- reading ---------------------------------------------------------------


def test_shotgrid_schema_roles_assignments_schema_template_history(shotgrid_sg):
    site = sgperms.Site(shotgrid_sg)
    roles = {r.code: r for r in site.roles()}
    assert roles["artist"].template == "artist_system_default"
    assert roles["artist"].user_type == "HumanUser" and not roles["artist"].system_default
    assert roles["api_admin"].user_type == "ApiUser" and roles["api_admin"].template == "api_admin_system_default"
    assert roles["artist_system_default"].system_default and roles["artist_system_default"].user_type == "HumanUser"
    assignments = site.assignments()
    assert [(a.user_type, a.login, a.active, a.role) for a in assignments] == [
        ("HumanUser", "alice", True, "lead"),
        ("HumanUser", "bob", False, "artist"),
        ("ApiUser", "toolkit", None, "api_admin"),  # this schema has no ApiUser status, and no ClientUser
    ]
    schema = site.schema()
    assert len(schema) == 77 and "ClientUser" not in schema
    t = site.template()
    assert t.roles == ["artist", "lead", "api_admin"]
    entity_count = len(schema)
    field_count = sum(len(schema.fields(e)) for e in schema.entity_types())
    assert len(t) == 4 * entity_count + 2 * field_count
    assert t.get("lead", "entity", "Shot", "", "retire") == ""
    assert t.get("lead", "field", "Shot", "sg_status_list", "edit") == "inherit"
    history = site.history()
    assert [(e.kind, e.role, e.user, e.who, e.time) for e in history] == [
        ("rule_changed", "artist", "", "alice", "2026-03-01T12:00:00Z"),
        ("role_assigned", "lead", "alice", "alice", "2026-04-01T12:00:00Z"),
    ]
    artist_id = next(r.id for r in site.roles() if r.code == "artist")
    assert json.loads(history[1].meta)["old_value"]["id"] == artist_id  # meta kept raw


def test_demo_roles_people_and_templates(demo_sg):
    site = sgperms.Site(demo_sg)
    roles = {r.code: r for r in site.roles()}
    tiered = ["admin", "it_support", "pipeline_td", "tech_artist", "senior_manager", "producer",
              "coordinator", "supervisor", "lead", "artist"]
    for code in tiered + ["vendor", "api_admin", "api_readonly", "client_user"]:
        assert code in roles and not roles[code].system_default
    assert roles["client_user"].user_type == "ClientUser" and roles["api_readonly"].user_type == "ApiUser"
    assert roles["lead"].template == "artist_system_default"
    assert sum(r.system_default for r in roles.values()) == 6
    people = [a for a in site.assignments() if a.user_type == "HumanUser"]
    assert len(people) >= 300
    assert {a.role for a in people} == set(tiered) | {"vendor", "suspended"}
    assert any(not a.active for a in people)
    assert {a.user_type for a in site.assignments()} == {"HumanUser", "ApiUser", "ClientUser"}
    schema = site.schema()
    assert len(schema) >= 40
    types = set(schema.entity_types())
    assert {"CustomEntity01", "CustomNonProjectEntity01", "PermissionRuleSet", "EventLogEntry", "HumanUser"} <= types
    assert schema.display_name("CustomEntity01") == "Outsource Package"
    t = site.template()
    assert t.roles == [r.code for r in site.roles() if not r.system_default]
    assert len(t) == 4 * len(schema) + 2 * sum(len(schema.fields(e)) for e in schema.entity_types())
    assert t.known_cells() == 2 * sum(len(schema.fields(e)) for e in schema.entity_types()) * len(t.roles)


def test_history_since_and_kinds(demo_sg):
    site = sgperms.Site(demo_sg)
    events = site.history()
    assert {e.kind for e in events} == {"rule_added", "rule_changed", "rule_deleted", "role_assigned"}
    promotions = [e for e in events if e.kind == "role_assigned"]
    assert promotions and all(e.user and e.role for e in promotions)
    later = site.history(since=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    assert 0 < len(later) < len(events) and all(e.time >= "2026-06-01" for e in later)
    assert [e.id for e in site.history(since=events[2].id)] == [e.id for e in events[3:]]


def test_events_with_odd_meta_never_fail(demo_sg):
    for meta in (None, {"unexpected": [1, 2]}, {"permission_rule_set": {"type": "PermissionRuleSet", "id": 99999}}):
        demo_sg.create("EventLogEntry", {"event_type": "Shotgun_PermissionRuleSet_ChangeRule", "meta": meta})
    demo_sg.create("EventLogEntry", {"event_type": "Shotgun_HumanUser_Change", "attribute_name": "permission_rule_set"})
    events = sgperms.Site(demo_sg).history()
    odd = events[-4:]
    assert [e.kind for e in odd] == ["rule_changed", "rule_changed", "rule_changed", "role_assigned"]
    assert odd[0].meta == "" and json.loads(odd[1].meta) == {"unexpected": [1, 2]}
    assert odd[2].role == "PermissionRuleSet 99999"


def test_sgperms_does_not_import_shotgun_api3():
    code = "import sys, sgperms; assert 'shotgun_api3' not in sys.modules, 'imported'; print('ok')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "ok"


# -- snapshots ---------------------------------------------------------------


def test_snapshot_writes_every_file_and_a_second_changes_no_byte(demo_sg, tmp_path):
    site = sgperms.Site(demo_sg)
    result = site.snapshot(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["history.csv", "permissions.csv", "roles.csv", "schema.json",
                                            "snapshot.json", "users.csv"]
    info = json.loads((tmp_path / "snapshot.json").read_text())
    assert info["site"] == demo.DEMO_URL and info["sgperms_version"] == sgperms.__version__
    assert info["taken_at"].endswith("Z") and info["counts"]["users"] == result.users
    first = files(tmp_path)
    again = sgperms.Site(demo_sg).snapshot(tmp_path)
    assert again.written == [] and again.new_events == 0
    assert files(tmp_path) == first
    assert "files changed: none" in again.summary()


def test_snapshot_of_shotgrid_schema_has_no_credentials_in_files(shotgrid_sg, tmp_path):
    sgperms.Site(shotgrid_sg).snapshot(tmp_path)
    info = json.loads((tmp_path / "snapshot.json").read_text())
    assert info["site"] == "https://studio.shotgunstudio.com/"
    for name, data in files(tmp_path).items():
        assert b"user:pw" not in data and b"pw@" not in data, name


def test_known_values_kept_new_field_adds_exactly_two_rows(demo_sg, tmp_path):
    sgperms.Site(demo_sg).snapshot(tmp_path)
    t = sgperms.read_csv(tmp_path / "permissions.csv")
    t.set("artist", "entity", "Version", "", "retire", "yes", note="artists clean up their own versions")
    t.set("artist", "app", "", "Screening Room", "see", "yes")
    t.to_csv(tmp_path / "permissions.csv")
    before = (tmp_path / "permissions.csv").read_text().splitlines()

    demo_sg._schema = copy.deepcopy(demo_sg._schema)
    demo_sg._schema["Shot"]["sg_budget_notes"] = copy.deepcopy(demo_sg._schema["Shot"]["description"])
    demo_sg._schema["Shot"]["sg_budget_notes"]["name"]["value"] = "Budget Notes"
    result = sgperms.Site(demo_sg).snapshot(tmp_path)
    after = (tmp_path / "permissions.csv").read_text().splitlines()
    added = [line for line in after if line not in before]
    assert added == [line for line in after if ",sg_budget_notes," in line]
    assert len(added) == 2 and all(line.startswith("field,Shot,sg_budget_notes,") for line in added)
    assert [line for line in before if line not in after] == []
    assert result.added == [("field", "Shot", "sg_budget_notes", "see"), ("field", "Shot", "sg_budget_notes", "edit")]
    kept = sgperms.read_csv(tmp_path / "permissions.csv")
    assert kept.get("artist", "entity", "Version", "", "retire") == "yes"
    assert kept.note("entity", "Version", "", "retire") == "artists clean up their own versions"
    assert kept.get("artist", "app", "", "Screening Room", "see") == "yes"
    assert result.written == ["permissions.csv", "schema.json", "snapshot.json"]


def test_removed_field_rows_are_dropped_and_listed(demo_sg, tmp_path):
    sgperms.Site(demo_sg).snapshot(tmp_path)
    demo_sg._schema = copy.deepcopy(demo_sg._schema)
    del demo_sg._schema["Shot"]["sg_head_in"]
    result = sgperms.Site(demo_sg).snapshot(tmp_path)
    assert result.dropped == [("field", "Shot", "sg_head_in", "see"), ("field", "Shot", "sg_head_in", "edit")]
    assert "dropped (left the schema): field:Shot:sg_head_in:see" in result.summary()
    assert ",sg_head_in," not in (tmp_path / "permissions.csv").read_text()


def test_changing_a_role_changes_users_and_adds_a_history_row(demo_sg, tmp_path):
    site = sgperms.Site(demo_sg)
    site.snapshot(tmp_path)
    users_before = (tmp_path / "users.csv").read_text()
    history_before = read_rows(tmp_path / "history.csv")
    person = next(a for a in site.assignments() if a.role == "artist" and a.active)
    lead = next(r for r in site.roles() if r.code == "lead")
    link = {"type": "PermissionRuleSet", "id": lead.id}
    demo_sg.update("HumanUser", person.id, {"permission_rule_set": link})
    demo_sg.create("EventLogEntry", {"event_type": "Shotgun_HumanUser_Change", "attribute_name": "permission_rule_set",
                                     "entity": {"type": "HumanUser", "id": person.id}, "meta": {"new_value": link},
                                     "created_at": dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)})
    result = sgperms.Site(demo_sg).snapshot(tmp_path)
    assert result.written == ["users.csv", "history.csv", "snapshot.json"]
    changed = [line for line in (tmp_path / "users.csv").read_text().splitlines()
               if line not in users_before.splitlines()]
    assert changed == [f"HumanUser,{person.id},{person.login},{person.name},yes,lead"]
    history = read_rows(tmp_path / "history.csv")
    assert history[:-1] == history_before
    assert (history[-1]["kind"], history[-1]["user"], history[-1]["role"]) == ("role_assigned", person.login, "lead")


def test_schema_without_client_or_api_users(tmp_path):
    schema = demo.load_schema()
    for part in ("schema_read", "schema_entity_read"):
        del schema[part]["ClientUser"], schema[part]["ApiUser"]
    for entity in schema["schema_read"].values():
        for field in entity.values():
            valid = field["properties"].get("valid_types")
            if valid:
                valid["value"] = [t for t in valid["value"] if t not in ("ClientUser", "ApiUser")]
    mockgun.Shotgun.set_schema_paths(*demo.schema_paths(schema))
    sg = mockgun.Shotgun("https://lean.shotgunstudio.com", script_name="s", api_key="k")
    role = sg.create("PermissionRuleSet", {"code": "artist", "display_name": "Artist", "entity_type": "HumanUser"})
    sg.create("HumanUser", {"login": "ana", "name": "Ana", "sg_status_list": "act",
                            "permission_rule_set": {"type": "PermissionRuleSet", "id": role["id"]}})
    result = sgperms.Site(sg).snapshot(tmp_path)
    assert result.users == 1
    assert read_rows(tmp_path / "users.csv") == [
        {"user_type": "HumanUser", "id": "1", "login": "ana", "name": "Ana", "active": "yes", "role": "artist"}
    ]


class FailingSession:
    """A real mockgun session whose calls fail after `ok` of them, as a network or server error would."""

    def __init__(self, sg, ok, error):
        self._sg, self._left, self._error = sg, ok, error
        self.base_url = sg.base_url

    def __getattr__(self, name):
        attr = getattr(self._sg, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self._left <= 0:
                raise self._error
            self._left -= 1
            return attr(*args, **kwargs)

        return call


@pytest.mark.parametrize(
    "error",
    [shotgun_api3.Fault("API read() PermissionRuleSet.find: server error"),
     ConnectionResetError("Connection reset by peer")],
    ids=["fault", "network"],
)
@pytest.mark.parametrize("ok", [0, 2, 4])
def test_failed_reads_leave_the_previous_snapshot_untouched(demo_sg, tmp_path, error, ok):
    sgperms.Site(demo_sg).snapshot(tmp_path)
    before = files(tmp_path)
    demo_sg.update("HumanUser", 1, {"sg_status_list": "dis"})  # something a successful read would write
    with pytest.raises(type(error)):
        sgperms.Site(FailingSession(demo_sg, ok, error)).snapshot(tmp_path)
    assert files(tmp_path) == before


def test_a_corrupt_previous_snapshot_is_an_error_not_overwritten(demo_sg, tmp_path):
    sgperms.Site(demo_sg).snapshot(tmp_path)
    (tmp_path / "permissions.csv").write_text("kind,entity_type,name,action,artist\nentity,Shot,,see,maybe\n")
    before = files(tmp_path)
    with pytest.raises(sgperms.CsvError, match=r"permissions\.csv, row 2"):
        sgperms.Site(demo_sg).snapshot(tmp_path)
    assert files(tmp_path) == before


# -- the command ---------------------------------------------------------------

SECRET = "s3cr3t-key-7f1d9a"


def run_in_process(monkeypatch, capsys, argv, session=None):
    from sgperms import cli

    if session is not None:
        monkeypatch.setattr(cli._connect, "connect", lambda args: session)
    return conftest_run_in_process(argv)


def test_cli_snapshot_reads_credentials_from_the_environment(monkeypatch, capsys, demo_sg, tmp_path):
    seen = {}
    from sgperms import cli

    def connect(args):
        seen.update(site=args.site, script=args.script_name, key=args.api_key)
        return demo_sg

    monkeypatch.setattr(cli._connect, "connect", connect)
    monkeypatch.setenv("SGPERMS_SITE", "https://studio.shotgrid.autodesk.com")
    monkeypatch.setenv("SGPERMS_SCRIPT_NAME", "sgperms")
    monkeypatch.setenv("SGPERMS_API_KEY", SECRET)
    code = cli.main(["snapshot", "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert seen == {"site": "https://studio.shotgrid.autodesk.com", "script": "sgperms", "key": SECRET}
    assert "snapshot in" in out and SECRET not in out + err
    for name, data in files(tmp_path).items():
        assert SECRET.encode() not in data, name


@pytest.mark.parametrize("error", [shotgun_api3.Fault(f"Can't authenticate script 'x' with key {SECRET}"),
                                   OSError("network unreachable")])
def test_cli_failure_is_one_line_nonzero_secret_free_and_writes_nothing(monkeypatch, capsys, demo_sg, tmp_path, error):
    sgperms.Site(demo_sg).snapshot(tmp_path)
    before = files(tmp_path)
    argv = ["snapshot", "-o", str(tmp_path), "--site", "https://studio.shotgrid.autodesk.com",
            "--script-name", "sgperms", "--api-key", SECRET]
    code, out, err = run_in_process(monkeypatch, capsys, argv, FailingSession(demo_sg, 1, error))
    assert code == 2
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("sgperms: error: could not snapshot https://studio.shotgrid.autodesk.com")
    assert SECRET not in err and "Traceback" not in err
    assert files(tmp_path) == before


def test_cli_snapshot_with_a_real_shotgun_api3_session_that_cannot_connect(tmp_path):
    env = dict(os.environ, SGPERMS_API_KEY=SECRET, SGPERMS_SITE="https://127.0.0.1:9", SGPERMS_SCRIPT_NAME="x")
    r = run_cli("snapshot", "-o", tmp_path / "out", env=env, timeout=120)
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("sgperms: error: could not snapshot https://127.0.0.1:9")
    assert SECRET not in r.stdout + r.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["snapshot", "-o", "x"], "no site: pass --site URL or set SGPERMS_SITE"),
        (["snapshot", "-o", "x", "--site", "https://s"], "no credentials"),
        (["snapshot", "-o", "x", "--site", "https://s", "--script-name", "a"], "go together"),
        (["snapshot", "-o", "x", "--site", "https://s", "--session-token", "t", "--since", "last tuesday"],
         "expected a date"),
    ],
)
def test_cli_snapshot_misuse_is_explained(monkeypatch, capsys, demo_sg, argv, message):
    for var in ("SGPERMS_SITE", "SGPERMS_SCRIPT_NAME", "SGPERMS_API_KEY", "SGPERMS_LOGIN", "SGPERMS_PASSWORD",
                "SGPERMS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = run_in_process(monkeypatch, capsys, argv, demo_sg)
    assert code == 2 and message in err


# -- the demo ---------------------------------------------------------------


def test_demo_command_writes_the_studio_and_is_deterministic(tmp_path):
    out = tmp_path / "demo"
    r = run_cli("demo", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "Try next:" in r.stdout and "artist" in r.stdout
    assert sorted(os.listdir(out)) == ["history.csv", "permissions.csv", "roles.csv", "schema.json", "snapshot.json",
                                       "tiers.txt", "users.csv"]
    first = files(out)
    r = run_cli("demo", "-o", out, "-q")
    assert r.returncode == 0 and r.stdout == ""
    assert files(out) == first

    t = sgperms.read_csv(out / "permissions.csv")
    # ShotGrid's documented Artist and Vendor conditions.
    assert t.get("artist", "entity", "Note", "", "edit") == "if author of the note"
    assert t.get("artist", "entity", "Task", "", "edit") == "if assigned to the task"
    assert t.get("artist", "entity", "Version", "", "edit").startswith("if created by")
    assert t.get("artist", "entity", "Project", "", "see") == "if assigned to the project"
    assert t.get("vendor", "entity", "Task", "", "see").startswith("if assigned to the task")
    assert t.get("vendor", "entity", "Version", "", "see").startswith("if created by")
    assert t.effective("artist", "field", "Task", "sg_status_list", "edit") == "if assigned to the task"
    assert t.effective("artist", "field", "Task", "content", "edit") == "no"
    # The deliberate missed permission: a lower tier retires what its superior may not.
    assert t.get("lead", "entity", "Version", "", "retire") == "no"
    assert t.get("artist", "entity", "Version", "", "retire") == "yes"
    assert t.known_cells() == len(t) * len(t.roles)  # the demo admin filled in every cell
    tiers = (out / "tiers.txt").read_text()
    for chain in ("it_support > pipeline_td > tech_artist", "senior_manager > producer > coordinator",
                  "supervisor > lead > artist", "pipeline_td > senior_manager", "producer > supervisor"):
        assert chain in tiers
    history = read_rows(out / "history.csv")
    assert len(history) >= 5 and {"rule_changed", "role_assigned"} <= {h["kind"] for h in history}


def test_demo_schema_fixture_is_generated_by_the_repo_script():
    from conftest import ROOT

    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_schema.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
