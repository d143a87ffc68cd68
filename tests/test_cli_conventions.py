"""What every command of the sgperms command keeps: help with an example,
-q, ``-`` for stdin on every file argument, the exit statuses, ``python -m
sgperms`` and ``-V``; and the command package uses only the library's
public API."""

import argparse
import ast
import io
import json
import pathlib
import subprocess
import sys

import pytest

import sgperms
from sgperms import cli
from sgperms.cli import ExitStatus, build_parser

CLI_DIR = pathlib.Path(cli.__file__).parent

TIERS = "admins: admin\nadmin > lead > artist\n"
PERMS = (
    "kind,entity_type,name,action,admin,lead,artist,note\n"
    "entity,HumanUser,,edit,yes,yes,no,\n"
    "entity,Shot,,retire,yes,no,yes,artists tidy up\n"
    "entity,Shot,,see,yes,yes,yes,\n"
    "field,HumanUser,permission_rule_set,edit,yes,yes,no,\n"
)
OTHER = PERMS.replace("entity,Shot,,see,yes,yes,yes,", "entity,Shot,,see,yes,yes,no,")
ROLES = (
    "code,display_name,user_type,template,system_default,id\n"
    "admin,Admin,HumanUser,,no,1\nlead,Lead,HumanUser,,no,2\nartist,Artist,HumanUser,,no,3\n"
)

USERS = "user_type,id,login,name,active,role\nHumanUser,7,ada,Ada <b>Abara</b>,yes,artist\n"
SCHEMA = sgperms.Schema.from_shotgun_dicts(
    {"Shot": {"code": {"name": {"value": "Shot Code"}, "data_type": {"value": "text"}}},
     "HumanUser": {"permission_rule_set": {"name": {"value": "Permission Group"}, "data_type": {"value": "entity"}}}},
    {"Shot": {"name": {"value": "Shot"}}, "HumanUser": {"name": {"value": "Person"}}},
).to_json()


def run(args, cwd, stdin=None):
    command = [sys.executable, "-m", "sgperms", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, input=stdin)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "perms.csv").write_text(PERMS)
    (tmp_path / "other.csv").write_text(OTHER)
    (tmp_path / "tiers.txt").write_text(TIERS)
    (tmp_path / "roles.csv").write_text(ROLES)
    # Not beside perms.csv, where commands would read them on their own.
    (tmp_path / "side").mkdir()
    (tmp_path / "side" / "users.csv").write_text(USERS)
    (tmp_path / "side" / "schema.json").write_text(SCHEMA)
    return tmp_path


def leaf_commands(parser=None, prefix=()):
    """Every command a user runs (``tiers check``, not ``tiers``), as argv prefixes."""
    parser = parser or build_parser()
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        return [prefix]
    return [leaf for name, sub in groups[0].choices.items() for leaf in leaf_commands(sub, prefix + (name,))]


COMMANDS = leaf_commands()


