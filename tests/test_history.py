"""``sgperms log``, ``sgperms.log`` / ``History`` and ``DIR@REV``: a
snapshot folder's history read from a real git repository made by the test
(git driven through its command line, commits dated as a nightly job would)."""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import stat
import subprocess
import sys

import pytest

import sgperms
from sgperms import history
from sgperms.snapshot import HISTORY_HEADER, ROLES_HEADER, USERS_HEADER

from conftest import run_cli

HEADER = "kind,entity_type,name,action,artist,lead,note\n"
BASE = {
    ("entity", "Version", "", "retire"): ("no", "yes", ""),
    ("entity", "Shot", "", "see"): ("yes", "yes", ""),
    ("field", "Shot", "sg_status_list", "edit"): ("no", "yes", "leads own status"),
}


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


class Studio:
    """A git work tree holding the snapshot folder ``snap/``, committed night by night."""

    def __init__(self, root: pathlib.Path, folder: str = "snap") -> None:
        self.root = root
        self.snap = root / folder
        self.snap.mkdir(exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "cron@studio.test")
        self.git("config", "user.name", "cron")
        self.cells = dict(BASE)
        self.roles = ["artist", "lead"]
        self.users = {"ada": "artist", "bo": "lead"}
        self.events: list[list[str]] = []

    def git(self, *args: str, date: str | None = None) -> str:
        env = dict(os.environ)
        if date:
            env.update(GIT_COMMITTER_DATE=date, GIT_AUTHOR_DATE=date)
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True)
        return done.stdout

    def write(self) -> None:
        roles = [list(ROLES_HEADER)] + [[r, r.title(), "HumanUser", "", "no", str(i)]
                                         for i, r in enumerate(self.roles, 1)]
        users = [list(USERS_HEADER)] + [["HumanUser", str(i), login, login.title(), "yes", role]
                                         for i, (login, role) in enumerate(sorted(self.users.items()), 1)]
        table = [["kind", "entity_type", "name", "action", *self.roles, "note"]]
        for target, values in sorted(self.cells.items()):
            table.append([*target, *values])
        (self.snap / "roles.csv").write_text(csv_text(roles))
        (self.snap / "users.csv").write_text(csv_text(users))
        (self.snap / "permissions.csv").write_text(csv_text(table))
        (self.snap / "history.csv").write_text(csv_text([list(HISTORY_HEADER), *self.events]))

    def night(self, day: str, message: str = "nightly permissions snapshot") -> str:
        """Writes the folder and commits it dated ``day`` 02:00 UTC; returns the commit id."""
        self.write()
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=f"{day}T02:00:00+00:00")
        return self.git("rev-parse", "HEAD").strip()

    def event(self, time: str, who: str, kind: str, role: str, user: str, description: str) -> None:
        self.events.append([str(len(self.events) + 100), time, who, kind, role, user, description, ""])


@pytest.fixture
def studio(tmp_path: pathlib.Path) -> Studio:
    return Studio(tmp_path)


def year(studio: Studio) -> dict[str, str]:
    """Four nights: the start, artists given Version retire (with its event),
    a promotion, a new role and a new row. Returns the commit ids by day."""
    ids = {"01-01": studio.night("2026-01-01")}
    studio.cells[("entity", "Version", "", "retire")] = ("yes", "yes", "artists clean up their own versions")
    studio.event("2026-01-12T09:30:00Z", "yara.sato", "rule_changed", "artist", "",
                 "Permission rule changed for Artist: retire Version")
    studio.event("2026-01-12T09:40:00Z", "yara.sato", "rule_changed", "lead", "", "a lead rule changed and back")
    ids["01-12"] = studio.night("2026-01-12")
    studio.users["ada"] = "lead"
    studio.event("2026-02-03T11:00:00Z", "max.payne", "role_assigned", "lead", "ada", "Ada promoted to Lead")
    ids["02-03"] = studio.night("2026-02-03")
    studio.roles.append("vendor")
    studio.cells = {t: (*v[:2], "no", v[2]) for t, v in studio.cells.items()}
    studio.cells[("entity", "Asset", "", "see")] = ("yes", "yes", "no", "")
    ids["03-01"] = studio.night("2026-03-01")
    return ids


