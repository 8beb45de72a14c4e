"""Text types: one line, several lines, and the note that is never answered."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from ..expr import Value
from ..model import Question
from .base import LOCAL_TEXT, AnswerError, DemoContext, FieldType, Words, register
from .raw import CONTROL, text_of

DEFAULT_MAX_LENGTH = 2000


@register
class Text(FieldType):
    """One line of text, trimmed; at most ``max_length`` characters (default 2000)."""

    name = "text"
    settings = {"max_length": {"type": "integer", "minimum": 1, "maximum": 100000}}
    example = {"max_length": 80}
    free_text = True
    multiline: ClassVar[bool] = False
    xlsform_types = ("text",)
    xlsform_default = True
    xlsform_range = "length"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        value = text_of(raw, question).replace("\r\n", "\n").replace("\r", "\n")
        if not self.multiline:
            value = " ".join(value.split("\n"))
        value = CONTROL.sub("", value)
        if len(value) > question.max_length:
            raise AnswerError("answer.too_long", question.id, max_length=question.max_length)
        return value

    def definition_problems(self, question: Question) -> list[str]:
        problems = super().definition_problems(question)
        if question.max_length < 1:
            problems.append("max_length must be at least 1")
        return problems

    def show(self, question: Question, stored: object, words: Words) -> str:
        return str(stored)

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        if question.id in demo.name_questions:
            return f"{demo.marker} {demo.rng.choice(demo.names)}"
        return f"{demo.marker} note {demo.rng.randint(1, 999)}"

    def expression_value(self, question: Question, stored: object) -> Value:
        return str(stored)


@register
class LongText(Text):
    """Several lines of text, trimmed, with ``\\n`` line ends."""

    name = "longtext"
    example = {}
    multiline = True
    xlsform_appearance = "multiline"


@register
class Note(FieldType):
    """Text shown to the screener (``text``); never answered."""

    name = "note"
    settings = {"text": LOCAL_TEXT}
    example = {"text": {"en": "Read this before you go on."}}
    answerable = False
    allows_specials = False
    inputs = ()
    xlsform_types = ("note",)
    xlsform_default = True

    def normalize(self, question: Question, raw: object, today: date) -> object:
        raise AnswerError("answer.not_answerable", question.id)

    def show(self, question: Question, stored: object, words: Words) -> str:
        return ""  # never answered: nothing to show

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return None

    def expression_value(self, question: Question, stored: object) -> Value:
        return None
