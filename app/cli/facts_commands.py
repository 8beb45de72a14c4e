"""Central's de-identified facts from the command line: index the records that lack them."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.key_commands import custody_of, stdin_option, user_option
from app.services.central import facts as central_facts
from app.services.errors import ServiceError

facts_group = AppGroup("facts", help="Central: the de-identified facts of received records.")


@facts_group.command("rebuild")
@user_option
@stdin_option
def rebuild(username: str | None, password_stdin: bool) -> None:
    """Open the records that have no facts yet (a custodian's key; audited) and index them."""
    name, custody = custody_of(username, password_stdin)

    def report(done: int, total: int) -> None:
        click.echo(f"\rfacts: {done} of {total} records", nl=False, err=True)

    try:
        added = central_facts.rebuild(custody, username=name, report=report)
    except ServiceError as exc:
        raise click.ClickException(f"{exc} Nothing more was changed.") from None
    done, total = central_facts.progress()
    click.echo("", err=True)
    click.echo(f"Added the facts of {added} records; {done} of {total} records have facts.")
