from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class StationCodeForm(FlaskForm):
    name = StringField(_l("Station name"), validators=[DataRequired(), Length(2, 120)],
                       description=_l("For example the border post or the team, as people will know it."),
                       render_kw={"autocomplete": "off"})


class ImportForm(FlaskForm):
    bundle = FileField(_l("Bundle file"), validators=[FileRequired()],
                       description=_l("The .tipbundle file exported on the station (Sync page, "
                                      "\"Export USB bundle\")."))


class ConfirmForm(FlaskForm):
    """A bare form: a button plus its CSRF token."""


class SavedFilterForm(FlaskForm):
    name = StringField(_l("Name for these filters"), validators=[DataRequired(), Length(1, 80)],
                       render_kw={"autocomplete": "off"})
