"""A record's de-identified facts: which exist and how each is coarsened is declared in the
definition's ``facts:`` list (docs/questionnaire.md "Facts"); nothing here names a question.

``fact_specs(definition)`` says what each fact can hold and how its codes read;
``derive_facts(definition, body)`` is what a station seals beside a record;
``check_facts(definition, facts)`` is what central runs on facts it opened.

A fact's value is a code (an option value, a band such as ``"18-24"``, a tier, a flag id,
``"dont_know"`` / ``"declined"``), a list of codes for a multi-valued fact, or None (not
asked, not answered). Never a name, free text, exact date or exact age: codes only come
from the definition, bands and months are computed, and a text question cannot be a fact.
"""

from __future__ import annotations

import gettext
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..languages import CODES, NATIVE_NAMES
from .fields import N_, field_type_of
from .fields.base import special_kind
from .model import ELEMENTS, TIERS, Definition, FactRule, LocalText, Question, Tier
from .relevance import effective_answers

FactValue = str | list[str] | None

#: Facts larger than this (compact JSON) are refused: a facts part is a few hundred bytes.
MAX_FACTS_BYTES = 4096
SPECIAL_CODES = {"unknown": "dont_know", "declined": "declined"}
PERIOD_PATTERNS = {"month": re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$"), "year": re.compile(r"^[0-9]{4}$")}
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "translations"

# The same msgids as app/web/labels.py (one catalog entry each; a test keeps them equal).
TIER_WORDS = {
    Tier.REFER_MDT: N_("Refer for formal identification (MDT / NRM)"),
    Tier.POSSIBLE_VICTIM: N_("Possible victim: further interview"),
    Tier.LABOUR_RIGHTS: N_("Labour-rights or other protection case"),
    Tier.NO_INDICATORS: N_("No indicators at this time"),
}
ELEMENT_WORDS = {
    "deceptive_recruitment": N_("Deceptive recruitment"),
    "coercive_recruitment": N_("Coercive recruitment"),
    "recruitment_abuse_of_vulnerability": N_("Recruitment by abuse of vulnerability"),
    "exploitation": N_("Exploitation"),
    "coercion_at_destination": N_("Coercion at destination"),
    "abuse_of_vulnerability_at_destination": N_("Abuse of vulnerability at destination"),
    "forced_criminality": N_("Forced criminality"),
}
YES_NO_WORDS = {"yes": N_("Yes"), "no": N_("No")}
SPECIAL_WORDS = {"dont_know": N_("Not sure / does not know"), "declined": N_("Prefers not to say")}


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    # The compiled catalogs the web uses, read with the standard library: a label is asked
    # for in a given language (a dashboard, an export), not in a request's locale.
    if lang not in CODES[1:]:
        return gettext.NullTranslations()
    return gettext.translation("messages", TRANSLATIONS_DIR, [lang], fallback=True)


def translate(msgid: str, lang: str, **params: object) -> str:
    text = _catalog(lang).gettext(msgid)
    return text % params if params else text


class CatalogWords:
    """:class:`app.questionnaire.Words` from the catalogs, for a type's ``show`` of a code."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, msgid: str, **params: object) -> str:
        return translate(msgid, self.lang, **params)

    def day(self, iso: str) -> str:
        return iso


@dataclass(frozen=True)
class FactSpec:
    """One declared fact as central shows and checks it."""

    id: str
    multi: bool  # the value is a list of codes
    filter: bool  # offered as a dashboard / case-list filter
    values: tuple[str, ...]  # every code it can take, in display order (empty for a period)
    period: str | None = None  # "month" / "year": codes are YYYY-MM / YYYY, in time order
    name: LocalText = LocalText({})
    # code -> its label in a language; codes not here (bands, months) label themselves.
    words: Mapping[str, Callable[[str], str]] = field(default_factory=dict, compare=False)

    def label(self, lang: str) -> str:
        """The fact's name in ``lang`` (English when that language has none)."""
        return self.name.get(lang) or self.id

    def value_label(self, code: str, lang: str) -> str:
        """A code's label in ``lang``; a code without one (a band, a month) is its own label."""
        word = self.words.get(code)
        return word(lang) if word is not None else code

    def accepts(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        if self.period is not None:
            return bool(PERIOD_PATTERNS[self.period].match(code))
        return code in self.values


def _msgid(msgid: str) -> Callable[[str], str]:
    return lambda lang: translate(msgid, lang)


def _shown(question: Question, stored: object) -> Callable[[str], str]:
    # The type's own words for the answer (an option's label, "Yes"), as the pages show it.
    kind = field_type_of(question)
    return lambda lang: kind.show(question, stored, CatalogWords(lang))


def _text(text: LocalText | None, fallback: str) -> Callable[[str], str]:
    return lambda lang: (text.get(lang) if text is not None else "") or fallback


def band_codes(bands: tuple[int, ...]) -> tuple[str, ...]:
    """``(0, 12, 18)`` -> ``("0-11", "12-17", "18+")``; a band one wide is its bound alone."""
    codes = []
    for i, low in enumerate(bands):
        if i + 1 == len(bands):
            codes.append(f"{low}+")
        else:
            high = bands[i + 1] - 1
            codes.append(str(low) if high == low else f"{low}-{high}")
    return tuple(codes)


def _below(bands: tuple[int, ...]) -> str:
    return f"<{bands[0]}"


def _can_be_below(question: Question, bands: tuple[int, ...]) -> bool:
    # Without a min the lowest answer counts as 0 (ages, counts, hours are never negative).
    lowest = question.min if question.min is not None else 0
    return lowest < bands[0]


def _specials(question: Question) -> tuple[str, ...]:
    kind = field_type_of(question)
    if not kind.allows_specials:
        return ()
    return tuple(code for code, allowed in (("dont_know", question.allow_unknown),
                                            ("declined", question.allow_declined)) if allowed)


def _question_spec(rule: FactRule, question: Question) -> FactSpec:
    kind = field_type_of(question)
    words: dict[str, Callable[[str], str]] = {}
    values: tuple[str, ...] = ()
    period = None
    if kind.fact in ("option", "options"):
        values = kind.option_values(question)
        for code in values:
            words[code] = _shown(question, [code] if kind.fact == "options" else code)
    elif kind.fact == "number":
        values = band_codes(rule.bands)
        if _can_be_below(question, rule.bands):
            values = (_below(rule.bands), *values)
    else:
        period = rule.coarsen
    specials = _specials(question)
    words.update({code: _msgid(SPECIAL_WORDS[code]) for code in specials})
    return FactSpec(id=rule.id, multi=kind.fact == "options", filter=rule.filter,
                    values=values + specials, period=period, name=rule.label, words=words)


def _source_spec(rule: FactRule, definition: Definition) -> FactSpec:
    words: dict[str, Callable[[str], str]]
    multi = False
    period = None
    if rule.source == "tier":
        words = {t.value: _msgid(TIER_WORDS[t]) for t in TIERS}
    elif rule.source == "elements":
        grouped = {e for members in definition.outcome.groups.values() for e in members}
        words = {e: _msgid(ELEMENT_WORDS[e]) for e in ELEMENTS if e in grouped}
        multi = True
    elif rule.source == "flags":
        words = {f.id: _text(f.label, f.code) for f in definition.flags}
        multi = True
    elif rule.source in ("element", "child"):
        words = {code: _msgid(msgid) for code, msgid in YES_NO_WORDS.items()}
    elif rule.source in ("interview_language", "respondent_language"):
        words = {code: _text(None, NATIVE_NAMES[code]) for code in CODES}
    else:  # month
        words = {}
        period = "month"
    return FactSpec(id=rule.id, multi=multi, filter=rule.filter, values=tuple(words),
                    period=period, name=rule.label, words=words)


def fact_specs(definition: Definition) -> tuple[FactSpec, ...]:
    """The definition's facts, in the order declared (built once per definition)."""
    # Cached on the frozen definition itself, as its question index is (model.Definition).
    cached: tuple[FactSpec, ...] | None = definition.__dict__.get("_fact_specs")
    if cached is None:
        specs = []
        for rule in definition.facts:
            question = definition.question(rule.question) if rule.question else None
            specs.append(_question_spec(rule, question) if question is not None
                         else _source_spec(rule, definition))
        cached = tuple(specs)
        object.__setattr__(definition, "_fact_specs", cached)
    return cached


# ------------------------------------------------------------------ derivation


def _band(spec: FactSpec, rule: FactRule, number: float) -> str | None:
    if not math.isfinite(number):
        return None
    if number < rule.bands[0]:
        code = _below(rule.bands)
    else:
        index = max(i for i, low in enumerate(rule.bands) if number >= low)
        code = band_codes(rule.bands)[index]
    return code if code in spec.values else None


def _from_answer(spec: FactSpec, rule: FactRule, question: Question, stored: object) -> FactValue:
    kind = field_type_of(question)
    special = special_kind(stored)
    if special is not None:
        code = SPECIAL_CODES[special]
        if code not in spec.values:
            return None
        return [code] if spec.multi else code
    if kind.fact == "options":
        chosen = set(stored) if isinstance(stored, list) else set()
        return [code for code in spec.values if code in chosen]
    if kind.fact == "option":
        return stored if isinstance(stored, str) and stored in spec.values else None
    value = kind.expression_value(question, stored)
    if kind.fact == "number":
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        return _band(spec, rule, float(number)) if number is not None else None
    day = value if isinstance(value, str) else ""
    code = day[:7] if spec.period == "month" else day[:4]
    return code if spec.accepts(code) else None


def _tier(body: Mapping[str, Any]) -> str | None:
    override = body.get("override")
    outcome = body.get("outcome")
    for source in (override, outcome):  # the screener's override wins over the score
        if isinstance(source, dict) and Tier.of(str(source.get("tier"))) is not None:
            return str(source["tier"])
    return None


def _from_source(spec: FactSpec, rule: FactRule, body: Mapping[str, Any]) -> FactValue:
    outcome = body.get("outcome")
    outcome = outcome if isinstance(outcome, dict) else None
    if rule.source == "tier":
        return _tier(body)
    if rule.source == "month":
        finalised = body.get("finalised_at")
        code = finalised[:7] if isinstance(finalised, str) else ""
        return code if spec.accepts(code) else None
    if rule.source in ("interview_language", "respondent_language"):
        lang = body.get(rule.source.replace("_language", "_lang"))
        return lang if lang in spec.values else None
    if outcome is None:
        return None  # not scored (not finalised)
    if rule.source == "child":
        child = outcome.get("child")
        return ("yes" if child else "no") if isinstance(child, bool) else None
    if rule.source == "flags":
        raised = {f.get("id") for f in outcome.get("flags") or () if isinstance(f, dict)}
        return [code for code in spec.values if code in raised]
    positive = {e.get("element") for e in outcome.get("elements") or ()
                if isinstance(e, dict) and e.get("positive") is True}
    if rule.source == "elements":
        return [code for code in spec.values if code in positive]
    return "yes" if rule.element in positive else "no"  # element


def derive_facts(definition: Definition, body: Mapping[str, Any]) -> dict[str, FactValue]:
    """The facts of a record body as the station seals it (answers, outcome, override,
    interview_lang, respondent_lang, finalised_at); every declared fact is a key."""
    stored = body.get("answers")
    answers = {qid: a["value"] for qid, a in stored.items()
               if isinstance(a, dict) and "value" in a} if isinstance(stored, dict) else {}
    answers = effective_answers(definition, answers)  # a stale answer to a hidden question counts for nothing
    facts: dict[str, FactValue] = {}
    for rule, spec in zip(definition.facts, fact_specs(definition), strict=True):
        question = definition.question(rule.question) if rule.question else None
        if question is not None:
            answer = answers.get(question.id)
            facts[spec.id] = None if answer is None else _from_answer(spec, rule, question, answer)
        else:
            facts[spec.id] = _from_source(spec, rule, body)
    return facts


# ------------------------------------------------------------------ checking


def check_facts(definition: Definition, facts: object) -> dict[str, FactValue]:
    """``facts`` as central stores them, or ValueError naming the problem: every key a
    declared fact, every code one of its values (a list, without repeats, for a multi
    fact), at most :data:`MAX_FACTS_BYTES`. Facts it does not carry come back as None."""
    if not isinstance(facts, dict):
        raise ValueError("facts are not a JSON object")
    try:
        size = len(json.dumps(facts, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError, RecursionError):
        raise ValueError("facts are not plain JSON") from None
    if size > MAX_FACTS_BYTES:
        raise ValueError(f"facts take {size} bytes, more than {MAX_FACTS_BYTES}")
    specs = {spec.id: spec for spec in fact_specs(definition)}
    for key in facts:
        if key not in specs:
            raise ValueError(f"unknown fact {str(key)[:64]!r}")
    clean: dict[str, FactValue] = {}
    for fid, spec in specs.items():
        value = facts.get(fid)
        if value is None:
            clean[fid] = None
        elif spec.multi:
            if not isinstance(value, list):
                raise ValueError(f"fact {fid!r} must be a list of codes")
            for code in value:
                if not spec.accepts(code):
                    raise ValueError(f"fact {fid!r}: {str(code)[:64]!r} is not one of its codes")
            if len(set(value)) != len(value):
                raise ValueError(f"fact {fid!r} repeats a code")
            clean[fid] = [code for code in spec.values if code in value]
        else:
            if not spec.accepts(value):
                shown = str(value)[:64] if isinstance(value, str) else type(value).__name__
                raise ValueError(f"fact {fid!r}: {shown!r} is not one of its codes")
            clean[fid] = value
    return clean
