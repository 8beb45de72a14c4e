"""Skip logic: which questions are shown, and which answers still count.

Relevance is decided in document order: a section's or question's ``relevant``
expression sees only the answers to questions before it that are themselves
visible. An answer left behind on a question that has since been hidden (a
stale answer) is kept in the record but ignored here, in flags and in scoring.
"""

from __future__ import annotations

from collections.abc import Mapping

from .expr import holds
from .fields import field_type_of
from .model import Definition, Question


def walk(
    definition: Definition, answers: Mapping[str, object]
) -> tuple[list[str], list[Question], dict[str, object]]:
    """Ids of the shown sections, the visible questions and the answers to them (the
    effective answers), in one pass (a page needs all three)."""
    params = definition.parameters
    effective: dict[str, object] = {}
    sections: list[str] = []
    visible: list[Question] = []
    for section in definition.sections:
        shown = holds(section.relevant, effective, params)
        if shown:
            sections.append(section.id)
        for question in section.questions:
            if not (shown and holds(question.relevant, effective, params)):
                continue
            visible.append(question)
            value = answers.get(question.id)
            if value is not None and field_type_of(question).answerable:
                effective[question.id] = value
    return sections, visible, effective


def visibility(
    definition: Definition, answers: Mapping[str, object]
) -> tuple[list[Question], dict[str, object]]:
    """The visible questions, and the answers to them (the effective answers)."""
    _sections, visible, effective = walk(definition, answers)
    return visible, effective


def visible_questions(definition: Definition, answers: Mapping[str, object]) -> list[Question]:
    """The questions to show for these answers, in document order."""
    return visibility(definition, answers)[0]


def effective_answers(definition: Definition, answers: Mapping[str, object]) -> dict[str, object]:
    """``answers`` without stale answers to hidden questions (and unknown keys)."""
    return visibility(definition, answers)[1]


def visible_sections(definition: Definition, answers: Mapping[str, object]) -> list[str]:
    """Ids of the sections that are shown (their relevance holds), in document order."""
    return walk(definition, answers)[0]
