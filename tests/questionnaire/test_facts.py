"""De-identified facts: declared in the definition's ``facts:`` list, derived from a record
body, checked at central (app/questionnaire/facts.py, docs/questionnaire.md "Facts")."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from app.questionnaire import SHIPPED_DIR, Definition, load_definition, validate_data
from app.questionnaire.facts import (
    ELEMENT_WORDS,
    MAX_FACTS_BYTES,
    TIER_WORDS,
    band_codes,
    check_facts,
    derive_facts,
    fact_specs,
)
from tests.questionnaire.conftest import BASE, EN

LATEST = SHIPPED_DIR / "tip-default-1.1.0.yaml"
CANARY = "CANARY-7f3a"


@pytest.fixture(scope="module")
def latest() -> Definition:
    return load_definition(LATEST)


def spec(definition: Definition, fact_id: str) -> Any:
    return next(s for s in fact_specs(definition) if s.id == fact_id)


def body(answers: dict[str, object], **rest: object) -> dict[str, Any]:
    """A record body as the station writes it: each answer with its language."""
    return {"answers": {qid: {"value": v, "lang": "en"} for qid, v in answers.items()}, **rest}


# ------------------------------------------------------------ a real finalised record


def finalised_body(app: Any, start: Callable[..., Any]) -> dict[str, Any]:
    """A screening driven through the real pages (Khmer for the respondent), finalised with
    an override; its body opened as central would. Every text answer holds the canary."""
    from app.extensions import db
    from app.models import Record
    from app.services import accounts, records
    from tests.conftest import admin_keys

    interview = start("km")
    saved = interview.autosave(
        q_respondent_name=f"Aye {CANARY}", q_interview_language="my", q_interpreter="companion",
        q_consent_interview="yes", q_consent_mdt="no", q_age={"age": "17"},
        q_needs_doctor="yes", q_sex="__declined__", q_citizenship="myanmar",
        q_heard_of_job=["facebook", "agent"], q_job_different="yes", q_work_type=["scam_online"],
        q_quota_punishment="yes", q_compound_location=f"near the river {CANARY}",
        q_observation_notes=f"bruises\n{CANARY}", q_handover_note=f"call {CANARY}",
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    done = interview.finalise(tier="refer_mdt", reason=f"Supervisor reviewed the case {CANARY}")
    assert done.status_code == 302
    with app.app_context():
        rec = db.session.get(Record, interview.id)
        assert rec.questionnaire_version == "1.1.0"
        owner = accounts.get_user(rec.created_by)
        opened: dict[str, Any] = records.open_record(interview.id, owner, admin_keys(app)).body
    return opened


def test_facts_of_a_real_finalised_record(app, start, latest) -> None:
    opened = finalised_body(app, start)
    assert opened["override"]["tier"] == "refer_mdt" and opened["outcome"]["tier"] != "refer_mdt"
    facts = derive_facts(latest, opened)
    assert facts == {
        "month": opened["finalised_at"][:7],
        "age_band": "12-17",
        "nationality": "myanmar",
        "sex": "declined",
        "tier": "refer_mdt",  # the override wins over the computed tier
        "elements": [e["element"] for e in opened["outcome"]["elements"] if e["positive"]],
        "flags": ["flag_child", "flag_medical", "flag_interpreter", "flag_non_punishment",
                  "flag_no_mdt_consent"],
        "child": "yes",
        "forced_criminality": "yes" if "forced_criminality" in [
            e["element"] for e in opened["outcome"]["elements"] if e["positive"]] else "no",
        "exploitation": ["scam_online"],
        "recruitment": ["facebook", "agent"],
        "interview_language": "my",
        "respondent_language": "km",
        "interpreter": "companion",
        "consent_share": "no",
    }
    assert [f["id"] for f in opened["outcome"]["flags"]] == facts["flags"]
    assert check_facts(latest, facts) == facts
    # Never free text: the canary is in five answers and the override's reason, not in the facts.
    assert CANARY in json.dumps(opened, ensure_ascii=False)
    assert CANARY not in json.dumps(facts, ensure_ascii=False)


def test_the_default_questionnaire_declares_the_agreed_facts(latest) -> None:
    ids = [s.id for s in fact_specs(latest)]
    for needed in ("month", "age_band", "nationality", "sex", "tier", "elements", "flags",
                   "forced_criminality", "exploitation", "recruitment", "interview_language",
                   "interpreter", "consent_share"):
        assert needed in ids
    filters = {s.id for s in fact_specs(latest) if s.filter}
    assert {"nationality", "tier", "flags", "sex", "age_band"} <= filters
    assert spec(latest, "sex").values == ("female", "male", "another", "dont_know", "declined")
    assert spec(latest, "month").period == "month" and spec(latest, "month").values == ()


def test_version_1_0_0_stays_loadable_with_its_facts_but_no_sex(app, latest) -> None:
    from app.services import questionnaires

    with app.app_context():
        assert questionnaires.latest().version == "1.1.0"
        old = questionnaires.get("tip-default", "1.0.0")
    assert old is not None and old.question("q_sex") is None
    assert [s.id for s in fact_specs(old)] == [s.id for s in fact_specs(latest) if s.id != "sex"]
    # A 1.0.0 body (no q_sex) derives every fact of its own version.
    facts = derive_facts(old, body({"q_consent_interview": "yes", "q_citizenship": "lao"}))
    assert facts["nationality"] == "lao" and "sex" not in facts


# ------------------------------------------------------------ declared, not hard-coded


def section(*questions: dict[str, Any], sid: str = "s") -> dict[str, Any]:
    return {"id": sid, "title": EN, "questions": list(questions)}


QUESTIONS = [
    {"id": "q_colour", "type": "single", "label": EN,
     "options": [{"value": "red", "label": {"en": "Red", "th": "แดง"}}, {"value": "blue", "label": EN}]},
    {"id": "q_tools", "type": "multi", "label": EN,
     "options": [{"value": "saw", "label": EN}, {"value": "drill", "label": EN}]},
    {"id": "q_boat", "type": "yesno", "label": EN},
    {"id": "q_hours", "type": "number", "label": EN, "min": 0, "max": 24},
    {"id": "q_debt", "type": "number", "label": EN, "min": -100},
    {"id": "q_age", "type": "age_or_dob", "label": EN},
    {"id": "q_arrived", "type": "date", "label": EN},
    {"id": "q_left", "type": "date", "label": EN, "allow_unknown": False},
    {"id": "q_name", "type": "text", "label": EN},
    {"id": "q_story", "type": "longtext", "label": EN},
]


def test_a_question_added_to_the_facts_list_appears_with_no_code_change(make_definition) -> None:
    without = make_definition([section(*QUESTIONS)])
    assert fact_specs(without) == () and derive_facts(without, body({"q_colour": "red"})) == {}
    label = {"en": "Favourite colour", "th": "สีที่ชอบ"}
    with_it = make_definition([section(*QUESTIONS)],
                              facts=[{"id": "colour", "question": "q_colour", "label": label}])
    (colour,) = fact_specs(with_it)
    assert (colour.id, colour.multi, colour.filter) == ("colour", False, False)
    assert colour.values == ("red", "blue", "dont_know", "declined")
    assert colour.label("th") == "สีที่ชอบ" and colour.label("km") == "Favourite colour"
    assert colour.value_label("red", "th") == "แดง" and colour.value_label("red", "lo") == "Red"
    assert derive_facts(with_it, body({"q_colour": "blue"})) == {"colour": "blue"}
    assert derive_facts(with_it, body({})) == {"colour": None}


def every_kind(make_definition: Callable[..., Definition]) -> Definition:
    facts = [
        {"id": "colour", "question": "q_colour", "label": EN, "filter": True},
        {"id": "tools", "question": "q_tools", "label": EN},
        {"id": "boat", "question": "q_boat", "label": EN},
        {"id": "hours", "question": "q_hours", "label": EN, "bands": [0, 8, 12, 16]},
        {"id": "debt", "question": "q_debt", "label": EN, "bands": [0, 1, 2]},
        {"id": "age", "question": "q_age", "label": EN, "bands": [0, 12, 18, 25, 35, 50]},
        {"id": "arrived", "question": "q_arrived", "label": EN, "coarsen": "month"},
        {"id": "left", "question": "q_left", "label": EN, "coarsen": "year"},
        *({"id": s, "source": s, "label": EN} for s in (
            "tier", "elements", "flags", "child", "month", "interview_language", "respondent_language")),
        {"id": "fc", "source": "element", "element": "forced_criminality", "label": EN},
    ]
    flags = [{"id": "flag_boat", "code": "BOAT", "when": "${q_boat} = 'yes'", "action": EN,
              "label": {"en": "At sea", "th": "อยู่ในทะเล"}},
             {"id": "flag_plain", "code": "PLAIN", "level": "notice", "when": "${q_boat} = 'no'",
              "action": EN}]
    return make_definition([section(*QUESTIONS)], facts=facts, flags=flags)


def test_every_source_kind(make_definition) -> None:
    d = every_kind(make_definition)
    outcome = {"tier": "labour_rights", "child": False,
               "flags": [{"id": "flag_boat", "code": "BOAT", "level": "alert"}],
               "elements": [{"element": "exploitation", "positive": True},
                            {"element": "forced_criminality", "positive": True},
                            {"element": "coercion_at_destination", "positive": False}]}
    facts = derive_facts(d, body(
        {"q_colour": "red", "q_tools": ["drill", "saw"], "q_boat": "yes", "q_hours": 13,
         "q_debt": -5, "q_age": {"age": 30, "dob": "1995-01-02", "estimated": False},
         "q_arrived": {"date": "2024-11-30", "estimated": True},
         "q_left": {"date": "2023-02-01", "estimated": False}},
        outcome=outcome, override=None, finalised_at="2025-01-31T23:59:59+00:00",
        interview_lang="th", respondent_lang="lo"))
    assert facts == {
        "colour": "red", "tools": ["saw", "drill"], "boat": "yes", "hours": "12-15", "debt": "<0",
        "age": "25-34", "arrived": "2024-11", "left": "2023", "tier": "labour_rights",
        "elements": ["exploitation", "forced_criminality"], "flags": ["flag_boat"], "child": "no",
        "month": "2025-01", "interview_language": "th", "respondent_language": "lo", "fc": "yes",
    }
    assert check_facts(d, facts) == facts
    shapes = {s.id: (s.multi, s.period) for s in fact_specs(d)}
    assert shapes["tools"] == (True, None) and shapes["arrived"] == (False, "month")
    assert shapes["flags"] == (True, None) and shapes["left"] == (False, "year")


def test_special_answers_become_codes(make_definition) -> None:
    d = every_kind(make_definition)
    unknown, declined = {"special": "unknown"}, {"special": "declined"}
    facts = derive_facts(d, body({"q_colour": unknown, "q_tools": declined, "q_age": unknown,
                                  "q_arrived": declined, "q_left": unknown, "q_boat": declined}))
    assert (facts["colour"], facts["tools"], facts["age"], facts["arrived"], facts["boat"]) == (
        "dont_know", ["declined"], "dont_know", "declined", "declined")
    assert facts["left"] is None  # q_left allows no "not sure": the code is not one of its values
    assert "dont_know" not in spec(d, "left").values
    # Not finalised: nothing scored, so no tier, elements or flags.
    assert (facts["tier"], facts["elements"], facts["flags"], facts["child"], facts["month"]) == (
        None, None, None, None, None)


def test_stale_answers_to_hidden_questions_are_not_facts(make_definition) -> None:
    hidden = copy.deepcopy(QUESTIONS[0])
    hidden["relevant"] = "${q_boat} = 'yes'"
    d = make_definition([section(QUESTIONS[2], hidden)],
                        facts=[{"id": "colour", "question": "q_colour", "label": EN}])
    assert derive_facts(d, body({"q_boat": "yes", "q_colour": "red"})) == {"colour": "red"}
    assert derive_facts(d, body({"q_boat": "no", "q_colour": "red"})) == {"colour": None}


@pytest.mark.parametrize(("age", "band"), [
    (0, "0-11"), (11, "0-11"), (12, "12-17"), (17, "12-17"), (18, "18-24"), (24, "18-24"),
    (25, "25-34"), (34, "25-34"), (35, "35-49"), (49, "35-49"), (50, "50+"), (120, "50+"),
])
def test_bands_at_their_edges(make_definition, age: int, band: str) -> None:
    d = every_kind(make_definition)
    assert derive_facts(d, body({"q_age": {"age": age, "dob": None, "estimated": False}}))["age"] == band


def test_band_codes_and_labels(make_definition) -> None:
    assert band_codes((0, 12, 18, 25, 35, 50)) == ("0-11", "12-17", "18-24", "25-34", "35-49", "50+")
    assert band_codes((0, 1, 2)) == ("0", "1", "2+")
    d = every_kind(make_definition)
    assert spec(d, "age").values[:6] == band_codes((0, 12, 18, 25, 35, 50))  # min 0: no "<0"
    assert spec(d, "debt").values[:4] == ("<0", "0", "1", "2+")  # min -100: below the first bound
    assert spec(d, "hours").value_label("12-15", "th") == "12-15"  # a band labels itself
    assert spec(d, "month").value_label("2025-01", "km") == "2025-01"
    assert [derive_facts(d, body({"q_hours": h}))["hours"] for h in (0, 7, 8, 16, 24)] == [
        "0-7", "0-7", "8-11", "16+", "16+"]


def test_override_tier_wins(make_definition) -> None:
    d = every_kind(make_definition)
    scored = {"tier": "no_indicators", "child": False, "flags": [], "elements": []}
    assert derive_facts(d, body({}, outcome=scored, override=None))["tier"] == "no_indicators"
    overridden = body({}, outcome=scored, override={"tier": "possible_victim", "reason": "x" * 12})
    assert derive_facts(d, overridden)["tier"] == "possible_victim"
    bogus = body({}, outcome=scored, override={"tier": "whatever"})
    assert derive_facts(d, bogus)["tier"] == "no_indicators"


def test_value_labels_come_from_where_the_app_has_them(app, make_definition, latest) -> None:
    from app.web.labels import ELEMENT_LABELS, TIER_LABELS

    with app.test_request_context():  # English: the lazy labels give their msgids
        assert {t: str(label) for t, label in TIER_LABELS.items()} == TIER_WORDS
        assert {e: str(label) for e, label in ELEMENT_LABELS.items()} == ELEMENT_WORDS
    d = every_kind(make_definition)
    flags = spec(d, "flags")
    assert flags.values == ("flag_boat", "flag_plain")
    assert flags.value_label("flag_boat", "th") == "อยู่ในทะเล"
    assert flags.value_label("flag_plain", "th") == "PLAIN"  # a flag without a label: its code
    tier = spec(latest, "tier")
    assert tier.value_label("refer_mdt", "en") == TIER_WORDS["refer_mdt"]
    assert tier.value_label("refer_mdt", "th") not in ("", TIER_WORDS["refer_mdt"])  # the catalog's
    assert spec(latest, "sex").value_label("female", "km") == "ស្រី"
    assert spec(latest, "sex").value_label("declined", "en") == "Prefers not to say"
    assert spec(latest, "child").value_label("yes", "en") == "Yes"
    assert spec(latest, "respondent_language").value_label("th", "en") == "ไทย"


# ------------------------------------------------------------ what central accepts


def test_check_facts_returns_the_clean_dict(latest) -> None:
    assert check_facts(latest, {}) == {s.id: None for s in fact_specs(latest)}
    clean = check_facts(latest, {"flags": ["flag_medical", "flag_child"], "month": "2025-12"})
    assert clean["flags"] == ["flag_child", "flag_medical"]  # in display order
    assert clean["month"] == "2025-12" and clean["sex"] is None


@pytest.mark.parametrize(("facts", "message"), [
    ([], "not a JSON object"),
    ({"postcode": "10110"}, "unknown fact 'postcode'"),
    ({"nationality": "martian"}, "'martian' is not one of its codes"),
    ({"sex": "Aye Aye"}, "is not one of its codes"),
    ({"tier": ["refer_mdt"]}, "is not one of its codes"),
    ({"age_band": 17}, "'int' is not one of its codes"),
    ({"age_band": "17"}, "is not one of its codes"),
    ({"flags": "flag_child"}, "must be a list of codes"),
    ({"flags": ["flag_child", "flag_child"]}, "repeats a code"),
    ({"flags": ["flag_child", 3]}, "is not one of its codes"),
    ({"month": "2025-13"}, "is not one of its codes"),
    ({"month": "2025-03-04"}, "is not one of its codes"),
    ({"nationality": "x" * (MAX_FACTS_BYTES + 1)}, "more than"),
    ({"tier": {"nested": [1, 2]}}, "is not one of its codes"),
])
def test_check_facts_refuses(latest, facts: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        check_facts(latest, facts)


# ------------------------------------------------------------ refused definitions


def problems_of(facts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    data = copy.deepcopy(BASE)
    data["sections"] = [section(*QUESTIONS)]
    data["facts"] = facts
    return [(p.location, p.message) for p in validate_data(data)]


def one_problem(fact: dict[str, Any], at: str = "facts[1]") -> str:
    good = {"id": "colour", "question": "q_colour", "label": EN}
    found = problems_of([good, {"label": EN, **fact}])
    assert len(found) == 1, found
    location, message = found[0]
    assert location == at, found
    return message


@pytest.mark.parametrize(("fact", "at", "message"), [
    ({"id": "x", "question": "q_nope"}, "facts[1].question", "unknown question 'q_nope'"),
    ({"id": "x", "question": "q_name"}, "facts[1].question", "facts never carry free text"),
    ({"id": "x", "question": "q_story"}, "facts[1].question", "facts never carry free text"),
    ({"id": "x", "question": "q_hours"}, "facts[1]", "needs bands"),
    ({"id": "x", "question": "q_age"}, "facts[1]", "needs bands"),
    ({"id": "x", "question": "q_hours", "bands": [0, 12, 12]}, "facts[1].bands", "must increase"),
    ({"id": "x", "question": "q_colour", "bands": [0, 12]}, "facts[1].bands", "not single"),
    ({"id": "x", "question": "q_arrived"}, "facts[1]", "needs coarsen"),
    ({"id": "x", "question": "q_boat", "coarsen": "month"}, "facts[1].coarsen", "not yesno"),
    ({"id": "colour", "question": "q_boat"}, "facts[1].id", "duplicate fact id 'colour'"),
    ({"id": "x", "source": "postcode"}, "facts[1].source", "unknown built-in source 'postcode'"),
    ({"id": "x", "source": "element"}, "facts[1]", "needs element"),
    ({"id": "x", "source": "element", "element": "luck"}, "facts[1].element", "unknown element 'luck'"),
    ({"id": "x", "source": "tier", "bands": [1]}, "facts[1].bands", "not the tier source"),
    ({"id": "x"}, "facts[1]", "either a question or a source"),
    ({"id": "x", "question": "q_boat", "source": "tier"}, "facts[1]", "either a question or a source"),
    # What the schema refuses, located the same way.
    ({"id": "x", "question": "q_arrived", "coarsen": "day"}, "facts[1].coarsen", "is not one of"),
    ({"id": "x", "question": "q_hours", "bands": [0, 1.5]}, "facts[1].bands[1]", "is not of type"),
    ({"id": "x", "question": "q_boat", "colour": "red"}, "facts[1]", "Additional properties"),
    ({"id": "Bad Id", "question": "q_boat"}, "facts[1].id", "does not match"),
])
def test_definitions_with_bad_facts_are_refused(fact: dict[str, Any], at: str, message: str) -> None:
    assert message in one_problem(fact, at)


def test_a_fact_needs_a_label() -> None:
    found = problems_of([{"id": "x", "question": "q_boat"}])
    assert found == [("facts[0]", "'label' is a required property")]


def test_a_decimal_number_cannot_be_banded() -> None:
    data = copy.deepcopy(BASE)
    data["sections"] = [section({"id": "q_kg", "type": "number", "label": EN, "integer": False})]
    data["facts"] = [{"id": "kg", "question": "q_kg", "label": EN, "bands": [0, 50]}]
    assert [(p.location, "whole numbers" in p.message) for p in validate_data(data)] == [
        ("facts[0].question", True)]
