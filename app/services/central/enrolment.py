"""Central side of enrolment: single-use codes and registering a station."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import EnrolmentCode, FailedAttempt, Station, StationKey
from app.models.types import utcnow
from app.protocol import problems
from app.protocol.messages import b64
from app.services import installation
from app.services.central import audit
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


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits, 16 characters
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def create_code(station_name: str, central_url: str) -> IssuedCode:
    """A code for a new station: it can register a station id central does not have, nothing else."""
    name = station_name.strip()
    if not 2 <= len(name) <= 120:
        raise ValidationFailed(_l("Give the station a name of 2 to 120 characters."))
    code = _new_code()
    expires = utcnow() + CODE_LIFETIME
    db.session.add(EnrolmentCode(station_name=name, code_hash=_hash(code), expires_at=expires))
    db.session.commit()
    return IssuedCode(code, name, expires, central_url, central_keys.public_fingerprint())


def create_rekey_code(station_id: str, central_url: str) -> IssuedCode:
    """A code bound to one enrolled station: redeeming it replaces that station's keys
    (the old ones are kept in its key history). The caller records it in the audit log."""
    station = db.session.get(Station, station_id) if len(station_id) <= 36 else None
    if station is None or station.revoked_at is not None:
        raise ValidationFailed(_l("No such active station."))
    code = _new_code()
    expires = utcnow() + CODE_LIFETIME
    db.session.add(EnrolmentCode(station_name=station.name, station_id=station.id, code_hash=_hash(code),
                                 expires_at=expires))
    db.session.commit()
    return IssuedCode(code, station.name, expires, central_url, central_keys.public_fingerprint())


def _same_fingerprint(expected: str, actual: str) -> bool:
    def norm(text: str) -> str:
        return text.replace("-", "").replace(" ", "").upper()
    return hmac.compare_digest(norm(expected), norm(actual))


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
           source: str, expected_fingerprint: str | None = None) -> dict[str, Any]:
    """Register the station that holds a valid code; answer with central's signed keys.

    A code for a new station registers only a station id central does not have: it never
    replaces the keys of an existing station, whatever that station did so far (signed
    requests, USB bundles or nothing). A re-key code (``create_rekey_code``) is bound to
    one station id; redeeming it moves that station's keys to its key history and
    records ``station_rekey`` in the audit log. ``expected_fingerprint`` (what the
    station was told to expect) is compared first: if it differs, nothing is registered
    and the code stays unused, so a station that refuses central's fingerprint is not
    half-enrolled here.
    """
    if _throttled(source):
        raise EnrolmentThrottled(problems.THROTTLED, _l("Too many wrong enrolment codes. Wait 15 minutes."))
    central_host.current()  # a host that cannot sign the answer registers nothing (503.2)
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
        raise EnrolmentRefused(problems.CODE_NOT_VALID,
                               _l("This enrolment code is not valid, already used or expired."))
    if expected_fingerprint is not None \
            and not _same_fingerprint(expected_fingerprint, central_keys.public_fingerprint()):
        db.session.rollback()
        raise EnrolmentRefused(problems.FINGERPRINT_MISMATCH,
                               _l("Central's key fingerprint does not match the one you were given. "
                                  "Nothing was changed."))
    existing = db.session.get(Station, station_id)
    if row.station_id is None and existing is not None:
        _fail(source)
        raise EnrolmentRefused(problems.ALREADY_ENROLLED,
                               _l("This station is already enrolled. Only an administrator at central "
                                  "can give it new keys (flask --app app stations rekey)."))
    if row.station_id is not None and (row.station_id != station_id or existing is None
                                       or existing.revoked_at is not None):
        _fail(source)
        raise EnrolmentRefused(problems.CODE_NOT_VALID,
                               _l("This enrolment code is not valid, already used or expired."))
    # Single use even when two requests race: only one UPDATE matches.
    used = db.session.execute(sa.update(EnrolmentCode)
                              .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        _fail(source)
        raise EnrolmentRefused(problems.CODE_NOT_VALID,
                               _l("This enrolment code is not valid, already used or expired."))
    if existing is not None:
        _rekey(existing, signing_public_key, api_public_key, now)
        db.session.commit()  # then recorded, as codes and revocations are (services/central/stations.py)
        audit.record(f"station {station_id}"[:64], audit.STATION_REKEY,
                     detail=f"station {station_id} redeemed its re-key code; earlier keys kept")
    else:
        db.session.add(Station(id=station_id, name=row.station_name, signing_public_key=signing_public_key,
                               api_public_key=api_public_key, last_contact_at=now))
        try:
            db.session.commit()
        except IntegrityError:  # two new-station codes raced for one station id: the first one won
            _fail(source)
            raise EnrolmentRefused(problems.ALREADY_ENROLLED,
                                   _l("This station is already enrolled. Only an administrator at "
                                      "central can give it new keys (flask --app app stations rekey).")) \
                from None
    return key_statement(station_id, row.station_name)


def _rekey(station: Station, signing_public_key: bytes, api_public_key: bytes, now: datetime) -> None:
    """Keep the station's keys in its history, then take the new ones. The request counter
    carries on (the station's own counter only grows)."""
    since = db.session.scalar(sa.select(sa.func.max(StationKey.valid_until))
                              .where(StationKey.station_id == station.id)) or station.enrolled_at
    db.session.add(StationKey(station_id=station.id, signing_public_key=station.signing_public_key,
                              api_public_key=station.api_public_key, valid_from=since, valid_until=now))
    station.signing_public_key = signing_public_key
    station.api_public_key = api_public_key
    station.last_contact_at = now


def signing_keys(station_id: str) -> list[tuple[bytes, datetime]]:
    """A station's earlier envelope-signing keys, newest first, with the time each was replaced."""
    rows = db.session.execute(sa.select(StationKey.signing_public_key, StationKey.valid_until)
                              .where(StationKey.station_id == station_id)
                              .order_by(StationKey.valid_until.desc())).all()
    return [(bytes(key), until) for key, until in rows]


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
    facts = central_keys.facts_key_statement()
    if facts is not None:
        payload["facts_key_statement"] = facts
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
