"""Types about days: a date, and an age or a date of birth."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from ..expr import Value
from ..model import Question
from .base import N_, AnswerError, DemoContext, FieldType, Input, Words, register
from .number import MAX, MIN
from .raw import day_of, flag_of, is_iso_day, number_of

MAX_AGE = 120
ESTIMATED = Input("estimated", "flag", "-estimated")


def age_on(birth: date, today: date) -> int:
    """Whole years from ``birth`` to ``today``."""
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years


def _estimated(stored: Mapping[str, object], words: Words) -> str:
    word = words(N_("estimated"))  # outside the f-string, where the catalog sees it
    return f" ({word})" if stored.get("estimated") else ""


@register
class Date(FieldType):
    """A day, optionally marked as estimated; "not sure" is the unknown answer.

    Stored as ``{"date": "YYYY-MM-DD", "estimated": bool}``. ``min``/``max`` are
    offsets in days from today, e.g. ``max: 0`` = not in the future.
    """

    name = "date"
    fact = "date"
    settings = {"min": MIN, "max": MAX}
    example = {"min": 0}
    inputs = (Input("value", "date"), ESTIMATED)
    xlsform_types = ("date",)
    xlsform_default = True
    xlsform_range = "days"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        estimated = False
        if isinstance(raw, dict):
            estimated = flag_of(raw.get("estimated", False))
            raw = raw.get("date")
        day = day_of(raw, question)
        offset = (day - today).days
        if (question.min is not None and offset < question.min) or (
            question.max is not None and offset > question.max
        ):
            raise AnswerError(
                "answer.date_out_of_range", question.id, min=question.min, max=question.max
            )
        return {"date": day.isoformat(), "estimated": estimated}

    def from_form(self, question: Question, parts: Mapping[str, object]) -> object:
        if not parts["value"]:
            return None
        return {"date": parts["value"], "estimated": parts["estimated"]}

    def to_form(self, question: Question, stored: object) -> dict[str, object]:
        if not isinstance(stored, dict):
            return {"value": str(stored)}
        return {"value": stored.get("date"), "estimated": bool(stored.get("estimated"))}

    def show(self, question: Question, stored: object, words: Words) -> str:
        if not isinstance(stored, dict) or not isinstance(stored.get("date"), str):
            return str(stored)
        return words.day(stored["date"]) + _estimated(stored, words)

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return {"date": (demo.today + timedelta(days=demo.rng.randint(1, 30))).isoformat()}

    def expression_value(self, question: Question, stored: object) -> Value:
        return str(stored["date"]) if isinstance(stored, dict) else None


@register
class AgeOrDob(FieldType):
    """Age in years, or a date of birth (the age is computed), or not sure.

    Stored as ``{"age": int, "dob": "YYYY-MM-DD" | None, "estimated": bool}``;
    ``max`` is the oldest age accepted (default 120). In expressions: the age.
    """

    name = "age_or_dob"
    fact = "number"
    settings = {"max": MAX}
    example = {}
    inputs = (Input("age", "text", "-age"), Input("dob", "date", "-dob"), ESTIMATED)
    xlsform_types = ("integer",)  # the age; Collect has no "or a date of birth"
    xlsform_range = "age"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        estimated = False
        if isinstance(raw, dict):
            estimated = flag_of(raw.get("estimated", False))
            has_dob = raw.get("dob") not in (None, "")
            raw_age, raw_dob = (None, raw.get("dob")) if has_dob else (raw.get("age"), None)
        elif is_iso_day(raw):
            raw_age, raw_dob = None, raw
        else:
            raw_age, raw_dob = raw, None
        limit = int(question.max) if question.max is not None else MAX_AGE
        if raw_dob is not None:
            birth = day_of(raw_dob, question)
            if birth > today:
                raise AnswerError("answer.date_out_of_range", question.id, min=None, max=0)
            age = age_on(birth, today)
            if age > limit:
                raise AnswerError("answer.out_of_range", question.id, min=0, max=limit)
            return {"age": age, "dob": birth.isoformat(), "estimated": estimated}
        if raw_age is None or raw_age == "":
            raise AnswerError("answer.wrong_type", question.id, expected="age or date of birth")
        number = number_of(raw_age, question)
        if not number.is_integer():
            raise AnswerError("answer.not_an_integer", question.id)
        if not 0 <= number <= limit:
            raise AnswerError("answer.out_of_range", question.id, min=0, max=limit)
        return {"age": int(number), "dob": None, "estimated": estimated}

    def from_form(self, question: Question, parts: Mapping[str, object]) -> object:
        age = str(parts["age"]).strip()
        dob = parts["dob"]
        if not age and not dob:
            return None
        return {"age": age or None, "dob": dob or None, "estimated": parts["estimated"]}

    def to_form(self, question: Question, stored: object) -> dict[str, object]:
        if not isinstance(stored, dict):
            return {"value": str(stored)}
        shown: dict[str, object] = {"estimated": bool(stored.get("estimated"))}
        if stored.get("dob"):
            shown["dob"] = stored["dob"]
        elif stored.get("age") is not None:
            shown["age"] = str(stored["age"])
        return shown

    def show(self, question: Question, stored: object, words: Words) -> str:
        if not isinstance(stored, dict):
            return str(stored)
        if stored.get("dob"):
            dob = stored["dob"]
            born = words.day(dob) if isinstance(dob, str) else ""
            text = words(N_("%(age)s years (born %(dob)s)"), age=stored.get("age"), dob=born)
        else:
            text = words(N_("%(age)s years"), age=stored.get("age"))
        return text + _estimated(stored, words)

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return {"age": str(demo.rng.choice([14, 16, 17, 19, 23, 28, 34, 41])), "dob": None}

    def expression_value(self, question: Question, stored: object) -> Value:
        age = stored.get("age") if isinstance(stored, dict) else None
        return float(age) if isinstance(age, int | float) and not isinstance(age, bool) else None
