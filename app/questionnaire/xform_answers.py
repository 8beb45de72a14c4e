"""A filled XForm instance (ODK Collect, ODK Web Forms) as the engine's answers.

The station's XForm (``xlsform.to_xform``) names every element after its question id
(groups after section ids), so an instance's leaves map back to questions by name. Each
value is read as the pages would read what a person typed or chose, and checked with
:func:`check_answer` in document order, so a constraint sees the answers before it, as on the
pages. A choice named ``unknown`` / ``declined`` is the engine's special answer of that
name (the export's ``UNKNOWN_CHOICE``/``DECLINED_CHOICE``). Leaves that are not questions
(the form's calculated parameters, Collect's ``meta``) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from .fields import AnswerError, check_answer, field_type_of
from .fields.base import SPECIAL_TOKENS, SPECIALS
from .model import Definition, Question

_TOKEN_OF = {kind: token for token, kind in SPECIAL_TOKENS.items()}


def _raw(question: Question, text: str) -> object:
    kind = field_type_of(question)
    if kind.has_options and text in SPECIALS:
        return _TOKEN_OF[text]
    if kind.multiple:
        chosen = text.split()
        if len(chosen) == 1 and chosen[0] in SPECIALS:
            return _TOKEN_OF[chosen[0]]
        return chosen
    return text


def instance_answers(definition: Definition, values: Mapping[str, str],
                     today: date | None = None) -> tuple[dict[str, object], dict[str, AnswerError]]:
    """(answers to store, problems by question id) for an instance's leaf values."""
    answers: dict[str, object] = {}
    problems: dict[str, AnswerError] = {}
    for question in definition.questions():
        text = values.get(question.id)
        if text is None or not field_type_of(question).answerable:
            continue
        try:
            value = check_answer(definition, question.id, _raw(question, text), answers, today)
        except AnswerError as exc:
            problems[question.id] = exc
            continue
        if value is not None:
            answers[question.id] = value
    return answers, problems
