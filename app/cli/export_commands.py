"""``flask export``: the export page's files from the command line (docs/exports.md)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import cli_actor
from app.cli.dashboard_commands import filter_options, filters_of
from app.cli.key_commands import custody_of, stdin_option, user_option
from app.languages import CODES
from app.services import installation
from app.services.analytics.filters import FilterError
from app.services.errors import AuditFailed, ServiceError
from app.services.exports import produce
from app.services.exports.archive import new_password


@click.command("export")
@click.option("--kind", type=click.Choice(produce.KINDS), default=produce.DEIDENTIFIED, show_default=True,
              help="de-identified facts, or every answer (asks for a custodian's passphrase).")
@click.option("--format", "fmt", type=click.Choice(produce.FORMATS), default=produce.CSV, show_default=True,
              help="zip: the CSV in a password-protected (AES) zip; the password is printed once, on stderr.")
@filter_options
@click.option("--language", type=click.Choice(CODES), default="en", show_default=True,
              help="Language of the labels (the second header row).")
@click.option("--htcds", is_flag=True, help="Name columns after the HTCDS where the questionnaire maps them.")
@click.option("--answer-languages", is_flag=True, help="Full export: each answer's language on screen.")
@click.option("--output", "output", default="-", show_default=True, help="A file, or - for stdout.")
@user_option
@stdin_option
@with_appcontext
def export_command(kind: str, fmt: str, period: str | None, since: str | None, until: str | None,
                   station: str | None, facts: tuple[str, ...], language: str, htcds: bool,
                   answer_languages: bool, output: str, username: str | None, password_stdin: bool) -> None:
    """Central: the records matching the filters as CSV, XLSX or a zip, audited like the page's."""
    if not installation.is_set_up() or current_app.config["TIP"].role != "central":
        raise click.ClickException("flask export runs on a set-up central installation only.")
    today = datetime.now(UTC).date()
    try:
        filters = filters_of(period, since, until, station, facts, today)
    except FilterError as exc:
        raise click.ClickException(f"{exc}. Nothing was exported.") from None
    request = produce.ExportRequest(kind=kind, format=fmt, filters=filters, language=language, htcds=htcds,
                                    answer_languages=answer_languages)
    secret = None
    name = cli_actor()
    if kind == produce.FULL:
        name, secret = custody_of(username, password_stdin)
    password = new_password() if fmt == produce.ZIP else None

    def report(done: int, total: int) -> None:
        click.echo(f"\rexport: {done} of {total} records", nl=False, err=True)

    try:
        export = produce.start(request, username=name, user_id=None, secret=secret, today=today,
                               password=password, report=report)
    except (ServiceError, FilterError) as exc:
        raise click.ClickException(f"{exc} Nothing was exported.") from None
    except AuditFailed:
        raise click.ClickException("The audit log could not record this export; "
                                   "nothing was exported.") from None
    out: IO[bytes] = sys.stdout.buffer if output == "-" else open(output, "wb")
    try:
        for chunk in export.chunks:
            out.write(chunk)
        out.flush()
    except (ServiceError, AuditFailed) as exc:
        # Stopped half-way (the audit entry says so): a file of part of the rows is not left behind.
        if out is not sys.stdout.buffer:
            out.close()
            Path(output).unlink(missing_ok=True)
        raise click.ClickException(f"{exc} No file was written." if isinstance(exc, ServiceError) else
                                   "The audit log could not record the export's checksum; "
                                   "no file was written.") from None
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    click.echo("", err=True)
    click.echo(f"Exported {export.records} records ({export.filename}).", err=True)
    if password is not None:
        # Shown once, here; never stored or logged.
        click.echo(f"Password of the zip: {password}", err=True)
