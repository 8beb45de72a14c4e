"""Scoring: element rule, outcome tiers, child path, flags -- a table of cases."""

from __future__ import annotations

from typing import Any

import pytest

from app.questionnaire import Definition, active_flags, score
from app.questionnaire.scoring import element_positive

EN = {"en": "text"}
Y, N = "yes", "no"
UNK, DEC = {"special": "unknown"}, {"special": "declined"}


def yn(
    qid: str, element: str | None = None, adult: str = "", child: str | None = None, **extra: Any
) -> dict[str, Any]:
    question: dict[str, Any] = {"id": qid, "type": "yesno", "label": EN, **extra}
    if element:
        indicator = {"element": element, "adult": adult}
        if child:
            indicator["child"] = child
        question["indicators"] = [indicator]
    return question


SECTIONS = [
    {
        "id": "s0",
        "title": EN,
        "questions": [
            {"id": "age", "type": "age_or_dob", "label": EN},
            yn("gate"),
            {
                "id": "stop",
                "type": "single",
                "label": EN,
                "options": [
                    {"value": "completed", "label": EN},
                    {"value": "distress", "label": EN},
                ],
            },
        ],
    },
    {
        "id": "s1",
        "title": EN,
        "questions": [
            yn("dr_s", "deceptive_recruitment", "strong"),
            yn("dr_m", "deceptive_recruitment", "medium"),
            yn("dr_w", "deceptive_recruitment", "weak"),
            yn("ex_s", "exploitation", "strong"),
            yn("ex_s2", "exploitation", "strong"),
            yn("ex_m", "exploitation", "medium", child="strong"),
            yn("ex_w", "exploitation", "weak"),
            yn("co_s", "coercion_at_destination", "strong"),
            yn("co_s2", "coercion_at_destination", "strong"),
            yn("co_m1", "coercion_at_destination", "medium"),
            yn("co_m2", "coercion_at_destination", "medium"),
            yn("co_m3", "coercion_at_destination", "medium"),
            yn("co_w", "coercion_at_destination", "weak"),
            yn("av_m", "abuse_of_vulnerability_at_destination", "medium"),
            yn("fc_s", "forced_criminality", "strong"),
            yn("fc_s2", "forced_criminality", "strong"),
            yn("child_only", "recruitment_abuse_of_vulnerability", "none", child="strong"),
            yn(
                "free",
                None,
                core=True,
                indicators=[
                    {
                        "element": "coercion_at_destination",
                        "adult": "strong",
                        "when": "${free} = 'no'",
                    }
                ],
            ),
            yn("core1", core=True),
            yn("core2", core=True),
            yn("core3", core=True),
            {
                "id": "work",
                "type": "multi",
                "label": EN,
                "options": [
                    {
                        "value": "scam",
                        "label": EN,
                        "indicators": [{"element": "forced_criminality", "adult": "medium"}],
                    },
                    {
                        "value": "fines",
                        "label": EN,
                        "indicators": [{"element": "exploitation", "adult": "medium"}],
                    },
                    {"value": "farm", "label": EN},
                ],
            },
            {
                "id": "hours",
                "type": "number",
                "label": EN,
                "indicators": [
                    {"element": "exploitation", "adult": "medium", "when": "${hours} > max_hours"}
                ],
            },
        ],
    },
    {
        "id": "s2",
        "title": EN,
        "relevant": "${gate} = 'yes'",
        "questions": [
            yn("hid_s", "coercion_at_destination", "strong"),
            yn("hid_s2", "coercion_at_destination", "strong"),
        ],
    },
]
FLAGS = [
    {"id": "f_child", "code": "CHILD", "when": "${age} < 18 or unknown(${age})", "action": EN},
    {"id": "f_danger", "code": "DANGER", "when": "${dr_s} = 'yes'", "action": EN},
    {"id": "f_hidden", "code": "URGENT", "when": "${hid_s} = 'yes'", "action": EN},
]
OUTCOME = {
    "child_when": "${age} < 18 or unknown(${age})",
    "possible_victim": {
        "unknown_share": 0.5,
        "triggers": [{"when": "${stop} = 'distress'", "reason": "interview_stopped"}],
    },
}


