"""Central's side for the ODK tests: a key pair that opens what the station seals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.crypto import generate_x25519, key_id, open_envelope, parse_envelope, verify_envelope
from app.protocol import body as record_body


@dataclass(frozen=True)
class Central:
    private: bytes
    public: bytes
    key_id: str

    def open(self, envelope: bytes, signing_public: bytes) -> dict[str, Any]:
        """The record inside, after checking the station's signature (as central does)."""
        parsed = parse_envelope(envelope)
        verify_envelope(parsed, signing_public)
        return record_body.decode(open_envelope(parsed, self.private))


@pytest.fixture
def central() -> Central:
    private, public = generate_x25519()
    return Central(private, public, key_id(public))
