"""XLSForm's expressions read: a tokenizer and parser for the XPath 1.0 subset XLSForm
forms write (``${name}`` references, functions, operators), building a small frozen tree
that :mod:`.expressions` translates. Nothing is evaluated; anything outside the subset is
:class:`Untranslatable`, naming the construct."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..expr_parser import Literal, Ref


class Untranslatable(ValueError):
    """An XLSForm expression the engine cannot express; ``construct`` names the part."""

    def __init__(self, construct: str, reason: str) -> None:
        super().__init__(f"{construct}: {reason}")
        self.construct = construct
        self.reason = reason


@dataclass(frozen=True)
class _XTok:
    kind: str  # num, str, ref, dot, name, op, end
    text: str
    pos: int


_SPACE = " \t\r\n\u00a0"


def _tokens(source: str) -> list[_XTok]:
    out: list[_XTok] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in _SPACE:
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and source[i + 1].isdigit()):
            start = i
            while i < n and (source[i].isdigit() or source[i] == "."):
                i += 1
            out.append(_XTok("num", source[start:i], start))
        elif c in "'\"":
            end = source.find(c, i + 1)
            if end < 0:
                raise Untranslatable(source[i:], "a text in quotes is not closed")
            out.append(_XTok("str", source[i + 1 : end], i))
            i = end + 1
        elif source.startswith("${", i):
            end = source.find("}", i)
            if end < 0:
                raise Untranslatable(source[i:], "a ${name} reference is not closed")
            out.append(_XTok("ref", source[i + 2 : end].strip(), i))
            i = end + 1
        elif c == ".":
            if source.startswith("..", i):
                raise Untranslatable("..", "XPath paths are not supported; use ${name}")
            out.append(_XTok("dot", ".", i))
            i += 1
        elif c.isalpha() or c == "_":
            start = i
            while i < n and (source[i].isalnum() or source[i] in "_-:."):
                i += 1
            word = source[start:i]
            out.append(_XTok("name", word, start))
        else:
            two = source[i : i + 2]
            if two in ("!=", "<=", ">="):
                out.append(_XTok("op", two, i))
                i += 2
            elif c in "=<>+-*(),":
                out.append(_XTok("op", c, i))
                i += 1
            else:
                construct = "/" if c == "/" else c
                reason = ("XPath paths are not supported; use ${name}" if c in "/[]@|"
                          else "this character has no meaning in an expression")
                raise Untranslatable(construct, reason)
    out.append(_XTok("end", "", n))
    return out


# An XPath tree, the engine's nodes where they coincide, plus the forms only XPath has.
@dataclass(frozen=True)
class _XCall:
    name: str
    args: tuple[_XNode, ...]


@dataclass(frozen=True)
class _XDot:
    pass


@dataclass(frozen=True)
class _XUnary:
    op: str
    operand: _XNode


@dataclass(frozen=True)
class _XBinary:
    op: str
    left: _XNode
    right: _XNode


_XNode = Union[Literal, Ref, _XUnary, _XBinary, _XCall, _XDot]  # noqa: UP007

_EQ = ("=", "!=")
_REL = ("<", "<=", ">", ">=")


class _XParser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0

    def peek(self) -> _XTok:
        return self.tokens[self.at]

    def take(self) -> _XTok:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def is_op(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in texts

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.text == word

    def fail(self) -> Untranslatable:
        token = self.peek()
        if token.kind == "end":
            return Untranslatable("(end)", "the expression ends too early")
        return Untranslatable(token.text, "unexpected here")

    def parse(self) -> _XNode:
        node = self.parse_or()
        if self.peek().kind != "end":
            raise self.fail()
        return node

    def parse_or(self) -> _XNode:
        node = self.parse_and()
        while self.is_word("or"):
            self.take()
            node = _XBinary("or", node, self.parse_and())
        return node

    def parse_and(self) -> _XNode:
        node = self.parse_eq()
        while self.is_word("and"):
            self.take()
            node = _XBinary("and", node, self.parse_eq())
        return node

    def parse_eq(self) -> _XNode:
        node = self.parse_rel()
        while self.is_op(*_EQ):
            op = self.take().text
            node = _XBinary(op, node, self.parse_rel())
        return node

    def parse_rel(self) -> _XNode:
        node = self.parse_add()
        while self.is_op(*_REL):
            op = self.take().text
            node = _XBinary(op, node, self.parse_add())
        return node

    def parse_add(self) -> _XNode:
        node = self.parse_mul()
        while self.is_op("+", "-"):
            op = self.take().text
            node = _XBinary(op, node, self.parse_mul())
        return node

    def parse_mul(self) -> _XNode:
        node = self.parse_unary()
        while self.is_op("*") or self.is_word("div") or self.is_word("mod"):
            op = self.take().text
            if op == "mod":
                raise Untranslatable("mod", "the remainder of a division is not supported")
            node = _XBinary("*" if op == "*" else "/", node, self.parse_unary())
        return node

    def parse_unary(self) -> _XNode:
        if self.is_op("-"):
            self.take()
            return _XUnary("-", self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> _XNode:
        token = self.take()
        if token.kind == "num":
            try:
                return Literal(float(token.text))
            except ValueError:
                raise Untranslatable(token.text, "not a number") from None
        if token.kind == "str":
            return Literal(token.text)
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "dot":
            return _XDot()
        if token.kind == "op" and token.text == "(":
            node = self.parse_or()
            if not self.is_op(")"):
                raise self.fail()
            self.take()
            return node
        if token.kind == "name" and self.is_op("("):
            self.take()
            args: list[_XNode] = []
            if not self.is_op(")"):
                args.append(self.parse_or())
                while self.is_op(","):
                    self.take()
                    args.append(self.parse_or())
            if not self.is_op(")"):
                raise self.fail()
            self.take()
            return _XCall(token.text, tuple(args))
        if token.kind == "name":
            raise Untranslatable(token.text, "XPath paths are not supported; use ${name}")
        self.at -= 1
        raise self.fail()


def parse_xpath(source: str) -> _XNode:
    """An XLSForm expression's tree (raises :class:`Untranslatable`)."""
    return _XParser(source).parse()
