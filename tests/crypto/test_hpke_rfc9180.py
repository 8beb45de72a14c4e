"""HPKE conformance: our independent key schedule reproduces the RFC 9180
vectors, and with it we open what the library seals for our AES-256-GCM
suite, so the suite we ship is proven to be RFC 9180 base mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from app.crypto import CryptoError, generate_x25519, hpke_open, hpke_seal
from app.crypto.hpke import SUITE_IDS
from tests.crypto import rfc9180
from tests.crypto.conftest import CENTRAL_PRIVATE, CENTRAL_PUBLIC

VECTORS: dict[str, type[AESGCM | ChaCha20Poly1305]] = {
    "x25519-sha256-aes128gcm-base.txt": AESGCM,
    "x25519-sha256-chacha20poly1305-base.txt": ChaCha20Poly1305,
}


@pytest.mark.parametrize("filename", sorted(VECTORS))
def test_key_schedule_matches_rfc9180_vectors(filename: str, testdata: Callable[[str], Path]) -> None:
    vector = rfc9180.load_vector(testdata("hpke") / filename)
    s = vector.setup

    def b(name: str) -> bytes:
        return rfc9180.hexfield(s, name)

    assert (s["mode"], s["kem_id"], s["kdf_id"]) == (0, 0x20, 0x01)
    aead_id = rfc9180.intfield(s, "aead_id")
    for ikm, sk, pk in (("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")):
        assert rfc9180.derive_key_pair(b(ikm)) == b(sk)
        assert rfc9180.x25519_public(b(sk)) == b(pk)
    assert b("enc") == b("pkEm")
    shared = rfc9180.decap(b("enc"), b("skRm"))
    assert shared == b("shared_secret")
    schedule = rfc9180.key_schedule(shared, b("info"), aead_id)
    assert schedule.context == b("key_schedule_context")
    assert schedule.secret == b("secret")
    assert schedule.key == b("key")
    assert schedule.base_nonce == b("base_nonce")
    assert schedule.exporter_secret == b("exporter_secret")

    cipher = AESGCM(schedule.key) if aead_id == 1 else ChaCha20Poly1305(schedule.key)
    assert isinstance(cipher, VECTORS[filename])
    assert len(vector.encryptions) >= 6
    for entry in vector.encryptions:
        nonce = schedule.nonce(rfc9180.intfield(entry, "sequence number"))
        pt, aad, ct = (rfc9180.hexfield(entry, k) for k in ("pt", "aad", "ct"))
        assert nonce == rfc9180.hexfield(entry, "nonce")
        assert cipher.decrypt(nonce, ct, aad) == pt
        assert cipher.encrypt(nonce, pt, aad) == ct
    assert len(vector.exports) == 3
    for entry in vector.exports:
        context = rfc9180.hexfield(entry, "exporter_context")
        exported = schedule.export(context, rfc9180.intfield(entry, "L"))
        assert exported == rfc9180.hexfield(entry, "exported_value")


@pytest.mark.parametrize("info", [b"", b"tip-screen", bytes(64)])
def test_library_output_opens_with_independent_schedule(info: bytes) -> None:
    """hpke_seal's output is enc || AES-256-GCM(key, base_nonce, pt, aad="")
    with the RFC 9180 schedule for suite (0x20, 0x01, 0x02)."""
    assert SUITE_IDS == (rfc9180.KEM_X25519, rfc9180.KDF_HKDF_SHA256, rfc9180.AEAD_AES256GCM)
    plaintext = b"data key: 32 bytes of secret...."
    sealed = hpke_seal(CENTRAL_PUBLIC, plaintext, info)
    assert len(sealed) == 32 + len(plaintext) + 16
    enc, ct = sealed[:32], sealed[32:]
    shared = rfc9180.decap(enc, CENTRAL_PRIVATE)
    schedule = rfc9180.key_schedule(shared, info, rfc9180.AEAD_AES256GCM)
    assert len(schedule.key) == 32
    assert AESGCM(schedule.key).decrypt(schedule.nonce(0), ct, b"") == plaintext


def test_library_opens_what_independent_schedule_seals() -> None:
    """The other direction: a message sealed by the reference schedule with a
    fixed ephemeral key opens with hpke_open."""
    sk_e = rfc9180.derive_key_pair(b"tip-screen test ephemeral")
    enc = rfc9180.x25519_public(sk_e)
    dh = rfc9180.x25519(sk_e, CENTRAL_PUBLIC)
    prk = rfc9180.labeled_extract(rfc9180.KEM_SUITE, b"", b"eae_prk", dh)
    shared = rfc9180.labeled_expand(
        rfc9180.KEM_SUITE, prk, b"shared_secret", enc + CENTRAL_PUBLIC, 32
    )
    assert shared == rfc9180.decap(enc, CENTRAL_PRIVATE)
    schedule = rfc9180.key_schedule(shared, b"info", rfc9180.AEAD_AES256GCM)
    sealed = enc + AESGCM(schedule.key).encrypt(schedule.nonce(0), b"hello", b"")
    assert hpke_open(CENTRAL_PRIVATE, sealed, b"info") == b"hello"


def test_seal_open_round_trip_and_failures() -> None:
    private, public = generate_x25519()
    other_private, _ = generate_x25519()
    sealed = hpke_seal(public, b"secret", b"ctx")
    assert hpke_open(private, sealed, b"ctx") == b"secret"
    assert hpke_seal(public, b"secret", b"ctx") != sealed  # fresh ephemeral key
    with pytest.raises(CryptoError):
        hpke_open(private, sealed, b"other ctx")
    with pytest.raises(CryptoError):
        hpke_open(other_private, sealed, b"ctx")
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(CryptoError):
            hpke_open(private, bytes(tampered), b"ctx")
    with pytest.raises(CryptoError):
        hpke_open(private, sealed[:40], b"ctx")
    with pytest.raises(CryptoError):
        hpke_seal(public, b"x", bytes(65))
    with pytest.raises(CryptoError):
        hpke_seal(public[:31], b"x", b"")
