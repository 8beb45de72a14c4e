"""The skip-logic and constraint expression language.

A hand-written tokenizer and recursive-descent parser build a small tree of
frozen nodes; :func:`evaluate` walks it. Nothing is ever handed to ``eval``.
``app/static/js/expr.js`` is the browser twin and must keep the same
semantics; ``expr_vectors.json`` holds the cases both are tested against.

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
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

MAX_LENGTH = 2000
MAX_TOKENS = 500  # keeps the tree shallow enough to walk recursively
MAX_DEPTH = 32

# Functions whose single or first argument must be a question reference.
FUNCTIONS: dict[str, int] = {
    "selected": 2,
    "count_selected": 1,
    "answered": 1,
    "known": 1,
    "unknown": 1,
    "declined": 1,
}
KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})

Value = Union[None, bool, float, str, list[str]]  # noqa: UP007 - used at runtime


class ExprError(ValueError):
    """An expression that cannot be parsed; ``code`` is stable and shared with expr.js."""

    def __init__(self, code: str, message: str, position: int = 0) -> None:
        super().__init__(f"{message} (at {position})")
        self.code = code
        self.message = message
        self.position = position


# --------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Literal:
    value: bool | float | str


@dataclass(frozen=True)
class Ref:
    """``${name}``: the answer to a question."""

    name: str


@dataclass(frozen=True)
class Param:
    """A bare name: a parameter from the definition."""

    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "not" or "-"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # and, or, a comparison, + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Union[Literal, Ref, Param, Unary, Binary, Call]  # noqa: UP007


# ---------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, ref, name, op, end
    text: str
    value: float | str
    pos: int


_SPACE = " \t\r\n"
_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"
_DIGITS = "0123456789"


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in _SPACE:
            i += 1
        elif c in _DIGITS:
            start = i
            while i < n and source[i] in _DIGITS:
                i += 1
            if i < n and source[i] == ".":
                i += 1
                if i >= n or source[i] not in _DIGITS:
                    raise ExprError("unexpected_char", "digit expected after '.'", i)
                while i < n and source[i] in _DIGITS:
                    i += 1
            text = source[start:i]
            tokens.append(Token("num", text, float(text), start))
        elif c in "'\"":
            start, i = i, i + 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise ExprError("unterminated_string", "string not closed", start)
                ch = source[i]
                if ch == c:
                    i += 1
                    break
                if ch == "\\":
                    if i + 1 >= n:
                        raise ExprError("unterminated_string", "string not closed", start)
                    nxt = source[i + 1]
                    if nxt not in "\\'\"":
                        raise ExprError("bad_escape", "only \\\\, \\' and \\\" escapes", i)
                    chars.append(nxt)
                    i += 2
                else:
                    chars.append(ch)
                    i += 1
            tokens.append(Token("str", source[start:i], "".join(chars), start))
        elif c == "$":
            start = i
            if i + 1 >= n or source[i + 1] != "{":
                raise ExprError("bad_reference", "'$' must start ${question_id}", i)
            i += 2
            name_start = i
            while i < n and source[i] in _NAME_CHARS:
                i += 1
            name = source[name_start:i]
            if i >= n or source[i] != "}" or not name or name[0] not in _NAME_START:
                raise ExprError("bad_reference", "expected ${question_id}", start)
            i += 1
            tokens.append(Token("ref", source[start:i], name, start))
        elif c in _NAME_START:
            start = i
            while i < n and source[i] in _NAME_CHARS:
                i += 1
            text = source[start:i]
            tokens.append(Token("name", text, text, start))
        else:
            two = source[i : i + 2]
            if two in ("!=", "<=", ">="):
                tokens.append(Token("op", two, two, i))
                i += 2
            elif c in "=<>+-*/(),":
                tokens.append(Token("op", c, c, i))
                i += 1
            else:
                raise ExprError("unexpected_char", f"unexpected character {c!r}", i)
    tokens.append(Token("end", "", "", n))
    return tokens


# ------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def is_op(self, text: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text == text

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.text == word

    def fail(self, token: Token) -> ExprError:
        if token.kind == "end":
            return ExprError("unexpected_end", "expression ends too early", token.pos)
        return ExprError("unexpected_token", f"unexpected {token.text!r}", token.pos)

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            raise self.fail(self.peek())
        self.take()

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("too_deep", "expression nested too deeply", self.peek().pos)

    def parse(self) -> Node:
        node = self.parse_or()
        if self.peek().kind != "end":
            raise self.fail(self.peek())
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_word("or"):
            self.take()
            node = Binary("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.is_word("and"):
            self.take()
            node = Binary("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.is_word("not"):
            self.take()
            self.deeper()
            node = Unary("not", self.parse_not())
            self.depth -= 1
            return node
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        node = self.parse_sum()
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.take()
            node = Binary(token.text, node, self.parse_sum())
        return node

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.is_op("+") or self.is_op("-"):
            op = self.take().text
            node = Binary(op, node, self.parse_product())
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.is_op("*") or self.is_op("/"):
            op = self.take().text
            node = Binary(op, node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.is_op("-"):
            self.take()
            self.deeper()
            node = Unary("-", self.parse_unary())
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "num" or token.kind == "str":
            return Literal(token.value)
        if token.kind == "ref":
            return Ref(token.text[2:-1])
        if token.kind == "name":
            if token.text == "true":
                return Literal(True)
            if token.text == "false":
                return Literal(False)
            if token.text in KEYWORDS:
                raise self.fail(token)
            if self.is_op("("):
                return self.parse_call(token)
            return Param(token.text)
        if token.kind == "op" and token.text == "(":
            self.deeper()
            node = self.parse_or()
            self.expect_op(")")
            self.depth -= 1
            return node
        raise self.fail(token)

    def parse_call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            raise ExprError("unknown_function", f"unknown function {name.text!r}", name.pos)
        self.take()  # "("
        self.deeper()
        args: list[Node] = []
        if not self.is_op(")"):
            args.append(self.parse_or())
            while self.is_op(","):
                self.take()
                args.append(self.parse_or())
        self.expect_op(")")
        self.depth -= 1
        if len(args) != FUNCTIONS[name.text] or not isinstance(args[0], Ref):
            raise ExprError(
                "bad_arguments",
                f"{name.text}() takes a ${{question}} reference"
                + (" and a value" if FUNCTIONS[name.text] == 2 else ""),
                name.pos,
            )
        return Call(name.text, tuple(args))


def parse(source: str) -> Node:
    """Parse ``source`` into a tree, or raise :class:`ExprError`."""
    if not isinstance(source, str):
        raise ExprError("unexpected_token", "expression must be a string", 0)
    if len(source) > MAX_LENGTH:
        raise ExprError("too_long", f"expression longer than {MAX_LENGTH} characters", 0)
    tokens = tokenize(source)
    if len(tokens) - 1 > MAX_TOKENS:
        raise ExprError("too_long", f"expression has more than {MAX_TOKENS} parts", 0)
    return _Parser(tokens).parse()


parse_cached = lru_cache(maxsize=4096)(parse)


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


class _Evaluator:
    def __init__(self, answers: Mapping[str, object], params: Mapping[str, object]) -> None:
        self.answers = answers
        self.params = params

    def stored(self, ref: Node) -> object:
        assert isinstance(ref, Ref)  # noqa: S101 - the parser guarantees it
        return self.answers.get(ref.name)

    def run(self, node: Node) -> Value:
        if isinstance(node, Literal):
            return node.value if isinstance(node.value, bool | str) else float(node.value)
        if isinstance(node, Ref):
            return value_of(self.answers.get(node.name))
        if isinstance(node, Param):
            return value_of(self.params.get(node.name))
        if isinstance(node, Unary):
            if node.op == "not":
                return not is_true(self.run(node.operand))
            operand = self.run(node.operand)
            return -operand if isinstance(operand, float) else None
        if isinstance(node, Binary):
            if node.op == "and":
                return is_true(self.run(node.left)) and is_true(self.run(node.right))
            if node.op == "or":
                return is_true(self.run(node.left)) or is_true(self.run(node.right))
            left, right = self.run(node.left), self.run(node.right)
            if node.op in COMPARISONS:
                return _compare(node.op, left, right)
            return _arithmetic(node.op, left, right)
        return self.call(node)

    def call(self, node: Call) -> Value:
        stored = self.stored(node.args[0])
        if node.name == "answered":
            return stored is not None
        if node.name == "known":
            return stored is not None and special_of(stored) is None
        if node.name in ("unknown", "declined"):
            return special_of(stored) == node.name
        value = value_of(stored)
        if node.name == "count_selected":
            if isinstance(value, list):
                return float(len(value))
            return 1.0 if isinstance(value, str) else 0.0
        wanted = self.run(node.args[1])  # selected()
        if not isinstance(wanted, str):
            return False
        if isinstance(value, list):
            return wanted in value
        return value == wanted


def evaluate(
    expression: str | Node,
    answers: Mapping[str, object],
    params: Mapping[str, object] | None = None,
) -> Value:
    """Evaluate an expression (source or parsed tree) against stored answers.

    Raises :class:`ExprError` only if ``expression`` is source that does not parse.
    """
    node = parse_cached(expression) if isinstance(expression, str) else expression
    return _Evaluator(answers, params or {}).run(node)


def holds(
    expression: str | Node | None,
    answers: Mapping[str, object],
    params: Mapping[str, object] | None = None,
) -> bool:
    """True when the expression evaluates to ``true``; an absent expression holds."""
    if expression is None:
        return True
    return is_true(evaluate(expression, answers, params))
