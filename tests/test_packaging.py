"""Packaging: the licence and the metadata that name it, the changelog, and
the pre-commit hook a studio's permissions repository uses straight from
sgperms' repository (.pre-commit-hooks.yaml), run as pre-commit would run it."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

import sgperms

from conftest import ROOT

try:  # Python 3.11+
    import tomllib
except ImportError:  # 3.9, 3.10: tomli where it is installed
    try:
        import tomli as tomllib  # type: ignore[no-redef]
    except ImportError:
        tomllib = None

needs_toml = pytest.mark.skipif(
    tomllib is None, reason="reading pyproject.toml needs tomllib (Python 3.11+) or tomli, and neither is here"
)

REPOSITORY = "https://github.com/sgperms/sgperms"


def load_toml(name):
    with open(ROOT / name, "rb") as f:
        return tomllib.load(f)


# -- the licence ------------------------------------------------------------


def test_license_is_mit_by_the_sgperms_authors():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the sgperms authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


@needs_toml
def test_pyproject_names_the_license_file_and_agrees_with_cargo():
    project = load_toml("pyproject.toml")["project"]
    assert project["license"] == "MIT"  # an SPDX expression (PEP 639)
    assert "LICENSE" in project["license-files"]
    assert all((ROOT / name).is_file() for name in project["license-files"])
    # PEP 639 forbids a License classifier beside an expression; PyPI refuses both.
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert load_toml("Cargo.toml")["package"]["license"] == project["license"]


@needs_toml
def test_pyproject_metadata_urls_and_classifiers():
    project = load_toml("pyproject.toml")["project"]
    urls = project["urls"]
    assert urls["Repository"] == urls["Homepage"] == REPOSITORY
    assert urls["Issues"] == REPOSITORY + "/issues"
    assert urls["Changelog"].endswith("/CHANGELOG.md") and (ROOT / "CHANGELOG.md").is_file()
    assert urls["Documentation"].endswith("/docs") and (ROOT / "docs").is_dir()
    classifiers = project["classifiers"]
    assert len(set(classifiers)) == len(classifiers)
    assert "Typing :: Typed" in classifiers and (ROOT / "python" / "sgperms" / "py.typed").is_file()
    versions = sorted(
        (int(m.group(1)), int(m.group(2)))
        for m in (re.fullmatch(r"Programming Language :: Python :: (\d+)\.(\d+)", c) for c in classifiers)
        if m
    )
    assert versions and versions[0] == (3, 9) and project["requires-python"] == ">=3.9"
    assert versions == [(3, minor) for minor in range(9, versions[-1][1] + 1)], "no gap in the Python versions"
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert "Operating System :: POSIX :: Linux" in classifiers
    assert project["keywords"]


def test_changelog_has_unreleased_and_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{sgperms.__version__}]" in text
    assert f"[{sgperms.__version__}]: {REPOSITORY}/releases/tag/v{sgperms.__version__}" in text


# -- the pre-commit hook ----------------------------------------------------


def read_hooks():
    """.pre-commit-hooks.yaml, read without a YAML library (none is a
    dependency): a list of flat mappings whose values are plain or
    single-quoted scalars or flow lists, which is all the file may hold."""
    hooks = []
    for raw in (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        line = raw
        if line.startswith("- "):
            hooks.append({})
            line = "  " + line[2:]
        assert re.match(r"  [a-z_]+: ", line), f"not a key of a hook: {raw!r}"
        key, _, value = line.strip().partition(": ")
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            value = [item.strip() for item in value[1:-1].split(",") if item.strip()]
        elif len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1].replace("''", "'")
        else:
            assert not value.startswith(("'", '"', "[", "{", "|", ">")), f"keep {key} a plain scalar: {raw!r}"
        assert key not in hooks[-1], f"{key} given twice"
        hooks[-1][key] = value
    return hooks


def hook():
    (found,) = [h for h in read_hooks() if h["id"] == "sgperms-fmt"]
    return found


def selected(h, path):
    """Whether pre-commit would pass ``path`` (relative to the repository, with
    /) to the hook: ``files`` and ``exclude`` are searched (re.search)."""
    return bool(re.search(h["files"], path)) and not re.search(h.get("exclude", "^$"), path)


def entry(h):
    """The hook's command line, with its executable as this Python's
    environment installed it (pre-commit installs sgperms the same way)."""
    words = shlex.split(h["entry"])
    assert words[0] == "sgperms"
    exe = os.path.join(os.path.dirname(sys.executable), "sgperms")
    exe = exe if os.path.exists(exe) else shutil.which("sgperms")
    assert exe, "the sgperms command is not installed (pip install -e .)"
    return [exe, *words[1:]]


def test_hook_manifest():
    h = hook()
    assert set(h) <= {"id", "name", "description", "entry", "language", "files", "exclude", "types"}
    assert h["entry"] == "sgperms fmt --check"
    assert h["language"] == "python"
    assert h["files"] == r"\.csv$"
    assert h["types"] == ["file"]
    assert h["name"] and h["description"]
    for path in ("permissions.csv", "permissions/permissions.csv", "studio/probed.csv", "examples/permissions.csv"):
        assert selected(h, path), path
    for path in ("permissions/users.csv", "roles.csv", "a/b/history.csv", "permissions/tiers.txt", "README.md",
                 "permissions/schema.json", "permissions.csv.bak"):
        assert not selected(h, path), path


def test_hook_entry_passes_a_canonical_table_and_fails_another(tmp_path):
    canonical = (ROOT / "examples" / "permissions.csv").read_bytes()
    good = tmp_path / "good.csv"
    good.write_bytes(canonical)
    bad = tmp_path / "bad.csv"
    messy = b"Kind;Entity Type;Name;Action;artist\r\nentity;Shots;;delete;\xe2\x9c\x93\r\n"
    bad.write_bytes(messy)

    r = subprocess.run(entry(hook()) + [str(good)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(entry(hook()) + [str(good), str(bad)], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert f"would reformat: {bad}" in r.stdout and str(good) not in r.stdout
    assert good.read_bytes() == canonical and bad.read_bytes() == messy  # --check writes nothing


def test_hook_passes_a_snapshot_folder_and_leaves_out_files_that_are_not_tables(tmp_path):
    """In a studio's permissions repository (a snapshot folder committed
    nightly), the hook selects permissions.csv alone and passes; roles.csv,
    users.csv and history.csv are not permission tables and would fail."""
    r = subprocess.run([*entry(hook())[:1], "demo", "-q", "-o", str(tmp_path / "permissions")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    h = hook()
    files = sorted(f"permissions/{name}" for name in os.listdir(tmp_path / "permissions"))
    chosen = [f for f in files if selected(h, f)]
    assert chosen == ["permissions/permissions.csv"]
    r = subprocess.run(entry(h) + chosen, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    left_out = [f for f in files if f.endswith(".csv") and f not in chosen]
    assert left_out == ["permissions/history.csv", "permissions/roles.csv", "permissions/users.csv"]
    r = subprocess.run(entry(h) + left_out, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2  # why they are excluded


def test_readme_uses_the_hook_from_this_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\nrepos:\n  - repo: (\S+)\n.*?)```", readme, re.S)
    assert block, "the README's pre-commit example"
    assert block.group(2) == REPOSITORY
    assert f"    rev: v{sgperms.__version__}\n" in block.group(1)
    assert f"      - id: {hook()['id']}\n" in block.group(1)
    assert "repo: local" in readme  # the alternative, for an installed sgperms
