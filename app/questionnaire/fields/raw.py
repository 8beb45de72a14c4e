"""Helpers for :meth:`FieldType.normalize`: read a raw answer (a form string or a
JSON value) as text, a number, a day or a flag, or raise :class:`AnswerError`.

Numbers and dates may be typed with Thai, Lao, Myanmar or Khmer digits.
"""

from __future__ import annotations

import re
from datetime import date

from ..digits import normalize_digits
from ..model import Question
from .base import AnswerError

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_TRUE_WORDS = {"1", "true", "on", "yes"}


def flag_of(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    return isinstance(raw, str) and raw.strip().lower() in _TRUE_WORDS


def text_of(raw: object, question: Question) -> str:
    if not isinstance(raw, str):
        raise AnswerError("answer.wrong_type", question.id, expected="text")
    return raw.strip()


def is_iso_day(raw: object) -> bool:
    return isinstance(raw, str) and ISO_DATE.fullmatch(normalize_digits(raw.strip())) is not None


def day_of(raw: object, question: Question) -> date:
    if not isinstance(raw, str):
        raise AnswerError("answer.wrong_type", question.id, expected="date")
    text = normalize_digits(raw.strip())
    if not ISO_DATE.fullmatch(text):
        raise AnswerError("answer.bad_date", question.id)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AnswerError("answer.bad_date", question.id) from None


def number_of(raw: object, question: Question) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise AnswerError("answer.wrong_type", question.id, expected="number")
    if isinstance(raw, str):
        text = normalize_digits(raw.strip()).replace(" ", "")
        if not _NUMBER.fullmatch(text):
            raise AnswerError("answer.not_a_number", question.id)
        return float(text)
    return float(raw)