def test_every_command_is_listed():
    assert [" ".join(c) for c in COMMANDS] == [
        "fmt", "snapshot", "probe", "demo", "bench", "tiers check", "tiers grant", "tiers revoke", "audit",
        "promote", "diff", "log", "compare", "report", "allowed",
    ]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example_and_quiet(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out.lower(), out
    assert "-q, --quiet" in out, out


# (id, argv with "{}" where the file goes, the file, what stdin holds)
STDIN_CASES = [
    ("fmt", ["fmt", "{}"], "perms.csv", PERMS),
    ("tiers-check-TIERS", ["tiers", "check", "{}", "perms.csv"], "tiers.txt", TIERS),
    ("tiers-check-PERMS", ["tiers", "check", "tiers.txt", "{}"], "perms.csv", PERMS),
    ("tiers-grant-TIERS", ["tiers", "grant", "{}", "perms.csv", "--role", "lead", "--target", "entity:Shot::retire",
                           "--dry-run"], "tiers.txt", TIERS),
    ("tiers-revoke-TIERS", ["tiers", "revoke", "{}", "perms.csv", "--role", "lead", "--target", "entity:Shot::see",
                            "--dry-run"], "tiers.txt", TIERS),
    ("audit-PERMS", ["audit", "{}", "--tiers", "tiers.txt"], "perms.csv", PERMS),
    ("audit--tiers", ["audit", "perms.csv", "--tiers", "{}"], "tiers.txt", TIERS),
    ("diff-OLD", ["diff", "{}", "other.csv"], "perms.csv", PERMS),
    ("diff-NEW", ["diff", "perms.csv", "{}", "--format", "json"], "other.csv", OTHER),
    ("compare", ["compare", "{}", "lead", "artist"], "perms.csv", PERMS),
    # roles.csv and tiers.txt are beside perms.csv: the file form would read them on its own, so both forms name them.
    ("report", ["report", "{}", "--role", "artist", "-o", "-", "--roles", "roles.csv", "--tiers", "tiers.txt"],
     "perms.csv", PERMS),
    ("report--tiers", ["report", "perms.csv", "--role", "artist", "-o", "-", "--tiers", "{}"], "tiers.txt", TIERS),
    ("report--roles", ["report", "perms.csv", "--role", "artist", "-o", "-", "--roles", "{}"], "roles.csv", ROLES),
    ("report--users", ["report", "perms.csv", "--role", "artist", "-o", "-", "--users", "{}"], "side/users.csv",
     USERS),
    ("report--schema", ["report", "perms.csv", "--role", "artist", "-o", "-", "--schema", "{}"],
     "side/schema.json", SCHEMA),
    ("fmt--schema", ["fmt", "perms.csv", "--check", "--schema", "{}"], "side/schema.json", SCHEMA),
]


@pytest.mark.parametrize("argv, name, content", [c[1:] for c in STDIN_CASES], ids=[c[0] for c in STDIN_CASES])
def test_dash_reads_stdin_for_every_file_argument(argv, name, content, tree):
    """The same command given the file, and given - with the file on stdin,
    answers alike (fmt -, which writes stdout, writes the canonical form)."""
    from_file = run([a.replace("{}", name) for a in argv], tree)
    from_stdin = run([a.replace("{}", "-") for a in argv], tree, stdin=content)
    assert from_stdin.returncode == from_file.returncode, from_stdin.stderr
    assert from_stdin.returncode in (ExitStatus.OK, ExitStatus.FINDINGS), from_stdin.stderr
    if argv[:2] == ["fmt", "{}"]:
        assert from_stdin.stdout == sgperms.read_csv(content).to_csv()
    else:
        assert from_stdin.stdout == from_file.stdout
        assert from_stdin.stdout


@pytest.mark.parametrize("action, target", [("grant", "entity:Shot::retire"), ("revoke", "entity:Shot::see")])
def test_a_table_from_stdin_is_changed_onto_stdout_with_the_plan_on_stderr(action, target, tree):
    r = run(["tiers", action, "tiers.txt", "-", "--role", "lead", "--target", target], tree, stdin=PERMS)
    assert r.returncode == 0, r.stderr
    expected = sgperms.Tiers.parse(TIERS)
    table = sgperms.read_csv(PERMS)
    plan = getattr(expected, action)(table, "lead", *target.split(":"))
    assert r.stdout == plan.apply(table).to_csv()
    assert "lead: entity:Shot:" in r.stderr and r.stderr.endswith(f"{len(plan)} change(s); written to stdout\n")
    assert (tree / "perms.csv").read_text() == PERMS  # nothing else is written


def test_stdin_errors_name_stdin(tree):
    r = run(["audit", "-"], tree, stdin="kind,entity_type,name,action,artist\nentity,Shot,,see,perhaps\n")
    assert r.returncode == 2 and r.stderr.startswith("sgperms: error: <stdin>, row 2"), r.stderr
    r = run(["tiers", "check", "-", "perms.csv"], tree, stdin="# nothing but a comment\n")
    assert r.returncode == 2 and r.stderr.startswith("sgperms: error: <stdin>: the file names no role"), r.stderr
    r = run(["tiers", "check", "-", "perms.csv"], tree, stdin="admin > lead\nlead >\n")
    assert r.returncode == 2 and r.stderr.startswith("sgperms: error: <stdin>: line 2: "), r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_a_table_from_stdin_is_checked_against_the_roles_given(tree):
    r = run(["report", "-", "--role", "artist", "-o", "-", "--roles", "roles.csv"], tree,
            stdin=PERMS.replace(",artist,", ",artsit,", 1))
    assert r.returncode == 2
    assert 'unknown role "artsit"' in r.stderr and "(the roles of roles.csv)" in r.stderr


@pytest.mark.parametrize("argv", [["diff", "-", "-"], ["tiers", "check", "-", "-"], ["audit", "-", "--tiers", "-"],
                                  ["report", "-", "--role", "artist", "-o", "-", "--roles", "-"],
                                  ["fmt", "-", "--schema", "-"]])
def test_stdin_is_read_once(argv, tree):
    r = run(argv, tree, stdin=PERMS)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()] and "(stdin): only one of them can be" in r.stderr


