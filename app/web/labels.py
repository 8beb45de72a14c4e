"""Words for engine values (tiers, elements, strengths) and stored answers, shared by the
station's screening pages and central's record pages."""

from __future__ import annotations

from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.questionnaire import Question, Tier
from app.text.dates import format_date

TIER_LABELS = {
    Tier.REFER_MDT: _l("Refer for formal identification (MDT / NRM)"),
    Tier.POSSIBLE_VICTIM: _l("Possible victim: further interview"),
    Tier.LABOUR_RIGHTS: _l("Labour-rights or other protection case"),
    Tier.NO_INDICATORS: _l("No indicators at this time"),
}
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


def ui_lang() -> str:
    return str(get_locale() or "en")


def format_day(iso_day: str) -> str:
    """An ISO day in the reader's calendar and language (Buddhist era for Thai)."""
    try:
        return format_date(date.fromisoformat(iso_day), ui_lang())
    except ValueError:
        return iso_day


def _show_date(value: object, lang: str) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return format_date(date.fromisoformat(value), lang)
    except ValueError:
        return value


def show_answer(question: Question | None, stored: object, lang: str) -> str:
    """A stored answer in words, in the reader's language."""
    if stored is None:
        return "—"
    if isinstance(stored, dict) and stored.get("special") == "unknown":
        return _("Not sure / does not know")
    if isinstance(stored, dict) and stored.get("special") == "declined":
        return _("Prefers not to say")
    if question is None:
        return str(stored)
    if question.type in ("yesno", "consent"):
        return {"yes": _("Yes"), "no": _("No")}.get(str(stored), str(stored))
    if question.type == "single":
        option = question.option(str(stored))
        return option.label.get(lang) if option else str(stored)
    if question.type == "multi" and isinstance(stored, list):
        labels = []
        for value in stored:
            option = question.option(str(value))
            labels.append(option.label.get(lang) if option else str(value))
        return ", ".join(labels) if labels else "—"
    if isinstance(stored, dict):
        word = _("estimated")
        estimated = f" ({word})" if stored.get("estimated") else ""
        if "date" in stored:
            return _show_date(stored["date"], lang) + estimated
        if stored.get("dob"):
            return _("%(age)s years (born %(dob)s)", age=stored.get("age"),
                     dob=_show_date(stored["dob"], lang)) + estimated
        return _("%(age)s years", age=stored.get("age")) + estimated
    if question.type == "number" and question.unit:
        return f"{stored} {question.unit.get(lang)}"
    return str(stored)


def template_helpers() -> dict[str, object]:
    return {"show_answer": show_answer, "format_day": format_day, "tier_labels": TIER_LABELS,
            "element_labels": ELEMENT_LABELS, "strength_labels": STRENGTH_LABELS}
