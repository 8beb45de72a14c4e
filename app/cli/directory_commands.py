"""The referral directory on the command line: carry central's signed directory to a station
that has no connection (docs/referrals.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import installation, referrals
from app.services.central import directory as central_directory
from app.services.errors import ServiceError

directory_group = AppGroup("directory",
                           help="The referral directory: signed at central, carried to stations.")


def _role(wanted: str) -> None:
    if not installation.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    role = current_app.config["TIP"].role
    if role != wanted:
        raise click.ClickException(f"This command is for the {wanted} role; this installation is {role}.")


@directory_group.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def export_command(path: Path) -> None:
    """Central: write the newest signed directory to a file for 'flask directory import'."""
    _role("central")
    try:
        data = central_directory.export_file()
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    path.write_bytes(data)
    click.echo(f"Wrote referral directory version {central_directory.current_version()} to {path}.")


@directory_group.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def import_command(path: Path) -> None:
    """Station: take a directory file (or a bundle answer file) signed by this station's central."""
    _role("station")
    try:
        version = referrals.take_file(path.read_bytes())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Took referral directory version {version} from {path}.")
