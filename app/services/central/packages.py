"""Cross-border referral packages: a referral for an organisation outside tip-screen, as a file.

The package holds what a referral shares (chosen fields and the handover note) and the
consent to a referral across the border, sealed (HPKE) to the organisation's public key from
the directory and signed by central's identity key; docs/referral-package.md is the format.
Exporting opens the record (audited ``open``) and is itself an audit entry.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import (
    BadSignature,
    CryptoError,
    fingerprint,
    generate_x25519,
    hpke_open,
    hpke_seal,
    sign,
    verify,
)
from app.models.types import utcnow
from app.services import installation
from app.services.central import audit, cases, received
from app.services.central import directory as central_directory
from app.services.central import keys as central_keys
from app.services.errors import Locked, ServiceError, ValidationFailed
from app.services.referrals.proposals import CONSENT_CROSS_BORDER

FORMAT = "tip-screen-referral-package"
VERSION = 1
INFO = b"tip-screen/v1/package:"  # || the package id
SIGNED_LABEL = b"tip-screen/v1/referral-package\n"
MAX_PACKAGE = 1024 * 1024


class PackageRefused(ServiceError):
    """A package that is not well formed, not signed by the expected key, or not for this key."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def export(record_id: str, org_id: str, fields: list[str], note: str, *, username: str,
           secret: bytes | None) -> tuple[bytes, str]:
    """(the package file's bytes, a file name)."""
    org = central_directory.organisation(org_id)
    if not org.public_key or org.country == current_app.config["TIP"].post_country:
        raise ValidationFailed(_l("%(name)s has no public key for packages in the directory (only an "
                                  "organisation across the border with one gets a package).",
                                  name=org.name.get("en")))
    if secret is None:
        raise Locked(_l("Central's keys are not open in this session. Log out and in again."))
    note = cases.clean_text(note, required=False)
    opened = received.open_received(record_id, username=username, secret=secret)
    consent = opened.answers.get(CONSENT_CROSS_BORDER)
    consent_value = consent.get("value") if isinstance(consent, dict) else consent
    if consent_value != "yes":
        raise ValidationFailed(_l("The person has not agreed to a referral across the border (consent "
                                  "question “cross-border referral”), so no package was made."))
    if org.retired:
        raise ValidationFailed(_l("%(name)s is retired from the directory: it takes no new referrals.",
                                  name=org.name.get("en")))
    unknown = [f for f in fields if f not in opened.answers]
    if unknown:
        raise ValidationFailed(_l("These fields are not in the record: %(ids)s.", ids=", ".join(unknown[:5])))
    package_id = str(uuid.uuid4())
    now = utcnow().isoformat(timespec="seconds")
    content: dict[str, Any] = {"package_id": package_id, "record_id": record_id, "made_at": now,
               "questionnaire": [opened.meta.questionnaire_id, opened.meta.questionnaire_version],
               "respondent_lang": opened.body.get("respondent_lang"),
               "consent": {"question": CONSENT_CROSS_BORDER, "answer": "yes"},
               "fields": {f: (opened.answers[f].get("value") if isinstance(opened.answers[f], dict)
                              else opened.answers[f]) for f in sorted(set(fields))},
               "note": note}
    public = base64.b64decode(org.public_key)
    sealed = hpke_seal(public, _canonical(content), INFO + package_id.encode())
    inst = installation.get_central()
    header = {"format": FORMAT, "v": VERSION, "package_id": package_id, "made_at": now,
              "from": inst.name, "to": org.id, "recipient_fingerprint": fingerprint(public),
              "signer_public_key": _b64(inst.signing_public_key or b""),
              "signer_fingerprint": fingerprint(inst.signing_public_key or b""),
              "consent_cross_border": "yes", "sealed": _b64(sealed)}
    signature = sign(central_keys.identity_private(secret), SIGNED_LABEL + _canonical(header))
    audit.record(username, audit.PACKAGE_EXPORT, record_id=record_id,
                 detail=f"package {package_id} to {org.id}: {len(content['fields'])} fields, "
                        "consent recorded")
    document = {**header, "signature": _b64(signature)}
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    return data, f"referral-{package_id[:8]}.json"


def signer_fingerprint() -> str:
    """What the receiving side compares with (``flask referral open --signer``)."""
    return fingerprint(installation.get_central().signing_public_key or b"")


@dataclass(frozen=True)
class OpenedPackage:
    header: dict[str, Any]
    content: dict[str, Any]


def open_package(data: bytes, private_key: bytes, signer_public: bytes | None = None) -> OpenedPackage:
    """Check the signature (by ``signer_public``, or the key named in the file when None: then
    compare its fingerprint with central's, as the receiver should), then open the sealed part."""
    refused = "This is not a tip-screen referral package."
    if len(data) > MAX_PACKAGE:
        raise PackageRefused(refused)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PackageRefused(refused) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("v") != VERSION:
        raise PackageRefused(refused)
    header = {k: v for k, v in document.items() if k != "signature"}
    try:
        named = base64.b64decode(str(header.get("signer_public_key", "")), validate=True)
        key = signer_public if signer_public is not None else named
        verify(key, SIGNED_LABEL + _canonical(header), base64.b64decode(str(document.get("signature", "")),
                                                                         validate=True))
    except (binascii.Error, ValueError, BadSignature, CryptoError):
        raise PackageRefused("The package's signature does not verify: it was changed, or it was not made "
                             "by the central it names.") from None
    if signer_public is not None and named != signer_public:
        raise PackageRefused("The package names another signing key than the one given.")
    try:
        sealed = base64.b64decode(str(header.get("sealed", "")), validate=True)
        content = json.loads(hpke_open(private_key, sealed, INFO + str(header.get("package_id")).encode()))
    except (binascii.Error, ValueError, CryptoError):
        raise PackageRefused("The package could not be opened with this key: it was sealed to "
                             "another.") from None
    if not isinstance(content, dict) or content.get("package_id") != header.get("package_id"):
        raise PackageRefused(refused)
    return OpenedPackage(header, content)


# -- the receiving side's key (flask referral keygen / open) ---------------------------------

def new_receiver_key() -> tuple[str, str, str]:
    """A key pair for an organisation receiving packages: (private, public, both base64; the
    public key's fingerprint)."""
    private, public = generate_x25519()
    return _b64(private), _b64(public), fingerprint(public)


def read_private_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PackageRefused("That is not a base64 X25519 private key.") from None
    if len(key) != 32:
        raise PackageRefused("That is not a base64 X25519 private key.")
    return key


def signer_matches(opened: OpenedPackage, expected: str) -> bool:
    """The package's signer is the key the receiving side was told of (by its fingerprint)."""
    try:
        named = fingerprint(base64.b64decode(str(opened.header.get("signer_public_key")), validate=True))
    except (binascii.Error, ValueError, CryptoError):
        return False
    return named == expected.strip().upper() == opened.header.get("signer_fingerprint")
