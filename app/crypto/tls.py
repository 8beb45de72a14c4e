"""The station's own TLS certificate: self-signed, checked by a person by its fingerprint.

Phones on the station's local network reach it over HTTPS. No authority can vouch for a
laptop at a border post, so the certificate signs itself and the officer compares its
SHA-256 fingerprint (shown on the Accounts page and by ``run.py``) with what the phone's
browser shows. The key only protects that connection: it opens no record.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.crypto.errors import CryptoError

__all__ = ["certificate_fingerprint", "self_signed_certificate"]

VALID_DAYS = 10 * 365  # a station lives years; the person's check is the fingerprint, not a date


def self_signed_certificate(name: str, addresses: list[str]) -> tuple[bytes, bytes]:
    """(certificate PEM, unencrypted PKCS#8 private key PEM) for ``addresses`` (IPs or names).

    ECDSA P-256: every phone browser speaks it, and it is small and quick to make."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64] or "tip-screen")])
    alt: list[x509.GeneralName] = []
    for address in dict.fromkeys(addresses):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            alt.append(x509.DNSName(address))
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))  # a phone whose clock is a bit behind
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
    )
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def certificate_fingerprint(cert: bytes) -> str:
    """SHA-256 of the DER certificate in colon hex (``3F:A1:...``), as browsers show it.

    ``cert`` may be PEM or DER."""
    try:
        der = (x509.load_pem_x509_certificate(cert) if cert.lstrip().startswith(b"-----")
               else x509.load_der_x509_certificate(cert)).public_bytes(serialization.Encoding.DER)
    except ValueError as exc:
        raise CryptoError(f"not a certificate: {exc}") from None
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
