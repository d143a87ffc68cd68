"""What a role page and the index tell an admin: each rule's note, the role's
place in the tiers and the missed permissions it takes part in (on both
roles' pages), which site and snapshot, entities by display name, advanced
permissions in words."""

import json
import re
import shutil

import pytest

import sgperms
from sgperms import demo

from conftest import run_cli as run

NOTE = "lost Versions were found in the trash"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The demo studio's snapshot folder (it holds a tiers.txt)."""
    out = tmp_path_factory.mktemp("demo") / "studio"
    demo.run(str(out))
    return out


@pytest.fixture(scope="module")
def site(studio, tmp_path_factory):
    """The demo's HTML site, as `report --all` writes it."""
    out = tmp_path_factory.mktemp("site") / "site"
    r = run("report", studio, "--all", "-o", f"{out}/")
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"wrote 17 pages to {out}/ (open {out}/index.html)\n"
    return out


def page(studio, role):
    """A role's Markdown page of the demo, as `report --role ROLE -o -` prints it."""
    r = run("report", studio / "permissions.csv", "--role", role, "-o", "-")
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_markdown_pages_show_notes_and_the_missed_permission_on_both_roles(studio):
    artist = page(studio, "artist")
    version = next(line for line in artist.splitlines() if line.startswith("| Version |"))
    assert "**yes — but Lead, above you, may not\\: a missed permission**" in version
    assert "retire\\: " + NOTE in version
    assert "## Place in the tiers\n\n- Level 7 of 7 (1 is the top).\n" in artist
    assert "- No role is below it.\n" in artist and "Supervisor, Lead.\n" in artist
    assert "1 missed permission\\: a role may do more than a role above it.\n\n" \
           "- Version — retire\\: Artist may, but Lead, above it, may not.\n" in artist

    lead = page(studio, "lead")
    version = next(line for line in lead.splitlines() if line.startswith("| Version |"))
    assert "**no — but Artist, below you, may\\: a missed permission**" in version
    assert "- Below it\\: Artist.\n" in lead
    assert "- Version — retire\\: Artist may, but Lead, above it, may not.\n" in lead

    # A role in no missed permission says so, and carries no mark.
    producer = page(studio, "producer")
    assert "No missed permissions" in producer and "a missed permission**" not in producer


def test_html_pages_mark_the_rule(site):
    artist = (site / "role-artist.html").read_text()
    assert ('<td class="yes missed">yes <strong class="missed"> — but Lead, above you, may not: '
            'a missed permission</strong></td>') in artist
    assert f'<td class="note">retire: {NOTE}' in artist
    assert "<li>Version — retire: Artist may, but Lead, above it, may not.</li>" in artist
    lead = (site / "role-lead.html").read_text()
    assert ('<td class="no missed">no <strong class="missed"> — but Artist, below you, may: '
            'a missed permission</strong></td>') in lead
    assert "<li>Below it: Artist.</li>" in lead


def test_the_index_names_site_date_version_and_lists_missed_permissions(studio, site):
    recorded = json.loads((studio / "snapshot.json").read_text())
    index = (site / "index.html").read_text()
    host = recorded["site"].removeprefix("https://")
    assert (f'<p class="meta">Site: {host}. Snapshot taken {recorded["taken_at"]} by sgperms '
            f'{recorded["sgperms_version"]}. Pages made by sgperms {sgperms.__version__}.</p>') in index
    assert '<a href="#missed">1 missed permission: a role may do more than a role above it.</a>' in index
    assert ('<h2 id="missed">Missed permissions</h2><p>1 missed permission: a role may do more than a role above '
            'it.</p><ul class="missed"><li>Version — retire: Artist may, but Lead, above it, may not.</li></ul>') \
        in index


def test_entities_sort_by_display_name_with_the_code_beside(studio):
    artist = page(studio, "artist")
    shown = [line.split(" | ")[0][2:] for line in artist.split("## Entities")[1].split("\n\n")[1].splitlines()[2:]]
    assert shown == sorted(shown, key=lambda s: (s.lower(), s))
    at = shown.index("Script (ApiUser)")
    assert shown[at - 1] == "Scene" and shown[at + 1] == "Sequence"
    assert shown.index("Action Menu Item (ActionMenuItem)") == 0 and shown[1] == "Asset"


def test_advanced_permissions_in_words_with_their_code(studio):
    artist = page(studio, "artist")
    assert "- Can see Client Notes (see_client_notes): no\n" in artist
    assert "- Set Permissions (set_permissions): no\n" in artist
    table = sgperms.read_csv(studio / "permissions.csv")
    table.set("artist", "advanced", "", "studio_special", "allow", "yes", note="a <b>local</b> rule")
    md = sgperms.role_report(table, "artist")
    assert "- studio\\_special: yes (note\\: a \\<b\\>local\\</b\\> rule)\n" in md \
        or "- studio_special: yes (note\\: a \\<b\\>local\\</b\\> rule)\n" in md
    html = sgperms.role_report(table, "artist", format="html")
    assert "studio_special: yes" in html and "&lt;b&gt;local&lt;/b&gt;" in html and "<b>local" not in html


