"""The referral directory's data, as central signs it and stations read it (pure).

One organisation is a plain JSON object (``to_json``); the whole directory is a list of them
inside a statement signed by central's identity key (``identity.make_directory_statement``).
The words here are codes; the pages translate them (app/web/directory_words.py). A received
directory is read with :func:`organisation_from`, which refuses anything out of shape with a
:class:`ProtocolError` naming the entry, so a station never stores half a directory.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from app.languages import CODES
from app.protocol.messages import ProtocolError
from app.questionnaire import LocalText

#: What an organisation is (issue 15's list).
KINDS: tuple[str, ...] = ("government", "ngo", "shelter", "health", "legal_aid", "child_protection",
                          "labour", "consulate", "hotline")
#: What it offers: the fixed vocabulary the station matches a person's needs against.
SERVICES: tuple[str, ...] = ("children", "medical", "psychosocial", "shelter", "legal", "repatriation",
                             "investigation", "labour_rights", "livelihood", "interpretation")
#: Where it works: ISO 3166 codes of Thailand and its neighbours (and the countries people
#: screened at Thai posts most often come from).
COUNTRIES: tuple[str, ...] = ("TH", "MM", "LA", "KH", "VN", "MY", "CN")
#: How to reach it, each as printed on the slip.
CONTACTS: tuple[str, ...] = ("phone", "messaging", "address", "hours")

#: The files an administrator carries: a directory file, and the answer to a USB bundle.
FILE_FORMAT = "tip-screen-directory"
ANSWER_FORMAT = "tip-screen-bundle-answer"
FILE_VERSION = 1

MAX_ORGANISATIONS = 2000
MAX_NAME = 200
MAX_DESCRIPTION = 1000
MAX_CONTACT = 200
MAX_PROVINCE = 80
_ID = re.compile(r"^o-[0-9a-f]{8,32}$")


@dataclass(frozen=True)
class Organisation:
    id: str  # "o-" and hex, made at central when it is added; never reused
    kind: str
    country: str
    name: LocalText  # English always; the other languages when given
    province: str = ""  # "" : the whole country
    services: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    mdt: bool = False  # referring here shares the case with the multidisciplinary team
    contacts: dict[str, str] = field(default_factory=dict)
    description: LocalText | None = None
    public_key: str = ""  # base64 X25519, for a package across the border (field only)
    fingerprint: str = ""
    retired: bool = False  # kept so old referrals still read; never offered again

    def contact(self, which: str) -> str:
        return self.contacts.get(which, "")


def to_json(org: Organisation) -> dict[str, Any]:
    """The organisation as the signed directory carries it (every key always present)."""
    return {"id": org.id, "kind": org.kind, "country": org.country, "province": org.province,
            "services": list(org.services), "languages": list(org.languages), "mdt": org.mdt,
            "contacts": {k: org.contacts[k] for k in CONTACTS if org.contacts.get(k)},
            "name": dict(org.name.texts),
            "description": dict(org.description.texts) if org.description else {},
            "public_key": org.public_key, "fingerprint": org.fingerprint, "retired": org.retired}


def has_control_characters(text: str, *, lines: bool = False) -> bool:
    """Control characters (C0, DEL, C1) other than, with ``lines``, newlines and tabs. Format
    characters such as the zero-width space that Thai, Khmer and Burmese text uses are allowed."""
    allowed = "\n\r\t" if lines else ""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _text(value: object, where: str, limit: int, *, required: bool) -> LocalText | None:
    if not isinstance(value, dict):
        raise ProtocolError(f"{where}: texts by language are needed")
    texts = {}
    for code, text in value.items():
        if code not in CODES or not isinstance(text, str) or len(text) > limit:
            raise ProtocolError(f"{where}: {code!r} is not a known language with a text of at most "
                                f"{limit} characters")
        if has_control_characters(text, lines=True):
            raise ProtocolError(f"{where}: control characters in the {code} text")
        if text.strip():
            texts[code] = text.strip()
    if texts and "en" not in texts:
        raise ProtocolError(f"{where}: the English text is needed (the other languages fall back to it)")
    if not texts:
        if required:
            raise ProtocolError(f"{where}: a name in English is needed")
        return None
    return LocalText(texts)


def _codes(value: object, allowed: tuple[str, ...], where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
        raise ProtocolError(f"{where}: only {', '.join(allowed)}")
    return tuple(v for v in allowed if v in value)  # the vocabulary's order, each once


def _short(value: object, where: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or has_control_characters(value):
        raise ProtocolError(f"{where}: a text of at most {limit} characters, without control characters")
    return value.strip()


def organisation_from(item: object, where: str) -> Organisation:
    """One organisation of a received directory; ProtocolError says what does not fit."""
    if not isinstance(item, dict):
        raise ProtocolError(f"{where}: not an organisation")
    ident = item.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise ProtocolError(f"{where}: the id is missing or not o-<hex>")
    if item.get("kind") not in KINDS:
        raise ProtocolError(f"{where}: the kind is not one of {', '.join(KINDS)}")
    if item.get("country") not in COUNTRIES:
        raise ProtocolError(f"{where}: the country is not one of {', '.join(COUNTRIES)}")
    contacts = item.get("contacts", {})
    if not isinstance(contacts, dict) or not set(contacts) <= set(CONTACTS):
        raise ProtocolError(f"{where}: contacts are {', '.join(CONTACTS)} only")
    name = _text(item.get("name"), f"{where}.name", MAX_NAME, required=True)
    assert name is not None  # noqa: S101 (required above)
    return Organisation(
        id=ident, kind=str(item["kind"]), country=str(item["country"]), name=name,
        province=_short(item.get("province", ""), f"{where}.province", MAX_PROVINCE),
        services=_codes(item.get("services", []), SERVICES, f"{where}.services"),
        languages=_codes(item.get("languages", []), CODES, f"{where}.languages"),
        mdt=item.get("mdt") is True,
        contacts={k: _short(v, f"{where}.contacts.{k}", MAX_CONTACT) for k, v in contacts.items() if v},
        description=_text(item.get("description", {}), f"{where}.description", MAX_DESCRIPTION,
                          required=False),
        public_key=_short(item.get("public_key") or "", f"{where}.public_key", 100),
        fingerprint=_short(item.get("fingerprint") or "", f"{where}.fingerprint", 40),
        retired=item.get("retired") is True)


def organisations_from(items: object) -> tuple[Organisation, ...]:
    """Every organisation of a received directory, or ProtocolError for the first that does not
    fit (or for two with one id)."""
    if not isinstance(items, list) or len(items) > MAX_ORGANISATIONS:
        raise ProtocolError(f"the organisations must be a list of at most {MAX_ORGANISATIONS}")
    found = tuple(organisation_from(item, f"organisations[{n}]") for n, item in enumerate(items))
    if len({o.id for o in found}) != len(found):
        raise ProtocolError("two organisations have the same id")
    return found
