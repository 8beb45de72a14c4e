"""Start tip-screen.

    python run.py                      station on http://127.0.0.1:5000/
    python run.py --port 8080          another port
    python run.py --host 0.0.0.0       also serve phones on the local network (opt-in)
    python run.py --role central       central server role (trial; use gunicorn in production)

The first run creates instance/config.toml and the database, then the browser
shows the setup page (station name, first administrator).
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Start tip-screen. Role 'station' (default): the laptop app for screenings, "
        "SQLite in instance/. Role 'central': the server that receives every station's records "
        "(PostgreSQL through DATABASE_URL; SQLite for a trial).",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; "
                        "0.0.0.0 also serves phones on the local network)")
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

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if serve.can_replace():
        # A restarted station may bind while old connections linger in TIME_WAIT; a running one
        # still cannot be bound twice. (On Windows this option would let two servers share a port.)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            print(f"tip-screen: port {args.port} on {args.host} is already in use. Is tip-screen "
                  "already running? Open that one, or choose another with --port.", file=sys.stderr)
        else:
            print(f"tip-screen: cannot listen on {args.host}:{args.port}: {exc.strerror}",
                  file=sys.stderr)
        return 1

    if not is_loopback(args.host):
        print("WARNING: listening on the local network. Phones and other computers on this "
              "network can reach the login page. Use only on a network you trust.",
              file=sys.stderr)
    announce = (f"tip-screen {config.role} running at http://{args.host}:{args.port}/ "
                "(Ctrl+C to stop)")
    # POSIX: this process only holds the socket; a serving child (replaced by a fresh one each
    # time every key is locked) does the rest. Windows: one process. See app/serve.py.
    if serve.can_replace():
        return serve.supervise(sock, threads=args.threads, announce=announce)
    return serve.serve_here(sock, threads=args.threads, announce=announce)


if __name__ == "__main__":
    sys.exit(main())
