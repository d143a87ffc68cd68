"""The probe states only what it measured, and every session it opens honours
the timeout.

The answers a real site gives besides the measured ones (a refusal of
another action, a timeout, an HTTP error, a text the probe does not know) are
made by the enforcing stand-in (sgperms.testing, a simulation on mockgun) with
``testing.fail``; the sessions' timeouts are checked on the real shotgun_api3
client, stopped where it would open its connection, and on the stand-in.
"""

import socket

import pytest
import shotgun_api3
from hypothesis import given, settings
from hypothesis import strategies as st

import sgperms
from sgperms import demo, testing

from test_probe import assert_decided_in_full, same_class

TYPES = ["Shot", "Version"]


def enforced_demo(table=None, session_class=testing.EnforcingShotgun):
    """The demo studio behind the enforcing stand-in; returns (admin session, truth)."""
    sg = demo.build_site()
    truth = table if table is not None else demo.permission_table(sg.schema_read())
    testing.enforce(sg, truth)
    return session_class(sg.base_url, script_name="sgperms", api_key="key-not-secret"), truth


def probe_demo(failure=None, **where):
    """Probes lead then artist on TYPES, the lead's calls matching ``where``
    answering ``failure``. Returns (probe, progress lines, users)."""
    admin, _ = enforced_demo()
    site = sgperms.Site(admin)
    users = {role: site.probe_users()[role] for role in ("lead", "artist")}
    if failure is not None:
        testing.fail(admin, failure, login=users["lead"], **where)
    lines = []
    return site.probe(users, targets=TYPES, progress=lines.append), lines, users


@pytest.fixture(scope="module")
def baseline():
    return probe_demo()[0]


def cells(measured, like=None):
    """(role, target) -> value, for the targets of ``like`` (default: its own)."""
    targets = (like or measured).table.targets()
    return {(role, target): measured.table.get(role, *target) for target in targets for role in measured.table.roles}


def version_fields(measured):
    return [t for (role, t) in measured.evidence if role == "lead" and t[:2] == ("field", "Version")]


SEE = ("entity", "Version", "", "see")
CREATE = ("entity", "Version", "", "create")
RETIRE = ("entity", "Version", "", "retire")
EDIT = ("entity", "Version", "", "edit")
UNAVAILABLE = shotgun_api3.ProtocolError(
    "demo-studio.shotgrid.autodesk.com", 503,
    "Flow Production Tracking is currently down for maintenance or too busy to reply. Please try again later.",
    "HTTP error from server")
NOT_FOUND_PAGE = shotgun_api3.ProtocolError("demo-studio.shotgrid.autodesk.com", 404, "Not Found",
                                            "HTTP error from server")


@pytest.mark.parametrize("method, error", [
    # The case the issue found: a role that cannot see a type is refused its create with the see refusal.
    ("create", shotgun_api3.Fault("Entity of type Version can not be accessed by this user. Rule: Artist")),
    ("create", shotgun_api3.Fault("Entity of type Shot cannot be created by this user.")),
    ("create", shotgun_api3.Fault("Internal error: please retry later (ref 8c1f2e)")),
    ("create", shotgun_api3.Fault("API create() CRUD ERROR #6: Create failed for [Version]: "
                                  "Path /mnt/x doesn't match any defined Local Storage.")),
    ("create", UNAVAILABLE),
    ("create", ConnectionResetError(104, "Connection reset by peer")),
    # A measured text that is not ShotGrid's answer (no Fault), e.g. raised by a layer of the client.
    ("create", RuntimeError("Entity of type Version cannot be created by this user.")),
    ("find", shotgun_api3.Fault("Entity of type Project can not be accessed by this user. Rule: Artist")),
    ("find", shotgun_api3.Fault("Internal error: please retry later (ref 8c1f2e)")),
    ("find", UNAVAILABLE),
    ("batch", shotgun_api3.Fault("Entity of type Version can not be accessed by this user. Rule: Artist")),
    ("batch", shotgun_api3.Fault("The field is not editable for this user: [Shot.code, Shot.description].")),
    ("batch", shotgun_api3.Fault("Entity of type Shot can not be deleted by this user.")),
    ("batch", shotgun_api3.Fault("API update() CRUD ERROR #20: Version with id 3 not found")),
    ("batch", NOT_FOUND_PAGE),
    ("batch", UNAVAILABLE),
], ids=["see-refusal-on-create", "other-type-create-refusal", "unfamiliar-fault-on-create",
        "other-crud-error-on-create", "http-503-on-create", "reset-on-create", "not-a-fault-on-create",
        "other-type-refused-on-find", "unfamiliar-fault-on-find", "http-503-on-find",
        "see-refusal-on-batch", "other-type-fields-refused-on-batch", "other-type-delete-refusal-on-batch",
        "real-record-not-found-on-batch", "http-404-on-batch", "http-503-on-batch"])
