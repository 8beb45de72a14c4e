"""``flask audit ...``: check central's audit log, export signed checkpoints, print the PostgreSQL grants."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli.common import cli_actor
from app.services import installation
from app.services.central import audit, audit_grants
from app.services.central import host as central_host
from app.services.errors import ServiceError

audit_group = AppGroup("audit", help="Central: the audit log (verify, checkpoint, grants).")


def _central() -> None:
    if not installation.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    if current_app.config["TIP"].role != "central":
        raise click.ClickException("The audit log is central's; this installation is a station.")


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint_path", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="A file from 'flask audit checkpoint': its entry must still be there.")
def verify_command(checkpoint_path: Path | None) -> None:
    """Check every entry's link, hash and MAC (exit status 1 if anything does not fit)."""
    _central()
    checkpoint = None
    if checkpoint_path is not None:
        try:
            checkpoint = audit.read_checkpoint(checkpoint_path.read_bytes()[: audit.MAX_CHECKPOINT_BYTES + 1])
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    check = audit.check_chain(checkpoint)
    if not check.ok:
        click.echo(f"BROKEN: {check.explanation}. {check.entries} entries read.", err=True)
        click.echo("Keep a copy of the database as it is now and of every checkpoint file.", err=True)
        sys.exit(1)
    click.echo(f"OK: {check.entries} entries, each linked to the one before and authenticated.")
    if checkpoint is not None:
        click.echo(f"Checkpoint of {checkpoint.made_at} (entry {checkpoint.entry_id}, signed by "
                   f"{checkpoint.signing_key}): the entry is there, unchanged.")
        if check.entries > checkpoint.entry_id:
            added = check.entries - checkpoint.entry_id
            click.echo(f"{added} entries were added since; make a new checkpoint.")


@audit_group.command("checkpoint")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True), default="-")
def checkpoint_command(path: Path) -> None:
    """Write the signed chain head to PATH (default: standard output). Keep it off this server."""
    _central()
    try:
        key = central_host.current()  # this host's certified service key (docs/keys.md)
        assert key.private_key is not None  # noqa: S101 - current() always has it
        document = audit.make_checkpoint(key.private_key, key.certificate)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    if str(path) == "-":
        click.echo(document.decode("utf-8"), nl=False)
        return
    try:
        with path.open("xb") as fh:  # never overwrite an earlier checkpoint
            fh.write(document)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; checkpoints are never overwritten.") from None
    click.echo(f"Checkpoint written to {path}. Copy it off this server.", err=True)


@audit_group.command("grants")
@click.argument("role")
def grants_command(role: str) -> None:
    """Print the PostgreSQL grants for the web tier's ROLE: audit rows INSERT and SELECT only."""
    _central()
    try:
        click.echo(audit_grants.grants_sql(role), nl=False)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@audit_group.command("seal-legacy")
def seal_legacy_command() -> None:
    """Once, after upgrading to MACs: authenticate the entries written before (run as the table owner)."""
    _central()
    try:
        count = audit.seal_legacy(cli_actor())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Sealed {count} entries." if count else "Every entry already has a MAC; nothing to do.")
