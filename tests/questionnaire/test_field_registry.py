"""The field-type registry is complete: every registered type has every piece, and a
new type is one class and one template.

``missing_pieces`` is the checklist. It is run on every registered type, on a
deliberately incomplete type (it must name what is missing), and on a type
written here (``Scale``) that is driven through the real pages, autosave,
review, demo data and skip logic with nothing else added but its template.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.datastructures import MultiDict

from app.questionnaire import (
    FIELD_TYPES,
    AnswerError,
    DemoContext,
    FieldType,
    Question,
    Words,
    load_definition,
    normalize_answer,
    register,
    visible_questions,
)
from app.questionnaire.definition import SCHEMA_PATH, build_definition, read_yaml, schema_text, validate_data
from app.questionnaire.expr import Value, value_of
from app.questionnaire.fields.base import INPUT_KINDS
from app.questionnaire.fields.raw import number_of

from .conftest import BASE, DEFAULT_PATH, REPO

APP = REPO / "app"
EN = {"en": "text"}
REQUIRED = ("normalize", "show", "demo_answer", "expression_value")
SEEDS = range(12)


# ------------------------------------------------------------- the checklist


def example_question(kind: FieldType) -> Question:
    """The type's example as a question of a one-question definition (fails on any problem)."""
    assert kind.example is not None, "no example"
    unknown = set(kind.example) - set(kind.settings)
    assert not unknown, f"example uses settings the type does not declare: {sorted(unknown)}"
    data = json.loads(json.dumps(BASE))
    question = {"id": "q_x", "type": kind.name, "label": EN, **kind.example}
    data["sections"] = [{"id": "s", "title": EN, "questions": [question]}]
    problems = validate_data(data)
    assert problems == [], [str(p) for p in problems]
    built = build_definition(data).question("q_x")
    assert built is not None
    return built


def demo_answers(kind: FieldType, question: Question) -> list[object]:
    """Stored values made from the type's demo answers (each must pass normalize)."""
    stored = []
    for seed in SEEDS:
        demo = DemoContext(rng=random.Random(seed), marker="DEMOMARK", lean=seed / len(SEEDS))
        raw = kind.demo_answer(question, demo)
        if not kind.answerable:
            assert raw is None, "a type that is never answered has no demo answer"
            continue
        value = normalize_answer(question, raw)
        assert value is not None, f"demo answer {raw!r} is no answer"
        if kind.free_text:
            assert "DEMOMARK" in str(value), "free text demo answers carry the marker"
        stored.append(value)
    return stored


def posted_form(kind: FieldType, question: Question, state: Mapping[str, object]) -> MultiDict[str, str]:
    """What the browser posts for inputs that show ``state`` (as the template renders it)."""
    name = f"q-{question.id}"
    form: MultiDict[str, str] = MultiDict()
    for field in kind.inputs:
        shown = state[field.key]
        if field.kind == "list":
            for value in shown:
                form.add(name + field.suffix, str(value))
        elif field.kind == "flag":
            if shown:
                form.add(name + field.suffix, "1")
        elif shown not in ("", None):
            form.add(name + field.suffix, str(shown))
    return form


def check_form(kind: FieldType, question: Question, stored: object) -> None:
    from app.screening.answers import field_state, raw_answer

    keys = [field.key for field in kind.inputs]
    assert len(keys) == len(set(keys)), "two inputs with one key"
    assert all(field.kind in INPUT_KINDS for field in kind.inputs), "unknown input kind"
    for locale in ("en", "th"):
        state = field_state(question, stored, None, locale)
        raw = raw_answer(question, posted_form(kind, question, state), locale)
        again = normalize_answer(question, raw)
        assert again == stored, f"{stored!r} shown as {state!r} reads back as {again!r} ({locale})"


def check_show(app: Flask, question: Question, stored: object) -> None:
    from app.web.labels import show_answer

    for lang in ("en", "th"):
        with app.test_request_context(headers={"Accept-Language": lang}):
            shown = show_answer(question, stored, lang)
        assert isinstance(shown, str) and shown.strip(), f"{stored!r} shown as {shown!r}"


def check_expression(kind: FieldType, question: Question, stored: object) -> None:
    value: Value = kind.expression_value(question, stored)
    assert value is None or isinstance(value, bool | float | str | list), repr(value)
    assert value is not None, f"a known answer {stored!r} is null in expressions"
    assert value_of(stored) == value, (
        f"expressions (expr.value_of and expr.js read stored JSON by its shape) see {stored!r}"
        f" as {value_of(stored)!r}, the type says {value!r}: store a shape they read"
    )


