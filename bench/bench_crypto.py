"""Crypto benchmark: medians for the per-record and per-login operations.

Run from the repository root:  .venv/bin/python bench/bench_crypto.py [--quick]

Prints a markdown table (for docs/benchmarks.md). Per-record figures use a
4,000-byte body (Thai and English text), which pads to the 4 KiB bucket.
Per-login figures use PRODUCTION_KDF, the parameters shipped to stations.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cryptography  # noqa: E402

from app.crypto import (  # noqa: E402
    PRODUCTION_KDF,
    RecordHeader,
    encrypt_body,
    generate_signing_key,
    generate_x25519,
    hash_passphrase,
    key_id,
    make_slot,
    new_data_key,
    open_envelope,
    open_slot,
    parse_envelope,
    seal_envelope,
    verify_envelope,
    verify_passphrase,
    wrap_local,
)


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and max wall time in milliseconds over ``repeat`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    per_record = 50 if args.quick else 500
    per_login = 3 if args.quick else 11

    central_private, central_public = generate_x25519()
    signing_private, signing_public = generate_signing_key()
    station_key = new_data_key()
    text = "ผู้ถูกสัมภาษณ์ทำงานบนเรือประมง ไม่ได้รับค่าจ้าง / worked on a fishing boat, unpaid. "
    body = (text * 64).encode("utf-8")[:4000]

    def header() -> RecordHeader:
        return RecordHeader(
            record_id=uuid.uuid4(),
            station_id="MAE-SOT-01",
            seq=1,
            questionnaire_id="tip-screen-core",
            questionnaire_version="2025.1",
            created_day="2025-11-22",
            local_key_id="0011223344556677",
            central_key_id=key_id(central_public),
        )

    def seal() -> bytes:
        h = header()
        data_key = new_data_key()
        ct = encrypt_body(h, body, data_key)
        wrap_local(data_key, station_key, h)
        return seal_envelope(h, ct, data_key, central_public, signing_private)

    blob = seal()

    def open_record() -> bytes:
        env = parse_envelope(blob)
        verify_envelope(env, signing_public)
        return open_envelope(env, central_private)

    passphrase = "ฟ้าใสที่แม่สอด 2025"
    slot = make_slot(passphrase, station_key, PRODUCTION_KDF)
    encoded = hash_passphrase(passphrase, PRODUCTION_KDF)

    cases: list[tuple[str, Callable[[], object], int]] = [
        (f"seal + sign one record ({len(body)} B body; incl. local wrap)", seal, per_record),
        ("open one record (parse + verify + HPKE open + decrypt)", open_record, per_record),
        ("unlock: open_slot", lambda: open_slot(slot, passphrase), per_login),
        ("make_slot", lambda: make_slot(passphrase, station_key, PRODUCTION_KDF), per_login),
        ("hash_passphrase", lambda: hash_passphrase(passphrase, PRODUCTION_KDF), per_login),
        ("verify_passphrase", lambda: verify_passphrase(encoded, passphrase), per_login),
    ]
    rows = [(name, median_ms(fn, runs), runs) for name, fn, runs in cases]

    p = PRODUCTION_KDF
    print(
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}); PRODUCTION_KDF = Argon2id "
        f"m={p.memory_kib // 1024} MiB, t={p.iterations}, p={p.lanes}; "
        f"envelope {len(blob)} bytes\n"
    )
    print("| operation | median | max | runs |")
    print("| --- | ---: | ---: | ---: |")
    for name, (median, worst), runs in rows:
        print(f"| {name} | {median:.2f} ms | {worst:.2f} ms | {runs} |")


if __name__ == "__main__":
    main()
