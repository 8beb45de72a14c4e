"""Words for the referral directory's codes (kinds, services, countries, contacts), shared by
central's directory pages and the station's referral question and slip."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.languages import NATIVE_NAMES

KIND_LABELS = {
    "government": _l("Government office"),
    "ngo": _l("NGO"),
    "shelter": _l("Shelter"),
    "health": _l("Health service"),
    "legal_aid": _l("Legal aid"),
    "child_protection": _l("Child protection"),
    "labour": _l("Labour office"),
    "consulate": _l("Embassy or consulate"),
    "hotline": _l("Hotline"),
}
SERVICE_LABELS = {
    "children": _l("Children"),
    "medical": _l("Medical care"),
    "psychosocial": _l("Psychosocial support"),
    "shelter": _l("Shelter"),
    "legal": _l("Legal help"),
    "repatriation": _l("Return home (repatriation)"),
    "investigation": _l("Investigation"),
    "labour_rights": _l("Labour rights"),
    "livelihood": _l("Livelihood and training"),
    "interpretation": _l("Interpretation"),
}
COUNTRY_LABELS = {
    "TH": _l("Thailand"),
    "MM": _l("Myanmar"),
    "LA": _l("Laos"),
    "KH": _l("Cambodia"),
    "VN": _l("Vietnam"),
    "MY": _l("Malaysia"),
    "CN": _l("China"),
}
CONTACT_LABELS = {
    "phone": _l("Phone"),
    "messaging": _l("LINE or other messaging"),
    "address": _l("Address"),
    "hours": _l("Hours"),
}


def service_words(services: tuple[str, ...], only: tuple[str, ...] | None = None) -> str:
    """Services in words, in the vocabulary's order (``only``: those among these)."""
    return ", ".join(str(SERVICE_LABELS[s]) for s in services if only is None or s in only)


def directory_helpers() -> dict[str, object]:
    return {"kind_labels": KIND_LABELS, "service_labels": SERVICE_LABELS, "country_labels": COUNTRY_LABELS,
            "contact_labels": CONTACT_LABELS, "native_names": NATIVE_NAMES, "service_words": service_words}