def missing_pieces(kind: FieldType, app: Flask) -> list[str]:
    """Every piece ``kind`` lacks or that does not work, with the reason; empty when complete."""
    missing: list[str] = []

    def piece(label: str, check: Callable[[], object]) -> object:
        try:
            return check()
        except NotImplementedError:
            missing.append(f"{label}: not implemented")
        except Exception as exc:  # noqa: BLE001 - the checklist reports every failure
            missing.append(f"{label}: {type(exc).__name__}: {exc}")
        return None

    if not re.fullmatch(r"[a-z][a-z_]*", kind.name or ""):
        missing.append("name")
    for method in REQUIRED:
        if getattr(type(kind), method) is getattr(FieldType, method):
            missing.append(f"{method}: not implemented")
    piece("template", lambda: app.jinja_env.get_template(kind.template))
    question = piece("schema config (settings, example)", lambda: example_question(kind))
    if not isinstance(question, Question):
        return missing
    stored = piece("demo_answer", lambda: demo_answers(kind, question))
    for value in stored if isinstance(stored, list) else []:
        piece("form (inputs, from_form, to_form)", lambda v=value: check_form(kind, question, v))
        piece("show", lambda v=value: check_show(app, question, v))
        piece("expression_value", lambda v=value: check_expression(kind, question, v))
    return sorted(set(missing))


@pytest.fixture
def registry() -> Iterator[Callable[[type[FieldType]], FieldType]]:
    """Register a type for one test; the registry is as it was afterwards."""
    saved = dict(FIELD_TYPES)

    def add(cls: type[FieldType]) -> FieldType:
        register(cls)
        return FIELD_TYPES[cls.name]

    yield add
    FIELD_TYPES.clear()
    FIELD_TYPES.update(saved)


# --------------------------------------------------------- the shipped types


@pytest.mark.parametrize("name", sorted(FIELD_TYPES))
def test_every_registered_type_has_every_piece(app: Flask, name: str) -> None:
    assert missing_pieces(FIELD_TYPES[name], app) == []


def test_every_type_has_a_template_file() -> None:
    for kind in FIELD_TYPES.values():
        assert (APP / "templates" / kind.template).is_file(), kind.name


def test_the_default_questionnaire_uses_every_type() -> None:
    definition = load_definition(DEFAULT_PATH)
    assert {q.type for q in definition.questions()} == set(FIELD_TYPES)


def test_published_schema_has_every_types_settings() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "a type's settings changed: run  flask questionnaire schema"
        " app/questionnaire/schema.json docs/questionnaire.schema.json"
    )


def test_schema_command_prints_and_writes_the_schema(runner: Any, tmp_path: Path) -> None:
    printed = runner.invoke(args=["questionnaire", "schema"])
    assert printed.exit_code == 0 and printed.output == schema_text()
    target = tmp_path / "schema.json"
    written = runner.invoke(args=["questionnaire", "schema", str(target)])
    assert written.exit_code == 0 and target.read_text(encoding="utf-8") == schema_text()


def test_settings_of_question_attributes_stay_out_of_question_settings() -> None:
    number = FIELD_TYPES["number"]
    assert set(number.settings) == {"min", "max", "integer", "unit"}
    question = example_question(number)
    assert (question.min, question.max, question.settings) == (0, 24, {})


TYPE_USE = re.compile(r"\b(q|question)\.type\b")
ALLOWED_USES = {
    'data-type="{{ q.type }}"',  # written into the page, never compared
    "question.type in TEXT_TYPES",  # app/services/records.py: the registry's FREE_TEXT_TYPES
    "question.type in FREE_TEXT_TYPES",  # app/services/odk/submissions.py: the same set, by its own name
}


