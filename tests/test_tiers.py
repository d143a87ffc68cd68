"""Tiers from Python: the tier file, grant/revoke plans, check, can_assign,
audit, Site.assign_role on mockgun, and the tiers/audit/promote commands."""

import json
import shutil

import pytest

import sgperms
from sgperms import demo

from conftest import run_cli as run

STUDIO = demo.TIERS  # the demo studio is the feature request's studio
ROLES = ["admin", "it_support", "pipeline_td", "tech_artist", "senior_manager", "producer",
         "coordinator", "supervisor", "lead", "artist", "vendor"]


def table(value):
    t = sgperms.PermissionTable(ROLES)
    for role in ROLES:
        t.set(role, "entity", "Asset", "", "create", value)
    return t


def test_tier_file_roles_and_relatives(tmp_path):
    path = tmp_path / "tiers.txt"
    path.write_text(STUDIO)
    tiers = sgperms.Tiers.read(path)
    assert tiers.roles == ROLES and tiers.admins == ["admin"]
    assert tiers.ancestors("coordinator") == ["it_support", "pipeline_td", "senior_manager", "producer"]
    assert tiers.descendants("producer") == ["coordinator", "supervisor", "lead", "artist"]
    assert tiers.ancestors("vendor") == [] and tiers.descendants("vendor") == []
    with pytest.raises(sgperms.TierError, match="is in no chain"):
        tiers.ancestors("client_user")


def test_tier_file_errors_name_line_and_roles(tmp_path):
    path = tmp_path / "tiers.txt"
    path.write_text("lead > artist\n# a comment\nartist > lead\n")
    with pytest.raises(sgperms.TierError, match=r"tiers.txt: line 3: this chain makes a cycle: lead > artist > lead"):
        sgperms.Tiers.read(path)
    with pytest.raises(sgperms.TierError, match=r'line 1: expected a chain of role codes'):
        sgperms.Tiers.parse("lead >> artist")
    tiers = sgperms.Tiers.parse("lead > artist\nlead > artst\n")
    with pytest.raises(sgperms.TierError, match=r'line 2: unknown role "artst"'):
        tiers.check(sgperms.PermissionTable(["lead", "artist"]))
    with pytest.raises(FileNotFoundError):
        sgperms.Tiers.read(tmp_path / "none.txt")


def test_grant_at_coordinator_reaches_its_ancestors_only():
    tiers = sgperms.Tiers.parse(STUDIO)
    before = table("no")
    plan = tiers.grant(before, "coordinator", "entity", "Assets", "", "create")
    assert [c.role for c in plan] == ["it_support", "pipeline_td", "senior_manager", "producer", "coordinator"]
    assert all((c.before, c.after) == ("no", "yes") for c in plan)
    after = plan.apply(before)
    assert before.get("producer", "entity", "Asset", "", "create") == "no"  # apply makes a new table
    changed = {r for r in ROLES if after.get(r, "entity", "Asset", "", "create") == "yes"}
    assert changed == {"it_support", "pipeline_td", "senior_manager", "producer", "coordinator"}
    assert len(tiers.grant(after, "coordinator", "entity", "Asset", "", "create")) == 0
    assert plan.to_csv().splitlines()[:2] == [
        "role,kind,entity_type,name,action,before,after,why",
        "it_support,entity,Asset,,create,no,yes,ancestor of coordinator",
    ]


def test_revoke_at_lead_removes_it_from_artist_only():
    tiers = sgperms.Tiers.parse(STUDIO)
    plan = tiers.revoke(table("yes"), "lead", "entity", "Asset", "", "create")
    assert [(c.role, c.why) for c in plan] == [("lead", "revoked at lead"), ("artist", "descendant of lead")]
    after = plan.apply(table("yes"))
    assert after.get("vendor", "entity", "Asset", "", "create") == "yes"
    assert after.get("supervisor", "entity", "Asset", "", "create") == "yes"


def test_conditional_grants_and_stale_plans():
    tiers = sgperms.Tiers.parse(STUDIO)
    t = table("no")
    plan = tiers.grant(t, "artist", "entity", "Asset", "", "create", value="if assigned to the asset")
    assert [c.role for c in plan][-1] == "artist" and plan.changes()[0].after == "if assigned to the asset"
    t.set("lead", "entity", "Asset", "", "create", "yes")
    with pytest.raises(sgperms.TierError, match="no longer fits the table"):
        plan.apply(t)
    with pytest.raises(sgperms.TierError, match='cannot grant "no"'):
        tiers.grant(t, "lead", "entity", "Asset", "", "create", value="no")


