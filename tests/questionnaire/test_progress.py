"""The progress line counts the sections the interview will show: ahead of the answers that
decide them, falling as answers rule sections out, exact on the last section."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.questionnaire import Definition, expected_sections, progress_position, visible_sections

ADULT = {"q_consent_interview": "yes", "q_age": 30, "q_maybe_child": "no"}


def q(qid: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "yesno", "label": {"en": qid}, **extra}


def test_before_consent_the_whole_interview_is_counted(default_definition: Definition) -> None:
    """The line used to say "of 4" here and "of 10" one page later."""
    every = [s.id for s in default_definition.sections]
    assert len(visible_sections(default_definition, {})) == 4
    assert expected_sections(default_definition, {}, "setup") == every
    assert progress_position(default_definition, {}, "consent") == (2, len(every))


def test_refused_consent_counts_the_short_path(default_definition: Definition) -> None:
    answers = {"q_consent_interview": "no"}
    assert expected_sections(default_definition, answers, "consent") == [
        "setup", "consent", "safety", "referral"]
    assert progress_position(default_definition, answers, "safety") == (3, 4)


def test_an_adult_drops_the_child_section(default_definition: Definition) -> None:
    assert "child" in expected_sections(default_definition, {"q_consent_interview": "yes"}, "safety")
    counted = expected_sections(default_definition, ADULT, "safety")
    assert "child" not in counted and "forced_criminality" in counted  # the work is not told yet


def test_work_that_is_not_scam_drops_forced_criminality(default_definition: Definition) -> None:
    answers = {**ADULT, "q_work_type": ["factory"]}
    counted = expected_sections(default_definition, answers, "work")
    assert "forced_criminality" not in counted
    answers["q_work_type"] = ["scam_online"]
    assert "forced_criminality" in expected_sections(default_definition, answers, "work")


def test_a_question_left_blank_behind_counts_no_more(default_definition: Definition) -> None:
    """The officer went past the work section without saying what work: the scam section
    will not be shown, and on the last section the count is what Next really walks."""
    answers = dict(ADULT)
    assert "forced_criminality" in expected_sections(default_definition, answers, "work")
    assert "forced_criminality" not in expected_sections(default_definition, answers, "control")
    last = expected_sections(default_definition, answers, "referral")
    assert last == visible_sections(default_definition, answers)
    assert progress_position(default_definition, answers, "referral") == (len(last), len(last))


def test_the_total_only_falls_along_an_interview(default_definition: Definition) -> None:
    steps = [
        ("setup", {}),
        ("consent", {"q_consent_interview": "yes"}),
        ("safety", ADULT),
        ("background", ADULT),
        ("recruitment", ADULT),
        ("work", {**ADULT, "q_work_type": ["factory"]}),
        ("control", {**ADULT, "q_work_type": ["factory"]}),
        ("observations", {**ADULT, "q_work_type": ["factory"]}),
        ("referral", {**ADULT, "q_work_type": ["factory"]}),
    ]
    seen = [progress_position(default_definition, answers, section) for section, answers in steps]
    assert [n for n, _ in seen] == list(range(1, len(steps) + 1))
    totals = [total for _, total in seen]
    assert totals == sorted(totals, reverse=True) and totals[0] == 11
    assert seen[-1] == (len(steps), len(steps))


def test_a_chain_of_conditions_is_counted_through(make_definition: Callable[..., Definition]) -> None:
    """C depends on a question of B, which depends on A's: before A is answered both count;
    a part that is false on settled answers rules its section out."""
    definition = make_definition([
        {"id": "a", "title": {"en": "A"}, "questions": [q("qa")]},
        {"id": "b", "title": {"en": "B"}, "relevant": "${qa} = 'yes'", "questions": [q("qb")]},
        {"id": "c", "title": {"en": "C"}, "relevant": "${qb} = 'yes'", "questions": [q("qc")]},
        {"id": "d", "title": {"en": "D"}, "relevant": "${qa} = 'yes' and ${qb} = 'no'",
         "questions": [q("qd")]},
    ])
    assert expected_sections(definition, {}, "a") == ["a", "b", "c", "d"]
    assert expected_sections(definition, {"qa": "no"}, "a") == ["a"]
    assert expected_sections(definition, {"qa": "yes", "qb": "yes"}, "b") == ["a", "b", "c"]
    assert expected_sections(definition, {"qa": "yes", "qb": "no"}, "b") == ["a", "b", "d"]
    # Gone past B without an answer: neither C nor D will be shown.
    assert expected_sections(definition, {"qa": "yes"}, "c") == ["a", "b"]