def test_an_answer_that_does_not_decide_leaves_its_cells_unknown_with_the_answer_as_evidence(baseline, method, error):
    measured, _, _ = probe_demo(error, method=method, entity_type="Version")
    answer = str(error) if isinstance(error, shotgun_api3.Fault) else f"{type(error).__name__}: {error}"
    undecided = {"create": [CREATE], "find": [SEE], "batch": version_fields(baseline) + [RETIRE]}[method]
    for target in undecided:
        assert baseline.table.get("lead", *target), target  # decided when ShotGrid answers as measured
        assert measured.table.get("lead", *target) == "", target
        assert measured.evidence[("lead", target)][1] == answer, target
    if method == "batch":
        assert baseline.table.get("lead", *EDIT) == "yes"
        assert measured.table.get("lead", *EDIT) == ""
        assert measured.evidence[("lead", EDIT)] == (
            "inferred from field edit of Version", "no field edit was allowed, so entity edit is not known")
        undecided.append(EDIT)
    expected = {cell: value for cell, value in cells(baseline).items() if cell[0] != "lead" or cell[1] not in undecided}
    got = cells(measured, baseline)
    assert {cell: got[cell] for cell in expected} == expected
    assert measured.timed_out == {}


@pytest.mark.parametrize("error", [socket.timeout("timed out"), TimeoutError("timed out")],
                         ids=["socket.timeout", "TimeoutError"])
@pytest.mark.parametrize("method", ["find", "batch", "create"])
def test_a_timeout_gives_up_that_entity_type_for_that_role_and_the_run_goes_on(baseline, error, method):
    measured, lines, users = probe_demo(error, method=method, entity_type="Shot")
    shot = [t for (role, t) in baseline.evidence if role == "lead" and t[1] == "Shot"]
    fields = [t for t in shot if t[0] == "field"]
    hung = {"find": [("entity", "Shot", "", "see")], "batch": fields,
            "create": [("entity", "Shot", "", "create")]}[method]
    after = {"find": [t for t in shot if t not in hung],
             "batch": [("entity", "Shot", "", a) for a in ("edit", "retire", "create")],
             "create": []}[method]
    for target in hung:
        call, answer = measured.evidence[("lead", target)]
        assert call == baseline.evidence[("lead", target)][0]
        assert answer == f"no answer within the timeout ({type(error).__name__}: timed out)"
        assert measured.table.get("lead", *target) == ""
    for target in after:
        assert measured.evidence[("lead", target)] == ("not asked",
                                                       f"{measured.evidence[('lead', hung[0])][0]} timed out before")
        assert measured.table.get("lead", *target) == ""
    # What was asked before the timeout is decided as it was; the next entity
    # type and the next role are probed as if nothing had happened.
    expected = {cell: value for cell, value in cells(baseline).items()
                if not (cell[0] == "lead" and cell[1] in hung + after)}
    got = cells(measured, baseline)
    assert {cell: got[cell] for cell in expected} == expected
    assert any(baseline.table.get("lead", *t) for t in hung)
    assert measured.timed_out == {"lead": ["Shot"]}
    assert "  lead: timed out on Shot: the cells not measured there stay unknown" in measured.summary()
    said = [line for line in lines if "no answer within the timeout" in line]
    assert len(said) == 1 and said[0].startswith(f"lead ({users['lead']}): Shot: ")
    assert said[0].endswith("the rest of Shot is not asked and stays unknown; going on")


