"""Every command, fed a bad file in every way a file can be bad, answers with
exactly one line on stderr naming the file, exit status 2, no traceback and
nothing written; a table in a snapshot folder is checked against the
roles.csv beside it; a closed pipe ends quietly with the command's own status.
"""

import ctypes
import json
import os
import subprocess
import sys

import pytest

import sgperms
from sgperms import cli

from conftest import CLI, run_cli, run_in_process

ROLES_CSV = (
    "code,display_name,user_type,template,system_default,id\n"
    "admin,Admin,HumanUser,admin_system_default,no,1\n"
    "lead,Lead,HumanUser,artist_system_default,no,2\n"
    "artist,Artist,HumanUser,artist_system_default,no,3\n"
    "artist_system_default,Artist,PermissionRuleSet.HumanUser,,yes,9\n"
)
USERS_CSV = ("user_type,id,login,name,active,role\n"
             "HumanUser,1,ada,Ada Abara,yes,artist\nHumanUser,2,bo,Bo Berg,yes,lead\n")
TIERS = "admins: admin\nadmin > lead > artist\n"
SITE = "https://example-studio.shotgrid.autodesk.com"


def schema_json():
    return sgperms.Schema.from_shotgun_dicts(
        {"Shot": {"sg_status_list": {"name": {"value": "Status"}, "data_type": {"value": "status_list"}}}},
        {"Shot": {"name": {"value": "Shot"}}},
    ).to_json()


def perms_csv():
    text = (
        "kind,entity_type,name,action,admin,lead,artist,note\n"
        "entity,Shot,,see,yes,yes,yes,\n"
        "entity,Shot,,retire,yes,no,yes,artists tidy up\n"
        "field,Shot,sg_status_list,edit,yes,yes,inherit,\n"
    )
    return sgperms.read_csv(text).to_csv()  # canonical: fmt leaves it alone


def make_tree(root):
    """Valid files, a snapshot folder among them: every control run succeeds."""
    (root / "perms.csv").write_text(perms_csv())
    (root / "tiers.txt").write_text(TIERS)
    (root / "probed.csv").write_text(perms_csv())
    # The files given with --users, --roles and --schema, away from any table.
    given = root / "given"
    given.mkdir()
    (given / "users.csv").write_text(USERS_CSV)
    (given / "roles.csv").write_text(ROLES_CSV)
    (given / "schema.json").write_text(schema_json())
    snap = root / "snap"
    snap.mkdir()
    (snap / "permissions.csv").write_text(perms_csv())
    (snap / "roles.csv").write_text(ROLES_CSV)
    (snap / "users.csv").write_text(USERS_CSV)
    (snap / "schema.json").write_text(schema_json())
    (snap / "snapshot.json").write_text(json.dumps({"site": SITE, "sgperms_version": sgperms.__version__}))
    return root


# What each kind of file looks like when it is wrong in each way.
JUNK = bytes(range(256)) * 3  # NUL, control bytes, invalid UTF-8
NOT_UTF8 = {
    "csv": b"kind,entity_type,name,action,artist\nentity,Shot,,see,\xe9\n",
    "roles": b"code,display_name\nartist,Artist \xe9\n",
    "users": b"login,role\nada\xe9,artist\n",
    "tiers": b"admin > lead\n\xe9 > artist\n",
    "json": b'{"entities": "\xe9"}',
}
WRONG_HEADER = {
    "csv": b"a,b,c\n1,2,3\n",
    "roles": b"id,name\n1,Artist\n",
    "users": b"id,name\n1,Ada\n",
    "tiers": b"kind,entity_type,name,action\n",
    "json": b'{"hello": 1}',
}
KINDS = ("missing", "folder", "unreadable", "not_utf8", "empty", "wrong_header", "junk")


