"""Digits typed in the scripts of the region, turned into ASCII digits.

Every number or date the questionnaire engine parses goes through
:func:`normalize_digits` first. The digits it knows are those of the declared
languages' scripts (:mod:`app.languages.digits`, built with ``unicodedata``).
"""

from __future__ import annotations

from ..languages import normalize_digits

__all__ = ["normalize_digits"]
