from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class EnrolForm(FlaskForm):
    url = StringField(_l("Central address"), validators=[DataRequired(), Length(max=300)],
                      description=_l("As central's Stations page shows it, e.g. https://central.example.org"),
                      render_kw={"inputmode": "url", "autocomplete": "off", "autocapitalize": "none",
                                 "spellcheck": "false"})
    code = StringField(_l("Enrolment code"), validators=[DataRequired(), Length(max=64)],
                       description=_l("Single use, for example ABCD-EFGH-JKLM-NPQR."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false"})
    fingerprint = StringField(_l("Central's key fingerprint (optional)"),
                              validators=[Optional(), Length(max=64)],
                              description=_l("If you were given it, enrolment stops when central shows "
                                             "another one."),
                              render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                         "spellcheck": "false"})
    tls_pin = StringField(_l("Certificate fingerprint (optional, self-signed central only)"),
                          validators=[Optional(), Length(max=100)],
                          render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})


class ConfirmForm(FlaskForm):
    """A bare form: a button plus its CSRF token."""
