"""The progress line ("Part 3 of 9"): how many sections this interview will show.

:func:`.relevance.visible_sections` counts the sections whose relevance holds now, so
before the consent question is answered it counts only the few sections that need no
consent, and the line jumped from "of 4" to "of 10" one page later. Here a section also
counts while an answer still to come can make its relevance hold: its expression reads a
question that may still be answered, that is one shown (or that may be shown), not answered
yet, in the current section or a later one. Questions the officer has left blank on the way
stay blank, so the count only falls as answers rule sections out, and on the last section
it is exact. app/static/js/progress.js does the same in the browser as answers are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .expr import Binary, Node, holds, parse_cached, references
from .fields import field_type_of
from .model import Definition


def _parts(node: Node) -> list[Node]:
    """The parts of an expression joined by ``and`` at its top."""
    if isinstance(node, Binary) and node.op == "and":
        return _parts(node.left) + _parts(node.right)
    return [node]


@lru_cache(maxsize=4096)
def _parts_of(expression: str) -> tuple[tuple[Node, frozenset[str]], ...]:
    """The ``and`` parts of an expression with the questions each reads (made once: every
    section page counts its progress with them)."""
    return tuple((part, frozenset(references(part))) for part in _parts(parse_cached(expression)))


def _may_hold(expression: str | None, effective: Mapping[str, object], params: Mapping[str, object],
              still_open: set[str]) -> bool:
    """Whether the expression holds now or an answer still to come may make it hold: each of
    its ``and`` parts holds now or reads a question still open. (A part that is false and
    reads only settled answers rules it out: consent refused, for one.)"""
    if expression is None:
        return True
    return all(holds(part, effective, params) or not refs.isdisjoint(still_open)
               for part, refs in _parts_of(expression))


def expected_sections(definition: Definition, answers: Mapping[str, object],
                      current: str) -> list[str]:
    """Ids of the sections the interview will show, as far as the answers so far tell, in
    document order; ``current`` is the section on screen."""
    params = definition.parameters
    ids = [s.id for s in definition.sections]
    start = ids.index(current) if current in ids else 0
    effective: dict[str, object] = {}  # as in relevance.visibility
    still_open: set[str] = set()  # questions that may yet be answered
    counted: list[str] = []
    for index, section in enumerate(definition.sections):
        shown = holds(section.relevant, effective, params)
        possible = _may_hold(section.relevant, effective, params, still_open)
        if possible:
            counted.append(section.id)
        for question in section.questions:
            if not field_type_of(question).answerable:
                continue
            value = answers.get(question.id)
            answered = shown and holds(question.relevant, effective, params) and value is not None
            if answered:
                effective[question.id] = value
            elif index >= start and possible and _may_hold(question.relevant, effective, params, still_open):
                still_open.add(question.id)
    return counted


def position(definition: Definition, answers: Mapping[str, object], current: str) -> tuple[int, int]:
    """``(n, total)`` for "Part n of total" on section ``current``."""
    counted = expected_sections(definition, answers, current)
    n = counted.index(current) + 1 if current in counted else 1
    return n, max(len(counted), n)
