"""The skip-logic model the browser gets is built by the questionnaire engine, once per definition."""

from __future__ import annotations

import json
from typing import Any

from app.questionnaire import Definition
from app.questionnaire.client import build_client_model


def _as_the_route_built_it(definition: Definition) -> dict[str, Any]:
    """The model as app/screening/routes.py used to build it (kept here to prove nothing changed)."""
    return {
        "params": dict(definition.parameters),
        "sections": [
            {"id": s.id, "relevant": s.relevant,
             "questions": [{"id": q.id, "relevant": q.relevant, "answerable": q.type != "note"}
                           for q in s.questions]}
            for s in definition.sections
        ],
    }


def test_the_client_model_is_the_one_the_route_used_to_build(default_definition):
    assert default_definition.client_model == _as_the_route_built_it(default_definition)
    assert build_client_model(default_definition) == default_definition.client_model
    assert json.loads(json.dumps(default_definition.client_model)) == default_definition.client_model


def test_it_is_built_once_per_definition_and_each_definition_has_its_own(default_definition,
                                                                          make_definition):
    assert default_definition.client_model is default_definition.client_model
    one = make_definition([{"id": "s1", "title": {"en": "One"}, "questions": [
        {"id": "q1", "type": "yesno", "label": {"en": "One?"}}]}])
    two = make_definition([{"id": "s1", "title": {"en": "Two"}, "questions": [
        {"id": "q2", "type": "note", "label": {"en": "Read this"}, "text": {"en": "Text"}}]}])
    assert one.key == two.key  # same (id, version): a cache keyed on it would mix them up
    assert [q["id"] for q in one.client_model["sections"][0]["questions"]] == ["q1"]
    assert two.client_model["sections"][0]["questions"] == [
        {"id": "q2", "relevant": None, "answerable": False}]
