"""How much one sync request carries, and how long it may take, from the link it travels on.

A border post may sync over 2G (50 kbit/s, 300 ms, lossy) or over an office line. One fixed
request size and one fixed timeout cannot suit both: a 3 MB upload never finishes inside
20 s at 2G, and every retry starts from zero. So the client measures the throughput its own
requests get and:

- sizes each request to take about ``TARGET_SECONDS`` at that rate (starting small, at most
  doubling after each answer, shrinking on a timeout, which bounds the rate too);
- gives each exchange a budget that follows its bytes: ``FLOOR_SECONDS`` (handshake,
  central's work, round trips) plus ``SLACK`` times what the bytes need at the measured rate,
  at most ``CEILING_SECONDS``; every answer byte that arrives earns its own time.

Plain arithmetic over plain numbers, no I/O: one :class:`Link` per sync, shared by the
worker threads (hence the lock). Nothing is kept between syncs (docs/sync.md says why).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

START_BYTES = 16 * 1024  # the first request: about one record, fine even at 2G
MIN_BYTES = 4 * 1024
MAX_BYTES = 3 * 1024 * 1024  # under central's 4 MB request limit
TARGET_SECONDS = 8.0  # what one request should take at the measured rate
ASSUMED_RATE = 2048.0  # bytes/s before anything was measured: slower than 2G
SLACK = 3.0  # a request may take this many times what its bytes need
FLOOR_SECONDS = 20.0  # handshakes, central's work, lost segments; never less than the old fixed timeout
CEILING_SECONDS = 600.0
SMOOTHING = 0.5  # weight of the newest measurement


@dataclass
class Link:
    rate: float = 0.0  # bytes/s the requests of this sync got (0: nothing measured yet)
    size: int = START_BYTES  # bytes the next request may carry
    timeouts: int = 0
    largest: int = 0  # bytes of the largest exchange that finished, for the log
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _rate(self) -> float:
        return self.rate or ASSUMED_RATE

    def budget(self, nbytes: int) -> float:
        """Seconds an exchange moving ``nbytes`` may take, handshakes included."""
        with self._lock:
            need = nbytes / self._rate()
        return min(CEILING_SECONDS, FLOOR_SECONDS + SLACK * need)

    def earned(self, nbytes: int) -> float:
        """Seconds more for ``nbytes`` that just arrived (an answer longer than expected is
        fine as long as its bytes keep coming)."""
        with self._lock:
            return SLACK * nbytes / self._rate()

    def finished(self, nbytes: int, seconds: float) -> None:
        """An exchange moved ``nbytes`` in ``seconds``: measure, then grow (at most double)
        or shrink toward what takes TARGET_SECONDS at that rate."""
        with self._lock:
            self.largest = max(self.largest, nbytes)
            sample = nbytes / max(seconds, 1e-3)
            self.rate = sample if not self.rate else SMOOTHING * sample + (1 - SMOOTHING) * self.rate
            want = int(self.rate * TARGET_SECONDS)
            self.size = max(MIN_BYTES, min(want, 2 * self.size, MAX_BYTES))

    def timed_out(self, nbytes: int = 0, seconds: float = 0.0) -> None:
        """An exchange of ``nbytes`` ran out of its budget after ``seconds``: the link is
        slower than measured, at most ``nbytes / seconds`` (it did not get them through)."""
        with self._lock:
            self.timeouts += 1
            rate = self.rate / 2 if self.rate else ASSUMED_RATE / 2
            if nbytes and seconds > 0:
                rate = min(rate, nbytes / seconds)
            self.rate = max(rate, 1.0)
            self.size = max(MIN_BYTES, min(self.size // 4, int(self.rate * TARGET_SECONDS)))

    def request_bytes(self) -> int:
        with self._lock:
            return self.size
