"""A snapshot folder and a report site are one unit: killed at every rename,
link and unlink in turn (Debian's strace injects the SIGKILL), failing at any
rename (strace injects the error), run twice at once, or given a planted
symlink, the folder is only ever the previous set or the new one, and no file
of sgperms' own is left after the next run."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from sgperms import folder

from conftest import CLI

# Python's own bytecode cache would add renames of its own to count.
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", SGPERMS_LOCK_WAIT="5")
FILE_CALLS = "rename,renameat,renameat2,link,linkat,unlink,unlinkat"

# A snapshot of the demo studio ("old"), or of the same studio a day later
# ("new": a new role, a person moved to it, the event that says so), through
# the library, in a process of its own so that it can be killed.
SNAPSHOT_SCRIPT = textwrap.dedent(
    """
    import datetime, sys
    import sgperms
    from sgperms import demo
    out, version = sys.argv[1], sys.argv[2]
    sg = demo.build_site()
    table = demo.permission_table(sg.schema_read())
    if version == "new":
        role = sg.create("PermissionRuleSet", {"code": "grader", "display_name": "Grader", "entity_type": "HumanUser"})
        person = sg.find("HumanUser", [], ["login"])[3]
        sg.update("HumanUser", person["id"], {"permission_rule_set": role})
        sg.create("EventLogEntry", {"event_type": "Shotgun_HumanUser_Change", "attribute_name": "permission_rule_set",
                  "created_at": datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc),
                  "entity": {"type": "HumanUser", "id": person["id"]},
                  "meta": {"new_value": {"type": "PermissionRuleSet", "id": role["id"]}}})
        table = None
    sgperms.Site(sg).snapshot(out, permissions=table)
    """
)


@pytest.fixture(scope="module")
def strace():
    """Debian's strace: installed by the test when missing and running as root
    (as CI does), else the test is skipped saying why."""
    found = shutil.which("strace")
    if not found and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "strace"], capture_output=True, timeout=600)
        found = shutil.which("strace")
    if not found:
        pytest.skip("strace is not installed (apt-get install strace) and cannot be installed without root")
    probe = subprocess.run([found, "-f", "-o", os.devnull, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.decode(errors='replace').strip()}")
    return found


def files(path: pathlib.Path) -> dict:
    """Every file of a folder, with snapshot.json's time left out (it is the
    time of the run, the one thing two runs of one site do not share)."""
    out = {}
    for p in sorted(path.iterdir()):
        data = p.read_bytes()
        if p.name == "snapshot.json":
            info = json.loads(data)
            info.pop("taken_at")
            data = json.dumps(info, sort_keys=True).encode()
        out[p.name] = data
    return out


def run_killed(strace_path, command, n, *, inject="signal=SIGKILL", calls=FILE_CALLS, cwd=None):
    """Runs ``command`` with the nth of ``calls`` made to fail (strace -e inject)."""
    return subprocess.run(
        [strace_path, "-f", "-o", os.devnull, "-e", f"inject={calls}:{inject}:when={n}", *command],
        capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300,
    )


def snapshot(out, version):
    return [sys.executable, "-c", SNAPSHOT_SCRIPT, str(out), version]


@pytest.fixture(scope="module")
def old_folder(tmp_path_factory):
    """A folder holding the old set, written by an uninterrupted run."""
    base = tmp_path_factory.mktemp("old") / "snap"
    subprocess.run(snapshot(base, "old"), check=True, env=ENV)
    return base


@pytest.fixture(scope="module")
def reference(old_folder, tmp_path_factory):
    """The old set and the new set, each written by an uninterrupted run."""
    base = tmp_path_factory.mktemp("reference") / "snap"
    shutil.copytree(old_folder, base)
    old = files(base)
    subprocess.run(snapshot(base, "new"), check=True, env=ENV)
    new = files(base)
    changed = {n for n in old if old[n] != new.get(n)}
    assert old != new and changed >= {"roles.csv", "users.csv", "permissions.csv", "history.csv"}
    return old, new


def ours(path: pathlib.Path):
    return sorted(p.name for p in path.iterdir() if p.name.startswith(".sgperms"))


def test_a_snapshot_killed_at_every_file_operation_is_never_seen_as_a_mix(strace, reference, old_folder, tmp_path):
    old, new = reference
    killed = 0
    for n in range(1, 200):
        out = tmp_path / f"kill-{n}"
        shutil.copytree(old_folder, out)
        r = run_killed(strace, snapshot(out, "new"), n)
        if r.returncode == 0:
            break
        assert r.returncode in (-9, 137), (n, r.returncode, r.stderr[-2000:])
        killed += 1
        seen = files(out)
        visible = {k: v for k, v in seen.items() if not k.startswith(".sgperms")}
        if folder.JOURNAL not in seen:
            # Killed before the journal or after the commit: one set or the other.
            assert visible in (old, new), f"kill {n} left a mix"
        # The next sgperms command touching the folder puts it right before reading.
        check = subprocess.run(CLI + ["diff", str(out), str(out)], capture_output=True, text=True, env=ENV)
        assert check.returncode == 0, check.stderr
        after_read = {k: v for k, v in files(out).items() if not k.startswith(".sgperms-") and k != folder.LOCK}
        assert after_read in (old, new), f"kill {n}: not one set after the next command"
        if folder.JOURNAL in seen:
            assert "interrupted write" in check.stderr and "rolled back" in check.stderr
            assert after_read == old
        # And the next snapshot completes, leaving nothing of sgperms' own.
        subprocess.run(snapshot(out, "new"), check=True, env=ENV)
        assert files(out) == new, f"kill {n}"
        assert ours(out) == []
    else:
        pytest.fail("the snapshot never finished under strace")
    # Every rename, link and unlink of a run was a kill point (at least the
    # journal, four replaced files and their backups).
    assert killed >= 9, killed


def test_a_first_snapshot_cut_short_never_blocks_the_next(strace, reference, tmp_path):
    old, _ = reference
    for n in range(1, 200):
        out = tmp_path / f"first-{n}"
        r = run_killed(strace, snapshot(out, "old"), n)
        if r.returncode == 0:
            break
        subprocess.run(snapshot(out, "old"), check=True, env=ENV)
        assert files(out) == old, f"kill {n}"
        assert ours(out) == []


def test_a_rename_that_fails_puts_back_every_file_already_replaced(strace, reference, old_folder, tmp_path):
    old, new = reference
    failed = 0
    for n in range(1, 50):
        out = tmp_path / f"fail-{n}"
        shutil.copytree(old_folder, out)
        r = run_killed(strace, snapshot(out, "new"), n, inject="error=EACCES", calls="rename,renameat,renameat2")
        if r.returncode == 0:
            assert files(out) == new
            break
        failed += 1
        assert "FolderError" in r.stderr and "Permission denied" in r.stderr, r.stderr[-1500:]
        assert files(out) == old, f"rename {n} failed and left a mix"
        assert ours(out) == []
    assert failed >= 5  # the journal and the four replaced files


def test_overlapping_snapshots_never_both_write(old_folder, tmp_path):
    """While one run holds the folder, a second waits (bounded) and then
    exits with one line naming the holder; nothing of its own is written."""
    out = tmp_path / "snap"
    shutil.copytree(old_folder, out)
    before = files(out)
    with folder.writing(out, "sgperms snapshot") as unit:
        holder = (out / folder.LOCK).read_text()
        second = subprocess.run(CLI + ["demo", "-o", str(out)], capture_output=True, text=True,
                                env=dict(ENV, SGPERMS_LOCK_WAIT="0.5"))
        report = subprocess.run(CLI + ["report", str(out / "permissions.csv"), "--all", "-o", str(out)],
                                capture_output=True, text=True, env=dict(ENV, SGPERMS_LOCK_WAIT="0.5"))
        unit.commit([("roles.csv", (out / "roles.csv").read_bytes())])
    for r in (second, report):
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.splitlines()) == 1, r.stderr
        assert f"pid {os.getpid()}, sgperms snapshot on " in r.stderr
        assert "in use by another sgperms process" in r.stderr
    assert holder.startswith(f"pid {os.getpid()}, sgperms snapshot on ")
    assert files(out) == before
    assert ours(out) == []


def test_two_runs_at_once_leave_one_whole_set(reference, old_folder, tmp_path):
    """Two snapshots started together: both finish (the second waits for the
    first), and the folder is one whole set, never roles from one and users
    from the other."""
    _, new = reference
    out = tmp_path / "race"
    shutil.copytree(old_folder, out)
    runs = [subprocess.Popen(snapshot(out, "new"), env=ENV, stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait(timeout=120) for p in runs] == [0, 0]
    assert files(out) == new
    assert ours(out) == []


def test_a_symlink_inside_a_snapshot_folder_is_refused_not_written_through(old_folder, tmp_path):
    out = tmp_path / "snap"
    shutil.copytree(old_folder, out)
    victim = tmp_path / "victim.csv"
    victim.write_text("precious\n")
    (out / "users.csv").unlink()
    (out / "users.csv").symlink_to(victim)
    before = files(out)
    r = subprocess.run(snapshot(out, "new"), capture_output=True, text=True, env=ENV)
    assert r.returncode != 0 and "users.csv: is a symbolic link" in r.stderr
    assert victim.read_text() == "precious\n" and files(out) == before
    # The same through the commands: one line, exit 2.
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").symlink_to(victim)
    table = pathlib.Path(__file__).parent.parent / "examples" / "permissions.csv"
    r = subprocess.run(CLI + ["report", str(table), "--all", "-o", str(site)],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "index.html: is a symbolic link" in r.stderr
    assert victim.read_text() == "precious\n"
    # A planted lock file link is never followed either.
    (site / "index.html").unlink()
    (site / folder.LOCK).symlink_to(victim)
    r = subprocess.run(CLI + ["report", str(table), "--all", "-o", str(site)],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and f"{folder.LOCK}: is a symbolic link" in r.stderr, r.stderr
    assert victim.read_text() == "precious\n"


def test_the_folder_itself_may_be_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    subprocess.run(snapshot(link, "old"), check=True, env=ENV)
    assert (real / "permissions.csv").is_file() and ours(real) == []


# Files of the studio's own in a report site: never removed, though one is named like a role page.
THEIRS = {"notes.txt": b"ours", "role-mine.html": b"a page we wrote ourselves"}


def seeded(path):
    """A folder holding only the studio's own files (THEIRS)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    for name, data in THEIRS.items():
        (path / name).write_bytes(data)
    return path


