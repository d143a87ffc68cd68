"""The probe against the enforcing stand-in (sgperms.testing: a simulation
on mockgun of the behaviour measured on a real site)."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shotgun_api3.lib import mockgun

import sgperms
from sgperms import demo, testing
from sgperms.probe import ProbeAborted

from conftest import MOCKGUN_SCHEMA, run_cli


def enforced_demo(refusal_style="all", table=None, **kwargs):
    sg = demo.build_site()
    truth = table if table is not None else demo.permission_table(sg.schema_read())
    testing.enforce(sg, truth, refusal_style=refusal_style, **kwargs)
    return testing.EnforcingShotgun(sg.base_url, script_name="sgperms", api_key="key-not-secret"), truth


def same_class(probed, truth):
    """A probed value agrees with the truth: equal, or both conditions."""
    return probed == truth or (probed.startswith("if ") and truth.startswith("if "))


def invalidable(info):
    """A field a create may set and that a value can be invalid for."""
    kind = info["data_type"]["value"]
    statuses = kind == "status_list" and info["properties"].get("valid_values", {}).get("value")
    return info["editable"]["value"] and (statuses or kind in ("number", "float", "duration", "percent"))


def assert_decided_in_full(measured, truth, admin, role, entity):
    """Every cell of ``entity`` the probe can decide for ``role`` was decided:
    see (2+ records), create (where a field can carry invalid data), retire
    and the edit of every settable field of a real record; entity edit
    exactly where one of those field edits is allowed."""
    schema = admin.schema_read()
    for action in ("see", "retire"):
        assert measured.table.get(role, "entity", entity, "", action), (role, entity, action)
    creatable = any(invalidable(info) for field, info in schema[entity].items() if field != "id")
    assert bool(measured.table.get(role, "entity", entity, "", "create")) == creatable, (role, entity)
    record = admin.find_one(entity, [], list(schema[entity]))
    allowed = False
    for field, info in schema[entity].items():
        if field != "id" and info["editable"]["value"] and info["data_type"]["value"] in sgperms.probe.SETTABLE_TYPES:
            assert field in record and measured.table.get(role, "field", entity, field, "edit"), (role, entity, field)
            allowed = allowed or testing.enforced(truth, role, "field", entity, field, "edit") == "yes"
    assert measured.table.get(role, "entity", entity, "", "edit") == ("yes" if allowed else ""), (role, entity)


def assert_probe_matches(measured, truth, admin, entities):
    decided = 0
    for target in measured.table.targets():
        for role in measured.table.roles:
            value = measured.table.get(role, *target)
            if value:
                decided += 1
                assert same_class(value, testing.enforced(truth, role, *target)), (role, target, value)
    for role in measured.table.roles:
        for entity in entities:
            assert_decided_in_full(measured, truth, admin, role, entity)
    return decided


@pytest.mark.parametrize("style", ["all", "first"])
def test_probing_the_demo_gives_back_the_table_and_writes_nothing(style):
    admin, truth = enforced_demo(style)
    before = testing.dump(admin)
    measured = sgperms.Site(admin).probe("auto")
    assert testing.dump(admin) == before
    entities = sorted(admin.schema_read())
    assert assert_probe_matches(measured, truth, admin, entities) > 5000
    assert measured.compare(truth).summary() == "no changes"
    # The call bound: entity types x 4 + refused fields + entity types, per role.
    for role, count in measured.calls.items():
        refused = sum(1 for (r, t), (call, answer) in measured.evidence.items()
                      if r == role and t[0] == "field" and measured.table.get(role, *t) != "yes")
        assert count <= len(entities) * 4 + refused + len(entities), (role, count, refused)
    assert measured.skipped == {"suspended": "no active person holds this role: nobody to act as"}
    # The reported counts are the calls the site saw from each role's user.
    seen = testing.calls(admin)
    assert {role: seen[login] for role, login in measured.users.items()} == measured.calls


def random_table(draw, roles, schema, entities):
    values = st.sampled_from(["yes", "no", "if on their project"])
    field_values = st.sampled_from(["inherit", "yes", "no", "if assigned"])
    t = sgperms.PermissionTable(roles)
    for role in roles:
        for entity in entities:
            for action in ("see", "create", "retire", "edit"):
                t.set(role, "entity", entity, "", action, draw(values))
            for field in sorted(schema[entity]):
                t.set(role, "field", entity, field, "edit", draw(field_values))
    return t


def shotgrid_site(entities):
    """ShotGrid's own mockgun schema, with three roles, a person in each and
    two records of each probed entity type."""
    mockgun.Shotgun.set_schema_paths(str(MOCKGUN_SCHEMA / "schema.pickle"),
                                     str(MOCKGUN_SCHEMA / "schema_entity.pickle"))
    sg = mockgun.Shotgun(f"https://shotgrid-schema-{id(entities)}.example.com", script_name="s", api_key="k")
    for code in ("artist", "lead", "vendor"):
        rule = sg.create("PermissionRuleSet", {"code": code, "display_name": code.title(), "entity_type": "HumanUser"})
        sg.create("HumanUser", {"login": f"{code}.one", "name": code, "sg_status_list": "act",
                                "permission_rule_set": {"type": "PermissionRuleSet", "id": rule["id"]}})
    for entity in entities:
        for _ in range(2):
            data = {"code": f"{entity} record"} if "code" in sg.schema_read()[entity] else {}
            sg.create(entity, data)
    return sg


@st.composite
def scenario(draw, source):
    if source == "shotgrid":
        pool = ["Shot", "Asset", "Version", "Note", "Task", "CustomEntity01", "Playlist", "TimeLog"]
    else:
        pool = ["Shot", "Asset", "Version", "Note", "Task", "CustomEntity01", "Ticket", "Delivery"]
    entities = sorted(draw(st.sets(st.sampled_from(pool), min_size=1, max_size=3)))
    style = draw(st.sampled_from(["all", "first"]))
    return entities, style


@pytest.mark.parametrize("source", ["demo", "shotgrid"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_probe_returns_every_decidable_cell_and_writes_nothing(source, data):
    entities, style = data.draw(scenario(source))
    if source == "shotgrid":
        sg = shotgrid_site(entities)
        users = {"artist": "artist.one", "lead": "lead.one", "vendor": "vendor.one"}
    else:
        sg = demo.build_site()
        site = sgperms.Site(sg)
        users = {r: site.probe_users()[r] for r in ("artist", "lead", "vendor")}
    schema = sg.schema_read()
    truth = random_table(data.draw, list(users), schema, entities)
    testing.enforce(sg, truth, refusal_style=style)
    admin = testing.EnforcingShotgun(sg.base_url, script_name="s", api_key="k")
    before = testing.dump(admin)
    measured = sgperms.Site(admin).probe(users, targets=entities)
    assert testing.dump(admin) == before
    assert_probe_matches(measured, truth, admin, entities)
    for role, count in measured.calls.items():
        refused = sum(1 for (r, t) in measured.evidence if r == role and t[0] == "field"
                      and measured.table.get(role, *t) not in ("yes", ""))
        assert count <= len(entities) * 4 + refused + len(entities)


def test_a_sentinel_that_exists_stops_the_probe_before_any_write():
    admin, _truth = enforced_demo()
    row = copy.deepcopy(next(iter(admin._db["Shot"].values())))
    row["id"] = testing.SENTINEL_ID
    admin._db["Shot"][testing.SENTINEL_ID] = row
    with pytest.raises(ProbeAborted, match=f"Shot {testing.SENTINEL_ID} exists"):
        sgperms.Site(admin).probe("auto")
    assert set(testing.calls(admin)) == {""}  # no call was made as any role


def test_inactive_and_non_impersonable_users_are_reported_and_the_rest_goes_on():
    site = sgperms.Site(demo.build_site())
    inactive = next(a.login for a in site.assignments() if a.role == "lead" and a.active is False)
    users = site.probe_users()
    users["lead"] = inactive
    admin, _ = enforced_demo(no_impersonation={users["producer"]})
    measured = sgperms.Site(admin).probe({r: users[r] for r in ("artist", "lead", "producer")}, targets=["Version"])
    assert measured.skipped["lead"] == f"Cannot 'sudo' - inactive user account: '{inactive}'"
    assert "'can_impersonate_this_user' turned off" in measured.skipped["producer"]
    assert measured.table.get("artist", "entity", "Version", "", "retire") == "yes"
    assert "lead" not in measured.users


def test_drift_is_exactly_the_cells_that_differ():
    admin, truth = enforced_demo()
    measured = sgperms.Site(admin).probe("auto", targets=["Version", "Note"])
    recorded = truth.copy()
    recorded.set("artist", "entity", "Version", "", "retire", "no")
    recorded.set("vendor", "entity", "Note", "", "create", "no")
    recorded.set("lead", "field", "Version", "sg_status_list", "edit", "no")
    drift = measured.compare(recorded)
    assert sorted((r["role"], r["entity_type"], r["name"], r["action"]) for r in drift) == [
        ("artist", "Version", "", "retire"), ("lead", "Version", "sg_status_list", "edit"),
        ("vendor", "Note", "", "create")
    ]


def test_allowed_renders_what_a_person_may_do():
    admin, _ = enforced_demo()
    site = sgperms.Site(admin)
    artist = site.probe_users()["artist"]
    page = site.allowed(artist)
    assert page.startswith("# Artist") and "only if" in page
    with pytest.raises(LookupError):
        site.allowed("nobody.here")


def test_snapshot_probe_fills_the_table_and_tiers_still_find_the_missed_permission(monkeypatch, tmp_path, capsys):
    from sgperms import cli

    admin, _ = enforced_demo()
    monkeypatch.setattr(cli._connect, "connect", lambda args: admin)
    out = tmp_path / "snap"
    code = cli.main(["snapshot", "-o", str(out), "--site", demo.DEMO_URL, "--session-token", "token-123456",
                     "--probe", "--rate", "0"])
    summary = capsys.readouterr().out
    assert code == 0 and "cells filled in by the probe:" in summary
    t = sgperms.read_csv(out / "permissions.csv")
    assert t.get("artist", "entity", "Version", "", "retire") == "yes"
    assert t.get("lead", "entity", "Version", "", "retire") == "no"
    (out / "tiers.txt").write_text(demo.TIERS)
    r = run_cli("tiers", "check", out / "tiers.txt", out / "permissions.csv")
    assert r.returncode == 1 and "entity:Version::retire: lead (no) allows less than artist (yes)" in r.stdout


def test_probe_command_writes_the_table_and_resumes(monkeypatch, tmp_path, capsys):
    from sgperms import cli

    admin, _truth = enforced_demo()
    monkeypatch.setattr(cli._connect, "connect", lambda args: admin)
    users = sgperms.Site(admin).probe_users()
    out = tmp_path / "probed.csv"
    base = ["probe", "--site", demo.DEMO_URL, "--session-token", "token-123456", "--rate", "0", "-o", str(out)]
    assert cli.main(base + ["--as", f"artist={users['artist']}", "--evidence", str(tmp_path / "ev.csv")]) == 0
    assert sgperms.read_csv(out).roles == ["artist"]
    assert (tmp_path / "ev.csv").read_text().startswith("role,kind,entity_type,name,action,value,call,answer\n")
    capsys.readouterr()
    calls_before = sum(testing.calls(admin).values())
    assert cli.main(base + ["--as", f"lead={users['lead']}", "--dry-run"]) == 0
    planned = capsys.readouterr().out
    assert f"would probe Version as lead ({users['lead']}): find, field-edit batch(es), retire batch, create" in planned
    assert sum(testing.calls(admin).values()) == calls_before  # a dry run makes no call
    assert sgperms.read_csv(out).roles == ["artist"]
    # Resuming adds the roles not yet probed and keeps the others.
    assert cli.main(base + ["--as", f"artist={users['artist']}", "--as", f"lead={users['lead']}"]) == 0
    resumed = sgperms.read_csv(out)
    assert resumed.roles == ["artist", "lead"]
    assert "artist: as" not in capsys.readouterr().out  # artist was not probed again
    assert resumed.get("lead", "entity", "Version", "", "retire") == "no"
    assert cli.main(base + ["--as", "artist"]) == 2
    assert "expected ROLE=LOGIN" in capsys.readouterr().err


def test_probe_resume_keeps_the_earlier_roles_and_adds_the_new_ones():
    from sgperms.probe import Probe

    earlier = sgperms.read_csv("kind,entity_type,name,action,artist,note\nentity,Shot,,see,yes,kept\n")
    now = Probe(table=sgperms.read_csv(
        "kind,entity_type,name,action,lead\nentity,Shot,,see,no\nentity,Asset,,see,yes\n"))
    resumed = now.resume(earlier)
    assert resumed.roles == ["artist", "lead"]
    assert resumed.get("artist", "entity", "Shot", "", "see") == "yes"
    assert resumed.note("entity", "Shot", "", "see") == "kept"
    assert resumed.get("lead", "entity", "Asset", "", "see") == "yes"
    assert resumed.get("artist", "entity", "Asset", "", "see") == ""
    assert earlier.roles == ["artist"] and now.table.roles == ["lead"]  # neither is changed
    clash = Probe(table=sgperms.read_csv("kind,entity_type,name,action,artist\nentity,Shot,,see,no\n"))
    with pytest.raises(sgperms.CsvError, match="conflicting"):
        clash.resume(earlier)
