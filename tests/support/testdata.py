"""Shared test data kept beside the repository, in ../shared/testdata (not committed here).

Tests reach it only through the ``testdata`` fixture (tests/conftest.py):
``testdata("zawgyi")`` is the directory, or the test is skipped with the
reason (a failure under TIP_SCREEN_REQUIRE_ALL=1, as .ci/run sets it).
Parameters read from the data when tests are collected use :func:`rows`,
which gives one placeholder case when the data is missing, so that a
checkout without it still collects and says why those tests did not run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO.parent / "shared" / "testdata"


def require(name: str) -> Path:
    """The test data directory ``name``; skip or fail, saying where it was looked for."""
    path = TESTDATA / name
    if not path.is_dir():
        skip_or_fail(
            f"test data {name!r} not found at {path}: put the shared test data directory "
            f"beside the repository (../shared/testdata, see README, Tests)"
        )
    return path


def rows(name: str, build: Callable[[Path], Sequence[Any]], width: int) -> list[Any]:
    """``build(directory)`` for ``pytest.mark.parametrize``; one placeholder row if it is missing.

    The tests using these rows must request the ``testdata`` fixture, which
    then skips (or fails) the placeholder case with the reason.
    """
    path = TESTDATA / name
    if path.is_dir():
        return list(build(path))
    return [pytest.param(*([None] * width), id=f"no-testdata-{name}")]
