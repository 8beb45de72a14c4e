"""A TCP proxy on 127.0.0.1 that cuts connections at random byte offsets.

Each accepted connection is piped to the upstream server by two threads. For a
faulty connection the proxy picks a direction (the request going up, or the
response coming down) and a fraction; it reads that message's head, learns its
total length from Content-Length, forwards exactly ``fraction * total`` bytes
and then cuts both sides (half the time with a reset, half with a plain close).
So every planned cut really happens inside the message, at any byte from the
first to the last-but-one, and it is counted.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

UP = "request"
DOWN = "response"


@dataclass
class Cut:
    direction: str
    offset: int
    total: int
    first_line: str


@dataclass
class FaultyProxy:
    upstream: tuple[str, int]
    fault_rate: float = 0.8
    max_cuts: int | None = None  # after this many cuts the proxy passes everything through
    seed: int = 0
    port: int = 0
    cuts: list[Cut] = field(default_factory=list)
    connections: int = 0
    _rng: random.Random = field(init=False)
    _reset_rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None
    _closing: bool = False

    def __post_init__(self) -> None:
        # Plans are drawn in accept order only, so a seed replays the same run.
        self._rng = random.Random(self.seed)  # noqa: S311 - test randomness, reproducible
        self._reset_rng = random.Random(self.seed + 1)  # noqa: S311

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cuts_in(self, first_line_prefix: str) -> list[Cut]:
        with self._lock:
            return [c for c in self.cuts if c.first_line.startswith(first_line_prefix)]

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self._listener = listener
        self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, name="faulty-proxy", daemon=True).start()

    def stop(self) -> None:
        self._closing = True
        if self._listener is not None:
            with suppress(OSError):
                self._listener.close()

    # -- plumbing -------------------------------------------------------------------------

    def _plan(self) -> tuple[str, float] | None:
        with self._lock:
            self.connections += 1
            if self.max_cuts is not None and len(self.cuts) >= self.max_cuts:
                return None
            if self._rng.random() >= self.fault_rate:
                return None
            return self._rng.choice((UP, DOWN)), self._rng.random()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            plan = self._plan()
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            conn = _Connection(self, client, server, plan)
            threading.Thread(target=conn.pump, args=(UP,), daemon=True).start()
            threading.Thread(target=conn.pump, args=(DOWN,), daemon=True).start()


class _Connection:
    def __init__(self, proxy: FaultyProxy, client: socket.socket, server: socket.socket,
                 plan: tuple[str, float] | None) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.plan = plan
        self.first_line = ""
        self.cut_done = threading.Event()

    def _abort(self, cut: Cut) -> None:
        with self.proxy._lock:
            self.proxy.cuts.append(cut)
        self.cut_done.set()
        reset = self.proxy._reset_rng.random() < 0.5
        for sock in (self.client, self.server):
            # shutdown() wakes the other pump blocked in recv() (close() alone would not, and
            # the socket would stay open); with SO_LINGER 0 the final close sends a reset.
            with suppress(OSError):
                if reset:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.shutdown(socket.SHUT_RD)
                else:
                    sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()

    def pump(self, direction: str) -> None:
        src, dst = (self.client, self.server) if direction == UP else (self.server, self.client)
        cut_here = self.plan is not None and self.plan[0] == direction
        try:
            head, rest_total = _read_head(src)
            if direction == UP and head:
                self.first_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            if not cut_here:
                dst.sendall(head)
                _copy(src, dst)
                return
            assert self.plan is not None
            total = len(head) + rest_total
            if total == 0:
                return
            offset = int(self.plan[1] * total)  # 0 <= offset < total
            if offset <= len(head):
                dst.sendall(head[:offset])
            else:
                dst.sendall(head)
                _copy(src, dst, offset - len(head))
            self._abort(Cut(direction, offset, total, self.first_line))
        except OSError:
            pass
        finally:
            if not self.cut_done.is_set():
                with suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                if direction == DOWN:
                    for sock in (self.client, self.server):
                        with suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                        with suppress(OSError):
                            sock.close()


def _read_head(sock: socket.socket) -> tuple[bytes, int]:
    """Read up to the end of the HTTP head (and maybe some body); returns it and the bytes left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, 0
        data += chunk
    head, _, body_start = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    return data, max(0, length - len(body_start))


def _copy(src: socket.socket, dst: socket.socket, limit: int | None = None) -> None:
    left = limit
    while left is None or left > 0:
        chunk = src.recv(65536 if left is None else min(65536, left))
        if not chunk:
            return
        dst.sendall(chunk)
        if left is not None:
            left -= len(chunk)


@contextmanager
def faulty_proxy(upstream_url: str, **options: object) -> Iterator[FaultyProxy]:
    host, _, port = upstream_url.removeprefix("http://").rstrip("/").partition(":")
    proxy = FaultyProxy((host, int(port)), **options)  # type: ignore[arg-type]
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