def spoil(path, kind, filetype):
    """Make ``path`` bad in the way ``kind`` says."""
    if path.is_dir():
        raise AssertionError(path)
    if path.exists():
        path.unlink()
    if kind == "missing":
        return
    if kind == "folder":
        path.mkdir()
    elif kind == "unreadable":
        path.write_bytes(WRONG_HEADER[filetype])  # never read if the test works
        path.chmod(0)
    else:
        path.write_bytes({"not_utf8": NOT_UTF8[filetype], "empty": b"", "wrong_header": WRONG_HEADER[filetype],
                          "junk": JUNK}[kind])


NO_SITE = ["--site", "http://127.0.0.1:9", "--script-name", "sgperms", "--api-key", "k" * 20]
GRANT = ["--role", "lead", "--target", "entity:Shot::retire"]
REVOKE = ["--role", "lead", "--target", "entity:Shot::see"]

# (id, argv with {f} for the file made bad, the file, its type, whether a valid
# file lets the command succeed without a site)
FILE_ARGS = [
    ("fmt", ["fmt", "{f}"], "perms.csv", "csv", True),
    ("fmt--schema", ["fmt", "perms.csv", "--schema", "{f}"], "given/schema.json", "json", True),
    ("tiers-check-TIERS", ["tiers", "check", "{f}", "perms.csv"], "tiers.txt", "tiers", True),
    ("tiers-check-PERMS", ["tiers", "check", "tiers.txt", "{f}"], "perms.csv", "csv", True),
    ("tiers-grant-TIERS", ["tiers", "grant", "{f}", "perms.csv", *GRANT], "tiers.txt", "tiers", True),
    ("tiers-grant-PERMS", ["tiers", "grant", "tiers.txt", "{f}", *GRANT], "perms.csv", "csv", True),
    ("tiers-revoke-TIERS", ["tiers", "revoke", "{f}", "perms.csv", *REVOKE], "tiers.txt", "tiers", True),
    ("tiers-revoke-PERMS", ["tiers", "revoke", "tiers.txt", "{f}", *REVOKE], "perms.csv", "csv", True),
    ("audit", ["audit", "{f}"], "perms.csv", "csv", True),
    ("audit--tiers", ["audit", "perms.csv", "--tiers", "{f}"], "tiers.txt", "tiers", True),
    ("diff-OLD", ["diff", "{f}", "perms.csv"], "perms.csv", "csv", True),
    ("diff-NEW", ["diff", "snap", "{f}"], "perms.csv", "csv", True),
    ("diff-plan-NEW", ["diff", "snap", "{f}", "--format", "plan"], "perms.csv", "csv", True),
    ("compare", ["compare", "{f}", "admin", "artist"], "perms.csv", "csv", True),
    ("report", ["report", "{f}", "--role", "artist", "-o", "out.md"], "perms.csv", "csv", True),
    ("report--users", ["report", "perms.csv", "--role", "artist", "-o", "out.md", "--users", "{f}"], "given/users.csv",
     "users", True),
    ("report--roles", ["report", "perms.csv", "--role", "artist", "-o", "out.md", "--roles", "{f}"], "given/roles.csv",
     "roles", True),
    ("report--schema", ["report", "perms.csv", "--role", "artist", "-o", "out.md", "--schema", "{f}"],
     "given/schema.json", "json", True),
    ("report-all", ["report", "{f}", "--all", "-o", "site"], "perms.csv", "csv", True),
    ("promote--tiers", ["promote", "--actor", "bo", "--user", "ada", "--role", "lead", "--tiers", "{f}", *NO_SITE],
     "tiers.txt", "tiers", False),
    # An earlier probe's table is read before anything is asked of the site ("missing" is a first run).
    ("probe-o", ["probe", "--as", "artist=ada", "-o", "{f}", *NO_SITE], "probed.csv", "csv", False),
]

