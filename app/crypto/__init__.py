"""tip-screen cryptography: a leaf package (standard library + ``cryptography``).

Everything the rest of the app needs is re-exported here; see docs/keys.md
for the key hierarchy and docs/envelope.md for the record wire format.
"""

from __future__ import annotations

from app.crypto.aead import aead_decrypt, aead_encrypt
from app.crypto.envelope import (
    FACTS_VERSION,
    Envelope,
    EnvelopeOpener,
    RecordHeader,
    decrypt_body,
    encrypt_body,
    open_envelope,
    open_facts,
    padded_length,
    parse_envelope,
    seal_envelope,
    unwrap_local,
    verify_envelope,
    wrap_local,
)
from app.crypto.errors import BadSignature, CryptoError, EnvelopeError, SlotError, WrongPassphrase
from app.crypto.hpke import hpke_open, hpke_seal
from app.crypto.kdf import (
    PRODUCTION_KDF,
    TEST_KDF,
    KdfParams,
    hash_passphrase,
    normalise_passphrase,
    verify_passphrase,
)
from app.crypto.keys import (
    fingerprint,
    generate_x25519,
    hkdf_sha256,
    identity_fingerprint,
    key_id,
    new_data_key,
    x25519_public_key,
)
from app.crypto.keyset import KeySet, is_legacy_secret
from app.crypto.signing import Verifier, generate_signing_key, sign, signer, signing_public_key, verify
from app.crypto.slots import make_slot, open_slot, slot_params
from app.crypto.tls import certificate_fingerprint, self_signed_certificate
from app.crypto.wraps import recipient_id, unwrap_data_key, wrap_data_key, wrap_recipients

__all__ = [
    "FACTS_VERSION",
    "PRODUCTION_KDF",
    "TEST_KDF",
    "BadSignature",
    "CryptoError",
    "Envelope",
    "EnvelopeError",
    "EnvelopeOpener",
    "KdfParams",
    "KeySet",
    "RecordHeader",
    "SlotError",
    "Verifier",
    "WrongPassphrase",
    "aead_decrypt",
    "aead_encrypt",
    "certificate_fingerprint",
    "decrypt_body",
    "encrypt_body",
    "fingerprint",
    "generate_signing_key",
    "generate_x25519",
    "hash_passphrase",
    "hkdf_sha256",
    "hpke_open",
    "hpke_seal",
    "is_legacy_secret",
    "identity_fingerprint",
    "key_id",
    "make_slot",
    "new_data_key",
    "normalise_passphrase",
    "open_envelope",
    "open_facts",
    "open_slot",
    "padded_length",
    "parse_envelope",
    "recipient_id",
    "self_signed_certificate",
    "seal_envelope",
    "sign",
    "signer",
    "signing_public_key",
    "slot_params",
    "unwrap_data_key",
    "unwrap_local",
    "verify",
    "verify_envelope",
    "verify_passphrase",
    "wrap_data_key",
    "wrap_local",
    "wrap_recipients",
    "x25519_public_key",
]