def test_check_returns_violations():
    tiers = sgperms.Tiers.parse(STUDIO)
    t = table("yes")
    t.set("lead", "entity", "Asset", "", "create", "no")
    found = tiers.check(t)
    assert [(v.upper, v.lower) for v in found] == [("lead", "artist")]
    assert (found[0].upper_value, found[0].lower_value, found[0].unknown) == ("no", "yes", False)
    assert str(found[0]) == "entity:Asset::create: lead (no) allows less than artist (yes)"
    t.set("artist", "entity", "Shot", "", "see", "yes")
    assert len(tiers.check(t)) == 1
    assert any(v.unknown for v in tiers.check(t, unknown=True))


def test_can_assign_decisions_carry_reasons():
    tiers = sgperms.Tiers.parse(STUDIO)
    yes = tiers.can_assign("producer", "artist", "lead")
    no = tiers.can_assign("lead", "artist", "supervisor")
    assert yes and yes.allowed and "below producer" in yes.reason
    assert not no and "supervisor is not below lead" == no.reason
    assert no.to_dict() == {"allowed": False, "reason": no.reason, "actor_role": "lead",
                            "current_role": "artist", "new_role": "supervisor"}


def test_audit_finds_self_elevation():
    t = table("no")
    t.set("it_support", "field", "HumanUser", "permission_rule_set", "edit", "yes")
    t.set("it_support", "entity", "HumanUser", "", "edit", "yes")
    t.set("admin", "field", "HumanUser", "permission_rule_set", "edit", "yes")
    t.set("admin", "entity", "HumanUser", "", "edit", "yes")
    findings = sgperms.audit(t, sgperms.Tiers.parse(STUDIO))
    assert [(f.kind, f.role) for f in findings] == [("self_elevation", "it_support")]
    assert "make themselves admin" in findings[0].detail


# -- Site.assign_role on mockgun -------------------------------------------------


@pytest.fixture
def site():
    return sgperms.Site(demo.build_site())


def person(site, role, active=True):
    return next(a for a in site.assignments() if a.role == role and a.active == active and a.user_type == "HumanUser")


def roles_on_site(site):
    rows = site.sg.find("HumanUser", [], ["login", "permission_rule_set"])
    return {r["login"]: r["permission_rule_set"]["id"] for r in rows}


def test_allowed_promotion_is_written(site):
    tiers = sgperms.Tiers.parse(demo.TIERS)
    producer, artist = person(site, "producer"), person(site, "artist")
    change = site.assign_role(producer.login, artist.login, "lead", tiers)
    assert change.allowed and change.written and (change.from_role, change.to_role) == ("artist", "lead")
    assert next(a for a in site.assignments() if a.login == artist.login).role == "lead"
    assert json.loads(json.dumps(change.to_dict()))["actor"] == producer.login


@pytest.mark.parametrize(
    "actor_role, user_role, new_role, actor_active, reason",
    [
        ("lead", "lead", "admin", True, "nobody may change their own role"),
        ("lead", "artist", "supervisor", True, "supervisor is not below lead"),
        ("producer", "artist", "lead", False, "is not active"),
        ("producer", "senior_manager", "coordinator", True, "not below producer"),
        ("producer", "artist", "no_such_role", True, "is not an assignable role"),
        ("it_support", "artist", "admin", True, "only admins assign it"),
    ],
)
def test_refused_assignments_leave_the_site_unchanged(site, actor_role, user_role, new_role, actor_active, reason):
    tiers = sgperms.Tiers.parse(demo.TIERS)
    actor = person(site, actor_role, actor_active)
    user = actor if reason.startswith("nobody") else person(site, user_role)
    before = roles_on_site(site)
    with pytest.raises(sgperms.PermissionDenied, match=reason) as info:
        site.assign_role(actor.login, user.login, new_role, tiers)
    assert isinstance(info.value, PermissionError)
    assert not info.value.change.allowed and not info.value.change.written
    assert roles_on_site(site) == before


def test_unknown_people_are_refused(site):
    tiers = sgperms.Tiers.parse(demo.TIERS)
    with pytest.raises(sgperms.PermissionDenied, match="no person with login 'ghost'"):
        site.assign_role("ghost", person(site, "artist").login, "lead", tiers)


def test_dry_run_writes_nothing(site):
    tiers = sgperms.Tiers.parse(demo.TIERS)
    before = roles_on_site(site)
    change = site.assign_role(person(site, "supervisor").login, person(site, "artist").login, "lead", tiers,
                              dry_run=True)
    assert change.allowed and change.dry_run and not change.written
    assert roles_on_site(site) == before


