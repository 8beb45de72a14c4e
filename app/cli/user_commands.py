from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import read_passphrase
from app.roles import Role
from app.services import accounts, setup
from app.services.errors import ServiceError

users_group = AppGroup("users", help="Manage accounts.")


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the passphrase from stdin.")
def create(username: str, role: str, password_stdin: bool) -> None:
    """Create an account."""
    if not setup.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    passphrase = read_passphrase(password_stdin)
    try:
        user = accounts.create_user(username, role, passphrase)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"Created {user.role.value} '{user.username}'.")


@users_group.command("list")
def list_users() -> None:
    """List accounts (username, role, active)."""
    for user in accounts.list_users():
        click.echo(f"{user.username}\t{user.role.value}\t{'active' if user.active else 'off'}")


@users_group.command("reset-passphrase")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the passphrase from stdin.")
def reset(username: str, password_stdin: bool) -> None:
    """Set a new passphrase for a user who forgot theirs."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"No account named '{username}'.")
    try:
        accounts.reset_passphrase(user, read_passphrase(password_stdin))
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"New passphrase set for '{user.username}'.")
