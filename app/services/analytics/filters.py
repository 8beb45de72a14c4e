"""What a dashboard or case-list view is narrowed to, read from and written to a query string.

``period=7d|30d|90d|365d|all`` or ``from=YYYY-MM-DD&to=YYYY-MM-DD`` (on the record's day of
creation, inclusive), ``station=<id>``, and ``f.<fact id>=<code>`` (repeatable: every pair must
hold; for a multi-valued fact, "contains"). Bad input raises :class:`FilterError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
FACT_PREFIX = "f."
_CODE = re.compile(r"[A-Za-z0-9_+\-]{1,64}")
_STATION = re.compile(r"[A-Za-z0-9\-]{1,36}")
MAX_FACT_FILTERS = 10


class FilterError(ValueError):
    """A query argument that is not a filter; the message says which and why."""


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    station_id: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    # The period keyword it came from ("7d" ...), so links keep a relative period relative.
    period: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], today: date) -> Filters:
        """``args``: a request's query arguments (a MultiDict gives every ``f.`` value)."""
        period = (args.get("period") or "").strip() or None
        since = _day(args, "from")
        until = _day(args, "to")
        if period is not None:
            if since is not None or until is not None:
                raise FilterError("give either period or from/to, not both")
            if period == "all":
                pass
            elif period in PERIODS:
                since, until = today - timedelta(days=PERIODS[period] - 1), today
            else:
                raise FilterError(f"period must be one of {', '.join([*PERIODS, 'all'])}, not {period!r}")
        if since is not None and until is not None and since > until:
            raise FilterError("the period's first day is after its last day")
        station = (args.get("station") or "").strip() or None
        if station is not None and not _STATION.fullmatch(station):
            raise FilterError("station must be a station's id")
        pairs: list[tuple[str, str]] = []
        for key in _keys(args):
            if not key.startswith(FACT_PREFIX):
                continue
            fact = key[len(FACT_PREFIX):]
            if not _CODE.fullmatch(fact):
                raise FilterError(f"{key!r} does not name a fact")
            for code in _values(args, key):
                code = code.strip()
                if not code:
                    continue
                if not _CODE.fullmatch(code):
                    raise FilterError(f"{key}: {code[:70]!r} is not a code")
                if (fact, code) not in pairs:
                    pairs.append((fact, code))
        if len(pairs) > MAX_FACT_FILTERS:
            raise FilterError(f"at most {MAX_FACT_FILTERS} fact filters at once")
        return cls(since, until, station, tuple(sorted(pairs)), period if period != "all" else None)

    def to_args(self) -> dict[str, str]:
        """Query arguments that read back as these filters. A repeated fact's codes share one
        key, comma-free: the dict form keeps the last one; :meth:`to_query` keeps them all."""
        out: dict[str, str] = {}
        if self.period is not None:
            out["period"] = self.period
        else:
            if self.since is not None:
                out["from"] = self.since.isoformat()
            if self.until is not None:
                out["to"] = self.until.isoformat()
        if self.station_id is not None:
            out["station"] = self.station_id
        for fact, code in self.facts:
            out[FACT_PREFIX + fact] = code
        return out

    def to_query(self) -> list[tuple[str, str]]:
        """Every argument as (key, value) pairs, repeated fact keys included (for urlencode)."""
        pairs = [(k, v) for k, v in self.to_args().items() if not k.startswith(FACT_PREFIX)]
        return pairs + [(FACT_PREFIX + fact, code) for fact, code in self.facts]

    def codes(self, fact: str) -> tuple[str, ...]:
        return tuple(code for f, code in self.facts if f == fact)

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None and self.station_id is None and not self.facts


def _keys(args: Mapping[str, str]) -> list[str]:
    return list(args.keys())


def _values(args: Mapping[str, str], key: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        return list(getlist(key))
    value = args.get(key)
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [value] if value is not None else []


def _day(args: Mapping[str, str], key: str) -> date | None:
    text = (args.get(key) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_day(key, text)
    except ValueError:
        return _bad_day(key, text)


def _bad_day(key: str, text: str) -> date:
    raise FilterError(f"{key} must be a day as YYYY-MM-DD, not {text[:20]!r}")
