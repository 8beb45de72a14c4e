"""Detect Burmese typed in the Zawgyi encoding and convert it to Unicode.

Zawgyi is a font hack that reuses the Myanmar block for visual glyph
variants and stores text in visual order (the vowel sign E and the medial RA
are typed before the consonant they belong to). Unicode stores text in
logical order: per syllable, kinzi, consonant, stacked consonant, medials
(YA, RA, WA, HA), vowel E, upper vowels, lower vowels, AA, anusvara, dot
below, asat, visarga (Unicode Technical Note #11).

Conversion works syllable by syllable: each Zawgyi code point is mapped to
its Unicode letters, each tagged with its position class; letters typed
before a base are held until the base arrives; a syllable's marks are then
sorted into Unicode order and duplicates dropped. Result: NFC.

``to_unicode`` converts only when Google's Zawgyi detector (myanmartools)
gives a probability above ``THRESHOLD``; everything else, including Unicode
Burmese, text in other scripts and text the detector is unsure of, is
returned unchanged. Only Myanmar-block code points are ever rewritten.

Known ambiguity: Zawgyi users type the digit zero ``၀`` (U+1040) for the
letter WA ``ဝ`` (U+101D) and seven ``၇`` (U+1047) for RA ``ရ`` (U+101B). The
converter reads them as letters only where a digit cannot stand: before a
vowel sign, medial or asat; after a pre-base vowel E or medial RA; or between
a syllable's final mark and the next consonant (``နယ်၀န်`` -> ``နယ်ဝန်``).
After a bare consonant (``အ၀တ်``) the digit is kept, as Google's own
converter does: there both readings are possible.

Checked against real text (``shared/testdata/zawgyi``, from
google/myanmar-tools): all 154 Burmese lines of the mmgov and UDHR pairs
convert to the Unicode reference exactly (after NFC).
"""

from __future__ import annotations

import functools
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Final

from myanmartools import ZawgyiDetector

__all__ = ["THRESHOLD", "ConversionResult", "detect", "to_unicode", "zawgyi_to_unicode"]

#: Convert only above this Zawgyi probability. The detector's scores are
#: strongly bimodal on real sentences (Unicode below 1e-10, Zawgyi above
#: 0.999); short fragments fall in between (``လး`` 0.92, ``ရား`` 0.69) and
#: are left as typed rather than risk rewriting correct Unicode.
THRESHOLD: Final = 0.95


@functools.cache
def _detector() -> ZawgyiDetector:
    # myanmartools 1.2.1 loads its model with importlib.resources.open_binary,
    # deprecated since Python 3.11; the warning is the library's, not ours.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "open_binary is deprecated", DeprecationWarning)
        return ZawgyiDetector()


@dataclass(frozen=True, slots=True)
class ConversionResult:
    """What ``to_unicode`` did: the text to store, the input, and whether it changed."""

    text: str
    original: str
    converted: bool


def detect(text: str) -> float:
    """Probability, from 0.0 to 1.0, that ``text`` is Burmese in the Zawgyi encoding.

    Text without Myanmar letters scores 0.0 (the detector says -inf).
    """
    try:
        probability = float(_detector().get_zawgyi_probability(text))
    except Exception:  # a detector failure must never reach a form
        return 0.0
    if probability != probability or probability < 0.0:  # NaN or -inf: nothing to judge
        return 0.0
    return min(probability, 1.0)


def to_unicode(text: str) -> ConversionResult:
    """Convert ``text`` from Zawgyi to Unicode if the detector is confident it is Zawgyi."""
    if not any(_is_myanmar(ch) for ch in text) or detect(text) <= THRESHOLD:
        return ConversionResult(text=text, original=text, converted=False)
    try:
        result = zawgyi_to_unicode(text)
    except Exception:  # keep the input rather than fail
        return ConversionResult(text=text, original=text, converted=False)
    return ConversionResult(text=result, original=text, converted=result != text)


# --- conversion ------------------------------------------------------------

# Position classes, in Unicode storage order within a syllable.
_KINZI = 0
_BASE = 1
_CONTRACTION_ASAT = 2  # asat typed before a medial or u: ယောက်ျား, ကျွန်ုပ်
_STACK = 3
_MEDIAL_Y = 4
_MEDIAL_R = 5
_MEDIAL_W = 6
_MEDIAL_H = 7
_VOWEL_E = 8
_UPPER = 9
_LOWER = 10
_AA = 11
_ANUSVARA = 12
_DOT_BELOW = 13
_ASAT = 14
_VISARGA = 15
_OTHER = 16  # punctuation, digits, spaces: end a syllable

_Piece = tuple[str, int]

_KINZI_SEQ: Final = "\u1004\u103a\u1039"


def _p(text: str, cls: int) -> tuple[_Piece, ...]:
    return ((text, cls),)


