"""The README's quick start runs, and its commented results are what it says."""

import ast
import os
import re
import shutil
import subprocess
import sys

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


def test_probe_example_runs_on_the_demo_as_written(tmp_path, monkeypatch):
    """The README's Python probe example, after the Jupyter example whose
    ``site`` and ``table`` it uses, runs on the demo studio as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    jupyter = [b for b in blocks if "demo.build_site()" in b]
    probing = [b for b in blocks if 'site.probe("auto")' in b]
    assert len(jupyter) == 1 and len(probing) == 1
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(jupyter[0], namespace)
    exec(probing[0], namespace)
    measured = namespace["measured"]
    assert measured.table.get("artist", "entity", "Version", "", "retire") == "yes"
    assert measured.table.get("lead", "entity", "Version", "", "retire") == "no"
    assert measured.skipped == {"suspended": "no active person holds this role: nobody to act as"}
    # No drift: every cell the probe decided is what the demo's table says.
    assert len(eval("measured.compare(table)", namespace)) == 0
    page = eval(probing[0].strip().splitlines()[-1].partition("#")[0], namespace)
    assert page.startswith("# ") and "| Version |" in page


def test_quick_start_leaves_the_tracked_example_alone():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n\n```python\n(.*?)```", readme, re.S).group(1)
    assert "examples/permissions.csv" in block
    assert not re.search(r"to_csv\([^)]*examples/", block)


def test_readme_states_the_benchmarks_default_runs():
    from sgperms import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"Medians of\s+`--runs` runs \(default (\d+);", readme)
    bench = cli.build_parser()._subparsers._group_actions[0].choices["bench"]
    assert stated and int(stated.group(1)) == bench.get_default("runs")


def test_readme_documents_every_environment_variable_the_cli_reads():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from sgperms import cli

    variables = {"SGPERMS_SITE"} | {f"SGPERMS_{name.upper()}" for name in cli.CREDENTIALS}
    assert len(variables) == 6
    for variable in variables:
        assert variable in readme, variable


# Names the README's snippets leave to the reader: two logins.
READER = """\
import sgperms

producer_login: str
artist_login: str
"""

# Toolkit is not installed here: its `tank` package as the hook example uses it.
TANK_STUB = """\
from typing import Any

class Hook:
    parent: Any  # the app running the hook; .shotgun is the engine's shotgun_api3 session
"""


def readme_modules(readme):
    """The README's Python as a reader pastes it: a block that imports sgperms
    starts a module; one that does not goes on from the block before (the
    Jupyter session, then probing and tiers on its ``site`` and ``table``)."""
    modules = []
    for block in re.findall(r"```python\n(.*?)```", readme, re.S):
        if re.match(r"import sgperms\b", block) or not modules:
            modules.append(block)
        else:
            modules[-1] += block
    return modules


def test_readme_python_passes_mypy_strict(tmp_path):
    """Every ```python block of the README type-checks with mypy --strict
    against the installed package, with the project's mypy settings; the
    Toolkit hook against a stub of ``tank``."""
    modules = readme_modules((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(modules) >= 3 and any("from tank import Hook" in m for m in modules)
    stubs = tmp_path / "stubs" / "tank"
    stubs.mkdir(parents=True)
    (stubs / "__init__.pyi").write_text(TANK_STUB, encoding="utf-8")
    paths = []
    for i, code in enumerate(modules):
        path = tmp_path / f"readme_{i}.py"
        path.write_text(READER + "\n" + code, encoding="utf-8")
        paths.append(str(path))
    mypy = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--strict"]
    r = subprocess.run([*mypy, *paths], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "MYPYPATH": str(tmp_path / "stubs")})
    assert r.returncode == 0, r.stdout + r.stderr


def test_ci_runs_the_readme_test_command():
    """.ci/run runs the README's second set-up command, as the README says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^# 2\. .*\n(.+)$", readme, re.M).group(1)
    assert ".ci/run` runs the second command" in readme
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1] == command
