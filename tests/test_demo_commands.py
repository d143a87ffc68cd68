"""The commands that act on a site reach the demo studio with --demo
(the enforcing stand-in, in memory): probe, promote, allowed."""

import pytest

import sgperms
from sgperms import demo

from conftest import run_cli


def test_probe_demo_measures_every_role_and_finds_the_missed_permission(tmp_path):
    out = tmp_path / "probed.csv"
    r = run_cli("probe", "--demo", "--auto", "-o", out, "--evidence", tmp_path / "ev.csv")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("probed 11 role(s); ")
    probed = sgperms.read_csv(out)
    assert "suspended" not in probed.roles and {"artist", "lead", "admin"} <= set(probed.roles)
    assert probed.get("artist", "entity", "Version", "", "retire") == "yes"
    assert probed.get("lead", "entity", "Version", "", "retire") == "no"
    assert (tmp_path / "ev.csv").read_text().startswith("role,kind,entity_type,name,action,value,call,answer\n")
    dry = run_cli("probe", "--demo", "--as", "artist=ada.abara", "--dry-run", "-o", tmp_path / "none.csv")
    assert dry.returncode == 0 and "would probe Version as artist (ada.abara)" in dry.stdout
    assert not (tmp_path / "none.csv").exists()
    typo = run_cli("probe", "--demo", "--as", "artst=ada.abara", "-o", tmp_path / "typo.csv")
    assert typo.returncode == 2 and len(typo.stderr.splitlines()) == 1
    assert typo.stderr.startswith(f'sgperms: error: could not probe {demo.DEMO_URL}: unknown role "artst" '
                                  '(did you mean "artist"?); the site has: admin, artist,'), typo.stderr
    assert not (tmp_path / "typo.csv").exists()


@pytest.mark.parametrize("flag", [["--site", demo.DEMO_URL], ["--session-token", "token-123456"]])
def test_demo_takes_no_site_or_credentials(flag):
    r = run_cli("probe", "--demo", "--auto", "--dry-run", *flag)
    assert r.returncode == 2
    assert r.stderr == f"sgperms: error: --demo acts on the demo studio: drop {flag[0]}\n"


def test_promote_demo_decides_with_the_demos_tiers(tmp_path):
    allowed = run_cli("promote", "--demo", "--actor", "eli.ivanova", "--user", "ada.abara", "--role", "lead")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout == (
        "allowed: ada.abara artist -> lead by eli.ivanova: eli.ivanova (producer) may move ada.abara from artist "
        "to lead\n(the demo studio lives in memory: the change was made there and is not kept)\n")
    refused = run_cli("promote", "--demo", "--actor", "ada.abara", "--user", "ada.berg", "--role", "lead", "--json")
    assert refused.returncode == 1 and '"allowed": false' in refused.stdout
    # A tier file given is used instead of the demo's.
    (tmp_path / "flat.txt").write_text("admins: admin\nadmin\nlead\nartist\nproducer\n")
    flat = run_cli("promote", "--demo", "--actor", "eli.ivanova", "--user", "ada.abara", "--role", "lead",
                   "--tiers", tmp_path / "flat.txt", "--dry-run")
    assert flat.returncode == 1 and flat.stdout.startswith("refused: ")
    missing = run_cli("promote", "--actor", "a", "--user", "b", "--role", "lead", "--site", demo.DEMO_URL,
                      "--session-token", "token-123456")
    assert missing.returncode == 2 and missing.stderr == "sgperms: error: say which tier file decides: --tiers TIERS\n"


def test_allowed_demo_writes_the_persons_page(tmp_path):
    md = run_cli("allowed", "ada.abara", "--demo")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# ") and "| Version | yes |" in md.stdout
    page = tmp_path / "ada.html"
    html = run_cli("allowed", "ada.abara", "--demo", "-o", page)
    assert html.returncode == 0 and html.stderr == f"wrote what ada.abara may do to {page}\n"
    assert page.read_text().lstrip().lower().startswith("<!doctype html>")
    assert run_cli("allowed", "ada.abara", "--demo", "-o", tmp_path / "q.md", "-q").stderr == ""
    nobody = run_cli("allowed", "nobody.here", "--demo")
    assert nobody.returncode == 2
    assert nobody.stderr == "sgperms: error: no person with login 'nobody.here' holding a role on the site\n"
    typo = run_cli("allowed", "ada.abarra", "--demo")
    assert typo.returncode == 2 and typo.stderr == (
        "sgperms: error: no person with login 'ada.abarra' holding a role on the site (did you mean \"ada.abara\"?)\n")
    # --project limits reads to one project: a project with no records decides no see or retire.
    demo_feature = run_cli("allowed", "ada.abara", "--demo", "--project", "1", "--rate", "500")
    assert demo_feature.returncode == 0 and "| Version | yes | yes | yes | unknown |" in demo_feature.stdout
    empty = run_cli("allowed", "ada.abara", "--demo", "--project", "2")
    assert empty.returncode == 0 and "| Version | unknown | yes | unknown | unknown |" in empty.stdout


def test_allowed_needs_a_site_without_demo():
    r = run_cli("allowed", "ada.abara", env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and r.stderr == "sgperms: error: no site: pass --site URL or set SGPERMS_SITE\n"
