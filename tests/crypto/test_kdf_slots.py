"""Argon2id parameters, key slots and login hashes."""

from __future__ import annotations

import struct
import unicodedata

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from app.crypto import (
    PRODUCTION_KDF,
    TEST_KDF,
    CryptoError,
    KdfParams,
    SlotError,
    WrongPassphrase,
    hash_passphrase,
    make_slot,
    normalise_passphrase,
    open_slot,
    slot_params,
    verify_passphrase,
)
from app.crypto.kdf import check_params
from app.crypto.slots import _make_slot
from tests.crypto.conftest import STATION_KEY

SALT = bytes(range(16))
NONCE = bytes(range(100, 112))
# make_slot("correct horse", STATION_KEY, TEST_KDF) with the salt and nonce above.
KAT_SLOT = bytes.fromhex(
    "5449504b"  # magic "TIPK"
    "0101"  # slot version 1, KDF 1 = Argon2id
    "000000080000000101"  # memory 8 KiB, 1 pass, 1 lane
    "000102030405060708090a0b0c0d0e0f"
    "6465666768696a6b6c6d6e6f"
    "bb3658d70122d328b9d179eb20712c76b277166bba104e4edf7f4af34354731e"
    "364a43094dcda0fa84d5095971816bd6"
)


def test_production_parameters_are_the_real_ones() -> None:
    assert PRODUCTION_KDF.memory_kib >= 64 * 1024
    assert PRODUCTION_KDF.iterations >= 3
    assert PRODUCTION_KDF.lanes >= 1
    assert PRODUCTION_KDF.memory_kib * PRODUCTION_KDF.iterations >= 64 * 1024 * 8
    assert PRODUCTION_KDF != TEST_KDF
    check_params(PRODUCTION_KDF)


def test_production_parameters_round_trip() -> None:
    """One real derivation (about half a second), proving the bounds accept them."""
    slot = make_slot("ฟ้าใส ๒๕๖๘", STATION_KEY, PRODUCTION_KDF)
    assert slot_params(slot) == PRODUCTION_KDF
    assert open_slot(slot, "ฟ้าใส ๒๕๖๘") == STATION_KEY


def test_argon2id_is_rfc9106_argon2id() -> None:
    """RFC 9106 section 5.3 vector, so 'Argon2id' really is Argon2id v1.3."""
    kdf = Argon2id(
        salt=b"\x02" * 16, length=32, iterations=3, lanes=4, memory_cost=32,
        ad=b"\x04" * 12, secret=b"\x03" * 8,
    )  # fmt: skip
    expected = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
    assert kdf.derive(b"\x01" * 32).hex() == expected


def test_slot_known_answer() -> None:
    assert _make_slot("correct horse", STATION_KEY, TEST_KDF, SALT, NONCE) == KAT_SLOT
    assert open_slot(KAT_SLOT, "correct horse") == STATION_KEY
    assert slot_params(KAT_SLOT) == TEST_KDF


def test_round_trip_and_fresh_salt(kdf: KdfParams) -> None:
    a = make_slot("pass phrase", STATION_KEY, kdf)
    b = make_slot("pass phrase", STATION_KEY, kdf)
    assert a != b and a[15:31] != b[15:31]
    assert open_slot(a, "pass phrase") == open_slot(b, "pass phrase") == STATION_KEY


def test_rewrap_is_open_then_make(kdf: KdfParams) -> None:
    admin = make_slot("admin passphrase", STATION_KEY, kdf)
    officer = make_slot("new officer passphrase", open_slot(admin, "admin passphrase"), kdf)
    assert open_slot(officer, "new officer passphrase") == STATION_KEY


def test_wrong_passphrase(kdf: KdfParams) -> None:
    slot = make_slot("right", STATION_KEY, kdf)
    with pytest.raises(WrongPassphrase):
        open_slot(slot, "wrong")
    with pytest.raises(WrongPassphrase):
        open_slot(slot, "")
    with pytest.raises(WrongPassphrase):
        open_slot(slot, "Right")


def test_nfc_normalisation_thai_and_burmese(kdf: KdfParams) -> None:
    # Thai: KO KAI + MAI EK (ccc 107) + SARA U (ccc 103) typed in either order.
    typed = "\u0e01\u0e48\u0e38"
    canonical = "\u0e01\u0e38\u0e48"
    # Burmese: U+1026 is canonically U+1025 U+102E.
    composed, decomposed = "\u1026", "\u1025\u102e"
    assert normalise_passphrase(typed) == normalise_passphrase(canonical)
    assert normalise_passphrase(decomposed) == normalise_passphrase(composed)
    slot = make_slot(typed + decomposed, STATION_KEY, kdf)
    assert open_slot(slot, canonical + composed) == STATION_KEY
    assert unicodedata.is_normalized("NFC", normalise_passphrase(typed).decode())