def _build_map() -> dict[str, tuple[_Piece, ...]]:
    table: dict[str, tuple[_Piece, ...]] = {}
    for cp in range(0x1000, 0x1022):  # consonants
        table[chr(cp)] = _p(chr(cp), _BASE)
    for cp in (0x1023, 0x1024, 0x1025, 0x1026, 0x1027, 0x1029, 0x102A, 0x104C, 0x104D, 0x104F):
        table[chr(cp)] = _p(chr(cp), _BASE)  # independent vowels and symbols
    table["\u104e"] = ((("\u104e\u1004\u103a\u1038"), _BASE),)  # Zawgyi writes ၎ for ၎င်း
    table["\u102b"] = _p("\u102b", _AA)
    table["\u102c"] = _p("\u102c", _AA)
    table["\u102d"] = _p("\u102d", _UPPER)
    table["\u102e"] = _p("\u102e", _UPPER)
    table["\u1032"] = _p("\u1032", _UPPER)
    table["\u102f"] = _p("\u102f", _LOWER)
    table["\u1030"] = _p("\u1030", _LOWER)
    table["\u1033"] = _p("\u102f", _LOWER)  # long-form u
    table["\u1034"] = _p("\u1030", _LOWER)  # long-form uu
    table["\u103f"] = _p("\u1030", _LOWER)  # Zawgyi's uu variant
    table["\u1031"] = _p("\u1031", _VOWEL_E)
    table["\u1036"] = _p("\u1036", _ANUSVARA)
    table["\u1037"] = _p("\u1037", _DOT_BELOW)
    table["\u1094"] = _p("\u1037", _DOT_BELOW)
    table["\u1095"] = _p("\u1037", _DOT_BELOW)
    table["\u1038"] = _p("\u1038", _VISARGA)
    table["\u1039"] = _p("\u103a", _ASAT)  # Zawgyi's asat
    table["\u103a"] = _p("\u103b", _MEDIAL_Y)
    table["\u107d"] = _p("\u103b", _MEDIAL_Y)
    for cp in (0x103B, *range(0x107E, 0x1085)):
        table[chr(cp)] = _p("\u103c", _MEDIAL_R)  # medial RA and its width variants
    table["\u103c"] = _p("\u103d", _MEDIAL_W)
    table["\u103d"] = _p("\u103e", _MEDIAL_H)
    table["\u1087"] = _p("\u103e", _MEDIAL_H)
    table["\u1088"] = (("\u103e", _MEDIAL_H), ("\u102f", _LOWER))
    table["\u1089"] = (("\u103e", _MEDIAL_H), ("\u1030", _LOWER))
    table["\u108a"] = (("\u103d", _MEDIAL_W), ("\u103e", _MEDIAL_H))
    table["\u105a"] = (("\u102b", _AA), ("\u103a", _ASAT))
    table["\u108e"] = (("\u102d", _UPPER), ("\u1036", _ANUSVARA))
    table["\u1064"] = _p(_KINZI_SEQ, _KINZI)
    table["\u108b"] = ((_KINZI_SEQ, _KINZI), ("\u102d", _UPPER))
    table["\u108c"] = ((_KINZI_SEQ, _KINZI), ("\u102e", _UPPER))
    table["\u108d"] = ((_KINZI_SEQ, _KINZI), ("\u1036", _ANUSVARA))
    # Consonant variants and ligatures.
    table["\u106a"] = _p("\u1009", _BASE)
    table["\u106b"] = _p("\u100a", _BASE)
    table["\u108f"] = _p("\u1014", _BASE)
    table["\u1090"] = _p("\u101b", _BASE)
    table["\u1086"] = _p("\u103f", _BASE)
    table["\u106e"] = (("\u100d", _BASE), ("\u1039\u100d", _STACK))
    table["\u106f"] = (("\u100d", _BASE), ("\u1039\u100e", _STACK))
    table["\u1091"] = (("\u100f", _BASE), ("\u1039\u100d", _STACK))
    table["\u1092"] = (("\u100b", _BASE), ("\u1039\u100c", _STACK))
    table["\u1097"] = (("\u100b", _BASE), ("\u1039\u100b", _STACK))
    # Stacked (subscript) consonants.
    stacked = {
        0x1060: 0x1000, 0x1061: 0x1001, 0x1062: 0x1002, 0x1063: 0x1003, 0x1065: 0x1005,
        0x1066: 0x1006, 0x1067: 0x1006, 0x1068: 0x1007, 0x1069: 0x1008, 0x106C: 0x100B,
        0x106D: 0x100C, 0x1070: 0x100F, 0x1071: 0x1010, 0x1072: 0x1010, 0x1073: 0x1011,
        0x1074: 0x1011, 0x1075: 0x1012, 0x1076: 0x1013, 0x1077: 0x1014, 0x1078: 0x1015,
        0x1079: 0x1016, 0x107A: 0x1017, 0x107B: 0x1018, 0x1093: 0x1018, 0x107C: 0x1019,
        0x1085: 0x101C,
    }  # fmt: skip
    for zg, letter in stacked.items():
        table[chr(zg)] = _p("\u1039" + chr(letter), _STACK)
    table["\u1096"] = (("\u1039\u1010", _STACK), ("\u103d", _MEDIAL_W))
    return table


