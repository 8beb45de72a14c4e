"""The expression language's syntax: tokens, the tree, and the parser.

A hand-written tokenizer and recursive-descent parser build a small tree of
frozen nodes (nothing is ever handed to ``eval``). ``app/questionnaire/expr.py``
is the public face (analysis and evaluation); the grammar is described there
and in docs/questionnaire.md.
"""

from __future__ import annotations

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
