"""The expression language in Python, against the shared vectors (expr.js runs
the same file in test_expr_browser.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from app.questionnaire import expr
from app.questionnaire.expr import ExprError, evaluate, holds, parse

REPO = Path(__file__).resolve().parents[2]
VECTORS_PATH = REPO / "app" / "questionnaire" / "expr_vectors.json"
JS_PATH = REPO / "app" / "static" / "js" / "expr.js"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))["vectors"]


def same_value(got: object, expected: object) -> bool:
    """JSON-style equality: numbers by value, but true is not 1."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return got is expected
    return got == expected


def check_vector(vector: dict[str, Any], outcome: dict[str, Any]) -> str | None:
    """None if ``outcome`` ({"value": v} or {"error": code}) matches the vector."""
    if "error" in vector:
        if outcome.get("error") != vector["error"]:
            return f"expected error {vector['error']}, got {outcome}"
    elif "error" in outcome or not same_value(outcome.get("value"), vector["result"]):
        return f"expected {vector['result']!r}, got {outcome}"
    return None


def run_python(vector: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"value": evaluate(vector["expr"], vector.get("answers", {}), vector.get("params"))}
    except ExprError as error:
        return {"error": error.code}


def test_there_are_enough_vectors() -> None:
    assert len(VECTORS) >= 60
    assert sum(1 for v in VECTORS if "error" in v) >= 20


@pytest.mark.parametrize("vector", VECTORS, ids=[v["expr"][:40] for v in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    problem = check_vector(vector, run_python(vector))
    assert problem is None, problem


def test_parse_builds_a_tree() -> None:
    tree = parse("${a} = 'x' and not selected(${b}, 'y') or n > 2")
    assert isinstance(tree, expr.Binary) and tree.op == "or"
    assert expr.references(tree) == {"a", "b"}
    assert expr.parameters(tree) == {"n"}
    assert sorted(expr.option_uses(tree)) == [("a", "x"), ("b", "y")]


def test_error_carries_code_and_position() -> None:
    with pytest.raises(ExprError) as caught:
        parse("1 + $x")
    assert caught.value.code == "bad_reference"
    assert caught.value.position == 4


def test_holds_treats_an_absent_expression_as_true() -> None:
    assert holds(None, {})
    assert not holds("${q} = 1", {})


def test_evaluate_accepts_a_parsed_tree() -> None:
    tree = parse("${q} * 2")
    assert evaluate(tree, {"q": 4}) == 8


def test_no_eval_anywhere() -> None:
    source = (REPO / "app" / "questionnaire" / "expr.py").read_text() + JS_PATH.read_text()
    for forbidden in ("eval(", "exec(", "Function(", "compile("):
        assert forbidden not in source.replace("evaluate(", "")


def test_js_twin_is_small() -> None:
    size = len(gzip.compress(JS_PATH.read_bytes(), 9))
    assert size < 4096, f"expr.js is {size} bytes gzipped"
