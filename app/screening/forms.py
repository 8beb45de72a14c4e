from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.i18n import LOCALE_NAMES
from app.web.labels import TIER_LABELS


class ConfirmForm(FlaskForm):
    """A bare form: buttons plus the CSRF token."""


class StartForm(FlaskForm):
    respondent_lang = RadioField(
        _l("Respondent's language"),
        description=_l("Language the person reads best"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LOCALE_NAMES.items()],
        validators=[DataRequired()],
    )


class FinaliseForm(FlaskForm):
    override_tier = SelectField(
        _l("Change the outcome (optional)"),
        choices=[SelectChoice("", _l("Keep the computed outcome"))]
        + [SelectChoice(k, v) for k, v in TIER_LABELS.items()],
        validators=[Optional()],
    )
    override_reason = TextAreaField(
        _l("Reason for the change"), validators=[Optional(), Length(max=2000)],
        description=_l("Required when you change the outcome. It is kept with the record."))
