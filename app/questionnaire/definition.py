"""Load, validate and discover questionnaire definition files (YAML).

``validate_file(path)`` reports every problem it can find, each with a
location such as ``sections[3].questions[2].relevant``; ``load_definition``
returns typed frozen data or raises :class:`DefinitionError` with the same
list; ``discover(dirs)`` loads every ``*.yaml`` in the given directories.
``load_yaml(text)`` is the one strict YAML reader, for files and for pulled text.

One module of about 570 lines: the checker's cross-references (ids, groups,
expressions) and the builder read the same validated shape; split the checker
out before it grows further.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from . import expr
from .fields import FIELD_TYPES
from .model import (
    ELEMENTS,
    Definition,
    FlagRule,
    Indicator,
    LocalText,
    Option,
    OutcomeRules,
    Question,
    Section,
    Trigger,
)

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SUFFIXES = (".yaml", ".yml")

DEFAULT_ELEMENT_RULE: tuple[tuple[str, ...], ...] = (
    ("strong", "strong"),
    ("strong", "weak"),
    ("medium", "medium", "medium"),
    ("medium", "medium", "weak"),
)
DEFAULT_REFER_ADULT = ("act", "means", "purpose")
DEFAULT_REFER_CHILD = ("act", "purpose")
DEFAULT_SIGNAL_GROUPS = ("act", "means")
DEFAULT_LABOUR_GROUPS = ("purpose",)


@dataclass(frozen=True)
class Problem:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class DefinitionError(ValueError):
    """A definition (or a set of them) that cannot be used; ``problems`` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


# ------------------------------------------------------------------ reading


class _Loader(yaml.SafeLoader):
    """YAML without the surprises: only true/false are booleans (so an option
    written ``no`` stays the string "no"), and a repeated key is an error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> object:
    """A definition's YAML text as data, read the strict way (a repeated key raises
    ``yaml.YAMLError``; ``no`` stays a string). Files on disk and definitions pulled from
    central both go through here."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(path: Path) -> tuple[object, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem("file", f"cannot read {path}: {error}")]
    try:
        return load_yaml(text), []
    except yaml.YAMLError as error:
        return None, [Problem("file", f"not valid YAML: {error}")]


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


# --------------------------------------------------------------- validation


