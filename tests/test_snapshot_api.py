"""sgperms.snapshot, the one home of the snapshot folder: its readers give
back what Site read and write() wrote; the folder's table is read checked
against the roles.csv beside it."""

import os

import pytest

import sgperms
from sgperms import demo, snapshot


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The demo studio's Site and the folder sgperms.snapshot.write made of it."""
    out = tmp_path_factory.mktemp("snap")
    site = sgperms.Site(demo.build_site())
    result = snapshot.write(site, out, permissions=demo.permission_table(site.sg.schema_read()))
    return site, out, result


def test_the_folder_holds_the_files_the_module_names(studio):
    _site, out, result = studio
    assert sorted(os.listdir(out)) == sorted(snapshot.FILES)
    assert result.written == list(snapshot.FILES)
    assert snapshot.recorded_site(out) == "https://demo-studio.shotgrid.autodesk.com"


def test_readers_give_back_what_the_site_holds(studio):
    site, out, _ = studio
    assert snapshot.read_roles(out / snapshot.ROLES_CSV) == site.roles()
    assert snapshot.read_users(out / snapshot.USERS_CSV) == site.assignments()
    assert sorted(snapshot.read_history(out / snapshot.HISTORY_CSV)) == [e.id for e in site.history()]
    assert snapshot.read_schema(out / snapshot.SCHEMA_JSON).to_json() == site.schema().to_json()
    history = (out / snapshot.HISTORY_CSV).read_text(encoding="utf-8")
    assert history.splitlines()[0] == ",".join(snapshot.HISTORY_HEADER)


def test_a_hand_made_roles_csv_needs_only_code_and_display_name(tmp_path):
    (tmp_path / "roles.csv").write_text("code,display_name\nartist,Artist\n")
    [role] = snapshot.read_roles(tmp_path / "roles.csv")
    assert role == sgperms.Role("artist", "Artist", "", "", False, 0)


def test_the_folders_table_is_checked_against_its_roles(studio, tmp_path):
    _, out, _ = studio
    table, layout = snapshot.read_table_with_layout(out)
    assert layout == "wide" and table == snapshot.read_table(out / snapshot.PERMISSIONS_CSV)
    (tmp_path / "roles.csv").write_bytes((out / "roles.csv").read_bytes())
    text = (out / "permissions.csv").read_text(encoding="utf-8")
    (tmp_path / "permissions.csv").write_text(text.replace(",artist,", ",artsit,", 1), encoding="utf-8")
    with pytest.raises(sgperms.CsvError, match=r'did you mean "artist"\?.*\(the roles of .*roles.csv\)'):
        snapshot.read_table(tmp_path)


def test_report_context_feeds_role_report(studio):
    _site, out, _ = studio
    context = snapshot.report_context(out)
    assert sorted(context) == ["roles", "schema", "snapshot", "users"]
    page = sgperms.role_report(snapshot.read_table(out), "artist", **context)
    assert page.startswith("# Artist\n")


def test_site_snapshot_hands_over_to_the_module(studio):
    site, out, _ = studio
    again = site.snapshot(out)
    assert again.written == [] and isinstance(again, snapshot.SnapshotResult)
