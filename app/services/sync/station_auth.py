"""Central: who is calling? Each request is signed with the station's API key and carries
a counter that central accepts once, so a replayed request is refused. Counters may arrive
a little out of order (a station keeps two requests in flight), as in IPsec's anti-replay
window (RFC 4303, 3.4.3). The station's clock is only compared, never trusted: a skew is
recorded and flagged, nothing is refused for it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.crypto import BadSignature, verify
from app.extensions import db
from app.models import Station
from app.models.types import utcnow
from app.protocol import problems
from app.protocol.messages import ProtocolError, request_message, unb64
from app.protocol.problems import Problem
from app.services.errors import StationRefused
from app.services.sync import station_errors
from app.services.sync.problems import refused

HEADERS = ("X-TS-Station", "X-TS-Counter", "X-TS-Timestamp", "X-TS-Signature")

SKEW_FLAG_SECONDS = 600
MAX_COUNTER = 2**63 - 1  # BIGINT
MAX_INT = 2**31 - 1  # INTEGER columns (skew, pending): clamped, never an overflow
# How far ahead of the highest counter accepted a request may jump. A station's counter grows
# by a few per sync (and by one per attempt that never reached central), so a million is
# decades of use; a far bigger jump could only come from someone holding the station's API
# key, who could otherwise push the counter to the top and lock the station out for good.
MAX_JUMP = 1_000_000
WINDOW = 63  # counters below the newest that may still arrive once (a bitmap in a signed BIGINT)
_WINDOW_MASK = (1 << WINDOW) - 1
_ATTEMPTS = 20  # compare-and-set rounds when several workers serve one station at once


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature verified and whose counter was fresh. ``station`` is a
    copy of the station's row as this request left it, held by no session (so no commit
    reloads it): read it, never add it to a session."""

    station: Station
    counter: int

    def note_pending(self, pending: int) -> None:
        """The station's outbox as this request tells it, kept only if no newer request of
        the station has arrived meanwhile (the newest request speaks for the outbox)."""
        with _autocommit() as conn:
            conn.execute(sa.update(Station).where(Station.id == self.station.id,
                                                  Station.last_counter == self.counter)
                         .values(pending=max(0, min(MAX_INT, pending))))

    def note_problem(self, problem: Problem) -> None:
        """Central refused this signed request after all (a malformed body...): counted.
        Whatever the refused request left in the session is dropped first, not committed."""
        db.session.rollback()
        station_errors.note(self.station.id, problem)


def _autocommit() -> sa.Connection:
    """A connection on which each statement is its own transaction: a read, or a
    compare-and-set, costs one round trip (no BEGIN, no COMMIT)."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def authenticate(method: str, path: str, headers: dict[str, str], body: bytes) -> SignedRequest:
    """Who signed this request (``headers``: the X-TS-* headers), with its counter accepted
    once; or :class:`StationRefused` with the problem, counted against the station the
    request names if it is enrolled. Called before the body is read. Two round trips to
    the database when nothing competes: the station's row, then the compare-and-set."""
    try:
        return _authenticate(method, path, headers, body)
    except StationRefused as exc:
        db.session.rollback()
        station_errors.note(headers.get("X-TS-Station", ""), exc.problem)
        raise


def _authenticate(method: str, path: str, headers: dict[str, str], body: bytes) -> SignedRequest:
    station_id = headers.get("X-TS-Station", "")
    try:
        counter = int(headers.get("X-TS-Counter", ""))
        timestamp = int(headers.get("X-TS-Timestamp", ""))
        signature = unb64(headers.get("X-TS-Signature", ""), "signature", max_len=200)
    except (ValueError, ProtocolError):
        raise refused(problems.UNSIGNED) from None
    if not 0 < counter <= MAX_COUNTER:
        raise refused(problems.BAD_COUNTER)
    with _autocommit() as conn:
        row = _station_row(conn, station_id) if len(station_id) <= 36 else None
        if row is None:
            raise refused(problems.UNKNOWN_STATION)
        if row["revoked_at"] is not None:
            raise refused(problems.REVOKED)
        try:
            verify(row["api_public_key"], request_message(method, path, station_id, counter, timestamp, body),
                   signature)
        except BadSignature:
            raise refused(problems.BAD_REQUEST_SIGNATURE) from None
        skew = max(-MAX_INT, min(MAX_INT, int(time.time()) - timestamp))
        for _attempt in range(_ATTEMPTS):
            last, seen = row["last_counter"], row["counter_window"]
            if counter - last > MAX_JUMP:
                raise refused(problems.COUNTER_TOO_FAR)
            moved = advance(last, seen, counter)
            if moved is None:
                raise refused(problems.REPLAYED)
            values: dict[str, object] = {"last_counter": moved[0], "counter_window": moved[1],
                                         "last_contact_at": utcnow()}
            if counter > last:  # the newest request speaks for the station's clock
                values["clock_skew_seconds"] = skew if abs(skew) > SKEW_FLAG_SECONDS else 0
            # Compare and set, one statement and so atomic on its own: it matches only if no
            # other request moved the window since it was read (PostgreSQL re-checks the
            # condition against a row another transaction just changed). Every accepted
            # counter changes the window, so a counter can win this once only.
            result = conn.execute(
                sa.update(Station).where(Station.id == station_id, Station.last_counter == last,
                                         Station.counter_window == seen).values(**values))
            if result.rowcount == 1:
                return SignedRequest(Station(**{**row, **values}), counter)
            row = _station_row(conn, station_id)  # another worker moved it: read it again
            if row is None:
                raise refused(problems.UNKNOWN_STATION)
    raise refused(problems.BUSY)


def _station_row(conn: sa.Connection, station_id: str) -> dict[str, Any] | None:
    found = conn.execute(sa.select(Station.__table__).where(Station.id == station_id)).mappings().first()
    return None if found is None else dict(found)


def advance(last: int, seen: int, counter: int) -> tuple[int, int] | None:
    """The anti-replay window after accepting ``counter``, or None if it must be refused.

    ``last`` is the highest counter accepted; bit i of ``seen`` says that counter
    ``last - 1 - i`` was accepted too. A counter above ``last`` moves the window up; one
    within WINDOW below it is accepted once; anything older is refused (it cannot be told
    apart from a replay).
    """
    if counter > last:
        shift = counter - last
        if shift > WINDOW:
            return counter, 0
        return counter, ((seen << shift) | (1 << (shift - 1))) & _WINDOW_MASK
    behind = last - counter
    if behind == 0 or behind > WINDOW or seen & (1 << (behind - 1)):
        return None
    return last, seen | (1 << (behind - 1))
