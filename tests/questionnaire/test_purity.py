"""The engine is pure: plain functions over plain data, no web or database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "app" / "questionnaire"
ALLOWED_THIRD_PARTY = {"yaml", "jsonschema"}
# The XLSForm bridge (app/questionnaire/xlsform/, docs/xlsform.md) reads and writes sheets and
# hands them to pyxform: pure too (no web, no database), with those two libraries.
XLSFORM_THIRD_PARTY = {"openpyxl", "pyxform"}


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=lambda p: str(p.relative_to(ENGINE)))
def test_imports_only_stdlib_yaml_and_jsonschema(path: Path) -> None:
    import sys

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            allowed = ALLOWED_THIRD_PARTY | (
                XLSFORM_THIRD_PARTY if "xlsform" in path.relative_to(ENGINE).parts else set()
            )
            assert top in sys.stdlib_module_names or top in allowed, (path.name, name)
