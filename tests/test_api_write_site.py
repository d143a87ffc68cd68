"""The core writes the HTML site into an open managed folder as one unit:
the pages render_site() gives, all new or none."""

import os

import pytest

import sgperms
import sgperms.folder
from sgperms import _core

TEXT = "kind,entity_type,name,action,artist,lead\nentity,Version,,retire,yes,no\n"


def test_the_core_writes_the_pages_render_site_gives(tmp_path):
    table = sgperms.read_csv(TEXT)
    out = tmp_path / "site"
    with sgperms.folder.writing(out, "test") as unit:
        names = _core.write_site(unit, table, title="Studio")
    pages = _core.render_site(table, title="Studio")
    assert names == [name for name, _ in pages]
    for name, text in pages:
        assert (out / name).read_text(encoding="utf-8") == text


def test_a_refused_page_writes_nothing(tmp_path):
    table = sgperms.read_csv(TEXT)
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("old", encoding="utf-8")
    os.symlink(tmp_path / "elsewhere.html", out / "matrix.html")
    with sgperms.folder.writing(out, "test") as unit:
        with pytest.raises(sgperms.FolderError) as info:
            _core.write_site(unit, table)
    assert info.value.kind == "symlink"
    assert (out / "index.html").read_text(encoding="utf-8") == "old"
    assert not (tmp_path / "elsewhere.html").exists()
    unit.close()
    with pytest.raises(ValueError, match="closed"):
        _core.write_site(unit, table)