# -- commands ---------------------------------------------------------------------




def test_tiers_check_finds_the_demo_missed_permission(tmp_path):
    assert run("demo", "-o", str(tmp_path), "-q").returncode == 0
    r = run("tiers", "check", str(tmp_path / "tiers.txt"), str(tmp_path / "permissions.csv"))
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["entity:Version::retire: lead (no) allows less than artist (yes)"]
    assert "1 missed permission(s)" in r.stderr


def test_tiers_grant_and_revoke_commands(tmp_path):
    (tmp_path / "tiers.txt").write_text(STUDIO)
    perms = tmp_path / "perms.csv"
    table("no").to_csv(perms)
    original = perms.read_text()
    r = run("tiers", "revoke", str(tmp_path / "tiers.txt"), str(perms), "--role", "lead",
            "--target", "entity:Asset::create", "--dry-run")
    assert r.returncode == 0 and "nothing to change" in r.stderr and perms.read_text() == original
    r = run("tiers", "grant", str(tmp_path / "tiers.txt"), str(perms), "--role", "coordinator",
            "--target", "entity:Asset::create", "--plan", str(tmp_path / "plan.csv"), "--dry-run")
    assert r.returncode == 0 and perms.read_text() == original
    assert len((tmp_path / "plan.csv").read_text().splitlines()) == 6
    r = run("tiers", "grant", str(tmp_path / "tiers.txt"), str(perms), "--role", "coordinator", "--target",
            "entity:Asset::create")
    assert r.returncode == 0, r.stderr
    assert sgperms.read_csv(perms).get("senior_manager", "entity", "Asset", "", "create") == "yes"
    r = run("tiers", "grant", str(tmp_path / "tiers.txt"), str(perms), "--role", "lead", "--target", "entity:Asset")
    assert r.returncode == 2 and "expected KIND:ENTITY:NAME:ACTION" in r.stderr and "Traceback" not in r.stderr


def test_audit_command(tmp_path):
    assert run("demo", "-o", str(tmp_path), "-q").returncode == 0
    r = run("audit", str(tmp_path / "permissions.csv"), "--tiers", str(tmp_path / "tiers.txt"))
    assert r.returncode == 1
    assert "self_elevation: field:HumanUser:permission_rule_set:edit: it_support may edit" in r.stdout


def test_promote_command(monkeypatch, capsys):
    from sgperms import cli

    sg = demo.build_site()
    monkeypatch.setattr(cli._connect, "connect", lambda args: sg)
    site = sgperms.Site(sg)
    producer, artist = person(site, "producer"), person(site, "artist")
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tiers = pathlib.Path(folder) / "tiers.txt"
        tiers.write_text(demo.TIERS)
        base = ["promote", "--site", "https://s", "--session-token", "tok-secret-1", "--tiers", str(tiers)]
        code = cli.main(base + ["--actor", artist.login, "--user", producer.login, "--role", "artist", "--json"])
        refused = json.loads(capsys.readouterr().out)
        assert code == 1 and refused["allowed"] is False
        code = cli.main(base + ["--actor", producer.login, "--user", artist.login, "--role", "lead"])
        out = capsys.readouterr().out
        assert code == 0 and out.startswith(f"allowed: {artist.login} artist -> lead by {producer.login}")
    assert next(a for a in sgperms.Site(sg).assignments() if a.login == artist.login).role == "lead"


# -- tier files and grants on a snapshot folder -----------------------------------


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The demo studio's snapshot folder."""
    out = tmp_path_factory.mktemp("demo") / "studio"
    demo.run(str(out))
    return out


