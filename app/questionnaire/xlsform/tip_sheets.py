"""tip-screen's own sheets read: tip_outcome, tip_flags, tip_facts (docs/xlsform.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definition import load_definition
from ..fields import N_
from .layout import (
    FACTS,
    FLAGS,
    OUTCOME,
    SURVEY,
)
from .reader import DEFAULT_QUESTIONNAIRE, Base
from .sheets import SheetRow


class TipSheets(Base):
    # ------------------------------------------------------------------ tip sheets

    def flags(self) -> list[dict[str, Any]]:
        flags = []
        sheet_rows = len(self.sheets.get(FLAGS, []))
        for n, row in self.flag_rows:
            self.where[f"flags[{sheet_rows + n}]"] = (row, "tip_flag")
        for n, row in enumerate(self.sheets.get(FLAGS, [])):
            self.where[f"flags[{n}]"] = (row, "id")
            flag: dict[str, Any] = {"id": row.plain("id"), "code": row.plain("code")}
            if row.plain("level"):
                flag["level"] = row.plain("level")
            flag["when"] = self.expression(row, "when", self.names) or ""
            label = self.texts(row, "label")
            if label:
                flag["label"] = label
            flag["action"] = self.texts(row, "action") or {}
            flags.append(flag)
        return flags

    def facts(self) -> list[dict[str, Any]]:
        facts = []
        for n, row in enumerate(self.sheets.get(FACTS, [])):
            self.where[f"facts[{n}]"] = (row, "id")
            fact: dict[str, Any] = {"id": row.plain("id"), "label": self.texts(row, "label") or {}}
            for column in ("question", "source", "element", "coarsen", "htcds"):
                if row.plain(column):
                    fact[column] = row.plain(column)
            if row.plain("bands"):
                try:
                    fact["bands"] = [int(b) for b in row.plain("bands").replace(",", " ").split()]
                except ValueError:
                    self.refuse(row, "bands", N_("bands are whole numbers separated by spaces."))
            if self.yes_no(row, "filter"):
                fact["filter"] = True
            facts.append(fact)
        return facts

    def outcome(self) -> dict[str, Any]:
        rows = self.sheets.get(OUTCOME)
        if not rows:
            placeholder = SheetRow(SURVEY, 0)
            self.warn(placeholder, None, N_("The workbook has no tip_outcome sheet: the default "
                                            "questionnaire's outcome rules are used (without its "
                                            "child rule and triggers)."))
            return _default_outcome()
        outcome: dict[str, Any] = {"groups": {}, "explanations": {}}
        possible: dict[str, Any] = {}
        self.where["outcome"] = (rows[0], "rule")
        readers: dict[str, Callable[[SheetRow, str, str], None]] = {}

        def number(row: SheetRow, value: str, cast: type) -> object:
            try:
                return cast(value)
            except ValueError:
                self.refuse(row, "value", N_("%(value)s is not a number."), value=value)
                return 0

        def group(row: SheetRow, name: str, value: str) -> None:
            outcome["groups"][name] = value.split()

        def element_rule(row: SheetRow, name: str, value: str) -> None:
            outcome.setdefault("element_rule", []).append(value.split())

        def child_when(row: SheetRow, name: str, value: str) -> None:
            when = self.expression(row, "when", self.names)
            if when:
                outcome["child_when"] = when

        def refer(row: SheetRow, name: str, value: str) -> None:
            outcome.setdefault("refer_mdt", {})[name] = value.split()

        def lists(key: str) -> Callable[[SheetRow, str, str], None]:
            return lambda row, name, value: possible.__setitem__(key, value.split())

        def medium_count(row: SheetRow, name: str, value: str) -> None:
            possible["medium_count"] = number(row, value, int)

        def partial(row: SheetRow, name: str, value: str) -> None:
            possible.setdefault("partial", {})[name] = number(row, value, int)

        def unknown_share(row: SheetRow, name: str, value: str) -> None:
            possible["unknown_share"] = number(row, value, float)

        def trigger(row: SheetRow, name: str, value: str) -> None:
            when = self.expression(row, "when", self.names) or ""
            possible.setdefault("triggers", []).append({"when": when, "reason": name})

        def labour(row: SheetRow, name: str, value: str) -> None:
            labour_rights = outcome.setdefault("labour_rights", {})
            if name == "groups":
                labour_rights["groups"] = value.split()
            elif name == "min_indicators":
                labour_rights["min_indicators"] = number(row, value, int)
            else:
                self.refuse(row, "name", N_("labour_rights takes groups or min_indicators."))

        def explanation(row: SheetRow, name: str, value: str) -> None:
            outcome["explanations"][name] = self.texts(row, "label") or {}

        readers.update(group=group, element_rule=element_rule, child_when=child_when,
                       refer_mdt=refer, strong_from=lists("strong_from"),
                       medium_from=lists("medium_from"), medium_count=medium_count,
                       partial=partial, unknown_share=unknown_share, trigger=trigger,
                       labour_rights=labour, explanation=explanation)
        for row in rows:
            rule = row.plain("rule")
            if rule not in readers:
                self.refuse(row, "rule", N_("Unknown outcome rule %(rule)s."), rule=rule)
                continue
            readers[rule](row, row.plain("name"), row.plain("value"))
        if possible:
            outcome["possible_victim"] = possible
        return outcome


def _default_outcome() -> dict[str, Any]:
    """The shipped default questionnaire's outcome rules, minus what names its questions."""
    definition = load_definition(DEFAULT_QUESTIONNAIRE)
    o = definition.outcome
    return {
        "groups": {k: list(v) for k, v in o.groups.items()},
        "element_rule": [list(c) for c in o.element_rule],
        "refer_mdt": {"adult": list(o.refer_adult), "child": list(o.refer_child)},
        "possible_victim": {"strong_from": list(o.strong_from), "medium_from": list(o.medium_from),
                            "medium_count": o.medium_count,
                            "partial": {"adult": o.partial_adult, "child": o.partial_child},
                            "unknown_share": o.unknown_share},
        "labour_rights": {"groups": list(o.labour_groups),
                          "min_indicators": o.labour_min_indicators},
        "explanations": {k: dict(v.texts) for k, v in o.explanations.items()},
    }
