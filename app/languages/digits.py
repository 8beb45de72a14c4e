"""Digits typed in any declared script, turned into ASCII digits.

Respondents and screeners may type numbers with the digits of their own script:
Thai ๑๒, Lao ໑໒, Myanmar ၁၂ (also Shan ႑႒ and Tai Laing), Khmer ១២. The
table is built with ``unicodedata`` from the declared scripts' blocks, so a new
script brings its digits with it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from .declared import LANGUAGES
from .model import Script


def digit_table(scripts: Iterable[Script]) -> dict[int, str]:
    """``str.translate`` table: every non-ASCII decimal digit of ``scripts`` to its ASCII digit."""
    return {
        ord(char): str(unicodedata.decimal(char))
        for script in scripts
        for char in script.digits
        if not char.isascii()
    }


_TABLE = digit_table(language.script for language in LANGUAGES)


def normalize_digits(text: str) -> str:
    """Return ``text`` with every declared script's digits replaced by ASCII ones.

    Everything else is left alone, so ``"๑๒.๕ kg"`` becomes ``"12.5 kg"``.
    """
    return text.translate(_TABLE)


def native_digits(text: str, script: Script) -> str:
    """``text`` with its ASCII digits written in ``script``'s own digits (its first run of
    ten, zero to nine), or unchanged for a script without digits of its own."""
    own = [char for char in script.digits if not char.isascii()]
    run = next((own[i:i + 10] for i in range(len(own) - 9)
                if [unicodedata.decimal(c) for c in own[i:i + 10]] == list(range(10))), None)
    if run is None:
        return text
    return text.translate({ord(str(n)): char for n, char in enumerate(run)})
