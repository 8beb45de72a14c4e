"""The anti-replay window: each request counter is accepted once, late ones within the window too.

A station keeps two requests in flight, so central may see counter n+1 before n. The window
(services/station_auth.advance) must accept both, each once, across several server threads,
and still refuse every replay and anything too old to tell apart from one.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

from hypothesis import given
from hypothesis import strategies as st

from app.services.sync.station_auth import WINDOW, advance
from tests.sync.conftest import call

PATH = "/api/v1/records/known"


class Reference:
    """The rule in plain sets: accepted once, and not more than WINDOW below the highest."""

    def __init__(self) -> None:
        self.accepted: set[int] = set()

    def offer(self, counter: int) -> bool:
        highest = max(self.accepted, default=0)
        if counter in self.accepted or highest - counter > WINDOW:
            return False
        self.accepted.add(counter)
        return True


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=300))
def test_window_matches_the_plain_rule(counters: list[int]) -> None:
    last, seen = 0, 0
    reference = Reference()
    for counter in counters:
        moved = advance(last, seen, counter)
        assert (moved is not None) == reference.offer(counter), (counter, last, bin(seen))
        if moved is not None:
            last, seen = moved
            assert 0 <= seen < 2**63  # fits PostgreSQL's signed BIGINT


def test_window_edges() -> None:
    assert advance(0, 0, 1) == (1, 1)  # bit 0 stands for counter 0, never a valid one: harmless
    assert advance(10, 0, 10) is None  # the same counter again
    assert advance(10, 0, 9) == (10, 1)  # one late request: accepted...
    assert advance(10, 1, 9) is None  # ...once
    assert advance(100, 0, 100 - WINDOW) is not None  # the oldest one still told apart
    assert advance(100, 0, 99 - WINDOW) is None  # too old: refused
    assert advance(5, 0b1, 5 + WINDOW + 1) == (5 + WINDOW + 1, 0)  # a jump clears the window


def test_requests_out_of_order_are_each_accepted_once(enrolled) -> None:
    central, station = enrolled
    body = json.dumps({"records": []}).encode()
    signed = [station.signed("POST", PATH, body) for _ in range(24)]
    # Deliver them shuffled, eight at a time, as several workers would see them.
    order = list(range(len(signed)))
    random.Random(6).shuffle(order)
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(lambda n: call(central.url, "POST", PATH, body, signed[n]).status, order))
    assert first == [200] * len(signed)
    with ThreadPoolExecutor(max_workers=8) as pool:
        again = list(pool.map(lambda n: call(central.url, "POST", PATH, body, signed[n]), order))
    assert [a.status for a in again] == [409] * len(signed)
    assert {a.json["error"] for a in again} == {"replayed"}


def test_one_request_delivered_eight_times_at_once_is_accepted_once(enrolled):
    """The compare-and-set with no row lock: copies of one captured request racing each other
    through eight server threads; exactly one gets through, the rest are replays."""
    central, station = enrolled
    body = json.dumps({"records": []}).encode()
    for _ in range(3):
        headers = station.signed("POST", PATH, body)
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda h: call(central.url, "POST", PATH, body, h), [headers] * 8))
        assert sorted(a.status for a in answers) == [200] + [409] * 7
        assert {a.json["error"] for a in answers if a.status == 409} == {"replayed"}


def test_a_counter_rolled_back_is_refused_whatever_its_timestamp(enrolled):
    """A request re-signed with an older counter (by someone holding the API key, or a station
    restored from an old backup) is refused once the window has passed it, with a fresh
    timestamp or an old one: the counter is the guard, the clock is only compared."""
    import time

    from tests.sync.conftest import resign

    central, station = enrolled
    body = json.dumps({"records": []}).encode()
    for _ in range(WINDOW + 2):
        headers = station.signed("POST", PATH, body)
        assert call(central.url, "POST", PATH, body, headers).status == 200
    newest = int(headers["X-TS-Counter"])
    now = int(time.time())
    for counter, timestamp in ((newest - WINDOW - 1, now), (newest - WINDOW - 1, now - 3600 * 24 * 400),
                               (newest, now), (newest - 1, now), (1, now)):
        answer = call(central.url, "POST", PATH, body, resign(station, "POST", PATH, body, counter, timestamp))
        assert answer.status == 409 and answer.json["error"] == "replayed", (counter, timestamp)
    # Within the window, a counter never used is still accepted once, even with an old timestamp.
    late = resign(station, "POST", PATH, body, newest + 2, now - 3600 * 24 * 400)
    assert call(central.url, "POST", PATH, body, station.signed("POST", PATH, body)).status == 200  # newest + 1
    assert call(central.url, "POST", PATH, body, late).status == 200
    assert call(central.url, "POST", PATH, body, late).status == 409
