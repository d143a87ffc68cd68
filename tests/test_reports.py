"""Diffs, role comparisons, reports and the HTML site — the site rendered in a
real browser (Debian's chromium, driven by playwright)."""

import json
import os
import re
import shutil
import subprocess

import pytest

import sgperms
from sgperms import demo

from conftest import run_cli as run


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The demo studio's snapshot folder."""
    out = tmp_path_factory.mktemp("demo") / "studio"
    demo.run(str(out))
    return out




# -- diff -------------------------------------------------------------------------


def test_diff_properties_on_the_demo(studio):
    a = sgperms.read_csv(studio / "permissions.csv")
    assert len(sgperms.diff(a, a)) == 0 and not sgperms.diff(a, a)
    b = a.copy()
    b.set("artist", "entity", "Version", "", "retire", "no", note="closes the gap")
    b.set("vendor", "app", "", "Review Portal", "see", "yes")
    d = sgperms.diff(a, b)
    assert d.summary() == "2 cells changed (artist, vendor); 1 note changed; 1 target added"
    assert d.apply(a) == b
    back = sgperms.diff(b, a)
    forward = {(r["role"], r["entity_type"], r["action"]): (r["before"], r["after"])
               for r in d if r["change"] == "cell"}
    reverse = {(r["role"], r["entity_type"], r["action"]): (r["after"], r["before"])
               for r in back if r["change"] == "cell"}
    assert forward[("artist", "Version", "retire")] == reverse[("artist", "Version", "retire")] == ("yes", "no")
    assert back.apply(b) == a
    records = list(d)
    assert {r["change"] for r in records} == {"cell", "note", "target_added"}
    assert json.loads(d.to_json())["cells"][0]["note"] == "closes the gap"
    assert d.to_pandas()["change"].tolist().count("cell") == 2


def test_two_sites_map_roles_by_code(studio):
    a = sgperms.read_csv(studio / "permissions.csv")
    other = sgperms.read_csv(a.to_csv().replace(",vendor,", ",outsourcer,", 1))
    d = sgperms.diff(a, other)
    assert d.roles_added == ["outsourcer"] and d.roles_removed == ["vendor"]


def test_compare_roles_and_permission_changes(studio):
    t = sgperms.read_csv(studio / "permissions.csv")
    c = t.compare_roles("lead", "artist")
    assert (c.old, c.new) == ("lead", "artist")
    rows = {(r["entity_type"], r["name"], r["action"]): (r["before"], r["after"]) for r in c}
    assert rows[("Version", "", "retire")] == ("no", "yes")
    assert rows[("Note", "", "edit")] == ("yes", "if author of the note")
    raw = t.compare_roles("lead", "artist", effective=False)
    assert len(raw) < len(c)
    d = sgperms.diff(t, t.copy())
    assert d.to_permission_changes() == ([], [])
    changed = t.copy()
    changed.set("artist", "field", "Task", "content", "edit", "yes")
    changed.set("artist", "entity", "Task", "", "create", "yes")
    payload, unmapped = sgperms.diff(t, changed).to_permission_changes()
    assert payload == [{"permission_rule_set_code": "artist", "rule_type": "update_field",
                        "entity_type": "Task", "field_name": "content", "allow": True}]
    assert [u["reason"] for u in unmapped] == ["the rule type for entity create is not measured"]


def test_click_plan_uses_display_names_and_flags_conditions(studio):
    t = sgperms.read_csv(studio / "permissions.csv")
    changed = t.copy()
    changed.set("artist", "entity", "Task", "", "create", "yes")
    changed.set("vendor", "entity", "Shot", "", "see", "if on their package")
    plan = sgperms.diff(t, changed).to_click_plan(roles=[("artist", "Artist"), ("vendor", "Vendor")])
    assert "Permissions > Artist > Entity Permissions > Task: tick Create" in plan
    assert "NOT SETTABLE BY CHECKBOX" in plan


