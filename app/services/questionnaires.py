"""Which questionnaire definitions this installation offers.

Shipped definitions live in app/questionnaires/, an organisation's own in
instance/questionnaires/. Every (id, version) stays loadable for ever, so an
old record always renders with the version it was answered with.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from app.questionnaire import SHIPPED_DIR, Definition, discover
from app.questionnaire.definition import _version_key as version_key

DEFAULT_ID = "tip-default"


def directories() -> list[Path]:
    return [SHIPPED_DIR, Path(current_app.instance_path) / "questionnaires"]


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
