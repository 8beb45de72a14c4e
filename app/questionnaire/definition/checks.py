"""The checks a schema cannot express: ids, references in expressions, options,
indicators, outcome groups, and each question type's own rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import expr
from ..fields import FIELD_TYPES, FieldType
from ..model import ELEMENTS, FACT_PERIODS, FACT_SOURCES
from .building import (
    DEFAULT_LABOUR_GROUPS,
    DEFAULT_REFER_ADULT,
    DEFAULT_REFER_CHILD,
    DEFAULT_SIGNAL_GROUPS,
    build_question,
)
from .htcds_checks import htcds_problems
from .reading import Problem, dicts


def check(data: dict[str, Any]) -> list[Problem]:
    """Every problem the schema cannot find in ``data``."""
    return _Checker(data).run()


class _Checker:
    """The checks a schema cannot express, run defensively on raw data."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []
        self.order: dict[str, int] = {}  # question id -> position in the document
        self.kinds: dict[str, FieldType | None] = {}  # None: not a registered type
        self.options: dict[str, set[str]] = {}
        self.section_of: dict[str, str] = {}
        self.integer: dict[str, bool] = {}  # question id -> answers are whole numbers
        params = data.get("parameters")
        self.params = set(params) if isinstance(params, dict) else set()
        outcome = data.get("outcome")
        self.outcome = outcome if isinstance(outcome, dict) else {}
        groups = self.outcome.get("groups")
        self.groups: dict[str, Any] = groups if isinstance(groups, dict) else {}

    def add(self, location: str, message: str) -> None:
        self.problems.append(Problem(location, message))

    def run(self) -> list[Problem]:
        self.index_questions()
        self.check_sections()
        self.check_flags()
        self.check_outcome()
        self.check_facts()
        self.problems += htcds_problems(self.data)
        return self.problems

    def index_questions(self) -> None:
        first_at: dict[str, str] = {}
        section_ids: dict[str, str] = {}
        for s, section in dicts(self.data.get("sections")):
            where = f"sections[{s}]"
            sid = section.get("id")
            if isinstance(sid, str):
                if sid in section_ids:
                    self.add(
                        f"{where}.id", f"duplicate section id {sid!r} (also {section_ids[sid]})"
                    )
                section_ids.setdefault(sid, where)
            for q, question in dicts(section.get("questions")):
                qid = question.get("id")
                if not isinstance(qid, str):
                    continue
                at = f"{where}.questions[{q}]"
                if qid in first_at:
                    self.add(f"{at}.id", f"duplicate question id {qid!r} (also {first_at[qid]})")
                    continue
                first_at[qid] = at
                self.order[qid] = len(self.order)
                self.section_of[qid] = str(sid)
                qtype = question.get("type")
                kind = FIELD_TYPES.get(qtype) if isinstance(qtype, str) else None
                self.kinds[qid] = kind
                self.integer[qid] = question.get("integer", True) is not False
                values = [o.get("value") for _, o in dicts(question.get("options"))]
                if kind is not None and kind.fixed_options:
                    values = list(kind.fixed_options)
                self.options[qid] = {v for v in values if isinstance(v, str)}

    def check_expression(
        self,
        location: str,
        source: object,
        before: int | None = None,
        what: str = "",
    ) -> None:
        """Parse ``source`` and check what it refers to. ``before``: only
        questions earlier than this position may be referred to (skip logic)."""
        if not isinstance(source, str):
            return
        try:
            node = expr.parse(source)
        except expr.ExprError as error:
            self.add(location, f"expression does not parse ({error.code}): {error.message}")
            return
        for name in sorted(expr.references(node)):
            if name not in self.order:
                self.add(location, f"refers to unknown question {name!r}")
            elif (kind := self.kinds.get(name)) is not None and not kind.answerable:
                self.add(location, f"refers to {name!r}, a {kind.name} that is never answered")
            elif before is not None and self.order[name] >= before:
                self.add(location, f"{what} refers to {name!r}, which does not come before it")
        for name in sorted(expr.parameters(node)):
            if name not in self.params:
                self.add(location, f"refers to unknown parameter {name!r}")
        for name, option in expr.option_uses(node):
            known = self.options.get(name)
            kind = self.kinds.get(name)
            if name in self.order and kind is not None and kind.has_options:
                if known is not None and option not in known:
                    hint = (
                        f" (use {option}(${{{name}}}))" if option in ("unknown", "declined") else ""
                    )
                    self.add(location, f"question {name!r} has no option {option!r}{hint}")

    def check_indicators(
        self, location: str, indicators: object, question_level: bool, kind: FieldType, qid: str | None
    ) -> None:
        for i, indicator in dicts(indicators):
            at = f"{location}[{i}]"
            element = indicator.get("element")
            if (
                isinstance(element, str)
                and element in ELEMENTS
                and not any(
                    isinstance(members, list) and element in members
                    for members in self.groups.values()
                )
            ):
                self.add(f"{at}.element", f"element {element!r} is in no outcome group")
            if (
                question_level
                and "when" not in indicator
                and kind.default_indicator_when(qid or "") is None
            ):
                self.add(at, "an indicator on a question needs 'when' (except on yes/no)")
            if "when" in indicator:
                self.check_expression(f"{at}.when", indicator["when"])
                if qid is not None and question_level:
                    try:
                        refs = expr.references(expr.parse(str(indicator["when"])))
                    except expr.ExprError:
                        refs = {qid}
                    if qid not in refs:
                        self.add(f"{at}.when", f"should test the answer to {qid!r} itself")

    def check_sections(self) -> None:
        for s, section in dicts(self.data.get("sections")):
            where = f"sections[{s}]"
            questions = dicts(section.get("questions"))
            first = None
            for _, question in questions:
                qid = question.get("id")
                if isinstance(qid, str) and qid in self.order:
                    first = self.order[qid]
                    break
            self.check_expression(
                f"{where}.relevant",
                section.get("relevant"),
                first if first is not None else 0,
                "section relevance",
            )
            for q, question in questions:
                self.check_question(f"{where}.questions[{q}]", question)

    def check_question(self, at: str, question: dict[str, Any]) -> None:
        qid = question.get("id") if isinstance(question.get("id"), str) else None
        qtype = question.get("type") if isinstance(question.get("type"), str) else ""
        position = self.order.get(qid, 0) if qid else 0
        self.check_expression(f"{at}.relevant", question.get("relevant"), position, "relevance")
        self.check_expression(f"{at}.constraint", question.get("constraint"))
        kind = FIELD_TYPES.get(str(qtype))
        if kind is None:
            if qtype:
                known = ", ".join(sorted(FIELD_TYPES))
                self.add(f"{at}.type", f"unknown question type {qtype!r} (known: {known})")
            return
        if "indicators" in question and not kind.answerable:
            self.add(f"{at}.indicators", f"a {qtype} question cannot carry indicators")
        self.check_indicators(f"{at}.indicators", question.get("indicators"), True, kind, qid)
        seen: set[str] = set()
        for o, option in dicts(question.get("options")):
            value = option.get("value")
            if value in seen:
                self.add(f"{at}.options[{o}].value", f"duplicate option {value!r}")
            seen.add(str(value))
            self.check_indicators(
                f"{at}.options[{o}].indicators", option.get("indicators"), False, kind, qid
            )
        try:
            built = build_question(question, "", "respondent")
        except (AssertionError, AttributeError, KeyError, TypeError, ValueError):
            return  # the schema problems already say why
        for message in kind.definition_problems(built):
            self.add(at, message)

    def check_flags(self) -> None:
        seen: dict[str, str] = {}
        for f, flag in dicts(self.data.get("flags")):
            at = f"flags[{f}]"
            fid = flag.get("id")
            if isinstance(fid, str):
                if fid in seen:
                    self.add(f"{at}.id", f"duplicate flag id {fid!r} (also {seen[fid]})")
                seen.setdefault(fid, at)
            self.check_expression(f"{at}.when", flag.get("when"))

    def check_outcome(self) -> None:
        at = "outcome"
        self.check_expression(f"{at}.child_when", self.outcome.get("child_when"))

        def groups_exist(location: str, names: object, default: Sequence[str]) -> None:
            for name in names if isinstance(names, list) else list(default):
                if isinstance(name, str) and name not in self.groups:
                    self.add(location, f"unknown outcome group {name!r}")

        refer = self.outcome.get("refer_mdt")
        refer = refer if isinstance(refer, dict) else {}
        groups_exist(f"{at}.refer_mdt.adult", refer.get("adult"), DEFAULT_REFER_ADULT)
        groups_exist(f"{at}.refer_mdt.child", refer.get("child"), DEFAULT_REFER_CHILD)
        possible = self.outcome.get("possible_victim")
        possible = possible if isinstance(possible, dict) else {}
        groups_exist(
            f"{at}.possible_victim.strong_from", possible.get("strong_from"), DEFAULT_SIGNAL_GROUPS
        )
        groups_exist(
            f"{at}.possible_victim.medium_from", possible.get("medium_from"), DEFAULT_SIGNAL_GROUPS
        )
        for t, trigger in dicts(possible.get("triggers")):
            self.check_expression(f"{at}.possible_victim.triggers[{t}].when", trigger.get("when"))
        partial = possible.get("partial") if isinstance(possible.get("partial"), dict) else {}
        for who, default in (("adult", DEFAULT_REFER_ADULT), ("child", DEFAULT_REFER_CHILD)):
            given = refer.get(who)
            needed: Sequence[object] = given if isinstance(given, list) else default
            count = partial.get(who) if isinstance(partial, dict) else None
            if isinstance(count, int) and count > len(needed):
                self.add(
                    f"{at}.possible_victim.partial.{who}",
                    f"{count} is more than the {len(needed)} groups refer_mdt.{who} needs",
                )
        labour = self.outcome.get("labour_rights")
        labour = labour if isinstance(labour, dict) else {}
        groups_exist(f"{at}.labour_rights.groups", labour.get("groups"), DEFAULT_LABOUR_GROUPS)


    def check_facts(self) -> None:
        seen: dict[str, str] = {}
        for f, fact in dicts(self.data.get("facts")):
            at = f"facts[{f}]"
            fid = fact.get("id")
            if isinstance(fid, str):
                if fid in seen:
                    self.add(f"{at}.id", f"duplicate fact id {fid!r} (also {seen[fid]})")
                seen.setdefault(fid, at)
            has_question, has_source = "question" in fact, "source" in fact
            if has_question == has_source:
                self.add(at, "a fact needs either a question or a source (one of them)")
            elif has_question:
                self.check_fact_question(at, fact)
            else:
                self.check_fact_source(at, fact)

    def check_fact_question(self, at: str, fact: dict[str, Any]) -> None:
        qid = fact.get("question")
        if not isinstance(qid, str):
            return
        if qid not in self.order:
            self.add(f"{at}.question", f"unknown question {qid!r}")
            return
        kind = self.kinds.get(qid)
        if kind is None:
            return  # the question's own problem is reported where it is
        if kind.fact is None:
            why = "facts never carry free text" if kind.free_text else "it is never answered"
            self.add(f"{at}.question", f"{qid!r} is a {kind.name} question and cannot be a fact: {why}")
            return
        if kind.fact in ("option", "options") and "dont_know" in self.options.get(qid, set()):
            self.add(f"{at}.question", f"{qid!r} has an option 'dont_know', the code of a "
                     "\"not sure\" answer in facts")
        if kind.fact == "number":
            if "bands" not in fact:
                self.add(at, f"{qid!r} is a {kind.name} question: a fact from it needs bands")
            elif not self.integer.get(qid, True):
                self.add(f"{at}.question",
                         f"{qid!r} takes decimals (integer: false); bands need whole numbers")
            else:
                bands = fact.get("bands")
                if isinstance(bands, list) and any(b >= a for a, b in zip(bands[1:], bands, strict=False)):
                    self.add(f"{at}.bands", "lower bounds must increase")
        elif "bands" in fact:
            self.add(f"{at}.bands", f"bands are for number and age questions, not {kind.name}")
        if kind.fact == "date":
            if "coarsen" not in fact:
                self.add(at, f"{qid!r} is a date question: a fact from it needs coarsen "
                         f"({' or '.join(FACT_PERIODS)}); never the exact day")
        elif "coarsen" in fact:
            self.add(f"{at}.coarsen", f"coarsen is for date questions, not {kind.name}")
        if "element" in fact:
            self.add(f"{at}.element", "element is for the element source only")

    def check_fact_source(self, at: str, fact: dict[str, Any]) -> None:
        source = fact.get("source")
        if not isinstance(source, str):
            return
        if source not in FACT_SOURCES:
            self.add(f"{at}.source",
                     f"unknown built-in source {source!r} (known: {', '.join(FACT_SOURCES)})")
            return
        for key in ("bands", "coarsen"):
            if key in fact:
                self.add(f"{at}.{key}", f"{key} is for question facts, not the {source} source")
        element = fact.get("element")
        if source != "element":
            if "element" in fact:
                self.add(f"{at}.element", "element is for the element source only")
        elif element is None:
            self.add(at, "the element source needs element: the element it reports")
        elif element not in ELEMENTS:
            self.add(f"{at}.element", f"unknown element {element!r} (known: {', '.join(ELEMENTS)})")

