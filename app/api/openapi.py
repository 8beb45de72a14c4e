"""The OpenAPI 3.1 description of /api/v1, kept as data in openapi.json next to this file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.version import __version__


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    doc["info"]["version"] = __version__
    return doc
