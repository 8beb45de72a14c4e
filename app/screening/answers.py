"""The web side of the field-type registry: a question's form fields become a raw
answer, and a stored answer fills them again.

Each type lists its form fields as ``inputs`` (app/questionnaire/fields); this
module reads and fills them by their kind (text, list, date, flag) and leaves
the rest to the type (``from_form`` / ``to_form``). The inputs are rendered by
the template the type names (``templates/screening/fields/<name>.html``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from werkzeug.datastructures import MultiDict

from app.languages import buddhist_era
from app.questionnaire import Input, Question, field_type_of
from app.screening.fragments import FieldState
from app.text.dates import DateParseError, parse_date, to_buddhist_year

SPECIAL_VALUES = ("__unknown__", "__declined__")


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


def _read(field: Input, form: MultiDict[str, str], name: str, locale: str) -> object:
    key = name + field.suffix
    if field.kind == "list":
        return [v for v in form.getlist(key) if v]
    if field.kind == "flag":
        return bool(form.get(key))
    if field.kind == "date":
        return _date_text(form.get(key, ""), locale)
    return form.get(key, "")


def _as_posted(field: Input, posted: MultiDict[str, str], name: str) -> object:
    """An input as it was posted, to show it again as typed."""
    key = name + field.suffix
    if field.kind == "list":
        return posted.getlist(key)
    if field.kind == "flag":
        return bool(posted.get(key))
    return posted.get(key, "")


def _empty(field: Input) -> object:
    return [] if field.kind == "list" else False if field.kind == "flag" else ""


def raw_answer(question: Question, form: MultiDict[str, str], locale: str) -> object:
    special = form.get(f"{field_name(question)}-special", "")
    if special in SPECIAL_VALUES:
        return special
    kind = field_type_of(question)
    name = field_name(question)
    parts = {field.key: _read(field, form, name, locale) for field in kind.inputs}
    return kind.from_form(question, parts)


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
                locale: str) -> FieldState:
    """What a question's inputs show (``st`` in its template): the value just posted
    (after an error) or the stored one. ``value`` and ``special`` are always there."""
    kind = field_type_of(question)
    name = field_name(question)
    if posted is not None and f"seen-{question.id}" in posted:
        state = FieldState(value=posted.get(name, ""), special=posted.get(f"{name}-special", ""))
        state.update({field.key: _as_posted(field, posted, name) for field in kind.inputs})
        return state
    special = special_of(stored)
    state = FieldState(value="", special=special)
    state.update({field.key: _empty(field) for field in kind.inputs})
    if special or stored is None:
        state["value"] = special  # radio groups carry the special values themselves
        return state
    kinds = {field.key: field.kind for field in kind.inputs}
    for key, shown in kind.to_form(question, stored).items():
        state[key] = display_date(shown, locale) if kinds.get(key) == "date" else shown
    return state
