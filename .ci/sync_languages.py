"""Rewrite the committed files derived from the declared languages (app/languages/declared.py).

At run time the app derives everything from the declaration; these copies are
committed so that they can be read without running code:

- app/questionnaire/schema.json and its published copy docs/questionnaire.schema.json
  (the language enum and the keys of a text);
- the generated end of app/static/css/fonts.css (@font-face rules, line heights).

Run from the repository root::

    .venv/bin/python .ci/sync_languages.py          # rewrite the files
    .venv/bin/python .ci/sync_languages.py --check  # exit 1 if a file is stale

tests/i18n/test_language_list.py runs the same comparison with the test suite.
The font files themselves are built by .ci/build_fonts.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.languages.fonts import CSS_MARKER, generated_css  # noqa: E402
from app.questionnaire.definition import schema_text  # noqa: E402

SCHEMA = ROOT / "app" / "questionnaire" / "schema.json"
PUBLISHED_SCHEMA = ROOT / "docs" / "questionnaire.schema.json"
FONTS_CSS = ROOT / "app" / "static" / "css" / "fonts.css"


def fonts_css(current: str) -> str:
    """``current`` with everything from the marker on replaced by the generated rules."""
    head, found, _ = current.partition(CSS_MARKER)
    if not found:
        raise SystemExit(f"{FONTS_CSS}: marker line not found: {CSS_MARKER}")
    return head + generated_css()


def expected() -> dict[Path, str]:
    schema = schema_text()
    return {
        SCHEMA: schema,
        PUBLISHED_SCHEMA: schema,
        FONTS_CSS: fonts_css(FONTS_CSS.read_text(encoding="utf-8")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected().items():
        if path.read_text(encoding="utf-8") == text:
            continue
        stale.append(str(path.relative_to(ROOT)))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(("stale: " if args.check else "rewrote: ") + ", ".join(stale), file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
