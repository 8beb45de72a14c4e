"""ODK's encrypted-submission format, the station's side: the RSA key pair and opening a submission.

ODK Collect encrypts each finalised submission on the phone to the RSA public key the form
carries (``base64RsaPublicKey``), as the ODK XForms encryption specification says
(docs/odk.md, "The encrypted submission"):

- a fresh 256-bit AES key per submission, encrypted with RSA-OAEP (SHA-256); the MGF1 digest
  is SHA-256 from Collect and SHA-1 from Enketo, so both are tried;
- every file (media first, then ``submission.xml``) in AES-256-CFB (128-bit feedback) with
  PKCS#7 padding, each under its own IV: the MD5 of ``instanceID || key`` as a 16-byte seed,
  whose byte ``i mod 16`` is incremented by one before file ``i`` uses it;
- an "element signature": the MD5 of a fixed list of lines (form id, version, encrypted key,
  instance id, then ``name::md5-hex`` of each original file), RSA-OAEP encrypted. Made with
  the public key, it proves only that nothing was changed or left out after the phone made
  it, not who made it.

Nothing here writes anything: files come in as bytes and go out as bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from app.crypto.errors import CryptoError

RSA_BITS = 2048  # what ODK's documentation makes with OpenSSL, and what Collect is tested with
AES_KEY_BYTES = 32
BLOCK = 16
XML_NAME = "submission.xml"
ENC_SUFFIX = ".enc"
MAX_FILE = 16 * 1024 * 1024  # one encrypted file; the route's request limit is lower still


class SubmissionDoesNotOpen(CryptoError):
    """The encrypted submission does not open, or its signature does not hold."""


def generate_rsa_key() -> tuple[bytes, bytes]:
    """A new RSA key pair: (private key as PKCS#8 DER, public key as SubjectPublicKeyInfo DER)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def rsa_public_of(private_der: bytes) -> bytes:
    key = _private(private_der)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _private(private_der: bytes) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_der_private_key(private_der, password=None)
    except ValueError:
        raise CryptoError("not an RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CryptoError("not an RSA private key")
    return key


def _oaep(mgf: hashes.HashAlgorithm) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=mgf), algorithm=hashes.SHA256(), label=None)


def _rsa_open(key: rsa.RSAPrivateKey, ciphertext: bytes) -> bytes:
    # Collect (Android, "RSA/NONE/OAEPWithSHA256AndMGF1Padding") uses SHA-256 for MGF1 too;
    # Enketo's encryptor uses SHA-1 there, as Java's own provider does.
    for mgf in (hashes.SHA256(), hashes.SHA1()):  # noqa: S303 - OAEP's mask function, as ODK's format fixes it
        try:
            return key.decrypt(ciphertext, _oaep(mgf))
        except ValueError:
            continue
    raise SubmissionDoesNotOpen("the encrypted key does not open with this station's key")


def file_ivs(instance_id: str, aes_key: bytes, count: int) -> list[bytes]:
    """The IV of each of ``count`` files, in the order they were encrypted."""
    seed = bytearray(hashlib.md5(instance_id.encode() + aes_key, usedforsecurity=False).digest())
    ivs = []
    for n in range(count):
        seed[n % BLOCK] = (seed[n % BLOCK] + 1) % 256
        ivs.append(bytes(seed))
    return ivs


def _decrypt_file(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) > MAX_FILE:
        raise SubmissionDoesNotOpen("an encrypted file is empty or too large")
    decryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(BLOCK * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise SubmissionDoesNotOpen("an encrypted file does not open with its key") from None


def signature_source(form_id: str, version: str | None, encrypted_key_b64: str, instance_id: str,
                     files: Sequence[tuple[str, bytes]]) -> bytes:
    """The lines the element signature is the MD5 of; ``files``: (original name, clear bytes),
    media first and ``submission.xml`` last, as encrypted."""
    lines = [form_id, *([version] if version else []), encrypted_key_b64, instance_id]
    lines += [f"{name}::{hashlib.md5(data, usedforsecurity=False).hexdigest()}" for name, data in files]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class EncryptedSubmission:
    """What the manifest says, and the encrypted files named in it (media, then the XML)."""

    form_id: str
    version: str | None
    instance_id: str
    encrypted_key_b64: str
    signature_b64: str | None
    media: tuple[tuple[str, bytes], ...]  # (name as sent, ending in .enc; encrypted bytes)
    xml: bytes  # encrypted submission.xml


@dataclass(frozen=True)
class OpenedSubmission:
    xml: bytes  # the clear instance: kept in memory only by the caller
    media: tuple[tuple[str, bytes], ...]  # (original name, clear bytes)


def open_submission(private_der: bytes, sub: EncryptedSubmission, *,
                    require_signature: bool = True) -> OpenedSubmission:
    """Decrypt every file and check the element signature; :class:`SubmissionDoesNotOpen` if any
    part does not open or does not match."""
    key = _private(private_der)
    try:
        encrypted_key = base64.b64decode(sub.encrypted_key_b64, validate=True)
        signature = (base64.b64decode(sub.signature_b64, validate=True)
                     if sub.signature_b64 is not None else None)
    except (binascii.Error, ValueError):
        raise SubmissionDoesNotOpen("the manifest's key or signature is not base64") from None
    aes_key = _rsa_open(key, encrypted_key)
    if len(aes_key) != AES_KEY_BYTES:
        raise SubmissionDoesNotOpen("the submission's key is not an AES-256 key")
    ivs = file_ivs(sub.instance_id, aes_key, len(sub.media) + 1)
    media = []
    for (name, data), iv in zip(sub.media, ivs, strict=False):
        if not name.endswith(ENC_SUFFIX):
            raise SubmissionDoesNotOpen("an encrypted media file's name does not end in .enc")
        media.append((name[: -len(ENC_SUFFIX)], _decrypt_file(aes_key, iv, data)))
    xml = _decrypt_file(aes_key, ivs[-1], sub.xml)
    if signature is None:
        if require_signature:
            raise SubmissionDoesNotOpen("the submission has no signature")
    else:
        expected = hashlib.md5(signature_source(sub.form_id, sub.version, sub.encrypted_key_b64,
                                                sub.instance_id, [*media, (XML_NAME, xml)]),
                               usedforsecurity=False).digest()
        if not hmac.compare_digest(_rsa_open(key, signature), expected):
            raise SubmissionDoesNotOpen("the submission's signature does not match its files")
    return OpenedSubmission(xml=xml, media=tuple(media))
