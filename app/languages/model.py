"""The shape of a language declaration: a writing system and a language written in it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

#: How a language counts years. "buddhist": the Buddhist era (CE + 543) is shown and typed.
Calendar = Literal["gregorian", "buddhist"]


@dataclass(frozen=True)
class Script:
    """A writing system: its Unicode blocks and the bundled font that draws it."""

    #: Lower-case name, also the font files' name: ``noto-sans-<key>-regular.woff2``.
    key: str
    #: Inclusive code point ranges. The font subset keeps these, CSS loads the font for
    #: them, and every decimal digit in them is accepted wherever numbers are typed.
    blocks: tuple[tuple[int, int], ...]
    #: Noto family part of the source TTFs (``NotoSans<font>-Regular.ttf``), or None when
    #: the system fonts draw the script (Latin).
    font: str | None = None
    #: CSS line-height for text in a language of this script, when the default is too
    #: tight for stacked letters; None keeps the page's line-height.
    line_height: float | None = None

    def __contains__(self, char: object) -> bool:
        if not isinstance(char, str) or len(char) != 1:
            return False
        point = ord(char)
        return any(low <= point <= high for low, high in self.blocks)

    @property
    def digits(self) -> tuple[str, ...]:
        """Every Unicode decimal digit in the script's blocks (``unicodedata.decimal``)."""
        return tuple(
            chr(point)
            for low, high in self.blocks
            for point in range(low, high + 1)
            if unicodedata.decimal(chr(point), None) is not None
        )


@dataclass(frozen=True)
class Language:
    """A language of the interface and of the questionnaire."""

    #: Locale code: Babel/CLDR locale, gettext catalog folder ``translations/<code>/``,
    #: ``<html lang>`` and the key of questionnaire texts.
    code: str
    english_name: str
    #: The name in the language itself, as the language menus show it.
    native_name: str
    script: Script
    calendar: Calendar = "gregorian"
