"""The number type."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..expr import Value
from ..model import Question
from .base import LOCAL_TEXT, AnswerError, DemoContext, FieldType, Words, register
from .raw import number_of

MIN: dict[str, Any] = {"type": "number"}
MAX: dict[str, Any] = {"type": "number"}


@register
class Number(FieldType):
    """A number from ``min`` to ``max``: an int (``integer: true``, the default) or a
    float; ``unit`` is shown after the field and the answer."""

    name = "number"
    fact = "number"
    settings = {"min": MIN, "max": MAX, "integer": {"type": "boolean"}, "unit": LOCAL_TEXT}
    example = {"min": 0, "max": 24, "unit": {"en": "hours"}}
    xlsform_types = ("integer", "decimal")
    xlsform_default = True
    xlsform_range = "number"

    def xlsform_type(self, question: Question) -> str:
        return "integer" if question.integer else "decimal"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        number = number_of(raw, question)
        if question.integer and not number.is_integer():
            raise AnswerError("answer.not_an_integer", question.id)
        if (question.min is not None and number < question.min) or (
            question.max is not None and number > question.max
        ):
            raise AnswerError(
                "answer.out_of_range", question.id, min=question.min, max=question.max
            )
        return int(number) if question.integer else number

    def definition_problems(self, question: Question) -> list[str]:
        problems = super().definition_problems(question)
        if question.min is not None and question.max is not None and question.min > question.max:
            problems.append("min is greater than max")
        return problems

    def show(self, question: Question, stored: object, words: Words) -> str:
        if question.unit:
            return f"{stored} {question.unit.get(words.lang)}"
        return str(stored)

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        low = int(question.min if question.min is not None else 0)
        high = int(question.max if question.max is not None else low + 20)
        return str(demo.rng.randint(low, min(high, low + 20)))

    def expression_value(self, question: Question, stored: object) -> Value:
        return float(stored) if isinstance(stored, int | float) else None
