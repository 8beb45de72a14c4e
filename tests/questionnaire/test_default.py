"""The shipped default questionnaire: valid, and its skip logic and rules work."""

from __future__ import annotations

from collections.abc import Mapping

from app.questionnaire import (
    Definition,
    active_flags,
    check_answer,
    score,
    validate_file,
    visible_questions,
)

from .conftest import DEFAULT_PATH

Y, N = "yes", "no"
ADULT = {"age": 28, "dob": None, "estimated": False}
CONSENTED: dict[str, object] = {
    "q_consent_interview": Y,
    "q_consent_mdt": Y,
    "q_consent_cross_border": Y,
    "q_age": ADULT,
}
RESPONDENT_SECTIONS = {
    "background",
    "recruitment",
    "work",
    "control",
    "forced_criminality",
    "child",
    "observations",
}


def shown_sections(definition: Definition, answers: Mapping[str, object]) -> set[str]:
    return {q.section_id for q in visible_questions(definition, answers)}


def shown(definition: Definition, answers: Mapping[str, object]) -> set[str]:
    return {q.id for q in visible_questions(definition, answers)}


def codes(definition: Definition, answers: Mapping[str, object]) -> list[str]:
    return [f.code for f in active_flags(definition, answers)]


def test_validates_cleanly() -> None:
    assert validate_file(DEFAULT_PATH) == []


def test_shape(default_definition: Definition) -> None:
    d = default_definition
    assert d.key == ("tip-default", "1.0.0")
    assert [s.id for s in d.sections] == [
        "setup",
        "consent",
        "safety",
        "background",
        "recruitment",
        "work",
        "control",
        "forced_criminality",
        "child",
        "observations",
        "referral",
    ]
    assert 40 <= len(list(d.questions())) <= 70
    assert all(q.label.texts["en"] for q in d.questions())
    assert set(d.languages) == {"en", "th", "my", "lo", "km"}
    assert {f.code for f in d.flags} >= {"CHILD", "DANGER", "URGENT", "MEDICAL"}


def test_before_consent_only_setup_consent_safety_and_referral(
    default_definition: Definition,
) -> None:
    assert shown_sections(default_definition, {}) == {"setup", "consent", "safety", "referral"}


def test_refused_consent_keeps_the_short_path(default_definition: Definition) -> None:
    answers = {"q_consent_interview": N, "q_age": {"age": 15, "dob": None, "estimated": False}}
    sections = shown_sections(default_definition, answers)
    assert sections == {"setup", "consent", "safety", "referral"}
    assert not RESPONDENT_SECTIONS & sections
    assert "q_consent_mdt" not in shown(default_definition, answers)
    assert "NO_SHARING" in codes(default_definition, answers)
    assert "CHILD" in codes(default_definition, answers)  # safety triage still counts


def test_consent_opens_the_interview(default_definition: Definition) -> None:
    sections = shown_sections(default_definition, CONSENTED)
    assert {"background", "recruitment", "work", "control", "observations"} <= sections
    assert "forced_criminality" not in sections
    assert "child" not in sections


def test_scam_work_shows_the_forced_criminality_module(default_definition: Definition) -> None:
    answers = {**CONSENTED, "q_work_type": ["scam_online", "other"]}
    ids = shown(default_definition, answers)
    assert {"n_non_punishment", "q_deceive_online", "q_quota_punishment", "q_ransom"} <= ids
    assert "NON_PUNISHMENT" in codes(default_definition, answers)
    farm = {**CONSENTED, "q_work_type": ["agriculture"]}
    assert "q_deceive_online" not in shown(default_definition, farm)
    assert "NON_PUNISHMENT" not in codes(default_definition, farm)


def test_age_16_shows_the_child_module_and_raises_child(default_definition: Definition) -> None:
    answers = {**CONSENTED, "q_age": check_answer(default_definition, "q_age", "16")}
    assert "child" in shown_sections(default_definition, answers)
    assert "q_maybe_child" not in shown(default_definition, answers)
    assert "CHILD" in codes(default_definition, answers)
    assert score(default_definition, answers).child


def test_unsure_age_asks_the_screener_and_treats_as_child(default_definition: Definition) -> None:
    answers = {**CONSENTED, "q_age": {"special": "unknown"}}
    assert "q_maybe_child" in shown(default_definition, answers)
    assert "CHILD" not in codes(default_definition, answers)
    for judgement in (Y, {"special": "unknown"}):
        answers["q_maybe_child"] = judgement
        assert "CHILD" in codes(default_definition, answers)
        assert "child" in shown_sections(default_definition, answers)
    answers["q_maybe_child"] = N
    assert "CHILD" not in codes(default_definition, answers)


