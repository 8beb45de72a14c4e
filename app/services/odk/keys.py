"""The station's RSA key pair for ODK submissions, kept like its other private keys.

Collect encrypts to an RSA public key, so the station needs an RSA private key next to its
X25519 and Ed25519 ones. It is too large for a key-set entry (32 bytes each, docs/keys.md),
so it is stored wrapped (AES-256-GCM) under a key derived with HKDF-SHA256 from the
station's Ed25519 signing key, which exists only inside users' key slots: on disk it is as
closed as a slot, and any screener's unlocked key set opens it (as any screener's can sign
as the station). At a re-key of the signing key (``enrol --rekey``) it is re-wrapped under
the new key in the same transaction (:func:`rewrap`).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, KeySet, aead_decrypt, aead_encrypt, hkdf_sha256
from app.crypto.odk import generate_rsa_key, rsa_public_of
from app.extensions import db
from app.models import Installation
from app.services import installation
from app.services.accounts import keyring
from app.services.errors import Locked

WRAP_INFO = b"tip-screen/v1/odk-rsa-key-wrap"
WRAP_AAD = b"tip-screen/v1/odk-rsa-key:"  # || SHA-256 of the public key (DER)


def _wrap_key(signing_private: bytes) -> bytes:
    return hkdf_sha256(signing_private, salt=b"", info=WRAP_INFO)


def _aad(public_der: bytes) -> bytes:
    return WRAP_AAD + hashlib.sha256(public_der).digest()


def public_key() -> bytes | None:
    """The RSA public key phones encrypt to (DER), None until a screener first unlocked it."""
    return installation.get().odk_public_key


def ensure_key_pair(keys: KeySet) -> bytes:
    """The station's RSA public key, made now (wrapped under the signing key) if it has none.
    Two first requests at once: the first write stands, the other takes it."""
    inst = installation.get()
    if inst.odk_public_key is not None:
        return inst.odk_public_key
    signing = keyring.current_signing_key(keys)
    if signing is None:
        raise Locked(_l("Unlock the key first: log in again as an administrator."))
    private, public = generate_rsa_key()
    wrapped = aead_encrypt(_wrap_key(signing), private, _aad(public))
    db.session.execute(sa.update(Installation).where(Installation.id == inst.id,
                                                     Installation.odk_public_key.is_(None))
                       .values(odk_public_key=public, odk_private_wrapped=wrapped)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(inst)
    assert inst.odk_public_key is not None  # noqa: S101 - written just above, by us or another
    return inst.odk_public_key


def private_key(keys: KeySet) -> bytes:
    """The RSA private key (DER), opened with ``keys``' signing key; :class:`Locked` if they
    cannot open it."""
    inst = installation.get()
    if inst.odk_public_key is None or inst.odk_private_wrapped is None:
        raise Locked(_l("This station has no key for phones yet."))
    for signing in dict.fromkeys(k for k in (keyring.current_signing_key(keys), keys.signing) if k):
        try:
            private = aead_decrypt(_wrap_key(signing), inst.odk_private_wrapped, _aad(inst.odk_public_key))
        except CryptoError:
            continue
        if rsa_public_of(private) == inst.odk_public_key:
            return private
    raise Locked(_l("Your key could not be unlocked. Ask an administrator to set a new "
                    "passphrase for you."))


def rewrap(inst: Installation, old_signing: bytes, new_signing: bytes) -> None:
    """At a re-key: the RSA private key, wrapped under the new signing key (no commit)."""
    if inst.odk_public_key is None or inst.odk_private_wrapped is None:
        return
    try:
        private = aead_decrypt(_wrap_key(old_signing), inst.odk_private_wrapped, _aad(inst.odk_public_key))
    except CryptoError:
        return  # wrapped under a key this administrator's set does not hold: left as it is
    inst.odk_private_wrapped = aead_encrypt(_wrap_key(new_signing), private, _aad(inst.odk_public_key))
