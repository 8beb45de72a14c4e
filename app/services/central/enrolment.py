"""Central side of enrolment: single-use codes and registering a station."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import EnrolmentCode, FailedAttempt, Station
from app.models.types import utcnow
from app.protocol.messages import b64
from app.services import installation
from app.services.central import host as central_host
from app.services.central import keys as central_keys
from app.services.errors import EnrolmentRefused, EnrolmentThrottled, ValidationFailed

CODE_LIFETIME = timedelta(hours=24)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)






@dataclass(frozen=True)
class IssuedCode:
    code: str
    station_name: str
    expires_at: datetime
    central_url: str
    fingerprint: str

    @property
    def qr_payload(self) -> str:
        return f"tipscreen:enrol?url={self.central_url}&code={self.code}&fp={self.fingerprint}"


def _hash(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(normalized.encode()).hexdigest()


def create_code(station_name: str, central_url: str) -> IssuedCode:
    name = station_name.strip()
    if not 2 <= len(name) <= 120:
        raise ValidationFailed(_l("Give the station a name of 2 to 120 characters."))
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits, 16 characters
    code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
    expires = utcnow() + CODE_LIFETIME
    db.session.add(EnrolmentCode(station_name=name, code_hash=_hash(code), expires_at=expires))
    db.session.commit()
    return IssuedCode(code, name, expires, central_url, central_keys.public_fingerprint())


def _throttled(source: str) -> bool:
    since = utcnow() - FAILURE_WINDOW
    count = db.session.scalar(sa.select(sa.func.count()).select_from(FailedAttempt)
                              .where(FailedAttempt.key == f"enrol:{source}", FailedAttempt.at >= since))
    return int(count or 0) >= MAX_FAILURES


def _fail(source: str) -> None:
    db.session.rollback()
    db.session.add(FailedAttempt(key=f"enrol:{source}"))
    db.session.commit()


def redeem(code: str, *, station_id: str, signing_public_key: bytes, api_public_key: bytes,
           source: str) -> dict[str, Any]:
    """Register the station that holds a valid code; answer with central's signed keys."""
    if _throttled(source):
        raise EnrolmentThrottled(_l("Too many wrong enrolment codes. Wait 15 minutes."))
    try:
        canonical_id = str(uuid.UUID(station_id))
    except ValueError:
        raise ValidationFailed(_l("The station id is not valid.")) from None
    if canonical_id != station_id:  # "urn:uuid:...", braces, no hyphens: not what envelopes carry
        raise ValidationFailed(_l("The station id is not valid."))
    if len(signing_public_key) != 32 or len(api_public_key) != 32:
        raise ValidationFailed(_l("The station keys are not valid."))
    now = utcnow()
    row = db.session.scalar(sa.select(EnrolmentCode).where(EnrolmentCode.code_hash == _hash(code)))
    if row is None or row.used_at is not None or row.expires_at < now:
        _fail(source)
        raise EnrolmentRefused(_l("This enrolment code is not valid, already used or expired."))
    existing = db.session.get(Station, station_id)
    # A station that never made a signed request may enrol again with a new code (for
    # example after refusing a fingerprint it was told to expect); an active one may not.
    if existing is not None and (existing.last_counter > 0 or existing.revoked_at is not None):
        _fail(source)
        raise EnrolmentRefused(_l("This station is already enrolled."))
    # Single use even when two requests race: only one UPDATE matches.
    used = db.session.execute(sa.update(EnrolmentCode)
                              .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        _fail(source)
        raise EnrolmentRefused(_l("This enrolment code is not valid, already used or expired."))
    if existing is not None:
        existing.name = row.station_name
        existing.signing_public_key = signing_public_key
        existing.api_public_key = api_public_key
        existing.last_contact_at = now
    else:
        db.session.add(Station(id=station_id, name=row.station_name, signing_public_key=signing_public_key,
                               api_public_key=api_public_key, last_contact_at=now))
    db.session.commit()
    return key_statement(station_id, row.station_name)


def key_statement(station_id: str, station_name: str) -> dict[str, Any]:
    inst = installation.get_central()
    assert inst.central_public_key is not None and inst.signing_public_key is not None  # noqa: S101
    # central_signing_public_key is central's identity key: the station keeps it and takes
    # later answers only from hosts it certified. The fingerprint covers it and the record key.
    payload: dict[str, Any] = {
        "station_id": station_id,
        "station_name": station_name,
        "central_public_key": b64(inst.central_public_key),
        "central_key_id": inst.central_key_id,
        "central_signing_public_key": b64(inst.signing_public_key),
        "fingerprint": central_keys.public_fingerprint(),
    }
    statement = central_keys.record_key_statement()
    if statement is not None:
        payload["record_key_statement"] = statement
    return central_host.sign(payload)


def list_stations() -> list[Station]:
    return list(db.session.scalars(sa.select(Station).order_by(Station.name)))


def revoke(station_id: str) -> bool:
    station = db.session.get(Station, station_id)
    if station is None or station.revoked_at is not None:
        return False
    station.revoked_at = utcnow()
    db.session.commit()
    return True
