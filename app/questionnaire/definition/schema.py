"""The JSON Schema of definition files: app/questionnaire/schema.json, with the
question types' settings filled in from the registry.

``schema.json`` is written by hand except ``$defs/questionSettings``: the
definition keys that belong to question types (``options``, ``min`` ...),
gathered from each type's ``settings``, and the language keys, taken from the
declared languages (app/languages). Validation always uses the registry's
settings, so a new type's settings count at once; ``flask questionnaire schema``
rewrites the published file (and its copy in docs/), and a test fails while it
is out of date.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ...languages import CODES, DEFAULT
from ..fields import FIELD_TYPES, FieldType
from .reading import Problem

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.json"
SETTINGS = "questionSettings"


@cache
def _written() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def settings_schema(kinds: Iterable[FieldType]) -> dict[str, Any]:
    """``$defs/questionSettings``: every setting of ``kinds``, by name."""
    common = set(_written()["$defs"]["question"]["properties"])
    found: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        for key, fragment in kind.settings.items():
            if key in common:
                raise ValueError(f"{kind.name}: {key!r} is a question key of every type")
            if key in found and found[key] != fragment:
                raise ValueError(f"{kind.name}: setting {key!r} differs from another type's")
            found[key] = copy.deepcopy(dict(fragment))
    return {
        "description": "Settings that belong to question types; generated from"
        " app/questionnaire/fields (flask questionnaire schema), do not edit.",
        "properties": dict(sorted(found.items())),
    }


def with_languages(schema: dict[str, Any]) -> dict[str, Any]:
    """Set the schema's language enum and text keys to the declared languages (in place)."""
    defs = schema["$defs"]
    defs["language"]["enum"] = list(CODES)
    defs["localText"]["required"] = [DEFAULT]
    defs["localText"]["properties"] = {code: {"type": "string", "minLength": 1} for code in CODES}
    return schema


@lru_cache(maxsize=8)
def _schema_for(kinds: tuple[FieldType, ...]) -> dict[str, Any]:
    full = with_languages(copy.deepcopy(_written()))
    full["$defs"][SETTINGS] = settings_schema(kinds)
    return full


@lru_cache(maxsize=8)
def _validator_for(kinds: tuple[FieldType, ...]) -> Draft202012Validator:
    return Draft202012Validator(_schema_for(kinds))


def schema() -> dict[str, Any]:
    """The schema definitions are validated against (for the registered types)."""
    return _schema_for(tuple(FIELD_TYPES.values()))


def schema_text() -> str:
    """:func:`schema` as ``schema.json`` is written."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def _location(parts: Iterable[object]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "definition"


def schema_problems(data: object) -> list[Problem]:
    validator = _validator_for(tuple(FIELD_TYPES.values()))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        message = error.message if len(error.message) < 300 else error.message[:297] + "..."
        problems.append(Problem(_location(error.absolute_path), message))
    return problems
