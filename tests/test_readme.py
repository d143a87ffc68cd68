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
