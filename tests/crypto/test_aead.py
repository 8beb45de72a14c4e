"""AES-256-GCM wrapper: known answers, tamper detection, input checks."""

from __future__ import annotations

import pytest

from app.crypto import CryptoError, aead_decrypt, aead_encrypt
from tests.crypto.conftest import DATA_KEY

# Pinned output of our wrapper: nonce || ciphertext || tag.
KAT_BLOB = bytes.fromhex(
    "000000000000000000000000"  # nonce
    "7ddfc7bbd042ead36f88c85b6b5bf4eba11407b524b1d4eabf311956058b90c496"
)


def test_known_answer_pinned() -> None:
    assert aead_encrypt(DATA_KEY, b"screening answers", b"aad", nonce=bytes(12)) == KAT_BLOB
    assert aead_decrypt(DATA_KEY, KAT_BLOB, b"aad") == b"screening answers"


@pytest.mark.parametrize(
    ("plaintext", "expected"),
    [
        # McGrew & Viega GCM spec, test cases 13 and 14 (AES-256, zero key and IV).
        (b"", "530f8afbc74536b9a963b4f1c4cb738b"),
        (bytes(16), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
    ],
)
def test_gcm_spec_vectors(plaintext: bytes, expected: str) -> None:
    blob = aead_encrypt(bytes(32), plaintext, b"", nonce=bytes(12))
    assert blob == bytes(12) + bytes.fromhex(expected)


def test_random_nonce_round_trip() -> None:
    a = aead_encrypt(DATA_KEY, b"x", b"ctx")
    b = aead_encrypt(DATA_KEY, b"x", b"ctx")
    assert a[:12] != b[:12]
    assert aead_decrypt(DATA_KEY, a, b"ctx") == aead_decrypt(DATA_KEY, b, b"ctx") == b"x"


def test_any_flipped_byte_or_wrong_context_is_refused() -> None:
    for i in range(len(KAT_BLOB)):
        tampered = bytearray(KAT_BLOB)
        tampered[i] ^= 0x80
        with pytest.raises(CryptoError):
            aead_decrypt(DATA_KEY, bytes(tampered), b"aad")
    with pytest.raises(CryptoError):
        aead_decrypt(DATA_KEY, KAT_BLOB, b"other")
    with pytest.raises(CryptoError):
        aead_decrypt(bytes(32), KAT_BLOB, b"aad")
    with pytest.raises(CryptoError, match="too short"):
        aead_decrypt(DATA_KEY, KAT_BLOB[:27], b"aad")


def test_bad_key_or_nonce_size() -> None:
    with pytest.raises(CryptoError, match="32-byte key"):
        aead_encrypt(bytes(16), b"x", b"")
    with pytest.raises(CryptoError, match="nonce"):
        aead_encrypt(DATA_KEY, b"x", b"", nonce=bytes(8))
