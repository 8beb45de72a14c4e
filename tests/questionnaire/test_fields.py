"""Answer validation and normalisation, per question type."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.questionnaire import (
    FIELD_TYPES,
    AnswerError,
    Definition,
    FieldType,
    check_answer,
    normalize_digits,
)

TODAY = date(2025, 6, 15)
EN = {"en": "text"}


def opt(value: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, "label": {"en": value}, **extra}


@pytest.fixture
def definition(make_definition: Any) -> Definition:
    questions = [
        {"id": "yn", "type": "yesno", "label": EN},
        {
            "id": "strict",
            "type": "yesno",
            "label": EN,
            "allow_unknown": False,
            "allow_declined": False,
        },
        {"id": "one", "type": "single", "label": EN, "options": [opt("a"), opt("b")]},
        {
            "id": "many",
            "type": "multi",
            "label": EN,
            "options": [opt("a"), opt("b"), opt("c"), opt("none", exclusive=True)],
        },
        {"id": "short", "type": "text", "label": EN, "max_length": 5},
        {"id": "long", "type": "longtext", "label": EN},
        {
            "id": "hours",
            "type": "number",
            "label": EN,
            "min": 0,
            "max": 24,
            "unit": {"en": "hours"},
        },
        {"id": "weight", "type": "number", "label": EN, "integer": False, "min": 0.5},
        {"id": "when", "type": "date", "label": EN, "max": 0},
        {"id": "age", "type": "age_or_dob", "label": EN},
        {"id": "info", "type": "note", "label": EN},
        {"id": "agree", "type": "consent", "label": EN, "text": EN},
        {
            "id": "later",
            "type": "number",
            "label": EN,
            "constraint": "${later} >= ${hours}",
            "constraint_message": {"en": "too small"},
        },
    ]
    return make_definition([{"id": "s", "title": EN, "questions": questions}])


OK_CASES = [
    ("yn", "yes", "yes"),
    ("yn", " NO ", "no"),
    ("yn", True, "yes"),
    ("yn", "unknown", {"special": "unknown"}),
    ("yn", "declined", {"special": "declined"}),
    ("yn", "__unknown__", {"special": "unknown"}),
    ("yn", {"special": "declined"}, {"special": "declined"}),
    ("yn", "", None),
    ("yn", None, None),
    ("one", "b", "b"),
    ("one", "unknown", {"special": "unknown"}),
    ("many", ["c", "a", "a"], ["a", "c"]),
    ("many", "b", ["b"]),
    ("many", [], []),
    ("many", ["none"], ["none"]),
    ("short", "  hi  ", "hi"),
    ("short", "a\nb", "a b"),
    ("long", "unknown", "unknown"),  # plain words are text in a text question
    ("short", "__declined__", {"special": "declined"}),
    ("long", "line one\r\nline two\x00", "line one\nline two"),
    ("hours", "12", 12),
    ("hours", 8, 8),
    ("hours", "๑๒", 12),  # Thai digits
    ("hours", "၁၀", 10),  # Myanmar digits
    ("hours", "24", 24),
    ("weight", "2.5", 2.5),
    ("weight", "໑.໕", 1.5),  # Lao digits
    ("when", "2025-06-01", {"date": "2025-06-01", "estimated": False}),
    ("when", {"date": "2025-01-01", "estimated": "on"}, {"date": "2025-01-01", "estimated": True}),
    ("when", "__unknown__", {"special": "unknown"}),
    ("age", "16", {"age": 16, "dob": None, "estimated": False}),
    ("age", {"age": "៣០", "estimated": True}, {"age": 30, "dob": None, "estimated": True}),
    ("age", {"dob": "2009-06-16"}, {"age": 15, "dob": "2009-06-16", "estimated": False}),
    ("age", "2007-06-15", {"age": 18, "dob": "2007-06-15", "estimated": False}),
    ("age", "__unknown__", {"special": "unknown"}),
    ("agree", "yes", "yes"),
    ("agree", "no", "no"),
]


@pytest.mark.parametrize(("qid", "raw", "stored"), OK_CASES)
def test_accepts_and_normalises(
    definition: Definition, qid: str, raw: object, stored: object
) -> None:
    assert check_answer(definition, qid, raw, today=TODAY) == stored


ERROR_CASES = [
    ("nope", "yes", "answer.unknown_question"),
    ("yn", "maybe", "answer.not_an_option"),
    ("yn", 1, "answer.wrong_type"),
    ("strict", "unknown", "answer.special_not_allowed"),
    ("strict", "__declined__", "answer.special_not_allowed"),
    ("one", "z", "answer.not_an_option"),
    ("one", ["a"], "answer.wrong_type"),
    ("many", ["a", "zz"], "answer.not_an_option"),
    ("many", ["a", "none"], "answer.exclusive_option"),
    ("many", [1], "answer.wrong_type"),
    ("short", "toolong", "answer.too_long"),
    ("short", 5, "answer.wrong_type"),
    ("long", "x" * 2001, "answer.too_long"),
    ("hours", "25", "answer.out_of_range"),
    ("hours", "-1", "answer.out_of_range"),
    ("hours", "1.5", "answer.not_an_integer"),
    ("hours", "twelve", "answer.not_a_number"),
    ("hours", "1e3", "answer.not_a_number"),
    ("hours", True, "answer.wrong_type"),
    ("weight", "0.2", "answer.out_of_range"),
    ("when", "2025-02-30", "answer.bad_date"),
    ("when", "15/06/2025", "answer.bad_date"),
    ("when", "2025-06-16", "answer.date_out_of_range"),
    ("when", 20250101, "answer.wrong_type"),
    ("age", "121", "answer.out_of_range"),
    ("age", "16.5", "answer.not_an_integer"),
    ("age", {"dob": "2030-01-01"}, "answer.date_out_of_range"),
    ("age", {}, "answer.wrong_type"),
    ("info", "anything", "answer.not_answerable"),
    ("agree", "unknown", "answer.not_an_option"),
    ("agree", "__unknown__", "answer.special_not_allowed"),
    ("yn", {"special": "maybe"}, "answer.not_an_option"),
]


@pytest.mark.parametrize(("qid", "raw", "key"), ERROR_CASES)
def test_rejects_with_a_message_key(
    definition: Definition, qid: str, raw: object, key: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        check_answer(definition, qid, raw, today=TODAY)
    assert caught.value.key == key
    assert caught.value.question_id == qid


def test_out_of_range_names_the_range(definition: Definition) -> None:
    with pytest.raises(AnswerError) as caught:
        check_answer(definition, "hours", "30")
    assert caught.value.params == {"min": 0, "max": 24}


def test_constraint_sees_other_answers(definition: Definition) -> None:
    assert check_answer(definition, "later", "9", {"hours": 8}) == 9
    with pytest.raises(AnswerError) as caught:
        check_answer(definition, "later", "7", {"hours": 8})
    assert caught.value.key == "answer.constraint"
    assert str(caught.value.params["message"]) == "too small"
    # an unknown answer is not checked against the constraint
    assert check_answer(definition, "later", "__unknown__", {"hours": 8}) == {"special": "unknown"}


def test_every_type_is_registered() -> None:
    assert set(FIELD_TYPES) == {
        "yesno",
        "single",
        "multi",
        "text",
        "longtext",
        "number",
        "date",
        "age_or_dob",
        "note",
        "consent",
    }
    assert all(isinstance(kind, FieldType) for kind in FIELD_TYPES.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("๐๑๒๓๔๕๖๗๘๙", "0123456789"),  # Thai
        ("໐໑໒໓໔໕໖໗໘໙", "0123456789"),  # Lao
        ("၀၁၂၃၄၅၆၇၈၉", "0123456789"),  # Myanmar
        ("០១២៣៤៥៦៧៨៩", "0123456789"),  # Khmer
        ("age ๑๕ years", "age 15 years"),
        ("plain 42", "plain 42"),
    ],
)
def test_normalize_digits(text: str, expected: str) -> None:
    assert normalize_digits(text) == expected
