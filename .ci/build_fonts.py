"""Regenerate the bundled subset web fonts in app/static/fonts/.

Sources are Debian's ``fonts-noto-core`` TTFs (``apt-get install fonts-noto-core``);
the subsetter is fontTools with brotli for WOFF2 (``pip install 'fonttools[woff]'``).
Run from the repository root::

    .venv/bin/python .ci/build_fonts.py            # write the files
    .venv/bin/python .ci/build_fonts.py --check    # fail if the files are stale

The output is reproducible: the same source TTFs and fontTools version give
byte-identical WOFF2 files (the ``head.modified`` timestamp is kept from the
source font rather than set to the build time).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "app" / "static" / "fonts"
SRC_DIR = Path("/usr/share/fonts/truetype/noto")
COPYRIGHT = Path("/usr/share/doc/fonts-noto-core/copyright")

# Which scripts get a font, their ranges and the file names come from the
# declared languages (app/languages/declared.py, via app.languages.fonts).
sys.path.insert(0, str(ROOT))
from app.languages.fonts import FontFace, font_faces  # noqa: E402

FACES = list(font_faces())


def _options() -> subset.Options:
    options = subset.Options()
    options.flavor = "woff2"
    # Keep every OpenType layout feature and script: Myanmar and Khmer need
    # their GSUB/GPOS lookups (reordering, stacking, mark positioning).
    options.layout_features = ["*"]
    options.layout_scripts = ["*"]
    # Hinting is not used by browsers on the screens we target; dropping it
    # roughly halves the files.
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    return options


def build_face(face: FontFace, src_dir: Path) -> bytes:
    font = TTFont(src_dir / face.source, recalcTimestamp=False)
    unicodes = [cp for lo, hi in face.ranges for cp in range(lo, hi + 1)]
    subsetter = subset.Subsetter(options=_options())
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.flavor = "woff2"
    buf = io.BytesIO()
    font.save(buf, reorderTables=True)
    return buf.getvalue()


def licence_text(faces: list[FontFace], src_dir: Path, copyright_file: Path) -> str:
    """OFL.txt: each source font's copyright notice, then the OFL 1.1 text.

    The licence text is the ``License: OFL-1.1`` paragraph of the Debian
    package's machine-readable copyright file (one leading space removed,
    `` .`` lines turned back into blank lines).
    """
    notices: list[str] = []
    for face in faces:
        name = TTFont(src_dir / face.source, lazy=True)["name"]
        version = str(name.getDebugName(5)).split(";")[0]
        notices.append(f"{face.source} ({version}): {name.getDebugName(0)}")
    body: list[str] = []
    in_licence = False
    for raw in copyright_file.read_text(encoding="utf-8").splitlines():
        if raw == "License: OFL-1.1":
            in_licence = True
            continue
        if in_licence:
            if not raw.startswith(" "):
                if body:
                    break
                in_licence = False  # a Files stanza's one-line reference
                continue
            body.append("" if raw == " ." else raw[1:])
    if not body:
        raise SystemExit(f"no OFL-1.1 text found in {copyright_file}")
    # Debian's paragraph starts at PREAMBLE; put back the licence's title line.
    title = ["-" * 59, "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007", "-" * 59, ""]
    return "\n".join([*notices, "", *title, *body]).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=SRC_DIR, help="directory of Noto TTFs")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--check", action="store_true", help="compare with the files on disk, write nothing"
    )
    parser.add_argument("--copyright", type=Path, default=COPYRIGHT)
    args = parser.parse_args(argv)
    stale = []
    licence = licence_text(FACES, args.src, args.copyright).encode("utf-8")
    ofl = args.out / "OFL.txt"
    if args.check:
        if not ofl.exists() or ofl.read_bytes() != licence:
            stale.append(ofl.name)
    else:
        ofl.write_bytes(licence)
    for face in FACES:
        data = build_face(face, args.src)
        target = args.out / face.file
        digest = hashlib.sha256(data).hexdigest()[:16]
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                stale.append(face.file)
        else:
            target.write_bytes(data)
        print(f"{face.file:40} {len(data):7d} bytes  sha256:{digest}")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
