"""Words for engine values (tiers, elements, strengths) and stored answers, shared by the
station's screening pages and central's record pages."""

from __future__ import annotations

from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import questionnaire
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


def day_in(iso_day: str, lang: str) -> str:
    """An ISO day in ``lang``'s calendar and words (the respondent's, on the slip)."""
    return _show_date(iso_day, lang)


def _show_date(value: object, lang: str) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return format_date(date.fromisoformat(value), lang)
    except ValueError:
        return value


class ReaderWords:
    """The :class:`app.questionnaire.Words` of this request: interface texts in the
    reader's locale, questionnaire texts and dates in ``lang``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, msgid: str, **params: object) -> str:
        return _(msgid, **params)

    def day(self, iso: str) -> str:
        return _show_date(iso, self.lang)


def show_answer(question: Question | None, stored: object, lang: str) -> str:
    """A stored answer in words, in the reader's language (each type says how)."""
    return questionnaire.show_answer(question, stored, ReaderWords(lang))


def flag_name(definition: questionnaire.Definition | None, stored: dict[str, str], lang: str) -> str:
    """A stored flag ({id, code, level}) by its name in the definition, in ``lang``."""
    rule = next((f for f in definition.flags if f.id == stored.get("id")), None) if definition else None
    if rule is not None and rule.label is not None:
        return rule.label.get(lang)
    return stored.get("code", "")


def template_helpers() -> dict[str, object]:
    return {"show_answer": show_answer, "flag_name": flag_name, "day_in": day_in, "format_day": format_day,
            "tier_labels": TIER_LABELS, "element_labels": ELEMENT_LABELS, "strength_labels": STRENGTH_LABELS}
