"""Digits typed in the scripts of the region, turned into ASCII digits.

Respondents and screeners may type numbers with Thai, Lao, Myanmar or Khmer
digits. Every number or date the questionnaire engine parses goes through
:func:`normalize_digits` first, so this is the one place to extend.
"""

from __future__ import annotations

# First code point (the digit zero) of each supported digit block; the nine
# following code points are the digits one to nine, in order.
DIGIT_ZEROS: dict[str, int] = {
    "thai": 0x0E50,
    "lao": 0x0ED0,
    "myanmar": 0x1040,
    "khmer": 0x17E0,
}

_TABLE: dict[int, str] = {
    zero + offset: str(offset) for zero in DIGIT_ZEROS.values() for offset in range(10)
}


def normalize_digits(text: str) -> str:
    """Return ``text`` with Thai, Lao, Myanmar and Khmer digits replaced by ASCII ones.

    Everything else is left alone, so ``"๑๒.๕ kg"`` becomes ``"12.5 kg"``.
    """
    return text.translate(_TABLE)
