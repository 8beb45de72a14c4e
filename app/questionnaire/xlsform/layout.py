"""The XLSForm layout both directions share: sheet and column names, language headers,
words. docs/xlsform.md describes every one of them."""

from __future__ import annotations

from ...languages import LANGUAGES

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

#: tip_type: engine types that XLSForm has no type of its own for.
TIP_TYPES = ("yesno", "consent", "age_or_dob")

YES = "yes"
TRUE_WORDS = frozenset({"yes", "true", "1", "true()"})
FALSE_WORDS = frozenset({"no", "false", "0", "false()"})