_MAP: Final = _build_map()
_PRE_BASE: Final = frozenset({_VOWEL_E, _MEDIAL_R})
_MEDIALS: Final = frozenset({_MEDIAL_Y, _MEDIAL_R, _MEDIAL_W, _MEDIAL_H})
_DIGIT_AS_LETTER: Final = {"\u1040": "\u101d", "\u1047": "\u101b"}


def _is_myanmar(ch: str) -> bool:
    return "\u1000" <= ch <= "\u109f"


def _pieces(ch: str) -> tuple[_Piece, ...]:
    return _MAP.get(ch, ((ch, _OTHER),))


def _attaches(ch: str | None) -> bool:
    """True if ``ch`` (the next code point) is a mark that needs a base before it."""
    if ch is None:
        return False
    first = _pieces(ch)[0][1]
    return first not in (_BASE, _OTHER, _VOWEL_E, _MEDIAL_R, _KINZI)


def _render(marks: list[_Piece]) -> str:
    ordered = sorted(marks, key=lambda piece: piece[1])  # stable: keeps typed order in a class
    out: list[str] = []
    seen: set[str] = set()
    for text, cls in ordered:
        if cls not in (_BASE, _OTHER) and text in seen:
            continue  # doubled marks (ိိ, ််) are typing slips a Zawgyi font hides
        seen.add(text)
        out.append(text)
    return "".join(out)


def zawgyi_to_unicode(text: str) -> str:
    """Convert Zawgyi text to Unicode unconditionally (see ``to_unicode`` for the guarded form)."""
    out: list[str] = []
    syllable: list[_Piece] = []
    pending: list[_Piece] = []

    def flush() -> None:
        if syllable:
            out.append(_render(syllable))
            syllable.clear()

    def flush_pending() -> None:
        if pending:
            out.append("".join(text for text, _ in pending))
            pending.clear()

    chars = list(text)
    for i, ch in enumerate(chars):
        nxt = chars[i + 1] if i + 1 < len(chars) else None
        prev = chars[i - 1] if i > 0 else None
        if ch in _DIGIT_AS_LETTER and _digit_is_letter(prev, nxt, bool(pending)):
            ch = _DIGIT_AS_LETTER[ch]
        if ch == "\u1025" and (nxt in ("\u1039", "\u102c", "\u103a") or _is_stack(nxt)):
            ch = "\u1009"  # ဉ (nya) before asat, AA or a stacked letter, not ဥ
        pieces = _pieces(ch)
        first_cls = pieces[0][1]
        if first_cls == _OTHER:
            flush()
            flush_pending()
            out.append(ch)
            continue
        if first_cls in _PRE_BASE:
            # Vowel E and medial RA are typed before their consonant in Zawgyi.
            # The previous syllable stays open: a mark typed after them (ha in
            # "မျွဖစ္") still belongs to it.
            pending.extend(pieces)
            continue
        if first_cls == _BASE:
            flush()
            syllable.extend(pieces)
            syllable.extend(pending)
            pending.clear()
            continue
        # A mark (or kinzi): belongs to the current syllable.
        if not syllable:
            flush_pending()
            out.append("".join(text for text, _ in pieces))
            continue
        if (first_cls in _MEDIALS or first_cls == _LOWER) and syllable[-1][1] == _ASAT:
            syllable[-1] = (syllable[-1][0], _CONTRACTION_ASAT)
        syllable.extend(pieces)
    flush()
    flush_pending()
    return unicodedata.normalize("NFC", _fix_letters("".join(out)))


def _class(ch: str | None) -> int:
    return _OTHER if ch is None else _pieces(ch)[0][1]


def _digit_is_letter(prev: str | None, nxt: str | None, after_pre_base: bool) -> bool:
    """Whether a Zawgyi ၀ or ၇ stands for the letter ဝ or ရ (see the module docstring)."""
    if after_pre_base or _attaches(nxt):
        return True
    # Between a syllable's final mark and the next consonant: ``နယ်၀န်``.
    return _class(prev) not in (_BASE, _OTHER) and _class(nxt) in (_BASE, *_PRE_BASE)


def _is_stack(ch: str | None) -> bool:
    return ch is not None and _pieces(ch)[0][1] == _STACK


def _fix_letters(text: str) -> str:
    # ဥ + ီ is the independent vowel ဦ; စ + ျ is how Zawgyi draws ဈ.
    return text.replace("\u1025\u102e", "\u1026").replace("\u1005\u103b", "\u1008")
