"""Central's keys from the command line: certify a host, rotate the record key, show them."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli.common import open_keys_as
from app.services import accounts, installation
from app.services.central import host as central_host
from app.services.central import keys as central_keys
from app.services.errors import ServiceError

keys_group = AppGroup("keys", help="Central: its identity key, record keys and hosts' signing keys.")


def custody_of(username: str | None, from_stdin: bool) -> tuple[str, bytes]:
    """A custodian's passphrase opens the custody key (and with it central's key ring)."""
    if not installation.is_set_up() or current_app.config["TIP"].role != "central":
        raise click.ClickException("This command is for a central installation that is set up.")
    name = username or accounts.first_admin_name()
    user, custody = open_keys_as(name, from_stdin, f"Passphrase of {name} (a coordinator or administrator)")
    if custody is None:
        raise click.ClickException(f"'{name}' holds no key slot: only coordinators and administrators do.")
    return user.username, custody


user_option = click.option("--user", "username", default=None,
                     help="The custodian whose passphrase unlocks the keys (default: first administrator).")
stdin_option = click.option("--password-stdin", is_flag=True, help="Read the passphrase from stdin.")


@keys_group.command("certify-host")
@click.option("--host", default=None, help="Name written into the certificate (default: this host's name).")
@user_option
@stdin_option
def certify_host(host: str | None, username: str | None, password_stdin: bool) -> None:
    """Give this host a new service signing key, certified by central's identity key."""
    name, custody = custody_of(username, password_stdin)
    try:
        made = central_host.certify_host(custody, host=host, username=name)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    until = f"{made.not_after:%Y-%m-%d}" if made.not_after else "?"
    click.echo(f"Host '{made.host}' certified until {until}; its key is in "
               f"{current_app.instance_path}/{central_host.HOST_FILE} (readable by this user only).")


@keys_group.command("rotate-record-key")
@user_option
@stdin_option
def rotate_record_key(username: str | None, password_stdin: bool) -> None:
    """A new record key: stations seal to it after their next pull; old records still open."""
    name, custody = custody_of(username, password_stdin)
    try:
        row = central_keys.rotate_record_key(custody, username=name)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"New record key {row.key_id}. Stations take it at their next pull.")
    click.echo(f"Central's fingerprint is now: {central_keys.public_fingerprint()}")


@keys_group.command("show")
def show_keys() -> None:
    """Central's fingerprint, record keys and this host's certificate (public facts only)."""
    if not installation.is_set_up() or current_app.config["TIP"].role != "central":
        raise click.ClickException("This command is for a central installation that is set up.")
    click.echo(f"Fingerprint: {central_keys.public_fingerprint()}")
    current_id = installation.get_central().central_key_id
    for row in central_keys.record_keys():
        state = "current" if row.key_id == current_id else f"retired {row.retired_at:%Y-%m-%d}"
        click.echo(f"Record key {row.key_id}  made {row.created_at:%Y-%m-%d}  {state}")
    try:
        made = central_host.current()
    except ServiceError as exc:
        click.echo(f"This host: {exc}")
        return
    if made.certificate is None:
        click.echo("This host: signing with the key from before the key ring (a custodian's next login "
                   "moves it; then run 'keys certify-host').")
    else:
        click.echo(f"This host: '{made.host}', certified until {made.not_after:%Y-%m-%d}")