def test_entity_edit_is_yes_only_where_a_field_edit_was_allowed():
    sg = demo.build_site()
    table = sgperms.PermissionTable(["artist"])
    for entity in ("Shot", "Version", "Asset"):
        for action in ("see", "create", "retire"):
            table.set("artist", "entity", entity, "", action, "yes")
    table.set("artist", "entity", "Shot", "", "edit", "yes")        # fields inherit: allowed
    for field in sg.schema_read()["Shot"]:
        table.set("artist", "field", "Shot", field, "edit", "inherit")
    table.set("artist", "entity", "Version", "", "edit", "yes")     # every field refused
    for field in sg.schema_read()["Version"]:
        table.set("artist", "field", "Version", field, "edit", "no")
    table.set("artist", "entity", "Asset", "", "edit", "no")        # no field can be edited
    testing.enforce(sg, table)
    admin = testing.EnforcingShotgun(sg.base_url, script_name="sgperms", api_key="key-not-secret")
    login = sgperms.Site(admin).probe_users()["artist"]
    measured = sgperms.Site(admin).probe({"artist": login}, targets=["Asset", "Shot", "Version"])
    get = lambda entity: measured.table.get("artist", "entity", entity, "", "edit")  # noqa: E731
    assert (get("Shot"), get("Version"), get("Asset")) == ("yes", "", "")
    call, answer = measured.evidence[("artist", ("entity", "Shot", "", "edit"))]
    assert call.startswith("a field edit needs entity edit: batch [update Shot ") and "999999999 not found" in answer
    assert measured.table.get("artist", "field", "Version", "code", "edit") == "no"
    assert measured.table.get("artist", "field", "Asset", "code", "edit") == "no"


def test_a_read_that_fills_the_limit_decides_only_what_its_rows_show():
    sg = demo.build_site()
    limit = sgperms.probe.READ_LIMIT
    for i in range(limit + 100):
        sg.create("Shot", {"code": f"sh{i:05d}"})
    table = sgperms.PermissionTable(["lead", "artist"])
    table.set("lead", "entity", "Shot", "", "see", "yes")
    table.set("artist", "entity", "Shot", "", "see", "if on their project")  # the stand-in shows even ids
    testing.enforce(sg, table)
    admin = testing.EnforcingShotgun(sg.base_url, script_name="sgperms", api_key="key-not-secret")
    users = {role: sgperms.Site(admin).probe_users()[role] for role in ("lead", "artist")}
    measured = sgperms.Site(admin).probe(users, targets=["Shot"])
    see = ("entity", "Shot", "", "see")
    # The same first rows as the admin, and more beyond them: a condition could hide some of those.
    assert measured.table.get("lead", *see) == ""
    assert measured.evidence[("lead", see)] == (
        f"find Shot (ids in id order, up to {limit}, {sgperms.probe.PAGE} a call)",
        f"the admin's first {limit} rows, and there are more: cannot tell yes from a condition")
    assert measured.table.get("artist", *see) == "if restricted"
    assert measured.evidence[("artist", see)][1] == (
        f"{limit // 2} of the rows the admin sees are not returned (id 1 first)")


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_property_answers_that_do_not_decide_never_decide_a_cell(data):
    """Random tables, random calls answered otherwise: every decided cell is
    what the stand-in enforces, every (role, entity type) that no such answer
    touched is decided in full, and nothing is written."""
    entities = sorted(data.draw(st.sets(st.sampled_from(["Shot", "Asset", "Version", "Note", "Task", "Ticket"]),
                                        min_size=1, max_size=3)))
    sg = demo.build_site()
    users = {r: sgperms.Site(sg).probe_users()[r] for r in ("artist", "lead", "vendor")}
    truth = sgperms.PermissionTable(list(users))
    values = st.sampled_from(["yes", "no", "if on their project"])
    field_values = st.sampled_from(["inherit", "yes", "no"])
    for role in users:
        for entity in entities:
            for action in ("see", "create", "retire", "edit"):
                truth.set(role, "entity", entity, "", action, data.draw(values))
            for field in sorted(sg.schema_read()[entity]):
                truth.set(role, "field", entity, field, "edit", data.draw(field_values))
    testing.enforce(sg, truth)
    admin = testing.EnforcingShotgun(sg.base_url, script_name="s", api_key="k")
    errors = st.sampled_from([socket.timeout("timed out"), UNAVAILABLE, NOT_FOUND_PAGE,
                              shotgun_api3.Fault("Entity of type Project can not be accessed by this user. Rule: X"),
                              shotgun_api3.Fault("something new went wrong")])
    touched = set()
    for _ in range(data.draw(st.integers(1, 3))):
        role, entity = data.draw(st.sampled_from(sorted(users))), data.draw(st.sampled_from(entities))
        testing.fail(admin, data.draw(errors), method=data.draw(st.sampled_from(["find", "batch", "create"])),
                     entity_type=entity, login=users[role])
        touched.add((role, entity))
    before = testing.dump(admin)
    measured = sgperms.Site(admin).probe(users, targets=entities)
    assert testing.dump(admin) == before
    for target in measured.table.targets():
        for role in users:
            value = measured.table.get(role, *target)
            assert not value or same_class(value, testing.enforced(truth, role, *target)), (role, target, value)
    for role in users:
        for entity in entities:
            if (role, entity) not in touched:
                assert_decided_in_full(measured, truth, admin, role, entity)


