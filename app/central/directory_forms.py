"""The form for one organisation of the referral directory (central administrators)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.languages import CODES, NATIVE_NAMES
from app.protocol.directory import (
    CONTACTS,
    COUNTRIES,
    KINDS,
    MAX_CONTACT,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_PROVINCE,
    SERVICES,
    Organisation,
    has_control_characters,
)
from app.questionnaire import LocalText
from app.web.directory_words import CONTACT_LABELS, COUNTRY_LABELS, KIND_LABELS, SERVICE_LABELS


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


def _no_control_characters(_form: Any, field: Any) -> None:
    lines = isinstance(field, TextAreaField)
    if field.data and has_control_characters(field.data, lines=lines):
        raise ValidationError(_l("This text holds control characters (invisible codes that are not "
                                 "letters). Type it again or paste it as plain text."))


class _PlainText(StringField):
    """A one-line text without control characters."""

    def __init__(self, *args: Any, validators: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, validators=[*(validators or []), _no_control_characters], **kwargs)


class _PlainTextArea(TextAreaField):
    def __init__(self, *args: Any, validators: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, validators=[*(validators or []), _no_control_characters], **kwargs)


def _name_field(code: str) -> StringField:
    validators: list[Any] = [_too_long(MAX_NAME)]
    if code == "en":
        validators.insert(0, DataRequired(message=_l("A name in English is needed (the other languages "
                                                     "fall back to it).")))
    return _PlainText(_l("Name (%(language)s)", language=NATIVE_NAMES[code]), validators=validators,
                       render_kw={"lang": code, "autocomplete": "off"})


def _description_field(code: str) -> TextAreaField:
    return _PlainTextArea(_l("Description (%(language)s)", language=NATIVE_NAMES[code]),
                         validators=[_too_long(MAX_DESCRIPTION)], render_kw={"lang": code, "rows": 2})


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
                       validate_choice=True)
    country = SelectField(_l("Country"), choices=[SelectChoice(c, COUNTRY_LABELS[c]) for c in COUNTRIES],
                          description=_l("Another country than the post's is a referral across the border: "
                                         "offered only with the person's consent to it."))
    province = _PlainText(_l("Province"), validators=[_too_long(MAX_PROVINCE)],
                           description=_l("Leave empty for an organisation that serves the whole country."),
                           render_kw={"autocomplete": "off"})
    services = _Checkboxes(_l("Services offered"),
                           choices=[SelectChoice(s, SERVICE_LABELS[s]) for s in SERVICES])
    languages = _Checkboxes(_l("Languages spoken"), choices=[SelectChoice(c, NATIVE_NAMES[c]) for c in CODES])
    mdt = BooleanField(_l("This is the multidisciplinary team (offered only with the person's consent to "
                          "share the record with it)"))
    phone = _PlainText(CONTACT_LABELS["phone"], validators=[_too_long(MAX_CONTACT)])
    messaging = _PlainText(CONTACT_LABELS["messaging"], validators=[_too_long(MAX_CONTACT)],
                            description=_l("For example: LINE @shelter-tak"))
    address = _PlainText(CONTACT_LABELS["address"], validators=[_too_long(MAX_CONTACT)])
    hours = _PlainText(CONTACT_LABELS["hours"], validators=[_too_long(MAX_CONTACT)],
                        description=_l("For example: Mon-Fri 8:30-16:30, or 24 hours"))
    name_en = _name_field("en")
    name_th = _name_field("th")
    name_my = _name_field("my")
    name_lo = _name_field("lo")
    name_km = _name_field("km")
    description_en = _description_field("en")
    description_th = _description_field("th")
    description_my = _description_field("my")
    description_lo = _description_field("lo")
    description_km = _description_field("km")
    public_key = _PlainText(_l("Public key (for referral packages across the border)"),
                             validators=[_too_long(100)],
                             description=_l("Optional: the organisation's X25519 public key in base64, as it "
                                            "gave it to you."), render_kw={"autocomplete": "off"})
    fingerprint = _PlainText(_l("Fingerprint of that key"), validators=[_too_long(40)],
                              description=_l("Optional: as the organisation read it out to you; it must "
                                             "match the key."), render_kw={"autocomplete": "off"})

    def validate_description_en(self, field: Any) -> None:
        others = [getattr(self, f"description_{c}").data for c in CODES if c != "en"]
        if not (field.data or "").strip() and any((t or "").strip() for t in others):
            raise ValidationError(_l("A description in another language needs the English one too "
                                     "(the other languages fall back to it)."))

    def name_fields(self) -> list[Any]:
        return [getattr(self, f"name_{c}") for c in CODES]

    def description_fields(self) -> list[Any]:
        return [getattr(self, f"description_{c}") for c in CODES]

    def contact_fields(self) -> list[Any]:
        return [getattr(self, c) for c in CONTACTS]

    def organisation(self, public_key: str, fingerprint: str) -> Organisation:
        """What the form says, as an organisation (its id is given by the service)."""

        def texts(prefix: str) -> dict[str, str]:
            found = {c: (getattr(self, f"{prefix}_{c}").data or "").strip() for c in CODES}
            return {c: text for c, text in found.items() if text}

        description = texts("description")
        return Organisation(
            id="o-00000000", kind=self.kind.data or "", country=self.country.data or "",
            name=LocalText(texts("name")), province=(self.province.data or "").strip(),
            services=tuple(s for s in SERVICES if s in (self.services.data or [])),
            languages=tuple(c for c in CODES if c in (self.languages.data or [])), mdt=bool(self.mdt.data),
            contacts={c: v.strip() for c in CONTACTS if (v := getattr(self, c).data or "").strip()},
            description=LocalText(description) if description else None,
            public_key=public_key, fingerprint=fingerprint)

    def fill(self, org: Organisation) -> None:
        """Show an organisation's current text in the form (for editing)."""
        self.kind.data, self.country.data, self.province.data = org.kind, org.country, org.province
        self.services.data, self.languages.data = list(org.services), list(org.languages)
        self.mdt.data = org.mdt
        for c in CONTACTS:
            getattr(self, c).data = org.contact(c)
        for c in CODES:
            getattr(self, f"name_{c}").data = org.name.texts.get(c, "")
            described = org.description.texts if org.description else {}
            getattr(self, f"description_{c}").data = described.get(c, "")
        self.public_key.data, self.fingerprint.data = org.public_key, org.fingerprint
