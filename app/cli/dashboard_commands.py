"""``flask dashboard``: the dashboard's counts for automation, through the same small-cell rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict

from app.services import installation
from app.services.analytics import views
from app.services.analytics.filters import FilterError, Filters


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The filter options ``flask dashboard`` and ``flask export`` share (read by :func:`filters_of`)."""
    for option in reversed((
        click.option("--period", help="7d, 30d, 90d, 365d or all."),
        click.option("--from", "since", help="First day, YYYY-MM-DD (with --to instead of --period)."),
        click.option("--to", "until", help="Last day, YYYY-MM-DD."),
        click.option("--station", help="A station's id."),
        click.option("--fact", "facts", multiple=True, metavar="ID=CODE",
                     help="Only records with this fact (repeatable)."),
    )):
        command = option(command)
    return command



@click.command("dashboard")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (counts hidden by the small-cell rule are null).")
@filter_options
@click.option("--unit", type=click.Choice(views.TIME_UNITS), default="month", show_default=True)
@with_appcontext
def dashboard_command(as_json: bool, period: str | None, since: str | None, until: str | None,
                      station: str | None, facts: tuple[str, ...], unit: str) -> None:
    """Central: every dashboard chart as (code, count) rows with its total."""
    if not installation.is_set_up() or current_app.config["TIP"].role != "central":
        raise click.ClickException("flask dashboard runs on a set-up central installation only.")
    today = datetime.now(UTC).date()
    try:
        filters = filters_of(period, since, until, station, facts, today)
        board = views.dashboard(filters, today=today, unit=unit)
    except FilterError as exc:
        raise click.ClickException(f"{exc}. Nothing was shown.") from None
    out = {
        "filters": board.filters.to_args() | {"fact": [f"{f}={c}" for f, c in board.filters.facts]},
        "unit": unit,
        "small_cell_threshold": board.threshold,
        "charts": [{"id": c.id, "kind": c.kind, "total": c.total,
                    "rows": [{"code": r.code, "count": r.count} for r in c.rows]} for c in board.charts],
    }
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for chart in out["charts"]:  # type: ignore[attr-defined]
        click.echo(f"{chart['id']} (total {_shown(chart['total'])})")
        for row in chart["rows"]:
            click.echo(f"  {row['code'] or '(not recorded)'}: {_shown(row['count'])}")


def filters_of(period: str | None, since: str | None, until: str | None, station: str | None,
               facts: tuple[str, ...], today: date) -> Filters:
    """The filter options of ``flask dashboard`` and ``flask export`` read as the pages read theirs."""
    args: MultiDict[str, str] = MultiDict()
    for key, value in (("period", period), ("from", since), ("to", until), ("station", station)):
        if value:
            args.add(key, value)
    for item in facts:
        fact, sep, code = item.partition("=")
        if not sep:
            raise FilterError(f"--fact {item!r}: write it as ID=CODE")
        args.add(f"f.{fact.strip()}", code)
    return Filters.from_args(args, today)


def _shown(count: int | None) -> str:
    return "hidden" if count is None else str(count)
