"""Typed frozen data (app/questionnaire/model.py) from a definition that
:func:`app.questionnaire.definition.validate_data` accepted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..fields import FIELD_TYPES
from ..model import (
    Definition,
    FactRule,
    FlagRule,
    Indicator,
    LocalText,
    Option,
    OutcomeRules,
    Question,
    Section,
    Trigger,
)
from .reading import dicts

DEFAULT_ELEMENT_RULE: tuple[tuple[str, ...], ...] = (
    ("strong", "strong"),
    ("strong", "weak"),
    ("medium", "medium", "medium"),
    ("medium", "medium", "weak"),
)
DEFAULT_REFER_ADULT = ("act", "means", "purpose")
DEFAULT_REFER_CHILD = ("act", "purpose")
DEFAULT_SIGNAL_GROUPS = ("act", "means")
DEFAULT_LABOUR_GROUPS = ("purpose",)

# Settings kept in typed attributes of Question; any other setting goes to Question.settings.
QUESTION_ATTRIBUTES = frozenset(f.name for f in fields(Question))



def _text(value: object) -> LocalText:
    assert isinstance(value, dict)  # noqa: S101 - validated by the schema
    return LocalText({str(k): str(v) for k, v in value.items()})


def _maybe_text(value: object) -> LocalText | None:
    return _text(value) if value is not None else None


def _indicators(items: object, default_when: str | None = None) -> tuple[Indicator, ...]:
    built = []
    for _, item in dicts(items):
        built.append(
            Indicator(
                element=item["element"],
                adult=item["adult"],
                child=item.get("child", item["adult"]),
                when=item.get("when", default_when),
            )
        )
    return tuple(built)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def build_question(raw: dict[str, Any], section_id: str, audience: str) -> Question:
    qid = raw["id"]
    kind = FIELD_TYPES[raw["type"]]
    screener = bool(raw.get("screener_only", audience == "screener"))
    default_when = kind.default_indicator_when(qid)
    return Question(
        id=qid,
        type=raw["type"],
        label=_text(raw["label"]),
        section_id=section_id,
        help=_maybe_text(raw.get("help")),
        text=_maybe_text(raw.get("text")),
        relevant=raw.get("relevant"),
        constraint=raw.get("constraint"),
        constraint_message=_maybe_text(raw.get("constraint_message")),
        options=tuple(
            Option(
                value=o["value"],
                label=_text(o["label"]),
                indicators=_indicators(o.get("indicators")),
                exclusive=bool(o.get("exclusive", False)),
                htcds=o.get("htcds"),
            )
            for _, o in dicts(raw.get("options"))
        ),
        indicators=_indicators(raw.get("indicators"), default_when),
        min=_number(raw.get("min")),
        max=_number(raw.get("max")),
        integer=bool(raw.get("integer", True)),
        unit=_maybe_text(raw.get("unit")),
        max_length=int(raw.get("max_length", 2000)),
        allow_unknown=bool(raw.get("allow_unknown", True)),
        allow_declined=bool(raw.get("allow_declined", not screener)),
        core=bool(raw.get("core", False)),
        screener_only=screener,
        htcds=raw.get("htcds"),
        settings={
            key: raw[key] for key in kind.settings if key in raw and key not in QUESTION_ATTRIBUTES
        },
    )


def _outcome(raw: dict[str, Any]) -> OutcomeRules:
    refer = raw.get("refer_mdt", {})
    possible = raw.get("possible_victim", {})
    partial = possible.get("partial", {})
    labour = raw.get("labour_rights", {})
    return OutcomeRules(
        groups={name: tuple(members) for name, members in raw["groups"].items()},
        element_rule=tuple(tuple(c) for c in raw.get("element_rule", DEFAULT_ELEMENT_RULE)),
        child_when=raw.get("child_when"),
        refer_adult=tuple(refer.get("adult", DEFAULT_REFER_ADULT)),
        refer_child=tuple(refer.get("child", DEFAULT_REFER_CHILD)),
        partial_adult=int(partial.get("adult", 2)),
        partial_child=int(partial.get("child", 1)),
        strong_from=tuple(possible.get("strong_from", DEFAULT_SIGNAL_GROUPS)),
        medium_from=tuple(possible.get("medium_from", DEFAULT_SIGNAL_GROUPS)),
        medium_count=int(possible.get("medium_count", 2)),
        unknown_share=float(possible.get("unknown_share", 0.5)),
        triggers=tuple(
            Trigger(when=t["when"], reason=t["reason"]) for _, t in dicts(possible.get("triggers"))
        ),
        labour_groups=tuple(labour.get("groups", DEFAULT_LABOUR_GROUPS)),
        labour_min_indicators=int(labour.get("min_indicators", 1)),
        explanations={tier: _text(text) for tier, text in raw["explanations"].items()},
    )


def build_definition(data: Mapping[str, Any], path: Path | None = None) -> Definition:
    """Typed data from a definition that :func:`validate_data` accepted."""
    sections = []
    for _, raw in dicts(data["sections"]):
        audience = raw.get("audience", "respondent")
        sections.append(
            Section(
                id=raw["id"],
                title=_text(raw["title"]),
                intro=_maybe_text(raw.get("intro")),
                relevant=raw.get("relevant"),
                audience=audience,
                questions=tuple(
                    build_question(q, raw["id"], audience) for _, q in dicts(raw["questions"])
                ),
            )
        )
    return Definition(
        id=data["id"],
        version=data["version"],
        title=_text(data["title"]),
        description=_maybe_text(data.get("description")),
        languages=tuple(data["languages"]),
        parameters=dict(data.get("parameters", {})),
        sections=tuple(sections),
        flags=tuple(
            FlagRule(
                id=f["id"],
                code=f["code"],
                level=f.get("level", "alert"),
                when=f["when"],
                action=_text(f["action"]),
                label=_maybe_text(f.get("label")),
            )
            for _, f in dicts(data.get("flags"))
        ),
        outcome=_outcome(data["outcome"]),
        path=path,
        facts=tuple(
            FactRule(
                id=f["id"],
                label=_text(f["label"]),
                question=f.get("question"),
                source=f.get("source"),
                element=f.get("element"),
                bands=tuple(int(b) for b in f.get("bands", ())),
                coarsen=f.get("coarsen"),
                filter=bool(f.get("filter", False)),
                htcds=f.get("htcds"),
            )
            for _, f in dicts(data.get("facts"))
        ),
    )


