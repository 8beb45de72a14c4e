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

    def add(self, up: int = 0, down: int = 0) -> None:
        with self.lock:
            self.up += up
            self.down += down

    def reset(self) -> None:
        with self.lock:
            self.up = self.down = self.connections = 0


def _pipe(source: socket.socket, sink: socket.socket, counts: Counts, upward: bool) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            # Counted before it is passed on: once the client has read an answer, its bytes are in.
            if upward:
                counts.add(up=len(data))
            else:
                counts.add(down=len(data))
            sink.sendall(data)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)  # pass the end of the stream on


@contextmanager
def counting_proxy(upstream: str) -> Iterator[tuple[str, Counts]]:
    """(URL of the forwarder, its live counts) for an upstream ``http://127.0.0.1:PORT``."""
    target = urlsplit(upstream)
    address = (target.hostname or "127.0.0.1", target.port or 80)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)  # so the accept loop notices the end promptly
    counts = Counts()
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
