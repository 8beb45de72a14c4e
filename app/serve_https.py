"""The station over HTTPS for phones on the local network, with cheroot.

waitress, which serves the station on 127.0.0.1, has no TLS. cheroot is pure Python, runs
on Windows too, and has a TLS adapter over the standard ``ssl`` module, so ``run.py
--host`` serves with it, on the socket run.py holds (cheroot never binds: the serving
child is still replaced once every key is locked, as in app/serve.py).

One port, two ways in, told apart by the address a connection came to. To a loopback
address (this computer's own browser at http://127.0.0.1:PORT/ while serving 0.0.0.0;
no other machine can send there) it is plain HTTP, as without --host. To the network
address it is TLS; a connection there whose first byte is not a TLS handshake record
(0x16) is plain HTTP and is never handed to the app: it gets a redirect to the same
address over https, and what it sent is dropped. (The peek waits no longer than the TLS
handshake that cheroot would otherwise run at that point; loopback connections are not
peeked at, so a browser's idle spare connection never holds up the others.)
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import connections, errors, wsgi
from cheroot import server as cheroot_server  # its shutdown sentinel
from cheroot.ssl.builtin import BuiltinSSLAdapter

PLAIN = "tip.plain"  # WSGI environ key: set on a plain-HTTP connection, "loopback" or "lan"
TLS_HANDSHAKE = b"\x16"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # 127.0.0.1 reaching a dual-stack "::" socket
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


class LoopbackPlainAdapter(BuiltinSSLAdapter):
    """Plain HTTP on a loopback address, TLS on every other."""

    def wrap(self, sock: socket.socket) -> tuple[Any, dict[str, str]]:
        if _loopback(sock.getsockname()[0]):
            return sock, {PLAIN: "loopback"}
        try:
            first = sock.recv(1, socket.MSG_PEEK)  # bounded by the server's timeout
        except OSError as exc:
            raise errors.FatalSSLAlert(str(exc)) from exc
        if not first:
            raise errors.FatalSSLAlert("closed before a request")
        if first == TLS_HANDSHAKE:
            return super().wrap(sock)
        return sock, {PLAIN: "lan"}


def by_connection(app: WsgiApp) -> WsgiApp:
    """Tell the app how the request came (so cookies are Secure over TLS), and turn plain
    HTTP to the network address away before the app sees a byte of it."""

    def wsgi_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        plain = environ.get(PLAIN)
        if plain is None:
            environ["wsgi.url_scheme"] = "https"
            return app(environ, start_response)
        if plain == "loopback":
            environ["wsgi.url_scheme"] = "http"
            return app(environ, start_response)
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        path = environ.get("PATH_INFO", "/")
        # GET keeps its address; anything else (a form sent in clear) lands on the page anew.
        status = "301 Moved Permanently" if environ.get("REQUEST_METHOD") in ("GET", "HEAD") \
            else "303 See Other"
        start_response(status, [("Location", f"https://{host}{path}"), ("Content-Length", "0"),
                                ("Connection", "close"), ("Cache-Control", "no-store")])
        return [b""]

    return wsgi_app


class Server(wsgi.Server):
    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        # Handshakes refused by a phone that has not yet accepted the certificate, clients
        # gone mid-request: not worth a line each. Errors still reach stderr (no traceback:
        # a request's data must never be written to a log).
        if level >= logging.ERROR:
            print(f"tip-screen: {msg}", file=sys.stderr, flush=True)


# cheroot's own start-up and shutdown are rebuilt below around internals it does not type
# (``_connections`` and friends): ``Any`` for the server object (cheroot is pinned <12).
def make_server(app: WsgiApp, sock: socket.socket, *, threads: int, cert_path: str,
                key_path: str) -> Any:
    server: Any = Server(sock.getsockname()[:2], by_connection(app), numthreads=max(1, threads),
                    server_name="tip-screen")
    server.ssl_adapter = LoopbackPlainAdapter(cert_path, key_path)
    # cheroot's prepare() without its bind: the socket is the one run.py holds.
    server._interrupt = None
    server.software = "tip-screen"
    server.socket = sock
    sock.settimeout(1)
    server._connections = connections.ConnectionManager(server)
    server.requests.start()
    server.ready = True
    server._start_time = time.time()
    return server


def serve(server: Any) -> threading.Thread:
    """Run the accept and keep-alive loop in a thread; returns it."""
    thread = threading.Thread(target=server.serve, name="tip-https", daemon=True)
    thread.start()
    return thread


def _busy(server: Any) -> bool:
    pool = server.requests
    return bool(pool.qsize) or pool.idle < len(pool._threads)


def drain(server: Any, thread: threading.Thread, deadline_seconds: float) -> None:
    """Accept no more (new connections wait in the backlog); finish the requests in hand;
    then close every connection. Bounded by ``deadline_seconds``."""
    server.ready = False  # a connection handed back after its request is closed, not kept
    server._connections.stop()
    thread.join(timeout=5)
    deadline = time.monotonic() + deadline_seconds
    while _busy(server) and time.monotonic() < deadline:
        time.sleep(0.02)
    server._connections.close()  # the idle keep-alive connections; the listening socket stays


def resume(server: Any) -> threading.Thread:
    """Someone logged in while the others were locking: serve on, in the same process."""
    server._connections = connections.ConnectionManager(server)
    server.ready = True
    return serve(server)


def finish(server: Any) -> None:
    stop: Any = cheroot_server
    server._unservicable_conns.put(stop._STOPPING_FOR_INTERRUPT)
    server.requests.stop(5)