def test_log_lists_each_change_oldest_first_with_who_made_it(studio: Studio) -> None:
    ids = year(studio)
    h = sgperms.log(studio.snap)
    assert h.start is not None and h.start.id == ids["01-01"] and h.commits == 4
    assert [r["commit"] for r in h] == sorted((r["commit"] for r in h), key=list(ids.values()).index)
    assert ids["01-01"] not in {r["commit"] for r in h}  # the starting point, not a list of changes
    retire = [r for r in h if r["change"] == "cell" and r["entity_type"] == "Version" and r["role"] == "artist"]
    assert len(retire) == 1
    r = retire[0]
    assert (r["commit"], r["date"], r["role"], r["kind"], r["name"], r["action"], r["before"], r["after"]) == (
        ids["01-12"], "2026-01-12T02:00:00Z", "artist", "entity", "", "retire", "no", "yes")
    assert r["note"] == "artists clean up their own versions"
    assert r["who"] == "yara.sato"
    assert [e["description"] for e in r["events"]] == ["Permission rule changed for Artist: retire Version"]
    assert set(r) == set(history.KEYS) and list(r) == list(history.KEYS)
    # The lead event changed nothing the snapshot saw: listed on its own, not dropped.
    alone = [x for x in h if x["change"] == "event"]
    assert [(x["role"], x["who"], x["commit"]) for x in alone] == [("lead", "yara.sato", ids["01-12"])]


def test_log_lists_assignments_roles_and_rows(studio: Studio) -> None:
    ids = year(studio)
    h = sgperms.log(studio.snap)
    promoted = [r for r in h if r["change"] == "assignment"]
    assert [(r["user"], r["before"], r["after"], r["date"], r["who"]) for r in promoted] == [
        ("ada", "artist", "lead", "2026-02-03T02:00:00Z", "max.payne")]
    march = [r for r in h if r["commit"] == ids["03-01"]]
    assert ("role_added", "vendor") in {(r["change"], r["role"]) for r in march}
    assert ("target_added", "entity:Asset::see") in {(r["change"], history._rule(r)) for r in march}
    studio.roles.remove("vendor")
    studio.cells = {t: (v[0], v[1], v[3]) for t, v in studio.cells.items()}
    del studio.users["bo"]
    studio.night("2026-03-02")
    last = [r for r in sgperms.log(studio.snap, since="2026-03-02")]
    assert {(r["change"], r["role"], r["user"]) for r in last} >= {
        ("role_removed", "vendor", ""), ("user_removed", "lead", "bo")}


def test_cell_history_answers_when_and_who(studio: Studio) -> None:
    ids = year(studio)
    h = sgperms.log(studio.snap, cell="artist:entity:Version::retire")
    assert h.start_value == "no"
    assert [(r["change"], r["commit"], r["before"], r["after"], r["who"]) for r in h] == [
        ("cell", ids["01-12"], "no", "yes", "yara.sato")]
    text = h.to_text()
    assert "artist:entity:Version::retire at the start" in text and ": no\n" in text
    assert "artist entity:Version::retire: no -> yes" in text
    assert "2026-01-12T09:30:00Z yara.sato: Permission rule changed for Artist" in text
    field = sgperms.log(studio.snap, cell="lead:field:Shot:sg_status_list:edit")
    assert len(field) == 0 and field.start_value == "yes"
    with pytest.raises(ValueError, match="ROLE:KIND:ENTITY:NAME:ACTION"):
        sgperms.log(studio.snap, cell="artist:entity:Version:retire")


def test_role_filter_keeps_the_role_and_its_people(studio: Studio) -> None:
    year(studio)
    h = sgperms.log(studio.snap, role="lead")
    assert {r["change"] for r in h} == {"assignment", "event", "cell"}
    assert all("lead" in (r["role"], r["before"]) for r in h)
    with pytest.raises(sgperms.HistoryError, match=r'"leed".*did you mean "lead"'):
        sgperms.log(studio.snap, role="leed")


