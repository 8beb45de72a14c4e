"""docs/exports.md "HTCDS names" says exactly what the shipped definitions map."""

from __future__ import annotations

import re

import pytest

from app.questionnaire import SHIPPED_DIR, Definition, load_definition
from app.questionnaire.fields import field_type_of
from app.questionnaire.htcds import is_multiple

from .conftest import REPO

DOC = REPO / "docs" / "exports.md"
CODE = re.compile(r"`([^`]+)`")


@pytest.fixture(scope="module")
def latest() -> Definition:
    return load_definition(SHIPPED_DIR / "tip-default-1.1.0.yaml")


def section(title: str, level: str = "##") -> str:
    """The text under ``title`` up to the next heading of the same level or higher."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n{level} {title}\n")
    rest = text[start + len(title) + len(level) + 2 :]
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", rest, re.M)]
    return rest[: ends[0]] if ends else rest


def documented_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in section("The mapping", "###").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("kind", "---"):
            continue
        ours = " ".join(CODE.findall(cells[1]))
        rows.append((cells[0], ours, CODE.findall(cells[2])[0]))
    return rows


def defined_rows(definition: Definition) -> list[tuple[str, str, str]]:
    rows = []
    for question in definition.questions():
        if question.htcds:
            rows.append(("question", question.id, question.htcds))
        kind = "0/1 column" if is_multiple(question) else "value"
        rows += [(kind, f"{question.id} {o.value}", o.htcds) for o in question.options if o.htcds]
    rows += [("fact", f.id, f.htcds) for f in definition.facts if f.htcds]
    return rows


def test_the_htcds_section_is_where_the_other_sections_can_find_it() -> None:
    assert "HTCDS Field Standards 2.0.ods" in section("HTCDS names")


def test_the_table_is_the_mapping_of_the_latest_definition(latest: Definition) -> None:
    documented = documented_rows()
    assert len(documented) > 30
    assert documented == defined_rows(latest)


def test_version_1_0_0_is_the_table_without_the_sex_question() -> None:
    old = load_definition(SHIPPED_DIR / "default.yaml")
    without_sex = [r for r in documented_rows() if r[1].split()[0] not in ("q_sex", "sex")]
    assert defined_rows(old) == without_sex


def test_the_questions_with_no_counterpart_are_listed(latest: Definition) -> None:
    listed = set(CODE.findall(section("Questions with no HTCDS counterpart", "###")))
    listed = {name for name in listed if name.startswith("q_")}
    unmapped = {
        q.id
        for q in latest.questions()
        if field_type_of(q).answerable and not q.htcds and not any(o.htcds for o in q.options)
    }
    assert listed == unmapped


def test_the_options_with_no_counterpart_are_listed(latest: Definition) -> None:
    text = section("Options with no HTCDS counterpart", "###")
    listed = set(re.findall(r"`(q_\w+)` `(\w+)`", text))
    mapped = [q for q in latest.questions() if q.htcds or any(o.htcds for o in q.options)]
    missing = {(q.id, o.value) for q in mapped for o in q.options if not o.htcds}
    assert listed == missing


def test_the_facts_with_no_counterpart_are_listed(latest: Definition) -> None:
    listed = set(CODE.findall(section("Facts with no HTCDS counterpart", "###")))
    assert listed == {f.id for f in latest.facts if not f.htcds}
