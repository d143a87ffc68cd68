"""A misspelt role gets the closest known role suggested, wherever a role
name from the user is looked up: the commands and the Python API."""

import pytest

import sgperms
from sgperms import demo

from conftest import run_cli

TABLE = "kind,entity_type,name,action,admin,producer,coordinator,lead,artist\nentity,Asset,,create,yes,yes,no,yes,no\n"
TIERS = "admins: admin\nadmin\nproducer > coordinator\nlead > artist\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "perms.csv").write_text(TABLE)
    (tmp_path / "tiers.txt").write_text(TIERS)
    return tmp_path


@pytest.mark.parametrize("argv, hint", [
    (["tiers", "grant", "{t}", "{p}", "--role", "coordinater", "--target", "entity:Asset::create", "--dry-run"],
     'role "coordinater" is in no chain of the tier file (did you mean "coordinator"?)'),
    (["tiers", "revoke", "{t}", "{p}", "--role", "laed", "--target", "entity:Asset::create", "--dry-run"],
     'role "laed" is in no chain of the tier file (did you mean "lead"?)'),
    (["compare", "{p}", "lead", "artsit"], 'unknown role "artsit" (did you mean "artist"?); the table has: '),
    (["compare", "{p}", "laed", "artist"], 'unknown role "laed" (did you mean "lead"?); the table has: '),
    (["report", "{p}", "--role", "artsit", "-o", "-"], 'unknown role "artsit" (did you mean "artist"?); '),
])
def test_commands_suggest_the_closest_role(files, argv, hint):
    r = run_cli(*[a.format(t=files / "tiers.txt", p=files / "perms.csv") for a in argv])
    assert r.returncode == 2 and hint in r.stderr, r.stderr
    assert "add it" not in r.stderr


def test_promote_suggests_the_closest_role():
    r = run_cli("promote", "--demo", "--actor", "eli.ivanova", "--user", "ada.abara", "--role", "leed")
    assert r.returncode == 1
    assert r.stdout.startswith("refused: ada.abara artist -> leed by eli.ivanova: 'leed' is not an assignable role "
                               'on the site (did you mean "lead"?) (admin, ')


def test_the_python_api_suggests_the_closest_role():
    t = sgperms.read_csv(TABLE)
    tiers = sgperms.Tiers.parse(TIERS)
    calls = [
        lambda: t.get("artsit", "entity", "Asset", "", "create"),
        lambda: t.set("artsit", "entity", "Asset", "", "create", "yes"),
        lambda: t.effective("artsit", "entity", "Asset", "", "create"),
        lambda: t.compare_roles("lead", "artsit"),
        lambda: sgperms.role_report(t, "artsit"),
    ]
    for call in calls:
        with pytest.raises(sgperms.TableError, match=r'unknown role "artsit" \(did you mean "artist"\?\)'):
            call()
    for change in (tiers.grant, tiers.revoke):
        with pytest.raises(sgperms.TierError, match=r'"coordinater" .*\(did you mean "coordinator"\?\)'):
            change(t, "coordinater", "entity", "Asset", "", "create")
    decision = tiers.can_assign("producer", "coordinator", "coordinater")
    assert not decision and '(did you mean "coordinator"?)' in decision.reason
    site = sgperms.Site(demo.build_site())
    people = {a.role: a.login for a in site.assignments() if a.active and a.user_type == "HumanUser"}
    with pytest.raises(sgperms.PermissionDenied, match=r'\(did you mean "lead"\?\)'):
        site.assign_role(people["producer"], people["artist"], "leed", sgperms.Tiers.parse(demo.TIERS))
    with pytest.raises(ValueError, match=r'unknown role "artsit" \(did you mean "artist"\?\)'):
        site.probe({"artsit": people["artist"]}, targets=["Shot"])
