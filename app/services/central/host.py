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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import generate_signing_key, signer
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


@dataclass(frozen=True)
class _Loaded:
    """The host file as read once: its raw data, the key and its loaded signer."""

    stamp: tuple[int, int, int, int]  # the file's device, inode, mtime and size when read
    data: dict[str, Any] | None  # None: not JSON (left for an operator, never rewritten)
    key: HostKey | None  # None: the file is damaged (HostNotCertified when asked)
    sign: Callable[[bytes], bytes] | None


# This process's copy of the host file, by path (in memory only, never written anywhere).
# Read again when the file changes: ``keys certify-host`` replaces it (a new inode) from
# another process, and every worker signs with the new key from its next request on.
_loaded: dict[Path, _Loaded] = {}


def _load() -> _Loaded | None:
    """The host file (None: there is none), read and parsed once per version of it."""
    path = _path()
    try:
        found = path.stat()
    except FileNotFoundError:
        _loaded.pop(path, None)
        return None
    stamp = (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size)
    cached = _loaded.get(path)
    if cached is not None and cached.stamp == stamp:
        return cached
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # removed between the two looks
    except (OSError, ValueError):
        data = None
    key = _parse(data)
    loaded = _Loaded(stamp, data if isinstance(data, dict) else None, key,
                     signer(key.private_key) if key is not None and key.private_key else None)
    _loaded[path] = loaded
    return loaded


def _parse(data: Any) -> HostKey | None:
    try:
        private = unb64(data["private_key"], "host key", max_len=100)
        if len(private) != 32:
            return None
        certificate = data["certificate"]
        not_after = datetime.fromisoformat(certificate["payload"]["not_after"])
        return HostKey(str(data["host"]), private, certificate, not_after)
    except (ValueError, KeyError, TypeError, ProtocolError):
        return None


def _read() -> HostKey | None:
    loaded = _load()
    if loaded is None:
        return None
    if loaded.key is None:
        raise HostNotCertified(NOT_CERTIFIED)
    return loaded.key


def _file() -> dict[str, Any]:
    loaded = _load()
    if loaded is None:
        raise FileNotFoundError(str(_path()))
    if loaded.data is None:
        raise ValueError("the host file is not JSON")
    return dict(loaded.data)  # a copy: the cached one is never changed in place


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
    found = data.get("facts_keys")
    held: dict[str, str] = found if isinstance(found, dict) else {}
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


def signer_and_certificate() -> tuple[Callable[[bytes], bytes], dict[str, Any] | None]:
    """This host's signing function with its key loaded once per process (and again after
    ``keys certify-host``), and the certificate to send beside what it signs: for receipts
    statements, made for every answer."""
    loaded = _load()
    if loaded is not None and loaded.sign is not None and loaded.key is not None:
        return loaded.sign, loaded.key.certificate
    key = current()  # a legacy installation (its old signing key), or HostNotCertified
    assert key.private_key is not None  # noqa: S101 - current() always has it
    return signer(key.private_key), key.certificate


def certificate() -> dict[str, Any] | None:
    return current().certificate


def sign(payload: dict[str, Any]) -> dict[str, Any]:
    """A statement signed by this host, carrying its certificate."""
    key = current()
    assert key.private_key is not None  # noqa: S101
    return sign_as_host(payload, key.private_key, key.certificate)