def test_report_site_killed_at_every_file_operation_is_old_or_new(strace, tmp_path):
    """``report --all`` replaces the whole site as one unit, the page of a
    role no longer in the table (lead) removed in the same unit, and the
    studio's own files kept."""
    site = tmp_path / "site"
    old_csv, new_csv = tmp_path / "old.csv", tmp_path / "new.csv"
    old_csv.write_text("kind,entity_type,name,action,artist,lead\nentity,Asset,,see,yes,yes\n")
    new_csv.write_text("kind,entity_type,name,action,artist,vendor\nentity,Asset,,see,no,yes\n")

    def build(csv):
        target = seeded(tmp_path / f"ref-{csv.stem}")
        subprocess.run(CLI + ["report", str(csv), "--all", "-o", str(target)], check=True, env=ENV, capture_output=True)
        return files(target)

    old, new = build(old_csv), build(new_csv)
    assert "role-lead.html" in old and "role-lead.html" not in new and "role-vendor.html" in new
    assert all(old[name] == new[name] == data for name, data in THEIRS.items())
    for n in range(1, 100):
        seeded(site)
        subprocess.run(CLI + ["report", str(old_csv), "--all", "-o", str(site)], check=True, env=ENV,
                       capture_output=True)
        r = run_killed(strace, CLI + ["report", str(new_csv), "--all", "-o", str(site)], n)
        if r.returncode == 0:
            assert files(site) == new
            break
        journal = (site / folder.JOURNAL).exists()
        said = []
        folder.recover(site, notice=said.append)
        assert bool(said) == journal
        visible = {k: v for k, v in files(site).items() if not k.startswith(".sgperms")}
        assert visible == old if journal else visible in (old, new), f"kill {n}"
        r = subprocess.run(CLI + ["report", str(new_csv), "--all", "-o", str(site)], env=ENV, capture_output=True)
        assert r.returncode == 0 and files(site) == new and ours(site) == []
    else:
        pytest.fail("report --all never finished under strace")


