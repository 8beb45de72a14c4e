"""Expressions between tip-screen's language (app/questionnaire/expr.py) and XLSForm's.

XLSForm writes XPath 1.0 with ``${name}`` references; ODK Collect evaluates it. The two
languages mostly share their shape (``${q}``, ``selected()``, ``and``/``or``, comparisons,
arithmetic); they differ in spelling (``count-selected``, ``not(...)``, ``div``,
``true()``), in the engine's own functions (``known()``, ``unknown()`` ...), and in what an
empty answer compares as. :func:`to_xpath` writes an engine expression for Collect (its
parameters become ``${name}`` of a ``calculate`` row); :func:`from_xpath` reads an XLSForm
expression into the engine's language, or raises :class:`Untranslatable` naming the
construct. Both are pure and walk trees; nothing is evaluated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..expr_parser import Binary, Call, Literal, Node, Param, Ref, Unary, parse
from .xpath import _EQ, _REL, Untranslatable, _XBinary, _XCall, _XDot, _XNode, _XUnary, parse_xpath

UNKNOWN_CHOICE = "unknown"  # the choice names the export gives the engine's special answers
DECLINED_CHOICE = "declined"


@dataclass(frozen=True)
class Names:
    """What a translation needs to know about the form's names.

    ``questions``: every question id; ``selects``: the choice questions, each with its
    special choices (choice name -> ``unknown`` / ``declined``); ``parameters``: the names
    that are the definition's parameters (``calculate`` rows); ``current``: the question
    whose constraint is being read (``.`` is its answer)."""

    questions: frozenset[str] = frozenset()
    selects: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    parameters: frozenset[str] = frozenset()
    current: str | None = None

    def special_choice(self, question: str, kind: str) -> str | None:
        for name, special in self.selects.get(question, {}).items():
            if special == kind:
                return name
        return None


# ---------------------------------------------------------------- engine -> XPath


def _xpath_string(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = [f"'{piece}'" if piece else "" for piece in text.split("'")]
    return "concat(" + ", \"'\", ".join(p or "''" for p in parts) + ")"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# XPath 1.0 precedence, loosest first.
_X_OR, _X_AND, _X_EQ, _X_REL, _X_ADD, _X_MUL, _X_UNARY = range(1, 8)
_X_LEVEL = {"or": _X_OR, "and": _X_AND, "=": _X_EQ, "!=": _X_EQ, "<": _X_REL, "<=": _X_REL,
            ">": _X_REL, ">=": _X_REL, "+": _X_ADD, "-": _X_ADD, "*": _X_MUL, "/": _X_MUL}


def to_xpath(source: str, names: Names) -> str:
    """The engine expression ``source`` as an XLSForm expression (raises ``ExprError`` if it
    does not parse)."""
    return _xp(parse(source), names, 0)


def _xp(node: Node, names: Names, outer: int) -> str:
    text, level = _xp_level(node, names)
    return f"({text})" if level < outer else text


def _xp_level(node: Node, names: Names) -> tuple[str, int]:
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return ("true()" if node.value else "false()"), 9
        if isinstance(node.value, str):
            return _xpath_string(node.value), 9
        return _number(node.value), 9
    if isinstance(node, Ref | Param):
        return f"${{{node.name}}}", 9
    if isinstance(node, Unary):
        if node.op == "not":
            return f"not({_xp(node.operand, names, 0)})", 9
        return f"-{_xp(node.operand, names, _X_UNARY)}", _X_UNARY
    if isinstance(node, Binary):
        level = _X_LEVEL[node.op]
        op = "div" if node.op == "/" else node.op
        # Left-associative: the right operand needs parentheses at the same level.
        left = _xp(node.left, names, level)
        right = _xp(node.right, names, level + 1)
        return f"{left} {op} {right}", level
    return _xp_call(node, names)


def _xp_call(node: Call, names: Names) -> tuple[str, int]:
    ref = node.args[0]
    assert isinstance(ref, Ref)  # noqa: S101 - the parser requires it
    q = f"${{{ref.name}}}"
    if node.name == "selected":
        return f"selected({q}, {_xp(node.args[1], names, 0)})", 9
    if node.name == "count_selected":
        return f"count-selected({q})", 9
    if node.name == "answered":
        return f"{q} != ''", _X_EQ
    if node.name in ("unknown", "declined"):
        choice = names.special_choice(ref.name, node.name)
        # A question without that special choice never holds it in Collect.
        return (f"selected({q}, {_xpath_string(choice)})" if choice else "false()"), 9
    # known: answered, and not one of the special choices.
    parts = [f"{q} != ''"] + [
        f"not(selected({q}, {_xpath_string(choice)}))"
        for kind in ("unknown", "declined")
        if (choice := names.special_choice(ref.name, kind))
    ]
    return " and ".join(parts), (_X_AND if len(parts) > 1 else _X_EQ)


# ---------------------------------------------------------------- XPath -> engine

def from_xpath(source: str, names: Names) -> str:
    """The XLSForm expression ``source`` in the engine's language, or :class:`Untranslatable`."""
    return engine_text(to_engine(parse_xpath(source), names))


def to_engine(node: _XNode, names: Names) -> Node:
    """An XLSForm tree as an engine tree (see :func:`from_xpath`)."""
    return _Translate(names).node(node)


