"""The OpenAPI 3.1 description of /api/v1, kept as data in openapi.json next to this file,
and the one place requests are checked against it: each route validates its body with
the schema its operation documents (``validate``), so the document cannot drift from
what central accepts. A test ties the document's paths and methods to the URL map."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from app.protocol import problems
from app.protocol.problems import ProblemError
from app.version import __version__

MAX_DETAIL = 200  # a schema error quotes the value; never echo a whole envelope back


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    doc["info"]["version"] = __version__
    return doc


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (path, method, operation) for every documented operation."""
    return {op["operationId"]: (path, method, op)
            for path, item in document()["paths"].items() for method, op in item.items()}


_ANNOTATIONS = frozenset({"description", "format", "title", "examples"})  # never asserted


def _checked_part(node: Any) -> Any:
    """The schema without its annotations: the same checks, a third faster on 1,000 items."""
    if isinstance(node, dict):
        return {k: _checked_part(v) for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [_checked_part(v) for v in node]
    return node


@cache
def _validator(operation_id: str) -> Draft202012Validator:
    _, _, op = operations()[operation_id]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    # The document's components ride along, so "#/components/..." references resolve.
    return Draft202012Validator(_checked_part({**schema, "components": document()["components"]}))


def request_schema(operation_id: str) -> dict[str, Any]:
    _, _, op = operations()[operation_id]
    schema: dict[str, Any] = op["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in schema:
        node: Any = document()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def validate(operation_id: str, data: object) -> dict[str, Any]:
    """``data`` as the operation's documented request body, or ProblemError: NOT_JSON,
    TOO_MANY_RECORDS (a documented maxItems on the records), INVALID_REQUEST."""
    if not isinstance(data, dict):
        raise ProblemError(problems.NOT_JSON)
    validator = _validator(operation_id)
    if validator.is_valid(data):  # the common case; the errors are only collected for a refusal
        return data
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    for error in errors:
        if error.validator == "maxItems" and list(error.absolute_path) == ["records"]:
            raise ProblemError(problems.TOO_MANY_RECORDS,
                               f"At most {error.validator_value} records per request.")
    if errors:
        error = errors[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise ProblemError(problems.INVALID_REQUEST, f"{where or 'body'}: {error.message}"[:MAX_DETAIL])
    return data
