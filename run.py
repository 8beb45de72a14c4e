"""Start tip-screen.

    python run.py                      station on http://127.0.0.1:5000/
    python run.py --port 8080          another port
    python run.py --host 0.0.0.0       also serve phones on the local network (opt-in, HTTPS)
    python run.py --role central       central server role (trial; use gunicorn in production)

The first run creates instance/config.toml and the database, then the browser
shows the setup page (station name, first administrator).
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
import time


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Start tip-screen. Role 'station' (default): the laptop app for screenings, "
        "SQLite in instance/. Role 'central': the server that receives every station's records "
        "(PostgreSQL through DATABASE_URL; SQLite for a trial).",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only, plain "
                        "HTTP; 0.0.0.0 also serves phones on the local network, over HTTPS with a "
                        "certificate made in instance/ on the first such start)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--role", choices=("station", "central"),
                        help="set the role in instance/config.toml before starting")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)

    from app import serve
    from app.config import ConfigError, default_instance_path, is_loopback, load_config, set_role

    try:
        config = load_config(default_instance_path())
        if args.role and args.role != config.role:
            set_role(config.instance_path, args.role)
            config = config.with_overrides(role=args.role)
    except ConfigError as exc:
        print(f"tip-screen: {exc}", file=sys.stderr)
        return 2

    sock = _listen(args.host, args.port)
    if sock is None:
        return 1

    tls: tuple[str, str] | None = None
    if is_loopback(args.host):
        announce = (f"tip-screen {config.role} running at http://{args.host}:{args.port}/ "
                    "(Ctrl+C to stop)")
    else:
        from app.services import lan

        # The local network gets HTTPS only: a certificate made on the first such start.
        cert = lan.ensure_certificate(config.instance_path, args.host)
        tls = (str(cert.cert_path), str(cert.key_path))
        print("WARNING: listening on the local network. Phones and other computers on this "
              "network can reach the login page. Use only on a network you trust.",
              file=sys.stderr)
        where = ", ".join(lan.url(a, args.port) for a in lan.lan_addresses(args.host))
        local = (f" and http://127.0.0.1:{args.port}/ on this computer"
                 if args.host in lan.WILDCARDS else "")
        announce = (f"tip-screen {config.role} running at "
                    f"{where or f'https://(this computer network address):{args.port}/'}{local} "
                    f"(Ctrl+C to stop)\ncertificate SHA-256 fingerprint: {cert.fingerprint}")
    # POSIX: this process only holds the socket; a serving child (replaced by a fresh one each
    # time every key is locked) does the rest. Windows: one process. See app/serve.py.
    if serve.can_replace():
        return serve.supervise(sock, threads=args.threads, announce=announce, tls=tls)
    return serve.serve_here(sock, threads=args.threads, announce=announce, tls=tls)


BIND_RETRY_SECONDS = 3.0  # a station just killed: its serving child lets go within moments


def _listen(host: str, port: int) -> socket.socket | None:
    """The bound listening socket, or None after saying why not (who holds the port)."""
    from app import listening, serve

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + BIND_RETRY_SECONDS
    while True:
        sock = socket.socket(family, socket.SOCK_STREAM)
        if serve.can_replace():
            # Restart at once: connections of the last run linger in TIME_WAIT, which this
            # allows; a socket still listening can never be bound twice on POSIX. Not
            # SO_REUSEPORT, which would let two stations share the port.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        elif hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            # Windows: no other program may bind the station's port while it runs.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        try:
            sock.bind((host, port))
            sock.listen(128)
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                print(f"tip-screen: cannot listen on {host}:{port}: {exc.strerror}",
                      file=sys.stderr)
                return None
            if time.monotonic() < deadline:
                time.sleep(0.1)  # the previous station may be letting go of it right now
                continue
            owner = listening.who_listens(port)
            print(f"tip-screen: port {port} on {host} is already in use by "
                  f"{owner or 'another program'}. Stop it, or choose another port with --port.",
                  file=sys.stderr)
            return None


if __name__ == "__main__":
    sys.exit(main())
