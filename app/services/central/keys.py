"""Central's keys: the HPKE key pair (private part only in coordinators' slots) and the
signing key for receipts and signed statements (usable without an unlock, so stations
can sync at any hour; wrapped with a key from this server's config, never stored plain)."""

from __future__ import annotations

import hashlib

from flask import current_app

from app.crypto import aead_decrypt, aead_encrypt, fingerprint, generate_signing_key
from app.models import Installation
from app.services import installation

SIGNING_AAD = b"tip-screen/v1/central-signing-key"


def _config_key() -> bytes:
    secret = current_app.config["TIP"].secret_key.encode()
    return hashlib.sha256(b"tip-screen/central-signing-wrap:" + secret).digest()


def create_signing_key(inst: Installation) -> None:
    private, public = generate_signing_key()
    inst.signing_public_key = public
    inst.signing_key_wrapped = aead_encrypt(_config_key(), private, SIGNING_AAD)


def signing_key() -> bytes:
    inst = installation.get_central()
    assert inst.signing_key_wrapped is not None  # noqa: S101 - created at setup
    return aead_decrypt(_config_key(), inst.signing_key_wrapped, SIGNING_AAD)


def public_fingerprint() -> str:
    inst = installation.get_central()
    return fingerprint(inst.central_public_key or b"")