class _Translate:
    def __init__(self, names: Names) -> None:
        self.names = names

    def ref(self, node: _XNode, construct: str) -> Ref:
        if isinstance(node, _XDot):
            if self.names.current is None:
                raise Untranslatable(".", "'.' means the question's own answer, only in a constraint")
            return Ref(self.names.current)
        if isinstance(node, Ref):
            if node.name in self.names.parameters:
                raise Untranslatable(construct, f"${{{node.name}}} is a calculation, not a question")
            if node.name not in self.names.questions:
                raise Untranslatable(f"${{{node.name}}}", "no question of this name")
            return node
        raise Untranslatable(construct, "the first argument must be a ${question} reference")

    def node(self, node: _XNode) -> Node:
        if isinstance(node, Literal):
            return node
        if isinstance(node, _XDot):
            return self.ref(node, ".")
        if isinstance(node, Ref):
            if node.name in self.names.parameters:
                return Param(node.name)
            return self.ref(node, f"${{{node.name}}}")
        if isinstance(node, _XUnary):
            return Unary(node.op, self.node(node.operand))
        if isinstance(node, _XBinary):
            return self.binary(node)
        assert isinstance(node, _XCall)  # noqa: S101 - the parser builds nothing else
        return self.call(node)

    def special(self, ref: Ref, value: _XNode) -> str | None:
        if isinstance(value, Literal) and isinstance(value.value, str):
            return self.names.selects.get(ref.name, {}).get(value.value)
        return None

    def binary(self, node: _XBinary) -> Node:
        op = node.op
        if op in _EQ:
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, Ref | _XDot) and isinstance(b, Literal) and b.value == "":
                    ref = self.ref(a, f"${{{getattr(a, 'name', '.')}}}")
                    answered = Call("answered", (ref,))
                    return answered if op == "!=" else Unary("not", answered)
                if isinstance(a, Ref | _XDot) and (
                    a_ref := self.ref(a, "=")
                ) and (kind := self.special(a_ref, b)):
                    call = Call(kind, (a_ref,))
                    return call if op == "=" else Unary("not", call)
        left, right = self.node(node.left), self.node(node.right)
        for side in (node.left, node.right):
            if isinstance(side, _XBinary) and side.op in _EQ + _REL and op in _EQ + _REL:
                raise Untranslatable(f"{side.op} {op}", "one comparison cannot compare another")
        if op == "!=":
            # XPath: '' != 'x' holds; the engine's != never holds for a missing answer.
            return Unary("not", Binary("=", left, right))
        return Binary(op, left, right)

    def call(self, node: _XCall) -> Node:
        name, args = node.name, node.args
        if name == "not" and len(args) == 1:
            return Unary("not", self.node(args[0]))
        if name in ("true", "false") and not args:
            return Literal(name == "true")
        if name == "selected" and len(args) == 2:
            ref = self.ref(args[0], "selected()")
            kind = self.special(ref, args[1])
            if kind:
                return Call(kind, (ref,))
            return Call("selected", (ref, self.node(args[1])))
        if name == "count-selected" and len(args) == 1:
            return Call("count_selected", (self.ref(args[0], "count-selected()"),))
        if name == "today":
            raise Untranslatable("today()", "today() is supported only in a date question's "
                                 "constraint, as . >= today() or . <= today() (plus or minus days)")
        raise Untranslatable(f"{name}()", "this function is not supported")


# ---------------------------------------------------------------- engine text


# The engine's precedence, loosest first (docs/questionnaire.md "Expressions").
_E_OR, _E_AND, _E_NOT, _E_CMP, _E_ADD, _E_MUL, _E_UNARY, _E_ATOM = range(1, 9)
_E_LEVEL = {"or": _E_OR, "and": _E_AND, "+": _E_ADD, "-": _E_ADD, "*": _E_MUL, "/": _E_MUL}


def engine_text(node: Node) -> str:
    """An engine tree written out the canonical way (``parse`` gives the same tree back)."""
    return _en(node, 0)


def _en(node: Node, outer: int) -> str:
    text, level = _en_level(node)
    return f"({text})" if level < outer else text


def _en_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _en_level(node: Node) -> tuple[str, int]:
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return ("true" if node.value else "false"), _E_ATOM
        if isinstance(node.value, str):
            return _en_string(node.value), _E_ATOM
        return _number(node.value), _E_ATOM
    if isinstance(node, Ref):
        return f"${{{node.name}}}", _E_ATOM
    if isinstance(node, Param):
        return node.name, _E_ATOM
    if isinstance(node, Unary):
        if node.op == "not":
            operand = node.operand
            if isinstance(operand, Call | Ref | Literal | Param):
                return f"not {_en(operand, _E_ATOM)}", _E_NOT
            return f"not ({_en(operand, 0)})", _E_NOT
        return f"-{_en(node.operand, _E_UNARY)}", _E_UNARY
    if isinstance(node, Binary):
        if node.op in _E_LEVEL:
            level = _E_LEVEL[node.op]
            return f"{_en(node.left, level)} {node.op} {_en(node.right, level + 1)}", level
        return f"{_en(node.left, _E_ADD)} {node.op} {_en(node.right, _E_ADD)}", _E_CMP
    assert isinstance(node, Call)  # noqa: S101 - the parser builds nothing else
    return f"{node.name}({', '.join(_en(a, 0) for a in node.args)})", _E_ATOM
