"""The questionnaire definition as typed, frozen data (built by ``definition/building.py``)."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..languages import CODES
from .client import build_client_model

ELEMENTS: tuple[str, ...] = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitation",
    "coercion_at_destination",
    "abuse_of_vulnerability_at_destination",
    "forced_criminality",
)
STRENGTHS: tuple[str, ...] = ("weak", "medium", "strong")  # weakest first
LANGUAGES: tuple[str, ...] = CODES  # declared in app/languages/declared.py


class Tier(enum.StrEnum):
    """A screening's outcome, most serious first. The values are the keys of a definition's
    ``outcome`` block and what a record's body stores, so they never change."""

    REFER_MDT = "refer_mdt"
    POSSIBLE_VICTIM = "possible_victim"
    LABOUR_RIGHTS = "labour_rights"
    NO_INDICATORS = "no_indicators"

    @classmethod
    def of(cls, value: str) -> Tier | None:
        """The tier a stored or posted string names, or None."""
        try:
            return cls(value)
        except ValueError:
            return None


TIERS: tuple[Tier, ...] = tuple(Tier)


@dataclass(frozen=True)
class LocalText:
    """One human text in several languages; English is always present."""

    texts: Mapping[str, str]

    def get(self, language: str = "en") -> str:
        return self.texts.get(language) or self.texts.get("en", "")

    def __str__(self) -> str:
        return self.get("en")


@dataclass(frozen=True)
class Indicator:
    """A victim indicator: fires for an option when it is chosen, or for a
    question when ``when`` holds (a yes/no question defaults to answer "yes")."""

    element: str
    adult: str  # weak | medium | strong | none
    child: str
    when: str | None = None

    def strength(self, child: bool) -> str:
        return self.child if child else self.adult


@dataclass(frozen=True)
class Option:
    value: str
    label: LocalText
    indicators: tuple[Indicator, ...] = ()
    exclusive: bool = False  # e.g. "none of these": cannot be combined in a multi answer
    # HTCDS (docs/exports.md "HTCDS names"): in a single question, the HTCDS value written
    # instead of ``value``; in a multi question, the name of this option's 0/1 column.
    htcds: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: LocalText
    section_id: str
    help: LocalText | None = None
    text: LocalText | None = None  # consent text to read aloud, note body
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: LocalText | None = None
    options: tuple[Option, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = True
    unit: LocalText | None = None
    max_length: int = 2000
    allow_unknown: bool = True
    allow_declined: bool = True
    core: bool = False
    screener_only: bool = False  # observed or recorded, not asked aloud
    htcds: str | None = None  # the HTCDS field name of this question's column, if it has one
    # The type's own settings that are not attributes above, as written in the file.
    settings: Mapping[str, Any] = field(default_factory=dict)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: LocalText
    questions: tuple[Question, ...]
    intro: LocalText | None = None
    relevant: str | None = None
    audience: str = "respondent"  # or "screener"


@dataclass(frozen=True)
class FlagRule:
    id: str
    code: str  # CHILD, DANGER, URGENT, MEDICAL, or a notice code
    level: str  # "alert" | "notice"
    when: str
    action: LocalText
    label: LocalText | None = None  # the flag's name in words; older definitions may lack it


#: The built-in sources a fact may name instead of a question (docs/questionnaire.md "Facts").
FACT_SOURCES: tuple[str, ...] = (
    "tier",  # the outcome tier; a screener's override wins
    "elements",  # the positive elements
    "element",  # one element (``element:``) positive: yes / no
    "flags",  # the raised flags (alerts and notices), by flag id
    "child",  # the child rule applied: yes / no
    "month",  # the month the record was finalised (UTC), YYYY-MM
    "interview_language",  # the officer's interface language during the interview
    "respondent_language",  # the language the respondent's texts were shown in
)
FACT_PERIODS: tuple[str, ...] = ("month", "year")  # how a date becomes a fact


@dataclass(frozen=True)
class FactRule:
    """One declared fact: what a record's de-identified facts part carries (app/questionnaire/facts.py).

    Exactly one of ``question`` and ``source``; ``bands`` (lower bounds) for a number or an
    age, ``coarsen`` (month / year) for a date, ``element`` for the ``element`` source."""

    id: str
    label: LocalText
    question: str | None = None
    source: str | None = None
    element: str | None = None
    bands: tuple[int, ...] = ()
    coarsen: str | None = None
    filter: bool = False
    htcds: str | None = None  # the HTCDS field name of this fact's column, if it has one


@dataclass(frozen=True)
class Trigger:
    """An extra "possible victim" condition, e.g. the interview stopped."""

    when: str
    reason: str


@dataclass(frozen=True)
class OutcomeRules:
    groups: Mapping[str, tuple[str, ...]]  # act / means / purpose -> elements
    element_rule: tuple[tuple[str, ...], ...]  # each: minimum strengths, e.g. (strong, weak)
    child_when: str | None
    refer_adult: tuple[str, ...]  # groups that must all be positive
    refer_child: tuple[str, ...]
    partial_adult: int  # this many of refer_adult positive -> possible victim
    partial_child: int
    strong_from: tuple[str, ...]  # groups whose strong indicators -> possible victim
    medium_from: tuple[str, ...]
    medium_count: int
    unknown_share: float  # share of visible core questions unknown/declined
    triggers: tuple[Trigger, ...]
    labour_groups: tuple[str, ...]
    labour_min_indicators: int
    explanations: Mapping[str, LocalText]


@dataclass(frozen=True)
class Definition:
    id: str
    version: str
    title: LocalText
    languages: tuple[str, ...]
    sections: tuple[Section, ...]
    flags: tuple[FlagRule, ...]
    outcome: OutcomeRules
    parameters: Mapping[str, object] = field(default_factory=dict)
    description: LocalText | None = None
    path: Path | None = None
    facts: tuple[FactRule, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def questions(self) -> Iterator[Question]:
        """Every question, in document order."""
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question | None:
        return self._index().get(question_id)

    @cached_property
    def client_model(self) -> dict[str, Any]:
        """What the browser's skip-logic script needs, built once (a published definition
        never changes); see :mod:`.client`."""
        return build_client_model(self)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def _index(self) -> dict[str, Question]:
        index: dict[str, Question] | None = self.__dict__.get("_question_index")
        if index is None:
            index = {q.id: q for q in self.questions()}
            object.__setattr__(self, "_question_index", index)
        return index
