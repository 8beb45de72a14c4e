"""Sync from the command line: enrolment, push, USB bundles, status (both roles)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
import segno
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.cli.common import cli_actor, unlock_as_admin
from app.protocol.problems import Result
from app.services import installation, referrals
from app.services.central import directory as central_directory
from app.services.central import enrolment, received, stations
from app.services.errors import ServiceError
from app.services.sync import client as sync_client
from app.services.sync import ingest, problems
from app.services.sync.client import report


def _role(wanted: str) -> None:
    if not installation.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    role = current_app.config["TIP"].role
    if role != wanted:
        raise click.ClickException(f"This command is for the {wanted} role; this installation is {role}.")


stations_group = AppGroup("stations", help="Central: enrol and manage stations.")


@stations_group.command("create")
@click.argument("name")
@click.option("--url", default=None, help="Central's address as stations reach it (default: public_url).")
def create_station(name: str, url: str | None) -> None:
    """Issue a single-use enrolment code (valid 24 hours) for station NAME."""
    _role("central")
    url = url or current_app.config["TIP"].public_url
    if not url:
        raise click.UsageError("Give --url https://... (or set public_url in instance/config.toml).")
    try:
        issued = stations.issue_code(name, url, username=cli_actor())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Station:     {issued.station_name}")
    click.echo(f"Central:     {issued.central_url}")
    click.echo(f"Code:        {issued.code}   (single use, expires {issued.expires_at:%Y-%m-%d %H:%M} UTC)")
    click.echo(f"Fingerprint: {issued.fingerprint}")
    click.echo(f"On the station: flask --app app enrol {issued.central_url} {issued.code}")
    segno.make(issued.qr_payload, error="m").terminal(compact=True)


@stations_group.command("rekey")
@click.argument("station_id")
@click.option("--url", default=None, help="Central's address as stations reach it (default: public_url).")
def rekey_station(station_id: str, url: str | None) -> None:
    """Issue a single-use code (valid 24 hours) with which STATION_ID enrols again with new keys.

    Only that station id can redeem it; its earlier keys are kept, so what it signed
    before still verifies. Recorded in the audit log (station_rekey)."""
    _role("central")
    url = url or current_app.config["TIP"].public_url
    if not url:
        raise click.UsageError("Give --url https://... (or set public_url in instance/config.toml).")
    try:
        issued = stations.issue_rekey_code(station_id, url, username=f"cli:{getpass.getuser()}")
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Station:     {issued.station_name} ({station_id})")
    click.echo(f"Central:     {issued.central_url}")
    click.echo(f"Code:        {issued.code}   (single use, this station only, "
               f"expires {issued.expires_at:%Y-%m-%d %H:%M} UTC)")
    click.echo(f"Fingerprint: {issued.fingerprint}")
    click.echo(f"On the station: flask --app app enrol --rekey --user ADMIN {issued.central_url} "
               f"{issued.code}")


@stations_group.command("list")
def list_stations() -> None:
    """Stations with last contact and pending count."""
    _role("central")
    for s in enrolment.list_stations():
        state = "revoked" if s.revoked_at else "active"
        contact = s.last_contact_at.isoformat(timespec="minutes") if s.last_contact_at else "never"
        click.echo(f"{s.id}\t{s.name}\t{state}\tlast contact {contact}\tpending {s.pending}")


@stations_group.command("revoke")
@click.argument("station_id")
def revoke_station(station_id: str) -> None:
    """Refuse every further request and bundle from this station (a lost laptop)."""
    _role("central")
    if not stations.revoke(station_id, username=cli_actor()):
        raise click.ClickException("No such active station.")
    click.echo("Revoked.")


@click.command("enrol")
@click.argument("url")
@click.argument("code")
@click.option("--fingerprint", "expected", default=None, help="Central's key fingerprint, to check.")
@click.option("--pin", default=None, help="SHA-256 of central's self-signed TLS certificate.")
@click.option("--rekey", is_flag=True, help="An enrolled station redeems a re-key code: new keys.")
@click.option("--user", "username", default=None,
              help="With --rekey: an administrator whose passphrase unlocks their key set, so the "
                   "envelope-signing key is renewed too (else only the API key is).")
@click.option("--password-stdin", is_flag=True, help="Read that passphrase from stdin.")
@with_appcontext
def enrol_command(url: str, code: str, expected: str | None, pin: str | None, rekey: bool,
                  username: str | None, password_stdin: bool) -> None:
    """Station: register with central at URL using a single-use CODE (or, --rekey, a re-key code)."""
    _role("station")
    secret = unlock_as_admin(username, password_stdin) if rekey and username else None
    try:
        found = sync_client.enrol(url, code, expected_fingerprint=expected, tls_pin=pin, rekey=rekey,
                                  secret=secret)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Enrolled. Central's key fingerprint: {found}")
    click.echo("Compare it with the one central shows. Finalised screenings waiting for this key are "
               "sealed at the next login.")


@click.command("sync")
@with_appcontext
def sync_command() -> None:
    """Station: push every finalised screening to central now."""
    _role("station")
    with click.progressbar(length=max(sync_client.pending_count(), 1), label="Sending") as bar:
        shown = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.update(done - shown["done"])
            shown["done"] = done

        try:
            summary = sync_client.sync(progress)
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Sent {summary.sent}: {summary.accepted} new, {summary.duplicate} already there, "
               f"{summary.conflict} conflicts, {summary.refused} refused. "
               f"Marked synced: {summary.marked_synced}. Still pending: {summary.pending_after}.")
    advice = report.clock_advice(summary.clock_skew_seconds)
    if advice:
        click.echo(f"Note: {advice}")
    for record_id, problem in summary.not_accepted[:20]:
        click.echo(f"  {record_id}: {problems.describe(problem)} (problem {problem.code})", err=True)
    for record_id in summary.bad_receipts[:20]:
        click.echo(f"  {record_id}: receipt not valid (still pending)", err=True)


bundle_group = AppGroup("bundle", help="USB bundles: carry records to central without a connection.")


@bundle_group.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def bundle_export(path: Path) -> None:
    """Station: write every unsynced sealed record into one signed file."""
    _role("station")
    try:
        _, count = sync_client.export_bundle(path)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {count} record(s) to {path}. Only central can open them.")


@bundle_group.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--answer", "answer", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the answer file to carry back (the signed referral directory).")
def bundle_import(path: Path, answer: Path | None) -> None:
    """Central: take in a station's bundle (importing it twice changes nothing)."""
    _role("central")
    try:
        imported = received.import_bundle(path.read_bytes(), username=cli_actor())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    counts = {status: imported.counts.get(status.value, 0) for status in Result}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing"
    click.echo(f"Bundle from {imported.station_name}: {summary}.")
    if answer is not None:
        answer.write_bytes(central_directory.answer_file(imported.station_id))
        click.echo(f"Wrote the answer file for {imported.station_name} to {answer}: "
                   f"take it in there with 'flask bundle answer {answer.name}'.")


@bundle_group.command("answer")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def bundle_answer(path: Path) -> None:
    """Station: take in central's answer to a bundle (the signed referral directory)."""
    _role("station")
    try:
        version = referrals.take_file(path.read_bytes())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Took referral directory version {version} from {path}.")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def status_command(as_json: bool) -> None:
    """Counts by state and the last sync (no personal data)."""
    if not installation.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    role = current_app.config["TIP"].role
    data = sync_client.status() if role == "station" else ingest.central_status()
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")
