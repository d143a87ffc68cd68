"""The repository is self-contained: the README and docs/ link only to files
that are in it, the design of record lives in docs/, and ShotGrid's mockgun
schema fixture is vendored with its licence, so nothing the tests or the
documentation need lies outside the repository."""

import hashlib
import re

from conftest import MOCKGUN_SCHEMA, ROOT

DOCS = ["README.md", "CHANGELOG.md", "docs/design.md", "docs/snapshot-folder.md", "docs/newcomers.md",
        "tests/fixtures/mockgun/README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_docs_exist_and_the_readme_points_to_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / name).is_file(), name
    for name in ("docs/design.md", "docs/snapshot-folder.md", "docs/newcomers.md", "CHANGELOG.md"):
        assert f"]({name})" in readme, f"the README links {name}"
    assert readme.rstrip().endswith("Design of record: [docs/design.md](docs/design.md).")


def test_links_resolve_inside_the_repository():
    root = ROOT.resolve()
    for name in DOCS:
        page = ROOT / name
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address, or a heading on the same page
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(root), f"{name} links outside the repository: {target}"
            assert path.exists(), f"{name} links a file that is not there: {target}"


def test_nothing_points_outside_the_repository():
    outside = ("../shared", "/work/", "shared/fixtures", "shared/seeds", "DESIGN.md")
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        for needle in outside:
            assert needle not in text, f"{name} mentions {needle}"
    sources = [p for p in (ROOT / "tests").glob("*.py") if p.name != "test_docs.py"]
    sources += list((ROOT / "python" / "sgperms").rglob("*.py"))
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for needle in ("../shared", 'parent / "shared"', "ROOT.parent", "SHARED_MOCKGUN"):
            assert needle not in text, f"{path.relative_to(ROOT)} reaches outside the repository ({needle})"


def test_mockgun_fixture_is_vendored_with_its_licence_and_checksums():
    assert MOCKGUN_SCHEMA == ROOT / "tests" / "fixtures" / "mockgun"
    licence = (MOCKGUN_SCHEMA / "LICENSE").read_text(encoding="utf-8")
    assert "Copyright (c) 2009-2011, Shotgun Software Inc" in licence
    readme = (MOCKGUN_SCHEMA / "README.md").read_text(encoding="utf-8")
    assert "https://github.com/shotgunsoftware/python-api" in readme
    listed = dict(re.findall(r"\| `([\w.]+)` \| `([0-9a-f]{64})` \|", readme))
    assert set(listed) == {"schema.pickle", "schema_entity.pickle", "LICENSE"}
    for name, digest in listed.items():
        assert hashlib.sha256((MOCKGUN_SCHEMA / name).read_bytes()).hexdigest() == digest, name