def test_nothing_outside_the_registry_dispatches_on_type_names() -> None:
    """Only the registry (app/questionnaire/fields) looks at a question's type name."""
    found = []
    for path in sorted(APP.rglob("*")):
        if path.suffix not in (".py", ".html", ".js") or path.is_relative_to(APP / "questionnaire" / "fields"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            rest = line
            for allowed in ALLOWED_USES:
                rest = rest.replace(allowed, "")
            if TYPE_USE.search(rest):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []


def test_review_slip_and_central_show_answers_through_the_types() -> None:
    for page in ("screening/review.html", "screening/slip.html", "central/record.html"):
        assert "show_answer(" in (APP / "templates" / page).read_text(encoding="utf-8"), page


# ----------------------------------------------------------- the checklist bites


class Half(FieldType):
    """A type someone started and did not finish."""

    name = "half"

    def normalize(self, question: Question, raw: object, today: date) -> object:
        return str(raw)


def test_an_incomplete_type_is_caught(app: Flask, registry: Any) -> None:
    missing = missing_pieces(registry(Half), app)
    for piece in ("show", "demo_answer", "expression_value", "template", "schema config"):
        assert any(m.startswith(piece) for m in missing), (piece, missing)
    assert not any(m.startswith("normalize") for m in missing)


# ------------------------------------------------- a new type: one class, one template


class Scale(FieldType):
    """A rating from 1 to ``steps`` (a setting no shipped type has)."""

    name = "scale"
    settings = {"steps": {"type": "integer", "minimum": 2, "maximum": 10}}
    example = {"steps": 5}

    def definition_problems(self, question: Question) -> list[str]:
        problems = super().definition_problems(question)
        if "steps" not in question.settings:
            problems.append("a scale question needs steps")
        return problems

    def normalize(self, question: Question, raw: object, today: date) -> object:
        number = number_of(raw, question)
        steps = int(question.settings["steps"])
        if not number.is_integer() or not 1 <= number <= steps:
            raise AnswerError("answer.out_of_range", question.id, min=1, max=steps)
        return int(number)

    def show(self, question: Question, stored: object, words: Words) -> str:
        return f"{stored} / {question.settings['steps']}"

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        return str(demo.rng.randint(1, int(question.settings["steps"])))

    def expression_value(self, question: Question, stored: object) -> Value:
        return float(stored) if isinstance(stored, int) else None


SCALE_TEMPLATE = """<div class="choices choices-row">
  {% for n in range(1, q.settings.steps + 1) %}
    <label class="choice"><input type="radio" name="{{ name }}" value="{{ n }}" {% if st.value == n|string %}checked{% endif %}> {{ n }}</label>
  {% endfor %}
  {% include "screening/_radio_specials.html" %}
</div>
"""


@pytest.fixture
def scale_app(app: Flask, tmp_path: Path, registry: Any) -> Flask:
    """The station with Scale registered, its template in a templates folder, and a
    tip-default 1.99.0 that asks a scale question and one that shows when it is high."""
    registry(Scale)
    templates = tmp_path / "templates"
    (templates / "screening" / "fields").mkdir(parents=True)
    (templates / "screening" / "fields" / "scale.html").write_text(SCALE_TEMPLATE, encoding="utf-8")
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(templates), app.jinja_env.loader])
    data, problems = read_yaml(DEFAULT_PATH)
    assert isinstance(data, dict) and not problems
    data["version"] = "1.99.0"
    data["sections"][0]["questions"][1:1] = [
        {"id": "q_safe_scale", "type": "scale", "steps": 5, "label": {"en": "How safe do you feel here?"}},
        {"id": "q_safe_why", "type": "text", "label": {"en": "What makes you feel safe?"},
         "relevant": "${q_safe_scale} >= 4"},
    ]
    own = Path(app.instance_path) / "questionnaires"
    own.mkdir(exist_ok=True)
    (own / "scale.yaml").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return app


def test_a_new_type_needs_one_class_and_one_template(scale_app: Flask, start: Any) -> None:
    from app.services import demo, questionnaires
    from app.web.labels import show_answer
    from tests.support.interview import stored_answers

    assert missing_pieces(FIELD_TYPES["scale"], scale_app) == []

    interview = start("en")
    page = interview.page("setup").get_data(as_text=True)
    assert 'name="q-q_safe_scale" value="5"' in page  # rendered by its own template
    assert re.search(r'id="q-q_safe_why-box"[^>]*\bhidden\b', page)  # skip logic: not yet

    bad = interview.autosave(q_safe_scale="9")
    assert bad.status_code == 400 and "from 1 to 5" in " ".join(bad.get_json()["errors"].values())
    assert interview.autosave(q_safe_scale="4").get_json()["ok"]
    assert stored_answers(scale_app, interview)["q_safe_scale"]["value"] == 4

    page = interview.page("setup").get_data(as_text=True)
    assert 'value="4" checked' in page
    assert not re.search(r'id="q-q_safe_why-box"[^>]*\bhidden\b', page)  # 4 >= 4: shown

    review = interview.client.get(f"/screenings/{interview.id}/review").get_data(as_text=True)
    assert "4 / 5" in review

    with scale_app.test_request_context():
        definition = questionnaires.latest()
        assert definition.version == "1.99.0"
        question = definition.question("q_safe_scale")
        assert show_answer(question, 4, "en") == "4 / 5"  # as central's record page shows it
        answers = [demo._answers(definition, random.Random(seed), "DEMO") for seed in range(8)]
    made = [a["q_safe_scale"] for a in answers if "q_safe_scale" in a]
    assert made and all(1 <= int(str(v)) <= 5 for v in made if v != "__unknown__")
    assert any(q.id == "q_safe_why" for q in visible_questions(definition, {"q_safe_scale": 5}))


def test_a_new_types_settings_are_validated(registry: Any) -> None:
    registry(Scale)
    data = json.loads(json.dumps(BASE))
    data["sections"] = [{"id": "s", "title": EN, "questions": [
        {"id": "q_a", "type": "scale", "steps": 20, "label": EN},
        {"id": "q_b", "type": "scale", "label": EN},
    ]}]
    problems = [str(p) for p in validate_data(data)]
    assert any(p.startswith("sections[0].questions[0].steps:") for p in problems), problems
    assert "sections[0].questions[1]: a scale question needs steps" in problems
