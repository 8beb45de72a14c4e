"""The field-type base class and the registry of question types.

A question type is one :class:`FieldType` subclass decorated with :func:`register`
(see the package docstring, ``app/questionnaire/fields/__init__.py``, for the
steps). Everything that differs between types is a piece of that class; the
rest of the application asks the registry (``field_type_of(question)``) and
never compares type names.

The engine is pure: it translates nothing and knows no forms. A type names the
words it shows (marked with :func:`N_` so the catalog picks them up) and the
web layer passes in :class:`Words` that translate them; a type describes its
form fields as :class:`Input` s and the web layer reads and fills them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol

from ..expr import Value
from ..model import Question

UNKNOWN = "unknown"
DECLINED = "declined"
SPECIALS = (UNKNOWN, DECLINED)
# Raw tokens any question type accepts for "not sure / don't know" and "prefers not to say".
SPECIAL_TOKENS = {"__unknown__": UNKNOWN, "__declined__": DECLINED}

# JSON Schema fragments for settings; ``$defs`` are those of app/questionnaire/schema.json.
LOCAL_TEXT: Mapping[str, Any] = {"$ref": "#/$defs/localText"}


def N_(msgid: str) -> str:
    """Mark an interface text for the catalog (the gettext ``N_`` convention);
    :class:`Words` translate it when it is shown."""
    return msgid


class AnswerError(ValueError):
    """A submitted answer that cannot be stored; ``key`` names the message."""

    def __init__(self, key: str, question_id: str | None = None, **params: object) -> None:
        super().__init__(f"{key} ({question_id})" if question_id else key)
        self.key = key
        self.question_id = question_id
        self.params = params


def special(kind: str) -> dict[str, str]:
    return {"special": kind}


def special_kind(stored: object) -> str | None:
    """``"unknown"`` / ``"declined"`` for a stored special answer, else None."""
    if isinstance(stored, dict) and stored.get("special") in SPECIALS:
        return str(stored["special"])
    return None


def is_known(stored: object) -> bool:
    """An answer that is present and neither unknown nor declined."""
    return stored is not None and special_kind(stored) is None


INPUT_KINDS = ("text", "list", "date", "flag")


@dataclass(frozen=True)
class Input:
    """One form field of a question.

    It is posted as ``q-<question id><suffix>`` and shown to the type's template
    as ``st[key]``. ``kind`` says how the web layer reads and fills it:

    ``text``  the string as typed (``""`` when absent)
    ``list``  every value posted under the name, empty ones dropped (checkboxes)
    ``date``  a typed day (DD/MM/YYYY, Buddhist era for Thai), read as ISO
              ``YYYY-MM-DD`` (unparseable text stays as typed); :meth:`FieldType.to_form`
              gives ISO, the page shows it the way it is typed
    ``flag``  a checkbox: True when posted
    """

    key: str = "value"
    kind: str = "text"
    suffix: str = ""


class Words(Protocol):
    """The reader's words, passed in by the web layer (the engine translates nothing)."""

    @property
    def lang(self) -> str:
        """The language of questionnaire texts (option labels, units) and of dates."""
        ...

    def __call__(self, msgid: str, **params: object) -> str:
        """An interface text marked with :func:`N_`, translated, ``%(name)s`` filled in."""
        ...

    def day(self, iso: str) -> str:
        """An ISO day in the reader's calendar and language (Buddhist era for Thai)."""
        ...


@dataclass(frozen=True)
class DemoContext:
    """What a type needs to make up a plausible answer for demonstrations."""

    rng: random.Random
    marker: str  # every made-up free text carries it, so demo data is easy to find
    lean: float = 0.5  # near 1: answers that raise indicators; near 0: answers that do not
    today: date = field(default_factory=date.today)
    names: tuple[str, ...] = ("Aye",)
    name_questions: frozenset[str] = frozenset()  # text questions that ask for a name