@pytest.fixture
def mini(make_definition: Any) -> Definition:
    return make_definition(SECTIONS, flags=FLAGS, parameters={"max_hours": 12}, outcome=OUTCOME)


def yes(*qids: str, **more: object) -> dict[str, object]:
    answers: dict[str, object] = dict.fromkeys(qids, Y)
    answers.update(more)
    return answers


ADULT = {"age": 30, "dob": None, "estimated": False}
CHILD = {"age": 16, "dob": None, "estimated": False}
FULL_ADULT = ("dr_s", "dr_w", "co_s", "co_s2", "ex_s", "ex_s2")

# (name, answers, tier, reason, child, positive elements)
CASES: list[tuple[str, dict[str, object], str, str, bool, set[str]]] = [
    ("nothing answered", {}, "no_indicators", "no_indicators.none", False, set()),
    (
        "adult, act + means + exploitation",
        yes(*FULL_ADULT, age=ADULT),
        "refer_mdt",
        "refer_mdt.adult",
        False,
        {"deceptive_recruitment", "coercion_at_destination", "exploitation"},
    ),
    (
        "adult, act + means + forced criminality",
        yes("dr_s", "dr_w", "co_s", "co_w", "fc_s", "fc_s2", age=ADULT),
        "refer_mdt",
        "refer_mdt.adult",
        False,
        {"deceptive_recruitment", "coercion_at_destination", "forced_criminality"},
    ),
    (
        "adult, act + purpose without means",
        yes("dr_s", "dr_w", "ex_s", "ex_s2"),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        {"deceptive_recruitment", "exploitation"},
    ),
    (
        "adult, act + means without purpose",
        yes("dr_s", "dr_w", "co_s", "co_s2"),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        {"deceptive_recruitment", "coercion_at_destination"},
    ),
    (
        "adult, exploitation only",
        yes("ex_s", "ex_s2"),
        "labour_rights",
        "labour_rights.purpose_without_means",
        False,
        {"exploitation"},
    ),
    (
        "adult, one weak exploitation indicator",
        yes("ex_w"),
        "labour_rights",
        "labour_rights.purpose_without_means",
        False,
        set(),
    ),
    (
        "adult, forced criminality only",
        yes("fc_s", "fc_s2"),
        "labour_rights",
        "labour_rights.purpose_without_means",
        False,
        {"forced_criminality"},
    ),
    (
        "one strong recruitment indicator",
        yes("dr_s"),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        set(),
    ),
    (
        "one strong means indicator (answer no)",
        {"free": N},
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        set(),
    ),
    (
        "free to leave: yes raises nothing",
        {"free": Y},
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "two medium indicators",
        yes("dr_m", "co_m1"),
        "possible_victim",
        "possible_victim.medium_indicators",
        False,
        set(),
    ),
    (
        "two medium means indicators",
        yes("av_m", "co_m1"),
        "possible_victim",
        "possible_victim.medium_indicators",
        False,
        set(),
    ),
    ("one medium indicator", yes("dr_m"), "no_indicators", "no_indicators.none", False, set()),
    ("one weak indicator", yes("dr_w"), "no_indicators", "no_indicators.none", False, set()),
    (
        "rule: 3 medium is positive",
        yes("co_m1", "co_m2", "co_m3"),
        "possible_victim",
        "possible_victim.medium_indicators",
        False,
        {"coercion_at_destination"},
    ),
    (
        "rule: 2 medium + 1 weak is positive",
        yes("co_m1", "co_m2", "co_w"),
        "possible_victim",
        "possible_victim.medium_indicators",
        False,
        {"coercion_at_destination"},
    ),
    (
        "rule: 1 medium + 1 weak is not",
        yes("co_m1", "co_w"),
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "rule: 1 strong + 1 weak is positive",
        yes("co_s", "co_w"),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        {"coercion_at_destination"},
    ),
    (
        "rule: 1 strong alone is not",
        yes("co_s"),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        set(),
    ),
    (
        "child, act + purpose is enough",
        yes("dr_s", "dr_w", "ex_s", "ex_s2", age=CHILD),
        "refer_mdt",
        "refer_mdt.child",
        True,
        {"deceptive_recruitment", "exploitation"},
    ),
    (
        "child strengths make exploitation positive",
        yes("dr_s", "dr_w", "ex_m", "ex_w", age=CHILD),
        "refer_mdt",
        "refer_mdt.child",
        True,
        {"deceptive_recruitment", "exploitation"},
    ),
    (
        "same answers for an adult",
        yes("dr_s", "dr_w", "ex_m", "ex_w", age=ADULT),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        {"deceptive_recruitment"},
    ),
    (
        "age unknown is treated as a child",
        yes("dr_s", "dr_w", "ex_s", "ex_s2", age=UNK),
        "refer_mdt",
        "refer_mdt.child",
        True,
        {"deceptive_recruitment", "exploitation"},
    ),
    (
        "child-only indicator for a child",
        yes("child_only", age=CHILD),
        "possible_victim",
        "possible_victim.strong_indicator",
        True,
        set(),
    ),
    (
        "child-only indicator for an adult",
        yes("child_only", age=ADULT),
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "child, purpose only is partly met",
        yes("ex_s", "ex_s2", age=CHILD),
        "possible_victim",
        "possible_victim.partial",
        True,
        {"exploitation"},
    ),
    (
        "unknown and declined do not count",
        {"dr_s": UNK, "co_s": DEC, "ex_s": UNK, "free": UNK},
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "many core items unknown",
        {"free": UNK, "core1": DEC, "core2": UNK, "core3": Y},
        "possible_victim",
        "possible_victim.unknown_share",
        False,
        set(),
    ),
    (
        "half the core items unknown (threshold)",
        {"free": UNK, "core1": DEC},
        "possible_victim",
        "possible_victim.unknown_share",
        False,
        set(),
    ),
    (
        "a quarter of core items unknown",
        {"free": UNK, "core1": Y},
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "stale answers in a hidden section",
        yes("hid_s", "hid_s2", gate=N),
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "same answers with the section shown",
        yes("hid_s", "hid_s2", gate=Y),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        {"coercion_at_destination"},
    ),
    (
        "interview stopped for distress",
        {"stop": "distress"},
        "possible_victim",
        "possible_victim.interview_stopped",
        False,
        set(),
    ),
    (
        "multi options carry indicators",
        {"work": ["scam", "fines"]},
        "labour_rights",
        "labour_rights.purpose_without_means",
        False,
        set(),
    ),
    (
        "unknown multi answer raises nothing",
        {"work": UNK},
        "no_indicators",
        "no_indicators.none",
        False,
        set(),
    ),
    (
        "number over the configured threshold",
        {"hours": 14},
        "labour_rights",
        "labour_rights.purpose_without_means",
        False,
        set(),
    ),
    ("number at the threshold", {"hours": 12}, "no_indicators", "no_indicators.none", False, set()),
    (
        "exploitation from three medium sources",
        yes("dr_s", "dr_w", "co_s", "co_w", "ex_m", work=["fines"], hours=15),
        "refer_mdt",
        "refer_mdt.adult",
        False,
        {"deceptive_recruitment", "coercion_at_destination", "exploitation"},
    ),
    (
        "an override is not an answer",
        yes("dr_s", override="refer_mdt", override_reason="x"),
        "possible_victim",
        "possible_victim.strong_indicator",
        False,
        set(),
    ),
]


