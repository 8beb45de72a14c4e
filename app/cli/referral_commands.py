"""Cross-border referral packages on the command line (docs/referral-package.md): the receiving
side makes its key pair and opens the packages central sends it."""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup

from app.crypto import fingerprint, generate_x25519
from app.services.central import packages

referral_group = AppGroup("referral", help="Cross-border referral packages: make a key pair, open a package.")


def _private_key(path: Path) -> bytes:
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        raise click.ClickException(f"{path} does not hold a base64 X25519 private key.") from None
    if len(key) != 32:
        raise click.ClickException(f"{path} does not hold a base64 X25519 private key.")
    return key


@referral_group.command("keygen")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def keygen_command(path: Path) -> None:
    """Make a key pair for receiving packages: the private key goes to PATH (readable by you
    only); the public key and fingerprint printed are what central's directory records."""
    if path.exists():
        raise click.ClickException(f"{path} exists already; nothing was written.")
    private, public = generate_x25519()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(base64.b64encode(private).decode("ascii") + "\n")
    click.echo(f"public key: {base64.b64encode(public).decode('ascii')}")
    click.echo(f"fingerprint: {fingerprint(public)}")


@referral_group.command("open")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--key", "key_path", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The receiving organisation's private key (base64, as 'referral keygen' wrote it).")
@click.option("--signer", required=True, help="Central's signing fingerprint, as central gave it to you "
              "(its case page shows it): the package is refused if another key signed it.")
def open_command(path: Path, key_path: Path, signer: str) -> None:
    """Check a package's signature and open it with the receiving side's key (prints JSON)."""
    try:
        opened = packages.open_package(path.read_bytes(), _private_key(key_path))
    except packages.PackageRefused as exc:
        raise click.ClickException(str(exc)) from None
    if opened.header.get("signer_fingerprint") != signer.strip().upper():
        raise click.ClickException(f"The package was signed by {opened.header.get('signer_fingerprint')}, "
                                   f"not by {signer.strip()}: it is refused.")
    if opened.header.get("signer_fingerprint") != fingerprint(
            base64.b64decode(str(opened.header.get("signer_public_key")))):
        raise click.ClickException("The package's signer fingerprint does not match its key: it is refused.")
    click.echo(json.dumps({"from": opened.header.get("from"), "signed_by": opened.header.get("signer_fingerprint"),
                           **opened.content}, indent=2, ensure_ascii=False))
