"""A long-lived Site reads the site afresh for every public call, and reads
each thing once within a call. Changes are made straight on the mockgun
session the Site holds, as another person or tool would make them."""

import copy
import csv
import datetime as dt

import pytest

import sgperms
from sgperms import demo, testing


@pytest.fixture
def sg():
    return demo.build_site()


def users_csv(folder):
    with open(folder / "users.csv", encoding="utf-8", newline="") as f:
        return {row["login"]: row for row in csv.DictReader(f)}


def role_id(site, code):
    return next(r.id for r in site.roles() if r.code == code)


def test_a_long_lived_site_records_a_role_change_made_after_it_was_created(sg, tmp_path):
    site = sgperms.Site(sg)
    site.snapshot(tmp_path)
    person = next(a for a in site.assignments() if a.role == "artist" and a.active)
    assert users_csv(tmp_path)[person.login]["role"] == "artist"
    sg.update("HumanUser", person.id,
              {"permission_rule_set": {"type": "PermissionRuleSet", "id": role_id(site, "lead")}})
    again = site.snapshot(tmp_path)
    assert "users.csv" in again.written and "the site is unchanged" not in again.summary()
    assert users_csv(tmp_path)[person.login]["role"] == "lead"
    assert next(a for a in site.assignments() if a.id == person.id).role == "lead"


def test_roles_added_and_renamed_after_the_site_was_created_are_read(sg, tmp_path):
    site = sgperms.Site(sg)
    site.snapshot(tmp_path)
    assert "matte_painter" not in {r.code for r in site.roles()}
    sg.create("PermissionRuleSet",
              {"code": "matte_painter", "display_name": "Matte Painter", "entity_type": "HumanUser"})
    sg.update("PermissionRuleSet", role_id(site, "lead"), {"display_name": "Team Lead"})
    roles = {r.code: r for r in site.roles()}
    assert roles["matte_painter"].display_name == "Matte Painter" and roles["lead"].display_name == "Team Lead"
    again = site.snapshot(tmp_path)
    assert "roles.csv" in again.written and "permissions.csv" in again.written
    text = (tmp_path / "roles.csv").read_text(encoding="utf-8")
    assert "matte_painter,Matte Painter,HumanUser," in text and "lead,Team Lead,HumanUser," in text
    assert "matte_painter" in sgperms.read_csv(tmp_path / "permissions.csv").roles


def test_a_field_added_to_the_schema_after_the_site_was_created_is_read(sg, tmp_path):
    site = sgperms.Site(sg)
    site.snapshot(tmp_path)
    assert "sg_budget_notes" not in [code for code, _, _ in site.schema().fields("Shot")]
    # mockgun has no schema_field_create: the session gets a new schema holding the field, as a
    # real site answers every schema_read with a new dict.
    schema = copy.deepcopy(sg._schema)
    schema["Shot"]["sg_budget_notes"] = copy.deepcopy(schema["Shot"]["description"])
    schema["Shot"]["sg_budget_notes"]["name"]["value"] = "Budget Notes"
    sg._schema = schema
    assert ("sg_budget_notes", "Budget Notes", "text") in site.schema().fields("Shot")
    again = site.snapshot(tmp_path)
    assert again.added == [("field", "Shot", "sg_budget_notes", "see"), ("field", "Shot", "sg_budget_notes", "edit")]
    assert "schema.json" in again.written and "sg_budget_notes" in (tmp_path / "schema.json").read_text()


def test_history_and_assignments_are_read_afresh(sg):
    site = sgperms.Site(sg)
    events, people = site.history(), site.assignments()
    person = next(a for a in people if a.role == "artist" and a.active)
    sg.update("HumanUser", person.id, {"sg_status_list": "dis"})
    sg.create("EventLogEntry", {"event_type": "Shotgun_HumanUser_Change", "attribute_name": "permission_rule_set",
                                "entity": {"type": "HumanUser", "id": person.id}, "meta": {"new_value": None},
                                "created_at": dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)})
    assert len(site.history()) == len(events) + 1
    assert next(a for a in site.assignments() if a.id == person.id).active is False


def record_reads(sg, monkeypatch):
    """The session's reads, recorded as (method, entity type) as they are made."""
    reads = []

    def recording(name):
        method = getattr(sg, name)

        def call(*args, **kwargs):
            reads.append((name, *args[:1]))
            return method(*args, **kwargs)

        return call

    for name in ("find", "schema_read", "schema_entity_read"):
        monkeypatch.setattr(sg, name, recording(name))
    return reads


def test_each_call_reads_each_thing_once_and_the_next_call_reads_again(sg, tmp_path, monkeypatch):
    reads = record_reads(sg, monkeypatch)
    site = sgperms.Site(sg)
    site.snapshot(tmp_path)
    once = sorted(reads)
    assert once.count(("find", "PermissionRuleSet")) == 1 and once.count(("find", "HumanUser")) == 1
    assert once.count(("schema_read",)) == 1 and once.count(("schema_entity_read",)) == 1
    reads.clear()
    site.snapshot(tmp_path)
    assert sorted(reads) == once
    reads.clear()
    site.roles()
    site.roles()
    assert reads == [("find", "PermissionRuleSet"), ("find", "PermissionRuleSet")]


def test_probe_and_allowed_act_on_the_site_as_it_is_now(sg):
    truth = demo.permission_table(sg.schema_read())
    testing.enforce(sg, truth)
    admin = testing.EnforcingShotgun(sg.base_url, script_name="sgperms", api_key="key-not-secret")
    site = sgperms.Site(admin)
    first = site.probe_users()["artist"]
    assert site.allowed(first).startswith("# Artist\n")
    person = next(a for a in site.assignments() if a.login == first)
    admin.update("HumanUser", person.id,
                 {"permission_rule_set": {"type": "PermissionRuleSet", "id": role_id(site, "lead")}})
    assert site.allowed(first).startswith("# Lead\n")
    assert site.probe_users()["artist"] != first
    assert site.probe("auto", targets=["Version"]).users["artist"] == site.probe_users()["artist"]
