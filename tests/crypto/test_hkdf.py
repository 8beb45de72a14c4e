"""HKDF-SHA256 against RFC 5869's test vectors (appendix A, cases 1 and 3)."""

from __future__ import annotations

import pytest

from app.crypto import CryptoError, hkdf_sha256


@pytest.mark.parametrize(("ikm", "salt", "info", "length", "okm"), [
    ("0b" * 22, "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
    ("0b" * 22, "", "", 42,
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
], ids=["case-1", "case-3"])
def test_rfc5869_vectors(ikm, salt, info, length, okm):
    out = hkdf_sha256(bytes.fromhex(ikm), salt=bytes.fromhex(salt), info=bytes.fromhex(info), length=length)
    assert out.hex() == okm


def test_labels_and_salts_separate_keys_and_empty_input_is_refused():
    key = b"k" * 32
    assert hkdf_sha256(key, salt=b"a", info=b"x") != hkdf_sha256(key, salt=b"b", info=b"x")
    assert hkdf_sha256(key, salt=b"a", info=b"x") != hkdf_sha256(key, salt=b"a", info=b"y")
    assert len(hkdf_sha256(key, salt=b"", info=b"")) == 32
    with pytest.raises(CryptoError):
        hkdf_sha256(b"", salt=b"a", info=b"x")
