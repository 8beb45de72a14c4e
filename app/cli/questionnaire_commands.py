from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.questionnaire import DefinitionError, validate_file
from app.questionnaire.definition import schema_text
from app.services import questionnaires

questionnaire_group = AppGroup("questionnaire",
                               help="Check and list questionnaire definitions; write their schema.")


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


@questionnaire_group.command("schema")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def write_schema(paths: tuple[Path, ...]) -> None:
    """Print the definition JSON Schema, with every question type's settings, or write it
    to PATHS (app/questionnaire/schema.json and docs/questionnaire.schema.json)."""
    text = schema_text()
    if not paths:
        click.echo(text, nl=False)
    for path in paths:
        path.write_text(text, encoding="utf-8")
        click.echo(f"{path}: written")
