"""Station side of enrolment: send this station's keys with the single-use code, learn central's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, generate_signing_key, identity_fingerprint, key_id
from app.extensions import db
from app.models import Installation
from app.models.types import day_of, utcday
from app.protocol.identity import open_central_statement, open_facts_key_statement, open_record_key_statement
from app.protocol.messages import ProtocolError, b64, unb64
from app.services import installation
from app.services.accounts import keyring
from app.services.errors import Locked, SyncFailed
from app.services.odk import keys as odk_keys
from app.services.records import set_central_key
from app.services.sync.client.transport import check_url, request


def _same(expected: str, found: str) -> bool:
    def plain(text: str) -> str:
        return text.replace(" ", "").replace("-", "").upper()
    return plain(expected) == plain(found)


def read_answer(answer: Any, now: datetime) -> tuple[dict[str, Any], bytes, bytes, datetime]:
    """(payload, identity key, record key, record key in use since) from central's answer,
    whose signature chain must verify: a host certificate from the identity key it names,
    the answer under the certified key, the record key under the identity key itself."""
    offered = answer.get("payload", {}).get("central_signing_public_key")
    identity = unb64(offered, "key", max_len=100)
    payload = open_central_statement(answer, identity, now)
    central_public = unb64(payload.get("central_public_key"), "central key", max_len=100)
    statement = payload.get("record_key_statement")
    since = day_of(now)  # a central before the key ring states no time; the station keeps the day
    if statement is not None:
        stated, _, since = open_record_key_statement(statement, identity)
        if stated != central_public:
            raise ProtocolError("the record key is not the one the identity key names")
    elif "host_certificate" in payload:
        raise ProtocolError("a record key needs the identity key's statement")
    return payload, identity, central_public, since


def enrol(url: str, code: str, *, expected_fingerprint: str | None = None,
          tls_pin: str | None = None, rekey: bool = False, secret: bytes | None = None) -> str:
    """Register this station with central; returns the fingerprint of central's identity
    (identity key and record key) for the officer to compare with central's screen.

    ``rekey``: an enrolled station redeems a re-key code its central administrator issued
    (``flask --app app stations rekey``): it sends a new API key and, given an unlocked
    administrator's key set ``secret``, a new envelope-signing key too, sealed to every
    user's key for their slot to take at their next login (:func:`keyring.hand_out_signing_key`)."""
    inst = installation.get()
    if inst.enrolled_at is not None and not rekey:
        raise SyncFailed(_l("This station is already enrolled."))
    url = check_url(url)
    if tls_pin:
        inst.central_tls_pin = tls_pin.lower().replace(":", "")
    api_private, api_public = generate_signing_key()
    signing_public = inst.signing_public_key or b""
    new_signing = None
    if rekey and secret is not None:
        if keyring.station_keys(secret).admins is None:
            raise Locked(_l("Unlock the key first: log in again as an administrator."))
        new_signing, signing_public = generate_signing_key()
    fields = {"code": code.strip(), "station_id": inst.station_id,
              "signing_public_key": b64(signing_public), "api_public_key": b64(api_public)}
    if expected_fingerprint:  # central compares it too, and registers nothing if it differs
        fields["expected_fingerprint"] = expected_fingerprint.strip()
    body = json.dumps(fields).encode()
    answer = request(inst, url, "POST", "/api/v1/enrol", body)
    try:
        payload, identity, central_public, since = read_answer(answer, datetime.now(UTC))
        found = identity_fingerprint(identity, central_public)
        wrong_key = payload.get("central_key_id") != key_id(central_public)
    except (ProtocolError, AttributeError, CryptoError):
        db.session.rollback()
        raise SyncFailed(_l("Central's answer to the enrolment was not valid. Nothing was changed.")) \
            from None
    if payload.get("station_id") != inst.station_id or wrong_key:
        db.session.rollback()
        raise SyncFailed(_l("Central's answer names another station or key. Nothing was changed."))
    if expected_fingerprint and not _same(expected_fingerprint, found):
        db.session.rollback()
        raise SyncFailed(_l("Central's key fingerprint does not match the one you were given. "
                            "Nothing was changed."))
    if new_signing is not None:  # envelopes already signed keep the earlier key (central has it)
        old_signing = keyring.current_signing_key(keyring.station_keys(secret))
        if old_signing is not None:  # the RSA key for phones follows the signing key
            odk_keys.rewrap(inst, old_signing, new_signing)
        inst.signing_public_key = signing_public
        keyring.hand_out_signing_key(inst, new_signing)
    inst.central_url = url
    inst.central_signing_public_key = identity
    inst.api_private_key = api_private
    inst.enrolled_at = utcday()  # the day only
    inst.central_key_since = since
    take_facts_key(inst, payload.get("facts_key_statement"), identity)
    db.session.commit()
    set_central_key(central_public, key_id(central_public))
    return found


def take_facts_key(inst: Installation, statement: object, identity: bytes) -> None:
    """Central's facts key, only under its identity key's own signature (a host key alone
    cannot make this station seal facts to another key); a bad statement changes nothing."""
    if statement is None:
        return
    try:
        public, ident = open_facts_key_statement(statement, identity)
    except (ProtocolError, CryptoError):
        return
    inst.facts_public_key = public
    inst.facts_key_id = ident
