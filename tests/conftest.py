import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED_MOCKGUN = ROOT.parent / "shared" / "fixtures" / "mockgun"


@pytest.fixture
def studio_csv():
    """The example studio the repo ships, as text."""
    return (ROOT / "examples" / "permissions.csv").read_text(encoding="utf-8")
