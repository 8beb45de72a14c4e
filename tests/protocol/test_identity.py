"""Central's identity on the wire: host certificates, record-key statements, the fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.crypto import generate_signing_key, generate_x25519, identity_fingerprint, key_id
from app.protocol.identity import (
    answer_key,
    certified_key,
    make_host_certificate,
    make_record_key_statement,
    open_central_statement,
    open_record_key_statement,
    sign_as_host,
)
from app.protocol.messages import ProtocolError, sign_statement

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_identity_fingerprint_known_answer():
    # SHA-256("tip-screen/v1/central-identity" 00 || 00..1f || 20..3f), first 80 bits, base32.
    assert identity_fingerprint(bytes(range(32)), bytes(range(32, 64))) == "NSAE-NUCW-NMKE-SFMY"
    assert identity_fingerprint(bytes(range(32, 64)), bytes(range(32))) != "NSAE-NUCW-NMKE-SFMY"


def test_a_host_signs_under_the_identity_keys_certificate():
    identity, identity_public = generate_signing_key()
    host, host_public = generate_signing_key()
    certificate = make_host_certificate(identity, "central-1", host_public, NOW, NOW + timedelta(days=365))
    assert certified_key(certificate, identity_public, NOW) == host_public
    message = sign_as_host({"hello": "station"}, host, certificate)
    assert open_central_statement(message, identity_public, NOW)["hello"] == "station"
    assert answer_key(message, identity_public, NOW) == host_public

    other, other_public = generate_signing_key()
    with pytest.raises(ProtocolError):  # a certificate from another identity
        open_central_statement(message, other_public, NOW)
    with pytest.raises(ProtocolError, match="expired"):
        certified_key(certificate, identity_public, NOW + timedelta(days=366))
    forged = sign_as_host({"hello": "station"}, other, certificate)  # signed by an uncertified key
    with pytest.raises(ProtocolError):
        open_central_statement(forged, identity_public, NOW)
    # A statement the identity key signed itself (a central before the key ring) is accepted.
    legacy = sign_statement({"hello": "station"}, identity)
    assert open_central_statement(legacy, identity_public, NOW) == {"hello": "station"}
    # A record-key statement is not a host certificate.
    _, record_public = generate_x25519()
    with pytest.raises(ProtocolError):
        certified_key(make_record_key_statement(identity, record_public, NOW), identity_public, NOW)


def test_record_key_statements_are_the_identity_keys_own():
    identity, identity_public = generate_signing_key()
    _, record_public = generate_x25519()
    statement = make_record_key_statement(identity, record_public, NOW)
    assert open_record_key_statement(statement, identity_public) == (record_public, key_id(record_public), NOW)
    host, _ = generate_signing_key()
    with pytest.raises(ProtocolError):
        open_record_key_statement(make_record_key_statement(host, record_public, NOW), identity_public)
    statement["payload"]["central_key_id"] = "0" * 16
    with pytest.raises(ProtocolError):
        open_record_key_statement(statement, identity_public)
