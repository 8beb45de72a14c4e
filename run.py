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

    from flask_migrate import upgrade
    from waitress import serve

    from app import create_app
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

    app = create_app(config)
    with app.app_context():
        upgrade()

    from app.services import housekeeping
    from app.services.sync.client import background as background_sync

    # Every 30 s, logged in or not: sweep dead sessions, shred records past retention.
    housekeeping.start(app)
    # Station with sync_interval_seconds > 0: sync in the background (never started by create_app).
    background_sync.start(app)

    if not is_loopback(args.host):
        print("WARNING: listening on the local network. Phones and other computers on this "
              "network can reach the login page. Use only on a network you trust.",
              file=sys.stderr)
    print(f"tip-screen {config.role} running at http://{args.host}:{args.port}/ "
          "(Ctrl+C to stop)", flush=True)
    serve(app, sockets=[sock], threads=args.threads, ident="tip-screen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
