"""The engine's modules stay small and free of ``eval``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "app" / "questionnaire"
MAX_LINES = 350
MODULES = sorted(ENGINE.rglob("*.py"))
EVAL = re.compile(r"(?<![\w.])(eval|exec|compile)\(")  # re.compile( is fine


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ENGINE)))
def test_no_module_is_long_without_saying_why(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head = text.split('"""')[1] if text.startswith('"""') else ""
    assert len(text.splitlines()) <= MAX_LINES or "one module" in head, (
        f"{path.name} is over {MAX_LINES} lines: split it, or say at its top why it is one module"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ENGINE)))
def test_no_eval_in_the_engine(path: Path) -> None:
    assert EVAL.search(path.read_text(encoding="utf-8")) is None, path.name
