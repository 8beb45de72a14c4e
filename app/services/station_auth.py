"""Central: who is calling? Each request is signed with the station's API key and carries
a counter that must grow, so a replayed request is refused. The station's clock is only
compared, never trusted: a skew is recorded and flagged, nothing is refused for it."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crypto import BadSignature, verify
from app.extensions import db
from app.models import Station
from app.models.types import utcnow
from app.protocol.messages import ProtocolError, request_message, unb64
from app.services.errors import ServiceError

SKEW_FLAG_SECONDS = 600
MAX_COUNTER = 2**63 - 1  # BIGINT
MAX_INT = 2**31 - 1  # INTEGER columns (skew, pending): clamped, never an overflow


class StationRefused(ServiceError):
    def __init__(self, message: object, code: str) -> None:
        super().__init__(message)
        self.code = code


def authenticate(method: str, path: str, headers: dict[str, str], body: bytes,
                 pending: int | None = None) -> Station:
    station_id = headers.get("X-TS-Station", "")
    try:
        counter = int(headers.get("X-TS-Counter", ""))
        timestamp = int(headers.get("X-TS-Timestamp", ""))
        signature = unb64(headers.get("X-TS-Signature", ""), "signature", max_len=200)
    except (ValueError, ProtocolError):
        raise StationRefused(_l("The request is not signed."), "unsigned") from None
    if not 0 < counter <= MAX_COUNTER:
        raise StationRefused(_l("The request counter is out of range."), "bad_counter")
    station = db.session.get(Station, station_id) if len(station_id) <= 36 else None
    if station is None:
        raise StationRefused(_l("This station is not enrolled here."), "unknown_station")
    if station.revoked_at is not None:
        raise StationRefused(_l("This station's enrolment was revoked."), "revoked")
    try:
        verify(station.api_public_key, request_message(method, path, station_id, counter, timestamp, body),
               signature)
    except BadSignature:
        raise StationRefused(_l("The request signature does not verify."), "bad_signature") from None
    skew = max(-MAX_INT, min(MAX_INT, int(time.time()) - timestamp))
    values: dict[str, object] = {"last_counter": counter, "last_contact_at": utcnow(),
                                 "clock_skew_seconds": skew if abs(skew) > SKEW_FLAG_SECONDS else 0}
    if pending is not None:
        values["pending"] = max(0, min(MAX_INT, pending))
    # Atomic: a counter not above the last one is a replay, even across workers.
    result = db.session.execute(sa.update(Station).where(Station.id == station_id,
                                                         Station.last_counter < counter)
                                .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StationRefused(_l("This request was already used (replay)."), "replayed")
    db.session.commit()
    db.session.refresh(station)
    return station
