"""The skip-logic and constraint expression language.

A hand-written tokenizer and recursive-descent parser build a small tree of
frozen nodes; :func:`evaluate` runs it (as closures made once per tree). Nothing is ever handed to ``eval``.
``app/static/js/expr.js`` is the browser twin and must keep the same
semantics; ``expr_vectors.json`` holds the cases both are tested against.
The tokenizer, tree and parser are in ``expr_parser.py`` (re-exported here);
this module analyses trees and evaluates them.

Syntax (see docs/questionnaire.md for the full description)::

    ${q_age} < 18 or unknown(${q_age})
    selected(${q_work}, 'scam') and ${q_hours} >= max_hours_per_day

* ``${id}`` is the answer to question ``id``; a bare name is a parameter
  from the definition's ``parameters`` map; ``name(...)`` is a function.
* A missing, unknown or declined answer is ``null``. Every comparison with
  ``null`` (or between values of different types) is false, ``!=`` included;
  arithmetic with ``null`` gives ``null``; ``and``/``or``/``not`` treat
  anything other than ``true`` as false.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Union

from .expr_parser import (
    COMPARISONS,
    FUNCTIONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TOKENS,
    Binary,
    Call,
    ExprError,
    Literal,
    Node,
    Param,
    Ref,
    Token,
    Unary,
    parse,
    parse_cached,
    tokenize,
)

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TOKENS",
    "Binary",
    "Call",
    "ExprError",
    "Literal",
    "Node",
    "Param",
    "Ref",
    "Token",
    "Unary",
    "Value",
    "evaluate",
    "holds",
    "is_true",
    "option_uses",
    "parameters",
    "parse",
    "parse_cached",
    "references",
    "special_of",
    "tokenize",
    "value_of",
    "walk",
]

Value = Union[None, bool, float, str, list[str]]  # noqa: UP007 - used at runtime


# ---------------------------------------------------------------- analysis


def walk(node: Node) -> list[Node]:
    """Every node of the tree, depth first."""
    found: list[Node] = [node]
    if isinstance(node, Unary):
        found += walk(node.operand)
    elif isinstance(node, Binary):
        found += walk(node.left) + walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            found += walk(arg)
    return found


def references(node: Node) -> set[str]:
    """Question ids the expression reads."""
    return {n.name for n in walk(node) if isinstance(n, Ref)}


def parameters(node: Node) -> set[str]:
    """Parameter names the expression reads."""
    return {n.name for n in walk(node) if isinstance(n, Param)}


def option_uses(node: Node) -> list[tuple[str, str]]:
    """``(question_id, option)`` pairs the expression tests for, so a validator
    can check that each option exists: ``selected(${q}, 'x')`` and
    ``${q} = 'x'`` / ``${q} != 'x'`` with a string literal."""
    uses: list[tuple[str, str]] = []
    for n in walk(node):
        if isinstance(n, Call) and n.name == "selected":
            ref, value = n.args
            if isinstance(ref, Ref) and isinstance(value, Literal) and isinstance(value.value, str):
                uses.append((ref.name, value.value))
        elif isinstance(n, Binary) and n.op in ("=", "!="):
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if isinstance(a, Ref) and isinstance(b, Literal) and isinstance(b.value, str):
                    uses.append((a.name, b.value))
    return uses


# --------------------------------------------------------------- evaluator


def special_of(stored: object) -> str | None:
    """``"unknown"`` or ``"declined"`` for a stored special answer, else None."""
    if isinstance(stored, dict):
        special = stored.get("special")
        if isinstance(special, str):
            return special
    return None


def value_of(stored: object) -> Value:
    """The expression value of a stored answer (shape based, like expr.js).

    ``{"special": ...}`` -> null; ``{"date": d}`` -> d; ``{"age": n}`` -> n;
    a list keeps its strings; numbers become floats.
    """
    if stored is None or isinstance(stored, bool) or isinstance(stored, str):
        return stored
    if isinstance(stored, int | float):
        number = float(stored)
        return number if math.isfinite(number) else None
    if isinstance(stored, list):
        return [item for item in stored if isinstance(item, str)]
    if isinstance(stored, dict):
        if "special" in stored:
            return None
        if isinstance(stored.get("date"), str):
            return str(stored["date"])
        age = stored.get("age")
        if isinstance(age, int | float) and not isinstance(age, bool):
            return value_of(age)
    return None


def is_true(value: object) -> bool:
    return value is True


def _same_type(a: Value, b: Value) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, float) and isinstance(b, float):
        return True
    return isinstance(a, str) and isinstance(b, str)


def _order(op: str, a: float | str, b: float | str) -> bool:
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def _compare(op: str, a: Value, b: Value) -> bool:
    """Comparisons are false with null or between different types (``!=`` too)."""
    if a is None or b is None or not _same_type(a, b):
        return False
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, float | str) and isinstance(b, float | str):
        return _order(op, a, b)  # strings compare by code point, as in expr.js
    return False


def _arithmetic(op: str, a: Value, b: Value) -> Value:
    if not (isinstance(a, float) and isinstance(b, float)):
        return None
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    else:
        if b == 0:
            return None
        result = a / b
    return result if math.isfinite(result) else None


# An expression is turned once into nested closures (one per node, each doing what its node
# means), kept per parsed tree: a section page evaluates a hundred and more of them.
Closure = Callable[[Mapping[str, object], Mapping[str, object]], Value]
_CLOSURES: dict[int, tuple[Node, Closure]] = {}  # id of the tree -> (the tree, kept: its id is not reused)
CLOSURES_MAX = 8192


def _literal(node: Literal) -> Closure:
    value = node.value if isinstance(node.value, bool | str) else float(node.value)
    return lambda answers, params: value


def _unary(node: Unary) -> Closure:
    operand = _closure(node.operand)
    if node.op == "not":
        return lambda answers, params: operand(answers, params) is not True

    def negative(answers: Mapping[str, object], params: Mapping[str, object]) -> Value:
        value = operand(answers, params)
        return -value if isinstance(value, float) else None

    return negative


def _binary(node: Binary) -> Closure:
    left, right, op = _closure(node.left), _closure(node.right), node.op
    if op == "and":
        return lambda answers, params: left(answers, params) is True and right(answers, params) is True
    if op == "or":
        return lambda answers, params: left(answers, params) is True or right(answers, params) is True
    if op in COMPARISONS:
        return lambda answers, params: _compare(op, left(answers, params), right(answers, params))
    return lambda answers, params: _arithmetic(op, left(answers, params), right(answers, params))


def _call(node: Call) -> Closure:
    ref = node.args[0]
    assert isinstance(ref, Ref)  # noqa: S101 - the parser guarantees it
    name, qid = node.name, ref.name
    if name == "answered":
        return lambda answers, params: answers.get(qid) is not None
    if name == "known":
        def known(answers: Mapping[str, object], params: Mapping[str, object]) -> Value:
            stored = answers.get(qid)
            return stored is not None and special_of(stored) is None

        return known
    if name in ("unknown", "declined"):
        return lambda answers, params: special_of(answers.get(qid)) == name
    if name == "count_selected":
        def count(answers: Mapping[str, object], params: Mapping[str, object]) -> Value:
            value = value_of(answers.get(qid))
            if isinstance(value, list):
                return float(len(value))
            return 1.0 if isinstance(value, str) else 0.0

        return count
    wanted_of = _closure(node.args[1])  # selected()

    def selected(answers: Mapping[str, object], params: Mapping[str, object]) -> Value:
        value = value_of(answers.get(qid))
        wanted = wanted_of(answers, params)
        if not isinstance(wanted, str):
            return False
        if isinstance(value, list):
            return wanted in value
        return value == wanted

    return selected


def _closure(node: Node) -> Closure:
    if isinstance(node, Literal):
        return _literal(node)
    if isinstance(node, Ref):
        qid = node.name
        return lambda answers, params: value_of(answers.get(qid))
    if isinstance(node, Param):
        name = node.name
        return lambda answers, params: value_of(params.get(name))
    if isinstance(node, Unary):
        return _unary(node)
    if isinstance(node, Binary):
        return _binary(node)
    return _call(node)


def closure_of(node: Node) -> Closure:
    """The tree as one function of (answers, params), made on first use."""
    held = _CLOSURES.get(id(node))
    if held is not None and held[0] is node:
        return held[1]
    function = _closure(node)
    if len(_CLOSURES) >= CLOSURES_MAX:
        _CLOSURES.clear()
    _CLOSURES[id(node)] = (node, function)
    return function


def evaluate(
    expression: str | Node,
    answers: Mapping[str, object],
    params: Mapping[str, object] | None = None,
) -> Value:
    """Evaluate an expression (source or parsed tree) against stored answers.

    Raises :class:`ExprError` only if ``expression`` is source that does not parse.
    """
    node = parse_cached(expression) if isinstance(expression, str) else expression
    return closure_of(node)(answers, params or {})


def holds(
    expression: str | Node | None,
    answers: Mapping[str, object],
    params: Mapping[str, object] | None = None,
) -> bool:
    """True when the expression evaluates to ``true``; an absent expression holds."""
    if expression is None:
        return True
    return is_true(evaluate(expression, answers, params))
