"""XLSForm expressions into the engine's language and back."""

from __future__ import annotations

import pytest

from app.questionnaire.expr_parser import parse
from app.questionnaire.xlsform.expressions import (
    Names,
    Untranslatable,
    engine_text,
    from_xpath,
    to_xpath,
)

NAMES = Names(
    questions=frozenset({"q_a", "q_b", "q_n", "q_m"}),
    selects={"q_a": {"dk": "unknown", "refused": "declined"}, "q_m": {}},
    parameters=frozenset({"limit"}),
    current="q_n",
)


@pytest.mark.parametrize(("xpath", "engine"), [
    ("${q_a} = 'yes'", "${q_a} = 'yes'"),
    ("selected(${q_m}, 'scam')", "selected(${q_m}, 'scam')"),
    ("count-selected(${q_m}) > 1", "count_selected(${q_m}) > 1"),
    ("not(selected(${q_m}, 'x'))", "not selected(${q_m}, 'x')"),
    ("${q_a} = 'yes' and (${q_b} = 'no' or ${q_n} >= 3)",
     "${q_a} = 'yes' and (${q_b} = 'no' or ${q_n} >= 3)"),
    ("not(${q_a} = 'yes' and ${q_b} = 'x')", "not (${q_a} = 'yes' and ${q_b} = 'x')"),
    # XPath's != holds for an empty answer; the engine's does not, so it becomes not (=).
    ("${q_b} != 'x'", "not (${q_b} = 'x')"),
    ("${q_n} + 2 * 3 > ${limit} div 2", "${q_n} + 2 * 3 > limit / 2"),
    ("-${q_n} < 0.5", "-${q_n} < 0.5"),
    (". > 3", "${q_n} > 3"),
    ("true() and false()", "true and false"),
    ("${q_b} != ''", "answered(${q_b})"),
    ("${q_b} = ''", "not answered(${q_b})"),
    # The special choices are the engine's special answers.
    ("${q_a} = 'dk'", "unknown(${q_a})"),
    ("selected(${q_a}, 'refused')", "declined(${q_a})"),
    ("${q_a} != 'dk'", "not unknown(${q_a})"),
    ("${q_b} = \"it's\"", "${q_b} = 'it\\'s'"),
])
def test_xlsform_expressions_become_the_engines(xpath: str, engine: str) -> None:
    assert from_xpath(xpath, NAMES) == engine
    parse(engine)  # the engine reads what was written


@pytest.mark.parametrize(("xpath", "construct"), [
    ("today() > ${q_n}", "today()"),
    ("regex(${q_b}, '[a-z]+')", "regex()"),
    ("${q_n} mod 2 = 0", "mod"),
    ("/data/q_a = 'yes'", "/"),
    ("../q_a = 'yes'", ".."),
    ("${q_zz} = 1", "${q_zz}"),
    ("${q_a} = 'yes' = true()", "= ="),
    ("position() > 1", "position()"),
    ("jr:choice-name(${q_a}, '${q_a}')", "jr:choice-name()"),
    ("${q_a} = 'yes' and", "(end)"),
    ("coalesce(${q_a}, 'x') = 'x'", "coalesce()"),
    ("'open", "'open"),
])
def test_what_the_engine_cannot_express_is_refused_by_name(xpath: str, construct: str) -> None:
    with pytest.raises(Untranslatable) as error:
        from_xpath(xpath, NAMES)
    assert error.value.construct == construct


@pytest.mark.parametrize("engine", [
    "${q_a} = 'yes'",
    "not selected(${q_m}, 'x') or count_selected(${q_m}) >= 2",
    "${q_n} > limit * 2 - 1",
    "${q_n} - (1 - 2) = 3",
    "selected(${q_m}, 'a') and not (${q_b} = 'x' or ${q_n} < 1)",
])
def test_canonical_engine_expressions_survive_the_round_trip(engine: str) -> None:
    assert from_xpath(to_xpath(engine, NAMES), NAMES) == engine


def test_the_engines_own_functions_become_xpath_collect_understands() -> None:
    assert to_xpath("known(${q_a})", NAMES) == (
        "${q_a} != '' and not(selected(${q_a}, 'dk')) and not(selected(${q_a}, 'refused'))")
    assert to_xpath("known(${q_b})", NAMES) == "${q_b} != ''"
    assert to_xpath("unknown(${q_a})", NAMES) == "selected(${q_a}, 'dk')"
    assert to_xpath("declined(${q_b})", NAMES) == "false()"
    assert to_xpath("${q_b} = 'it\\'s \"x\"'", NAMES) == "${q_b} = concat('it', \"'\", 's \"x\"')"
    assert to_xpath("not known(${q_b}) or ${q_n} / 2 > limit", NAMES) == (
        "not(${q_b} != '') or ${q_n} div 2 > ${limit}")


def test_engine_text_parses_back_to_the_same_tree() -> None:
    for source in ("not (${q_a} = 'x') and -(${q_n} + 1) * 2 < limit",
                   "(${q_n} > 1 or ${q_n} < 0) and not unknown(${q_a})"):
        assert parse(engine_text(parse(source))) == parse(source)