def _with(slot: bytes, offset: int, value: bytes) -> bytes:
    return slot[:offset] + value + slot[offset + len(value) :]


def test_every_flipped_byte_is_refused() -> None:
    for i in range(len(KAT_SLOT)):
        tampered = bytearray(KAT_SLOT)
        tampered[i] ^= 0x01
        with pytest.raises((SlotError, WrongPassphrase)):
            open_slot(bytes(tampered), "correct horse")


@pytest.mark.parametrize(
    ("offset", "value", "error"),
    [
        (6, struct.pack(">I", 9), SlotError),  # only the exact TEST_KDF may be that weak
        (10, struct.pack(">I", 2), SlotError),
        (6, struct.pack(">I", 4 * 1024 * 1024 + 1), SlotError),  # > 4 GiB: refused first
        (6, struct.pack(">I", 1024), SlotError),  # 1 MiB: weak and not TEST_KDF
        (10, struct.pack(">I", 0), SlotError),
        (10, struct.pack(">I", 10_000), SlotError),
        (14, bytes([0]), SlotError),
        (14, bytes([200]), SlotError),
        (5, bytes([2]), SlotError),  # unknown KDF
        (4, bytes([2]), SlotError),  # unknown slot version
        (0, b"XIPK", SlotError),  # foreign magic
    ],
)
def test_tampered_parameters(offset: int, value: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        open_slot(_with(KAT_SLOT, offset, value), "correct horse")


@pytest.mark.parametrize(
    ("offset", "value"),
    [
        (6, struct.pack(">I", 8 * 1024 + 8)),  # memory
        (10, struct.pack(">I", 2)),  # iterations
        (14, bytes([2])),  # lanes
        (20, None),  # salt: its first byte flipped, whatever it was
    ],
)
def test_in_bounds_parameter_changes_fail_authentication(offset: int, value: bytes | None) -> None:
    """Parameters and salt are AES-GCM associated data: changing them to other
    acceptable values makes the slot fail to open instead of deriving weaker."""
    slot = make_slot("pw", STATION_KEY, KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1))
    assert open_slot(slot, "pw") == STATION_KEY
    if value is None:  # a fixed byte would equal the random salt's 1 time in 256
        value = bytes([slot[offset] ^ 0xFF])
    with pytest.raises(WrongPassphrase):
        open_slot(_with(slot, offset, value), "pw")


def test_out_of_bounds_parameters_refused_before_deriving(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("derivation must not start")

    monkeypatch.setattr("app.crypto.kdf._argon2", boom)
    huge = _with(KAT_SLOT, 6, struct.pack(">I", 0xFFFFFFFF))
    with pytest.raises(SlotError, match="above"):
        open_slot(huge, "correct horse")


def test_garbled_slots() -> None:
    for bad in (b"", b"TIPK", KAT_SLOT[:40], KAT_SLOT[:59], KAT_SLOT + bytes(2000)):
        with pytest.raises(SlotError):
            open_slot(bad, "correct horse")
    with pytest.raises(SlotError, match="version 9"):
        open_slot(_with(KAT_SLOT, 4, bytes([9])), "correct horse")


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(memory_kib=8 * 1024 - 1, iterations=3, lanes=1),
        KdfParams(memory_kib=8, iterations=2, lanes=1),
        KdfParams(memory_kib=4 * 1024 * 1024 + 1, iterations=1, lanes=1),
        KdfParams(memory_kib=1024 * 1024, iterations=64, lanes=1),  # work limit
        KdfParams(memory_kib=65536, iterations=0, lanes=1),
        KdfParams(memory_kib=65536, iterations=3, lanes=17),
        KdfParams(memory_kib=65536, iterations=True, lanes=1),
    ],
)
def test_check_params_bounds(params: KdfParams) -> None:
    with pytest.raises(SlotError):
        check_params(params)
    with pytest.raises(SlotError):
        make_slot("x", STATION_KEY, params)


def test_make_slot_input_checks(kdf: KdfParams) -> None:
    with pytest.raises(CryptoError):
        make_slot("", STATION_KEY, kdf)
    with pytest.raises(CryptoError):
        make_slot("x", b"", kdf)


