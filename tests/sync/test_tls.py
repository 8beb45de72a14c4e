"""TLS between station and central: certificates are verified by default; a self-signed
central can be pinned by its certificate's SHA-256, and then only that certificate will do.

Central is served over real HTTPS (werkzeug's server with an ssl context) on 127.0.0.1,
with certificates made here: one from a throw-away CA, one self-signed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from werkzeug.serving import make_server

from app.extensions import db
from app.models import RecordState
from app.services import installation
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
                 issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, not_before: datetime | None = None,
                 not_after: datetime | None = None) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or now - timedelta(minutes=5))
               .not_valid_after(not_after or now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False,
            decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA and a server certificate it signed; and a self-signed one. Paths to PEM files."""
    out = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("tip-screen test CA", ca_key, "tip-screen test CA", ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", server_key, "tip-screen test CA", ca_key, ca=False)
    self_key = ec.generate_private_key(ec.SECP256R1())
    self_signed = _certificate("127.0.0.1", self_key, "127.0.0.1", self_key, ca=False)
    files = {"ca": _pem(ca), "server": _pem(server), "server_key": _key_pem(server_key),
             "self": _pem(self_signed), "self_key": _key_pem(self_key)}
    paths = {}
    for name, data in files.items():
        paths[name] = out / f"{name}.pem"
        paths[name].write_bytes(data)
    return paths


@contextmanager
def https(app: Flask, cert: Path, key: Path) -> Iterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, name="tip-https", daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _sha256_of(cert: Path, *, colons: bool = False) -> str:
    der = x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2)).upper() if colons else digest


def _sync_is_refused(central, station, cert: Path, key: Path, why: str) -> None:
    """Central served with this certificate: the station's sync fails and marks nothing."""
    more = station.finalised(1)
    with https(central.app, cert, key) as url:
        with station.ctx():
            installation.get().central_url = url
            db.session.commit()
            with pytest.raises(SyncFailed, match=why):
                sync_client.sync()
    assert station.records()[more[0]].state is RecordState.FINAL
    assert more[0] not in central.received()


def test_an_unknown_certificate_is_refused_by_default(central, station, certificates, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    before = central.counts()
    with https(central.app, certificates["self"], certificates["self_key"]) as url:
        with station.ctx(), pytest.raises(SyncFailed, match="could not be verified"):
            sync_client.enrol(url, central.code())
    # Same for a certificate from a CA this computer does not trust.
    with https(central.app, certificates["server"], certificates["server_key"]) as url:
        with station.ctx(), pytest.raises(SyncFailed, match="could not be verified"):
            sync_client.enrol(url, central.code())
    with station.ctx():
        assert sync_client.status()["enrolled"] is False
    assert central.counts() == before  # nothing reached central's database


def test_a_trusted_certificate_is_accepted_and_checked_on_every_request(central, station, certificates,
                                                                         monkeypatch):
    # The station trusts the test CA (as a deployment would with a real one).
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["ca"]))
    with https(central.app, certificates["server"], certificates["server_key"]) as url:
        with station.ctx():
            sync_client.enrol(url, central.code())
        ids = station.finalised(2)
        with station.ctx():
            summary = sync_client.sync()
        assert summary.marked_synced == 2
    assert set(central.received()) == set(ids)
    # The same central behind a certificate the station does not trust: nothing is sent.
    _sync_is_refused(central, station, certificates["self"], certificates["self_key"], "could not be verified")


def test_a_pinned_self_signed_certificate_and_only_that_one(central, station, certificates, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    before = central.counts()
    with https(central.app, certificates["self"], certificates["self_key"]) as url:
        # A pin for another certificate: refused before anything is sent.
        with station.ctx(), pytest.raises(SyncFailed, match="does not match the pinned"):
            sync_client.enrol(url, central.code(), tls_pin=_sha256_of(certificates["server"]))
        assert central.counts() == before
        # The right pin, written as browsers show it (colons, capitals).
        with station.ctx():
            sync_client.enrol(url, central.code(), tls_pin=_sha256_of(certificates["self"], colons=True))
            assert sync_client.status()["enrolled"] is True
        ids = station.finalised(2)
        with station.ctx():
            assert sync_client.sync().marked_synced == 2
    assert set(central.received()) == set(ids)
    # Central's certificate changes (or someone stands in between): the pin no longer matches.
    _sync_is_refused(central, station, certificates["server"], certificates["server_key"],
                     "does not match the pinned")
