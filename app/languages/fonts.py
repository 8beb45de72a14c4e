"""The bundled web fonts and the CSS rules that load them, derived from the declared scripts.

``.ci/build_fonts.py`` builds the files listed by :func:`font_faces`;
``.ci/sync_languages.py`` writes :func:`generated_css` into
``app/static/css/fonts.css`` (after :data:`CSS_MARKER`), and a test checks
that the committed file matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from .declared import LANGUAGES
from .model import Script

FAMILY = "TS Noto"
#: Kept in every subset besides the script's blocks: zero-width space, non-joiner
#: and joiner (line breaking and shaping control), and the dotted circle shapers
#: draw under a mark with no base.
SHARED_RANGES: tuple[tuple[int, int], ...] = ((0x200B, 0x200D), (0x25CC, 0x25CC))
#: (name in file names and in Noto's TTF names, CSS font-weight)
WEIGHTS: tuple[tuple[str, int], ...] = (("Regular", 400), ("Bold", 700))
CSS_MARKER = "/* Generated from app/languages/declared.py by .ci/sync_languages.py: edit there, not below. */"


@dataclass(frozen=True)
class FontFace:
    script: Script
    weight_name: str
    weight: int

    @property
    def source(self) -> str:
        """The TTF in Debian's fonts-noto-core it is cut from."""
        return f"NotoSans{self.script.font}-{self.weight_name}.ttf"

    @property
    def file(self) -> str:
        return f"noto-sans-{self.script.key}-{self.weight_name.lower()}.woff2"

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        return self.script.blocks + SHARED_RANGES


def font_scripts() -> tuple[Script, ...]:
    """Scripts with a bundled font, each once, in code point order."""
    scripts = {language.script for language in LANGUAGES if language.script.font}
    return tuple(sorted(scripts, key=lambda script: script.blocks[0][0]))


def font_faces() -> tuple[FontFace, ...]:
    return tuple(
        FontFace(script, name, weight) for script in font_scripts() for name, weight in WEIGHTS
    )


def unicode_range(ranges: tuple[tuple[int, int], ...]) -> str:
    """CSS ``unicode-range`` value: ``U+0E00-0E7F, U+25CC``."""
    return ", ".join(
        f"U+{low:04X}" if low == high else f"U+{low:04X}-{high:04X}" for low, high in ranges
    )


def generated_css() -> str:
    """One ``@font-face`` per bundled file, then a line-height rule per tall-script language."""
    rules = [
        "@font-face {\n"
        f'  font-family: "{FAMILY}";\n'
        "  font-style: normal;\n"
        f"  font-weight: {face.weight};\n"
        "  font-display: swap;\n"
        f'  src: url("../fonts/{face.file}") format("woff2");\n'
        f"  unicode-range: {unicode_range(face.ranges)};\n"
        "}\n"
        for face in font_faces()
    ]
    rules += [
        f":lang({language.code}) {{\n  line-height: {language.script.line_height:g};\n}}\n"
        for language in LANGUAGES
        if language.script.line_height is not None
    ]
    return CSS_MARKER + "\n\n" + "\n".join(rules)
