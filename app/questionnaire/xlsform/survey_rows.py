"""The survey and choices sheets read into sections, questions and options
(docs/xlsform.md "survey", "choices"); a row is read by :mod:`.questions`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..expr_parser import Binary, parse
from ..fields import N_
from .expressions import (
    Names,
    engine_text,
)
from .layout import (
    CHOICES,
    SURVEY,
    xlsform_kinds,
)
from .questions import QuestionReader, _constant
from .reader import METADATA_TYPES
from .sheets import SheetRow


@dataclass
class _Group:
    """An open begin_group: its row, name and section fields, and how it was used so far."""

    row: SheetRow
    name: str
    section: dict[str, Any]
    parts: int = 0  # sections made of it (more than one around an inner group)
    questions: int = 0  # its questions, an inner group's included


class SurveyReader(QuestionReader):
    # ------------------------------------------------------------------ choices

    def choice_lists(self) -> dict[str, list[SheetRow]]:
        lists: dict[str, list[SheetRow]] = {}
        for row in self.sheets.get(CHOICES, []):
            name = row.plain("list_name")
            if not name:
                self.refuse(row, "list_name", N_("This choice has no list_name."))
                continue
            lists.setdefault(name, []).append(row)
            marked = row.plain("tip_special").lower()
            if marked and marked not in ("unknown", "declined"):
                self.refuse(row, "tip_special", N_("tip_special is unknown or declined, not "
                                                   "%(value)s."), value=marked)
        return lists

    # ------------------------------------------------------------------ survey

    def survey_type(self, row: SheetRow) -> tuple[str, str | None]:
        """(kind, choice list): ``select one from L`` and ``select all that apply L`` are
        XLSForm's older spellings of ``select_one L`` and ``select_multiple L``."""
        text = " ".join(row.plain("type").split())
        lower = text.lower()
        if not text:
            return "", None
        if lower.endswith((" or_other", " or specify other")):
            return "or_other", None
        for prefix, kind in (("select_one ", "select_one"), ("select one from ", "select_one"),
                             ("select one ", "select_one"),
                             ("select_multiple ", "select_multiple"),
                             ("select multiple from ", "select_multiple"),
                             ("select multiple ", "select_multiple"),
                             ("select all that apply from ", "select_multiple"),
                             ("select all that apply ", "select_multiple")):
            if lower.startswith(prefix):
                rest = text[len(prefix):].split()
                return (kind, rest[0]) if len(rest) == 1 else ("bad_select", None)
        if lower in ("begin group", "end group", "begin repeat", "end repeat"):
            return lower.replace(" ", "_"), None
        if lower.replace(" ", "") in METADATA_TYPES:
            return lower.replace(" ", ""), None
        return lower, None

    def collect_names(self) -> None:
        """The question ids, the select questions' special choices, the parameters."""
        questions: set[str] = set()
        selects: dict[str, dict[str, str]] = {}
        self.parameters = {}
        for row in self.sheets[SURVEY]:
            kind, list_name = self.survey_type(row)
            name = row.plain("name")
            if kind == "calculate":
                value = _constant(row.plain("calculation"))
                if value is None:
                    self.refuse(row, "calculation", N_(
                        "Only a constant calculation (a number or a text: a parameter of the "
                        "questionnaire) is supported, not %(calculation)s."),
                        calculation=row.plain("calculation"))
                else:
                    self.parameters[name] = value
            elif kind in xlsform_kinds():
                questions.add(name)
                if list_name is not None:
                    selects[name] = {c.plain("name"): s for c in self.lists.get(list_name, [])
                                     if (s := self.special_of(c))}
        self.names = Names(frozenset(questions), selects, frozenset(self.parameters))

    def survey(self) -> list[dict[str, Any]]:
        """The survey's rows as sections. A group is a section; a group inside a group is a
        section of its own (shown when both groups are), and the outer group's questions
        after it continue in a section ``<name>_2``."""
        sections: list[dict[str, Any]] = []
        self.row_facts, self.row_flags = [], []
        current: dict[str, Any] | None = None
        groups: list[_Group] = []
        for row in self.sheets[SURVEY]:
            kind, list_name = self.survey_type(row)
            if kind == "":
                self.refuse(row, "type", N_("This row has cells but no type."))
            elif kind == "begin_group":
                groups.append(self.group(row, groups[-1] if groups else None))
                current = None
            elif kind == "end_group":
                if not groups:
                    self.refuse(row, "type", N_("end_group without begin_group."))
                elif groups.pop().questions == 0:
                    self.refuse(row, "type", N_("This group has no questions."))
                current = None
            elif kind in ("begin_repeat", "end_repeat"):
                self.refuse(row, "type", N_("Repeats are not supported: a screening asks each "
                                            "question once."))
            elif kind == "calculate" or kind in METADATA_TYPES:
                if kind != "calculate":
                    self.warn(row, "type", N_("Not imported: %(type)s (the station records when "
                                              "and by whom a screening is made)."), type=kind)
            elif kind in xlsform_kinds():
                if current is None:
                    current = (self.group_section(groups[-1], len(sections)) if groups
                               else self.loose_section(row, sections))
                    sections.append(current)
                for group in groups:
                    group.questions += 1
                path = f"sections[{len(sections) - 1}].questions[{len(current['questions'])}]"
                current["questions"].append(self.question(row, kind, list_name, current, path))
            elif kind == "or_other":
                self.refuse(row, "type", N_("or_other is not supported: add an option 'other' "
                                            "and a text question shown when it is chosen."))
            else:
                self.refuse(row, "type", N_("The type %(type)s has no tip-screen question type "
                                            "(supported: select_one, select_multiple, text, "
                                            "integer, decimal, date, note)."),
                            type=row.plain("type"))
        return sections

    def group(self, row: SheetRow, outer: _Group | None) -> _Group:
        """A begin_group row's section fields; an inner group adds the outer's condition."""
        section: dict[str, Any] = {"title": self.texts(row, "label") or {"en": row.plain("name")}}
        intro = self.texts(row, "hint")
        if intro:
            section["intro"] = intro
        relevant = self.expression(row, "relevant", self.names)
        outer_relevant = outer.section.get("relevant") if outer else None
        if relevant and outer_relevant:
            relevant = engine_text(Binary("and", parse(outer_relevant), parse(relevant)))
        if relevant or outer_relevant:
            section["relevant"] = relevant or outer_relevant
        audience = row.plain("tip_audience") or (outer.section.get("audience") if outer else None)
        if audience:
            section["audience"] = audience
        for column in ("constraint", "required", "calculation"):
            if row.plain(column):
                self.refuse(row, column, N_("A group cannot have a %(column)s."), column=column)
        return _Group(row, row.plain("name"), section)

    def group_section(self, group: _Group, index: int) -> dict[str, Any]:
        group.parts += 1
        self.where[f"sections[{index}]"] = (group.row, "name")
        name = group.name if group.parts == 1 else f"{group.name}_{group.parts}"
        return {"id": name, **group.section, "questions": []}

    def loose_section(self, row: SheetRow, sections: list[dict[str, Any]]) -> dict[str, Any]:
        """Questions outside any group form a section of their own, named after the form."""
        number = sum(1 for s in sections if s["id"].startswith("questions")) + 1
        self.where[f"sections[{len(sections)}]"] = (row, "type")
        return {"id": "questions" if number == 1 else f"questions_{number}",
                "title": self.title, "questions": []}
