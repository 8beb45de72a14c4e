"""Passphrase rules (NIST SP 800-63B style): a minimum length and no well-known passwords.

No composition rules: a long phrase in any script is what we want people to use.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common leaked passwords as plain data.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _core(word: str) -> str:
    """'Password2024!' -> 'password': common words padded with digits are still common."""
    return word.lower().rstrip("0123456789!@#$%^&*()-_=+.?,;: ").lstrip("0123456789")


def problems(passphrase: str, *, username: str = "") -> list[object]:
    """Every reason this passphrase is refused (empty when it is acceptable)."""
    found: list[object] = []
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_LENGTH:
        found.append(_l("Use at least %(n)d characters. A few words in any language work well.",
                        n=MIN_LENGTH))
        return found
    lowered = text.lower()
    common = _common_passwords()
    if lowered in common or (len(_core(text)) >= 4 and _core(text) in common):
        found.append(_l("This passphrase is on a list of commonly used passwords. Choose another."))
    elif len(set(lowered)) <= 2:
        found.append(_l("This passphrase repeats the same characters. Choose another."))
    if username and username.lower() in lowered:
        found.append(_l("The passphrase must not contain the username."))
    return found
