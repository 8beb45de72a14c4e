"""Central: what went wrong with each station, counted for the Stations page.

Counted: a request central refused that names an enrolled station (unsigned, a signature
that does not verify, a counter out of range or replayed, a malformed frame...), and each
record central refused or found in conflict, from the API or a USB bundle. Not counted:
central's own trouble (a 5xx such as ``busy``), nor a request naming no enrolled station.
Each count keeps the last problem's code and time. Anyone can send a request naming a
station, so a count may also show someone else's attempts: that is worth seeing too.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.models import Station
from app.models.types import utcnow
from app.protocol.problems import Problem, Result

MAX_INT = 2**31 - 1  # an INTEGER column: clamped, never an overflow


def counted(problem: Problem) -> bool:
    """A problem of the station's making (4xx), not central's (5xx)."""
    return problem.status < 500


def note(station_id: str, problem: Problem, count: int = 1) -> None:
    """Add ``count`` errors to the station (nothing if it is not enrolled); commits."""
    if count <= 0 or not counted(problem) or not 0 < len(station_id) <= 36:
        return
    total = sa.case((Station.error_count < MAX_INT - count, Station.error_count + count), else_=MAX_INT)
    db.session.execute(
        sa.update(Station).where(Station.id == station_id)
        .values(error_count=total, last_error_code=problem.stored, last_error_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()


def note_results(station_id: str, results: Iterable[tuple[Result, Problem | None]]) -> None:
    """The records of one answer that central refused or found in conflict (the last one's
    problem is kept)."""
    bad = [problem for status, problem in results
           if status in (Result.REFUSED, Result.CONFLICT) and problem is not None]
    if bad:
        note(station_id, bad[-1], len(bad))