def test_since_and_until_start_from_the_commit_before(studio: Studio) -> None:
    ids = year(studio)
    h = sgperms.log(studio.snap, since="2026-02-01", until="2026-02-28")
    assert h.start is not None and h.start.id == ids["01-12"]
    assert {r["commit"] for r in h} == {ids["02-03"]}
    assert len(sgperms.log(studio.snap, until="2026-01-11")) == 0
    until_day = sgperms.log(studio.snap, until="2026-01-12")  # the day itself is included
    assert {r["commit"] for r in until_day} == {ids["01-12"]}
    with pytest.raises(sgperms.HistoryError, match="YYYY-MM-DD"):
        sgperms.log(studio.snap, since="last week")


def test_an_unreadable_night_is_named_and_skipped(studio: Studio) -> None:
    ids = year(studio)
    good = (studio.snap / "permissions.csv").read_text()
    broken = good.replace("entity,Shot,,see,yes,yes,no,", "entity,Shot,,see,yes,maybe,no,")
    assert broken != good
    (studio.snap / "permissions.csv").write_text(broken)
    studio.git("commit", "-qam", "hand edit", date="2026-03-05T02:00:00+00:00")
    bad = studio.git("rev-parse", "HEAD").strip()
    studio.cells[("entity", "Shot", "", "see")] = ("no", "yes", "no", "")
    late = studio.night("2026-03-06")
    h = sgperms.log(studio.snap)
    assert [s["commit"] for s in h.skipped] == [bad]
    error = h.skipped[0]["error"]
    assert f"snap/permissions.csv@{bad[:10]}" in error and "row" in error and "column" in error and "maybe" in error
    after = [r for r in h if r["commit"] == late]
    # Compared with the last night that read, not with the broken one.
    assert [(r["role"], r["before"], r["after"]) for r in after if r["entity_type"] == "Shot"] == [
        ("artist", "yes", "no")]
    assert ids["03-01"] in {r["commit"] for r in h}
    out = run_cli("log", "snap", cwd=studio.root)
    assert out.returncode == 0, out.stderr
    assert f"! snap/permissions.csv@{bad[:10]}" in out.stdout and "(skipped)" in out.stdout
    assert "could not be read and were skipped" in out.stderr


def test_diff_reads_a_folder_at_a_revision_or_a_day(studio: Studio) -> None:
    ids = year(studio)
    a = run_cli("diff", "snap@HEAD~3", "snap@2026-01-20", cwd=studio.root)
    assert a.returncode == 1, a.stderr
    assert "artist entity:Version::retire: no -> yes" in a.stdout
    same = run_cli("diff", f"snap@{ids['03-01'][:12]}", "snap", cwd=studio.root)
    assert same.returncode == 0 and "no changes" in same.stdout
    file_at = sgperms.table_at(studio.snap / "permissions.csv", "2026-01-01")
    assert file_at.get("artist", "entity", "Version", "", "retire") == "no"
    assert sgperms.table_at(studio.root / "snap", "main").roles == ["artist", "lead", "vendor"]
    inside = run_cli("diff", "@HEAD~1", ".", cwd=studio.snap)  # @REV alone: this folder
    assert inside.returncode == 1 and "roles added: vendor" in inside.stdout


@pytest.mark.parametrize("args, message", [
    (["diff", "snap@nosuchrev", "snap"], 'unknown revision "nosuchrev"'),
    (["diff", "snap@2025-12-31", "snap"], "no commit in .* is dated on or before 2025-12-31"),
    (["diff", "snap@-n", "snap"], "is not a revision"),
    (["diff", "elsewhere@HEAD", "snap"], "elsewhere: not in commit"),
    (["log", "snap", "--since", "2026-13-01"], "is not a date"),
    (["log", "other"], "other: never committed to git"),
])
def test_bad_history_input_is_one_line_and_exit_2(studio: Studio, args: list[str], message: str) -> None:
    import re

    year(studio)
    (studio.root / "other").mkdir()
    out = run_cli(*args, cwd=studio.root)
    assert out.returncode == 2, out
    assert out.stdout == "" and len(out.stderr.splitlines()) == 1 and re.search(message, out.stderr), out.stderr