def _location(parts: Iterable[object]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "definition"


def _dicts(value: object) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _schema_problems(data: object) -> list[Problem]:
    validator = Draft202012Validator(schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        message = error.message if len(error.message) < 300 else error.message[:297] + "..."
        problems.append(Problem(_location(error.absolute_path), message))
    return problems


class _Checker:
    """The checks a schema cannot express, run defensively on raw data."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []
        self.order: dict[str, int] = {}  # question id -> position in the document
        self.types: dict[str, str] = {}
        self.options: dict[str, set[str]] = {}
        self.section_of: dict[str, str] = {}
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
        return self.problems

    def index_questions(self) -> None:
        first_at: dict[str, str] = {}
        section_ids: dict[str, str] = {}
        for s, section in _dicts(self.data.get("sections")):
            where = f"sections[{s}]"
            sid = section.get("id")
            if isinstance(sid, str):
                if sid in section_ids:
                    self.add(
                        f"{where}.id", f"duplicate section id {sid!r} (also {section_ids[sid]})"
                    )
                section_ids.setdefault(sid, where)
            for q, question in _dicts(section.get("questions")):
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
                self.types[qid] = qtype if isinstance(qtype, str) else ""
                kind = FIELD_TYPES.get(self.types[qid])
                values = [o.get("value") for _, o in _dicts(question.get("options"))]
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
            elif self.types.get(name) == "note":
                self.add(location, f"refers to {name!r}, a note that is never answered")
            elif before is not None and self.order[name] >= before:
                self.add(location, f"{what} refers to {name!r}, which does not come before it")
        for name in sorted(expr.parameters(node)):
            if name not in self.params:
                self.add(location, f"refers to unknown parameter {name!r}")
        for name, option in expr.option_uses(node):
            known = self.options.get(name)
            if name in self.order and self.types.get(name) in (
                "single",
                "multi",
                "yesno",
                "consent",
            ):
                if known is not None and option not in known:
                    hint = (
                        f" (use {option}(${{{name}}}))" if option in ("unknown", "declined") else ""
                    )
                    self.add(location, f"question {name!r} has no option {option!r}{hint}")

    def check_indicators(
        self, location: str, indicators: object, question_level: bool, qtype: str, qid: str | None
    ) -> None:
        for i, indicator in _dicts(indicators):
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
            if question_level and "when" not in indicator and qtype != "yesno":
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
        for s, section in _dicts(self.data.get("sections")):
            where = f"sections[{s}]"
            questions = _dicts(section.get("questions"))
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
        self.check_indicators(f"{at}.indicators", question.get("indicators"), True, str(qtype), qid)
        seen: set[str] = set()
        for o, option in _dicts(question.get("options")):
            value = option.get("value")
            if value in seen:
                self.add(f"{at}.options[{o}].value", f"duplicate option {value!r}")
            seen.add(str(value))
            self.check_indicators(
                f"{at}.options[{o}].indicators", option.get("indicators"), False, str(qtype), qid
            )
        try:
            built = _question(question, "", "respondent")
        except (AssertionError, AttributeError, KeyError, TypeError, ValueError):
            return  # the schema problems already say why
        for message in kind.definition_problems(built):
            self.add(at, message)

    def check_flags(self) -> None:
        seen: dict[str, str] = {}
        for f, flag in _dicts(self.data.get("flags")):
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
        for t, trigger in _dicts(possible.get("triggers")):
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


def validate_data(data: object) -> list[Problem]:
    """Every problem with an already-parsed definition (empty list: it is valid)."""
    problems = _schema_problems(data)
    if isinstance(data, dict):
        problems += _Checker(data).run()
    return problems


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem with the definition file at ``path`` (empty list: it is valid)."""
    data, problems = read_yaml(Path(path))
    return problems or validate_data(data)


# ----------------------------------------------------------------- building


def _text(value: object) -> LocalText:
    assert isinstance(value, dict)  # noqa: S101 - validated by the schema
    return LocalText({str(k): str(v) for k, v in value.items()})


def _maybe_text(value: object) -> LocalText | None:
    return _text(value) if value is not None else None


def _indicators(items: object, default_when: str | None = None) -> tuple[Indicator, ...]:
    built = []
    for _, item in _dicts(items):
        built.append(
            Indicator(
                element=item["element"],
                adult=item["adult"],
                child=item.get("child", item["adult"]),
                when=item.get("when", default_when),
            )
        )
    return tuple(built)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _question(raw: dict[str, Any], section_id: str, audience: str) -> Question:
    qid = raw["id"]
    screener = bool(raw.get("screener_only", audience == "screener"))
    default_when = f"${{{qid}}} = 'yes'" if raw["type"] == "yesno" else None
    return Question(
        id=qid,
        type=raw["type"],
        label=_text(raw["label"]),
        section_id=section_id,
        help=_maybe_text(raw.get("help")),
        text=_maybe_text(raw.get("text")),
        relevant=raw.get("relevant"),
        constraint=raw.get("constraint"),
        constraint_message=_maybe_text(raw.get("constraint_message")),
        options=tuple(
            Option(
                value=o["value"],
                label=_text(o["label"]),
                indicators=_indicators(o.get("indicators")),
                exclusive=bool(o.get("exclusive", False)),
            )
            for _, o in _dicts(raw.get("options"))
        ),
        indicators=_indicators(raw.get("indicators"), default_when),
        min=_number(raw.get("min")),
        max=_number(raw.get("max")),
        integer=bool(raw.get("integer", True)),
        unit=_maybe_text(raw.get("unit")),
        max_length=int(raw.get("max_length", 2000)),
        allow_unknown=bool(raw.get("allow_unknown", True)),
        allow_declined=bool(raw.get("allow_declined", not screener)),
        core=bool(raw.get("core", False)),
        screener_only=screener,
    )


def _outcome(raw: dict[str, Any]) -> OutcomeRules:
    refer = raw.get("refer_mdt", {})
    possible = raw.get("possible_victim", {})
    partial = possible.get("partial", {})
    labour = raw.get("labour_rights", {})
    return OutcomeRules(
        groups={name: tuple(members) for name, members in raw["groups"].items()},
        element_rule=tuple(tuple(c) for c in raw.get("element_rule", DEFAULT_ELEMENT_RULE)),
        child_when=raw.get("child_when"),
        refer_adult=tuple(refer.get("adult", DEFAULT_REFER_ADULT)),
        refer_child=tuple(refer.get("child", DEFAULT_REFER_CHILD)),
        partial_adult=int(partial.get("adult", 2)),
        partial_child=int(partial.get("child", 1)),
        strong_from=tuple(possible.get("strong_from", DEFAULT_SIGNAL_GROUPS)),
        medium_from=tuple(possible.get("medium_from", DEFAULT_SIGNAL_GROUPS)),
        medium_count=int(possible.get("medium_count", 2)),
        unknown_share=float(possible.get("unknown_share", 0.5)),
        triggers=tuple(
            Trigger(when=t["when"], reason=t["reason"]) for _, t in _dicts(possible.get("triggers"))
        ),
        labour_groups=tuple(labour.get("groups", DEFAULT_LABOUR_GROUPS)),
        labour_min_indicators=int(labour.get("min_indicators", 1)),
        explanations={tier: _text(text) for tier, text in raw["explanations"].items()},
    )


def build_definition(data: Mapping[str, Any], path: Path | None = None) -> Definition:
    """Typed data from a definition that :func:`validate_data` accepted."""
    sections = []
    for _, raw in _dicts(data["sections"]):
        audience = raw.get("audience", "respondent")
        sections.append(
            Section(
                id=raw["id"],
                title=_text(raw["title"]),
                intro=_maybe_text(raw.get("intro")),
                relevant=raw.get("relevant"),
                audience=audience,
                questions=tuple(
                    _question(q, raw["id"], audience) for _, q in _dicts(raw["questions"])
                ),
            )
        )
    return Definition(
        id=data["id"],
        version=data["version"],
        title=_text(data["title"]),
        description=_maybe_text(data.get("description")),
        languages=tuple(data["languages"]),
        parameters=dict(data.get("parameters", {})),
        sections=tuple(sections),
        flags=tuple(
            FlagRule(
                id=f["id"],
                code=f["code"],
                level=f.get("level", "alert"),
                when=f["when"],
                action=_text(f["action"]),
            )
            for _, f in _dicts(data.get("flags"))
        ),
        outcome=_outcome(data["outcome"]),
        path=path,
    )


def load_definition(path: str | Path) -> Definition:
    """Read and validate one definition file; raise :class:`DefinitionError` if it has problems."""
    path = Path(path)
    data, problems = read_yaml(path)
    problems = problems or validate_data(data)
    if problems:
        raise DefinitionError([Problem(f"{path.name}: {p.location}", p.message) for p in problems])
    assert isinstance(data, dict)  # noqa: S101 - the schema requires an object
    return build_definition(data, path)


def discover(dirs: Iterable[str | Path]) -> list[Definition]:
    """Every definition file (``*.yaml``, ``*.yml``) in ``dirs``, sorted by (id, version).

    Missing directories are skipped. Raises :class:`DefinitionError` listing the
    problems of every broken file, and any (id, version) defined twice.
    """
    found: dict[tuple[str, str], Definition] = {}
    problems: list[Problem] = []
    for directory in dirs:
        directory = Path(directory)
        if not directory.is_dir():
            continue
        for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES):
            try:
                definition = load_definition(path)
            except DefinitionError as error:
                problems += error.problems
                continue
            if definition.key in found:
                other = found[definition.key].path
                problems.append(
                    Problem(
                        f"{path.name}: id",
                        f"{definition.id} {definition.version} is also defined in {other}",
                    )
                )
                continue
            found[definition.key] = definition
    if problems:
        raise DefinitionError(problems)
    return [found[key] for key in sorted(found, key=lambda k: (k[0], _version_key(k[1])))]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
