"""A slow, lossy link in user space: a TCP forwarder that delays, limits, stalls and cuts.

The kernel here may lack ``sch_netem``, so the link is emulated between the two TCP
connections the forwarder joins. Each direction is one shared line of ``rate_bps``: every
segment (``segment`` bytes) waits for the line to be free, takes ``size / rate`` on it, then
``delay`` more to arrive. Since TCP hands the application an ordered stream, losses and
reordering show as what they cost TCP, not as missing bytes:

- ``loss``: a segment is held back by a retransmission timeout (``rto``, by default twice
  the round trip, at least 200 ms as Linux's minimum RTO), and everything after it on that
  connection waits too (head-of-line blocking);
- ``reorder``: a segment arrives ``reorder_delay`` late (the receiver waits for it before
  delivering the ones that overtook it);
- ``cut``: a connection is reset once it has carried some bytes (``cut_connections`` and
  ``cut_after_bytes``), or every live one at once (:meth:`LinkEmulator.cut_all`).

A sender must feel the slow line as it would feel a real one: its writes block once the
line's buffer is full, rather than vanishing at once into this machine's fast sockets. So
the forwarder's sockets get small kernel buffers (``socket_buffer``, set before the
handshake so the TCP window stays small) and a small queue per connection and direction
(``queue_segments``), like a modem's buffer.
"""

from __future__ import annotations

import queue
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

UP = "up"  # client to server
DOWN = "down"


@dataclass(frozen=True)
class Profile:
    name: str
    rate_bps: int  # bits per second, each direction
    delay: float  # one way, seconds
    loss: float = 0.0  # probability per segment of a retransmission stall
    reorder: float = 0.0  # probability per segment of arriving late
    reorder_delay: float = 0.03
    segment: int = 1400
    rto: float | None = None

    @property
    def bytes_per_second(self) -> float:
        return self.rate_bps / 8

    @property
    def stall(self) -> float:
        return self.rto if self.rto is not None else max(0.2, 4 * self.delay)


TWO_G = Profile("2G", 50_000, 0.300, loss=0.05)
LOSSY_2M = Profile("lossy 2 Mbit/s", 2_000_000, 0.040, loss=0.02, reorder=0.05)


class _Line:
    """One direction of the link, shared by every connection: when it is free again."""

    def __init__(self, profile: Profile, rng: random.Random) -> None:
        self.profile = profile
        self.rng = rng
        self.lock = threading.Lock()
        self.free_at = 0.0
        self.bytes = 0
        self.stalls = 0
        self.late = 0

    def schedule(self, size: int, not_before: float) -> float:
        """When a segment of ``size`` bytes handed over now arrives at the far end."""
        p = self.profile
        with self.lock:
            start = max(time.monotonic(), self.free_at)
            self.free_at = start + size / p.bytes_per_second
            arrive = self.free_at + p.delay
            if self.rng.random() < p.loss:
                arrive += p.stall
                self.stalls += 1
            if self.rng.random() < p.reorder:
                arrive += p.reorder_delay
                self.late += 1
            self.bytes += size
        return max(arrive, not_before)  # in order, as TCP delivers it


