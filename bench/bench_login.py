"""Login benchmark: the login path on this machine with the production key derivation.

Run from the repository root:  .venv/bin/python bench/bench_login.py [--repeat N]

A fresh station (real commands, PRODUCTION_KDF: Argon2id 64 MiB x 14 passes x 2 lanes)
is served by run.py on 127.0.0.1. Measured, in the same run:

- one Argon2id derivation (``derive_key``), in this process;
- what a login cost before it derived once: the login hash check plus the slot opening
  (``verify_passphrase`` + ``open_slot``), in this process;
- ``POST /login`` over real HTTP to run.py, for the administrator and an officer (the
  whole login: throttle check, the slot opened once, session, key kept in memory).

Prints a markdown table for docs/benchmarks.md (medians; the budget is 1 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _station import ADMIN, ADMIN_PASSPHRASE, Client, Station, csrf_from, machine  # noqa: E402

from app.crypto import (  # noqa: E402
    PRODUCTION_KDF,
    hash_passphrase,
    make_slot,
    open_slot,
    verify_passphrase,
)
from app.crypto.kdf import derive_key  # noqa: E402

OFFICER, OFFICER_PASSPHRASE = "somchai", "officer passphrase at the post 2025"
BUDGET_MS = 1000.0


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _login_ms(port: int, username: str, passphrase: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat + 1):
        client = Client(port)  # a new browser each time: a first login, not a re-login
        page = client.get("/login")
        resp = client.post("/login", [("username", username), ("passphrase", passphrase),
                                      ("next", ""), ("csrf_token", csrf_from(page.text))])
        if resp.status != 302:
            raise RuntimeError(f"login as {username}: HTTP {resp.status}")
        out.append(resp.seconds * 1000)
        client.close()
    return out[1:]  # the first warmed the server process up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    salt = os.urandom(16)
    encoded = hash_passphrase(OFFICER_PASSPHRASE, PRODUCTION_KDF)
    slot = make_slot(OFFICER_PASSPHRASE, os.urandom(32), PRODUCTION_KDF)
    one = _times(lambda: derive_key(OFFICER_PASSPHRASE, salt, PRODUCTION_KDF), args.repeat)
    two = _times(lambda: (verify_passphrase(encoded, OFFICER_PASSPHRASE),
                          open_slot(slot, OFFICER_PASSPHRASE)), args.repeat)
    with Station(kdf="production") as station:
        station.init()
        station.create_user(OFFICER, OFFICER_PASSPHRASE)
        station.start()
        admin = _login_ms(station.port, ADMIN, ADMIN_PASSPHRASE, args.repeat)
        officer = _login_ms(station.port, OFFICER, OFFICER_PASSPHRASE, args.repeat)
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    rows = [
        ("one Argon2id derivation (derive_key)", one),
        ("before: login hash check + slot opening (two derivations)", two),
        ("POST /login over HTTP, administrator", admin),
        ("POST /login over HTTP, officer", officer),
    ]
    print(f"\n{args.repeat} runs each; load average at the end {load}\n")
    print("| what | median ms | min ms | max ms | vs one derivation |")
    print("| --- | ---: | ---: | ---: | ---: |")
    base = statistics.median(one)
    for name, values in rows:
        med = statistics.median(values)
        print(f"| {name} | {med:.0f} | {min(values):.0f} | {max(values):.0f} | {med / base:.2f}x |")
    worst = max(statistics.median(admin), statistics.median(officer))
    print(f"\nlogin median {worst:.0f} ms against the {BUDGET_MS:.0f} ms budget: "
          f"{'pass' if worst <= BUDGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