@pytest.mark.parametrize(
    ("answers", "tier", "reason", "child", "positive"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_score_table(
    mini: Definition,
    answers: dict[str, object],
    tier: str,
    reason: str,
    child: bool,
    positive: set[str],
) -> None:
    outcome = score(mini, answers)
    assert (outcome.tier, outcome.reason, outcome.child) == (tier, reason, child)
    assert {e.element for e in outcome.elements if e.positive} == positive
    assert str(outcome.explanation) == "text"


def test_every_tier_is_in_the_table() -> None:
    assert len(CASES) >= 30
    assert {case[2] for case in CASES} == {
        "refer_mdt",
        "possible_victim",
        "labour_rights",
        "no_indicators",
    }


def test_outcome_lists_the_indicators_that_fired(mini: Definition) -> None:
    outcome = score(mini, yes("dr_s", "ex_m", age=CHILD, work=["fines", "farm"]))
    fired = {(h.question_id, h.option, h.element, h.strength) for h in outcome.indicators}
    assert fired == {
        ("dr_s", None, "deceptive_recruitment", "strong"),
        ("ex_m", None, "exploitation", "strong"),  # child strength
        ("work", "fines", "exploitation", "medium"),
    }
    exploitation = outcome.element("exploitation")
    assert exploitation.positive and len(exploitation.indicators) == 2
    assert outcome.groups == {"act": False, "means": False, "purpose": True}


def test_reasons_list_every_rule_that_held(mini: Definition) -> None:
    outcome = score(mini, yes("dr_s", "dr_w", "co_m1", "co_m2", stop="distress"))
    assert outcome.reasons == (
        "possible_victim.strong_indicator",
        "possible_victim.medium_indicators",
        "possible_victim.interview_stopped",
    )


def test_flags_do_not_depend_on_the_score(mini: Definition) -> None:
    outcome = score(mini, {"age": CHILD})
    assert outcome.tier == "no_indicators"
    assert [f.code for f in outcome.flags] == ["CHILD"]


def test_active_flags_after_one_answer(mini: Definition) -> None:
    assert active_flags(mini, {}) == []
    assert [f.code for f in active_flags(mini, {"dr_s": Y})] == ["DANGER"]
    assert [f.code for f in active_flags(mini, {"age": UNK, "dr_s": Y})] == ["CHILD", "DANGER"]


def test_flags_ignore_hidden_answers(mini: Definition) -> None:
    assert active_flags(mini, {"gate": N, "hid_s": Y}) == []
    assert [f.code for f in active_flags(mini, {"gate": Y, "hid_s": Y})] == ["URGENT"]


def test_thresholds_come_from_the_definition(make_definition: Any) -> None:
    strict = make_definition(
        SECTIONS,
        parameters={"max_hours": 16},
        outcome={"possible_victim": {"medium_count": 3, "unknown_share": 0.75}},
    )
    assert score(strict, {"hours": 14}).tier == "no_indicators"
    assert score(strict, yes("dr_m", "co_m1")).tier == "no_indicators"
    assert score(strict, {"free": UNK, "core1": DEC}).tier == "no_indicators"


def test_element_rule_comes_from_the_definition(make_definition: Any) -> None:
    lenient = make_definition(
        SECTIONS, parameters={"max_hours": 12}, outcome={"element_rule": [["medium"]]}
    )
    assert score(lenient, yes("co_m1")).element("coercion_at_destination").positive


@pytest.mark.parametrize(
    ("strengths", "positive"),
    [
        (["strong", "strong"], True),
        (["strong", "medium"], True),
        (["strong", "weak"], True),
        (["strong"], False),
        (["medium", "medium", "medium"], True),
        (["medium", "medium", "weak"], True),
        (["weak", "medium", "medium"], True),
        (["medium", "medium"], False),
        (["medium", "weak", "weak"], False),
        (["weak"] * 5, False),
        ([], False),
    ],
)
def test_default_element_rule(strengths: list[str], positive: bool) -> None:
    from app.questionnaire.definition import DEFAULT_ELEMENT_RULE

    assert element_positive(strengths, DEFAULT_ELEMENT_RULE) is positive
