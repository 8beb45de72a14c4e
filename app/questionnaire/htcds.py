"""HTCDS names: IOM's Human Trafficking Case Data Standard as a column-naming option.

A definition declares the mapping (``htcds:`` on questions, options and facts; see
docs/exports.md "HTCDS names"). This module lists the columns it names and says what the
screening tier is written as: only ever "possible victim", never an identified one, because
a screening does not identify a victim (an MDT or a court does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .fields import field_type_of
from .model import Definition, Question, Tier

#: A column's HTCDS name: table prefix and the standard's field name (``prs_Citizenship``), or
#: ``field_Value`` for one picklist value's 0/1 column (``vic_MethodsOfControl_DebtBondage``).
COLUMN = re.compile(r"^(prs|vic|cas)_[A-Za-z][A-Za-z0-9_]*$")
MAX_LENGTH = 100  # as schema.json's htcdsField


def is_column(name: str) -> bool:
    """Whether ``name`` is a well-formed HTCDS column name (what schema.json accepts)."""
    return len(name) <= MAX_LENGTH and COLUMN.match(name) is not None


#: The only HTCDS field the tier fact may be named after: its picklist holds possible, actual
#: and not-a-victim, and the tier is only ever written as the first.
TIER_FIELD = "vic_TraffickingStatus"
POSSIBLE = "PossibleVictimOfTrafficking"  # never "ActualVictimOfTrafficking" (identified)

#: What each tier is written as under TIER_FIELD. The two tiers that send a person on as a
#: possible victim are "possible"; the others leave the cell empty: a screening that found
#: no indicators has not decided that someone is not a victim either.
TIER_VALUES: dict[Tier, str] = {Tier.REFER_MDT: POSSIBLE, Tier.POSSIBLE_VICTIM: POSSIBLE}


def tier_value(tier: str) -> str:
    """The HTCDS value a stored tier is written as ("" for no HTCDS value)."""
    known = Tier.of(tier)
    return TIER_VALUES.get(known, "") if known is not None else ""


def is_multiple(question: Question) -> bool:
    """Whether ``question``'s options are 0/1 columns (a multi question) rather than values."""
    return field_type_of(question).multiple


@dataclass(frozen=True)
class Column:
    """One HTCDS-named column and what it holds: a question's answer (``option`` None), one
    option's 0/1 column of a multi question, or a fact (``fact`` set, ``question`` None)."""

    name: str
    question: str | None = None
    option: str | None = None
    fact: str | None = None


def question_columns(definition: Definition) -> list[Column]:
    """The HTCDS-named columns of a full export, in document order: each question's own
    column, then its options' 0/1 columns (multi questions only)."""
    found: list[Column] = []
    for question in definition.questions():
        if question.htcds:
            found.append(Column(question.htcds, question=question.id))
        if is_multiple(question):
            found += [
                Column(o.htcds, question=question.id, option=o.value) for o in question.options if o.htcds
            ]
    return found


def fact_columns(definition: Definition) -> list[Column]:
    """The HTCDS-named columns of a de-identified export, in the order facts are declared."""
    return [Column(f.htcds, fact=f.id) for f in definition.facts if f.htcds]


def option_values(definition: Definition) -> dict[str, dict[str, str]]:
    """For each single question: our option code -> the HTCDS value written instead."""
    return {
        q.id: {o.value: o.htcds for o in q.options if o.htcds}
        for q in definition.questions()
        if not is_multiple(q) and any(o.htcds for o in q.options)
    }
