"""What the dashboard, the case list and ``flask dashboard`` show, from the facts index: every
count after the filters and through the small-cell rule. Codes only; the pages put words on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ReceivedRecord, Station
from app.questionnaire.facts import FactSpec, fact_specs
from app.services import questionnaires
from app.services.analytics import suppression
from app.services.analytics.filters import FilterError, Filters
from app.services.analytics.index import EPOCH, NO_CODE, Snapshot, index_for
from app.services.analytics.index import IndexLoading as IndexLoading  # the pages catch it from here
from app.services.central import facts as central_facts

NOT_RECORDED = ""  # the row of records without the fact (not asked, or older questionnaires)
FORCED_CRIMINALITY = "forced_criminality"
WITH, WITHOUT = "with", "without"
TIME_UNITS = ("week", "month")
PAGE_SIZE = 50
MAX_TIME_BUCKETS = 400


@dataclass(frozen=True)
class Row:
    code: str
    count: int | None  # None: hidden by the small-cell rule


@dataclass(frozen=True)
class Chart:
    id: str  # "time", "stations", "forced_criminality_share" or a fact's id
    kind: str  # "time" | "single" | "multi" | "stations" | "share"
    rows: tuple[Row, ...]
    total: int | None
    spec: FactSpec | None = None

    @property
    def hidden(self) -> bool:
        return any(r.count is None for r in self.rows) or self.total is None


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    unit: str
    charts: tuple[Chart, ...]
    threshold: int
    specs: tuple[FactSpec, ...]

    def chart(self, chart_id: str) -> Chart | None:
        return next((c for c in self.charts if c.id == chart_id), None)


def threshold() -> int:
    return int(current_app.config["TIP"].small_cell_threshold)


def specs() -> tuple[FactSpec, ...]:
    """The facts the newest default questionnaire declares: what is charted and filtered."""
    return fact_specs(questionnaires.latest())


def check(filters: Filters, declared: tuple[FactSpec, ...]) -> None:
    """FilterError unless every fact filter names a declared filter fact and one of its codes."""
    by_id = {s.id: s for s in declared}
    for fact, code in filters.facts:
        spec = by_id.get(fact)
        if spec is None or not spec.filter:
            raise FilterError(f"{fact!r} is not a fact one can filter by")
        if not spec.accepts(code):
            raise FilterError(f"{code!r} is not a value of {fact!r}")


def _mask(snap: Snapshot, filters: Filters) -> np.ndarray:
    keep = np.ones(snap.size, dtype=bool)
    if filters.since is not None:
        keep &= snap.day >= filters.since.toordinal() - EPOCH
    if filters.until is not None:
        keep &= snap.day <= filters.until.toordinal() - EPOCH
    if filters.station_id is not None:
        n = snap.stations.index(filters.station_id) if filters.station_id in snap.stations else NO_CODE
        keep &= snap.station == n
    for fact, code in filters.facts:
        n = snap.code_number(fact, code)
        if fact in snap.multi:
            keep &= (snap.multi[fact] & np.uint64(1 << n)) != 0 if n >= 0 else False
        elif fact in snap.single:
            keep &= snap.single[fact] == n if n >= 0 else False
        else:
            keep &= False
    return keep


def matching(filters: Filters) -> tuple[Snapshot, np.ndarray]:
    """The index brought up to date and the positions of its records that match (exports)."""
    check(filters, specs())
    snap = index_for().current()
    return snap, np.flatnonzero(_mask(snap, filters))


def _codes_in_order(spec: FactSpec, snap: Snapshot) -> list[str]:
    """The declared codes in display order, then any the records hold that the newest
    definition no longer declares (older questionnaire versions)."""
    seen = snap.codes.get(spec.id, ())
    ordered = list(spec.values) or sorted(seen)
    return ordered + [c for c in seen if c not in ordered]


def _single_chart(spec: FactSpec, snap: Snapshot, keep: np.ndarray, k: int, hide: bool) -> Chart:
    codes = _codes_in_order(spec, snap)
    column = snap.single.get(spec.id)
    counts_by_number = (np.bincount(column[keep] + 1, minlength=len(snap.codes.get(spec.id, ())) + 1)
                        if column is not None else np.array([int(keep.sum())]))
    known = snap.codes.get(spec.id, ())
    counts = [int(counts_by_number[known.index(c) + 1]) if c in known else 0 for c in codes]
    counts.append(int(counts_by_number[0]))
    table = suppression.one_way(counts, k, hide_total=hide)
    rows = tuple(Row(c, n) for c, n in zip([*codes, NOT_RECORDED], table.cells, strict=True))
    # The "not recorded" row is shown only when some records lack the fact.
    return Chart(spec.id, "single", rows if counts[-1] else rows[:-1], table.total, spec)


def _multi_counts(snap: Snapshot, fact: str, keep: np.ndarray, codes: list[str]) -> list[int]:
    masks = snap.multi.get(fact)
    known = snap.codes.get(fact, ())
    if masks is None:
        return [0] * len(codes)
    chosen = masks[keep]
    return [int(np.count_nonzero(chosen & np.uint64(1 << known.index(c)))) if c in known else 0
            for c in codes]


def _multi_chart(spec: FactSpec, snap: Snapshot, keep: np.ndarray, total: int, k: int, hide: bool) -> Chart:
    codes = _codes_in_order(spec, snap)
    table = suppression.each_of(_multi_counts(snap, spec.id, keep, codes), total, k, hide_total=hide)
    rows = tuple(Row(c, n) for c, n in zip(codes, table.cells, strict=True))
    return Chart(spec.id, "multi", rows, table.total,
                 spec)


def _share_chart(declared: tuple[FactSpec, ...], snap: Snapshot, keep: np.ndarray, total: int, k: int,
                 hide: bool) -> Chart | None:
    """Records with forced criminality among the element facts (a declared multi fact holding
    that code, "elements" in the default questionnaire), as a with / without partition."""
    spec = next((s for s in declared if s.multi and FORCED_CRIMINALITY in s.values), None)
    if spec is None:
        return None
    (count,) = _multi_counts(snap, spec.id, keep, [FORCED_CRIMINALITY])
    table = suppression.one_way([count, total - count], k, hide_total=hide)
    return Chart("forced_criminality_share", "share",
                 (Row(WITH, table.cells[0]), Row(WITHOUT, table.cells[1])), table.total, spec)


def _time_chart(snap: Snapshot, keep: np.ndarray, filters: Filters, unit: str, today: date, k: int,
                hide: bool) -> Chart:
    days = snap.day[keep]
    days = days[days >= 0]
    first = filters.since or (date.fromordinal(int(days.min()) + EPOCH) if days.size else today)
    last = filters.until or (date.fromordinal(int(days.max()) + EPOCH) if days.size else today)
    if unit == "week":
        start = first - timedelta(days=first.weekday())
        buckets = (days + EPOCH - start.toordinal()) // 7
        n = (last.toordinal() - start.toordinal()) // 7 + 1
        labels = [(start + timedelta(weeks=i)).isoformat() for i in range(n)]
    else:
        month0 = first.year * 12 + first.month - 1
        # Each distinct day's month, looked up once over the span of days (a few hundred),
        # then gathered per record: no sort of a million days.
        lo = int(days.min()) if days.size else 0
        span = np.arange(lo, int(days.max()) + 1 if days.size else lo, dtype=np.int64)
        month_of_day = np.fromiter((_month_number(int(d) + EPOCH) for d in span), np.int64, span.size)
        buckets = month_of_day[days - lo] - month0
        n = last.year * 12 + last.month - 1 - month0 + 1
        labels = [f"{(month0 + i) // 12:04d}-{(month0 + i) % 12 + 1:02d}" for i in range(n)]
    n = max(1, min(n, MAX_TIME_BUCKETS))
    buckets = buckets[(buckets >= 0) & (buckets < n)]
    counts = [int(c) for c in np.bincount(buckets, minlength=n)[:n]]
    table = suppression.one_way(counts, k, hide_total=hide)
    return Chart("time", "time", tuple(Row(lab, c) for lab, c in zip(labels[:n], table.cells, strict=True)),
                 table.total)


def _month_number(ordinal: int) -> int:
    day = date.fromordinal(int(ordinal))
    return day.year * 12 + day.month - 1


def _station_chart(snap: Snapshot, keep: np.ndarray, k: int, hide: bool) -> Chart:
    counts = np.bincount(snap.station[keep], minlength=len(snap.stations))
    table = suppression.one_way([int(c) for c in counts], k, hide_total=hide)
    rows = tuple(Row(s, c) for s, c in zip(snap.stations, table.cells, strict=True))
    return Chart("stations", "stations", rows, table.total)


def dashboard(filters: Filters, *, today: date, unit: str = "month", wait: bool = True) -> Dashboard:
    """Every chart, each a table of (code, count or hidden) with its total. With
    ``wait=False`` (the pages) a long index load raises ``IndexLoading`` instead."""
    if unit not in TIME_UNITS:
        raise FilterError(f"unit must be one of {', '.join(TIME_UNITS)}")
    declared = specs()
    check(filters, declared)
    k = threshold()
    snap = index_for().current(wait=wait)
    keep = _mask(snap, filters)
    total = int(keep.sum())
    charts = _charts(declared, snap, keep, filters, unit, today, k, hide=False)
    # Every chart's total is the same number: when one chart had to hide it (to protect its
    # own small counts), every chart hides it, or the others would give it away.
    if not suppression.is_small(total, k) and any(c.total is None for c in charts):
        charts = _charts(declared, snap, keep, filters, unit, today, k, hide=True)
    return Dashboard(filters, unit, tuple(charts), k, declared)


def _charts(declared: tuple[FactSpec, ...], snap: Snapshot, keep: np.ndarray, filters: Filters, unit: str,
            today: date, k: int, *, hide: bool) -> list[Chart]:
    total = int(keep.sum())
    charts = [_time_chart(snap, keep, filters, unit, today, k, hide)]
    share = _share_chart(declared, snap, keep, total, k, hide)
    for spec in declared:
        if not spec.values:
            continue  # an open set (months): the time chart shows it
        charts.append(_multi_chart(spec, snap, keep, total, k, hide) if spec.multi
                      else _single_chart(spec, snap, keep, k, hide))
        if share is not None and spec.id == share.spec.id:  # type: ignore[union-attr]
            charts.append(share)
    charts.append(_station_chart(snap, keep, k, hide))
    return charts


# --- the case list ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    record_id: str
    station_id: str
    seq: int
    day: date | None
    facts: dict[str, str | list[str] | None]


@dataclass(frozen=True)
class CasePage:
    cases: tuple[Case, ...]
    total: int | None  # None: fewer than the threshold (the small-cell rule)
    page: int
    has_next: bool
    sort: str
    descending: bool


def sort_keys(declared: tuple[FactSpec, ...]) -> tuple[str, ...]:
    return ("day", "station", *(s.id for s in declared if not s.multi and s.values))


def cases(filters: Filters, *, sort: str = "day", descending: bool = True, page: int = 1,
          per_page: int = PAGE_SIZE, wait: bool = True) -> CasePage:
    declared = specs()
    check(filters, declared)
    if sort not in sort_keys(declared):
        raise FilterError(f"sort must be one of {', '.join(sort_keys(declared))}")
    if page < 1:
        raise FilterError("page must be 1 or more")
    snap = index_for().current(wait=wait)
    chosen = np.flatnonzero(_mask(snap, filters))
    if sort == "day":
        key = snap.day[chosen]
    elif sort == "station":
        names = station_names()
        rank = {s: i for i, s in enumerate(sorted(snap.stations, key=lambda s: names.get(s, s)))}
        key = np.array([rank[s] for s in snap.stations], np.int32)[snap.station[chosen]] if snap.stations \
            else np.zeros(0, np.int32)
    else:
        spec = next(s for s in declared if s.id == sort)
        order = _codes_in_order(spec, snap)
        known = snap.codes.get(sort, ())
        # Records without the fact sort last either way.
        ranks = np.array([order.index(c) for c in known] + [len(order)], np.int32)
        column = snap.single.get(sort)
        key = ranks[column[chosen]] if column is not None else np.zeros(chosen.size, np.int32)
        if descending:
            key = np.where(key == len(order), -1, key)
    # Newest row first among equals; lexsort sorts by its last key first.
    sign = -1 if descending else 1
    order_of = np.lexsort((-snap.row_id[chosen], sign * key.astype(np.int64)))
    start = (page - 1) * per_page
    picked = chosen[order_of[start:start + per_page]]
    found = tuple(Case(snap.record_id[i].decode(), snap.stations[snap.station[i]], int(snap.seq[i]),
                       date.fromordinal(int(snap.day[i]) + EPOCH) if snap.day[i] >= 0 else None,
                       snap.facts_of(int(i))) for i in picked)
    count = int(chosen.size)
    return CasePage(found, None if suppression.is_small(count, threshold()) else count, page,
                    start + per_page < count, sort, descending)


@dataclass(frozen=True)
class Coverage:
    """Received records the counts leave out for now: those without facts yet (received
    before central had a facts key; a custodian's login adds them in the background)."""

    counted: int | None  # None: hidden by the small-cell rule
    received: int | None


COVERAGE_SECONDS = 30.0  # counting every received record costs more than the rest of a page


def coverage(*, fresh: bool = False) -> Coverage | None:
    """None when every received record is counted. Counted at most every COVERAGE_SECONDS per
    process (two counts over every received record), unless ``fresh``."""
    now = time.monotonic()
    cached = current_app.extensions.get("tip_facts_coverage")
    if not fresh and cached is not None and now < cached[0]:
        return cached[1]
    found = _coverage()
    current_app.extensions["tip_facts_coverage"] = (now + COVERAGE_SECONDS, found)
    return found


def _coverage() -> Coverage | None:
    counted, received = central_facts.progress()
    if counted >= received:
        return None
    k = threshold()
    return Coverage(None if suppression.is_small(counted, k) else counted,
                    None if suppression.is_small(received, k) else received)


def station_names() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Station.id, Station.name)).tuples().all())


