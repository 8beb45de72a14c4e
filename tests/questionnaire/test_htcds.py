"""HTCDS names in a definition: the schema, the loader's checks, the shipped mapping."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.questionnaire import SHIPPED_DIR, Definition, DefinitionError, load_definition, validate_data
from app.questionnaire.htcds import (
    COLUMN,
    POSSIBLE,
    TIER_FIELD,
    fact_columns,
    option_values,
    question_columns,
    tier_value,
)
from app.questionnaire.model import TIERS

from .conftest import BASE, EN

SHIPPED = sorted(SHIPPED_DIR.glob("*.yaml"))
IDENTIFIED = "ActualVictimOfTrafficking"  # HTCDS: someone determined to be a victim


def option(value: str, htcds: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"value": value, "label": EN}
    if htcds is not None:
        made["htcds"] = htcds
    return made


def data_with(questions: list[dict[str, Any]], facts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["sections"] = [{"id": "s", "title": EN, "questions": questions}]
    if facts is not None:
        data["facts"] = facts
    return data


def problems(
    questions: list[dict[str, Any]], facts: list[dict[str, Any]] | None = None
) -> list[tuple[str, str]]:
    return [(p.location, p.message) for p in validate_data(data_with(questions, facts))]


SEX = {
    "id": "q_sex",
    "type": "single",
    "label": EN,
    "htcds": "prs_Gender",
    "options": [option("female", "Feminine"), option("male", "Masculine"), option("another")],
}
CONTROL = {
    "id": "q_control",
    "type": "multi",
    "label": EN,
    "options": [
        option("debt", "vic_MethodsOfControl_DebtBondage"),
        option("hit", "vic_MethodsOfControl_PhysicalAbuse"),
        option("none"),
    ],
}
VIOLENCE = {"id": "q_violence", "type": "yesno", "label": EN, "htcds": "vic_MethodsOfControl_PhysicalAbuse"}
TIER_FACT = {"id": "tier", "source": "tier", "label": EN, "htcds": TIER_FIELD}


def test_names_are_parsed_into_the_model(make_definition: Callable[..., Definition]) -> None:
    definition = make_definition(
        [{"id": "s", "title": EN, "questions": [SEX, CONTROL]}],
        facts=[TIER_FACT, {"id": "sex", "question": "q_sex", "label": EN, "htcds": "prs_Gender"}],
    )
    sex, control = definition.question("q_sex"), definition.question("q_control")
    assert sex is not None and control is not None
    assert sex.htcds == "prs_Gender" and control.htcds is None
    assert [o.htcds for o in sex.options] == ["Feminine", "Masculine", None]
    assert [(c.name, c.question, c.option) for c in question_columns(definition)] == [
        ("prs_Gender", "q_sex", None),
        ("vic_MethodsOfControl_DebtBondage", "q_control", "debt"),
        ("vic_MethodsOfControl_PhysicalAbuse", "q_control", "hit"),
    ]
    assert [(c.name, c.fact) for c in fact_columns(definition)] == [
        (TIER_FIELD, "tier"),
        ("prs_Gender", "sex"),
    ]
    assert option_values(definition) == {"q_sex": {"female": "Feminine", "male": "Masculine"}}
    assert [f.htcds for f in definition.facts] == [TIER_FIELD, "prs_Gender"]


@pytest.mark.parametrize(
    "name",
    [
        "gender",
        "prs_",
        "org_Name",
        "per_RoleInProcess",
        "prs Gender",
        "prs_Gender!",
        "PRS_Gender",
        "prs_" + "x" * 100,
    ],
)
def test_the_schema_refuses_a_name_that_is_not_an_htcds_field(name: str) -> None:
    found = problems(
        [{**VIOLENCE, "htcds": name}], [{**TIER_FACT, "id": "t2", "source": "child", "htcds": name}]
    )
    assert sorted(at for at, _ in found) == ["facts[0].htcds", "sections[0].questions[0].htcds"], found
    assert all("does not match" in message or "is too long" in message for _, message in found)


def test_the_schema_refuses_an_option_value_with_odd_characters() -> None:
    bad = {**SEX, "options": [option("female", "Feminine; DROP"), option("male", "Masculine")]}
    found = problems([bad])
    assert [at for at, _ in found] == ["sections[0].questions[0].options[0].htcds"]


def test_a_multi_option_names_a_column_not_a_value() -> None:
    bad = {**CONTROL, "options": [option("debt", "DebtBondage"), option("none")]}
    assert problems([bad]) == [
        (
            "sections[0].questions[0].options[0].htcds",
            "'DebtBondage': in a multi question an option's htcds names its 0/1 column, "
            "e.g. vic_MethodsOfControl_DebtBondage",
        )
    ]


def test_single_options_may_share_a_value() -> None:
    org = {
        "id": "q_org",
        "type": "single",
        "label": EN,
        "htcds": "vic_TraffickingStatusDecisionMakingOrg",
        "options": [
            option("labour", "NonPoliceGovernmentalOrganization"),
            option("msdhs", "NonPoliceGovernmentalOrganization"),
        ],
    }
    assert problems([org]) == []


def test_values_need_the_column_they_belong_to() -> None:
    unnamed = {**SEX, "htcds": None}
    del unnamed["htcds"]
    assert problems([unnamed]) == [
        (
            "sections[0].questions[0].options[0].htcds",
            "question 'q_sex' has no htcds name for these HTCDS values",
        )
    ]


def test_a_column_name_used_twice_is_refused_naming_both_questions() -> None:
    found = problems([CONTROL, VIOLENCE])
    assert found == [
        (
            "sections[0].questions[1].htcds",
            "HTCDS name 'vic_MethodsOfControl_PhysicalAbuse' of question 'q_violence' is also used by "
            "option 'hit' of question 'q_control'",
        )
    ]


def test_the_loader_refuses_a_duplicate_with_the_question_named(tmp_path: Path) -> None:
    shipped = (SHIPPED_DIR / "tip-default-1.1.0.yaml").read_text(encoding="utf-8")
    # q_threats takes the column q_violence already has.
    broken = shipped.replace(
        "htcds: vic_MethodsOfControl_PhysicalThreats", "htcds: vic_MethodsOfControl_PhysicalAbuse"
    )
    assert broken != shipped
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    assert [p.message for p in raised.value.problems] == [
        "HTCDS name 'vic_MethodsOfControl_PhysicalAbuse' of question 'q_threats' is also used by question 'q_violence'"
    ]


def test_facts_have_their_own_names_but_share_only_with_the_question_they_read() -> None:
    sex_fact = {"id": "sex", "question": "q_sex", "label": EN, "htcds": "prs_Gender"}
    assert problems([SEX, VIOLENCE], [sex_fact]) == []
    other = {"id": "violence", "question": "q_violence", "label": EN, "htcds": "prs_Gender"}
    assert problems([SEX, VIOLENCE], [other]) == [
        (
            "facts[0].htcds",
            "HTCDS name 'prs_Gender' of fact 'violence' is also used by question 'q_sex'; "
            "a fact may share a name only with the question it reads",
        )
    ]
    twice = {**sex_fact, "id": "sex_again"}
    assert problems([SEX], [sex_fact, twice]) == [
        ("facts[1].htcds", "HTCDS name 'prs_Gender' of fact 'sex_again' is also used by fact 'sex'")
    ]


def test_a_note_has_no_htcds_name() -> None:
    note = {"id": "n_info", "type": "note", "label": EN, "text": EN, "htcds": "vic_LocationOfExploitation"}
    assert problems([note]) == [
        ("sections[0].questions[0].htcds", "a note question is never answered: it has no HTCDS name")
    ]


@pytest.mark.parametrize(
    "name",
    [
        f"vic_TraffickingStatus_{IDENTIFIED}",
        "vic_TraffickingStatus_NotAVictimOfTrafficking",
        "prs_Gender",
    ],
)
def test_the_tier_fact_is_only_ever_the_possible_trafficking_status(name: str) -> None:
    found = problems([VIOLENCE], [{**TIER_FACT, "htcds": name}])
    assert len(found) == 1 and found[0][0] == "facts[0].htcds", found
    if COLUMN.match(name):
        assert found[0][1].startswith("the tier is written only as vic_TraffickingStatus")


@pytest.mark.parametrize("name", [TIER_FIELD, f"vic_TraffickingStatus_{IDENTIFIED}"])
def test_nothing_but_the_tier_is_the_trafficking_status(name: str) -> None:
    question = {**VIOLENCE, "htcds": name}
    fact = {"id": "child", "source": "child", "label": EN, "htcds": name}
    found = problems([question], [fact])
    assert sorted(at for at, _ in found) == ["facts[0].htcds", "sections[0].questions[0].htcds"]
    assert all("only the tier fact may be the trafficking status" in message for _, message in found)


def test_the_tier_is_written_as_possible_and_never_as_identified() -> None:
    written = {tier: tier_value(tier) for tier in TIERS}
    assert written == {
        "refer_mdt": POSSIBLE,
        "possible_victim": POSSIBLE,
        "labour_rights": "",
        "no_indicators": "",
    }
    assert IDENTIFIED not in written.values() and tier_value("made_up") == ""


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_mapping_loads(path: Path) -> None:
    definition = load_definition(path)
    columns = question_columns(definition)
    names = [c.name for c in columns]
    assert len(names) == len(set(names)) and len(names) >= 20
    assert {
        "prs_Citizenship",
        "vic_TraffickingStatusDecisionMakingOrg",
        "vic_MethodsOfControl_DebtBondage",
        "vic_LocationOfExploitation",
    } <= set(names)
    assert all(COLUMN.match(name) for name in names)
    assert option_values(definition)["q_citizenship"] == {
        "thai": "TH",
        "myanmar": "MM",
        "lao": "LA",
        "cambodian": "KH",
        "vietnamese": "VN",
    }
    facts = {c.fact: c.name for c in fact_columns(definition)}
    assert facts["tier"] == TIER_FIELD and facts["nationality"] == "prs_Citizenship"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_in_the_shipped_definitions_the_tier_never_maps_to_an_identified_victim(path: Path) -> None:
    definition = load_definition(path)
    tier_facts = [f for f in definition.facts if f.source == "tier"]
    assert [f.htcds for f in tier_facts] == [TIER_FIELD]
    every = [c.name for c in question_columns(definition) + fact_columns(definition)]
    every += [v for values in option_values(definition).values() for v in values.values()]
    assert not [n for n in every if IDENTIFIED in n or "identified" in n.lower() or "Actual" in n]
    assert [c.fact for c in fact_columns(definition) if c.name.startswith(TIER_FIELD)] == ["tier"]


def test_both_shipped_versions_map_their_common_questions_alike() -> None:
    old = load_definition(SHIPPED_DIR / "default.yaml")
    new = load_definition(SHIPPED_DIR / "tip-default-1.1.0.yaml")
    added = {"q_sex"}
    assert [c for c in question_columns(new) if c.question not in added] == question_columns(old)
    assert {k: v for k, v in option_values(new).items() if k not in added} == option_values(old)
    assert [c for c in fact_columns(new) if c.fact != "sex"] == fact_columns(old)
