"""Fixtures for the questionnaire engine: the shipped definition and a factory
for small definitions written inline in a test."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.questionnaire import Definition, load_definition, validate_data
from app.questionnaire.definition import build_definition

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO / "app" / "questionnaires" / "default.yaml"

EN = {"en": "text"}

BASE: dict[str, Any] = {
    "id": "mini",
    "version": "1.0.0",
    "title": EN,
    "languages": ["en"],
    "sections": [],
    "outcome": {
        "groups": {
            "act": [
                "deceptive_recruitment",
                "coercive_recruitment",
                "recruitment_abuse_of_vulnerability",
            ],
            "means": ["coercion_at_destination", "abuse_of_vulnerability_at_destination"],
            "purpose": ["exploitation", "forced_criminality"],
        },
        "explanations": {
            t: EN for t in ["refer_mdt", "possible_victim", "labour_rights", "no_indicators"]
        },
    },
}


@pytest.fixture(scope="session")
def default_definition() -> Definition:
    return load_definition(DEFAULT_PATH)


@pytest.fixture
def make_definition() -> Callable[..., Definition]:
    """``make_definition(sections, **top_level_overrides)``; fails on any problem."""

    def make(sections: list[dict[str, Any]], **overrides: Any) -> Definition:
        data = copy.deepcopy(BASE)
        data["sections"] = sections
        for key, value in overrides.items():
            if key == "outcome":
                data["outcome"].update(value)
            else:
                data[key] = value
        problems = validate_data(data)
        assert problems == [], problems
        return build_definition(data)

    return make
