"""Choice types: yes/no, consent, one option, several options."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..expr import Value
from ..model import Question
from .base import LOCAL_TEXT, N_, AnswerError, DemoContext, FieldType, Input, Words, register
from .raw import text_of

OPTIONS: Mapping[str, Any] = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/option"}}


def _option(value: str, **extra: object) -> dict[str, object]:
    return {"value": value, "label": {"en": value.capitalize()}, **extra}


@register
class YesNo(FieldType):
    """``"yes"`` / ``"no"``; an indicator on the question fires on "yes" unless it says otherwise."""

    name = "yesno"
    fact = "option"
    example = {}
    fixed_options = ("yes", "no")
    plain_specials = True
    xlsform_types = ("select_one",)

    def default_indicator_when(self, question_id: str) -> str | None:
        return f"${{{question_id}}} = 'yes'"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        if isinstance(raw, bool):
            return "yes" if raw else "no"
        word = text_of(raw, question).lower()
        if word not in self.fixed_options:
            raise AnswerError("answer.not_an_option", question.id, value=word)
        return word

    def show(self, question: Question, stored: object, words: Words) -> str:
        return {"yes": words(N_("Yes")), "no": words(N_("No"))}.get(str(stored), str(stored))

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return "yes" if demo.rng.random() < demo.lean else "no"

    def expression_value(self, question: Question, stored: object) -> Value:
        return str(stored)


@register
class Consent(YesNo):
    """Agrees ("yes") or refuses ("no"), after the consent ``text`` is read; never unknown."""

    name = "consent"
    settings = {"text": LOCAL_TEXT}
    example = {"text": {"en": "We would like to ask you some questions. Do you agree?"}}
    plain_specials = False
    allows_specials = False

    def default_indicator_when(self, question_id: str) -> str | None:
        return None

    def definition_problems(self, question: Question) -> list[str]:
        problems = super().definition_problems(question)
        if question.text is None:
            problems.append("a consent question needs the consent text to read")
        return problems

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return "yes" if demo.rng.random() < 0.92 else "no"


@register
class Single(FieldType):
    """One of the question's options: the option value."""

    name = "single"
    fact = "option"
    settings = {"options": OPTIONS}
    example = {"options": [_option("a"), _option("b")]}
    needs_options = True
    plain_specials = True
    xlsform_types = ("select_one",)
    xlsform_default = True

    def normalize(self, question: Question, raw: object, today: date) -> object:
        value = text_of(raw, question)
        if question.option(value) is None:
            raise AnswerError("answer.not_an_option", question.id, value=value)
        return value

    def show(self, question: Question, stored: object, words: Words) -> str:
        option = question.option(str(stored))
        return option.label.get(words.lang) if option else str(stored)

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return demo.rng.choice(question.options).value

    def expression_value(self, question: Question, stored: object) -> Value:
        return str(stored)


@register
class Multi(FieldType):
    """Any of the question's options: the list of values, in the definition's order.
    An ``exclusive`` option ("none of these") cannot be combined with others."""

    name = "multi"
    fact = "options"
    multiple = True
    settings = {"options": OPTIONS}
    example = {"options": [_option("a"), _option("b"), _option("none", exclusive=True)]}
    needs_options = True
    plain_specials = True
    inputs = (Input("values", "list"),)
    xlsform_types = ("select_multiple",)
    xlsform_default = True

    def normalize(self, question: Question, raw: object, today: date) -> object:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise AnswerError("answer.wrong_type", question.id, expected="list of options")
        chosen = {i.strip() for i in items}
        for value in sorted(chosen):
            if question.option(value) is None:
                raise AnswerError("answer.not_an_option", question.id, value=value)
        if len(chosen) > 1 and any(o.exclusive and o.value in chosen for o in question.options):
            raise AnswerError("answer.exclusive_option", question.id)
        return [o.value for o in question.options if o.value in chosen]

    def from_form(self, question: Question, parts: Mapping[str, object]) -> object:
        return parts["values"] or None

    def to_form(self, question: Question, stored: object) -> dict[str, object]:
        return {"values": stored if isinstance(stored, list) else []}

    def show(self, question: Question, stored: object, words: Words) -> str:
        if not isinstance(stored, list):
            return str(stored)
        labels = []
        for value in stored:
            option = question.option(str(value))
            labels.append(option.label.get(words.lang) if option else str(value))
        return ", ".join(labels) if labels else "—"

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        plain = [o.value for o in question.options if not o.exclusive]
        return demo.rng.sample(plain, k=min(len(plain), demo.rng.randint(1, 2)))

    def expression_value(self, question: Question, stored: object) -> Value:
        return [v for v in stored if isinstance(v, str)] if isinstance(stored, list) else None
