"""How each question type appears on a page and how its form fields become a raw answer.

The web side of the field-type registry: the engine (app.questionnaire.fields)
validates; this module renders and reads. A new type is one template in
templates/screening/fields/ plus, if its form fields are special, one reader here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date

from werkzeug.datastructures import MultiDict

from app.languages import buddhist_era
from app.questionnaire import Question
from app.text.dates import DateParseError, parse_date, to_buddhist_year

SPECIAL_VALUES = ("__unknown__", "__declined__")
Reader = Callable[[Question, MultiDict[str, str], str], object]


def field_name(question: Question) -> str:
    return f"q-{question.id}"


def _date_text(text: str, locale: str) -> str:
    """Typed date (DD/MM/YYYY, ISO, Buddhist era for Thai) as ISO; unparseable stays as typed."""
    text = text.strip()
    if not text:
        return ""
    try:
        return parse_date(text, locale, buddhist_era=buddhist_era(locale)).isoformat()
    except DateParseError:
        return text  # the engine answers with a clear "enter a date" message


def _plain(question: Question, form: MultiDict[str, str], locale: str) -> object:
    return form.get(field_name(question), "")


def _multi(question: Question, form: MultiDict[str, str], locale: str) -> object:
    chosen = [v for v in form.getlist(field_name(question)) if v]
    return chosen or None


def _date(question: Question, form: MultiDict[str, str], locale: str) -> object:
    name = field_name(question)
    text = _date_text(form.get(name, ""), locale)
    if not text:
        return None
    return {"date": text, "estimated": bool(form.get(f"{name}-estimated"))}


def _age_or_dob(question: Question, form: MultiDict[str, str], locale: str) -> object:
    name = field_name(question)
    age = form.get(f"{name}-age", "").strip()
    dob = _date_text(form.get(f"{name}-dob", ""), locale)
    if not age and not dob:
        return None
    return {"age": age or None, "dob": dob or None, "estimated": bool(form.get(f"{name}-estimated"))}


READERS: dict[str, Reader] = {"multi": _multi, "date": _date, "age_or_dob": _age_or_dob}


def raw_answer(question: Question, form: MultiDict[str, str], locale: str) -> object:
    special = form.get(f"{field_name(question)}-special", "")
    if special in SPECIAL_VALUES:
        return special
    return READERS.get(question.type, _plain)(question, form, locale)


def fingerprint(value: object) -> str:
    """A short hash of a stored value: lets a page save only what this tab changed."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def special_of(value: object) -> str:
    if isinstance(value, dict) and value.get("special") in ("unknown", "declined"):
        return f"__{value['special']}__"
    return ""


def display_date(value: object, locale: str) -> str:
    """A stored ISO date shown for typing back: DD/MM/YYYY, Buddhist era for Thai."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    year = to_buddhist_year(day.year) if buddhist_era(locale) else day.year
    return f"{day.day:02d}/{day.month:02d}/{year}"


def field_state(question: Question, stored: object, posted: MultiDict[str, str] | None,
                locale: str) -> dict[str, object]:
    """What a question's inputs show: the value just posted (after an error) or the stored one."""
    name = field_name(question)
    if posted is not None and f"seen-{question.id}" in posted:
        return {
            "value": posted.get(name, ""),
            "values": posted.getlist(name),
            "special": posted.get(f"{name}-special", ""),
            "age": posted.get(f"{name}-age", ""),
            "dob": posted.get(f"{name}-dob", ""),
            "estimated": bool(posted.get(f"{name}-estimated")),
        }
    special = special_of(stored)
    state: dict[str, object] = {"value": "", "values": [], "special": special, "age": "", "dob": "",
                                "estimated": False}
    if special or stored is None:
        state["value"] = special  # radio groups carry the special values themselves
        return state
    if isinstance(stored, list):
        state["values"] = stored
    elif isinstance(stored, dict):
        state["estimated"] = bool(stored.get("estimated"))
        if "date" in stored:
            state["value"] = display_date(stored.get("date"), locale)
        if stored.get("dob"):
            state["dob"] = display_date(stored.get("dob"), locale)
        elif stored.get("age") is not None:
            state["age"] = str(stored["age"])
    else:
        state["value"] = str(stored)
    return state