def test_tiers_given_or_found_beside_the_table(studio, tmp_path):
    alone = tmp_path / "permissions.csv"
    shutil.copy(studio / "permissions.csv", alone)
    r = run("report", alone, "--role", "artist", "-o", "-")
    assert r.returncode == 0, r.stderr
    assert "Place in the tiers" not in r.stdout and "missed permission" not in r.stdout
    given = run("report", alone, "--role", "artist", "--tiers", studio / "tiers.txt", "-o", "-")
    assert given.returncode == 0, given.stderr
    assert "**yes — but lead, above you, may not\\: a missed permission**" in given.stdout
    # Over stdin only what is given is used.
    piped = run("report", "-", "--role", "artist", "--tiers", studio / "tiers.txt", "-o", "-",
                stdin=alone.read_text())
    assert piped.returncode == 0 and "a missed permission**" in piped.stdout, piped.stderr

    stray = tmp_path / "stray.txt"
    stray.write_text("lead > artist > intern\n")
    bad = run("report", alone, "--role", "artist", "--tiers", stray, "-o", "-")
    assert bad.returncode == 2 and bad.stdout == ""
    assert "intern" in bad.stderr and len(bad.stderr.splitlines()) == 1, bad.stderr


def test_python_api_takes_tiers_and_snapshot(studio):
    table = sgperms.read_csv(studio / "permissions.csv")
    tiers = sgperms.Tiers.parse("lead > artist")
    md = sgperms.role_report(table, "lead", tiers=tiers)
    assert "**no — but artist, below you, may\\: a missed permission**" in md
    pages = dict(sgperms.reports._render_site(table, tiers=tiers, snapshot=("https://x.example", "today", "9")))
    assert "Site: x.example. Snapshot taken today by sgperms 9." in pages["index.html"]
    assert re.search(r"<li>Version — retire: artist may, but lead, above it, may not\.</li>", pages["index.html"])


def test_hostile_notes_and_tier_names_stay_text(tmp_path):
    table = sgperms.PermissionTable(["lead", "artist"])
    hostile = "<script>alert(1)</script> | `x` [a](javascript:b)"
    table.set("artist", "entity", "Version", "", "retire", "yes", note=hostile)
    table.set("lead", "entity", "Version", "", "retire", "no")
    roles = [{"code": "lead", "display_name": "<img src=x onerror=alert(1)>"}, {"code": "artist", "display_name": "A"}]
    tiers = sgperms.Tiers.parse("lead > artist")
    html = sgperms.role_report(table, "artist", format="html", roles=roles, tiers=tiers)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;, above you" in html
    md = sgperms.role_report(table, "artist", roles=roles, tiers=tiers)
    # Markdown keeps the text, every markup character backslash-escaped.
    assert "| retire\\: \\<script\\>alert(1)\\</script\\> \\| \\`x\\` \\[a\\](javascript\\:b) |" in md
    assert "**yes — but \\<img src=x onerror=alert(1)\\>, above you, may not" in md
    out = tmp_path / "site"
    sgperms.write_site(table, out, roles=roles, tiers=tiers, snapshot={"site": "<b>s</b>", "taken_at": "t"})
    index = (out / "index.html").read_text()
    assert "<b>s</b>" not in index and "Site: &lt;b&gt;s&lt;/b&gt;. Snapshot taken t." in index


def test_a_garbled_snapshot_json_only_leaves_the_site_unnamed(studio, tmp_path):
    folder = tmp_path / "studio"
    shutil.copytree(studio, folder)
    (folder / "snapshot.json").write_text("{not json")
    r = run("report", folder, "--all", "-o", tmp_path / "site")
    assert r.returncode == 0, r.stderr
    assert "Site: an unnamed site. Pages made by sgperms" in (tmp_path / "site" / "index.html").read_text()


def test_tiers_given_win_over_a_broken_tiers_txt_beside(studio, tmp_path):
    folder = tmp_path / "studio"
    shutil.copytree(studio, folder)
    (folder / "tiers.txt").write_text("lead > artist > lead\n")
    broken = run("report", folder, "--role", "artist", "-o", "-")
    assert broken.returncode == 2 and "tiers.txt" in broken.stderr, broken.stderr
    given = tmp_path / "mine.txt"
    given.write_text("lead > artist\n")
    r = run("report", folder, "--role", "artist", "--tiers", given, "-o", "-")
    assert r.returncode == 0, r.stderr
    assert "- Level 2 of 2 (1 is the top).\n" in r.stdout
