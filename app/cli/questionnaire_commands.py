from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.questionnaire import SHIPPED_DIR, DefinitionError, validate_file
from app.questionnaire.definition import schema_text
from app.questionnaire.xlsform import XLSFormError, XLSProblem
from app.services import questionnaires
from app.services.errors import ServiceError

questionnaire_group = AppGroup("questionnaire",
                               help="Check and list questionnaire definitions; write their schema; "
                                    "import and export XLSForms.")


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
        shipped = definition.path is not None and definition.path.parent == SHIPPED_DIR
        source = "shipped" if shipped else "instance"
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


def problem_text(problem: XLSProblem) -> str:
    """One import problem or warning in the reader's language, with where it is."""
    message = _(problem.msgid, **problem.params)
    if not problem.sheet:
        return message
    where = _("%(sheet)s sheet", sheet=problem.sheet)
    if problem.row:
        where = _("%(where)s, row %(row)s", where=where, row=problem.row)
    if problem.column:
        where = _("%(where)s, column %(column)s", where=where, column=problem.column)
    return f"{where}: {message}"


@questionnaire_group.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "form_id", help="The questionnaire id, instead of the settings sheet's form_id.")
@click.option("--version", help="The version (MAJOR.MINOR.PATCH), instead of the settings sheet's.")
def import_xlsform(path: Path, form_id: str | None, version: str | None) -> None:
    """Turn an XLSForm (.xlsx) into a questionnaire of this station (instance/questionnaires/);
    every problem is printed with its sheet, row and column, and nothing is written."""
    try:
        imported, written = questionnaires.import_xlsform(
            path.read_bytes(), source=path.name, form_id=form_id, version=version)
    except XLSFormError as error:
        for problem in error.problems:
            click.echo(f"{path}: {problem_text(problem)}", err=True)
        raise SystemExit(1) from None
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    for warning in imported.warnings:
        click.echo(f"{path}: {_('warning')}: {problem_text(warning)}", err=True)
    definition = imported.definition
    click.echo(_("%(id)s %(version)s written to %(path)s", id=definition.id,
                 version=definition.version, path=written))


@questionnaire_group.command("export-xlsform")
@click.argument("questionnaire_id")
@click.argument("version")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_xlsform(questionnaire_id: str, version: str, path: Path) -> None:
    """Write a questionnaire as an XLSForm (.xlsx) that imports back to the same definition."""
    try:
        data = questionnaires.export_xlsform(questionnaire_id, version)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    path.write_bytes(data)
    click.echo(_("%(path)s: written", path=path))
