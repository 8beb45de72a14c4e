"""Logins at the same moment must not hang: production Argon2id derivations from many threads."""

from __future__ import annotations

import threading

from app.crypto import PRODUCTION_KDF, hash_passphrase, verify_passphrase


def test_concurrent_production_derivations_finish():
    encoded = hash_passphrase("a long shared test phrase", PRODUCTION_KDF)
    results: list[bool] = []

    def login() -> None:
        results.append(verify_passphrase(encoded, "a long shared test phrase"))

    threads = [threading.Thread(target=login, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "an Argon2id derivation hung"
    assert results == [True] * 4
