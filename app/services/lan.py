"""The station on the local network: its HTTPS certificate and the address phones open.

``run.py --host`` with an address other than this computer's loopback serves HTTPS only
(plain HTTP stays for 127.0.0.1, see :mod:`app.serve_https`). The certificate is made on
the first such start and kept in ``instance/``; an officer checks a phone reached the
real laptop by comparing its SHA-256 fingerprint with the one on the Accounts page.
Nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.crypto import certificate_fingerprint, self_signed_certificate
from app.services.private_file import write_private

CERT_FILE = "station-tls-cert.pem"
KEY_FILE = "station-tls-key.pem"  # mode 0600: it protects the connection, it opens no record
SERVING = "tip_serving"  # app.extensions key: how this process is being served
WILDCARDS = ("", "0.0.0.0", "::")  # noqa: S104 - names of "every address", compared, not bound


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str


@dataclass(frozen=True)
class Serving:
    """Where this process listens, set by app/serve.py (absent under the test client)."""

    host: str
    port: int
    tls: bool
    fingerprint: str | None = None


def ensure_certificate(instance_path: Path, host: str) -> Certificate:
    """The station's certificate and key in ``instance_path``, made now if missing."""
    cert_path, key_path = instance_path / CERT_FILE, instance_path / KEY_FILE
    if not (cert_path.is_file() and key_path.is_file()):
        cert, key = self_signed_certificate("tip-screen station",
                                            [*lan_addresses(host), "127.0.0.1", "localhost"])
        instance_path.mkdir(parents=True, exist_ok=True)
        write_private(key_path, key)
        write_private(cert_path, cert)  # not secret; 0600 does no harm
    with contextlib.suppress(OSError):
        key_path.chmod(0o600)  # a key copied back from a backup with looser bits
    return Certificate(cert_path, key_path, certificate_fingerprint(cert_path.read_bytes()))


def lan_addresses(host: str) -> list[str]:
    """The addresses a phone can use for ``host``: itself, or for a wildcard this computer's
    non-loopback addresses (found without sending anything: a UDP connect only picks a route)."""
    if host not in WILDCARDS:
        return [host]
    found: list[str] = []
    families = [(socket.AF_INET, "192.0.2.1")]
    if host == "::":  # IPv6's wildcard takes IPv4 too (dual stack), 0.0.0.0 only IPv4
        families.append((socket.AF_INET6, "2001:db8::1"))
    for family, probe in families:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((probe, 9))  # no packet leaves: this only asks the routing table
            found.append(s.getsockname()[0])
    if not found:  # no route at all (a hotspot without a gateway): what the name says
        with contextlib.suppress(OSError):
            found.extend(socket.gethostbyname_ex(socket.gethostname())[2])
    return [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]


def url(address: str, port: int) -> str:
    return f"https://[{address}]:{port}/" if ":" in address else f"https://{address}:{port}/"


def serving() -> Serving | None:
    found: Serving | None = current_app.extensions.get(SERVING)
    return found


def phone_address() -> tuple[str, str] | None:
    """(the https address a phone opens, the certificate's fingerprint), or None when this
    process does not serve the local network."""
    now = serving()
    if now is None or not now.tls or not now.fingerprint:
        return None
    addresses = lan_addresses(now.host)
    if not addresses:
        return None
    return url(addresses[0], now.port), now.fingerprint