@pytest.mark.parametrize("argv, status", [
    (["diff", "perms.csv", "other.csv"], ExitStatus.FINDINGS),
    (["diff", "perms.csv", "perms.csv"], ExitStatus.OK),
    (["compare", "perms.csv", "lead", "artist"], ExitStatus.FINDINGS),
    (["report", "perms.csv", "--all", "-o", "site"], ExitStatus.OK),
    (["tiers", "check", "tiers.txt", "perms.csv"], ExitStatus.FINDINGS),
    (["audit", "perms.csv"], ExitStatus.FINDINGS),
])
def test_quiet_commands_print_nothing_but_their_status_says(argv, status, tree):
    loud = run(argv, tree)
    assert loud.returncode == status and (loud.stdout or loud.stderr)
    r = run([*argv, "-q"], tree)
    assert r.returncode == status, r.stderr
    assert r.stderr == ""
    if argv[0] in ("diff", "compare", "report"):
        assert r.stdout == ""


def test_promote_quiet_and_tiers_from_stdin(monkeypatch, capsys):
    from sgperms import demo

    sg = demo.build_site()
    site = sgperms.Site(sg)
    people = {a.role: a for a in site.assignments() if a.user_type == "HumanUser" and a.active}
    producer, artist = people["producer"], people["artist"]
    monkeypatch.setattr(cli._connect, "connect", lambda args: sg)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(demo.TIERS.encode())))
    argv = ["promote", "--tiers", "-", "--site", demo.DEMO_URL, "--script-name", "s", "--api-key", "k" * 20,
            "--actor", producer.login, "--user", artist.login, "--role", "lead", "--dry-run"]
    assert cli.main([*argv, "--json"]) == ExitStatus.OK
    decision = json.loads(capsys.readouterr().out)
    assert decision["allowed"] and decision["dry_run"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(demo.TIERS.encode())))
    assert cli.main([*argv, "-q"]) == ExitStatus.OK
    assert capsys.readouterr() == ("", "")


def test_exit_statuses():
    assert [(s.name, int(s)) for s in ExitStatus] == [("OK", 0), ("FINDINGS", 1), ("ERROR", 2), ("INTERRUPTED", 130)]


@pytest.mark.parametrize("module", ["sgperms", "sgperms.cli"])
@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_python_m_and_version(module, flag, tmp_path):
    r = subprocess.run([sys.executable, "-m", module, flag], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == f"sgperms {sgperms.__version__}\n"


def test_python_m_sgperms_runs_commands(tree):
    r = run(["fmt", "--check", "perms.csv"], tree)
    assert r.returncode == ExitStatus.FINDINGS and r.stdout == "would reformat: perms.csv\n"


def library_imports():
    """(module, imported name) for every import of the library the command package makes."""
    for path in sorted(CLI_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level >= 2 or (node.module or "").startswith("sgperms")):
                for alias in node.names:
                    yield path.name, node.module or "", alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("sgperms"):
                        yield path.name, alias.name, ""


def test_the_command_uses_only_the_public_api():
    found = list(library_imports())
    assert len(found) > 20
    names = [(f, m, n, part) for f, m, n in found for part in m.split(".") + [n] if part]
    private = [(f, m, n) for f, m, n, part in names if part.startswith("_") and not part.endswith("__")]
    assert private == []
