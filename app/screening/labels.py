"""Words of the screening pages; the ones central shares are in app/web/labels.py."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.services.records import ListState
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


def template_helpers() -> dict[str, object]:
    from app.questionnaire import field_type_of
    from app.screening.answers import field_state

    return {
        "field_state": field_state,
        "field_type_of": field_type_of,
        "in_both": in_both,
        **shared_helpers(),
        "state_labels": STATE_LABELS,
    }
