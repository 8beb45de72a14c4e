"""Question types: a registry of classes, one per type.

Each class knows what its definition needs (options, a range ...) and how to
turn a raw submitted answer -- strings as posted by a form, or JSON values --
into the stored value, or raise :class:`AnswerError` with a message key.
Adding a question type is adding one class decorated with :func:`register`.

Stored values (JSON-ready):

=============  ==============================================================
yesno          ``"yes"`` / ``"no"``
consent        ``"yes"`` (agrees) / ``"no"`` (refuses)
single         the option value
multi          list of option values, in the definition's order
text/longtext  the text, trimmed
number         int (``integer: true``, the default) or float
date           ``{"date": "YYYY-MM-DD", "estimated": bool}``
age_or_dob     ``{"age": int, "dob": "YYYY-MM-DD" | None, "estimated": bool}``
any type       ``{"special": "unknown"}`` / ``{"special": "declined"}``
=============  ==============================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import ClassVar

from .digits import normalize_digits
from .expr import holds
from .model import Definition, Question

UNKNOWN = "unknown"
DECLINED = "declined"
SPECIALS = (UNKNOWN, DECLINED)
# Raw tokens any question type accepts for "not sure / don't know" and "prefers not to say".
SPECIAL_TOKENS = {"__unknown__": UNKNOWN, "__declined__": DECLINED}
DEFAULT_MAX_LENGTH = 2000
MAX_AGE = 120

_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TRUE_WORDS = {"1", "true", "on", "yes"}


class AnswerError(ValueError):
    """A submitted answer that cannot be stored; ``key`` names the message."""

    def __init__(self, key: str, question_id: str | None = None, **params: object) -> None:
        super().__init__(f"{key} ({question_id})" if question_id else key)
        self.key = key
        self.question_id = question_id
        self.params = params


def special(kind: str) -> dict[str, str]:
    return {"special": kind}


def special_kind(stored: object) -> str | None:
    """``"unknown"`` / ``"declined"`` for a stored special answer, else None."""
    if isinstance(stored, dict) and stored.get("special") in SPECIALS:
        return str(stored["special"])
    return None


def is_known(stored: object) -> bool:
    """An answer that is present and neither unknown nor declined."""
    return stored is not None and special_kind(stored) is None


def _flag(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    return isinstance(raw, str) and raw.strip().lower() in _TRUE_WORDS


def _text(raw: object, question: Question) -> str:
    if not isinstance(raw, str):
        raise AnswerError("answer.wrong_type", question.id, expected="text")
    return raw.strip()


def _parse_date(raw: object, question: Question) -> date:
    if not isinstance(raw, str):
        raise AnswerError("answer.wrong_type", question.id, expected="date")
    text = normalize_digits(raw.strip())
    if not _ISO_DATE.fullmatch(text):
        raise AnswerError("answer.bad_date", question.id)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AnswerError("answer.bad_date", question.id) from None


def _parse_number(raw: object, question: Question) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise AnswerError("answer.wrong_type", question.id, expected="number")
    if isinstance(raw, str):
        text = normalize_digits(raw.strip()).replace(" ", "")
        if not _NUMBER.fullmatch(text):
            raise AnswerError("answer.not_a_number", question.id)
        return float(text)
    return float(raw)


class FieldType:
    """Base class: override what differs."""

    name: ClassVar[str] = ""
    answerable: ClassVar[bool] = True
    needs_options: ClassVar[bool] = False
    fixed_options: ClassVar[tuple[str, ...]] = ()
    # The plain words "unknown" / "declined" may be posted as the answer itself.
    plain_specials: ClassVar[bool] = False
    allows_specials: ClassVar[bool] = True

    def option_values(self, question: Question) -> tuple[str, ...]:
        return self.fixed_options or tuple(o.value for o in question.options)

    def definition_problems(self, question: Question) -> list[str]:
        """What is wrong with how ``question`` is defined, for the validator."""
        problems: list[str] = []
        if self.needs_options and not question.options:
            problems.append(f"a {self.name} question needs options")
        if not self.needs_options and question.options:
            problems.append(f"a {self.name} question takes no options")
        return problems

    def normalize(self, question: Question, raw: object, today: date) -> object:
        raise NotImplementedError


FIELD_TYPES: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    FIELD_TYPES[cls.name] = cls()
    return cls


def field_type(name: str) -> FieldType:
    return FIELD_TYPES[name]


@register
class YesNo(FieldType):
    name = "yesno"
    fixed_options = ("yes", "no")
    plain_specials = True

    def normalize(self, question: Question, raw: object, today: date) -> object:
        if isinstance(raw, bool):
            return "yes" if raw else "no"
        word = _text(raw, question).lower()
        if word not in self.fixed_options:
            raise AnswerError("answer.not_an_option", question.id, value=word)
        return word


@register
class Consent(YesNo):
    """Agrees ("yes") or refuses ("no"); never unknown."""

    name = "consent"
    plain_specials = False
    allows_specials = False

    def definition_problems(self, question: Question) -> list[str]:
        problems = super().definition_problems(question)
        if question.text is None:
            problems.append("a consent question needs the consent text to read")
        return problems


@register
class Single(FieldType):
    name = "single"
    needs_options = True
    plain_specials = True

    def normalize(self, question: Question, raw: object, today: date) -> object:
        value = _text(raw, question)
        if question.option(value) is None:
            raise AnswerError("answer.not_an_option", question.id, value=value)
        return value


@register
class Multi(FieldType):
    name = "multi"
    needs_options = True
    plain_specials = True

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


@register
class Text(FieldType):
    name = "text"
    multiline: ClassVar[bool] = False

    def normalize(self, question: Question, raw: object, today: date) -> object:
        value = _text(raw, question).replace("\r\n", "\n").replace("\r", "\n")
        if not self.multiline:
            value = " ".join(value.split("\n"))
        value = _CONTROL.sub("", value)
        if len(value) > question.max_length:
            raise AnswerError("answer.too_long", question.id, max_length=question.max_length)
        return value

    def definition_problems(self, question: Question) -> list[str]:
        problems = super().definition_problems(question)
        if question.max_length < 1:
            problems.append("max_length must be at least 1")
        return problems


@register
class LongText(Text):
    name = "longtext"
    multiline = True


@register
class Number(FieldType):
    name = "number"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        number = _parse_number(raw, question)
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


@register
class Date(FieldType):
    """A date, optionally marked as estimated; "not sure" is the unknown answer.

    ``min``/``max`` are offsets in days from today, e.g. ``max: 0`` = not in the future.
    """

    name = "date"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        estimated = False
        if isinstance(raw, dict):
            estimated = _flag(raw.get("estimated", False))
            raw = raw.get("date")
        day = _parse_date(raw, question)
        offset = (day - today).days
        if (question.min is not None and offset < question.min) or (
            question.max is not None and offset > question.max
        ):
            raise AnswerError(
                "answer.date_out_of_range", question.id, min=question.min, max=question.max
            )
        return {"date": day.isoformat(), "estimated": estimated}


def age_on(birth: date, today: date) -> int:
    """Whole years from ``birth`` to ``today``."""
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years


@register
class AgeOrDob(FieldType):
    """Age in years, or a date of birth (the age is computed), or not sure."""

    name = "age_or_dob"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        estimated = False
        if isinstance(raw, dict):
            estimated = _flag(raw.get("estimated", False))
            has_dob = raw.get("dob") not in (None, "")
            raw_age, raw_dob = (None, raw.get("dob")) if has_dob else (raw.get("age"), None)
        elif isinstance(raw, str) and _ISO_DATE.fullmatch(normalize_digits(raw.strip())):
            raw_age, raw_dob = None, raw
        else:
            raw_age, raw_dob = raw, None
        limit = int(question.max) if question.max is not None else MAX_AGE
        if raw_dob is not None:
            birth = _parse_date(raw_dob, question)
            if birth > today:
                raise AnswerError("answer.date_out_of_range", question.id, min=None, max=0)
            age = age_on(birth, today)
            if age > limit:
                raise AnswerError("answer.out_of_range", question.id, min=0, max=limit)
            return {"age": age, "dob": birth.isoformat(), "estimated": estimated}
        if raw_age is None or raw_age == "":
            raise AnswerError("answer.wrong_type", question.id, expected="age or date of birth")
        number = _parse_number(raw_age, question)
        if not number.is_integer():
            raise AnswerError("answer.not_an_integer", question.id)
        if not 0 <= number <= limit:
            raise AnswerError("answer.out_of_range", question.id, min=0, max=limit)
        return {"age": int(number), "dob": None, "estimated": estimated}


@register
class Note(FieldType):
    """Text shown to the screener; never answered."""

    name = "note"
    answerable = False
    allows_specials = False


def normalize_answer(question: Question, raw: object, today: date | None = None) -> object:
    """The stored value for ``raw``; None means "no answer" (empty input clears).

    Raises :class:`AnswerError` when ``raw`` does not fit the question.
    """
    kind = FIELD_TYPES[question.type]
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
