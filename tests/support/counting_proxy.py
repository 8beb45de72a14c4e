"""A TCP forwarder on 127.0.0.1 that counts the bytes each way: what a sync really costs on
the wire (request line, headers and bodies; TLS records too when the client speaks TLS)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Counts:
    up: int = 0  # client to server
    down: int = 0  # server to client
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    keep: bool = False  # also keep the bytes themselves (canary tests read what crossed the wire)
    sent: bytearray = field(default_factory=bytearray, repr=False)  # client to server, when kept
    answered: bytearray = field(default_factory=bytearray, repr=False)  # server to client, when kept

    def add(self, up: int = 0, down: int = 0, data: bytes = b"") -> None:
        with self.lock:
            self.up += up
            self.down += down
            if self.keep:
                (self.sent if up else self.answered).extend(data)

    def reset(self) -> None:
        with self.lock:
            self.up = self.down = self.connections = 0
            self.sent.clear()
            self.answered.clear()


def _pipe(source: socket.socket, sink: socket.socket, counts: Counts, upward: bool) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            # Counted before it is passed on: once the client has read an answer, its bytes are in.
            if upward:
                counts.add(up=len(data), data=data)
            else:
                counts.add(down=len(data), data=data)
            sink.sendall(data)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)  # pass the end of the stream on


@contextmanager
def counting_proxy(upstream: str, *, keep: bool = False) -> Iterator[tuple[str, Counts]]:
    """(URL of the forwarder, its live counts) for an upstream ``http://127.0.0.1:PORT``; with
    ``keep``, the counts hold the bytes too."""
    target = urlsplit(upstream)
    address = (target.hostname or "127.0.0.1", target.port or 80)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)  # so the accept loop notices the end promptly
    counts = Counts(keep=keep)
    stopping = threading.Event()
    open_sockets: list[socket.socket] = []

    def serve(client: socket.socket) -> None:
        server = socket.create_connection(address, timeout=10)
        open_sockets.extend((client, server))
        down = threading.Thread(target=_pipe, args=(server, client, counts, False), daemon=True)
        down.start()
        _pipe(client, server, counts, True)
        down.join(timeout=10)
        for sock in (client, server):
            with suppress(OSError):
                sock.close()

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(10)
            with counts.lock:
                counts.connections += 1
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, name="counting-proxy", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", counts
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
        for sock in open_sockets:
            with suppress(OSError):
                sock.close()
