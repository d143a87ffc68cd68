"""The sgperms command: fmt, --check, -o, errors, --version and --help."""

import os
import shutil
import subprocess
import sys

import pytest

import sgperms
from sgperms.cli import build_parser, main

from conftest import run_cli as run

MESSY = "\ufeffsep=;\r\nKind;Entity Type;Name;Action;artist\r\nentity;Shots;;delete;✓\r\nentity;Asset;;see;no\r\n"
CANONICAL = "kind,entity_type,name,action,artist,note\nentity,Asset,,see,no,\nentity,Shot,,retire,yes,\n"




def test_fmt_rewrites_in_place(tmp_path):
    messy = tmp_path / "perms.csv"
    messy.write_bytes(MESSY.encode())
    clean = tmp_path / "clean.csv"
    clean.write_text(CANONICAL)
    r = run("fmt", str(messy), str(clean))
    assert r.returncode == 0, r.stderr
    assert messy.read_text() == CANONICAL
    assert f"reformatted: {messy}" in r.stderr
    assert "1 file reformatted, 1 file already canonical" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.csv", "perms.csv"]


def test_fmt_check_lists_files_and_exits_1_without_writing(tmp_path):
    messy = tmp_path / "perms.csv"
    messy.write_bytes(MESSY.encode())
    clean = tmp_path / "clean.csv"
    clean.write_text(CANONICAL)
    r = run("fmt", "--check", str(messy), str(clean))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"would reformat: {messy}"]
    assert messy.read_bytes() == MESSY.encode()
    assert run("fmt", "--check", str(clean)).returncode == 0


def test_fmt_output_and_layout(tmp_path):
    messy = tmp_path / "perms.csv"
    messy.write_bytes(MESSY.encode())
    out = tmp_path / "long.csv"
    r = run("fmt", str(messy), "--layout", "long", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines()[:2] == [
        "role,kind,entity_type,name,action,value,note",
        "artist,entity,Asset,,see,no,",
    ]
    assert messy.read_bytes() == MESSY.encode()  # -o leaves the input alone
    # A long file stays long without --layout.
    r = run("fmt", "--check", str(out))
    assert r.returncode == 0, r.stdout + r.stderr


def test_fmt_stdin_to_stdout():
    r = run("fmt", "-", stdin=MESSY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == CANONICAL


def test_bad_file_is_one_clear_line_nonzero_and_leaves_no_output(tmp_path):
    bad = tmp_path / "bad.csv"
    original = "kind,entity_type,name,action,artist\nentity,Shot,,see,maybe\n"
    bad.write_text(original)
    out = tmp_path / "out.csv"
    r = run("fmt", str(bad), "-o", str(out))
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == (
        f'sgperms: error: {bad}, row 2, column "artist": unknown value "maybe"; expected yes, no, inherit, '
        '"if <condition>" or empty (also accepted: y/true/1/x/✓/allow, n/false/0/-/✗/deny, default)'
    )
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert bad.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_errors_with_newlines_stay_on_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('kind,entity_type,name,action,a\nentity,Shot,,see,"if x\ny"\nentity,Shot,,see,no\n')
    r = run("fmt", str(bad))
    assert r.returncode == 2
    assert len([line for line in r.stderr.splitlines() if line.startswith("sgperms: error")]) == 1
    assert "if x\\ny" in r.stderr


def test_missing_file_and_misuse(tmp_path):
    r = run("fmt", str(tmp_path / "nope.csv"))
    assert r.returncode == 2
    assert "No such file or directory" in r.stderr
    r = run("fmt", "a.csv", "b.csv", "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 2
    assert "-o/--output takes exactly one input file" in r.stderr
    r = run()
    assert r.returncode == 2
    assert "fmt" in r.stderr


def test_fmt_with_schema_json(tmp_path):
    schema = sgperms.Schema.from_shotgun_dicts(
        {"Shot": {"sg_status_list": {"name": {"value": "Status"}, "data_type": {"value": "status_list"}}}},
        {"Shot": {"name": {"value": "Shot"}}},
    )
    schema_path = tmp_path / "schema.json"
    schema_path.write_text(schema.to_json())
    perms = tmp_path / "perms.csv"
    perms.write_text("kind,entity_type,name,action,a\nfield,Shots,Status,edit,yes\n")
    r = run("fmt", "--schema", str(schema_path), str(perms))
    assert r.returncode == 0, r.stderr
    assert "field,Shot,sg_status_list,edit,yes," in perms.read_text()


def test_version_and_help_on_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sgperms {sgperms.__version__}"
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices
    assert "fmt" in commands
    for argv in [["--help"]] + [[name, "--help"] for name in commands]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "usage: sgperms" in out
    with pytest.raises(SystemExit):
        main(["fmt", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_console_script_is_installed():
    exe = shutil.which("sgperms") or os.path.join(os.path.dirname(sys.executable), "sgperms")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert r.stdout.strip() == f"sgperms {sgperms.__version__}"


def test_fmt_to_another_file_or_stdout_says_what_it_wrote_and_never_reformatted(tmp_path):
    messy, clean, out = tmp_path / "perms.csv", tmp_path / "clean.csv", tmp_path / "out.csv"
    messy.write_bytes(MESSY.encode())
    clean.write_text(CANONICAL)
    r = run("fmt", messy, "-o", out)
    assert (r.returncode, r.stderr) == (0, f"wrote {out} ({messy}: its canonical form)\n")
    assert out.read_text() == CANONICAL and messy.read_bytes() == MESSY.encode()
    r = run("fmt", clean, "-o", out)
    assert (r.returncode, r.stderr) == (0, f"wrote {out} ({clean}: already canonical, copied as it was)\n")
    for source in (messy, clean):
        r = run("fmt", source, "-o", "-")
        assert (r.returncode, r.stdout, r.stderr) == (0, CANONICAL, "")
    assert run("fmt", messy, "-o", out, "-q").stderr == ""


def test_demo_over_an_edited_earlier_demo_refuses_unless_forced(tmp_path):
    out = tmp_path / "studio"
    assert run("demo", "-o", out, "-q").returncode == 0
    again = run("demo", "-o", out, "-q")
    assert (again.returncode, again.stderr) == (0, "")  # unedited: replaced, byte for byte the same
    edited = (out / "permissions.csv").read_text().replace("lost Versions", "LOST Versions", 1)
    assert edited != (out / "permissions.csv").read_text()
    (out / "permissions.csv").write_text(edited)
    (out / "tiers.txt").unlink()
    r = run("demo", "-o", out, "-q")
    assert r.returncode == 2
    assert r.stderr == (f"sgperms: error: the demo could not run: {out} holds an earlier demo whose permissions.csv "
                        "changed since it was written: the demo would replace them; pass --force to "
                        "replace them anyway, or choose a new folder (-o DIR)\n")
    assert (out / "permissions.csv").read_text() == edited and not (out / "tiers.txt").exists()
    forced = run("demo", "-o", out, "-q", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "tiers.txt").exists() and "lost Versions" in (out / "permissions.csv").read_text()
    (out / "tiers.txt").unlink()  # a file removed since loses nothing: written again
    assert run("demo", "-o", out, "-q").returncode == 0 and (out / "tiers.txt").exists()
