"""Words of the screening pages; the ones central shares are in app/web/labels.py."""

from __future__ import annotations

import functools
import threading
from collections import Counter, OrderedDict
from typing import Any

from flask import current_app
from flask_babel import get_translations, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from app.questionnaire import shortfall
from app.screening.fragments import Pieces
from app.services.records import ListState
from app.web import chrome
from app.web.labels import template_helpers as shared_helpers

STATE_LABELS = {
    ListState.DRAFT: _l("Draft"),
    ListState.FINAL: _l("Final, waiting to sync"),
    ListState.WAITING: _l("Final, waiting for central's key"),
    ListState.SYNCED: _l("Synced"),
}


# Answer words shown in both languages on interview pages (kept here so they are extracted).
ANSWER_WORDS = (_l("Yes"), _l("No"), _l("Agrees"), _l("Does not agree"),
                _l("Not sure / does not know"), _l("Prefers not to say"))


# Headings of the referral slip, shown in both languages (kept here so they are extracted).
SLIP_WORDS = (_l("Referral slip"), _l("Station"), _l("Officer"), _l("Date"), _l("Follow-up date"),
              _l("Not set"), _l("Screening no."), _l("Referred to"), _l("Not yet chosen"),
              _l("Safety advice for the receiving worker"), _l("Hotlines"),
              _l("This slip carries no name. Keep it with the person's file."))


def words(text: str, lang: str) -> Markup:
    """Burmese text with each space-separated word in its own box, so a line breaks only
    between words: Chromium otherwise breaks Burmese between syllables when a box is narrow.
    Other languages are left as they are (Thai, Lao and Khmer words run on without spaces)."""
    if lang != "my":
        return Markup.escape(text)
    return Markup(" ").join(Markup('<span class="w">{}</span>').format(w) for w in text.split())


def in_both(msgid: object, resp_lang: str, ui_lang: str) -> Markup:
    """An interface word (a msgid, or a lazy text such as a tier label) in the respondent's
    language, with the officer's under it if different."""
    from flask_babel import force_locale

    def translated() -> str:
        return _(msgid) if isinstance(msgid, str) else str(msgid)

    with force_locale(resp_lang):
        resp = translated()
    ui = translated()
    if resp == ui:
        return Markup('<span class="resp-text" lang="{}">{}</span>').format(resp_lang, words(resp, resp_lang))
    return Markup('<span class="bi two"><span class="resp-text" lang="{}">{}</span>'
                  '<span class="ui-text" lang="{}">{}</span></span>').format(
                      resp_lang, words(resp, resp_lang), ui_lang, words(ui, ui_lang))


class PageLabels:
    """The bilingual texts of one questionnaire version for one pair of languages (the
    respondent's, the officer's screen), each made once and then reused by every page: the
    ``t`` macro of screening/_text.html for a questionnaire text, :func:`in_both` for an
    interface word. Made for the screen's language, which must be the request's locale
    (the officer's words are translated in it)."""

    def __init__(self, definition: Any, resp_lang: str, ui_lang: str) -> None:
        self.definition = definition
        self.resp_lang = resp_lang
        self.ui_lang = ui_lang
        # id of the text -> (the text, kept so that its id is not reused, and the markup).
        self._texts: dict[tuple[int, bool], tuple[object, Markup]] = {}
        self._words: dict[tuple[str, str], Markup] = {}
        self._translations = get_translations()  # the screen's language (Flask-Babel keeps them)
        # (question id, show card) -> the question's prepared markup (app/screening/fragments.py)
        self.questions: dict[tuple[str, bool], Pieces | None] = {}
        # (section id, show card, script root) -> the page's frame around its questions
        # (screening/section.html, app/web/chrome.py): questionnaire texts and interface words.
        self.frames: dict[object, chrome.Pieces | None] = {}

    @functools.cached_property
    def client_model_json(self) -> Markup:
        """``definition.client_model|tojson``, serialised once (it is the same for every page)."""
        policies = current_app.jinja_env.policies
        return htmlsafe_json_dumps(self.definition.client_model, dumps=policies["json.dumps_function"],
                                   **policies["json.dumps_kwargs"])

    @property
    def gettext(self) -> Any:
        """The page's ``_()`` and ``gettext()``: Jinja's own newstyle gettext, with the screen's
        catalog looked up once instead of through the request's locale at every call."""
        ugettext = self._translations.ugettext

        @pass_context
        def gettext(context: Context, msgid: str, **variables: Any) -> str:
            text = ugettext(msgid)
            if context.eval_ctx.autoescape:
                text = Markup(text)  # noqa: S704 - a translation from our catalog, as Jinja's own gettext
            return text % variables  # always a format string, as Jinja's i18n does

        return gettext

    def t(self, text: Any, resp_lang: str, ui_lang: str, screener: bool = False) -> Markup:
        """As the ``t`` macro, with the same arguments (the page's pair)."""
        macro = current_app.jinja_env.get_template("screening/_text.html").module.t  # type: ignore[attr-defined]
        if (resp_lang, ui_lang) != (self.resp_lang, self.ui_lang):
            return macro(text, resp_lang, ui_lang, screener)
        key = (id(text), bool(screener))
        made = self._texts.get(key)
        if made is None or made[0] is not text:
            # The macro's output is Markup already (an autoescaped template).
            made = self._texts[key] = (text, macro(text, resp_lang, ui_lang, screener))
        return made[1]

    def in_both(self, msgid: object, resp_lang: str, ui_lang: str) -> Markup:
        """As :func:`in_both`; interface words (msgids) are made once per language."""
        if not isinstance(msgid, str) or ui_lang != self.ui_lang:
            return in_both(msgid, resp_lang, ui_lang)
        key = (msgid, resp_lang)
        made = self._words.get(key)
        if made is None:
            made = self._words[key] = in_both(msgid, resp_lang, ui_lang)
        return made


