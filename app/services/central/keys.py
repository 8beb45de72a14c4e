"""Central's keys: a key ring opened only through custodians' key slots.

Each coordinator's and administrator's key slot wraps the *custody key* (32 random
bytes). The custody key wraps central's private keys, one ``central_keys`` row each:
the identity key (Ed25519: certifies hosts' service keys, signs record keys) and every
generation of the record key (X25519: stations seal to it). A rotation adds a row, so
every custodian's slot reaches old and new keys alike. Nothing here is derived from the
config's ``secret_key`` except the *legacy* signing key of an installation made before
the key ring, which the first custodian to log in moves into the ring (:func:`unlock`).
Receipts are signed by a per-host service key (``host.py``), not by anything here.
See docs/keys.md.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import (
    CryptoError,
    aead_decrypt,
    aead_encrypt,
    generate_signing_key,
    generate_x25519,
    identity_fingerprint,
    key_id,
    new_data_key,
    signing_public_key,
    x25519_public_key,
)
from app.extensions import db
from app.models import CentralKey, Installation, KeySlot, User
from app.models.types import utcnow
from app.protocol.identity import make_facts_key_statement, make_record_key_statement
from app.protocol.messages import canonical
from app.services import installation
from app.services.accounts import keyring
from app.services.central import audit
from app.services.errors import Locked

# One message for every way a custodian's slot fails to reach the key ring.
NO_RING = _l("Central's keys could not be opened with your key slot. Ask an administrator to set a new "
             "passphrase for you.")

IDENTITY = "identity"
RECORD = "record"
FACTS = "facts"
LEGACY_SIGNING_AAD = b"tip-screen/v1/central-signing-key"
BRIDGE_AAD = b"tip-screen/v1/custody-bridge"


def _aad(kind: str, ident: str) -> bytes:
    return f"tip-screen/v1/central-key:{kind}:{ident}".encode()


def custody_key_id(custody: bytes) -> str:
    return hashlib.sha256(b"tip-screen/custody-key-id:" + custody).hexdigest()[:16]


def _store(custody: bytes, kind: str, private: bytes, public: bytes, *, statement: str | None = None,
           retired: datetime | None = None) -> CentralKey:
    ident = key_id(public)
    row = CentralKey(kind=kind, key_id=ident, public_key=public, statement=statement, retired_at=retired,
                     wrapped_private=aead_encrypt(custody, private, _aad(kind, ident)))
    db.session.add(row)
    return row


def _add_record_key(custody: bytes, identity_private: bytes, private: bytes,
                    inst: Installation) -> CentralKey:
    public = x25519_public_key(private)
    now = utcnow()
    statement = canonical(make_record_key_statement(identity_private, public, now)).decode()
    row = _store(custody, RECORD, private, public, statement=statement)
    inst.central_public_key = public
    inst.central_key_id = key_id(public)
    return row


def _add_facts_key(custody: bytes, identity_private: bytes, inst: Installation) -> CentralKey:
    """Central's facts key: stations seal each record's de-identified facts to it; every host
    holds its private half too (host.py), so ingest opens facts with no one logged in."""
    private, public = generate_x25519()
    statement = canonical(make_facts_key_statement(identity_private, public, utcnow())).decode()
    row = _store(custody, FACTS, private, public, statement=statement)
    inst.facts_public_key = public
    inst.facts_key_id = key_id(public)
    return row


def create(inst: Installation) -> bytes:
    """First run: a custody key (returned, for the first slot), the identity key, the
    first record key and the facts key, in the caller's transaction."""
    custody = new_data_key()
    identity_private, identity_public = generate_signing_key()
    inst.signing_public_key = identity_public
    inst.local_key_id = custody_key_id(custody)
    _store(custody, IDENTITY, identity_private, identity_public)
    _add_record_key(custody, identity_private, generate_x25519()[0], inst)
    _add_facts_key(custody, identity_private, inst)
    return custody


def facts_private_keys(custody: bytes) -> dict[str, bytes]:
    """Every facts key central has had, by key id (for a host's file and the rebuild)."""
    rows = db.session.scalars(sa.select(CentralKey).where(CentralKey.kind == FACTS))
    return {row.key_id: _unwrap(custody, row) for row in rows}


def facts_key_statement() -> dict[str, object] | None:
    """The identity key's signed statement naming the current facts key (None: none yet)."""
    inst = installation.get_central()
    row = _row(FACTS, inst.facts_key_id or "") if inst.facts_key_id else None
    if row is None or row.statement is None:
        return None
    statement: dict[str, object] = json.loads(row.statement)
    return statement


def ensure_facts_key(custody: bytes, *, username: str) -> None:
    """A central made before facts had no facts key: the first custodian to log in makes it
    (the identity key signs its statement); audited."""
    if _row(FACTS) is not None:
        return
    inst = installation.get_central()
    row = _add_facts_key(custody, identity_private(custody), inst)
    db.session.commit()
    audit.record(username, audit.FACTS_KEY, detail=f"facts key {row.key_id}")


def _row(kind: str, ident: str | None = None) -> CentralKey | None:
    query = sa.select(CentralKey).where(CentralKey.kind == kind)
    if ident is not None:
        query = query.where(CentralKey.key_id == ident)
    return db.session.scalar(query.order_by(CentralKey.id.desc()).limit(1))


