"""A record's de-identified *facts*: declared in the definition's ``facts`` list, derived here.

Facts are what central may count and list without opening a record (docs/analytics.md):
codes only (option values, band names, tiers, element and flag ids, "YYYY-MM" months),
never a name, free text, exact date or exact age. Which answers become facts, and how
they are coarsened, is the definition's business; nothing here names a question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .fields.base import SPECIALS, field_type_of
from .model import ELEMENTS, Definition, FactRule, LocalText, Tier

FactValue = str | list[str] | None

# Built-in sources: the outcome and the record's own context, not a question.
BUILT_IN = ("tier", "elements", "flags", "month", "interview_language", "respondent_language")
MULTI_SOURCES = ("elements", "flags")

MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
MAX_CODE = 64
MAX_VALUES = 64


@dataclass(frozen=True)
class FactSpec:
    """What a fact is, for those who count it: its shape and every code it can take.
    ``values`` is empty for an open set of well-formed codes (months)."""

    id: str
    multi: bool
    filter: bool
    values: tuple[str, ...]
    name: LocalText
    value_names: Mapping[str, LocalText]  # codes whose words the definition holds

    def label(self, lang: str) -> str:
        return self.name.get(lang)

    def value_label(self, code: str, lang: str) -> str:
        """The definition's words for a code; a code it has no words for (a band, a month,
        a tier) is its own label here: the pages put the interface's words on those."""
        text = self.value_names.get(code)
        return text.get(lang) if text is not None else code

    def accepts(self, code: str) -> bool:
        if self.values:
            return code in self.values
        return bool(MONTH.fullmatch(code))


def band_codes(bands: tuple[int, ...]) -> tuple[str, ...]:
    """["0-11", "12-17", ..., "50+"] for lower bounds (0, 12, ..., 50)."""
    codes = [f"{low}-{high - 1}" for low, high in zip(bands, bands[1:], strict=False)]
    return (*codes, f"{bands[-1]}+")


def band_of(number: float, bands: tuple[int, ...]) -> str | None:
    """The band a number falls in (None below the first bound)."""
    codes = band_codes(bands)
    found = None
    for code, low in zip(codes, bands, strict=True):
        if number >= low:
            found = code
    return found


def fact_specs(definition: Definition) -> tuple[FactSpec, ...]:
    return tuple(_spec(definition, rule) for rule in definition.facts)


def _spec(definition: Definition, rule: FactRule) -> FactSpec:
    names: dict[str, LocalText] = {}
    multi = False
    values: tuple[str, ...]
    if rule.source is not None:
        multi = rule.source in MULTI_SOURCES
        if rule.source == "tier":
            values = tuple(t.value for t in Tier)
        elif rule.source == "elements":
            values = ELEMENTS
        elif rule.source == "flags":
            values = tuple(f.id for f in definition.flags)
            names = {f.id: f.label for f in definition.flags if f.label is not None}
        elif rule.source == "month":
            values = ()
        else:  # a language
            values = definition.languages
    else:
        question = definition.question(rule.question or "")
        assert question is not None  # noqa: S101 - the definition's checks made sure
        kind = field_type_of(question)
        multi = kind.fact_shape == "codes"
        if kind.fact_shape == "band":
            values = band_codes(rule.bands)
        elif kind.fact_shape == "month":
            values = ()
        else:
            values = kind.option_values(question)
            names = {o.value: o.label for o in question.options}
        if kind.allows_specials and values:
            values = (*values, *SPECIALS)
    return FactSpec(rule.id, multi, rule.filter, values, rule.label, names)


def derive_facts(definition: Definition, body: Mapping[str, Any]) -> dict[str, FactValue]:
    """The facts of a record body (as sealed: answers, outcome, override, languages,
    finalised_at), by the definition's ``facts`` list."""
    answers = body.get("answers")
    answers = answers if isinstance(answers, Mapping) else {}
    outcome = body.get("outcome")
    outcome = outcome if isinstance(outcome, Mapping) else {}
    facts: dict[str, FactValue] = {}
    for rule in definition.facts:
        if rule.source is not None:
            facts[rule.id] = _built_in(rule.source, body, outcome)
        else:
            entry = answers.get(rule.question or "")
            value = entry.get("value") if isinstance(entry, Mapping) else None
            facts[rule.id] = _from_answer(definition, rule, value)
    return facts


def _built_in(source: str, body: Mapping[str, Any], outcome: Mapping[str, Any]) -> FactValue:
    if source == "tier":
        override = body.get("override")
        if isinstance(override, Mapping) and isinstance(override.get("tier"), str):
            return str(override["tier"])
        tier = outcome.get("tier")
        return tier if isinstance(tier, str) else None
    if source == "elements":
        return sorted({str(e.get("element")) for e in outcome.get("elements") or ()
                       if isinstance(e, Mapping) and e.get("positive")})
    if source == "flags":
        return sorted({str(f.get("id")) for f in outcome.get("flags") or () if isinstance(f, Mapping)})
    if source == "month":
        at = body.get("finalised_at")
        return at[:7] if isinstance(at, str) and MONTH.fullmatch(at[:7]) else None
    key = "interview_lang" if source == "interview_language" else "respondent_lang"
    lang = body.get(key)
    return lang if isinstance(lang, str) else None


def _from_answer(definition: Definition, rule: FactRule, value: object) -> FactValue:
    if value is None:
        return None
    question = definition.question(rule.question or "")
    if question is None:
        return None
    kind = field_type_of(question)
    if isinstance(value, str) and value in SPECIALS:
        return [value] if kind.fact_shape == "codes" else value
    source = kind.fact_source(value)
    if kind.fact_shape == "codes":
        return sorted(str(v) for v in source) if isinstance(source, list) else None
    if kind.fact_shape == "band":
        if isinstance(source, bool) or not isinstance(source, int | float):
            return None
        return band_of(source, rule.bands)
    if kind.fact_shape == "month":
        return source[:7] if isinstance(source, str) and MONTH.fullmatch(source[:7]) else None
    return source if isinstance(source, str) else None


def check_facts(definition: Definition, facts: object) -> dict[str, FactValue]:
    """Facts as central opened them, checked against the definition: every key a declared
    fact, every code one it can take, the right shape. ValueError names what is wrong."""
    if not isinstance(facts, dict):
        raise ValueError("facts are not an object")
    specs = {spec.id: spec for spec in fact_specs(definition)}
    clean: dict[str, FactValue] = {}
    for key, value in facts.items():
        spec = specs.get(key)
        if spec is None:
            raise ValueError(f"{str(key)[:MAX_CODE]!r} is not a declared fact")
        if value is None:
            clean[key] = None
            continue
        codes = value if spec.multi else [value]
        if not isinstance(codes, list) or len(codes) > MAX_VALUES:
            raise ValueError(f"fact {key!r} has the wrong shape")
        for code in codes:
            if not isinstance(code, str) or len(code) > MAX_CODE or not spec.accepts(code):
                raise ValueError(f"fact {key!r} holds a code it cannot take")
        clean[key] = sorted(set(codes)) if spec.multi else codes[0]
    return clean