def test_jupyter_previews_are_compact(studio):
    t = sgperms.read_csv(studio / "permissions.csv")
    html = t._repr_html_()
    assert html.count("<tr>") == 51 and f"… {len(t) - 50} more rows" in html
    c = t.compare_roles("admin", "suspended")
    preview = c._repr_html_()
    assert "more cell changes" in preview and preview.count("<tr>") == 51


# -- commands -------------------------------------------------------------------


def test_diff_command_exit_status_and_formats(studio, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(studio, other)
    t = sgperms.read_csv(other / "permissions.csv")
    t.set("artist", "entity", "Version", "", "retire", "no")
    t.to_csv(other / "permissions.csv")
    r = run("diff", str(studio), str(studio))
    assert (r.returncode, r.stdout) == (0, "no changes\n")
    r = run("diff", str(studio), str(other))
    assert r.returncode == 1 and "artist entity:Version::retire: yes -> no" in r.stdout
    assert "| `entity:Version::retire` | yes | no |" in run("diff", str(studio), str(other), "--format", "md").stdout
    assert run("diff", str(studio), str(other), "--format", "csv").stdout.startswith("change,role,kind")
    assert "Permissions > Artist > Entity Permissions > Version: untick Retire" in run(
        "diff", str(studio), str(other), "--format", "plan").stdout
    r = run("diff", str(studio), str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_compare_command(studio):
    r = run("compare", str(studio / "permissions.csv"), "lead", "artist", "--effective")
    assert r.returncode == 1 and "artist entity:Version::retire: no -> yes" in r.stdout
    table = sgperms.read_csv(studio / "permissions.csv")
    n = len(table.compare_roles("lead", "artist"))
    assert r.stdout.startswith(f"artist differs from lead in {n} cells (each: lead's value -> artist's)\n")
    assert "changed" not in r.stdout.splitlines()[0]
    raw = len(table.compare_roles("lead", "artist", effective=False))
    assert f"\n\nartist differs from lead in {raw} cells (each\\: lead's value -\\> artist's)\n" in run(
        "compare", studio, "lead", "artist", "--format", "md").stdout
    same = run("compare", studio, "artist", "artist")
    assert (same.returncode, same.stdout) == (0, "artist allows what artist allows: no cell differs\n")
    # No click plan for a comparison: not offered, so never a failure after the fact.
    plan = run("compare", studio, "lead", "artist", "--format", "plan")
    assert plan.returncode == 2 and "invalid choice: 'plan'" in plan.stderr
    assert "plan" not in run("compare", "--help").stdout.split("--format", 1)[1].split("\n")[0]
    r = run("compare", str(studio), "lead", "ghost")
    assert r.returncode == 2 and 'unknown role "ghost"' in r.stderr


# -- reports --------------------------------------------------------------------


def test_artist_page_states_the_documented_conditions(studio, tmp_path):
    out = tmp_path / "artist.md"
    r = run("report", str(studio / "permissions.csv"), "--role", "artist", "-o", str(out))
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.startswith("# Artist\n")
    for condition in ("only if author of the note", "only if assigned to the task", "only if created by them",
                      "only if assigned to the project"):
        assert condition in page, condition
    assert "| Task | Task Name (content) | edit | no | only if assigned to the task |" in page
    assert "## Who holds this role" in page and "(inactive)" in page


def test_a_role_with_no_rights_says_so_plainly(studio):
    t = sgperms.read_csv(studio / "permissions.csv")
    page = sgperms.role_report(t, "suspended", **sgperms.snapshot.report_context(str(studio)))
    assert "**This role has no rights: it cannot see, create, retire or edit anything" in page
    html = sgperms.role_report(t, "vendor", format="html")
    assert "only if assigned to the task, or a group they are in" in html and "<h1>vendor</h1>" in html


def find_browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium: Debian's package, installed here when missing and
    possible (root with apt-get), driven by playwright."""
    path = find_browser()
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, env=env)
        path = find_browser()
    if path is None:
        pytest.skip("no browser could be installed: "
                    "install Debian's chromium (apt-get install chromium) to run this test")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the [test] extra")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


def test_html_site_renders_in_a_real_browser(studio, tmp_path, browser):
    site = tmp_path / "site"
    r = run("report", str(studio / "permissions.csv"), "--all", "-o", str(site), "--title", "Demo Studio")
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(site))[:3] == ["index.html", "matrix.html", "role-admin.html"]
    for name in os.listdir(site):
        text = (site / name).read_text().replace("http-equiv", "")
        assert "http" not in text, f"{name} loads nothing from the network"
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto((site / "index.html").as_uri())
    names = page.locator("tbody th a").all_inner_texts()
    assert {"Artist", "Lead", "Supervisor", "Vendor", "Suspended"} <= set(names)
    page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

    page.goto((site / "matrix.html").as_uri())
    headers = page.locator("#matrix thead th").all_inner_texts()
    assert headers[0] == "Permission" and "Artist" in headers and "Lead" in headers
    row = page.locator('#matrix tbody tr[data-target^="entity:version::retire"]')
    assert row.count() == 1 and row.locator("th").inner_text() == "Version · retire"
    cells = row.locator("td")
    artist, lead = headers.index("Artist") - 1, headers.index("Lead") - 1
    assert cells.nth(artist).inner_text() == "yes" and "yes" in cells.nth(artist).get_attribute("class")
    assert cells.nth(lead).inner_text() == "no" and "no" in cells.nth(lead).get_attribute("class")
    total = int(page.inner_text("#shown"))
    page.fill("#filter", "published file")
    filtered = int(page.inner_text("#shown"))
    assert 0 < filtered < total
    assert page.locator("#matrix tbody tr:visible").count() == filtered
    page.screenshot(path=str(tmp_path / "matrix.png"))

    page.goto((site / "role-artist.html").as_uri())
    assert page.inner_text("h1") == "Artist"
    assert "only if author of the note" in page.inner_text("body")
    page.emulate_media(media="print")
    assert page.locator(".nav").is_hidden()
    page.screenshot(path=str(tmp_path / "artist-print.png"), full_page=True)

    assert problems == []
    for shot in ("index.png", "matrix.png", "artist-print.png"):
        data = (tmp_path / shot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# -- the role matrix in a browser --------------------------------------------------


def matrix_state(page):
    """(rows that differ, roles chosen, rows shown, the role codes shown) as the page says."""
    return (int(page.inner_text("#differing")), int(page.inner_text("#chosen")), int(page.inner_text("#shown")),
            page.eval_on_selector_all("#matrix thead th.role:not([hidden])", "hs => hs.map(h => h.dataset.role)"))


def fits_the_window(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_matrix_compares_the_roles_chosen_on_a_laptop(studio, tmp_path, browser):
    """15 roles on a 1366x768 laptop: no sideways scrolling, admin and the
    roles nobody active holds left out by default, "differ" counted over
    the roles chosen, headers in view after scrolling, roles in tier order."""
    site = tmp_path / "site"
    r = run("report", str(studio / "permissions.csv"), "--all", "-o", str(site))  # tiers.txt beside it
    assert r.returncode == 0, r.stderr
    table = sgperms.read_csv(studio / "permissions.csv")
    assert len(table.roles) == 15
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto((site / "matrix.html").as_uri())

    differing, chosen, shown, roles = matrix_state(page)
    assert "admin" not in roles and "suspended" not in roles and "api_admin" not in roles
    assert {"artist", "lead", "supervisor", "vendor"} <= set(roles) and chosen == len(roles)
    assert not page.is_checked('#roles input[value="admin"]') and page.is_checked('#roles input[value="artist"]')
    assert fits_the_window(page)

    page.click("#all-roles")
    every, chosen_all, _, roles_all = matrix_state(page)
    assert chosen_all == 15 and sorted(roles_all) == sorted(table.roles)
    assert every == shown > differing, "admin (all yes) and suspended (all no) differ from everyone"
    assert fits_the_window(page)
    assert page.locator("#matrix tbody tr").first.locator("td:visible").count() == 15

    # Tier order: admin first, every role before the roles below it.
    tiers = sgperms.Tiers.read(studio / "tiers.txt")
    assert roles_all[0] == "admin"
    for role in tiers.roles:
        for below in tiers.descendants(role):
            assert roles_all.index(role) < roles_all.index(below), (role, below)

    # Only lead and artist: the rows that differ are theirs, and "only rows
    # where the chosen roles differ" shows exactly those.
    page.click("#default-roles")
    assert matrix_state(page)[:2] == (differing, chosen)
    for code in roles:
        if code not in ("lead", "artist"):
            page.uncheck(f'#roles input[value="{code}"]')
    pair, two, _, shown_roles = matrix_state(page)
    assert (two, shown_roles) == (2, [c for c in roles_all if c in ("lead", "artist")])
    assert 0 < pair < differing
    page.check("#differs")
    rows = page.locator("#matrix tbody tr:visible")
    assert rows.count() == pair == int(page.inner_text("#shown"))
    values = rows.evaluate_all("rs => rs.map(r => [...r.cells].filter(c => !c.hidden && c.tagName == 'TD')"
                               ".map(c => c.title))")
    assert all(len(v) == 2 and v[0] != v[1] for v in values)
    assert page.locator('#matrix tbody tr[data-target^="entity:version::retire"]').is_visible()
    page.check('#roles input[value="vendor"]')
    assert matrix_state(page)[0] > pair and rows.count() > pair

    # Headers stay in view when the page scrolls down.
    page.uncheck("#differs")
    page.mouse.wheel(0, 4000)
    page.wait_for_function("window.scrollY > 3000")
    box = page.locator('#matrix thead th[data-role="artist"]').bounding_box()
    assert box is not None and -1 <= box["y"] <= 1 and box["height"] > 20
    on_top = "([x, y]) => document.elementFromPoint(x, y).closest('th').dataset.role"
    assert page.evaluate(on_top, [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]) == "artist"
    page.screenshot(path=str(tmp_path / "scrolled.png"))
    assert problems == []


def test_report_takes_the_tier_file_given_else_the_one_beside_the_table(studio, tmp_path):
    def order(site):
        return re.findall(r'<th class="role" data-role="([^"]+)"', (site / "matrix.html").read_text())

    folder = tmp_path / "studio"
    shutil.copytree(studio, folder)
    (folder / "tiers.txt").write_text("admins: vendor\nartist > lead\n")
    r = run("report", str(folder), "--all", "-o", str(tmp_path / "beside"))
    assert r.returncode == 0, r.stderr
    assert order(tmp_path / "beside")[:3] == ["vendor", "artist", "lead"]
    r = run("report", str(folder), "--all", "-o", str(tmp_path / "given"), "--tiers", "-",
            stdin="lead > artist\n")
    assert r.returncode == 0, r.stderr
    assert order(tmp_path / "given")[:3] == ["admin", "lead", "artist"]
    (folder / "tiers.txt").write_text("lead > artist > lead\n")
    r = run("report", str(folder), "--all", "-o", str(tmp_path / "bad"))
    assert r.returncode == 2 and "tiers.txt" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "bad").exists()


def test_matrix_without_users_compares_every_role_but_admin(tmp_path, browser):
    t = sgperms.PermissionTable(["admin", "artist", "lead"])
    for role, value in (("admin", "yes"), ("artist", "yes"), ("lead", "no")):
        t.set(role, "entity", "Shot", "", "see", value)
        t.set(role, "entity", "Shot", "", "edit", "yes")
    sgperms.write_site(t, tmp_path)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto((tmp_path / "matrix.html").as_uri())
    assert matrix_state(page)[:2] == (1, 2) and matrix_state(page)[3] == ["artist", "lead"]


def test_matrix_keeps_hostile_role_names_and_notes_as_text(tmp_path, browser):
    hostile = ['<img src=x onerror="document.title=1">', "</script><script>document.title=2</script>"]
    t = sgperms.PermissionTable(hostile + ["artist"])
    for role in t.roles:
        t.set(role, "app", "", hostile[1], "see", "if " + hostile[0], note=hostile[0] + hostile[1])
    roles = [{"code": code, "display_name": hostile[1] + code} for code in hostile]
    sgperms.write_site(t, tmp_path, roles=roles)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((tmp_path / "matrix.html").as_uri())
    assert page.title() == "Role matrix" and dialogs == []
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
    assert page.locator("#matrix thead th.role").all_inner_texts()[:2] == [hostile[1] + c for c in hostile]
    assert page.locator("#matrix tbody th").first.get_attribute("title") == hostile[0] + hostile[1]


# -- names, overrides and stale changes ----------------------------------------------


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
    assert "sg_cut_in" in matrix and "Shot › code" not in matrix  # noqa: RUF001 - the matrix's own separator


def test_snapshot_folders_resolve_display_names(studio, tmp_path):
    folder = tmp_path / "named"
    shutil.copytree(studio, folder)
    text = (folder / "permissions.csv").read_text()
    header, rest = text.split("\n", 1)
    (folder / "permissions.csv").write_text(
        header.replace(",artist,", ",Artist,").replace(",lead,", ",Lead,") + "\n" + rest)
    r = run("diff", str(studio), str(folder))
    assert (r.returncode, r.stdout) == (0, "no changes\n")


def test_markdown_escapes_html_and_click_plans_name_things_as_the_ui_does(studio):
    a = sgperms.read_csv(studio / "permissions.csv")
    b = a.copy()
    b.set("artist", "entity", "Task", "", "edit", "if assigned to <team> of the shot")
    b.set("vendor", "entity", "Version", "", "see", "no")
    md = sgperms.diff(a, b).to_markdown()
    assert "\\<team\\>" in md and "<team>" not in md
    schema = sgperms.snapshot.report_context(str(studio))["schema"]
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



def test_report_all_over_an_earlier_site_removes_pages_of_roles_gone_and_nothing_else(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    own = {"notes.txt": "ours", "role-mine.html": "our own page, not sgperms'", "role-x.htm": "<!DOCTYPE html>"}
    for name, text in own.items():
        (site / name).write_text(text)
    (site / "role-linked.html").symlink_to(site / "notes.txt")
    sgperms.write_site(sgperms.read_csv("kind,entity_type,name,action,artist,lead,a b\nentity,Asset,,see,yes,no,\n"),
                       site)
    spaced = [p.name for p in site.iterdir() if p.name.startswith("role-a_b-")]
    assert len(spaced) == 1 and (site / "role-lead.html").exists()
    assert sgperms.reports.stale_pages(site, ["role-artist.html"]) == sorted(["role-lead.html", *spaced])
    table = tmp_path / "new.csv"
    table.write_text("kind,entity_type,name,action,artist,vendor\nentity,Asset,,see,yes,no\n")
    r = run("report", table, "--all", "-o", f"{site}/")
    assert r.returncode == 0, r.stderr
    assert r.stderr == (f"wrote 4 pages to {site}/; removed 2 of roles no longer in the table: {spaced[0]}, "
                        f"role-lead.html (open {site}/index.html)\n")
    assert sorted(p.name for p in site.iterdir()) == sorted(
        ["index.html", "matrix.html", "role-artist.html", "role-vendor.html", "role-linked.html", *own])
    assert all((site / name).read_text() == text for name, text in own.items())
    again = run("report", table, "--all", "-o", site)
    assert again.stderr == f"wrote 4 pages to {site}/ (open {site}/index.html)\n"
