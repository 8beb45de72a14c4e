"""Outcome of a screening: indicators by element, the tier, and safety flags.

Pure functions over a :class:`~app.questionnaire.model.Definition` and a dict
of stored answers. Every threshold comes from the definition's ``outcome``
block; see docs/questionnaire.md ("Outcome rules") for the order of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .expr import holds
from .fields import is_known, special_kind
from .model import ELEMENTS, STRENGTHS, Definition, LocalText, Question, Tier
from .relevance import visibility


@dataclass(frozen=True)
class IndicatorHit:
    """One indicator that fired: which answer, for which element, how strong."""

    question_id: str
    option: str | None  # the chosen option that carried it, if any
    element: str
    strength: str  # weak | medium | strong (adult or child strength as applied)


@dataclass(frozen=True)
class ElementResult:
    element: str
    positive: bool
    indicators: tuple[IndicatorHit, ...]


@dataclass(frozen=True)
class FlagHit:
    id: str
    code: str  # CHILD, DANGER, URGENT, MEDICAL, or a notice code
    level: str  # alert | notice
    action: LocalText
    label: LocalText | None = None

    def name(self, language: str) -> str:
        """The flag in words (its code only when the definition gives no label)."""
        return self.label.get(language) if self.label else self.code


@dataclass(frozen=True)
class Outcome:
    tier: Tier
    reason: str  # the first rule that decided the tier, e.g. "possible_victim.strong_indicator"
    reasons: tuple[str, ...]  # every rule of that tier that held
    child: bool  # scored with child strengths and the child rule
    flags: tuple[FlagHit, ...]
    elements: tuple[ElementResult, ...]  # one per element, in ELEMENTS order
    groups: Mapping[str, bool]  # act / means / purpose -> positive
    unknown_share: float  # unknown or declined share of the visible core questions
    explanation: LocalText

    @property
    def indicators(self) -> tuple[IndicatorHit, ...]:
        return tuple(hit for result in self.elements for hit in result.indicators)

    def element(self, name: str) -> ElementResult:
        return next(e for e in self.elements if e.element == name)


_RANK = {strength: rank for rank, strength in enumerate(STRENGTHS)}


def element_positive(strengths: Sequence[str], rule: Sequence[Sequence[str]]) -> bool:
    """Whether the fired strengths meet any combination of the element rule.

    A combination lists minimum strengths, one per distinct indicator:
    ``("strong", "weak")`` is one strong indicator plus one more of any strength.
    """
    have = sorted((_RANK[s] for s in strengths), reverse=True)
    for combination in rule:
        need = sorted((_RANK[s] for s in combination), reverse=True)
        if len(have) >= len(need) and all(h >= n for h, n in zip(have, need, strict=False)):
            return True
    return False


def shortfall(strengths: Sequence[str], rule: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """What an element lacks: the fewest more indicators (each a minimum strength) that would
    meet a combination of the rule; () when it is met already.

    Per combination the indicators in hand fill as many of its places as they can (strongest
    place first, each taking the weakest indicator that meets it); the places left are what is
    missing. Of the combinations, the one missing fewest wins, then the one asking for weaker
    indicators.
    """
    have = sorted(_RANK[s] for s in strengths)
    best: list[int] | None = None
    for combination in rule:
        places = sorted((_RANK[s] for s in combination), reverse=True)
        missing: list[int] = []
        pool = list(have)
        for place in places:
            fit = next((h for h in pool if h >= place), None)
            if fit is None:
                missing.append(place)
            else:
                pool.remove(fit)
        ask = (len(missing), sorted(missing, reverse=True))
        if best is None or ask < (len(best), sorted(best, reverse=True)):
            best = missing
    return tuple(STRENGTHS[m] for m in sorted(best or [], reverse=True))


def _chosen(value: object) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def fired_indicators(
    definition: Definition,
    visible: Sequence[Question],
    effective: Mapping[str, object],
    child: bool,
) -> list[IndicatorHit]:
    """Indicators raised by known answers to visible questions."""
    params = definition.parameters
    hits: list[IndicatorHit] = []
    for question in visible:
        value = effective.get(question.id)
        if not is_known(value):
            continue
        for indicator in question.indicators:
            strength = indicator.strength(child)
            if strength in _RANK and holds(indicator.when, effective, params):
                hits.append(IndicatorHit(question.id, None, indicator.element, strength))
        chosen = _chosen(value)
        for option in question.options:
            if option.value not in chosen:
                continue
            for indicator in option.indicators:
                strength = indicator.strength(child)
                if strength in _RANK and holds(indicator.when, effective, params):
                    hits.append(
                        IndicatorHit(question.id, option.value, indicator.element, strength)
                    )
    return hits


def _flags(definition: Definition, effective: Mapping[str, object]) -> tuple[FlagHit, ...]:
    return tuple(
        FlagHit(rule.id, rule.code, rule.level, rule.action, rule.label)
        for rule in definition.flags
        if holds(rule.when, effective, definition.parameters)
    )


def active_flags(definition: Definition, answers: Mapping[str, object]) -> list[FlagHit]:
    """Flags raised by the answers so far; cheap enough to call after every answer."""
    return flags_of(definition, visibility(definition, answers)[1])


def flags_of(definition: Definition, effective: Mapping[str, object]) -> list[FlagHit]:
    """Flags raised by effective answers (:func:`.relevance.walk`'s, when a page has them)."""
    return list(_flags(definition, effective))


def _unknown_share(visible: Sequence[Question], effective: Mapping[str, object]) -> float:
    core = [q for q in visible if q.core]
    if not core:
        return 0.0
    unknown = sum(1 for q in core if special_kind(effective.get(q.id)) is not None)
    return unknown / len(core)


def score(definition: Definition, answers: Mapping[str, object]) -> Outcome:
    """Score stored answers (question id -> stored value) against the definition.

    Answers to hidden questions, unknown and declined answers, and keys that
    are not questions (a screener's override, say) play no part.
    """
    rules = definition.outcome
    params = definition.parameters
    visible, effective = visibility(definition, answers)
    child = rules.child_when is not None and holds(rules.child_when, effective, params)
    hits = fired_indicators(definition, visible, effective, child)

    elements = tuple(
        ElementResult(
            element,
            element_positive(
                [h.strength for h in hits if h.element == element], rules.element_rule
            ),
            tuple(h for h in hits if h.element == element),
        )
        for element in ELEMENTS
    )
    positive = {e.element for e in elements if e.positive}
    groups = {name: any(m in positive for m in members) for name, members in rules.groups.items()}

    def in_groups(names: Sequence[str]) -> set[str]:
        return {m for name in names for m in rules.groups.get(name, ())}

    needed = rules.refer_child if child else rules.refer_adult
    share = _unknown_share(visible, effective)
    reasons: list[str] = []
    tier: Tier | None = None
    if all(groups.get(name, False) for name in needed):
        tier = Tier.REFER_MDT
        reasons.append("refer_mdt.child" if child else "refer_mdt.adult")
    else:
        strong_from, medium_from = in_groups(rules.strong_from), in_groups(rules.medium_from)
        if any(h.strength == "strong" and h.element in strong_from for h in hits):
            reasons.append("possible_victim.strong_indicator")
        mediums = sum(1 for h in hits if h.strength == "medium" and h.element in medium_from)
        if mediums >= rules.medium_count:
            reasons.append("possible_victim.medium_indicators")
        partial = rules.partial_child if child else rules.partial_adult
        if sum(1 for name in needed if groups.get(name, False)) >= partial:
            reasons.append("possible_victim.partial")
        if share >= rules.unknown_share:
            reasons.append("possible_victim.unknown_share")
        reasons += [
            f"possible_victim.{t.reason}"
            for t in rules.triggers
            if holds(t.when, effective, params)
        ]
        tier = Tier.POSSIBLE_VICTIM if reasons else None
    if tier is None:
        labour = in_groups(rules.labour_groups)
        if any(e in positive for e in labour) or (
            sum(1 for h in hits if h.element in labour) >= rules.labour_min_indicators
        ):
            tier = Tier.LABOUR_RIGHTS
            reasons.append("labour_rights.purpose_without_means")
        else:
            tier = Tier.NO_INDICATORS
            reasons.append("no_indicators.none")
    return Outcome(
        tier=tier,
        reason=reasons[0],
        reasons=tuple(reasons),
        child=child,
        flags=_flags(definition, effective),
        elements=elements,
        groups=groups,
        unknown_share=share,
        explanation=rules.explanations[tier],
    )
