"""One survey row read into a question: its type, texts, conditions, range, options,
indicators, and the fact or flag its tip_fact / tip_flag columns declare
(docs/xlsform.md "survey", "choices")."""

from __future__ import annotations

import re
from typing import Any

from ..expr_parser import Binary, ExprError, Literal, Node, parse
from ..fields import FIELD_TYPES, N_
from .expressions import (
    Names,
    Untranslatable,
    _XBinary,
    _XCall,
    _XDot,
    engine_text,
    parse_xpath,
    to_engine,
)
from .layout import (
    EXACT_PREFIX,
    natural_type,
)
from .reader import INDICATOR_COLUMN, Base, _words
from .sheets import SheetRow


class QuestionReader(Base):
    def question(self, row: SheetRow, kind: str, list_name: str | None,
                 section: dict[str, Any], path: str) -> dict[str, Any]:
        self.where[path] = (row, "name")
        name = row.plain("name")
        q: dict[str, Any] = {"id": name}
        engine_type = self.engine_type(row, kind)
        q["type"] = engine_type
        q["label"] = self.texts(row, "label") or {}
        if "en" not in q["label"]:
            self.refuse(row, "label", N_("The question %(name)s has no English label."),
                        name=name)
        help_text = self.texts(row, "hint")
        if help_text:
            q["help"] = help_text
        body = self.texts(row, "guidance_hint")
        if body:
            if "text" in FIELD_TYPES[engine_type].settings:
                q["text"] = body
            else:
                self.refuse(row, "guidance_hint", N_("guidance_hint is read only on a note (its "
                                                     "text) and a consent question (the text to "
                                                     "read aloud)."))
        relevant = self.expression(row, "relevant", self.names)
        if relevant:
            q["relevant"] = relevant
        self.constraint(row, q, engine_type)
        message = self.texts(row, "constraint_message")
        if message:
            q["constraint_message"] = message
        if row.plain("required") and _words(row.plain("required")) is not False:
            self.warn(row, "required", N_("required is not enforced: in tip-screen every question "
                                          "may be skipped, or answered not sure or prefers not "
                                          "to say."))
        if row.plain("read_only") and _words(row.plain("read_only")) is not False:
            self.refuse(row, "read_only", N_("read_only questions are not supported."))
        appearance = row.plain("appearance")
        if appearance and appearance != FIELD_TYPES[engine_type].xlsform_appearance:
            self.warn(row, "appearance", N_("appearance %(appearance)s is not used: tip-screen "
                                            "lays out its own pages."), appearance=appearance)
        for column in ("tip_core", "tip_screener_only"):
            value = self.yes_no(row, column)
            if value is not None:
                q[column.removeprefix("tip_")] = value
        unit = self.texts(row, "tip_unit")
        if unit:
            q["unit"] = unit
        if row.plain("htcds"):
            q["htcds"] = row.plain("htcds")
        q["indicators"] = self.indicators(row, Names(self.names.questions, self.names.selects,
                                                     self.names.parameters))
        if not q["indicators"]:
            del q["indicators"]
        self.row_fact_and_flag(row, q)
        if list_name is not None:
            self.options(row, q, list_name, path)
        if list_name is None or not FIELD_TYPES[engine_type].allows_specials:
            # Outside choice lists, "not sure" and "prefers not to say" are columns.
            for column in ("tip_unknown", "tip_declined"):
                value = self.yes_no(row, column)
                if value is not None:
                    q["allow_" + column.removeprefix("tip_")] = value
        return q

    def row_fact_and_flag(self, row: SheetRow, q: dict[str, Any]) -> None:
        """tip_fact and tip_flag: a fact read from this question, a flag this question raises
        (shorthands for a row of the tip_facts / tip_flags sheet)."""
        fact_id = row.plain("tip_fact")
        if fact_id:
            fact: dict[str, Any] = {"id": fact_id, "question": q["id"], "label": q["label"]}
            if row.plain("tip_fact_bands"):
                try:
                    fact["bands"] = [int(b) for b in row.plain("tip_fact_bands").split()]
                except ValueError:
                    self.refuse(row, "tip_fact_bands",
                                N_("bands are whole numbers separated by spaces."))
            if row.plain("tip_fact_coarsen"):
                fact["coarsen"] = row.plain("tip_fact_coarsen")
            if self.yes_no(row, "tip_fact_filter"):
                fact["filter"] = True
            self.row_facts.append((row, fact))
        code = row.plain("tip_flag")
        if code:
            n = len(self.row_flags)
            when = self.expression(row, "tip_flag_when", self.names)
            flag: dict[str, Any] = {
                "id": f"flag_{q['id']}", "code": code,
                "when": when or FIELD_TYPES[q["type"]].default_indicator_when(q["id"]) or "",
                "action": self.texts(row, "tip_flag_action") or {}}
            if row.plain("tip_flag_level"):
                flag["level"] = row.plain("tip_flag_level")
            label = self.texts(row, "tip_flag_label")
            if label:
                flag["label"] = label
            self.row_flags.append(flag)
            self.flag_rows.append((n, row))

    def engine_type(self, row: SheetRow, kind: str) -> str:
        """The question type: what the XLSForm type (and appearance) means, or tip_type."""
        tip_type = row.plain("tip_type")
        natural = natural_type(kind, row.plain("appearance") or None)
        name = natural.name if natural else ""
        if not tip_type:
            return name
        named = FIELD_TYPES.get(tip_type)
        if named is None or kind not in named.xlsform_types:
            fitting = ", ".join(sorted(k.name for k in FIELD_TYPES.values()
                                       if kind in k.xlsform_types))
            self.refuse(row, "tip_type", N_("tip_type %(tip_type)s does not fit the type %(type)s "
                                            "(it fits: %(fitting)s)."),
                        tip_type=tip_type, type=kind, fitting=fitting)
            return name
        return tip_type

    def options(self, row: SheetRow, q: dict[str, Any], list_name: str, path: str) -> None:
        choices = self.lists.get(list_name)
        if not choices:
            self.refuse(row, "type", N_("The choice list %(list)s is not on the choices sheet."),
                        list=list_name)
            return
        kind = FIELD_TYPES[q["type"]]
        specials = {s for c in choices if (s := self.special_of(c))}
        if kind.allows_specials:
            q["allow_unknown"] = "unknown" in specials
            q["allow_declined"] = "declined" in specials
        elif specials:
            self.refuse(row, "type", N_("A %(tip_type)s question cannot be answered not sure or "
                                        "declined: remove those choices from its list."),
                        tip_type=kind.name)
        plain = [c for c in choices if not self.special_of(c)]
        if kind.fixed_options:
            names = [c.plain("name") for c in plain]
            if sorted(names) != sorted(kind.fixed_options):
                self.refuse(row, "type", N_("A %(tip_type)s question's list has exactly the "
                                            "choices %(choices)s (and not sure, declined)."),
                            tip_type=kind.name, choices=", ".join(kind.fixed_options))
            return
        options = []
        for n, choice in enumerate(plain):
            self.where[f"{path}.options[{n}]"] = (choice, "name")
            option: dict[str, Any] = {"value": choice.plain("name"),
                                      "label": self.texts(choice, "label") or {}}
            if "en" not in option["label"]:
                self.refuse(choice, "label", N_("The choice %(name)s has no English label."),
                            name=choice.plain("name"))
            exclusive = self.yes_no(choice, "tip_exclusive")
            if exclusive:
                option["exclusive"] = True
            if choice.plain("htcds"):
                option["htcds"] = choice.plain("htcds")
            indicators = self.indicators(choice, self.names)
            if indicators:
                option["indicators"] = indicators
            options.append(option)
        q["options"] = options

    def constraint(self, row: SheetRow, q: dict[str, Any], engine_type: str) -> None:
        source = row.plain("constraint")
        if not source:
            return
        names = Names(self.names.questions, self.names.selects, self.names.parameters, q["id"])
        try:
            tree = parse_xpath(source)
            rest = _take_ranges(tree, q, engine_type)
            nodes = [to_engine(part, names) for part in rest]
        except Untranslatable as error:
            self.refuse(row, "constraint", N_("%(construct)s: %(reason)s"),
                        construct=error.construct, reason=error.reason)
            return
        if not nodes:
            return
        tree_out: Node = nodes[0]
        for node in nodes[1:]:
            tree_out = Binary("and", tree_out, node)
        translated = engine_text(tree_out)
        # The exact column holds the engine's constraint alone, without the range parts.
        exact = row.plain(EXACT_PREFIX + "constraint")
        if exact:
            try:
                same = parse(exact) == parse(translated)
            except ExprError:
                same = False
            if not same:
                self.refuse(row, EXACT_PREFIX + "constraint", N_(
                    "The column %(column)s no longer matches %(exact)s: it was edited. Delete "
                    "the %(exact)s cell or write the same condition there."),
                    column="constraint", exact=EXACT_PREFIX + "constraint")
            else:
                translated = exact
        q["constraint"] = translated

    def indicators(self, row: SheetRow, names: Names) -> list[dict[str, Any]]:
        """tip_element, tip_strength, tip_strength_child, tip_when; then the same with _2, _3."""
        numbers = sorted({int(m.group(2)[1:]) if m.group(2) else 1
                          for key in row.keys() if (m := INDICATOR_COLUMN.match(key))})
        found = []
        for n in numbers:
            suffix = "" if n == 1 else f"_{n}"
            element = row.plain("tip_element" + suffix)
            strength = row.plain("tip_strength" + suffix)
            if not element or not strength:
                self.refuse(row, "tip_element" + suffix if not element else "tip_strength" + suffix,
                            N_("An indicator needs both tip_element%(suffix)s and "
                               "tip_strength%(suffix)s."), suffix=suffix)
            indicator: dict[str, Any] = {"element": element, "adult": strength}
            child = row.plain("tip_strength_child" + suffix)
            if child:
                indicator["child"] = child
            when = self.expression(row, "tip_when" + suffix, names)
            if when:
                indicator["when"] = when
            found.append(indicator)
        return found


