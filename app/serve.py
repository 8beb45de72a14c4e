"""The station's server process, replaced by a fresh one once every key is locked.

run.py binds the listening socket and calls :func:`supervise`. That parent
never handles a request: it starts a serving child (``python -m app.serve``)
that inherits the socket and runs waitress on it (cheroot with TLS when run.py
serves the local network: :mod:`app.serve_https`), the key sweeper and the
background sync. When the child's key ring becomes empty (lock all, the idle
timeout of the last unlocked session, its Lock or logout), the child stops
accepting, finishes the requests it has, closes its connections and exits
with :data:`REPLACE_EXIT`; the parent starts a fresh child on the same socket.
Connections that arrive meanwhile wait in the listen backlog: none is refused.
The process that held names, answers and passphrases is gone; the new one
has never seen them. A child that starts with no unlocked key and never
unlocks one is never replaced, so an idle station does not restart in a loop.

Windows has no fork and cannot hand a socket to a child this simply, so there
the station serves in this one process (:func:`serve_here`), as before: keys
are still dropped, but earlier plaintext may stay in memory until the station
is stopped. See docs/keys.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

REPLACE_EXIT = 75  # the child's "every key is locked: start a fresh one" (EX_TEMPFAIL)
DRAIN_SECONDS = 30.0  # at most this long for the requests in hand before the child exits anyway
# A connection with no request in hand is closed once it has been quiet this long.
QUIET_SECONDS = 0.5
SYNC_WAIT_SECONDS = 60.0  # and this long for a background sync round to end
FORWARDED = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


def can_replace() -> bool:
    """POSIX hands the listening socket to a child; Windows serves in one process."""
    return sys.platform != "win32"


def supervise(sock: socket.socket, *, threads: int, announce: str,
              tls: tuple[str, str] | None = None) -> int:
    """Run serving children on ``sock`` until stopped; start a fresh one each time one locks."""
    # The children read this pipe; it ends (EOF) only when this process is gone, however it died.
    parent_alive, keep_open = os.pipe()
    stopping: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: object) -> None:
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    for sig in FORWARDED:
        signal.signal(sig, forward)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    generation = 0
    code = 0
    try:
        while not stopping:
            command = [sys.executable, "-m", "app.serve", "--fd", str(sock.fileno()),
                       "--parent-fd", str(parent_alive), "--threads", str(threads)]
            if tls is not None:
                command += ["--cert", tls[0], "--key", tls[1]]
            if generation == 0:
                command += ["--announce", announce]
            # Its own session: Ctrl+C reaches this process, which forwards it exactly once.
            # No shell: this interpreter, this module, and plain arguments.
            child = subprocess.Popen(command, pass_fds=(sock.fileno(), parent_alive),  # noqa: S603
                                     env=env, start_new_session=True)
            if stopping:
                child.send_signal(stopping[0])
            code = child.wait()
            if stopping or code != REPLACE_EXIT:
                break
            generation += 1
            print("tip-screen: every session is locked; a fresh server process takes over",
                  file=sys.stderr, flush=True)
    finally:
        os.close(keep_open)
        os.close(parent_alive)
    if stopping and code < 0:
        # Stopped by a signal as before the supervisor existed: end the same way.
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    if code < 0:
        print(f"tip-screen: the server process ended (signal {-code})", file=sys.stderr, flush=True)
        return 1
    return code


def serve_here(sock: socket.socket, *, threads: int, announce: str,
               tls: tuple[str, str] | None = None) -> int:
    """One process for everything (Windows): no replacement."""
    app = _start_app(sock, tls)
    print(announce, flush=True)
    if tls is not None:
        from app import serve_https

        server = serve_https.make_server(app, sock, threads=threads, cert_path=tls[0],
                                         key_path=tls[1])
        try:
            server.serve()
        finally:
            serve_https.finish(server)
        return 0
    from waitress import serve

    serve(app, sockets=[sock], threads=threads, ident="tip-screen")
    return 0


def _start_app(sock: socket.socket | None = None, tls: tuple[str, str] | None = None) -> Flask:
    from flask_migrate import upgrade

    from app import create_app
    from app.config import default_instance_path, load_config
    from app.crypto import certificate_fingerprint
    from app.services import housekeeping, lan
    from app.services.analytics import index as analytics_index
    from app.services.sync.client import background as background_sync

    app = create_app(load_config(default_instance_path()))
    with app.app_context():
        upgrade()
    if sock is not None:
        host, port = sock.getsockname()[:2]
        fingerprint = certificate_fingerprint(Path(tls[0]).read_bytes()) if tls else None
        # The Accounts page shows phones' address and the certificate's fingerprint from this.
        app.extensions[lan.SERVING] = lan.Serving(host, port, tls is not None, fingerprint)
    # Every 30 s, logged in or not: sweep dead sessions, shred records past retention.
    housekeeping.start(app)
    # Central: the dashboard's counts, read in the background before anyone asks.
    analytics_index.preload(app)
    # Station with sync_interval_seconds > 0: sync in the background (never started by create_app).
    background_sync.start(app)
    return app


def _watch_parent(fd: int) -> None:
    def wait() -> None:
        while os.read(fd, 1):
            pass
        os._exit(1)  # the supervisor is gone (killed): so is the station

    threading.Thread(target=wait, name="tip-parent-watch", daemon=True).start()


def child_main(argv: list[str] | None = None) -> int:
    """A serving child: waitress on the inherited socket until every key is locked."""
    parser = argparse.ArgumentParser(prog="app.serve")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--parent-fd", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--announce")
    parser.add_argument("--cert", help="serve HTTPS with this certificate (PEM) ...")
    parser.add_argument("--key", help="... and this private key (PEM)")
    args = parser.parse_args(argv)
    _watch_parent(args.parent_fd)
    sock = socket.socket(fileno=args.fd)

    from waitress.server import create_server

    from app.config import ConfigError

    tls = (args.cert, args.key) if args.cert and args.key else None
    try:
        app = _start_app(sock, tls)
    except ConfigError as exc:
        print(f"tip-screen: {exc}", file=sys.stderr)
        return 2
    if tls is not None:
        return _child_https(app, sock, threads=args.threads, tls=tls, announce=args.announce)
    locked = threading.Event()
    server: Any = create_server(app, sockets=[sock], threads=max(1, args.threads),
                                ident="tip-screen")

    def on_locked() -> None:
        locked.set()
        server.pull_trigger()  # wake the main loop now rather than at its next timeout

    keys = app.extensions["tip_keys"]
    keys.when_emptied(on_locked)
    if args.announce:
        print(args.announce, flush=True)
    try:
        while True:
            _loop_once(server)
            if locked.is_set():
                _drain(server)
                if len(keys) == 0:
                    break
                # Someone logged in while the others were locking: serve on, replace later.
                locked.clear()
                server.accepting = True
    except KeyboardInterrupt:
        server.task_dispatcher.shutdown()
        return 0
    server.task_dispatcher.shutdown()
    _stop_background_sync(app)
    return REPLACE_EXIT


def _child_https(app: Flask, sock: socket.socket, *, threads: int, tls: tuple[str, str],
                 announce: str | None) -> int:
    """The same life as the waitress child below, with cheroot serving HTTPS."""
    from app import serve_https

    server = serve_https.make_server(app, sock, threads=threads, cert_path=tls[0],
                                     key_path=tls[1])
    locked = threading.Event()
    keys = app.extensions["tip_keys"]
    keys.when_emptied(locked.set)
    thread = serve_https.serve(server)
    if announce:
        print(announce, flush=True)
    try:
        while True:
            while not locked.wait(timeout=1.0):
                if not thread.is_alive():
                    serve_https.finish(server)
                    return 1
            serve_https.drain(server, thread, DRAIN_SECONDS)
            if len(keys) == 0:
                break
            locked.clear()  # someone logged in while the others were locking: serve on
            thread = serve_https.resume(server)
    except KeyboardInterrupt:
        serve_https.finish(server)
        return 0
    serve_https.finish(server)
    _stop_background_sync(app)
    return REPLACE_EXIT


def _loop_once(server: Any, timeout: float | None = None) -> None:
    from waitress import wasyncore

    adj = server.adj
    wasyncore.loop(timeout=adj.asyncore_loop_timeout if timeout is None else timeout,
                   map=server._map, use_poll=adj.asyncore_use_poll, count=1)


def _drain(server: Any) -> None:
    """Accept no more; finish the requests in hand; close every connection (bounded)."""
    server.accepting = False  # new connections wait in the backlog for the next process
    deadline = time.monotonic() + DRAIN_SECONDS
    while server.active_channels and time.monotonic() < deadline:
        quiet_since = time.time() - QUIET_SECONDS
        for channel in list(server.active_channels.values()):
            with channel.requests_lock:
                # Nothing running, nothing half-received, nothing left to send, and quiet for a
                # moment (a connection accepted just now may still be bringing its request).
                if (not channel.requests and channel.request is None
                        and not channel.total_outbufs_len and channel.last_activity < quiet_since):
                    channel.will_close = True
        _loop_once(server, timeout=0.05)
    for channel in list(server.active_channels.values()):
        channel.handle_close()


def _stop_background_sync(app: Flask) -> None:
    from app.services.sync.client import background as background_sync

    worker = app.extensions.get(background_sync.EXTENSION)
    if worker is not None:
        worker.stop()
        worker.join(timeout=SYNC_WAIT_SECONDS)


if __name__ == "__main__":
    sys.exit(child_main())