def test_grant_refuses_typos_keeps_the_layout_and_resolves_display_names(studio, tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(studio, folder)
    r = run("tiers", "grant", str(folder / "tiers.txt"), str(folder), "--role", "coordinator", "--target",
            "entity:Asest::create")
    assert r.returncode == 2 and 'unknown entity type "Asest"' in r.stderr
    long = tmp_path / "long.csv"
    long.write_text("role,kind,entity_type,name,action,value,note\nlead,entity,Shot,,see,no,\nartist,entity,Shot,,see,no,\n")
    tiers = tmp_path / "t.txt"
    tiers.write_text("lead > artist\n")
    assert run("tiers", "grant", str(tiers), str(long), "--role", "artist", "--target",
               "entity:Shot::see").returncode == 0
    assert long.read_text().startswith("role,kind,entity_type,name,action,value,note\n")
    r = run("tiers", "grant", str(tiers), str(long), "--role", "artist", "--target", "entity:Shot::edit")
    assert r.returncode == 2 and "is not a row of the table" in r.stderr


def test_tier_files_with_a_bom(studio, tmp_path):
    tiers = tmp_path / "bom.txt"
    tiers.write_bytes(b"\xef\xbb\xbfadmins: admin\nsupervisor > lead > artist\n")
    assert sgperms.Tiers.read(tiers).admins == ["admin"]
    r = run("tiers", "check", str(tiers), str(studio))
    assert r.returncode == 1 and "lead (no) allows less than artist (yes)" in r.stdout


def test_unknown_pairs_only_when_they_matter():
    tiers = sgperms.Tiers.parse("lead > artist")
    t = sgperms.read_csv("kind,entity_type,name,action,lead,artist\n"
                         "entity,Shot,,see,yes,\nentity,Asset,,see,,no\nentity,Task,,see,,yes\n")
    found = tiers.check(t, unknown=True)
    assert [v.target[1] for v in found] == ["Task"]


def test_check_reports_each_direct_edge_once_not_every_transitive_pair():
    # Three roles in a chain, the top one allowed nothing, the others everything:
    # one missed permission, on the edge lead > mid (lead > artist follows from it).
    tiers = sgperms.Tiers.parse("lead > mid > artist")
    t = sgperms.read_csv("kind,entity_type,name,action,lead,mid,artist\nentity,Shot,,see,no,yes,yes\n")
    assert [(v.upper, v.lower) for v in tiers.check(t)] == [("lead", "mid")]
    # An unknown role between does not hide it: the edge is taken across it.
    t = sgperms.read_csv("kind,entity_type,name,action,lead,mid,artist\nentity,Shot,,see,no,,yes\n")
    assert [(v.upper, v.lower) for v in tiers.check(t)] == [("lead", "artist")]
    assert [(v.upper, v.lower, v.unknown) for v in tiers.check(t, unknown=True)] == [
        ("lead", "mid", True), ("lead", "artist", False), ("mid", "artist", True)]


def test_violations_make_each_item_when_reached_and_keep_it():
    roles = [f"r{i}" for i in range(40)]
    tiers = sgperms.Tiers.parse(" > ".join(roles))
    rows = "".join(f"entity,E{i:03d},,see," + ",".join("no" if r % 2 == 0 else "yes" for r in range(40)) + "\n"
                   for i in range(300))
    found = tiers.check(sgperms.read_csv("kind,entity_type,name,action," + ",".join(roles) + "\n" + rows))
    assert len(found) == 300 * 20
    it = iter(found)
    first, second = next(it), next(it)
    assert first is found[0] and second is found[1] and found[-1] is found[len(found) - 1]
    assert found[5990:][-1] is found[-1] and found[-2:] == [found[-2], found[-1]]
    assert (first.upper, first.lower, first.target) == ("r0", "r1", ("entity", "E000", "", "see"))
    assert next(reversed(found)) is found[-1] and list(found)[1234] is found[1234]
    assert str(found[7]) == "entity:E000::see: r14 (no) allows less than r15 (yes)"


def test_violations_have_columns_and_a_summary():
    tiers = sgperms.Tiers.parse("lead > artist\nsupervisor > artist")
    t = sgperms.read_csv("kind,entity_type,name,action,supervisor,lead,artist\n"
                         "entity,Shot,,see,no,no,yes\nentity,Asset,,see,yes,no,if own\n")
    found = tiers.check(t)
    assert len(found) == 3 and found[0] is found[0] and found == list(found)
    summary = found.summary()
    assert summary == {
        "edges": [("lead", "artist", 2), ("supervisor", "artist", 1)],
        "targets": [(("entity", "Asset", "", "see"), 1), (("entity", "Shot", "", "see"), 2)],
    }
    pandas = pytest.importorskip("pandas")
    frame = found.to_pandas()
    assert list(frame.columns) == ["kind", "entity_type", "name", "action", "upper", "upper_value",
                                   "lower", "lower_value", "unknown"]
    assert len(frame) == 3 and frame["upper"].dtype == "category" and frame["unknown"].dtype == bool
    assert frame.iloc[0].to_dict() == {
        "kind": "entity", "entity_type": "Asset", "name": "", "action": "see", "upper": "lead",
        "upper_value": "no", "lower": "artist", "lower_value": "if own", "unknown": False}
    assert isinstance(tiers.check(sgperms.PermissionTable(["supervisor", "lead", "artist"])).to_pandas(),
                      pandas.DataFrame)
