"""Count Argon2id derivations: every one the app makes goes through ``app.crypto.kdf``."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from app.crypto import kdf


def count_derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch the module's Argon2id so each derivation (a key, a login hash, a hash check)
    appends its kind to the returned list; the real derivation still runs."""
    runs: list[str] = []

    class Counting:
        def __init__(self, **kwargs: Any) -> None:
            self._real = Argon2id(**kwargs)

        def derive(self, material: bytes) -> bytes:
            runs.append("derive")
            return self._real.derive(material)

        def derive_phc_encoded(self, material: bytes) -> str:
            runs.append("hash")
            return self._real.derive_phc_encoded(material)

        @staticmethod
        def verify_phc_encoded(material: bytes, encoded: str) -> None:
            runs.append("verify")
            Argon2id.verify_phc_encoded(material, encoded)

    monkeypatch.setattr(kdf, "Argon2id", Counting)
    return runs
