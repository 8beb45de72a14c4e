"""Question types: a registry of classes, one per type, and one template each.

A type is one :class:`FieldType` subclass that knows every piece of itself:

==========================  ==================================================
``settings``, ``example``   its schema config: the definition keys it reads
                            (JSON Schema fragments) and one valid example
``definition_problems``     what the schema cannot check about its definition
``normalize``               raw answer (form string or JSON) -> stored value
``inputs``, ``from_form``,  its form fields, the raw answer read from them,
``to_form``                 and what they show for a stored answer
``template``                ``screening/fields/<name>.html``: its inputs
``show``                    a stored answer in words (review page, slip, central)
``demo_answer``             a plausible raw answer for demonstration data
``expression_value``        what its answer is in skip-logic expressions
==========================  ==================================================

Families: :mod:`.choice` (yesno, consent, single, multi), :mod:`.text` (text,
longtext, note), :mod:`.number`, :mod:`.dates` (date, age_or_dob). Shared
rules (empty answers, unknown/declined, constraints) are in :mod:`.answers`.

Adding a question type
----------------------

1. Write the class in the family module it belongs to (or a new module
   imported below): ``name``, ``settings`` and ``example``, ``normalize``,
   ``show``, ``demo_answer`` and ``expression_value``; ``inputs`` with
   ``from_form``/``to_form`` if it needs more than one text field. Decorate it
   with ``@register``. Mark the words it shows with ``N_("...")``.
2. Write ``app/templates/screening/fields/<name>.html``: its inputs, named
   ``{{ name }}`` plus each input's suffix, showing ``st[<input key>]``
   (include ``screening/_specials.html`` for "not sure" / "prefers not to say").
3. Run ``pytest tests/questionnaire/test_field_registry.py``: it fails while
   a piece is missing or does not work, and asks for the published schema to
   be regenerated if the type brought new settings (``flask questionnaire
   schema app/questionnaire/schema.json docs/questionnaire.schema.json``).
   New words need the catalog updated (docs/translations.md). The test's
   ``Scale`` type is a worked example.

Nothing else dispatches on type names. See docs/questionnaire.md.
"""

from . import choice, dates, number, text  # noqa: F401 - importing registers the types
from .answers import check_answer, expression_value, normalize_answer, show_answer
from .base import (
    DECLINED,
    FIELD_TYPES,
    FREE_TEXT_TYPES,
    N_,
    SPECIAL_TOKENS,
    SPECIALS,
    UNKNOWN,
    AnswerError,
    DemoContext,
    FieldType,
    Input,
    Words,
    field_type,
    field_type_of,
    is_known,
    register,
    special,
    special_kind,
)
from .dates import MAX_AGE, age_on
from .text import DEFAULT_MAX_LENGTH

__all__ = [
    "DECLINED",
    "DEFAULT_MAX_LENGTH",
    "FIELD_TYPES",
    "FREE_TEXT_TYPES",
    "MAX_AGE",
    "N_",
    "SPECIALS",
    "SPECIAL_TOKENS",
    "UNKNOWN",
    "AnswerError",
    "DemoContext",
    "FieldType",
    "Input",
    "Words",
    "age_on",
    "check_answer",
    "expression_value",
    "field_type",
    "field_type_of",
    "is_known",
    "normalize_answer",
    "register",
    "show_answer",
    "special",
    "special_kind",
]