def test_outside_a_work_tree_and_without_commits(tmp_path: pathlib.Path) -> None:
    (tmp_path / "snap").mkdir()
    out = run_cli("log", "snap", cwd=tmp_path, env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert out.returncode == 2 and "snap: not inside a git work tree" in out.stderr
    assert len(out.stderr.splitlines()) == 1
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    out = run_cli("log", "snap", cwd=tmp_path)
    assert out.returncode == 2 and "never committed" in out.stderr


def test_the_forms_agree_and_stay_text(studio: Studio) -> None:
    pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    year(studio)
    hostile = '=HYPERLINK("http://x")<script>\x1b[2J'
    studio.cells[("entity", "Shot", "", "see")] = ("no", "yes", "no", hostile)
    studio.event("2026-03-04T10:00:00Z", "<b>eve</b>", "rule_changed", "artist", "", "*bold* [link](x)")
    studio.night("2026-03-04")
    h = sgperms.log(studio.snap)
    rows = list(csv.reader(io.StringIO(h.to_csv())))
    assert rows[0] == list(history.KEYS) and len(rows) == len(h) + 1
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    data = json.loads(h.to_json())
    assert data["records"] == list(h) and data["start"]["commit"] == h.start.id and data["skipped"] == []
    assert "\x1b" not in h.to_json()
    frame = h.to_pandas()
    assert list(frame.columns) == list(history.KEYS) and len(frame) == len(h)
    arrow = pa.table(h)
    assert arrow.column_names == list(history.KEYS)
    assert arrow.column("after").to_pylist() == [r["after"] for r in h]
    assert arrow.column("events").to_pylist() == frame["events"].tolist()
    polars = pytest.importorskip("polars")
    assert polars.DataFrame(h)["who"].to_list() == [r["who"] for r in h]
    assert "<script>" not in h._repr_html_() and "&lt;b&gt;eve" in h._repr_html_()
    md = h.to_markdown()
    assert "<script>" not in md and "\\*bold\\*" in md
    text = run_cli("log", studio.snap, cwd=studio.root).stdout
    assert "\x1b" not in text and "\\x1b[2J" in text


def test_merged_branches_count_once_on_the_main_line(studio: Studio) -> None:
    ids = year(studio)
    studio.git("checkout", "-q", "-b", "edit")
    studio.cells[("entity", "Shot", "", "see")] = ("no", "yes", "no", "")
    studio.night("2026-03-02")
    studio.git("checkout", "-q", "main")
    studio.git("merge", "-q", "--no-ff", "-m", "merge edit", "edit", date="2026-03-03T02:00:00+00:00")
    h = sgperms.log(studio.snap)
    merge = studio.git("rev-parse", "HEAD").strip()
    shot = [r for r in h if r["entity_type"] == "Shot" and r["change"] == "cell" and r["role"] == "artist"]
    assert [(r["commit"], r["date"]) for r in shot] == [(merge, "2026-03-03T02:00:00Z")]
    assert ids["03-01"] in {r["commit"] for r in h}


def test_git_runs_a_fixed_number_of_times_however_long_the_history(studio: Studio, tmp_path_factory) -> None:
    """The versions stream through one cat-file process: a git that logs its
    calls sees as many calls for 12 nights as for 3."""
    shim = tmp_path_factory.mktemp("shim")
    calls = shim / "calls"
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout.strip()
    (shim / "git").write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexec "{real}" "$@"\n')
    (shim / "git").chmod(stat.S_IRWXU)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}

    def counted() -> int:
        calls.write_text("")
        out = subprocess.run([sys.executable, "-m", "sgperms", "log", "snap", "-q"], cwd=studio.root, env=env,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return len(calls.read_text().splitlines())

    for day in range(1, 4):
        studio.cells[("entity", "Shot", "", "see")] = ("yes" if day % 2 else "no", "yes", "")
        studio.night(f"2026-01-0{day}")
    few = counted()
    for day in range(10, 19):
        studio.cells[("entity", "Shot", "", "see")] = ("yes" if day % 2 else "no", "yes", "")
        studio.night(f"2026-01-{day}")
    assert counted() == few
    assert "cat-file --batch" in calls.read_text()


def test_the_readme_example_is_what_log_prints(studio: Studio) -> None:
    import re

    year(studio)
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("$ sgperms log snap --cell artist:entity:Version::retire\n", 1)[1].split("```", 1)[0]
    out = run_cli("log", "snap", "--cell", "artist:entity:Version::retire", cwd=studio.root)
    assert out.returncode == 0, out.stderr

    def hexless(text: str) -> str:
        return re.sub(r"\b[0-9a-f]{10}\b", "<commit>", text)

    assert hexless(out.stdout) == hexless(block)


def test_revisions_with_at_signs_and_folders_with_them(studio: Studio) -> None:
    year(studio)
    odd = studio.root / "a@b"
    odd.mkdir()
    (odd / "permissions.csv").write_text(HEADER + "entity,Shot,,see,yes,no,\n")
    studio.git("add", "-A")
    studio.git("commit", "-qm", "odd folder", date="2026-03-02T02:00:00+00:00")
    (odd / "permissions.csv").write_text(HEADER + "entity,Shot,,see,no,no,\n")
    at = run_cli("diff", "a@b@HEAD", "a@b", cwd=studio.root)
    assert at.returncode == 1 and "artist entity:Shot::see: yes -> no" in at.stdout, at
    reflog = run_cli("diff", "snap@HEAD@{1}", "snap@@{0}", cwd=studio.root)
    assert reflog.returncode == 0, reflog.stderr
    whole = run_cli("diff", "a@b", "a@b", cwd=studio.root)  # a path that exists is a path
    assert whole.returncode == 0


def test_a_file_broken_for_several_nights_is_named_once(studio: Studio) -> None:
    year(studio)
    (studio.snap / "history.csv").write_text("not,a,history,file\n")
    studio.git("commit", "-qam", "broken history", date="2026-03-02T02:00:00+00:00")
    studio.users["cy"] = "artist"
    studio.write()
    (studio.snap / "history.csv").write_text("not,a,history,file\n")
    studio.git("add", "-A")
    studio.git("commit", "-qm", "a new person, history still broken", date="2026-03-03T02:00:00+00:00")
    h = sgperms.log(studio.snap, since="2026-03-02")
    assert [s["file"].split("@")[0] for s in h.skipped] == [os.path.join(str(studio.snap), "history.csv")]
    assert "not a sgperms history file" in h.skipped[0]["error"]
    assert [(r["change"], r["user"]) for r in h] == [("user_added", "cy")]


def test_windows_without_commits_and_folders_without_a_table(studio: Studio) -> None:
    year(studio)
    empty = sgperms.log(studio.snap, since="2027-01-01")
    assert len(empty) == 0 and empty.start is None
    assert empty.summary() == "no commit touched the folder from 2027-01-01"
    assert "no commit touched" in empty.to_text() and json.loads(empty.to_json())["start"] is None
    (studio.root / "users-only").mkdir()
    (studio.root / "users-only" / "users.csv").write_text("login,role\nada,artist\n")
    studio.git("add", "-A")
    studio.git("commit", "-qm", "users only")
    out = run_cli("log", "users-only", cwd=studio.root)
    assert out.returncode == 2 and "no commit holds permissions.csv" in out.stderr


def test_read_ahead_hands_over_in_order_and_stops_early(studio: Studio) -> None:
    from sgperms.git import Objects, ReadAhead, Repo

    ids = year(studio)
    repo, _ = Repo.around(str(studio.snap))
    with Objects(repo) as objects:
        blobs = [objects.id(repo.resolve(c), "snap/permissions.csv")[0] for c in ids.values()]
        ahead = ReadAhead(repo, blobs)
        assert ahead.take(blobs[1]) == objects.read(blobs[1])  # the first is dropped
        ahead.close()  # with versions still ahead: returns, git ends
        ahead = ReadAhead(repo, blobs[:1])
        assert ahead.take("0" * 40) is None  # not ahead: the caller reads it itself
        ahead.close()
        missing = ReadAhead(repo, ["f" * 40])
        with pytest.raises(sgperms.HistoryError, match="no object"):
            missing.take("f" * 40)
        missing.close()


def test_the_readme_nightly_job_snapshots_into_the_repository_root(tmp_path: pathlib.Path) -> None:
    """The README's cron job runs `sgperms snapshot -o .` at the top of the repository."""
    studio = Studio(tmp_path, folder=".")
    ids = year(studio)
    h = sgperms.log(studio.root)
    assert {r["commit"] for r in h} == {ids["01-12"], ids["02-03"], ids["03-01"]}
    out = run_cli("log", ".", "--cell", "artist:entity:Version::retire", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)["records"]
    assert [(r["before"], r["after"], r["who"]) for r in records] == [("no", "yes", "yara.sato")]
    at = run_cli("diff", "@2026-01-01", ".", "--format", "csv", cwd=tmp_path)
    assert at.returncode == 1 and "cell,artist,entity,Version,,retire,no,yes" in at.stdout
    bad = run_cli("log", ".", "--role", "artist", cwd=tmp_path / ".git")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr


def test_a_deleted_table_is_said_and_its_return_compared_with_the_last_one(studio: Studio) -> None:
    ids = year(studio)
    studio.git("rm", "-q", "snap/permissions.csv")
    studio.git("commit", "-qm", "oops", date="2026-03-02T02:00:00+00:00")
    gone = studio.git("rev-parse", "HEAD").strip()
    studio.cells[("entity", "Shot", "", "see")] = ("no", "yes", "no", "")
    back = studio.night("2026-03-03")
    h = sgperms.log(studio.snap)
    assert [(s["commit"], "deleted in this commit" in s["error"]) for s in h.skipped] == [(gone, True)]
    shot = [(r["commit"], r["role"], r["before"], r["after"]) for r in h if r["entity_type"] == "Shot"
            and r["commit"] != ids["03-01"]]
    assert shot == [(back, "artist", "yes", "no")]
    assert ids["03-01"] in {r["commit"] for r in h}


def test_a_table_file_has_its_own_history(studio: Studio) -> None:
    """A studio that keeps a plain CSV in git (no snapshot folder) logs the file."""
    ids = year(studio)
    h = sgperms.log(studio.snap / "permissions.csv", cell="artist:entity:Version::retire")
    assert [(r["commit"], r["after"], r["who"]) for r in h] == [(ids["01-12"], "yes", "yara.sato")]
    (studio.root / "perms").mkdir()
    (studio.root / "perms" / "site.csv").write_text(HEADER + "entity,Shot,,see,yes,no,\n")
    studio.git("add", "-A")
    studio.git("commit", "-qm", "site", date="2026-03-04T02:00:00+00:00")
    (studio.root / "perms" / "site.csv").write_text(HEADER + "entity,Shot,,see,yes,yes,a lead may see shots\n")
    studio.git("commit", "-qam", "site", date="2026-03-05T02:00:00+00:00")
    out = run_cli("log", "perms/site.csv", "--format", "csv", cwd=studio.root)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["change"], r["role"], r["before"], r["after"]) for r in rows] == [
        ("cell", "lead", "no", "yes"), ("note", "", "", "a lead may see shots")]


