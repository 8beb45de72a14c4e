"""What every type shares: empty answers, "not sure" and "prefers not to say",
constraints; the rest is handed to the question's type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ..expr import Value, holds
from ..model import Definition, Question
from .base import (
    DECLINED,
    N_,
    SPECIAL_TOKENS,
    SPECIALS,
    UNKNOWN,
    AnswerError,
    Words,
    field_type_of,
    is_known,
    special,
    special_kind,
)


def normalize_answer(question: Question, raw: object, today: date | None = None) -> object:
    """The stored value for ``raw``; None means "no answer" (empty input clears).

    Raises :class:`AnswerError` when ``raw`` does not fit the question.
    """
    kind = field_type_of(question)
    if not kind.answerable:
        raise AnswerError("answer.not_answerable", question.id)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    wanted: str | None = None
    if isinstance(raw, dict) and "special" in raw:
        wanted = str(raw["special"])
        if wanted not in SPECIALS:
            raise AnswerError("answer.not_an_option", question.id, value=wanted)
    elif isinstance(raw, str):
        word = raw.strip()
        wanted = SPECIAL_TOKENS.get(word)
        if wanted is None and kind.plain_specials and word.lower() in SPECIALS:
            wanted = word.lower()
    if wanted is not None:
        allowed = kind.allows_specials and (
            question.allow_unknown if wanted == UNKNOWN else question.allow_declined
        )
        if not allowed:
            raise AnswerError("answer.special_not_allowed", question.id, value=wanted)
        return special(wanted)
    return kind.normalize(question, raw, today or date.today())


def check_answer(
    definition: Definition,
    question_id: str,
    raw: object,
    answers: Mapping[str, object] | None = None,
    today: date | None = None,
) -> object:
    """Normalise ``raw`` for ``question_id`` and check its constraint.

    ``answers`` (the other stored answers) lets a constraint look at them.
    Returns the value to store (None: clear the answer).
    """
    question = definition.question(question_id)
    if question is None:
        raise AnswerError("answer.unknown_question", question_id)
    value = normalize_answer(question, raw, today)
    if is_known(value) and question.constraint:
        context = dict(answers or {})
        context[question_id] = value
        if not holds(question.constraint, context, definition.parameters):
            raise AnswerError("answer.constraint", question_id, message=question.constraint_message)
    return value


def show_answer(question: Question | None, stored: object, words: Words) -> str:
    """A stored answer in words (``question`` None: the question is not known here)."""
    if stored is None:
        return "—"
    kind = special_kind(stored)
    if kind == UNKNOWN:
        return words(N_("Not sure / does not know"))
    if kind == DECLINED:
        return words(N_("Prefers not to say"))
    if question is None:
        return str(stored)
    return field_type_of(question).show(question, stored, words)


def expression_value(question: Question, stored: object) -> Value:
    """What a stored answer is inside expressions: null when missing, unknown or declined."""
    if not is_known(stored):
        return None
    return field_type_of(question).expression_value(question, stored)
