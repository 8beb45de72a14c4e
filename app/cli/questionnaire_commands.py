from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.questionnaire import DefinitionError, validate_file
from app.services import questionnaires

questionnaire_group = AppGroup("questionnaire", help="Check and list questionnaire definitions.")


@questionnaire_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Print every problem in each definition file, with its location."""
    failed = False
    for path in paths:
        if not path.exists():
            click.echo(f"{path}: file not found", err=True)
            failed = True
            continue
        problems = validate_file(path)
        for problem in problems:
            click.echo(f"{path}: {problem.location}: {problem.message}", err=True)
        if problems:
            failed = True
        else:
            click.echo(f"{path}: OK")
    if failed:
        raise SystemExit(1)


@questionnaire_group.command("list")
def list_definitions() -> None:
    """Print the id and version of every definition this installation offers."""
    try:
        definitions = questionnaires.all_definitions()
    except DefinitionError as exc:
        raise click.ClickException(str(exc)) from None
    for definition in definitions:
        source = "shipped" if definition.path and "instance" not in definition.path.parts else "instance"
        click.echo(f"{definition.id}\t{definition.version}\t{source}")
