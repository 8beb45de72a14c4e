"""Facts: declared in the definition, derived from a record body, checked at central."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from app.questionnaire import Definition, score, validate_data
from app.questionnaire.definition import build_definition
from app.questionnaire.facts import band_codes, band_of, check_facts, derive_facts, fact_specs
from app.services.records.sealing import outcome_dict
from tests.questionnaire.conftest import BASE

CANARY = "Canary-Kyaw-Min-7731"
EN = {"en": "x"}


def body_for(definition: Definition, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A body as the station seals it: answers with their languages, the scored outcome."""
    outcome = score(definition, answers)
    return {"answers": {q: {"value": v, "lang": "my", "at": "2026-11-30T10:00:00+00:00"}
                        for q, v in answers.items()},
            "outcome": outcome_dict(outcome), "override": None,
            "interview_lang": "th", "respondent_lang": "my",
            "finalised_at": "2026-11-30T10:05:00+00:00", **extra}


@pytest.fixture
def answers() -> dict[str, Any]:
    return {"q_age": {"age": 16, "dob": None, "estimated": True}, "q_citizenship": "myanmar",
            "q_work_type": ["scam_online", "fraud"], "q_heard_of_job": ["facebook"],
            "q_interview_language": "my", "q_interpreter": "ngo_staff", "q_consent_mdt": "yes",
            "q_respondent_name": CANARY, "q_compound_location": CANARY,
            "q_observation_notes": CANARY, "q_deceive_online": "yes", "q_free_to_leave": "no",
            "q_violence": "yes", "q_consent_interview": "yes"}


def test_default_facts_from_a_real_body(default_definition: Definition, answers: dict[str, Any]) -> None:
    body = body_for(default_definition, answers)
    facts = derive_facts(default_definition, body)
    assert facts["month"] == "2026-11"
    assert facts["age_band"] == "15-17"
    assert facts["nationality"] == "myanmar"
    assert facts["exploitation"] == ["fraud", "scam_online"]
    assert facts["recruitment"] == ["facebook"]
    assert facts["interview_language"] == "my"
    assert facts["interpreter"] == "ngo_staff"
    assert facts["consent_share"] == "yes"
    assert facts["tier"] == body["outcome"]["tier"]
    positive = sorted(e["element"] for e in body["outcome"]["elements"] if e["positive"])
    assert positive and facts["elements"] == positive
    assert "flag_child" in facts["flags"]
    # Every fact is one the definition declares, and central's check takes them as they are.
    assert check_facts(default_definition, facts) == facts


def test_no_free_text_in_facts(default_definition: Definition, answers: dict[str, Any]) -> None:
    facts = derive_facts(default_definition, body_for(default_definition, answers))
    assert CANARY not in json.dumps(facts)
    assert "16" not in json.dumps(facts)  # the exact age never leaves as a fact


def test_override_tier_wins(default_definition: Definition, answers: dict[str, Any]) -> None:
    body = body_for(default_definition, answers, override={"tier": "no_indicators", "reason": "r" * 12})
    assert derive_facts(default_definition, body)["tier"] == "no_indicators"


def test_unanswered_and_special_answers(default_definition: Definition) -> None:
    body = body_for(default_definition, {"q_citizenship": "declined", "q_work_type": "unknown"})
    facts = derive_facts(default_definition, body)
    assert facts["nationality"] == "declined"
    assert facts["exploitation"] == ["unknown"]
    assert facts["age_band"] is None
    assert check_facts(default_definition, facts) == facts


def test_bands_at_their_edges() -> None:
    bands = (0, 12, 18)
    assert band_codes(bands) == ("0-11", "12-17", "18+")
    assert [band_of(n, bands) for n in (0, 11, 12, 17, 18, 90)] == \
        ["0-11", "0-11", "12-17", "12-17", "18+", "18+"]


def _data(facts: list[dict[str, Any]]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["sections"] = [{"id": "s", "title": EN, "questions": [
        {"id": "q_colour", "type": "single", "label": EN,
         "options": [{"value": "red", "label": {"en": "Red"}}, {"value": "blue", "label": {"en": "Blue"}}]},
        {"id": "q_name", "type": "text", "label": EN},
        {"id": "q_count", "type": "number", "label": EN},
        {"id": "q_when", "type": "date", "label": EN},
    ]}]
    data["facts"] = facts
    return data


def test_a_newly_declared_fact_needs_no_code() -> None:
    definition = build_definition(_data([{"id": "colour", "question": "q_colour", "label": EN,
                                          "filter": True},
                                         {"id": "count", "question": "q_count", "label": EN,
                                          "bands": [0, 5]},
                                         {"id": "when", "question": "q_when", "label": EN}]))
    specs = {s.id: s for s in fact_specs(definition)}
    assert specs["colour"].values == ("red", "blue", "unknown", "declined")
    assert specs["colour"].filter and specs["colour"].value_label("blue", "th") == "Blue"
    body = body_for(definition, {"q_colour": "blue", "q_count": 7, "q_when": {"date": "2026-03-09"}})
    assert derive_facts(definition, body) == {"colour": "blue", "count": "5+", "when": "2026-03"}


@pytest.mark.parametrize(("fact", "where", "words"), [
    ({"id": "n", "question": "q_name", "label": EN}, "facts[0].question", "never from free text"),
    ({"id": "n", "question": "q_nope", "label": EN}, "facts[0].question", "no question"),
    ({"id": "n", "question": "q_count", "label": EN}, "facts[0].bands", "needs bands"),
    ({"id": "n", "question": "q_count", "label": EN, "bands": [5, 0]}, "facts[0].bands", "must rise"),
    ({"id": "n", "question": "q_colour", "label": EN, "bands": [0]}, "facts[0].bands", "not 'single'"),
    ({"id": "n", "source": "tier", "label": EN, "bands": [0]}, "facts[0].bands", "number or an age"),
])
def test_definition_checks_refuse(fact: dict[str, Any], where: str, words: str) -> None:
    problems = validate_data(_data([fact]))
    assert any(p.location == where and words in p.message for p in problems), problems


@pytest.mark.parametrize("fact", [
    {"id": "n", "source": "names", "label": EN},
    {"id": "n", "label": EN},
    {"id": "n", "question": "q_colour", "source": "tier", "label": EN},
    {"id": "N!", "source": "tier", "label": EN},
])
def test_schema_refuses(fact: dict[str, Any]) -> None:
    assert any(p.location.startswith("facts[0]") for p in validate_data(_data([fact])))


def test_duplicate_fact_ids() -> None:
    problems = validate_data(_data([{"id": "t", "source": "tier", "label": EN},
                                    {"id": "t", "source": "flags", "label": EN}]))
    assert any(p.location == "facts[1].id" for p in problems)


@pytest.mark.parametrize(("facts", "words"), [
    ("tier", "not an object"),
    ({"names": "x"}, "not a declared fact"),
    ({"nationality": "atlantis"}, "cannot take"),
    ({"nationality": ["myanmar"]}, "cannot take"),
    ({"flags": "flag_child"}, "wrong shape"),
    ({"flags": ["flag_child"] * 65}, "wrong shape"),
    ({"month": "November"}, "cannot take"),
    ({"age_band": "x" * 65}, "cannot take"),
    ({"nationality": CANARY}, "cannot take"),
])
def test_check_facts_refuses(default_definition: Definition, facts: object, words: str,
                             make_definition: Callable[..., Definition]) -> None:
    with pytest.raises(ValueError, match=words):
        check_facts(default_definition, facts)
