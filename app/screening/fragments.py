"""A section page's questions (screening/_question.html), rendered once and filled per page.

Most of a question's markup is the questionnaire's: its texts in the page's two languages,
its inputs and their names. That part is rendered once per questionnaire version, language
pair and view (held by the page's :class:`~app.screening.labels.PageLabels`), with a marker
at each place the answer or the page decides (``st``: the inputs' values and which are
checked; ``d``: the error, whether the question is shown, the fingerprint of the answer).
A page joins the pieces with those filled in, which is what rendering the template with
them would write. Nothing of an answer is kept: the pieces are made with markers, not
values. The referral question with a signed directory depends on the answers throughout
(what is proposed), so it is rendered in full on every page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from markupsafe import Markup, escape

from app.web.chrome import marker, split_at_markers

TEMPLATE = "screening/_question.html"
_CHECKED = Markup("checked")
_SELECTED = Markup("selected")
_NOTHING = Markup("")


class FieldState(dict[str, object]):
    """What a question's inputs show (``st``): the keys of its inputs plus ``value`` and
    ``special``. The templates ask their tests through these methods, not ``{% if %}``, so
    that a prepared question can leave them open."""

    def checked(self, key: str, value: object) -> Markup:
        return _CHECKED if self[key] == value else _NOTHING

    def checked_if(self, key: str) -> Markup:
        return _CHECKED if self[key] else _NOTHING

    def checked_in(self, key: str, value: object) -> Markup:
        return _CHECKED if value in self[key] else _NOTHING  # type: ignore[operator]

    def selected(self, key: str, value: object) -> Markup:
        return _SELECTED if self[key] == value else _NOTHING


@dataclass(frozen=True)
class Shown:
    """What the page decides of a question (``d``): its error, whether it is shown, and the
    fingerprint of its stored answer (``seen-<id>``)."""

    error: object
    error_text: object
    visible: bool
    seen: str

    @property
    def has_error(self) -> Markup:
        return Markup(" has-error") if self.error else _NOTHING

    @property
    def invalid(self) -> Markup:
        return Markup(' aria-invalid="true"') if self.error else _NOTHING

    @property
    def hidden(self) -> Markup:
        return _NOTHING if self.visible else Markup("hidden")

    @property
    def error_hidden(self) -> Markup:
        return _NOTHING if self.error else Markup("hidden")


# A place left open: ("st" or "d", attribute, call arguments or None for a plain value).
Slot = tuple[str, str, tuple[object, ...] | None]


class _Open:
    """One attribute of a probe: written, or called, it leaves a marker and notes the slot."""

    def __init__(self, which: str, name: str, slots: list[Slot]) -> None:
        self._which, self._name, self._slots = which, name, slots

    def _mark(self, args: tuple[object, ...] | None) -> Markup:
        self._slots.append((self._which, self._name, args))
        return marker(len(self._slots) - 1)

    def __html__(self) -> str:
        return str(self._mark(None))

    __str__ = __html__  # joined with ``~``, Jinja makes it a string first

    def __call__(self, *args: object) -> Markup:
        return self._mark(args)

    def __bool__(self) -> bool:
        raise TypeError(f"{self._which}.{self._name} is tested in a template: use a method")

    def __eq__(self, other: object) -> bool:
        raise TypeError(f"{self._which}.{self._name} is compared in a template: use a method")

    __hash__ = None  # type: ignore[assignment]


class _Probe:
    """Stands for ``st`` or ``d`` while a question is prepared."""

    def __init__(self, which: str, slots: list[Slot]) -> None:
        self._which, self._slots = which, slots

    def __getattr__(self, name: str) -> _Open:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Open(self._which, name, self._slots)


Pieces = tuple[tuple[str, ...], tuple[Slot, ...]]  # texts, and the slots between them


def _render(context: Mapping[str, Any], q: Any, st: object, d: object) -> str:
    template = current_app.jinja_env.get_template(TEMPLATE)
    return template.render({**context, "q": q, "st": st, "d": d})


def prepare(context: Mapping[str, Any], q: Any) -> Pieces | None:
    """The question's markup with its open places, or None if it cannot be prepared: a type's
    template that tests the state with ``{% if %}`` (then rendered in full on every page), or
    a text holding what looks like a marker."""
    slots: list[Slot] = []
    try:
        html = _render(context, q, _Probe("st", slots), _Probe("d", slots))
    except TypeError:
        return None
    split = split_at_markers(html)
    if split is None:
        return None
    texts, numbers = split
    return texts, tuple(slots[n] for n in numbers)


@functools.cache
def _is_item(which: str, name: str) -> bool:
    """Whether Jinja finds ``st.name`` as an item (one of the inputs): it tries the attribute
    first, and FieldState's attributes are its methods. ``d.name`` is always an attribute."""
    return which == "st" and not hasattr(FieldState, name)


def fill(pieces: Pieces, st: FieldState, d: Shown) -> Markup:
    """The question's markup for this state: what rendering the template would write (each
    value escaped as Jinja escapes it: markup as it is, anything else escaped)."""
    getattr_ = current_app.jinja_env.getattr
    texts, slots = pieces
    out = [texts[0]]
    for (which, name, args), text in zip(slots, texts[1:], strict=True):
        value: Any
        if _is_item(which, name):
            value = st[name] if name in st else getattr_(st, name)  # missing: as Jinja has it
        else:
            value = getattr(st if which == "st" else d, name)
        if args is not None:
            value = value(*args)
        out.append(value if type(value) is Markup else escape(value))
        out.append(text)
    return Markup("".join(out))  # noqa: S704 - rendered by the autoescaped template, filled escaped


def render(context: Mapping[str, Any], q: Any, st: FieldState, d: Shown) -> Markup:
    """The question rendered in full (what :func:`fill` saves)."""
    return Markup(_render(context, q, st, d))  # noqa: S704 - an autoescaped template's output



class Questions:
    """A page's ``question_html(q)``: each question prepared once (in ``prepared``, kept with
    the page's labels) and filled with this page's state; those in ``in_full`` rendered."""

    def __init__(self, prepared: dict[tuple[str, bool], Pieces | None], context: dict[str, Any],
                 state: Callable[[Any], tuple[FieldState, Shown]], in_full: dict[str, Any]) -> None:
        self._prepared = prepared
        self._context = context  # the page's words, nothing of the answers
        self._state = state
        self._in_full = in_full  # question id -> what its full rendering adds (the offer)
        self._processed = False

    def _words(self) -> dict[str, Any]:
        if not self._processed:  # the context processors' helpers, for the first rendering only
            current_app.update_template_context(self._context)
            self._processed = True
        return self._context

    def __call__(self, q: Any) -> Markup:
        st, d = self._state(q)
        if q.id in self._in_full:
            return render({**self._words(), **self._in_full[q.id]}, q, st, d)
        key = (q.id, bool(self._context["card"]))
        if key not in self._prepared:
            self._prepared[key] = prepare(self._words(), q)
        pieces = self._prepared[key]
        return render(self._words(), q, st, d) if pieces is None else fill(pieces, st, d)
