"""The shared test data is found in one place, and its absence is said plainly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import testdata as shared


def test_fixture_finds_the_data_beside_the_repository(testdata: Callable[[str], Path]) -> None:
    repo = Path(__file__).resolve().parents[1]
    assert testdata("zawgyi") == repo.parent / "shared" / "testdata" / "zawgyi"


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(shared, "TESTDATA", tmp_path / "shared" / "testdata")
    return tmp_path / "shared" / "testdata"


def test_missing_data_skips_saying_where_it_looked(nowhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIP_SCREEN_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match=str(nowhere / "zawgyi")):
        shared.require("zawgyi")


def test_missing_data_fails_when_everything_is_required(nowhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIP_SCREEN_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="forbids skipping"):
        shared.require("zawgyi")


def test_collection_gets_one_placeholder_without_the_data(nowhere: Path) -> None:
    rows = shared.rows("zawgyi", lambda path: pytest.fail("must not be read"), width=3)
    assert len(rows) == 1 and rows[0].values == (None, None, None)
    (nowhere / "zawgyi").mkdir(parents=True)
    assert shared.rows("zawgyi", lambda path: [(path.name, 1)], width=2) == [("zawgyi", 1)]