# -- timeouts of the sessions the probe opens ---------------------------------


def test_the_sudo_session_carries_the_timeout_before_its_first_connection():
    opened = []

    class Recording(shotgun_api3.Shotgun):
        """The real client, stopped where it would open a connection: it
        records the timeout that connection would be opened with."""

        def _get_connection(self):
            opened.append((self.config.sudo_as_login, self.config.timeout_secs))
            raise ConnectionRefusedError("this test opens no connection")

    admin = Recording("https://studio.example.com", script_name="sgperms", api_key="key-not-secret",
                      http_proxy="proxy.example.com:3128", connect=False)
    admin.config.timeout_secs = 12.5
    session = sgperms.probe.sudo_session(admin, "ada.abara")
    assert type(session) is Recording
    assert opened == []  # made without connecting
    assert (session.config.sudo_as_login, session.config.timeout_secs) == ("ada.abara", 12.5)
    assert (session.config.script_name, session.config.api_key) == ("sgperms", "key-not-secret")
    assert (session.config.proxy_server, session.config.proxy_port) == ("proxy.example.com", 3128)
    with pytest.raises(ConnectionRefusedError):
        session.find("Shot", [], ["id"])
    assert opened == [("ada.abara", 12.5)]


def test_every_session_the_probe_opens_calls_under_the_admin_timeout():
    made, calls = [], []

    class Recording(testing.EnforcingShotgun):
        """The enforcing stand-in (mockgun), recording how each session is
        made and the timeout each call is made under."""

        def __init__(self, base_url, connect=True, **kwargs):
            super().__init__(base_url, connect=connect, **kwargs)
            made.append((kwargs.get("sudo_as_login"), connect))

        def find(self, *args, **kwargs):
            calls.append((self.config.sudo_as_login, self.config.timeout_secs))
            return super().find(*args, **kwargs)

        def batch(self, requests):
            calls.append((self.config.sudo_as_login, self.config.timeout_secs))
            return super().batch(requests)

        def create(self, *args, **kwargs):
            calls.append((self.config.sudo_as_login, self.config.timeout_secs))
            return super().create(*args, **kwargs)

    admin, _ = enforced_demo(session_class=Recording)
    admin.config.timeout_secs = 7.0
    site = sgperms.Site(admin)
    users = {role: site.probe_users()[role] for role in ("artist", "lead")}
    made.clear()
    measured = site.probe(users, targets=["Version"])
    assert made == [(users["artist"], False), (users["lead"], False)]
    as_roles = [(login, timeout) for (login, timeout) in calls if login]
    assert {login for login, _ in as_roles} == set(users.values())
    assert {timeout for _, timeout in as_roles} == {7.0}
    assert measured.calls == {role: sum(1 for login, _ in as_roles if login == users[role]) for role in users}
