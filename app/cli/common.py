from __future__ import annotations

import getpass
import sys
from typing import Any

import click


def read_line(prompt: str, from_stdin: bool, *, confirm: bool = False) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError(f"--password-stdin given but no line for: {prompt}")
        return line.rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def open_keys_as(name: str, from_stdin: bool, prompt: str, *, admin_only: bool = False
                 ) -> tuple[Any, bytes | None]:
    """The operator types ``name``'s passphrase: (the account, what its key slot opens, or None
    without a slot). A wrong passphrase, a locked account or (``admin_only``) another role
    ends the command before any slot is opened, changing nothing."""
    from app.roles import Role
    from app.services import accounts, unlock
    from app.services.errors import ServiceError

    passphrase = read_line(prompt, from_stdin)
    try:
        checked = accounts.authenticate(name, passphrase, source=accounts.LOCAL_OPERATOR)
        user = checked.user
        if admin_only and user.role is not Role.ADMIN:
            raise click.ClickException(f"'{name}' is not an administrator.")
        return user, unlock.open_keys(user, passphrase, opened=checked.opened)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None


def unlock_as_admin(username: str, from_stdin: bool) -> bytes | None:
    """An administrator's passphrase opens the key needed to make another user's key slot."""
    return open_keys_as(username, from_stdin, f"Passphrase of administrator {username}", admin_only=True)[1]


def read_passphrase(from_stdin: bool) -> str:
    """One line from stdin (for scripts) or a hidden prompt (for people)."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--password-stdin given but nothing was read from stdin")
        return line.rstrip("\r\n")
    return str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=True))


def cli_actor() -> str:
    """Who ran a command that asks for no passphrase, for the audit log: ``cli:<system user>``."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment
        name = "unknown"
    return f"cli:{name}"[:64]