class FieldType:
    """One question type. Set ``name``, fill in every piece, decorate with :func:`register`.

    A subclass of another type inherits its pieces (``LongText(Text)``).
    Required pieces raise ``NotImplementedError`` here; the registry test
    (tests/questionnaire/test_field_registry.py) fails while any is missing.
    """

    name: ClassVar[str] = ""

    # Schema config. ``settings``: the definition keys this type reads beyond the
    # common ones (id, label, help, relevant, indicators ...), as JSON Schema
    # fragments; they become ``$defs/questionSettings`` of the definition schema.
    # A setting that is not an attribute of Question is in ``question.settings``.
    # ``example``: the settings of one valid question of this type (the registry
    # test validates, renders and answers it).
    settings: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    example: ClassVar[Mapping[str, Any] | None] = None

    answerable: ClassVar[bool] = True
    needs_options: ClassVar[bool] = False
    # Answers are a list of options (each option is a 0/1 column in exports).
    multiple: ClassVar[bool] = False
    fixed_options: ClassVar[tuple[str, ...]] = ()
    # The plain words "unknown" / "declined" may be posted as the answer itself.
    plain_specials: ClassVar[bool] = False
    allows_specials: ClassVar[bool] = True
    # Typed free text: Zawgyi input is converted to Unicode before it is checked,
    # and demo answers carry the demo marker (so they are never "not sure").
    free_text: ClassVar[bool] = False
    # How an answer becomes a de-identified fact (app/questionnaire/facts.py): "option" (its
    # option code), "options" (a list of codes), "number" (a band of the expression value,
    # from the fact's ``bands``), "date" (month or year of the expression value), or None:
    # never a fact (free text, or never answered).
    fact: ClassVar[str | None] = None
    # The form fields; the web layer reads them into ``parts`` for :meth:`from_form`.
    inputs: ClassVar[tuple[Input, ...]] = (Input(),)
    # How XLSForm writes the type (docs/xlsform.md): the XLSForm types it may be written as
    # (the first unless xlsform_type says otherwise), the appearance that tells it apart, and
    # whether it is what those XLSForm types mean when no tip_type column names another.
    xlsform_types: ClassVar[tuple[str, ...]] = ()
    xlsform_appearance: ClassVar[str | None] = None
    xlsform_default: ClassVar[bool] = False
    # How min/max/max_length are written in an XLSForm constraint: "number" (. >= min,
    # . <= max), "age" (. <= max), "days" (. >= today() + min) or "length" (string-length).
    xlsform_range: ClassVar[str | None] = None

    def xlsform_type(self, question: Question) -> str:
        """The XLSForm type (before the list name) this question is written as."""
        return self.xlsform_types[0]

    @property
    def template(self) -> str:
        """The template that renders the question's inputs on the interview page."""
        return f"screening/fields/{self.name}.html"

    @property
    def has_options(self) -> bool:
        """Answers are option values (the validator checks ``${q} = 'x'`` names one)."""
        return self.needs_options or bool(self.fixed_options)

    def option_values(self, question: Question) -> tuple[str, ...]:
        return self.fixed_options or tuple(o.value for o in question.options)

    def default_indicator_when(self, question_id: str) -> str | None:
        """When an indicator on the question itself fires if it gives no ``when``
        (None: it must give one)."""
        return None

    def definition_problems(self, question: Question) -> list[str]:
        """What is wrong with how ``question`` is defined, beyond the schema."""
        problems: list[str] = []
        if self.needs_options and not question.options:
            problems.append(f"a {self.name} question needs options")
        if not self.needs_options and question.options:
            problems.append(f"a {self.name} question takes no options")
        return problems

    # ------------------------------------------------------------ answers

    def normalize(self, question: Question, raw: object, today: date) -> object:
        """The stored value (JSON-ready) for a raw answer that is not empty and not
        unknown/declined, or raise :class:`AnswerError`."""
        raise NotImplementedError

    def from_form(self, question: Question, parts: Mapping[str, object]) -> object:
        """The raw answer from the form fields read as ``{input.key: value}``
        (None or "": no answer)."""
        return parts.get("value", "")

    def to_form(self, question: Question, stored: object) -> dict[str, object]:
        """What the inputs show for a known stored answer, ``{input.key: value}``."""
        return {"value": str(stored)}

    def show(self, question: Question, stored: object, words: Words) -> str:
        """A known stored answer in words, as the review page, the referral slip
        and central's record page show it."""
        raise NotImplementedError

    def demo_answer(self, question: Question, demo: DemoContext) -> object:
        """A plausible raw answer for demonstration data (it must pass :meth:`normalize`)."""
        raise NotImplementedError

    def expression_value(self, question: Question, stored: object) -> Value:
        """What a known stored answer is inside skip-logic expressions.

        The evaluator (``expr.value_of``) and its browser twin read stored JSON
        by its shape, so a type must store a shape they read as this value; the
        registry test checks that they agree.
        """
        raise NotImplementedError


FIELD_TYPES: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    """Class decorator: add a question type to the registry."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no name")
    if cls.name in FIELD_TYPES:
        raise ValueError(f"question type {cls.name!r} is registered twice")
    for kind in FIELD_TYPES.values():
        for key in set(kind.settings) & set(cls.settings):
            if kind.settings[key] != cls.settings[key]:
                raise ValueError(
                    f"setting {key!r} of {cls.name!r} has another schema than in {kind.name!r}"
                )
    FIELD_TYPES[cls.name] = cls()
    return cls


def field_type(name: str) -> FieldType:
    return FIELD_TYPES[name]


def field_type_of(question: Question) -> FieldType:
    """The registered type of ``question`` (a loaded definition has only registered types)."""
    return FIELD_TYPES[question.type]


class TypeNames(Set[str]):
    """The names of the registered types with some property, looked up when asked."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute

    def __contains__(self, name: object) -> bool:
        kind = FIELD_TYPES.get(name) if isinstance(name, str) else None
        return kind is not None and bool(getattr(kind, self.attribute))

    def __iter__(self) -> Iterator[str]:
        return (name for name in list(FIELD_TYPES) if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


FREE_TEXT_TYPES = TypeNames("free_text")
