from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import read_line, unlock_as_admin
from app.roles import Role
from app.services import accounts, installation
from app.services.errors import ServiceError

users_group = AppGroup("users", help="Manage accounts.")


ADMIN_HELP = ("Administrator whose passphrase unlocks the key for the new key slot "
              "(default: the first administrator).")
STDIN_HELP = ("Read passphrases from stdin, one per line: first the account's new passphrase, "
              "then the administrator's.")


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--admin", "admin", default=None, help=ADMIN_HELP)
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
def create(username: str, role: str, admin: str | None, password_stdin: bool) -> None:
    """Create an account and its key slot."""
    if not installation.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    passphrase = read_line(f"Passphrase for {username}", password_stdin, confirm=True)
    admin = admin or accounts.first_admin_name()
    secret = unlock_as_admin(admin, password_stdin)
    try:
        user = accounts.create_user(username, role, passphrase, secret=secret, actor=admin)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"Created {user.role.value} '{user.username}'.")


@users_group.command("list")
def list_users() -> None:
    """List accounts (username, role, active, name on referral slips)."""
    for user in accounts.list_users():
        click.echo(f"{user.username}\t{user.role.value}\t{'active' if user.active else 'off'}"
                   f"\t{user.display_name or ''}")


@users_group.command("set-name")
@click.argument("username")
@click.argument("display_name")
def set_name(username: str, display_name: str) -> None:
    """Set the name shown for USERNAME on referral slips ("" goes back to the username)."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"No account named '{username}'. Nothing was changed.")
    try:
        accounts.set_display_name(user, display_name)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"Name on referral slips for '{user.username}': {user.shown_name}")


@users_group.command("reset-passphrase")
@click.argument("username")
@click.option("--admin", "admin", default=None, help=ADMIN_HELP)
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
def reset(username: str, admin: str | None, password_stdin: bool) -> None:
    """Set a new passphrase (and key slot) for a user who forgot theirs."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"No account named '{username}'.")
    passphrase = read_line(f"New passphrase for {username}", password_stdin, confirm=True)
    admin = admin or accounts.first_admin_name()
    secret = unlock_as_admin(admin, password_stdin)
    try:
        accounts.reset_passphrase(user, passphrase, secret=secret, actor=admin)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(f"New passphrase set for '{user.username}'.")
