"""Load, validate and discover questionnaire definition files (YAML).

``validate_file(path)`` reports every problem it can find, each with a
location such as ``sections[3].questions[2].relevant``; ``load_definition``
returns typed frozen data or raises :class:`DefinitionError` with the same
list; ``discover(dirs)`` loads every ``*.yaml`` in the given directories.

:mod:`.reading` reads YAML, :mod:`.schema` holds the JSON Schema (with the
question types' settings), :mod:`.checks` runs what a schema cannot express,
:mod:`.building` turns valid data into the frozen model.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..model import Definition
from .building import (
    DEFAULT_ELEMENT_RULE,
    DEFAULT_LABOUR_GROUPS,
    DEFAULT_REFER_ADULT,
    DEFAULT_REFER_CHILD,
    DEFAULT_SIGNAL_GROUPS,
    build_definition,
    build_question,
)
from .checks import check
from .reading import DefinitionError, Problem, load_yaml, read_yaml
from .schema import SCHEMA_PATH, schema, schema_problems, schema_text, settings_schema

SUFFIXES = (".yaml", ".yml")

__all__ = [
    "DEFAULT_ELEMENT_RULE",
    "DEFAULT_LABOUR_GROUPS",
    "DEFAULT_REFER_ADULT",
    "DEFAULT_REFER_CHILD",
    "DEFAULT_SIGNAL_GROUPS",
    "SCHEMA_PATH",
    "SUFFIXES",
    "DefinitionError",
    "Problem",
    "build_definition",
    "build_question",
    "discover",
    "load_definition",
    "load_yaml",
    "read_yaml",
    "schema",
    "schema_text",
    "settings_schema",
    "validate_data",
    "validate_file",
]


def validate_data(data: object) -> list[Problem]:
    """Every problem with an already-parsed definition (empty list: it is valid)."""
    problems = schema_problems(data)
    if isinstance(data, dict):
        problems += check(data)
    return problems


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem with the definition file at ``path`` (empty list: it is valid)."""
    data, problems = read_yaml(Path(path))
    return problems or validate_data(data)


def load_definition(path: str | Path) -> Definition:
    """Read and validate one definition file; raise :class:`DefinitionError` if it has problems."""
    path = Path(path)
    data, problems = read_yaml(path)
    problems = problems or validate_data(data)
    if problems:
        raise DefinitionError([Problem(f"{path.name}: {p.location}", p.message) for p in problems])
    assert isinstance(data, dict)  # noqa: S101 - the schema requires an object
    return build_definition(data, path)


def discover(dirs: Iterable[str | Path]) -> list[Definition]:
    """Every definition file (``*.yaml``, ``*.yml``) in ``dirs``, sorted by (id, version).

    Missing directories are skipped. Raises :class:`DefinitionError` listing the
    problems of every broken file, and any (id, version) defined twice.
    """
    found: dict[tuple[str, str], Definition] = {}
    problems: list[Problem] = []
    for directory in dirs:
        directory = Path(directory)
        if not directory.is_dir():
            continue
        for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES):
            try:
                definition = load_definition(path)
            except DefinitionError as error:
                problems += error.problems
                continue
            if definition.key in found:
                other = found[definition.key].path
                problems.append(
                    Problem(
                        f"{path.name}: id",
                        f"{definition.id} {definition.version} is also defined in {other}",
                    )
                )
                continue
            found[definition.key] = definition
    if problems:
        raise DefinitionError(problems)
    return [found[key] for key in sorted(found, key=lambda k: (k[0], _version_key(k[1])))]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