@pytest.mark.parametrize("cell, message", [
    ("artist:entity:Versoin::retire", 'no version of the folder has the row "entity:Versoin::retire".*'
                                      'did you mean "entity:Version::retire"'),
    ("artist:entty:Version::retire", 'unknown kind "entty"'),
])
def test_a_cell_no_version_has_is_an_error_not_an_empty_answer(studio: Studio, cell: str, message: str) -> None:
    import re

    year(studio)
    out = run_cli("log", "snap", "--cell", cell, cwd=studio.root)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert re.search(message, out.stderr), out.stderr
    # A row added later is found: its history starts with the row.
    asset = sgperms.log(studio.snap, cell="vendor:entity:Asset::see")
    assert [(r["change"], r["after"]) for r in asset] == [("role_added", ""), ("target_added", ""), ("cell", "no")]


def test_a_click_plan_at_a_revision_names_roles_as_that_commit_did(studio: Studio) -> None:
    year(studio)
    out = run_cli("diff", "snap@2026-01-01", "snap@2026-01-12", "--format", "plan", cwd=studio.root)
    assert out.returncode == 1, out.stderr
    assert "Permissions > Artist > Entity Permissions > Version: tick Retire" in out.stdout


def test_the_text_form_counts_a_new_roles_cells_and_the_data_forms_list_them(studio: Studio) -> None:
    ids = year(studio)
    h = sgperms.log(studio.snap)
    vendor_cells = [r for r in h if r["change"] == "cell" and r["role"] == "vendor"]
    assert len(vendor_cells) == 4  # every row of the new role, in the records
    text = h.to_text()
    assert "role added: vendor (4 cells set: see them with --role vendor)" in text
    assert "\n  vendor " not in text
    assert len(list(csv.reader(io.StringIO(h.to_csv())))) == len(h) + 1
    assert sgperms.log(studio.snap, role="vendor").to_text().count("\n  vendor ") == 4
    assert ids["03-01"][:10] in text


