"""app.crypto is a leaf: it imports only the standard library, `cryptography`
and itself (import-linter checks the same for the whole app)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import app.crypto

PACKAGE = Path(app.crypto.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            names.add(node.module or "")
    return names


def test_only_stdlib_cryptography_and_itself() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        for name in _imported_modules(path):
            top = name.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top == "cryptography"
                or name == "app.crypto"
                or name.startswith("app.crypto.")
            )
            assert allowed, f"{path.name} imports {name}"


def test_public_api_is_complete() -> None:
    expected = {
        "CryptoError", "WrongPassphrase", "SlotError", "EnvelopeError", "BadSignature",
        "KdfParams", "PRODUCTION_KDF", "TEST_KDF", "make_slot", "open_slot",
        "hash_passphrase", "verify_passphrase", "aead_encrypt", "aead_decrypt",
        "hpke_seal", "hpke_open", "generate_x25519", "generate_signing_key", "sign",
        "verify", "fingerprint", "key_id", "new_data_key", "RecordHeader", "Envelope",
        "encrypt_body", "decrypt_body", "wrap_local", "unwrap_local", "seal_envelope",
        "parse_envelope", "verify_envelope", "open_envelope",
    }  # fmt: skip
    assert expected <= set(app.crypto.__all__)
    for name in app.crypto.__all__:
        assert hasattr(app.crypto, name), name