def test_companion_question_only_for_a_relative(default_definition: Definition) -> None:
    child = {**CONSENTED, "q_age": {"age": 14, "dob": None, "estimated": False}}
    assert "q_companion_is_relative" not in shown(default_definition, child)
    child["q_travelled_with"] = "relative"
    assert "q_companion_is_relative" in shown(default_definition, child)


def test_follow_up_questions(default_definition: Definition) -> None:
    ids = shown(default_definition, CONSENTED)
    assert not {"q_passport_holder", "q_debt_holder", "q_sexual_violence"} & ids
    more = {
        **CONSENTED,
        "q_id_document": "held_by_other",
        "q_fee_or_loan": Y,
        "q_same_gender_offered": Y,
    }
    assert {"q_passport_holder", "q_debt_holder", "q_sexual_violence"} <= shown(
        default_definition, more
    )
    nothing_promised = {**CONSENTED, "q_promised_work": "nothing", "q_work_type": ["no_work"]}
    hidden = {"q_job_different", "q_pay_different", "q_hours_per_day", "q_paid"}
    assert not hidden & shown(default_definition, nothing_promised)


def test_safety_flags(default_definition: Definition) -> None:
    d = default_definition
    assert codes(d, {"q_needs_doctor": Y}) == ["MEDICAL"]
    assert codes(d, {"q_controller_nearby": Y}) == ["DANGER"]
    assert codes(d, {"q_family_threatened_now": Y}) == ["DANGER"]
    assert codes(d, {"q_others_held": Y}) == ["URGENT"]
    assert codes(d, {"q_needs_doctor": {"special": "unknown"}}) == []
    assert codes(d, {"q_basic_needs": ["water"]}) == ["BASIC_NEEDS"]
    assert codes(d, {"q_basic_needs": ["none"]}) == []
    flag = active_flags(d, {"q_others_held": Y})[0]
    assert flag.level == "alert" and "police" in flag.action.get("en")


def test_interpreter_linked_to_employer_raises_a_notice(default_definition: Definition) -> None:
    for who in ("companion", "employer", "coworker"):
        flags = active_flags(default_definition, {"q_interpreter": who})
        assert [(f.code, f.level) for f in flags] == [("INTERPRETER", "notice")]
    assert active_flags(default_definition, {"q_interpreter": "professional"}) == []


def test_scam_compound_case_is_referred(default_definition: Definition) -> None:
    answers = {
        **CONSENTED,
        "q_heard_of_job": ["facebook"],
        "q_promised_work": "office_online",
        "q_job_different": Y,
        "q_pay_different": Y,
        "q_work_type": ["scam_online"],
        "q_hours_per_day": 16,
        "q_free_to_leave": N,
        "q_watched": ["guarded", "phone_taken"],
        "q_deceive_online": Y,
        "q_quota_punishment": Y,
        "q_ransom": Y,
    }
    outcome = score(default_definition, answers)
    assert (outcome.tier, outcome.reason) == ("refer_mdt", "refer_mdt.adult")
    assert outcome.element("forced_criminality").positive
    assert "NON_PUNISHMENT" in [f.code for f in outcome.flags]


def test_refusing_consent_drops_earlier_answers_from_the_score(
    default_definition: Definition,
) -> None:
    answers = {**CONSENTED, "q_job_different": Y, "q_free_to_leave": N, "q_violence": Y}
    assert score(default_definition, answers).tier == "possible_victim"
    answers["q_consent_interview"] = N
    assert score(default_definition, answers).tier == "no_indicators"


def test_long_hours_threshold_from_the_file(default_definition: Definition) -> None:
    assert default_definition.parameters["max_hours_per_day"] == 12
    answer = check_answer(default_definition, "q_hours_per_day", "๑๔")
    outcome = score(default_definition, {**CONSENTED, "q_hours_per_day": answer})
    assert outcome.tier == "labour_rights"
    assert score(default_definition, {**CONSENTED, "q_hours_per_day": 12}).tier == "no_indicators"


def test_interview_stopped_for_distress(default_definition: Definition) -> None:
    outcome = score(default_definition, {"q_interview_end": "stopped_distress"})
    assert (outcome.tier, outcome.reason) == (
        "possible_victim",
        "possible_victim.interview_stopped",
    )
    assert "does not rule trafficking out" in str(score(default_definition, {}).explanation)