def test_the_log_is_the_diff_of_each_pair_of_nights_the_folder_kept(studio: Studio) -> None:
    """Random nights (cells, notes, rows and roles changed, some nights only
    people): each commit's table records are exactly ``sgperms.diff`` of the
    tables ``table_at`` reads at it and at the commit before."""
    import random

    rng = random.Random(15)
    commits = [studio.night("2026-01-01")]
    for night in range(2, 18):
        cells = dict(studio.cells)
        for _ in range(rng.randint(0, 3)):
            target = rng.choice(sorted(cells))
            values = list(cells[target])
            i = rng.randrange(len(values))
            values[i] = rng.choice(["yes", "no", "inherit", "hostile, \"quoted\" note"]) if i == len(values) - 1 \
                else rng.choice(["yes", "no"] if target[0] == "entity" else ["yes", "no", "inherit"])
            cells[target] = tuple(values)
        if rng.random() < 0.3:
            cells[("entity", f"Custom{night:02d}", "", "see")] = tuple(["yes"] * len(studio.roles) + [""])
        if rng.random() < 0.2 and len(cells) > 3:
            del cells[rng.choice(sorted(cells))]
        if night == 9:
            studio.roles.append("vendor")
            cells = {t: (*v[:-1], "no", v[-1]) for t, v in cells.items()}
        if rng.random() < 0.3:
            studio.users[rng.choice(["ada", "bo"])] = rng.choice(studio.roles)
        studio.cells = cells
        commits.append(studio.night(f"2026-01-{night:02d}"))
    h = sgperms.log(studio.snap)
    table_changes = {"cell", "note", "role_added", "role_removed", "target_added", "target_removed"}
    for before, after in zip(commits, commits[1:]):
        expected = [dict(r) for r in sgperms.diff(sgperms.table_at(studio.snap, before),
                                                  sgperms.table_at(studio.snap, after))]
        found = [{k: r[k] for k in expected[0]} if expected else r for r in h
                 if r["commit"] == after and r["change"] in table_changes]
        assert found == expected, after
    kinds = {r["change"] for r in h}
    assert {"cell", "note", "role_added", "target_added", "target_removed", "assignment"} <= kinds, kinds
    people = [(r["user"], r["after"]) for r in h if r["change"] == "assignment"]
    assert people and all(role in studio.roles for _, role in people)


