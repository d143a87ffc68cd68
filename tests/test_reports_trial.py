"""What a new user hit with tiers, diffs and reports, each now handled."""

import os
import shutil
import subprocess
import sys

import pytest

import sgperms
from sgperms import demo


def run(*args):
    return subprocess.run([sys.executable, "-m", "sgperms.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "studio"
    demo.run(str(out))
    return out


def test_role_pages_never_collide(tmp_path):
    t = sgperms.PermissionTable(["a b", "a_b", "é", "è"])
    t.set("a b", "entity", "Shot", "", "see", "yes")
    written = sgperms.write_site(t, tmp_path)
    assert len(written) == len(set(written)) == 6
    assert len(os.listdir(tmp_path)) == 6


def test_matrix_keeps_fields_that_override_their_entity(tmp_path):
    t = sgperms.read_csv("kind,entity_type,name,action,a,b\nentity,Shot,,edit,yes,yes\n"
                         "field,Shot,sg_cut_in,edit,no,no\nfield,Shot,code,edit,inherit,inherit\n")
    sgperms.write_site(t, tmp_path)
    matrix = (tmp_path / "matrix.html").read_text()
    assert "sg_cut_in" in matrix and "Shot › code" not in matrix


def test_grant_refuses_typos_keeps_the_layout_and_resolves_display_names(studio, tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(studio, folder)
    r = run("tiers", "grant", str(folder / "tiers.txt"), str(folder), "--role", "coordinator", "--target", "entity:Asest::create")
    assert r.returncode == 2 and 'unknown entity type "Asest"' in r.stderr
    long = tmp_path / "long.csv"
    long.write_text("role,kind,entity_type,name,action,value,note\nlead,entity,Shot,,see,no,\nartist,entity,Shot,,see,no,\n")
    tiers = tmp_path / "t.txt"
    tiers.write_text("lead > artist\n")
    assert run("tiers", "grant", str(tiers), str(long), "--role", "artist", "--target", "entity:Shot::see").returncode == 0
    assert long.read_text().startswith("role,kind,entity_type,name,action,value,note\n")
    r = run("tiers", "grant", str(tiers), str(long), "--role", "artist", "--target", "entity:Shot::edit")
    assert r.returncode == 2 and "is not a row of the table" in r.stderr


def test_snapshot_folders_resolve_display_names(studio, tmp_path):
    folder = tmp_path / "named"
    shutil.copytree(studio, folder)
    text = (folder / "permissions.csv").read_text()
    header, rest = text.split("\n", 1)
    (folder / "permissions.csv").write_text(header.replace(",artist,", ",Artist,").replace(",lead,", ",Lead,") + "\n" + rest)
    r = run("diff", str(studio), str(folder))
    assert (r.returncode, r.stdout) == (0, "no changes\n")


def test_tier_files_with_a_bom(studio, tmp_path):
    tiers = tmp_path / "bom.txt"
    tiers.write_bytes(b"\xef\xbb\xbfadmins: admin\nsupervisor > lead > artist\n")
    assert sgperms.Tiers.read(tiers).admins == ["admin"]
    r = run("tiers", "check", str(tiers), str(studio))
    assert r.returncode == 1 and "lead (no) allows less than artist (yes)" in r.stdout


def test_unknown_pairs_only_when_they_matter():
    tiers = sgperms.Tiers.parse("lead > artist")
    t = sgperms.read_csv("kind,entity_type,name,action,lead,artist\nentity,Shot,,see,yes,\nentity,Asset,,see,,no\nentity,Task,,see,,yes\n")
    found = tiers.check(t, unknown=True)
    assert [v.target[1] for v in found] == ["Task"]


def test_markdown_escapes_html_and_click_plans_name_things_as_the_ui_does(studio):
    a = sgperms.read_csv(studio / "permissions.csv")
    b = a.copy()
    b.set("artist", "entity", "Task", "", "edit", "if assigned to <team> of the shot")
    b.set("vendor", "entity", "Version", "", "see", "no")
    md = sgperms.diff(a, b).to_markdown()
    assert "\\<team\\>" in md and "<team>" not in md
    schema = sgperms.reports.snapshot_context(str(studio))["schema"]
    plan = sgperms.diff(a, b).to_click_plan(schema=schema)
    assert "Version: See is a conditional rule today (greyed out, not settable by checkbox)" in plan
    c = a.copy()
    c.set("artist", "entity", "CustomEntity01", "", "create", "yes")
    assert "Outsource Package (CustomEntity01): tick Create" in sgperms.diff(a, c).to_click_plan(schema=schema)


def test_changes_refuse_a_table_that_moved_on(studio):
    a = sgperms.read_csv(studio / "permissions.csv")
    b = a.copy()
    b.set("artist", "entity", "Version", "", "retire", "no")
    c = a.copy()
    c.set("artist", "entity", "Version", "", "retire", "if own")
    with pytest.raises(sgperms.TableError, match="no longer fit this table"):
        sgperms.diff(a, b).apply(c)