def _constant(text: str) -> object:
    """A calculate row's constant: a number, a quoted text or true()/false(); else None."""
    text = text.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]*\.[0-9]+", text):
        return float(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return None


def _days(node: object) -> float | None:
    """``today()``, ``today() + N`` or ``today() - N`` as N days; else None."""
    if isinstance(node, _XCall) and node.name == "today" and not node.args:
        return 0
    if (isinstance(node, _XBinary) and node.op in ("+", "-") and _days(node.left) == 0
            and isinstance(node.right, Literal) and isinstance(node.right.value, float)):
        return node.right.value if node.op == "+" else -node.right.value
    return None


def _conjuncts(node: object) -> list[object]:
    if isinstance(node, _XBinary) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _take_ranges(tree: object, q: dict[str, Any], engine_type: str) -> list[Any]:
    """Move ``. >= N`` / ``. <= N`` (numbers, ages), ``. >= today()`` (dates) and
    ``string-length(.) <= N`` (text) from a constraint into ``min``/``max``/``max_length``;
    the other parts are returned."""
    rest = []
    for part in _conjuncts(tree):
        key, value = _range(part, engine_type)
        if key is not None and key not in q:
            q[key] = value
        else:
            if isinstance(part, _XCall) and part.name == "today":
                raise Untranslatable("today()", "today() is supported only in a date question's "
                                     "constraint, as . >= today() or . <= today() (plus or "
                                     "minus days)")
            rest.append(part)
    return rest


def _range(part: object, engine_type: str) -> tuple[str | None, object]:
    written = FIELD_TYPES[engine_type].xlsform_range if engine_type in FIELD_TYPES else None
    if not (isinstance(part, _XBinary) and part.op in (">=", "<=")):
        return None, None
    key = "min" if part.op == ">=" else "max"
    if isinstance(part.left, _XDot):
        right = part.right
        if written == "number" and isinstance(right, Literal) and isinstance(right.value, float):
            return key, _plain_number(right.value)
        if written == "age" and key == "max" and isinstance(right, Literal) \
                and isinstance(right.value, float):
            return key, _plain_number(right.value)
        if written == "days" and (days := _days(right)) is not None:
            return key, int(days)
    if (written == "length" and key == "max" and isinstance(part.left, _XCall)
            and part.left.name == "string-length" and len(part.left.args) == 1
            and isinstance(part.left.args[0], _XDot) and isinstance(part.right, Literal)
            and isinstance(part.right.value, float) and part.right.value.is_integer()):
        return "max_length", int(part.right.value)
    return None, None


def _plain_number(value: float) -> int | float:
    return int(value) if value.is_integer() else value
