from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class SetupForm(FlaskForm):
    station_name = StringField(_l("Station name"), validators=[DataRequired(), Length(2, 120)],
                               description=_l("For example the border post or team name."))
    username = StringField(_l("Administrator username"), validators=[DataRequired(), Length(2, 64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    passphrase = PasswordField(
        _l("Passphrase"), validators=[DataRequired(), Length(max=1024)],
        description=_l("At least 12 characters. A few words in any language work well."),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Passphrase again"),
        validators=[DataRequired(),
                    EqualTo("passphrase", message=_l("The two passphrases differ."))],
        render_kw={"autocomplete": "new-password"})
