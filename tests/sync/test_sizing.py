"""Request sizes and time budgets follow the throughput the client measures (pure arithmetic)."""

from __future__ import annotations

import threading

import pytest

from app.services.sync.client import sizing
from app.services.sync.client.sizing import Link

TWO_G = 50_000 / 8  # 50 kbit/s in bytes per second


def _run(link: Link, rate: float, latency: float, rounds: int) -> list[int]:
    """Requests of the size the link asks for, over a line of ``rate`` bytes/s and
    ``latency`` seconds of round trips per request; the sizes asked for, in order."""
    sizes = []
    for _ in range(rounds):
        size = link.request_bytes()
        sizes.append(size)
        link.finished(size, latency + size / rate)
    return sizes


def test_it_starts_small_and_at_most_doubles_per_answer():
    link = Link()
    assert link.request_bytes() == sizing.START_BYTES
    sizes = _run(link, rate=100e6, latency=0.001, rounds=12)
    assert sizes[0] == sizing.START_BYTES
    assert all(b <= 2 * a for a, b in zip(sizes, sizes[1:], strict=False))
    assert sizes[1] == 2 * sizes[0]  # a fast line: it grows every time
    assert sizes[-1] == sizing.MAX_BYTES  # and stops under central's request limit


def test_on_2g_requests_settle_where_they_take_about_the_target_time():
    link = Link()
    sizes = _run(link, rate=TWO_G, latency=1.8, rounds=20)  # 3 round trips of 600 ms
    settled = sizes[-1]
    seconds = 1.8 + settled / TWO_G
    assert seconds == pytest.approx(sizing.TARGET_SECONDS, rel=0.1)
    assert 30_000 < settled < 45_000  # a few records per request, not 3 MB
    # Its budget is well above what it takes, and far below what 3 MB would need.
    assert link.budget(settled) > 2 * seconds
    assert link.budget(settled) < sizing.MAX_BYTES / TWO_G


def test_a_slower_line_shrinks_the_requests():
    link = Link()
    _run(link, rate=1e6, latency=0.05, rounds=10)
    fast = link.request_bytes()
    _run(link, rate=TWO_G, latency=1.8, rounds=10)
    assert link.request_bytes() < fast / 10


def test_a_timeout_shrinks_size_and_rate():
    link = Link()
    _run(link, rate=1e6, latency=0.05, rounds=10)
    size, rate = link.request_bytes(), link.rate
    link.timed_out()
    assert link.request_bytes() == size // 4 and link.rate == rate / 2 and link.timeouts == 1
    for _ in range(20):
        link.timed_out()
    assert link.request_bytes() == sizing.MIN_BYTES  # never nothing
    assert link.rate > 0


def test_a_timeout_is_a_measure_too():
    """What did not get through in time bounds the rate at once: a link believed 1,000
    times too fast is right after one timeout, not after ten halvings."""
    link = Link(rate=1e7)
    link.timed_out(32_000, 3.2)
    assert link.rate == pytest.approx(10_000)
    assert link.request_bytes() == max(sizing.MIN_BYTES, sizing.START_BYTES // 4)
    assert link.budget(6_000) == pytest.approx(sizing.FLOOR_SECONDS + sizing.SLACK * 0.6)


def test_a_timeout_before_any_measure_assumes_a_slower_line():
    link = Link()
    before = link.budget(100_000)
    link.timed_out()
    assert link.budget(100_000) > before


def test_budgets_follow_the_bytes_with_a_floor_and_a_ceiling():
    link = Link()
    link.finished(10_000, 1.0)  # 10 kB/s
    assert link.budget(0) == sizing.FLOOR_SECONDS
    assert link.budget(100_000) == pytest.approx(sizing.FLOOR_SECONDS + sizing.SLACK * 10)
    assert link.budget(10**12) == sizing.CEILING_SECONDS
    assert link.earned(20_000) == pytest.approx(sizing.SLACK * 2)
    # Before any measure the assumed rate (slower than 2G) gives the budget.
    assert Link().budget(20_480) == pytest.approx(sizing.FLOOR_SECONDS + sizing.SLACK * 10)


def test_one_link_is_shared_by_the_worker_threads():
    link = Link()

    def work() -> None:
        for _ in range(2000):
            link.finished(link.request_bytes(), 0.01)
            link.budget(1000)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sizing.MIN_BYTES <= link.request_bytes() <= sizing.MAX_BYTES
