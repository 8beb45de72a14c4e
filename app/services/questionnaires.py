"""Which questionnaire definitions this installation offers.

Shipped definitions live in app/questionnaires/, an organisation's own in
instance/questionnaires/. Every (id, version) stays loadable for ever, so an
old record always renders with the version it was answered with.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.questionnaire import SHIPPED_DIR, Definition, discover
from app.questionnaire.definition import _version_key as version_key
from app.questionnaire.xlsform import (
    Imported,
    XLSFormError,
    definition_yaml,
    from_xlsform,
    to_xlsform,
)
from app.services.errors import ValidationFailed

DEFAULT_ID = "tip-default"


def instance_dir() -> Path:
    """Where an organisation's own definitions live (``instance/questionnaires/``)."""
    return Path(current_app.instance_path) / "questionnaires"


def directories() -> list[Path]:
    return [SHIPPED_DIR, instance_dir()]


def _loaded() -> dict[tuple[str, str], Definition]:
    cache: dict[tuple[str, str], Definition] | None = current_app.extensions.get("tip_questionnaires")
    if cache is None:
        cache = {d.key: d for d in discover(directories())}
        current_app.extensions["tip_questionnaires"] = cache
    return cache


def all_definitions() -> list[Definition]:
    return sorted(_loaded().values(), key=lambda d: d.key)


def get(questionnaire_id: str, version: str) -> Definition | None:
    return _loaded().get((questionnaire_id, version))


def latest(questionnaire_id: str = DEFAULT_ID) -> Definition:
    versions = [d for d in _loaded().values() if d.id == questionnaire_id]
    if not versions:
        raise LookupError(f"no questionnaire {questionnaire_id!r}")
    return max(versions, key=lambda d: version_key(d.version))


def export_xlsform(questionnaire_id: str, version: str) -> bytes:
    """The definition as an XLSForm .xlsx (docs/xlsform.md)."""
    definition = get(questionnaire_id, version)
    if definition is None:
        raise ValidationFailed(_l("There is no questionnaire %(id)s version %(version)s.",
                                  id=questionnaire_id, version=version))
    try:
        return to_xlsform(definition)
    except XLSFormError as error:
        raise ValidationFailed(error.problems[0].message) from error


def import_xlsform(data: bytes, *, source: str, form_id: str | None = None,
                   version: str | None = None) -> tuple[Imported, Path]:
    """Turn an XLSForm into an instance definition file, ``<id>-<version>.yaml`` in
    instance/questionnaires/, and offer it at once. Raises ``XLSFormError`` (the form's
    problems) or :class:`ValidationFailed` when that (id, version) exists already: a
    published version never changes. Nothing is written unless the whole form is good."""
    imported = from_xlsform(data, form_id=form_id, version=version, source=source)
    key = imported.definition.key
    path = instance_dir() / f"{key[0]}-{key[1]}.yaml"
    if key in _loaded() or path.exists():
        raise ValidationFailed(_l(
            "Questionnaire %(id)s version %(version)s exists already: a published version "
            "never changes. Give the form a new version.", id=key[0], version=key[1]))
    directory = instance_dir()
    directory.mkdir(parents=True, exist_ok=True)
    text = definition_yaml(imported, source)
    # Write beside it and rename, so a half-written file is never discovered.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    current_app.extensions.pop("tip_questionnaires", None)
    return imported, path
