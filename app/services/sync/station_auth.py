"""Central: who is calling? Each request is signed with the station's API key and carries
a counter that central accepts once, so a replayed request is refused. Counters may arrive
a little out of order (a station keeps two requests in flight), as in IPsec's anti-replay
window (RFC 4303, 3.4.3). The station's clock is only compared, never trusted: a skew is
recorded and flagged, nothing is refused for it."""

from __future__ import annotations

import time
from dataclasses import dataclass

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
    """A request whose signature verified and whose counter was fresh."""

    station: Station
    counter: int

    def note_pending(self, pending: int) -> None:
        """The station's outbox as this request tells it, kept only if no newer request of
        the station has arrived meanwhile (the newest request speaks for the outbox)."""
        db.session.execute(
            sa.update(Station).where(Station.id == self.station.id, Station.last_counter == self.counter)
            .values(pending=max(0, min(MAX_INT, pending))).execution_options(synchronize_session=False))
        db.session.commit()


    def note_problem(self, problem: Problem) -> None:
        """Central refused this signed request after all (a malformed body...): counted.
        Whatever the refused request left in the session is dropped first, not committed."""
        db.session.rollback()
        station_errors.note(self.station.id, problem)


def authenticate(method: str, path: str, headers: dict[str, str], body: bytes) -> SignedRequest:
    """Who signed this request (``headers``: the X-TS-* headers), with its counter accepted
    once; or :class:`StationRefused` with the problem, counted against the station the
    request names if it is enrolled. Called before the body is read."""
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
    station = db.session.get(Station, station_id) if len(station_id) <= 36 else None
    if station is None:
        raise refused(problems.UNKNOWN_STATION)
    if station.revoked_at is not None:
        raise refused(problems.REVOKED)
    try:
        verify(station.api_public_key, request_message(method, path, station_id, counter, timestamp, body),
               signature)
    except BadSignature:
        raise refused(problems.BAD_REQUEST_SIGNATURE) from None
    skew = max(-MAX_INT, min(MAX_INT, int(time.time()) - timestamp))
    for _attempt in range(_ATTEMPTS):
        # PostgreSQL locks the row until the commit below; SQLite (a trial central) has no
        # row locks, and the compare-and-set catches a concurrent move instead.
        last, seen = db.session.execute(sa.select(Station.last_counter, Station.counter_window)
                                        .where(Station.id == station_id).with_for_update()).one()
        if counter - last > MAX_JUMP:
            db.session.rollback()
            raise refused(problems.COUNTER_TOO_FAR)
        moved = advance(last, seen, counter)
        if moved is None:
            db.session.rollback()
            raise refused(problems.REPLAYED)
        values: dict[str, object] = {"last_counter": moved[0], "counter_window": moved[1],
                                     "last_contact_at": utcnow()}
        if counter > last:  # the newest request speaks for the station's clock
            values["clock_skew_seconds"] = skew if abs(skew) > SKEW_FLAG_SECONDS else 0
        # Compare and set: if another worker moved the window meanwhile, read it again.
        result = db.session.execute(
            sa.update(Station).where(Station.id == station_id, Station.last_counter == last,
                                     Station.counter_window == seen)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            db.session.commit()
            db.session.refresh(station)
            return SignedRequest(station, counter)
        db.session.rollback()
    raise refused(problems.BUSY)


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