_PREPARED: OrderedDict[tuple[int, str, str], tuple[object, PageLabels]] = OrderedDict()  # LRU
_PREPARED_LOCK = threading.Lock()
PREPARED_MAX = 64  # 25 language pairs of a version or two, and the directory's variant


def page_labels(definition: object, resp_lang: str, ui_lang: str) -> PageLabels:
    """The labels of ``definition`` (one questionnaire version, with the referral directory
    it offers) for this pair, made on first use and kept for the most recently used."""
    key = (id(definition), resp_lang, ui_lang)
    with _PREPARED_LOCK:
        held = _PREPARED.get(key)
        if held is not None and held[0] is definition:
            _PREPARED.move_to_end(key)
            return held[1]
        labels = PageLabels(definition, resp_lang, ui_lang)
        _PREPARED[key] = (definition, labels)  # the definition is kept: its id is not reused
        while len(_PREPARED) > PREPARED_MAX:
            _PREPARED.popitem(last=False)
        return labels


def _counted(strengths: list[str] | tuple[str, ...], more: bool) -> str:
    """ "1 strong indicator, 2 medium indicators" (or "1 more strong indicator", with ``more``),
    strongest first."""
    counts = Counter(strengths)
    parts = []
    for strength in ("strong", "medium", "weak"):
        n = counts.get(strength, 0)
        if not n:
            continue
        if strength == "strong":
            parts.append(ngettext("%(num)d more strong indicator", "%(num)d more strong indicators", n)
                         if more else ngettext("%(num)d strong indicator", "%(num)d strong indicators", n))
        elif strength == "medium":
            parts.append(ngettext("%(num)d more indicator of medium strength or stronger",
                                  "%(num)d more indicators of medium strength or stronger", n)
                         if more else ngettext("%(num)d medium indicator", "%(num)d medium indicators", n))
        else:
            parts.append(ngettext("%(num)d more indicator of any strength",
                                  "%(num)d more indicators of any strength", n)
                         if more else ngettext("%(num)d weak indicator", "%(num)d weak indicators", n))
    return ", ".join(parts)


def near_miss(definition: Any, element: dict[str, Any]) -> str:
    """What a stored element result lacks, by the definition's element rule, in words:
    "1 strong indicator; to be positive it needs 1 more indicator of any strength." """
    strengths = [i["strength"] for i in element.get("indicators", [])]
    missing = shortfall(strengths, definition.outcome.element_rule)
    have = _counted(strengths, more=False) or _("No indicator")
    if not missing:
        return have
    return _("%(have)s; to be positive it needs %(need)s.", have=have, need=_counted(missing, more=True))


# What central's pull said of a referral of the record: "referred to X: accepted on 3 March 2026".
REFERRAL_FEEDBACK = {
    "referred": _l("referred to %(name)s on %(day)s: no answer yet"),
    "accepted": _l("referred to %(name)s: accepted on %(day)s"),
    "declined": _l("referred to %(name)s: declined on %(day)s"),
    "service_given": _l("referred to %(name)s: service given on %(day)s"),
    "closed": _l("referred to %(name)s: closed on %(day)s"),
}


def referral_feedback_text(feedback: Any) -> str:
    from app.text.dates import format_date
    from app.web.labels import ui_lang

    text = REFERRAL_FEEDBACK.get(feedback.status)
    if text is None:
        return ""
    return str(text) % {"name": feedback.organisation, "day": format_date(feedback.at.date(), ui_lang())}


def template_helpers() -> dict[str, object]:
    from app.questionnaire import field_type_of
    from app.screening.answers import field_state

    return {
        "field_state": field_state,
        "field_type_of": field_type_of,
        "in_both": in_both,
        "near_miss": near_miss,
        **shared_helpers(),
        "state_labels": STATE_LABELS,
        "referral_feedback_text": referral_feedback_text,
    }
