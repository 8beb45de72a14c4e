"""The languages tip-screen speaks: the one place to add or change one.

``docs/translations.md`` ("Adding a sixth language") lists what else to do
after an edit here; everything else that depends on the list derives from it.
"""

from __future__ import annotations

from .model import Language, Script

LATIN = Script("latin", ((0x0000, 0x024F),))
THAI = Script("thai", ((0x0E00, 0x0E7F),), font="Thai")
LAO = Script("lao", ((0x0E80, 0x0EFF),), font="Lao")
# Myanmar, Myanmar Extended-B and Extended-A: Burmese, and also Shan, Mon and Karen
# letters and digits (Myanmar U+1040-1049, Shan U+1090-1099, Tai Laing U+A9F0-A9F9).
# Line heights: the reasoning (the fonts' ink extents) is in app/static/css/fonts.css.
MYANMAR = Script(
    "myanmar", ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)), font="Myanmar", line_height=2
)
KHMER = Script("khmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF)), font="Khmer", line_height=1.9)

#: In menu order. The first is the default: the source language of the catalogs and
#: of questionnaire texts, the fallback for anything untranslated.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English", LATIN),
    Language("th", "Thai", "ไทย", THAI, calendar="buddhist"),
    Language("my", "Burmese", "မြန်မာ", MYANMAR),
    Language("lo", "Lao", "ລາວ", LAO),
    Language("km", "Khmer", "ខ្មែរ", KHMER),
)