def test_demo_cut_short_then_run_again_is_whole(strace, tmp_path):
    """``demo -o``: a first run killed at any file operation never blocks the
    next, which leaves the whole demo and nothing else."""
    reference = tmp_path / "reference"
    subprocess.run(CLI + ["demo", "-o", str(reference), "-q"], check=True, env=ENV, capture_output=True)
    expected = files(reference)
    assert "tiers.txt" in expected
    for n in range(1, 100, 3):
        out = tmp_path / f"demo-{n}"
        r = run_killed(strace, CLI + ["demo", "-o", str(out), "-q"], n)
        if r.returncode == 0:
            break
        again = subprocess.run(CLI + ["demo", "-o", str(out), "-q"], env=ENV, capture_output=True, text=True)
        assert again.returncode == 0, (n, again.stderr)
        assert files(out) == expected and ours(out) == []


def test_a_reader_waits_for_a_writer_and_never_sees_half(tmp_path):
    """A reader holds a shared lock: while it reads, no writer replaces files;
    while a writer replaces them, the reader waits."""
    out = tmp_path / "f"
    with folder.writing(out, "test") as unit:
        unit.commit([("a", b"1"), ("b", b"1")])
    seen = []

    def reader():
        with folder.reading(out):
            seen.append(((out / "a").read_bytes(), (out / "b").read_bytes()))

    with folder.writing(out, "test") as unit:
        t = threading.Thread(target=reader)
        t.start()
        time.sleep(0.3)
        assert seen == [], "the reader waited for the writer"
        unit.commit([("a", b"2"), ("b", b"2")])
    t.join(10)
    assert seen == [(b"2", b"2")]
    assert ours(out) == []


