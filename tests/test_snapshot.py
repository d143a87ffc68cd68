"""Snapshots of odd sites and folders: partial writes, bad URLs, hangs,
mixed credentials, foreign folders, hand-edited files, unusual roles, time
zones."""

import datetime as dt
import json
import os
import shlex
import socket
import subprocess
import threading

import pytest

import sgperms
from sgperms import cli, demo

from conftest import run_cli


@pytest.fixture
def sg():
    return demo.build_site()


def files(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_a_write_failure_leaves_the_whole_previous_snapshot(sg, tmp_path):
    sgperms.Site(sg).snapshot(tmp_path)
    (tmp_path / "permissions.csv").chmod(0o444)
    before = files(tmp_path)
    sg.create("PermissionRuleSet", {"code": "new_role", "display_name": "New Role", "entity_type": "HumanUser"})
    with pytest.raises(sgperms.folder.FolderError, match=r"permissions\.csv: the file is read-only") as refused:
        sgperms.Site(sg).snapshot(tmp_path)
    assert refused.value.kind == "refused" and isinstance(refused.value, OSError)
    assert files(tmp_path) == before


@pytest.mark.parametrize("url", ["https://h.invalid:99999", "https://[bad", "http://host:abc", "not-a-url", "ftp://x"])
def test_bad_urls_are_one_line(url, capsys, tmp_path):
    code = cli.main(["snapshot", "-o", str(tmp_path / "out"), "--site", url, "--script-name", "s", "--api-key",
                     "key-123456"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "expected a URL such as https://" in err


def test_sessions_have_a_timeout_and_a_silent_server_does_not_hang(tmp_path):
    args = cli.build_parser().parse_args(["snapshot", "-o", "x", "--site", "https://s.example", "--session-token",
                                          "t" * 10])
    cli._connect.resolve_credentials(args)
    assert cli._connect.connect(args).config.timeout_secs == 60.0
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    port = server.getsockname()[1]
    env = dict(os.environ, SGPERMS_SESSION_TOKEN="token-abcdef")
    r = run_cli(
        "snapshot", "-o", tmp_path / "o", "--site", f"http://127.0.0.1:{port}", "--timeout", "1",
        env=env, timeout=300,  # a guard for the harness, not a timing assertion
    )
    assert r.returncode == 2 and "could not snapshot" in r.stderr
    server.close()


def test_credential_flags_replace_the_environment(monkeypatch, sg, tmp_path, capsys):
    seen = {}

    def connect(args):
        seen.update({name: getattr(args, name) for name in cli.CREDENTIALS})
        return sg

    monkeypatch.setattr(cli._connect, "connect", connect)
    monkeypatch.setenv("SGPERMS_SITE", demo.DEMO_URL)
    monkeypatch.setenv("SGPERMS_SCRIPT_NAME", "stale_script")
    monkeypatch.setenv("SGPERMS_API_KEY", "stale-key-123")
    assert cli.main(["snapshot", "-o", str(tmp_path), "--login", "me", "--password", "pw-123456"]) == 0
    assert seen == {"script_name": None, "api_key": None, "login": "me", "password": "pw-123456", "session_token": None}
    capsys.readouterr()


def test_folders_of_another_site_or_of_other_files_are_refused(sg, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "snapshot.json").write_text(json.dumps({"site": "https://another.shotgrid.autodesk.com"}))
    with pytest.raises(ValueError, match=r"holds a snapshot of https://another\.shotgrid\.autodesk\.com"):
        sgperms.Site(sg).snapshot(other)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "users.csv").write_text("my own list\n")
    with pytest.raises(ValueError, match="sgperms would overwrite a file it did not write"):
        sgperms.Site(sg).snapshot(mine)
    assert (mine / "users.csv").read_text() == "my own list\n"
    r = run_cli("demo", "-o", mine)
    assert r.returncode == 2 and "is not empty and holds no earlier demo" in r.stderr
    assert sorted(os.listdir(mine)) == ["users.csv"]


def test_previous_table_is_read_against_the_site(sg, tmp_path):
    sgperms.Site(sg).snapshot(tmp_path)
    text = (tmp_path / "permissions.csv").read_text()
    header, rest = text.split("\n", 1)
    header = header.replace(",artist,", ",Artist,")
    rest = "".join(line + "\n" for line in rest.splitlines() if not line.startswith("field,Shot,sg_status_list,edit,"))
    row = header.split(",")
    extra = ["field", "Shots", "Status", "edit"] + ["no"] * (len(row) - 5) + ["artists never touch shot status"]
    (tmp_path / "permissions.csv").write_text(header + "\n" + rest + ",".join(extra) + "\n")
    result = sgperms.Site(sg).snapshot(tmp_path)
    assert result.dropped == [] and result.dropped_roles == []
    t = sgperms.read_csv(tmp_path / "permissions.csv")
    assert t.get("artist", "field", "Shot", "sg_status_list", "edit") == "no"
    assert t.note("field", "Shot", "sg_status_list", "edit") == "artists never touch shot status"


def test_history_files_saved_by_spreadsheets(sg, tmp_path):
    sgperms.Site(sg).snapshot(tmp_path)
    history = tmp_path / "history.csv"
    history.write_bytes(b"\xef\xbb\xbf" + history.read_bytes())
    sgperms.Site(sg).snapshot(tmp_path)
    history.write_text("")
    sgperms.Site(sg).snapshot(tmp_path)
    assert len(history.read_text().splitlines()) > 5
    with open(history, "a") as f:
        f.write("1,2\n")
    with pytest.raises(ValueError, match=r"history.csv, row \d+: expected 8 fields"):
        sgperms.Site(sg).snapshot(tmp_path)


def test_roles_that_cannot_be_columns_are_left_out_and_listed(sg, tmp_path):
    for code in ("note", " spaced ", "artist"):
        sg.create("PermissionRuleSet", {"code": code, "display_name": code, "entity_type": "ApiUser"})
    result = sgperms.Site(sg).snapshot(tmp_path)
    skipped = dict(result.skipped_roles)
    assert set(skipped) == {"note", " spaced ", "artist"}
    assert "a second ApiUser role" in skipped["artist"]
    assert "role left out of permissions.csv: 'note'" in result.summary()


def test_meta_dates_are_written_in_utc(sg, monkeypatch):
    tokyo = dt.timezone(dt.timedelta(hours=9))
    sg.create("EventLogEntry", {"event_type": "Shotgun_PermissionRuleSet_ChangeRule",
                                "meta": {"when": dt.datetime(2026, 1, 1, 9, 0, tzinfo=tokyo)},
                                "created_at": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)})
    event = sgperms.Site(sg).history()[-1]
    assert json.loads(event.meta) == {"when": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize("since", [dt.date(2026, 6, 1), dt.datetime(2026, 6, 1), "2026-06-01", "2026-06-01T00:00Z"])
def test_history_since_accepts_dates_naive_times_and_text(sg, since):
    events = sgperms.Site(sg).history(since=since)
    assert events and all(e.time >= "2026-06-01" for e in events)
    with pytest.raises(ValueError, match="expected an event id, a datetime or a date"):
        sgperms.Site(sg).history(since="last week")


def test_secrets_are_scrubbed_however_quoted():
    secret = 'Se"c\\rEt-key-1'
    message = f"server said: {json.dumps(secret)} and {secret!r}"
    assert secret[3:] not in cli._connect.scrub(message, [secret]).replace("***", "")
    assert cli._connect.scrub("x y z", ["y"]) == (
        "details withheld: the message contained a credential too short (under 6 characters) to mask"
    )


def test_demo_hints_are_quoted_and_run(tmp_path):
    out = tmp_path / "my demo"
    r = run_cli("demo", "-o", out)
    assert r.returncode == 0, r.stderr
    lines = [line.strip() for line in r.stdout.splitlines()]
    assert "files: history.csv, permissions.csv, roles.csv, schema.json, snapshot.json, tiers.txt, users.csv" in lines
    hint = next(line for line in lines if line.startswith("python3 -c"))
    ran = subprocess.run(shlex.split(hint), capture_output=True, text=True)
    assert ran.stdout.strip() == "yes", ran.stderr
    check = next(line for line in lines if line.startswith("sgperms tiers check")).split("#")[0]
    ran = run_cli(*shlex.split(check)[1:])
    assert ran.returncode == 1 and "lead (no) allows less than artist (yes)" in ran.stdout