def test_passphrase_hash(kdf: KdfParams) -> None:
    encoded = hash_passphrase("ကျေးဇူး pass", kdf)
    assert encoded.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_passphrase(encoded, "ကျေးဇူး pass")
    assert not verify_passphrase(encoded, "ကျေးဇူး pasS")
    assert hash_passphrase("ကျေးဇူး pass", kdf) != encoded
    assert verify_passphrase(hash_passphrase("\u1025\u102e", kdf), "\u1026")


def test_passphrase_hash_production_encoding() -> None:
    # The PHC string records the parameters; no derivation needed to check them.
    from app.crypto.kdf import phc_params

    m, t, p = PRODUCTION_KDF.memory_kib, PRODUCTION_KDF.iterations, PRODUCTION_KDF.lanes
    encoded = f"$argon2id$v=19$m={m},t={t},p={p}$MDAwMDAwMDAwMDAwMDAwMA$" + "A" * 43
    assert phc_params(encoded) == PRODUCTION_KDF


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "garbage",
        "$argon2i$v=19$m=8,t=1,p=1$MDAwMDAwMDAwMDAwMDAwMA$g2hAux6QnybAKM6zfCvkrLBjmryB77IRCOngPDLGBbM",
        "$argon2id$v=16$m=8,t=1,p=1$MDAwMDAwMDAwMDAwMDAwMA$g2hAux6QnybAKM6zfCvkrLBjmryB77IRCOngPDLGBbM",
        "$argon2id$v=19$m=99999999,t=1,p=1$MDAwMDAwMDAwMDAwMDAwMA$g2hAux6QnybAKM6zfCvkrLBjmryB77IRCOngPDLGBbM",
        "$argon2id$v=19$m=1024,t=1,p=1$MDAwMDAwMDAwMDAwMDAwMA$g2hAux6QnybAKM6zfCvkrLBjmryB77IRCOngPDLGBbM",
    ],
)
def test_malformed_or_out_of_bounds_hash(encoded: str) -> None:
    with pytest.raises(SlotError):
        verify_passphrase(encoded, "pw")


def test_known_phc_string_verifies() -> None:
    # Argon2id(salt=b"0"*16, t=1, m=8, p=1) of b"pw", from an independent run.
    encoded = (
        "$argon2id$v=19$m=8,t=1,p=1$MDAwMDAwMDAwMDAwMDAwMA$"
        "g2hAux6QnybAKM6zfCvkrLBjmryB77IRCOngPDLGBbM"
    )
    assert verify_passphrase(encoded, "pw")
    assert not verify_passphrase(encoded, "px")


def test_a_slot_crafted_above_the_ceiling_is_refused_before_any_work(monkeypatch) -> None:
    """The ceiling is CEILING x PRODUCTION_KDF (each parameter and memory x passes)."""
    from app.crypto import kdf

    p = PRODUCTION_KDF
    assert kdf.MAX_MEMORY_KIB == kdf.CEILING * p.memory_kib
    assert kdf.MAX_ITERATIONS == kdf.CEILING * p.iterations
    assert kdf.MAX_WORK_KIB == kdf.CEILING * p.memory_kib * p.iterations
    check_params(KdfParams(memory_kib=kdf.MAX_MEMORY_KIB, iterations=p.iterations, lanes=p.lanes))  # at the line

    def no_work(*args, **kwargs):  # any derivation at all fails the test
        raise AssertionError("derived before checking the parameters")

    monkeypatch.setattr(kdf, "_argon2", no_work)
    crafted = [
        (kdf.MAX_MEMORY_KIB + 1, 1, 1),  # memory just above 4 x production
        (p.memory_kib, kdf.MAX_ITERATIONS + 1, p.lanes),  # passes just above
        (2 * p.memory_kib, 2 * p.iterations + 1, p.lanes),  # each under, memory x passes above
        (p.memory_kib, p.iterations, kdf.MAX_LANES + 1),
        (4 * 1024 * 1024, 64, 16),  # the old bounds' corner: 4 GiB, 64 passes
    ]
    for m, t, lanes in crafted:
        slot = _with(KAT_SLOT, 6, struct.pack(">IIB", m, t, lanes))
        with pytest.raises(SlotError):
            open_slot(slot, "correct horse")
        encoded = f"$argon2id$v=19$m={m},t={t},p={lanes}$MDAwMDAwMDAwMDAwMDAwMA$" + "A" * 43
        with pytest.raises(SlotError):
            verify_passphrase(encoded, "pw")