# Commands that read a snapshot folder, and the files of it each one reads.
FOLDER_READERS = [
    ("fmt", ["fmt", "snap/permissions.csv"], ("roles.csv",)),
    ("report", ["report", "snap", "--role", "artist", "-o", "out.md"],
     ("permissions.csv", "roles.csv", "users.csv", "schema.json")),
    ("audit", ["audit", "snap"], ("permissions.csv", "roles.csv", "schema.json")),
    ("tiers-check", ["tiers", "check", "tiers.txt", "snap"], ("permissions.csv", "roles.csv", "schema.json")),
    ("tiers-grant", ["tiers", "grant", "tiers.txt", "snap", *GRANT], ("permissions.csv", "roles.csv", "schema.json")),
    ("diff", ["diff", "perms.csv", "snap"], ("permissions.csv", "roles.csv", "schema.json")),
    ("diff-plan", ["diff", "perms.csv", "snap", "--format", "plan"], ("permissions.csv", "roles.csv", "schema.json")),
    ("compare", ["compare", "snap", "admin", "artist"], ("permissions.csv", "roles.csv", "schema.json")),
]
FILETYPE = {"permissions.csv": "csv", "roles.csv": "roles", "users.csv": "users", "schema.json": "json"}


def file_cases():
    for case_id, argv, name, filetype, _ in FILE_ARGS:
        for kind in KINDS:
            if kind == "missing" and case_id == "probe-o":
                continue  # no earlier table: a first run, not an error
            yield pytest.param(argv, name, filetype, kind, id=f"{case_id}-{kind}")
    for case_id, argv, names in FOLDER_READERS:
        for name in names:
            for kind in KINDS:
                if kind == "missing" and name != "permissions.csv":
                    # A folder without roles.csv is a folder of CSVs: see test_missing_beside_files_are_optional.
                    continue
                yield pytest.param(argv, f"snap/{name}", FILETYPE[name], kind, id=f"snap-{case_id}-{name}-{kind}")


def invoke(argv, cwd):
    """Runs the command in this process; returns (status, stdout, stderr)."""
    return run_in_process(argv, cwd)


CHILD = r"""
import contextlib, io, json, os, sys
from sgperms import cli
cases = json.load(sys.stdin)
results = {}
for key, cwd, argv, probe in cases:
    try:
        open(probe, "rb").close()
        results[key] = "readable"
        continue
    except PermissionError:
        pass
    os.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as e:
            status = e.code
        except BaseException as e:
            status = None
            err.write("Traceback (most recent call last):\n%s: %s\n" % (type(e).__name__, e))
    results[key] = [status, out.getvalue(), err.getvalue()]
json.dump(results, sys.stdout)
"""


