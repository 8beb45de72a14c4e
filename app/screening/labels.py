"""Words shown for engine values (tiers, elements, strengths, states) and for stored answers."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup
from flask_babel import lazy_gettext as _l

from app.questionnaire import Question
from app.screening.answers import display_date
from app.screening.forms import TIER_LABELS
from app.text.dates import format_date

ELEMENT_LABELS = {
    "deceptive_recruitment": _l("Deceptive recruitment"),
    "coercive_recruitment": _l("Coercive recruitment"),
    "recruitment_abuse_of_vulnerability": _l("Recruitment by abuse of vulnerability"),
    "exploitation": _l("Exploitation"),
    "coercion_at_destination": _l("Coercion at destination"),
    "abuse_of_vulnerability_at_destination": _l("Abuse of vulnerability at destination"),
    "forced_criminality": _l("Forced criminality"),
}
STRENGTH_LABELS = {"strong": _l("strong"), "medium": _l("medium"), "weak": _l("weak")}
STATE_LABELS = {
    "draft": _l("Draft"),
    "final": _l("Final, waiting to sync"),
    "waiting": _l("Final, waiting for central's key"),
    "synced": _l("Synced"),
}


# Answer words shown in both languages on interview pages (kept here so they are extracted).
ANSWER_WORDS = (_l("Yes"), _l("No"), _l("Agrees"), _l("Does not agree"),
                _l("Not sure / does not know"), _l("Prefers not to say"))


def in_both(msgid: str, resp_lang: str, ui_lang: str) -> Markup:
    """An interface word in the respondent's language, with the officer's under it if different."""
    from flask_babel import force_locale

    with force_locale(resp_lang):
        resp = _(msgid)
    ui = _(msgid)
    if resp == ui:
        return Markup('<span class="resp-text" lang="{}">{}</span>').format(resp_lang, resp)
    return Markup('<span class="bi two"><span class="resp-text" lang="{}">{}</span>'
                  '<span class="ui-text" lang="{}">{}</span></span>').format(resp_lang, resp, ui_lang, ui)


def format_day(iso_day: str) -> str:
    from flask_babel import get_locale

    try:
        return format_date(date.fromisoformat(iso_day), str(get_locale() or "en"))
    except ValueError:
        return iso_day


def show_answer(question: Question, stored: object, lang: str) -> str:
    """A stored answer in words, in the officer's language."""
    if stored is None:
        return "—"
    if isinstance(stored, dict) and stored.get("special") == "unknown":
        return _("Not sure / does not know")
    if isinstance(stored, dict) and stored.get("special") == "declined":
        return _("Prefers not to say")
    if question.type in ("yesno", "consent"):
        return {"yes": _("Yes"), "no": _("No")}.get(str(stored), str(stored))
    if question.type == "single":
        option = question.option(str(stored))
        return option.label.get(lang) if option else str(stored)
    if question.type == "multi" and isinstance(stored, list):
        labels = []
        for value in stored:
            option = question.option(value)
            labels.append(option.label.get(lang) if option else str(value))
        return ", ".join(labels) if labels else "—"
    if isinstance(stored, dict):
        word = _("estimated")
        estimated = f" ({word})" if stored.get("estimated") else ""
        if "date" in stored:
            return display_date(stored["date"], lang) + estimated
        if stored.get("dob"):
            return _("%(age)s years (born %(dob)s)", age=stored.get("age"),
                     dob=display_date(stored["dob"], lang)) + estimated
        return _("%(age)s years", age=stored.get("age")) + estimated
    if question.type == "number" and question.unit:
        return f"{stored} {question.unit.get(lang)}"
    return str(stored)


def template_helpers() -> dict[str, object]:
    from app.screening.answers import field_state

    return {
        "field_state": field_state,
        "in_both": in_both,
        "show_answer": show_answer,
        "format_day": format_day,
        "tier_labels": TIER_LABELS,
        "element_labels": ELEMENT_LABELS,
        "strength_labels": STRENGTH_LABELS,
        "state_labels": STATE_LABELS,
    }
