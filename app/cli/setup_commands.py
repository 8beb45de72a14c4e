from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.cli.common import read_passphrase
from app.config import ROLES, set_role
from app.services import installation, setup
from app.services.errors import ServiceError


@click.command("init")
@click.option("--station-name", "name", required=True, help="Name of this station or server.")
@click.option("--role", type=click.Choice(ROLES), default=None,
              help="station (default) or central. Written to instance/config.toml.")
@click.option("--admin", "admin", required=True, help="Username of the first administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the passphrase from stdin.")
@with_appcontext
def init_command(name: str, role: str | None, admin: str, password_stdin: bool) -> None:
    """Set up this installation: database, name, role and first administrator."""
    cfg = current_app.config["TIP"]
    upgrade()
    if installation.is_set_up():
        raise click.ClickException("This installation is already set up; nothing was changed.")
    if role and role != cfg.role:
        set_role(cfg.instance_path, role)
        current_app.config["TIP"] = cfg = cfg.with_overrides(role=role)
    passphrase = read_passphrase(password_stdin)
    try:
        inst = setup.initialise(name, admin, passphrase)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"Set up {inst.role} '{inst.name}' with administrator '{admin}'.")