def _drop_file_capabilities():
    """In the child, before exec: root without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH obeys file modes like anyone else."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def invoke_unreadable(cases):
    """Runs (key, cwd, argv, unreadable_path) cases where a chmod 000 file
    really cannot be read: in this process for a normal user; for root, in one
    child process that has given up the capabilities that let root read
    anything. Returns {key: (status, stdout, stderr)}, or the reason these
    cases cannot be run here (a str)."""
    if os.geteuid() != 0:
        return {key: invoke(argv, cwd) for key, cwd, argv, _ in cases}
    try:
        child = subprocess.run(
            [sys.executable, "-c", CHILD], input=json.dumps(cases), capture_output=True, text=True,
            preexec_fn=_drop_file_capabilities, timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as e:
        return f"running as root and cannot drop CAP_DAC_OVERRIDE here ({e}): chmod 000 does not stop root"
    assert child.returncode == 0, child.stderr
    results = json.loads(child.stdout)
    if any(r == "readable" for r in results.values()):
        return "running as root in a process that still reads chmod 000 files"
    return {key: tuple(r) for key, r in results.items()}


def listing(root):
    """Every path under root with what would change if something were written
    (a folder's own time changes with a lock file come and gone: not a write)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            seen = (st.st_mode,) if name in dirs else (st.st_mode, st.st_size, st.st_mtime_ns)
            found[os.path.relpath(path, root)] = seen
    return found


def assert_one_line_error(result, named, before, after):
    status, out, err = result
    assert "Traceback" not in err, err
    assert "this is a bug in sgperms" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sgperms: error: "), err
    assert named in lines[0], f"{named!r} not named in: {lines[0]}"
    assert status == 2, (status, err)
    assert out == "", out
    assert after == before, "something was written"


@pytest.fixture(scope="module")
def unreadable_results(tmp_path_factory):
    """The unreadable cases of the matrix, all run at once (see invoke_unreadable)."""
    cases, trees = [], {}
    for param in file_cases():
        argv, name, filetype, kind = param.values
        if kind != "unreadable":
            continue
        root = make_tree(tmp_path_factory.mktemp("unreadable"))
        spoil(root / name, kind, filetype)
        before = listing(root)
        key = param.id
        cases.append([key, str(root), [a.replace("{f}", name) for a in argv], str(root / name)])
        trees[key] = root, before
    results = invoke_unreadable(cases)
    if isinstance(results, str):
        return results
    return {key: (results[key], trees[key][1], listing(trees[key][0])) for key in trees}


@pytest.mark.parametrize("argv, name, filetype, kind", list(file_cases()))
def test_a_bad_file_is_one_line_naming_it_exit_2_nothing_written(argv, name, filetype, kind, tmp_path, request):
    if kind == "unreadable":
        unreadable = request.getfixturevalue("unreadable_results")
        if isinstance(unreadable, str):
            pytest.skip(unreadable)
        result, before, after = unreadable[request.node.callspec.id]
    else:
        root = make_tree(tmp_path)
        spoil(root / name, kind, filetype)
        before = listing(root)
        result = invoke([a.replace("{f}", name) for a in argv], root)
        after = listing(root)
    assert_one_line_error(result, name, before, after)


@pytest.mark.parametrize("case_id, argv, name", [(c, a, n) for c, a, n, _, ok in FILE_ARGS if ok])
def test_control_every_matrix_command_succeeds_on_good_files(case_id, argv, name, tmp_path):
    """The matrix above fails for the bad file, not for a bad setup."""
    root = make_tree(tmp_path)
    status, _out, err = invoke([a.replace("{f}", name) for a in argv], root)
    assert status in (0, 1), err
    assert "error" not in err, err


@pytest.mark.parametrize("case_id, argv, names", FOLDER_READERS)
def test_control_snapshot_folder_readers_succeed_and_ignore_snapshot_json(case_id, argv, names, tmp_path):
    """snapshot.json is the snapshot writer's: readers of the folder never
    depend on it, garbled or not."""
    root = make_tree(tmp_path)
    (root / "snap" / "snapshot.json").write_bytes(JUNK)
    status, _out, err = invoke(argv, root)
    assert status in (0, 1), err
    assert "error" not in err, err


@pytest.mark.parametrize("name", ["roles.csv", "users.csv", "schema.json"])
def test_missing_beside_files_are_optional(name, tmp_path):
    """A folder of CSVs without a snapshot's roles.csv (or users.csv, or
    schema.json) is read as it is: nothing to check against."""
    root = make_tree(tmp_path)
    (root / "snap" / name).unlink()
    status, out, err = invoke(["report", "snap", "--role", "artist", "-o", "-"], root)
    assert status == 0, err
    assert "# Artist" in out or "# artist" in out


# --- the failures the issue names ------------------------------------------


@pytest.mark.parametrize("column", ["code", "display_name"])
def test_diff_plan_with_a_roles_csv_lacking_a_column_is_one_line_exit_2(column, tmp_path):
    """It printed a traceback and exited 1 ("differences")."""
    root = make_tree(tmp_path)
    header, *rows = ROLES_CSV.splitlines()
    keep = [i for i, c in enumerate(header.split(",")) if c != column]
    (root / "snap" / "roles.csv").write_text(
        "\n".join(",".join(line.split(",")[i] for i in keep) for line in [header, *rows]) + "\n"
    )
    r = run_cli("diff", "perms.csv", "snap", "--format", "plan", cwd=root)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [
        f"sgperms: error: {os.path.join('snap', 'roles.csv')}, row 1: the header lacks {column}; expected "
        "code,display_name,user_type,template,system_default,id (as 'sgperms snapshot' writes roles.csv)"
    ]
    assert r.stdout == ""


def test_a_missing_tier_file_is_named(tmp_path):
    """It said "No such file or directory (os error 2)", naming no file."""
    root = make_tree(tmp_path)
    r = run_cli("tiers", "check", "nope.txt", "perms.csv", cwd=root)
    assert r.returncode == 2
    assert r.stderr == "sgperms: error: nope.txt: No such file or directory\n"


def test_tiers_read_names_the_file_in_python_too(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        sgperms.Tiers.read(tmp_path / "nope.txt")
    assert info.value.filename == str(tmp_path / "nope.txt")
    bad = tmp_path / "t.txt"
    bad.write_bytes(b"admin > lead\nlead > \xe9\n")
    with pytest.raises(sgperms.TierError, match=r"t\.txt: line 2: invalid UTF-8"):
        sgperms.Tiers.read(bad)


def test_an_empty_tier_file_is_an_error_not_a_passing_check(tmp_path):
    root = make_tree(tmp_path)
    (root / "tiers.txt").write_text("# nothing yet\n")
    status, _out, err = invoke(["tiers", "check", "tiers.txt", "perms.csv"], root)
    assert status == 2
    assert err.startswith("sgperms: error: tiers.txt: the file names no role;")


@pytest.mark.parametrize(
    "argv, named",
    [
        (["fmt", "perms.csv", "-o", "adir"], "adir"),
        (["report", "perms.csv", "--role", "artist", "-o", "adir"], "adir"),
        (["tiers", "grant", "tiers.txt", "perms.csv", *GRANT, "-o", "adir"], "adir"),
        (["tiers", "grant", "tiers.txt", "perms.csv", *GRANT, "--plan", "adir"], "adir"),
        (["report", "perms.csv", "--role", "artist", "-o", "nodir/x.md"], "nodir/x.md"),
    ],
)
def test_an_output_that_cannot_be_written_is_named(argv, named, tmp_path):
    """fmt -o DIR used to blame the input file."""
    root = make_tree(tmp_path)
    (root / "adir").mkdir()
    status, _out, err = invoke(argv, root)
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("sgperms: error: "), err
    assert named in err
    assert "perms.csv" not in err


# --- item 9: a table in a snapshot folder is checked against its roles.csv ---


SNAP_COMMANDS = [
    ["fmt", "snap/permissions.csv"],
    ["fmt", "--check", "snap/permissions.csv"],
    ["report", "snap", "--role", "artist", "-o", "out.md"],
    ["report", "snap/permissions.csv", "--all", "-o", "site"],
    ["audit", "snap"],
    ["tiers", "check", "tiers.txt", "snap"],
    ["tiers", "grant", "tiers.txt", "snap/permissions.csv", *GRANT],
    ["tiers", "revoke", "tiers.txt", "snap", *REVOKE],
    ["diff", "perms.csv", "snap"],
    ["diff", "snap", "perms.csv", "--format", "plan"],
    ["compare", "snap", "admin", "lead"],
]


@pytest.mark.parametrize("argv", SNAP_COMMANDS, ids=lambda a: "-".join(a[:2]))
@pytest.mark.parametrize("layout", ["wide", "long"])
def test_a_misspelt_role_column_beside_roles_csv_is_refused_with_a_suggestion(argv, layout, tmp_path):
    root = make_tree(tmp_path)
    perms = root / "snap" / "permissions.csv"
    table = sgperms.read_csv(perms)
    text = table.to_csv(layout=layout)
    text = text.replace(",artist,", ",artsit,", 1) if layout == "wide" else text.replace("\nartist,", "\nartsit,")
    perms.write_text(text)
    before = listing(root)
    status, out, err = invoke(argv, root)
    assert_one_line_error((status, out, err), os.path.join("snap", "permissions.csv"), before, listing(root))
    assert 'unknown role "artsit" (did you mean "artist"?)' in err
    assert "column" in err and "(the roles of snap/roles.csv)" in err
    # ShotGrid's templates are roles.csv rows but not table columns.
    assert "artist_system_default" not in err


def test_display_names_from_roles_csv_still_resolve(tmp_path):
    root = make_tree(tmp_path)
    perms = root / "snap" / "permissions.csv"
    perms.write_text(perms.read_text().replace(",lead,artist,", ",Lead,ARTIST,", 1))
    status, _out, err = invoke(["compare", "snap", "admin", "artist"], root)
    assert status in (0, 1), err


def test_the_table_is_checked_against_an_explicit_roles_file(tmp_path):
    root = make_tree(tmp_path)
    (root / "perms.csv").write_text(perms_csv().replace(",artist,", ",artsit,", 1))
    status, _out, err = invoke(
        ["report", "perms.csv", "--role", "lead", "-o", "out.md", "--roles", "given/roles.csv"], root)
    assert status == 2
    assert '(did you mean "artist"?)' in err and "(the roles of given/roles.csv)" in err


def test_read_csv_with_roles_suggests_the_closest_role():
    """The Python API gives the suggestion too (built in the Rust core)."""
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv("kind,entity_type,name,action,admin,artsit\n", roles=["admin", "artist", "lead"])
    assert (info.value.row, info.value.column) == (1, "artsit")
    assert 'unknown role "artsit" (did you mean "artist"?); expected one of: admin, artist, lead' in str(info.value)
    with pytest.raises(sgperms.CsvError) as info:
        sgperms.read_csv("kind,entity_type,name,action,vendor\n", roles=["admin", "artist", "lead"])
    assert "did you mean" not in str(info.value)


def test_without_roles_csv_a_new_role_column_is_still_a_role(tmp_path):
    """Lenient where there is nothing to check against: a loose CSV may add roles."""
    root = make_tree(tmp_path)
    (root / "perms.csv").write_text(perms_csv().replace(",artist,", ",compositor,", 1))
    status, _out, err = invoke(["compare", "perms.csv", "admin", "compositor"], root)
    assert status in (0, 1), err


# --- last resort, closed pipes ------------------------------------------------


def test_an_unexpected_exception_is_one_line_never_a_traceback(tmp_path, monkeypatch):
    def boom(args):
        raise KeyError("code")

    monkeypatch.setattr(cli.audit, "run", boom)
    root = make_tree(tmp_path)
    status, _out, err = invoke(["audit", "perms.csv"], root)
    assert status == 2
    assert err.splitlines() == [
        "sgperms: error: unexpected KeyError: 'code' (this is a bug in sgperms, please report it with the command "
        "that caused it)"
    ]


def test_an_unexpected_exception_is_scrubbed(tmp_path, monkeypatch):
    secret = "s3cr3t-key-value"

    def boom(args):
        raise RuntimeError(f"server said: bad key {secret}")

    monkeypatch.setattr(cli.snapshot, "run", boom)
    monkeypatch.setenv("SGPERMS_API_KEY", secret)
    status, _out, err = invoke(["snapshot", "-o", str(tmp_path / "out")], tmp_path)
    assert status == 2
    assert secret not in err and "bad key ***" in err


def popen_closed(argv, cwd):
    """Runs the real console script with its stdout already closed by the
    reader (as `| head -0` would), and returns (status, stderr)."""
    p = subprocess.Popen([*CLI, *argv], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    return p.wait(timeout=60), err


@pytest.fixture
def demo_like(tmp_path):
    """A table big enough that its output outgrows any pipe buffer."""
    root = make_tree(tmp_path)
    rows = ["kind,entity_type,name,action,admin,lead,artist,note"]
    rows += [f"entity,CustomEntity{i:02d},,{a},yes,yes,no,{'why ' * 20}"
             for i in range(1, 60) for a in ("see", "create", "retire", "edit")]
    rows += [f"field,Shot,sg_field_{i},see,yes,no,yes,{'note ' * 30}" for i in range(600)]
    (root / "big.csv").write_text("\n".join(rows) + "\n")
    (root / "big2.csv").write_text("\n".join(rows).replace(",yes,yes,no,", ",no,yes,yes,") + "\n")
    return root


@pytest.mark.parametrize(
    "argv, status",
    [
        (["diff", "big.csv", "big2.csv"], 1),
        (["diff", "big.csv", "big2.csv", "--format", "json"], 1),
        (["diff", "big.csv", "big.csv"], 0),
        (["report", "big.csv", "--role", "artist", "-o", "-"], 0),
        (["fmt", "big.csv", "-o", "-"], 0),
        (["tiers", "check", "-q", "tiers.txt", "big2.csv"], 1),
        (["compare", "big.csv", "admin", "artist"], 1),
    ],
    ids=lambda v: v if isinstance(v, int) else "-".join(v[:2]),
)
def test_a_closed_pipe_ends_quietly_with_the_commands_own_status(argv, status, demo_like):
    code, err = popen_closed(argv, demo_like)
    assert err == ""
    assert code == status


def test_a_closed_pipe_still_finishes_the_command(demo_like):
    """`tiers grant ... | head -1`: the grant is written although its plan's reader left."""
    root = demo_like
    code, err = popen_closed(["tiers", "grant", "tiers.txt", "perms.csv", *GRANT], root)
    assert code == 0
    assert err == "1 change(s); written to perms.csv\n"
    assert sgperms.read_csv(root / "perms.csv").get("lead", "entity", "Shot", "", "retire") == "yes"


def test_a_closed_stderr_is_quiet_too(tmp_path):
    p = subprocess.Popen(
        [*CLI, "fmt", "nope.csv"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE
    )
    p.stderr.close()
    out = p.stdout.read()
    assert p.wait(timeout=60) == 2
    assert out == b""


# --- snapshot: the files of the folder it writes into ------------------------

DEMO_SITE = ["--site", "https://demo-studio.shotgrid.autodesk.com", "--script-name", "sgperms", "--api-key", "k" * 20]


@pytest.fixture(scope="module")
def earlier_snapshot(tmp_path_factory):
    """A snapshot of the demo studio (mockgun standing in for the site)."""
    from sgperms import demo

    folder = tmp_path_factory.mktemp("earlier") / "snap"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli._connect, "connect", lambda args: demo.build_site())
        status, _out, err = invoke(["snapshot", "-o", str(folder), "-q", *DEMO_SITE], folder.parent)
    assert status == 0, err
    return folder


@pytest.mark.parametrize("kind", ["folder", "junk", "empty", "wrong_header"])
@pytest.mark.parametrize("name, filetype",
                         [("permissions.csv", "csv"), ("history.csv", "csv"), ("snapshot.json", "json")])
def test_snapshot_into_a_folder_with_a_bad_file_is_one_line_naming_it(name, filetype, kind, earlier_snapshot, tmp_path,
                                                                      monkeypatch):
    """The files a snapshot reads back before writing (the earlier table, the
    history it continues, the site it belongs to)."""
    import shutil

    from sgperms import demo

    folder = tmp_path / "snap"
    shutil.copytree(earlier_snapshot, folder)
    spoil(folder / name, kind, filetype)
    before = listing(tmp_path)
    monkeypatch.setattr(cli._connect, "connect", lambda args: demo.build_site())
    status, out, err = invoke(["snapshot", "-o", "snap", "-q", *DEMO_SITE], tmp_path)
    if (name, kind) == ("history.csv", "empty"):
        assert status == 0, err  # an empty history is read as none: the next snapshot writes it whole
        return
    assert_one_line_error((status, out, err), os.path.join("snap", name), before, listing(tmp_path))
    if name == "snapshot.json" and kind != "folder":
        assert "not a sgperms snapshot.json" in err, err


@pytest.mark.parametrize("kind", ["junk", "empty", "wrong_header"])
def test_demo_over_a_folder_with_a_bad_snapshot_json_names_it(kind, tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    spoil(folder / "snapshot.json", kind, "json")
    before = listing(tmp_path)
    status, out, err = invoke(["demo", "-o", "demo", "-q"], tmp_path)
    assert_one_line_error((status, out, err), os.path.join("demo", "snapshot.json"), before, listing(tmp_path))
    assert "not a sgperms snapshot.json" in err, err
