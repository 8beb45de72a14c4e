"""The XLSForm layout both directions share: sheet and column names, language headers,
words. docs/xlsform.md describes every one of them."""

from __future__ import annotations

from ...languages import LANGUAGES
from ..fields import FIELD_TYPES, FieldType

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
OUTCOME, FLAGS, FACTS = "tip_outcome", "tip_flags", "tip_facts"

#: Per-language columns: ``label::English (en)``; the language's name is for people.
LANGUAGE_NAMES = {language.code: language.english_name for language in LANGUAGES}
CODES = tuple(LANGUAGE_NAMES)


def language_header(column: str, code: str) -> str:
    return f"{column}::{LANGUAGE_NAMES[code]} ({code})"


#: The engine's expression, verbatim, beside an XLSForm expression whose translation back
#: would be written differently (see docs/xlsform.md "Exact expressions").
EXACT_PREFIX = "tip_exact_"

SELECTS = ("select_one", "select_multiple")  # the XLSForm types that name a choice list


def xlsform_kinds() -> frozenset[str]:
    """Every XLSForm type some question type is written as."""
    return frozenset(t for kind in FIELD_TYPES.values() for t in kind.xlsform_types)


def natural_type(xlsform_type: str, appearance: str | None) -> FieldType | None:
    """The question type an XLSForm type (and appearance) means without a tip_type column."""
    defaults = [k for k in FIELD_TYPES.values() if k.xlsform_default and xlsform_type in k.xlsform_types]
    return next((k for k in defaults if k.xlsform_appearance == appearance and appearance),
                next((k for k in defaults if k.xlsform_appearance is None), None))


def has_choices(kind: FieldType) -> bool:
    """Written with a choice list (select_one / select_multiple)."""
    return kind.needs_options or bool(kind.fixed_options)

YES = "yes"
TRUE_WORDS = frozenset({"yes", "true", "1", "true()"})
FALSE_WORDS = frozenset({"no", "false", "0", "false()"})
