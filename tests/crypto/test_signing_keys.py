"""Ed25519 signatures, key generation, fingerprints and key ids."""

from __future__ import annotations

import re

import pytest

from app.crypto import (
    BadSignature,
    CryptoError,
    fingerprint,
    generate_signing_key,
    generate_x25519,
    key_id,
    new_data_key,
    sign,
    signing_public_key,
    verify,
    x25519_public_key,
)
from tests.crypto.conftest import CENTRAL_PUBLIC

# RFC 8032 section 7.1, TEST 1 (empty message).
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
    "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_rfc8032_vector() -> None:
    assert signing_public_key(RFC8032_SECRET) == RFC8032_PUBLIC
    assert sign(RFC8032_SECRET, b"") == RFC8032_SIG
    verify(RFC8032_PUBLIC, b"", RFC8032_SIG)


def test_sign_verify_and_refusals() -> None:
    private, public = generate_signing_key()
    assert len(private) == len(public) == 32
    assert signing_public_key(private) == public
    sig = sign(private, b"message")
    assert len(sig) == 64
    verify(public, b"message", sig)
    with pytest.raises(BadSignature):
        verify(public, b"messagE", sig)
    with pytest.raises(BadSignature):
        verify(generate_signing_key()[1], b"message", sig)
    with pytest.raises(BadSignature):
        verify(public, b"message", sig[:63])
    for i in range(64):
        bad = bytearray(sig)
        bad[i] ^= 0x04
        with pytest.raises(BadSignature):
            verify(public, b"message", bytes(bad))
    with pytest.raises(CryptoError):
        verify(public[:31], b"message", sig)
    with pytest.raises(CryptoError):
        sign(private[:31], b"message")


def test_x25519_and_data_keys() -> None:
    private, public = generate_x25519()
    assert len(private) == len(public) == 32
    assert x25519_public_key(private) == public
    assert generate_x25519()[0] != private
    a, b = new_data_key(), new_data_key()
    assert len(a) == 32 and a != b
    with pytest.raises(CryptoError):
        x25519_public_key(b"short")


def test_fingerprint_and_key_id_pinned() -> None:
    assert fingerprint(CENTRAL_PUBLIC) == "RMRI-ZV22-W4F2-3PWB"
    assert key_id(CENTRAL_PUBLIC) == "8b228cd75ab70bad"
    _, other = generate_x25519()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", fingerprint(other))
    assert re.fullmatch(r"[0-9a-f]{16}", key_id(other))
    assert fingerprint(other) != fingerprint(CENTRAL_PUBLIC)
    with pytest.raises(CryptoError):
        fingerprint(b"")
    with pytest.raises(CryptoError):
        key_id(CENTRAL_PUBLIC + b"\x00")