@dataclass
class LinkEmulator:
    upstream: tuple[str, int]
    profile: Profile
    listen_host: str = "127.0.0.1"
    seed: int = 0
    cut_connections: frozenset[int] = frozenset()  # 1-based connection numbers to reset
    cut_after_bytes: int = 4096  # ... once that many bytes went up on them
    queue_segments: int = 8
    socket_buffer: int = 16 * 1024
    port: int = 0
    connections: int = 0
    cuts: list[int] = field(default_factory=list)
    _lines: dict[str, _Line] = field(default_factory=dict)
    _live: list[_Flow] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None
    _closing: bool = False

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)  # noqa: S311 - test randomness, reproducible
        self._lines = {UP: _Line(self.profile, rng), DOWN: _Line(self.profile, rng)}

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.port}"

    def bytes(self, direction: str) -> int:
        return self._lines[direction].bytes

    def stalls(self) -> int:
        return sum(line.stalls for line in self._lines.values())

    def late(self) -> int:
        return sum(line.late for line in self._lines.values())

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._small_buffers(listener)  # accepted connections inherit them
        listener.bind((self.listen_host, 0))
        listener.listen(64)
        self._listener = listener
        self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, name="link-emulator", daemon=True).start()

    def stop(self) -> None:
        self._closing = True
        if self._listener is not None:
            with suppress(OSError):
                self._listener.close()
        self.cut_all()

    def _small_buffers(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.socket_buffer)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.socket_buffer)

    def cut_all(self) -> None:
        with self._lock:
            flows, self._live = self._live, []
        for flow in flows:
            flow.reset()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._small_buffers(server)
            try:
                server.settimeout(10)
                server.connect(self.upstream)
            except OSError:
                client.close()
                server.close()
                continue
            server.settimeout(None)
            with self._lock:
                self.connections += 1
                number = self.connections
            cut_at = self.cut_after_bytes if number in self.cut_connections else None
            flow = _Flow(self, number, client, server, cut_at)
            with self._lock:
                self._live.append(flow)
            flow.start()


class _Flow:
    """One client connection and its upstream one, each direction read by one thread and
    written, at the scheduled times, by another."""

    def __init__(self, link: LinkEmulator, number: int, client: socket.socket, server: socket.socket,
                 cut_at: int | None) -> None:
        self.link = link
        self.number = number
        self.client = client
        self.server = server
        self.cut_at = cut_at
        self.up_bytes = 0
        self.closed = threading.Event()
        self._ends = 0  # directions finished; at two both sockets are closed
        self._ends_lock = threading.Lock()

    def start(self) -> None:
        for direction, src, dst in ((UP, self.client, self.server), (DOWN, self.server, self.client)):
            segments: queue.Queue[tuple[float, bytes]] = queue.Queue(self.link.queue_segments)
            threading.Thread(target=self._read, args=(direction, src, segments), daemon=True).start()
            threading.Thread(target=self._write, args=(dst, segments), daemon=True).start()

    def reset(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for sock in (self.client, self.server):
            with suppress(OSError):  # SO_LINGER 0: the close sends a reset
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()

    def _read(self, direction: str, src: socket.socket, segments: queue.Queue[tuple[float, bytes]]) -> None:
        line = self.link._lines[direction]
        last = 0.0
        try:
            while not self.closed.is_set():
                data = src.recv(self.link.profile.segment)
                if not data:
                    break
                if direction == UP and self.cut_at is not None:
                    self.up_bytes += len(data)
                    if self.up_bytes >= self.cut_at:
                        with self.link._lock:
                            self.link.cuts.append(self.number)
                        self.reset()
                        return
                last = line.schedule(len(data), last)
                segments.put((last, data))
        except OSError:
            pass
        segments.put((last, b""))  # the end of this direction, after its last segment

    def _write(self, dst: socket.socket, segments: queue.Queue[tuple[float, bytes]]) -> None:
        try:
            while True:
                at, data = segments.get()
                wait = at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)  # the segment is still on the line
                if self.closed.is_set():
                    return
                if not data:
                    with suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    self._ended()
                    return
                dst.sendall(data)
        except OSError:
            self.reset()

    def _ended(self) -> None:
        with self._ends_lock:
            self._ends += 1
            both = self._ends == 2
        if both:
            self.closed.set()
            for sock in (self.client, self.server):
                with suppress(OSError):
                    sock.close()
            with self.link._lock, suppress(ValueError):
                self.link._live.remove(self)


@contextmanager
def link_emulator(upstream: tuple[str, int], profile: Profile, **options: object) -> Iterator[LinkEmulator]:
    link = LinkEmulator(upstream, profile, **options)  # type: ignore[arg-type]
    link.start()
    try:
        yield link
    finally:
        link.stop()
