"""The languages tip-screen speaks, declared once in :mod:`app.languages.declared`.

What follows from the list: the locales Flask-Babel may choose and the
catalogs checked at startup (``app.i18n``), the language keys of the
questionnaire schema (``app.questionnaire.definition``), the bundled fonts and
their CSS (:mod:`app.languages.fonts`), the digits accepted in typed numbers
and dates (:func:`normalize_digits`), Buddhist-era years (``app.text.dates``)
and the languages of demo data. Plain data and the standard library only, so
the pure packages (questionnaire engine, text tools) may import it.
"""

from __future__ import annotations

from typing import Final

from .declared import LANGUAGES
from .digits import native_digits, normalize_digits
from .model import Calendar, Language, Script

__all__ = [
    "BUDDHIST_ERA",
    "CODES",
    "DEFAULT",
    "LANGUAGES",
    "NATIVE_NAMES",
    "TRANSLATED",
    "Calendar",
    "Language",
    "Script",
    "buddhist_era",
    "in_native_digits",
    "normalize_digits",
]

#: Locale codes in menu order.
CODES: Final[tuple[str, ...]] = tuple(language.code for language in LANGUAGES)
#: The source language: catalogs translate from it, missing texts fall back to it.
DEFAULT: Final = CODES[0]
#: Locales that need a compiled catalog in translations/<code>/LC_MESSAGES/.
TRANSLATED: Final[tuple[str, ...]] = CODES[1:]
NATIVE_NAMES: Final[dict[str, str]] = {language.code: language.native_name for language in LANGUAGES}
#: Locales whose users see and type Buddhist-era years.
BUDDHIST_ERA: Final[frozenset[str]] = frozenset(
    language.code for language in LANGUAGES if language.calendar == "buddhist"
)


def buddhist_era(code: object) -> bool:
    """True when people using locale ``code`` count years in the Buddhist era."""
    return code in BUDDHIST_ERA


def in_native_digits(text: str, code: object) -> str:
    """``text`` with its digits in the script of locale ``code`` (unchanged for Latin)."""
    language = next((lang for lang in LANGUAGES if lang.code == code), None)
    return native_digits(text, language.script) if language is not None else text
