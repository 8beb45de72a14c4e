"""Lint, types, import contracts, dead code and the catalog template, as part of the one test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff():
    result = _run(str(BIN / "ruff"), "check", "app", "tests", "bench", "run.py", ".ci")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts():
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_dead_code():
    """vulture, configured in pyproject.toml; what only templates or the framework read is in
    .ci/vulture_whitelist.py, each with who reads it."""
    result = _run(str(BIN / "vulture"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_catalog_template_is_up_to_date(tmp_path):
    fresh = tmp_path / "messages.pot"
    result = _run(str(BIN / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l", "-k",
                  "lazy_gettext", "--no-location", "--sort-output", "--omit-header",
                  "--project", "tip-screen", "-o", str(fresh), ".")
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "translations" / "messages.pot").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, (
        "translations/messages.pot is out of date: run the extract command in docs/translations.md"
    )
