"""The README's quick start runs, and its commented results are what it says."""

import ast
import re
import shutil

from conftest import ROOT


def test_quick_start_runs_and_its_comments_hold(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n\n```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "permissions.csv", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    checked = 0
    for line in block.splitlines():
        code, _, comment = line.partition("#")
        exec(code, namespace)
        expected = comment.strip().split(":")[-1].strip()
        if code.strip() and re.match(r"^[\[']", expected):
            assert eval(code, namespace) == ast.literal_eval(expected), line
            checked += 1
    assert checked >= 3


def test_jupyter_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    jupyter = [b for b in blocks if "demo.build_site()" in b]
    assert len(jupyter) == 1
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(jupyter[0], namespace)
    assert "artist" in namespace["roles"] and len(namespace["people"]) > 250
    pivot = eval(jupyter[0].strip().splitlines()[-1], namespace)
    assert pivot.loc["Version", "artist"] == "yes" and pivot.loc["Version", "lead"] == "no"


def test_readme_documents_every_environment_variable_the_cli_reads():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from sgperms import cli

    variables = {"SGPERMS_SITE"} | {f"SGPERMS_{name.upper()}" for name in cli.CREDENTIALS}
    assert len(variables) == 6
    for variable in variables:
        assert variable in readme, variable
