"""What sgperms logs for a Toolkit or cron log (on the "sgperms" logger,
never a credential), and the Jupyter previews of its Python results
(compact, every text escaped)."""

import logging
import socket

import pytest

import sgperms
from sgperms import demo, testing

KEY = "key-not-secret-but-never-logged"


@pytest.fixture
def site():
    sg = demo.build_site()
    testing.enforce(sg, demo.permission_table(sg.schema_read()))
    return sgperms.Site(testing.EnforcingShotgun(sg.base_url, script_name="sgperms", api_key=KEY))


def logged(caplog):
    return [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("sgperms")]


def test_the_package_logger_is_silent_until_configured():
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("sgperms").handlers)


def test_a_snapshot_logs_its_start_end_and_files(site, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="sgperms")
    site.snapshot(tmp_path)
    lines = [m for name, _, m in logged(caplog) if name == "sgperms.snapshot"]
    assert lines[0].endswith(": started")
    assert "roles.csv, users.csv, permissions.csv, history.csv, schema.json, snapshot.json" in lines[1]
    assert all(KEY not in m for _, _, m in logged(caplog))


def test_the_probe_logs_each_role_and_its_timeouts(site, caplog):
    caplog.set_level(logging.INFO, logger="sgperms")
    artist = site.probe_users()["artist"]
    testing.fail(site.sg, socket.timeout("timed out"), method="find", entity_type="Shot", login=artist)
    site.probe({"artist": artist}, targets=["Shot", "Version"], rate=0)
    records = logged(caplog)
    assert ("sgperms.probe", "INFO", f"artist: probing as {artist}") in records
    assert any(level == "WARNING" and "Shot" in m and "timeout" in m for _, level, m in records)
    assert any(m.startswith(f"artist: probed as {artist}: ") and "timed out on Shot" in m for _, _, m in records)
    assert all(KEY not in m for _, _, m in records)


def test_role_changes_are_logged_allowed_refused_and_written(site, caplog):
    caplog.set_level(logging.INFO, logger="sgperms")
    tiers = sgperms.Tiers.parse(demo.TIERS)
    people = {a.role: a.login for a in site.assignments() if a.active}
    with pytest.raises(sgperms.PermissionDenied):
        site.assign_role(people["artist"], people["lead"], "producer", tiers)
    change = sgperms.promote.assign_role(site, people["producer"], people["artist"], "lead", tiers)
    assert change.written
    messages = [(level, m) for name, level, m in logged(caplog) if name == "sgperms.promote"]
    assert [level for level, _ in messages] == ["WARNING", "INFO", "INFO"]
    assert messages[0][1].startswith("role change refused: ")
    assert messages[2][1].startswith("role change written: ")


HOSTILE = '<script>alert("x")</script>&'


def test_previews_are_compact_and_escaped(tmp_path):
    result = sgperms.SnapshotResult(str(tmp_path), 1, 2, 3, 4, 5, 6, ["roles.csv"], [], [], [], drift=[HOSTILE] * 80)
    html = result._repr_html_()
    assert html.startswith("<div>") and "<script>" not in html and "&lt;script&gt;" in html
    assert "… 31 more rows" in html  # 1 file + 80 drift lines, 50 shown
    change = sgperms.RoleChange(HOSTILE, "u", "a", "b", False, HOSTILE, False, False, "t")
    assert "<script>" not in change._repr_html_()
    probe = sgperms.probe.Probe(table=sgperms.PermissionTable(["artist"]), users={"artist": HOSTILE},
                                skipped={"lead": HOSTILE})
    assert "<script>" not in probe._repr_html_() and probe._repr_html_().count("<tr>") == 3