def test_the_log_warns_of_no_formula_however_many_versions_hold_one(studio: Studio) -> None:
    """Each version of a file would warn again: the log reads them quietly
    (its CSV neutralises formulas); one read of a table at a revision warns."""
    import warnings

    studio.users["=cmd|' /C calc'!A0"] = "artist"
    studio.event("2026-01-01T01:00:00Z", "=HYPERLINK(\"x\")", "rule_changed", "artist", "", "+1")
    studio.night("2026-01-01")
    studio.users["bo"] = "artist"
    studio.event("2026-01-02T01:00:00Z", "@SUM(1)", "rule_changed", "artist", "", "-2")
    studio.cells[("entity", "Shot", "", "see")] = ("no", "yes", "=1+1")
    studio.night("2026-01-02")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = sgperms.log(studio.snap)
    assert [w for w in caught if issubclass(w.category, sgperms.FormulaWarning)] == []
    assert {r["change"] for r in h} >= {"assignment", "cell"} and "@SUM(1)" in {r["who"] for r in h}
    with pytest.warns(sgperms.FormulaWarning):
        sgperms.table_at(studio.snap, "HEAD")


def test_a_folder_reached_through_a_symlink_is_the_folder_it_points_to(studio: Studio, tmp_path_factory) -> None:
    year(studio)
    link = tmp_path_factory.mktemp("elsewhere") / "snap-link"
    link.symlink_to(studio.snap, target_is_directory=True)
    through = sgperms.log(link)
    assert list(through) == list(sgperms.log(studio.snap))
    assert through.folder == str(link)  # named as given
    at = run_cli("diff", f"{link}@2026-01-01", str(link), cwd=link.parent)
    assert at.returncode == 1 and "artist entity:Version::retire: no -> yes" in at.stdout, at.stderr
