"""Central's identity on the wire: host certificates, key statements and the signed referral
directory (pure).

Central's identity key (Ed25519, held only in custodians' key slots) never signs
an answer itself. It certifies each central host's service key (a *host
certificate*: host name, public key, validity) and signs each record key
(a *record-key statement*). A host signs its answers with its service key and
puts its certificate into the signed payload (``host_certificate``), so a
station that learned the identity key at enrolment checks: the certificate
under the identity key, then the answer under the certified key. See docs/keys.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.crypto import CryptoError, key_id, sign
from app.protocol.messages import ProtocolError, b64, canonical, open_statement, unb64

HOST_CERT_KIND = "tip-screen-host-certificate"
RECORD_KEY_KIND = "tip-screen-record-key"
FACTS_KEY_KIND = "tip-screen-facts-key"
DIRECTORY_KIND = "tip-screen-referral-directory"
FORMAT = 1


def _time(text: object, what: str) -> datetime:
    if not isinstance(text, str):
        raise ProtocolError(f"{what} missing")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(f"{what} is not a time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _signed(payload: dict[str, Any], private_key: bytes) -> dict[str, Any]:
    return {"payload": payload, "signature": b64(sign(private_key, canonical(payload)))}


def _opened(message: object, public_key: bytes, kind: str) -> dict[str, Any]:
    try:
        payload = open_statement(message, public_key)
    except CryptoError:
        raise ProtocolError("statement signature does not verify") from None
    if payload.get("kind") != kind or payload.get("v") != FORMAT:
        raise ProtocolError(f"not a {kind}")
    return payload


# -- host certificates --------------------------------------------------------------

def make_host_certificate(identity_private: bytes, host: str, host_public: bytes,
                          issued_at: datetime, not_after: datetime) -> dict[str, Any]:
    return _signed({"v": FORMAT, "kind": HOST_CERT_KIND, "host": host, "public_key": b64(host_public),
                    "issued_at": issued_at.isoformat(timespec="seconds"),
                    "not_after": not_after.isoformat(timespec="seconds")}, identity_private)


def certified_key(certificate: object, identity_public: bytes, now: datetime) -> bytes:
    """The host key a certificate vouches for, if the identity key signed it and it has
    not expired (by this machine's clock); else :class:`ProtocolError`."""
    payload = _opened(certificate, identity_public, HOST_CERT_KIND)
    public = unb64(payload.get("public_key"), "host key", max_len=100)
    if len(public) != 32:
        raise ProtocolError("host key must be 32 bytes")
    if now > _time(payload.get("not_after"), "not_after"):
        raise ProtocolError("the host certificate has expired")
    return public


def sign_as_host(payload: dict[str, Any], host_private: bytes,
                 certificate: dict[str, Any] | None) -> dict[str, Any]:
    """A signed statement by a central host: its certificate travels inside the payload.
    ``certificate`` None: signed by the identity key itself (a central not yet upgraded)."""
    body = dict(payload)
    if certificate is not None:
        body["host_certificate"] = certificate
    return _signed(body, host_private)


def answer_key(message: object, identity_public: bytes, now: datetime) -> bytes:
    """The key that must have signed this central answer: the certified host key when the
    payload carries a certificate, else the identity key itself."""
    payload = message.get("payload") if isinstance(message, dict) else None
    certificate = payload.get("host_certificate") if isinstance(payload, dict) else None
    if certificate is None:
        return identity_public
    return certified_key(certificate, identity_public, now)


def open_central_statement(message: object, identity_public: bytes, now: datetime) -> dict[str, Any]:
    """A statement signed by a host central's identity key certified (or by that key)."""
    try:
        return open_statement(message, answer_key(message, identity_public, now))
    except CryptoError:
        raise ProtocolError("statement signature does not verify") from None


# -- record keys ------------------------------------------------------------------------

def make_record_key_statement(identity_private: bytes, record_public: bytes,
                              since: datetime) -> dict[str, Any]:
    """The identity key's word that this X25519 key is central's record key from ``since``."""
    return _signed({"v": FORMAT, "kind": RECORD_KEY_KIND, "central_public_key": b64(record_public),
                    "central_key_id": key_id(record_public),
                    "since": since.isoformat()}, identity_private)


def open_record_key_statement(statement: object, identity_public: bytes) -> tuple[bytes, str, datetime]:
    """(public key, key id, since) from a record-key statement the identity key signed."""
    payload = _opened(statement, identity_public, RECORD_KEY_KIND)
    public = unb64(payload.get("central_public_key"), "central key", max_len=100)
    try:
        ident = key_id(public)
    except CryptoError:
        raise ProtocolError("central key must be 32 bytes") from None
    if payload.get("central_key_id") != ident:
        raise ProtocolError("the key id does not name the key")
    return public, ident, _time(payload.get("since"), "since")


# -- the facts key ------------------------------------------------------------------------

def make_facts_key_statement(identity_private: bytes, facts_public: bytes,
                             since: datetime) -> dict[str, Any]:
    """The identity key's word that this X25519 key is central's facts key from ``since``:
    a host key alone cannot make a station seal facts to another key."""
    return _signed({"v": FORMAT, "kind": FACTS_KEY_KIND, "facts_public_key": b64(facts_public),
                    "facts_key_id": key_id(facts_public), "since": since.isoformat()}, identity_private)


def open_facts_key_statement(statement: object, identity_public: bytes) -> tuple[bytes, str]:
    """(public key, key id) from a facts-key statement the identity key signed."""
    payload = _opened(statement, identity_public, FACTS_KEY_KIND)
    public = unb64(payload.get("facts_public_key"), "facts key", max_len=100)
    try:
        ident = key_id(public)
    except CryptoError:
        raise ProtocolError("facts key must be 32 bytes") from None
    if payload.get("facts_key_id") != ident:
        raise ProtocolError("the key id does not name the key")
    return public, ident


# -- the referral directory --------------------------------------------------------------

def make_directory_statement(identity_private: bytes, version: int, issued_at: datetime,
                             organisations: list[dict[str, Any]]) -> dict[str, Any]:
    """The identity key's word that this is central's referral directory, version ``version``
    (docs/referrals.md). Signed by the identity key itself, like the record key: a host key
    cannot make stations print another organisation's telephone number."""
    return _signed({"v": FORMAT, "kind": DIRECTORY_KIND, "version": version,
                    "issued_at": issued_at.isoformat(timespec="seconds"),
                    "organisations": organisations}, identity_private)


def open_directory_statement(statement: object, identity_public: bytes) -> dict[str, Any]:
    """The payload of a directory statement the identity key signed (its version an integer
    of 1 or more, its organisations a list); else :class:`ProtocolError`."""
    payload = _opened(statement, identity_public, DIRECTORY_KIND)
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProtocolError("the directory version is not a whole number of 1 or more")
    if not isinstance(payload.get("organisations"), list):
        raise ProtocolError("the directory has no list of organisations")
    _time(payload.get("issued_at"), "issued_at")
    return payload
