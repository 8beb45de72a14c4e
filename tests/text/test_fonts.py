"""The bundled fonts: present, small, still able to shape, and loaded locally."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.languages.fonts import font_faces, font_scripts

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "app" / "static" / "fonts"
CSS = ROOT / "app" / "static" / "css" / "fonts.css"

SCRIPTS = {
    "thai": ["ภาษาไทย"],
    "lao": ["ພາສາລາວ"],
    "myanmar": ["မြန်မာ", "ကျွန်ုပ်"],
    "khmer": ["ភាសាខ្មែរ"],
}
# Features each script's shaping relies on (HarfBuzz's Myanmar and Khmer
# shapers use these; losing them breaks stacking and reordering).
REQUIRED_GSUB = {
    "thai": {"ccmp"},
    "lao": {"ccmp"},
    "myanmar": {"blwf", "blws", "abvs"},
    "khmer": {"pref", "blwf", "abvf", "pstf", "pres", "abvs", "blws", "psts"},
}
REQUIRED_GPOS = {
    "thai": {"mark", "mkmk"},
    "lao": {"mark", "mkmk"},
    "myanmar": {"mark", "mkmk"},
    "khmer": {"abvm", "blwm"},
}
FILES = [f"noto-sans-{s}-{w}.woff2" for s in SCRIPTS for w in ("regular", "bold")]
MAX_BYTES = 60_000
FIRST_PAGE_BUDGET = 250_000


def test_every_declared_font_is_checked_here() -> None:
    assert set(SCRIPTS) == {script.key for script in font_scripts()}
    assert sorted(FILES) == sorted(face.file for face in font_faces())


@pytest.mark.parametrize("name", FILES)
def test_font_file_is_small_woff2(name: str) -> None:
    data = (FONTS / name).read_bytes()
    assert data[:4] == b"wOF2"
    assert len(data) < MAX_BYTES


def test_heaviest_script_leaves_room_in_the_first_page_budget() -> None:
    heaviest = max(
        sum((FONTS / f"noto-sans-{s}-{w}.woff2").stat().st_size for w in ("regular", "bold"))
        for s in SCRIPTS
    )
    # Regular and bold together may take at most 40% of the first page.
    assert heaviest < FIRST_PAGE_BUDGET * 0.4


def test_licence_and_readme_are_shipped() -> None:
    ofl = (FONTS / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in ofl
    assert "Google" in ofl
    readme = (FONTS / "README.md").read_text(encoding="utf-8")
    for name in FILES:
        stem = name.removesuffix(".woff2").replace("-regular", "").replace("-bold", "")
        assert stem in readme


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_subset_keeps_script_coverage_and_layout(script: str) -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    for weight in ("regular", "bold"):
        font = ttlib.TTFont(FONTS / f"noto-sans-{script}-{weight}.woff2")
        cmap = font.getBestCmap()
        for sample in SCRIPTS[script]:
            missing = [hex(ord(c)) for c in sample if ord(c) not in cmap]
            assert not missing, (script, weight, missing)
        assert 0x25CC in cmap
        # Nothing outside the script's ranges and the shared marks.
        assert all(cp >= 0x0E00 for cp in cmap)
        assert "GDEF" in font
        gsub = {r.FeatureTag for r in font["GSUB"].table.FeatureList.FeatureRecord}
        gpos = {r.FeatureTag for r in font["GPOS"].table.FeatureList.FeatureRecord}
        assert REQUIRED_GSUB[script] <= gsub, (script, weight, gsub)
        assert REQUIRED_GPOS[script] <= gpos, (script, weight, gpos)
        assert "fpgm" not in font  # hinting dropped


def _font_faces(css: str) -> list[str]:
    return re.findall(r"@font-face\s*{([^}]*)}", css)


def test_css_loads_only_local_files() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert "http:" not in css and "https:" not in css and "//" not in css.replace("/*", "")
    urls = re.findall(r"url\(\"?([^\")]+)\"?\)", css)
    assert sorted(Path(u).name for u in urls) == sorted(FILES)
    for url in urls:
        assert not url.startswith("/")
        assert (CSS.parent / url).resolve().is_file(), url


def test_css_faces_have_swap_and_script_ranges() -> None:
    css = CSS.read_text(encoding="utf-8")
    faces = _font_faces(css)
    assert len(faces) == len(FILES)
    expected = {
        "thai": "U+0E00-0E7F",
        "lao": "U+0E80-0EFF",
        "myanmar": "U+1000-109F, U+A9E0-A9FF, U+AA60-AA7F",
        "khmer": "U+1780-17FF, U+19E0-19FF",
    }
    for face in faces:
        assert "font-display: swap" in face
        assert 'font-family: "TS Noto"' in face
        script = re.search(r"noto-sans-(\w+)-", face)
        assert script is not None
        assert f"unicode-range: {expected[script.group(1)]}, U+200B-200D, U+25CC;" in face


def test_css_gives_burmese_a_tall_line() -> None:
    css = CSS.read_text(encoding="utf-8")
    rule = re.search(r":lang\(my\)\s*{\s*line-height:\s*([\d.]+);", css)
    assert rule is not None
    assert float(rule.group(1)) >= 1.9
    assert "--font-stack:" in css