def test_lock_wait_is_checked():
    os.environ[folder.LOCK_WAIT_ENV] = "soon"
    try:
        with pytest.raises(ValueError, match="SGPERMS_LOCK_WAIT='soon': expected a number of seconds"):
            folder.lock_wait()
    finally:
        del os.environ[folder.LOCK_WAIT_ENV]
    assert folder.lock_wait() == 30.0


def test_a_journal_that_cannot_be_read_or_a_bad_lock_wait_is_one_line(old_folder, tmp_path):
    out = tmp_path / "snap"
    shutil.copytree(old_folder, out)
    before = files(out)
    (out / folder.JOURNAL).write_text("{not json")
    r = subprocess.run(CLI + ["diff", str(out), str(out)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "the journal of an interrupted write cannot be read" in r.stderr and "Traceback" not in r.stderr
    assert {k: v for k, v in files(out).items() if k != folder.JOURNAL} == before
    (out / folder.JOURNAL).unlink()
    (out / folder.JOURNAL).write_text('{"holder": "pid 1", "files": []}')
    for command in (["diff", str(out), str(out)], ["demo", "-o", str(tmp_path / "new")]):
        r = subprocess.run(CLI + command, capture_output=True, text=True, env=dict(ENV, SGPERMS_LOCK_WAIT="soon"))
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
        assert "SGPERMS_LOCK_WAIT='soon': expected a number of seconds" in r.stderr and "bug" not in r.stderr
    r = subprocess.run(CLI + ["diff", str(out), str(out)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0 and "(pid 1) was rolled back; nothing had been replaced" in r.stderr, r.stderr
    assert files(out) == before
