"""Central: the stations overview; enrolment and re-key codes and revocations, in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import ReceivedRecord, Station
from app.services.central import audit, enrolment
from app.services.central import keys as central_keys


@dataclass(frozen=True)
class StationRow:
    id: str
    name: str
    enrolled_at: datetime
    last_contact_at: datetime | None
    pending: int
    records: int
    revoked: bool
    clock_skew_seconds: int  # 0 unless the station's clock was off by more than the flag limit


def overview() -> list[StationRow]:
    rows = db.session.execute(
        sa.select(ReceivedRecord.station_id, sa.func.count()).group_by(ReceivedRecord.station_id)).all()
    counts: dict[str, int] = {str(station_id): int(n) for station_id, n in rows}
    return [StationRow(id=s.id, name=s.name, enrolled_at=s.enrolled_at, last_contact_at=s.last_contact_at,
                       pending=s.pending, records=int(counts.get(s.id, 0)), revoked=s.revoked_at is not None,
                       clock_skew_seconds=s.clock_skew_seconds)
            for s in enrolment.list_stations()]


def central_fingerprint() -> str:
    return central_keys.public_fingerprint()


def issue_code(station_name: str, central_url: str, *, username: str) -> enrolment.IssuedCode:
    issued = enrolment.create_code(station_name, central_url)
    audit.record(username, audit.ENROL_CODE, detail=f"for station {issued.station_name}")
    return issued


def issue_rekey_code(station_id: str, central_url: str, *, username: str) -> enrolment.IssuedCode:
    """A code bound to this station: redeeming it gives the station new keys (the earlier ones
    stay in its key history, so what it signed before still verifies). Recorded in the audit log."""
    issued = enrolment.create_rekey_code(station_id, central_url)
    audit.record(username, audit.STATION_REKEY, detail=f"re-key code for station {station_id}")
    return issued


def revoke(station_id: str, *, username: str) -> bool:
    if not enrolment.revoke(station_id):
        return False
    audit.record(username, audit.REVOKE, detail=f"station {station_id}")
    return True


def station_name(station_id: str) -> str | None:
    station = db.session.get(Station, station_id) if len(station_id) <= 36 else None
    return station.name if station else None
