"""Station side of enrolment: send this station's keys with the single-use code, learn central's."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

from app.crypto import fingerprint, generate_signing_key, key_id
from app.extensions import db
from app.models.types import utcday
from app.protocol.messages import ProtocolError, b64, open_statement, unb64
from app.services import installation
from app.services.accounts import keyring
from app.services.errors import Locked, SyncFailed
from app.services.records import set_central_key
from app.services.sync.client.transport import check_url, request


def enrol(url: str, code: str, *, expected_fingerprint: str | None = None,
          tls_pin: str | None = None, rekey: bool = False, secret: bytes | None = None) -> str:
    """Register this station with central; returns central's key fingerprint to compare.

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
        offered = answer.get("payload", {}).get("central_signing_public_key")
        central_signing_public = unb64(offered, "key", max_len=100)
        payload = open_statement(answer, central_signing_public)
        central_public = unb64(payload.get("central_public_key"), "central key", max_len=100)
    except (ProtocolError, AttributeError):
        db.session.rollback()
        raise SyncFailed(_l("Central's answer to the enrolment was not valid. Nothing was changed.")) \
            from None
    found = fingerprint(central_public)
    wrong_key = payload.get("central_key_id") != key_id(central_public)
    if payload.get("station_id") != inst.station_id or wrong_key:
        db.session.rollback()
        raise SyncFailed(_l("Central's answer names another station or key. Nothing was changed."))
    if expected_fingerprint and expected_fingerprint.replace(" ", "").upper() != found.replace("-", "") \
            and expected_fingerprint.upper() != found:
        db.session.rollback()
        raise SyncFailed(_l("Central's key fingerprint does not match the one you were given. "
                            "Nothing was changed."))
    if new_signing is not None:  # envelopes already signed keep the earlier key (central has it)
        inst.signing_public_key = signing_public
        keyring.hand_out_signing_key(inst, new_signing)
    inst.central_url = url
    inst.central_signing_public_key = central_signing_public
    inst.api_private_key = api_private
    inst.enrolled_at = utcday()  # the day only
    db.session.commit()
    set_central_key(central_public, key_id(central_public))
    return found
