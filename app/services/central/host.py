"""Central: this host's service signing key, certified by central's identity key.

Receipts and signed answers must be made at any hour, with no custodian logged in,
so they are signed by a key that lives on the host: ``instance/central-host-key.json``
(mode 0600) holds the raw Ed25519 private key and the certificate the identity key
gave it (host name, public key, validity). A stolen host key signs receipts and
updates until its certificate expires, but it cannot change central's record key
(stations take a record key only under the identity key's own signature) and it
does not open a single record. ``flask --app app keys certify-host`` (a custodian's
passphrase) makes or renews it; first-run setup does it for the first host.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import generate_signing_key
from app.models.types import utcnow
from app.protocol.identity import make_host_certificate, sign_as_host
from app.protocol.messages import ProtocolError, b64, unb64
from app.services import installation
from app.services.central import audit
from app.services.central import keys as central_keys
from app.services.errors import HostNotCertified
from app.services.private_file import write_private

HOST_FILE = "central-host-key.json"
VALIDITY = timedelta(days=365)
NOT_CERTIFIED = _l("This central server has no valid signing key. Run 'flask --app app keys certify-host' "
                   "with a coordinator's or administrator's passphrase.")


@dataclass(frozen=True)
class HostKey:
    host: str
    private_key: bytes | None  # None only in what ``status`` reports
    certificate: dict[str, Any] | None  # None: a legacy installation, signing with its old key
    not_after: datetime | None


def _path() -> Path:
    return Path(current_app.instance_path) / HOST_FILE


def default_host_name() -> str:
    return socket.gethostname()[:120] or "central"


def certify_host(custody: bytes, *, host: str | None = None, username: str | None) -> HostKey:
    """A new service key for this host, certified by the identity key (which the custody
    key opens), written to the instance folder readable by this user only. Audited, except
    at first-run setup (``username`` None), which is where the log begins."""
    name = (host or default_host_name()).strip()[:120]
    identity = central_keys.identity_private(custody)
    private, public = generate_signing_key()
    now = utcnow()
    certificate = make_host_certificate(identity, name, public, now, now + VALIDITY)
    facts = {ident: b64(key) for ident, key in central_keys.facts_private_keys(custody).items()}
    _write({"host": name, "private_key": b64(private), "certificate": certificate, "facts_keys": facts})
    if username is not None:
        audit.record(username, audit.HOST_CERTIFY,
                     detail=f"host {name}, until {(now + VALIDITY):%Y-%m-%d}")
    return HostKey(name, private, certificate, now + VALIDITY)


def _write(data: dict[str, Any]) -> None:
    write_private(_path(), json.dumps(data).encode())


def _read() -> HostKey | None:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
        private = unb64(data["private_key"], "host key", max_len=100)
        certificate = data["certificate"]
        not_after = datetime.fromisoformat(certificate["payload"]["not_after"])
        return HostKey(str(data["host"]), private, certificate, not_after)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, ProtocolError):
        raise HostNotCertified(NOT_CERTIFIED) from None


def _file() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_path().read_text(encoding="utf-8"))
    return loaded


def facts_private(ident: str) -> bytes | None:
    """This host's copy of central's facts key with that id (None: the host lacks it; a
    custodian's next login here gives it). Read at ingest, with no one logged in."""
    try:
        encoded = _file().get("facts_keys", {}).get(ident)
        return None if encoded is None else unb64(encoded, "facts key", max_len=100)
    except (OSError, ValueError, AttributeError, ProtocolError):
        return None


def hold_facts_keys(keys: dict[str, bytes]) -> None:
    """Add the facts keys this host's file lacks (a certified host only; mode 0600)."""
    try:
        data = _file()
    except (OSError, ValueError):
        return  # no host file yet: certify_host writes the keys with it
    held = data.get("facts_keys") if isinstance(data.get("facts_keys"), dict) else {}
    if all(ident in held for ident in keys):
        return
    data["facts_keys"] = {**held, **{ident: b64(key) for ident, key in keys.items()}}
    _write(data)


def needs_certificate() -> bool:
    """This host has no certified service key (a damaged file is left for an operator)."""
    return not _path().exists()


def current() -> HostKey:
    """The key this host signs with: its certified service key, or, on an installation
    not yet moved to the key ring, the legacy signing key (which is the identity key)."""
    found = _read()
    if found is not None:
        return found
    legacy = central_keys.legacy_signing_key(installation.get_central())
    if legacy is not None:
        return HostKey(default_host_name(), legacy, None, None)
    raise HostNotCertified(NOT_CERTIFIED)


def signing_key() -> bytes:
    key = current().private_key
    assert key is not None  # noqa: S101 - current() always has it
    return key


def certificate() -> dict[str, Any] | None:
    return current().certificate


def sign(payload: dict[str, Any]) -> dict[str, Any]:
    """A statement signed by this host, carrying its certificate."""
    key = current()
    assert key.private_key is not None  # noqa: S101
    return sign_as_host(payload, key.private_key, key.certificate)
