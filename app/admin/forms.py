from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.roles import ROLE_LABELS, Role


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(2, 64)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    role = SelectField(_l("Role"),
                       # Partner case workers are made on their organisation's page.
                       choices=[SelectChoice(r.value, lbl) for r, lbl in ROLE_LABELS.items()
                                if r is not Role.PARTNER])
    passphrase = PasswordField(
        _l("First passphrase"), validators=[DataRequired(), Length(max=1024)],
        description=_l("At least 12 characters. Give it to the person in private."),
        render_kw={"autocomplete": "new-password"})


class ResetPassphraseForm(FlaskForm):
    passphrase = PasswordField(_l("New passphrase"), validators=[DataRequired(), Length(max=1024)],
                               render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("New passphrase again"),
        validators=[DataRequired(),
                    EqualTo("passphrase", message=_l("The two passphrases differ."))],
        render_kw={"autocomplete": "new-password"})


class DisplayNameForm(FlaskForm):
    display_name = StringField(
        _l("Name on referral slips"), validators=[Length(max=80)],
        description=_l("As the receiving worker should read it, e.g. rank and name. "
                       "Leave empty to show the username."),
        render_kw={"autocomplete": "name"})


class XLSFormUploadForm(FlaskForm):
    xlsform = FileField(_l("XLSForm file (.xlsx)"), validators=[FileRequired()],
                        description=_l("A form written in Excel in the XLSForm format; "
                                       "docs/xlsform.md lists what tip-screen reads."))
    form_id = StringField(_l("Questionnaire id (optional)"), validators=[Length(max=64)],
                          description=_l("Instead of form_id on the settings sheet."),
                          render_kw={"autocomplete": "off", "autocapitalize": "none"})
    version = StringField(_l("Version (optional)"), validators=[Length(max=32)],
                          description=_l("Instead of version on the settings sheet, e.g. 1.0.0."),
                          render_kw={"autocomplete": "off"})


class ConfirmForm(FlaskForm):
    """A bare form: a button plus its CSRF token."""