@dataclass(frozen=True)
class Match:
    record_id: str
    station_id: str
    station_name: str
    seq: int
    created_day: str


def search(text: str, *, limit: int = 20) -> tuple[Match, ...]:
    """Received records by id (whole or its first characters, 8 at least) or by sequence
    number, optionally after a station's name: "1234" or "Mae Sot 1234"."""
    text = " ".join(text.split())[:120]
    if not text:
        return ()
    query = sa.select(ReceivedRecord.id, ReceivedRecord.station_id, Station.name, ReceivedRecord.seq,
                      ReceivedRecord.created_day).join(Station, Station.id == ReceivedRecord.station_id)
    head, _, last = text.rpartition(" ")
    if last.isdigit() and len(last) <= 18:
        query = query.where(ReceivedRecord.seq == int(last))
        if head:
            query = query.where(sa.func.lower(Station.name) == head.lower())
    elif len(text) >= 8 and all(ch in "0123456789abcdef-" for ch in text.lower()):
        query = query.where(ReceivedRecord.id.startswith(text.lower(), autoescape=True))
    else:
        raise FilterError("search for a record id (8 characters or more) or a number, "
                          "optionally after the station's name")
    query = query.where(ReceivedRecord.deleted_at.is_(None)).order_by(ReceivedRecord.received_at.desc())
    return tuple(Match(*row) for row in db.session.execute(query.limit(limit)).tuples())
