"""Fixtures for the crypto tests: cheap KDF parameters, fixed keys, headers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.crypto import TEST_KDF, KdfParams, RecordHeader, key_id, x25519_public_key
from app.crypto.signing import signing_public_key

# Fixed key material for known-answer tests (never used outside tests).
DATA_KEY = bytes(range(32))
STATION_KEY = bytes(range(32, 64))
SIGNING_KEY = bytes(range(64, 96))
CENTRAL_PRIVATE = bytes.fromhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
CENTRAL_PUBLIC = x25519_public_key(CENTRAL_PRIVATE)
STATION_PUBLIC = signing_public_key(SIGNING_KEY)
RECORD_ID = uuid.UUID("3f1c2d4e-5a6b-4c7d-8e9f-a0b1c2d3e4f5")


@pytest.fixture
def kdf() -> KdfParams:
    """Cheap Argon2id parameters so slot tests stay fast (cf. SecureDrop's
    insecure_scrypt); test_kdf_slots proves PRODUCTION_KDF is the real thing."""
    return TEST_KDF


@pytest.fixture
def make_header() -> Callable[..., RecordHeader]:
    """Factory: a valid header, with any field overridden by keyword."""

    def factory(**overrides: Any) -> RecordHeader:
        fields: dict[str, Any] = {
            "record_id": RECORD_ID,
            "station_id": "MAE-SOT-01",
            "seq": 42,
            "questionnaire_id": "tip-screen-core",
            "questionnaire_version": "2025.1",
            "created_day": "2025-11-22",
            "local_key_id": "0011223344556677",
            "central_key_id": key_id(CENTRAL_PUBLIC),
        }
        fields.update(overrides)
        return RecordHeader(**fields)

    return factory
