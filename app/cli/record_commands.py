from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.cli.common import open_keys_as
from app.services import accounts, demo, installation
from app.services.accounts import keyring


def _unlock(username: str | None, from_stdin: bool) -> tuple[object, keyring.KeySet]:
    if not installation.is_set_up():
        raise click.ClickException("Run 'flask --app app init' first.")
    name = username or accounts.first_admin_name()
    user, secret = open_keys_as(name, from_stdin, f"Passphrase of {name}")
    if secret is None:
        raise click.ClickException(f"'{name}' has no key on this station.")
    return user, keyring.station_keys(secret)


@click.command("demo-data")
@click.option("--count", type=click.IntRange(1, 100_000), default=None, help="How many screenings.")
@click.option("--marker", default=None, help="Text written into every generated name and free text.")
@click.option("--purge", is_flag=True, help="Remove every demo screening instead.")
@click.option("--user", "username", default=None,
              help="Owner of the demo records, whose passphrase unlocks the key (default: first admin).")
@click.option("--seed", type=int, default=None, help="Repeatable data.")
@click.option("--password-stdin", is_flag=True, help="Read the passphrase from stdin.")
@with_appcontext
def demo_data_command(count: int | None, marker: str | None, purge: bool, username: str | None,
                      seed: int | None, password_stdin: bool) -> None:
    """Create finalised synthetic screenings (encrypted like real ones), or purge them."""
    if purge == bool(count):
        raise click.UsageError("Give either --count N --marker TEXT, or --purge.")
    if count and not (marker and marker.strip()):
        raise click.UsageError("--marker TEXT is required with --count.")
    user, secret = _unlock(username, password_stdin)
    if purge:
        click.echo(f"Removed {demo.purge(secret)} demo screening(s).")
        return
    with click.progressbar(length=count or 0, label="Creating demo screenings") as bar:
        made = 0
        while made < (count or 0):
            batch = min(50, (count or 0) - made)
            demo.generate(batch, (marker or "").strip(), user, secret,  # type: ignore[arg-type]
                          seed=None if seed is None else seed + made)
            made += batch
            bar.update(batch)
    click.echo(f"Created {made} demo screening(s) marked '{marker}'.")
