"""An independent, test-only RFC 9180 key schedule (base mode, X25519 KEM,
HKDF-SHA256), written from the RFC with stdlib HMAC so that it shares no code
with the library it checks. It also parses the spec's test-vector text."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

KEM_X25519 = 0x0020
KDF_HKDF_SHA256 = 0x0001
AEAD_AES128GCM, AEAD_AES256GCM, AEAD_CHACHA20 = 0x0001, 0x0002, 0x0003
NK = {AEAD_AES128GCM: 16, AEAD_AES256GCM: 32, AEAD_CHACHA20: 32}
NN = 12
NH = 32


def i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hkdf_extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(prk, i2osp(length, 2) + b"HPKE-v1" + suite_id + label + info, length)


KEM_SUITE = b"KEM" + i2osp(KEM_X25519, 2)


def derive_key_pair(ikm: bytes) -> bytes:
    """DeriveKeyPair for X25519 (RFC 9180 section 7.1.3): the private key."""
    prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm)
    return labeled_expand(KEM_SUITE, prk, b"sk", b"", 32)


def x25519(private: bytes, public: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).exchange(
        X25519PublicKey.from_public_bytes(public)
    )


def x25519_public(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def decap(enc: bytes, sk_r: bytes) -> bytes:
    """DHKEM Decap: the shared secret from the encapsulated key and skR."""
    dh = x25519(sk_r, enc)
    kem_context = enc + x25519_public(sk_r)
    prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE, prk, b"shared_secret", kem_context, 32)


@dataclass(frozen=True)
class Schedule:
    context: bytes
    secret: bytes
    key: bytes
    base_nonce: bytes
    exporter_secret: bytes
    suite_id: bytes

    def nonce(self, seq: int) -> bytes:
        return bytes(a ^ b for a, b in zip(self.base_nonce, i2osp(seq, NN), strict=True))

    def export(self, context: bytes, length: int) -> bytes:
        return labeled_expand(self.suite_id, self.exporter_secret, b"sec", context, length)


def key_schedule(shared_secret: bytes, info: bytes, aead_id: int) -> Schedule:
    """KeySchedule for mode_base (no PSK), RFC 9180 section 5.1."""
    suite_id = b"HPKE" + i2osp(KEM_X25519, 2) + i2osp(KDF_HKDF_SHA256, 2) + i2osp(aead_id, 2)
    psk_id_hash = labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite_id, b"", b"info_hash", info)
    context = bytes([0]) + psk_id_hash + info_hash
    secret = labeled_extract(suite_id, shared_secret, b"secret", b"")
    return Schedule(
        context=context,
        secret=secret,
        key=labeled_expand(suite_id, secret, b"key", context, NK[aead_id]),
        base_nonce=labeled_expand(suite_id, secret, b"base_nonce", context, NN),
        exporter_secret=labeled_expand(suite_id, secret, b"exp", context, NH),
        suite_id=suite_id,
    )


@dataclass(frozen=True)
class Vector:
    setup: dict[str, bytes | int]
    encryptions: list[dict[str, bytes | int]]
    exports: list[dict[str, bytes | int]]


_INT_FIELDS = {"mode", "kem_id", "kdf_id", "aead_id", "sequence number", "L"}


def _parse_block(text: str) -> list[dict[str, bytes | int]]:
    """Parse 'name: hex' lines (hex may wrap onto following lines); blank
    lines separate entries."""
    entries: list[dict[str, bytes | int]] = []
    raw: dict[str, str] = {}
    name = ""
    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            if raw:
                entries.append(
                    {k: int(v) if k in _INT_FIELDS else bytes.fromhex(v) for k, v in raw.items()}
                )
            raw, name = {}, ""
            continue
        match = re.fullmatch(r"([A-Za-z_ ]+):\s*([0-9a-f]*)", line)
        if match:
            name = match[1]
            raw[name] = match[2]
        elif re.fullmatch(r"[0-9a-f]+", line) and name:
            raw[name] += line
        else:
            raise ValueError(f"unparsed vector line: {line!r}")
    return entries


def hexfield(entry: dict[str, bytes | int], name: str) -> bytes:
    value = entry[name]
    assert isinstance(value, bytes), name
    return value


def intfield(entry: dict[str, bytes | int], name: str) -> int:
    value = entry[name]
    assert isinstance(value, int), name
    return value


def load_vector(path: Path) -> Vector:
    """One RFC 9180 test-vector file (from the shared test data: ``testdata("hpke")``)."""
    blocks = re.findall(r"~~~\n(.*?)~~~", path.read_text(), flags=re.S)
    setup, encryptions, exports = (_parse_block(b) for b in blocks)
    return Vector(setup=setup[0], encryptions=encryptions, exports=exports)