def _unwrap(custody: bytes, row: CentralKey) -> bytes:
    try:
        return aead_decrypt(custody, row.wrapped_private, _aad(row.kind, row.key_id))
    except CryptoError:
        raise Locked(NO_RING) from None


def identity_private(custody: bytes) -> bytes:
    row = _row(IDENTITY)
    if row is None:
        raise Locked(NO_RING)
    return _unwrap(custody, row)


def record_private(custody: bytes, ident: str) -> bytes | None:
    """The record private key with this key id, if central holds it."""
    row = _row(RECORD, ident)
    return None if row is None else _unwrap(custody, row)


def record_key_ids() -> set[str]:
    """Every record key central can open (envelopes sealed to others are refused), in one
    query: the ring's record keys and the installation's current one (an installation not
    yet moved to the key ring has only that)."""
    ring = sa.select(CentralKey.key_id).where(CentralKey.kind == RECORD)
    current = sa.select(Installation.central_key_id).where(Installation.central_key_id.is_not(None))
    found: list[object] = list(db.session.scalars(sa.union(ring, current)))
    return {str(ident) for ident in found}


def record_key_statement() -> dict[str, object] | None:
    """The identity key's signed statement for the current record key (None before the upgrade)."""
    inst = installation.get_central()
    row = _row(RECORD, inst.central_key_id or "")
    if row is None or row.statement is None:
        return None
    statement: dict[str, object] = json.loads(row.statement)
    return statement


def record_keys() -> list[CentralKey]:
    return list(db.session.scalars(sa.select(CentralKey).where(CentralKey.kind == RECORD)
                                   .order_by(CentralKey.id)))


def rotate_record_key(custody: bytes, *, username: str) -> CentralKey:
    """A new record key: stations seal to it after their next pull; the old ones stay."""
    inst = installation.get_central()
    identity = identity_private(custody)
    now = utcnow()
    for old in record_keys():
        if old.retired_at is None:
            old.retired_at = now
    row = _add_record_key(custody, identity, generate_x25519()[0], inst)
    db.session.commit()
    audit.record(username, audit.KEY_ROTATED, detail=f"record key {row.key_id}")
    return row


def public_fingerprint() -> str:
    """What both enrolment screens show: central's identity key and current record key."""
    inst = installation.get_central()
    return identity_fingerprint(inst.signing_public_key or b"", inst.central_public_key or b"")


# -- unlocking, and the move from the legacy layout ----------------------------------------

def legacy_signing_key(inst: Installation) -> bytes | None:
    """The signing key of an installation made before the key ring (wrapped with a key from
    the config's secret_key), until a custodian's login moves it into the ring."""
    if inst.signing_key_wrapped is None:
        return None
    secret = current_app.config["TIP"].secret_key.encode()
    wrap = hashlib.sha256(b"tip-screen/central-signing-wrap:" + secret).digest()
    return aead_decrypt(wrap, inst.signing_key_wrapped, LEGACY_SIGNING_AAD)


def _bridge_key(legacy_record_private: bytes) -> bytes:
    return hashlib.sha256(b"tip-screen/custody-bridge:" + legacy_record_private).digest()


def unlock(user: User, passphrase: str, *, opened: bytes | None = None) -> bytes | None:
    """What the user's slot opens, as this login's secret. On central that is the custody
    key; a slot made before the key ring holds the record private key instead, and is
    re-made here (with the passphrase just checked) to hold the custody key."""
    secret = keyring.open_user_slot(user, passphrase, opened=opened)
    if secret is None or current_app.config["TIP"].role != "central":
        return secret
    inst = installation.get_central()
    slot = db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == user.id))
    if _row(IDENTITY) is not None and slot is not None and slot.key_id == inst.local_key_id:
        return secret
    return _upgrade_slot(inst, user, passphrase, secret)



def _upgrade_slot(inst: Installation, user: User, passphrase: str, legacy: bytes) -> bytes:
    if _row(IDENTITY) is None:
        # The first custodian after the upgrade: the old signing key becomes the identity key.
        old_signing = legacy_signing_key(inst)
        if old_signing is None or len(legacy) != 32 or x25519_public_key(legacy) != inst.central_public_key:
            raise Locked(NO_RING)
        custody = new_data_key()
        _store(custody, IDENTITY, old_signing, signing_public_key(old_signing))
        _add_record_key(custody, old_signing, legacy, inst)
        inst.signing_public_key = signing_public_key(old_signing)
        inst.signing_key_wrapped = None
        inst.local_key_id = custody_key_id(custody)
        inst.custody_bridge = aead_encrypt(_bridge_key(legacy), custody, BRIDGE_AAD)
        moved = True
    else:
        if inst.custody_bridge is None:
            raise Locked(NO_RING)
        try:
            custody = aead_decrypt(_bridge_key(legacy), inst.custody_bridge, BRIDGE_AAD)
        except CryptoError:
            raise Locked(NO_RING) from None
        moved = False
    keyring.put_slot(user, passphrase, custody, inst.local_key_id or "")
    db.session.flush()
    if not _legacy_slots(inst):
        inst.custody_bridge = None
    db.session.commit()
    if moved:
        audit.record(user.username, audit.KEY_RING, detail="keys moved into custodians' slots")
    return custody


def _legacy_slots(inst: Installation) -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(KeySlot)
                              .where(KeySlot.key_id != (inst.local_key_id or "")))
    return int(count or 0)
