"""Loading, validating and discovering definition files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.questionnaire import (
    SHIPPED_DIR,
    Definition,
    DefinitionError,
    Problem,
    discover,
    load_definition,
    validate_file,
)
from app.questionnaire.definition import SCHEMA_PATH

from .conftest import DEFAULT_PATH, REPO

BROKEN = """
id: broken
version: 1.0.0
languages: [en]
parameters: {limit: 3}
sections:
  - id: first
    title: {en: First}
    questions:
      - id: q_a
        type: yesno
        label: {en: A}
        relevant: "${q_c} = 'yes'"
        indicators: [{element: made_up_element, adult: strong}]
      - id: q_a
        type: yesno
        label: {en: A again}
      - id: q_b
        type: number
        label: {en: B}
        relevant: "${q_a} = = 1"
      - id: q_c
        type: single
        label: {en: C}
        relevant: "selected(${q_a}, 'purple') or ${q_a} = 'unknown'"
        indicators: [{element: exploitation, adult: medium}]
        options:
          - {value: x, label: {en: X}}
          - {value: x, label: {en: X again}}
          - {value: unknown, label: {en: Not sure}}
  - id: second
    title: {en: Second}
    relevant: "${q_nowhere} = 1"
    questions:
      - id: q_d
        type: slider
        label: {en: D}
      - id: q_e
        type: single
        label: {en: E}
flags:
  - id: f_one
    code: DANGER
    when: "${q_a} = 'yes' and no_such_param > 1"
    action: {en: Act}
  - id: f_one
    code: lower_case
    when: "true"
    action: {en: Act}
outcome:
  groups:
    act: [deceptive_recruitment]
    purpose: [exploitation]
  child_when: "${q_b} <"
  refer_mdt: {adult: [act, means, purpose]}
  possible_victim:
    triggers: [{when: "${q_ghost} = 1", reason: stopped}]
  explanations:
    refer_mdt: {en: R}
    possible_victim: {en: P}
    labour_rights: {en: L}
    no_indicators: {en: N}
"""

EXPECTED = [
    ("definition", "'title' is a required property"),
    ("sections[0].questions[0].indicators[0].element", "is not one of"),
    ("sections[0].questions[0].relevant", "does not come before it"),
    ("sections[0].questions[1].id", "duplicate question id 'q_a'"),
    ("sections[0].questions[2].relevant", "does not parse (unexpected_token)"),
    ("sections[0].questions[3].relevant", "has no option 'purple'"),
    ("sections[0].questions[3].relevant", "has no option 'unknown' (use unknown(${q_a}))"),
    ("sections[0].questions[3].indicators[0]", "needs 'when'"),
    ("sections[0].questions[3].options[1].value", "duplicate option 'x'"),
    ("sections[0].questions[3].options[2].value", "should not be valid"),
    ("sections[1].relevant", "unknown question 'q_nowhere'"),
    ("sections[1].questions[0].type", "unknown question type 'slider'"),
    ("sections[1].questions[1]", "needs options"),
    ("flags[0].when", "unknown parameter 'no_such_param'"),
    ("flags[1].id", "duplicate flag id 'f_one'"),
    ("flags[1].code", "does not match"),
    ("outcome.child_when", "does not parse (unexpected_end)"),
    ("outcome.refer_mdt.adult", "unknown outcome group 'means'"),
    ("outcome.possible_victim.strong_from", "unknown outcome group 'means'"),
    ("outcome.possible_victim.triggers[0].when", "unknown question 'q_ghost'"),
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_published_schema_is_identical() -> None:
    published = REPO / "docs" / "questionnaire.schema.json"
    assert published.read_bytes() == SCHEMA_PATH.read_bytes()
    assert json.loads(SCHEMA_PATH.read_text())["$schema"].endswith("2020-12/schema")


def test_broken_definition_reports_every_problem(tmp_path: Path) -> None:
    problems = validate_file(write(tmp_path, "broken.yaml", BROKEN))
    assert all(isinstance(p, Problem) for p in problems)
    for location, fragment in EXPECTED:
        assert any(p.location == location and fragment in p.message for p in problems), (
            location,
            fragment,
            [str(p) for p in problems],
        )


def test_load_refuses_a_broken_definition(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, "broken.yaml", BROKEN))
    assert len(caught.value.problems) >= len(EXPECTED)
    assert all(p.location.startswith("broken.yaml: ") for p in caught.value.problems)


def test_invalid_yaml_is_one_problem(tmp_path: Path) -> None:
    problems = validate_file(write(tmp_path, "bad.yaml", "id: [unclosed\n"))
    assert [p.location for p in problems] == ["file"]
    assert "not valid YAML" in problems[0].message


def test_repeated_yaml_key_is_a_problem(tmp_path: Path) -> None:
    problems = validate_file(write(tmp_path, "dup.yaml", "id: a\nid: b\n"))
    assert "duplicate key 'id'" in problems[0].message


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    problems = validate_file(tmp_path / "absent.yaml")
    assert problems[0].location == "file"


def test_yes_and_no_stay_strings(tmp_path: Path) -> None:
    text = DEFAULT_PATH.read_text().replace("version: 1.0.0", "version: 1.0.1")
    text = text.replace("- {value: full,", "- {value: no,")  # unquoted no is the string "no"
    definition = load_definition(write(tmp_path, "d.yaml", text))
    question = definition.question("q_paid")
    assert question is not None and question.options[0].value == "no"


def test_definition_is_typed_and_frozen(default_definition: Definition) -> None:
    d = default_definition
    assert d.key == ("tip-default", "1.0.0")
    assert d.title.get("th") != d.title.get("en")  # translated
    assert d.title.get("xx") == d.title.get("en")  # an unknown language falls back to English
    question = d.question("q_hours_per_day")
    assert question is not None
    assert (question.type, question.min, question.max, question.section_id) == (
        "number",
        0.0,
        24.0,
        "work",
    )
    with pytest.raises(AttributeError):
        question.id = "other"  # type: ignore[misc]


def test_discover_shipped_and_instance(tmp_path: Path) -> None:
    instance = tmp_path / "instance" / "questionnaires"
    instance.mkdir(parents=True)
    text = DEFAULT_PATH.read_text()
    (instance / "org.yaml").write_text(text.replace("version: 1.0.0", "version: 1.10.0"))
    (instance / "older.yaml").write_text(text.replace("version: 1.0.0", "version: 1.2.0"))
    (instance / "README.txt").write_text("not a definition")
    found = discover([SHIPPED_DIR, instance, tmp_path / "missing"])
    # Shipped: 1.0.0 (default.yaml) and 1.1.0; numeric order, so 1.10.0 comes last.
    assert [d.version for d in found] == ["1.0.0", "1.1.0", "1.2.0", "1.10.0"]
    assert found[0].path == DEFAULT_PATH


def test_discover_refuses_a_duplicate_id_and_version(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_PATH, tmp_path / "copy.yaml")
    with pytest.raises(DefinitionError) as caught:
        discover([SHIPPED_DIR, tmp_path])
    assert "tip-default 1.0.0 is also defined" in str(caught.value)


def test_discover_reports_broken_files(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", BROKEN)
    with pytest.raises(DefinitionError) as caught:
        discover([tmp_path])
    assert any(p.location.startswith("broken.yaml") for p in caught.value.problems)
