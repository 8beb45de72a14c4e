"""Cross-border referral packages on the command line (docs/referral-package.md): the receiving
side makes its key pair and opens the packages central sends it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup

from app.services.central import packages

referral_group = AppGroup("referral", help="Cross-border referral packages: make a key pair, open a package.")


@referral_group.command("keygen")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def keygen_command(path: Path) -> None:
    """Make a key pair for receiving packages: the private key goes to PATH (readable by you
    only); the public key and fingerprint printed are what central's directory records."""
    if path.exists():
        raise click.ClickException(f"{path} exists already; nothing was written.")
    private, public, fp = packages.new_receiver_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(private + "\n")
    click.echo(f"public key: {public}")
    click.echo(f"fingerprint: {fp}")


@referral_group.command("open")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--key", "key_path", required=True,
              type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The receiving organisation's private key (base64, as 'referral keygen' wrote it).")
@click.option("--signer", required=True, help="Central's signing fingerprint, as central gave it to you "
              "(its case page shows it): the package is refused if another key signed it.")
def open_command(path: Path, key_path: Path, signer: str) -> None:
    """Check a package's signature and open it with the receiving side's key (prints JSON)."""
    try:
        key = packages.read_private_key(key_path.read_text(encoding="ascii", errors="replace"))
        opened = packages.open_package(path.read_bytes(), key)
    except packages.PackageRefused as exc:
        raise click.ClickException(f"{exc} ({key_path if 'private key' in str(exc) else path})") from None
    if not packages.signer_matches(opened, signer):
        raise click.ClickException(f"The package was signed by {opened.header.get('signer_fingerprint')}, "
                                   f"not by {signer.strip()}: it is refused.")
    click.echo(json.dumps({"from": opened.header.get("from"),
                           "signed_by": opened.header.get("signer_fingerprint"),
                           **opened.content}, indent=2, ensure_ascii=False))
