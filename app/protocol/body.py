"""The record body inside an envelope: what a station writes and central reads.

Two lines of UTF-8 JSON: a short summary (name, outcome tier, alert codes, respondent
language) and then the whole record. Listing a thousand records decodes only the
summaries; opening one decodes the whole. (A body of one line, as early drafts
wrote, is the whole record.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class BodyError(ValueError):
    """The decrypted bytes are not a record body."""


def summary_of(body: Mapping[str, Any]) -> dict[str, Any]:
    answers = body.get("answers") or {}
    name = (answers.get("q_respondent_name") or {}).get("value") or ""
    outcome = body.get("outcome") or {}
    override = body.get("override") or {}
    return {
        "name": str(name),
        "tier": override.get("tier") or outcome.get("tier"),
        "flags": [f["code"] for f in outcome.get("flags", []) if f.get("level") == "alert"],
        "respondent_lang": body.get("respondent_lang"),
    }


def _dump(obj: Mapping[str, Any]) -> bytes:
    # Compact JSON never contains a raw newline, so the first newline ends the summary.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def encode(body: Mapping[str, Any]) -> bytes:
    return _dump(summary_of(body)) + b"\n" + _dump(body)


def _load(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except RecursionError:
        raise BodyError("nested too deeply") from None
    except ValueError:
        raise BodyError("not JSON") from None
    if not isinstance(value, dict):
        raise BodyError("not a JSON object")
    return value


def decode(data: bytes) -> dict[str, Any]:
    """The whole record."""
    _, _, rest = data.partition(b"\n")
    return _load(rest or data)


def decode_summary(data: bytes) -> dict[str, Any]:
    """Only the summary line (the whole record's summary for a one-line body)."""
    first, newline, _ = data.partition(b"\n")
    return _load(first) if newline else summary_of(_load(first))
