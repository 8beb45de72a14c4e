"""Central: the stations overview; enrolment and re-key codes and revocations, in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import ReceivedRecord, Station
from app.protocol import problems
from app.services.central import audit, enrolment
from app.services.central import keys as central_keys
from app.services.sync import problems as sync_problems

SMALL_CELL_THRESHOLD = 5  # until the analytics suppression module is merged (see _shown)


@dataclass(frozen=True)
class StationRow:
    """One station at a glance. The record counts are None where they are too small to show
    without unlocking (the small-cell rule); no total is shown, so none can be recovered."""

    id: str
    name: str
    enrolled_at: datetime
    last_contact_at: datetime | None
    pending: int | None  # what the station last said was waiting in its outbox
    records: int | None  # held at central (deleted ones not counted)
    records_this_month: int | None  # received since the first of this month (UTC)
    revoked: bool
    clock_skew_seconds: int  # 0 unless the station's clock was off by more than the flag limit
    errors: int  # refused requests and records (services/sync/station_errors.py)
    last_error_code: str | None
    last_error_at: datetime | None

    @property
    def last_error(self) -> str | None:
        """The last problem in the reader's words (its code if this central no longer knows it)."""
        if self.last_error_code is None:
            return None
        try:
            problem = problems.by_code(float(self.last_error_code))
        except ValueError:
            problem = None
        return sync_problems.describe(problem) if problem else self.last_error_code


def small_cell_threshold() -> int:
    return SMALL_CELL_THRESHOLD


def _shown(count: int) -> int | None:
    """A count as the page may show it without unlocking: None below the threshold (zero is
    shown: it names no one). The seam to the workspace's suppression module."""
    return count if count == 0 or count >= small_cell_threshold() else None


def overview(now: datetime | None = None) -> list[StationRow]:
    now = now or datetime.now(UTC)
    month_start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = sa.case((ReceivedRecord.received_at >= month_start, 1), else_=0)
    rows = db.session.execute(
        sa.select(ReceivedRecord.station_id, sa.func.count(), sa.func.coalesce(sa.func.sum(this_month), 0))
        .where(ReceivedRecord.deleted_at.is_(None)).group_by(ReceivedRecord.station_id)).all()
    counts: dict[str, tuple[int, int]] = {str(station_id): (int(n), int(m)) for station_id, n, m in rows}
    out = []
    for s in enrolment.list_stations():
        held, month = counts.get(s.id, (0, 0))
        out.append(StationRow(
            id=s.id, name=s.name, enrolled_at=s.enrolled_at, last_contact_at=s.last_contact_at,
            pending=_shown(s.pending), records=_shown(held), records_this_month=_shown(month),
            revoked=s.revoked_at is not None, clock_skew_seconds=s.clock_skew_seconds,
            errors=s.error_count, last_error_code=s.last_error_code, last_error_at=s.last_error_at))
    return out


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
