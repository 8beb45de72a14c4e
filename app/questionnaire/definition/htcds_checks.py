"""The checks of HTCDS names a schema cannot express (docs/exports.md "HTCDS names").

Each column name is used once per export: a full export's columns are the questions' own
and their multi options' 0/1 columns; a de-identified export's are the facts', and a fact
may share a name only with the question it reads (the same answer, coarsened). Nothing but
the tier fact names the trafficking status, and the tier fact names nothing else.
"""

from __future__ import annotations

from typing import Any

from ..fields import FIELD_TYPES
from ..htcds import TIER_FIELD, is_column
from .reading import Problem, dicts


def htcds_problems(data: dict[str, Any]) -> list[Problem]:
    """Every problem with the ``htcds:`` keys of a definition's raw data."""
    problems: list[Problem] = []
    columns: dict[str, str] = {}  # HTCDS name -> what uses it, in words
    own: dict[str, str] = {}  # question id -> the question's own HTCDS name
    for s, section in dicts(data.get("sections")):
        for q, question in dicts(section.get("questions")):
            at = f"sections[{s}].questions[{q}]"
            for where, name, user in _question_names(at, question, own, problems):
                if _is_status(name):
                    problems.append(
                        Problem(
                            where, f"{name!r} of {user}: only the tier fact may be the trafficking status"
                        )
                    )
                elif name in columns:
                    problems.append(
                        Problem(where, f"HTCDS name {name!r} of {user} is also used by {columns[name]}")
                    )
                else:
                    columns[name] = user
    facts: dict[str, str] = {}
    for f, fact in dicts(data.get("facts")):
        given = fact.get("htcds")
        if not isinstance(given, str) or not is_column(given):
            continue  # the schema says what is wrong with it
        name = given
        at, user = f"facts[{f}].htcds", f"fact {fact.get('id')!r}"
        if fact.get("source") == "tier":
            if name != TIER_FIELD:
                problems.append(
                    Problem(
                        at,
                        f"the tier is written only as {TIER_FIELD} "
                        f"(a possible victim, never an identified one), not {name!r}",
                    )
                )
        elif _is_status(name):
            problems.append(
                Problem(at, f"{name!r} of {user}: only the tier fact may be the trafficking status")
            )
        elif name in facts:
            problems.append(Problem(at, f"HTCDS name {name!r} of {user} is also used by {facts[name]}"))
        elif name in columns and own.get(str(fact.get("question"))) != name:
            problems.append(
                Problem(
                    at,
                    f"HTCDS name {name!r} of {user} is also used by "
                    f"{columns[name]}; a fact may share a name only with "
                    "the question it reads",
                )
            )
        facts.setdefault(name, user)
    return problems


def _question_names(
    at: str, question: dict[str, Any], own: dict[str, str], problems: list[Problem]
) -> list[tuple[str, str, str]]:
    """The column names ``question`` declares, as (location, name, user in words)."""
    qid = question.get("id")
    kind = FIELD_TYPES.get(str(question.get("type")))
    names: list[tuple[str, str, str]] = []
    name = question.get("htcds")
    if isinstance(name, str) and is_column(name):  # else the schema says why
        if kind is not None and not kind.answerable:
            problems.append(
                Problem(f"{at}.htcds", f"a {kind.name} question is never answered: it has no HTCDS name")
            )
        else:
            names.append((f"{at}.htcds", name, f"question {qid!r}"))
            own[str(qid)] = name
    if kind is None or not kind.multiple:
        # A single question's options name values (which may repeat) of its own column.
        valued = [o for o, option in dicts(question.get("options")) if "htcds" in option]
        if valued and "htcds" not in question:
            problems.append(
                Problem(
                    f"{at}.options[{valued[0]}].htcds",
                    f"question {qid!r} has no htcds name for these HTCDS values",
                )
            )
        return names
    for o, option in dicts(question.get("options")):
        value = option.get("htcds")
        if not isinstance(value, str):
            continue
        where = f"{at}.options[{o}].htcds"
        if not is_column(value):
            problems.append(
                Problem(
                    where,
                    f"{value!r}: in a {kind.name} question an option's "
                    "htcds names its 0/1 column, e.g. "
                    "vic_MethodsOfControl_DebtBondage",
                )
            )
        else:
            names.append((where, value, f"option {option.get('value')!r} of question {qid!r}"))
    return names


def _is_status(name: str) -> bool:
    return name == TIER_FIELD or name.startswith(TIER_FIELD + "_")
