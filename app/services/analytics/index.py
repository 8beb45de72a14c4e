"""An in-process, columnar copy of ``record_facts`` for counting and listing fast.

One numpy array per column: the row id, the record's station (dictionary-encoded), its day
of creation (days since 1970-01-01), its station sequence number, and per fact either one
small integer per record (a single-valued fact: the code's number in that fact's dictionary,
-1 for none) or a 64-bit mask (a multi-valued fact: bit *i* set when the record has code *i*).

Each use calls :meth:`FactsIndex.current`, which reads only the rows with an id above the last
one it saw (rows are only ever inserted or deleted) and starts again from nothing when
``installation.facts_generation`` changed (a deletion bumps it). A refreshed index is a new
immutable :class:`Snapshot`, swapped in under a lock: readers never see half an update.
"""

from __future__ import annotations

import json
import logging
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from app.extensions import db
from app.models import Installation, ReceivedRecord, RecordFacts

EPOCH = date(1970, 1, 1).toordinal()
NO_CODE = -1
MAX_MULTI_CODES = 64  # bits in a mask; the questionnaire schema allows no more values
BATCH = 2_000  # rows fetched at a time: a first load's facts texts never pile up
SYNC_LOAD_ROWS = 50_000  # more rows than this to read: a page has the index read in the background

log = logging.getLogger("tip_screen.analytics")


def day_number(iso_day: str) -> int:
    try:
        return date.fromisoformat(iso_day).toordinal() - EPOCH
    except ValueError:
        return NO_CODE


@dataclass(frozen=True)
class Snapshot:
    generation: int
    last_id: int
    row_id: np.ndarray
    record_id: np.ndarray  # fixed-width ASCII (the UUIDs)
    station: np.ndarray
    day: np.ndarray
    seq: np.ndarray
    stations: tuple[str, ...]
    single: dict[str, np.ndarray]
    multi: dict[str, np.ndarray]
    codes: dict[str, tuple[str, ...]]  # per fact: code number -> code

    @property
    def size(self) -> int:
        return int(self.row_id.shape[0])

    def code_number(self, fact: str, code: str) -> int:
        try:
            return self.codes.get(fact, ()).index(code)
        except ValueError:
            return NO_CODE

    def facts_of(self, i: int) -> dict[str, str | list[str] | None]:
        """One record's facts back as codes (for a case-list row)."""
        out: dict[str, str | list[str] | None] = {}
        for fact, column in self.single.items():
            n = int(column[i])
            out[fact] = self.codes.get(fact, ())[n] if n >= 0 else None
        for fact, masks in self.multi.items():
            mask = int(masks[i])
            # A fact empty in every row read so far has no dictionary yet.
            out[fact] = [code for bit, code in enumerate(self.codes.get(fact, ())) if mask >> bit & 1]
        return out


def _empty(generation: int) -> Snapshot:
    return Snapshot(generation, 0, np.zeros(0, np.int64), np.zeros(0, "S36"), np.zeros(0, np.int32),
                    np.zeros(0, np.int32), np.zeros(0, np.int64), (), {}, {}, {})


@dataclass
class _Batch:
    """New rows read since the last snapshot, encoded with the growing dictionaries.

    The first load reads every row, so this loop is what a restart costs: it touches each
    fact of each row once and pads a column only when a row that has the fact comes after
    rows that lack it (the rest is padded once, in :func:`_extend`)."""

    codes: dict[str, list[str]]
    kinds: dict[str, bool]  # fact -> multi
    # Typed arrays, not lists: a first load holds every row at once, and a list's int per
    # cell costs four to eight times the array's bytes (the peak of a fresh export, say).
    row_id: array[int] = field(default_factory=lambda: array("q"))
    record_id: bytearray = field(default_factory=bytearray)  # 36 ASCII bytes per row
    station: array[int] = field(default_factory=lambda: array("i"))
    day: array[int] = field(default_factory=lambda: array("i"))
    seq: array[int] = field(default_factory=lambda: array("q"))
    values: dict[str, array[int]] = field(default_factory=dict)
    _lookup: dict[str, dict[str, int]] = field(default_factory=dict)

    def lookup(self, fact: str) -> dict[str, int]:
        found = self._lookup.get(fact)
        if found is None:
            found = self._lookup[fact] = {c: i for i, c in enumerate(self.codes.setdefault(fact, []))}
        return found

    def number(self, fact: str, code: str) -> int:
        lookup = self.lookup(fact)
        found = lookup.get(code)
        if found is None:
            found = lookup[code] = len(lookup)
            self.codes[fact].append(code)
        return found

    def add(self, row_id: int, record_id: str, station_id: str, created_day: str, seq: int,
            facts_json: str) -> None:
        n = len(self.row_id)
        self.row_id.append(row_id)
        self.record_id += str(record_id).encode("ascii")[:36].ljust(36, b"\0")
        self.station.append(self.number("\0station", station_id))
        self.day.append(day_number(created_day))
        self.seq.append(seq)
        try:
            facts = json.loads(facts_json)
        except ValueError:
            return
        if not isinstance(facts, dict):
            return
        for fact, value in facts.items():
            if value is None:
                continue  # the column's fill already says "none"
            multi = self.kinds.get(fact)
            if multi is None:  # its kind is learnt from the first record that has it
                multi = self.kinds[fact] = isinstance(value, list)
            column = self.values.get(fact)
            if column is None:
                column = self.values[fact] = array("Q" if multi else "h")
            if len(column) < n:
                column.extend(array(column.typecode, [0 if multi else NO_CODE]) * (n - len(column)))
            column.append(self._encode(fact, multi, value))

    def _encode(self, fact: str, multi: bool, value: object) -> int:
        if multi:
            mask = 0
            for code in value if isinstance(value, list) else ():
                bit = self.number(fact, str(code))
                if bit < MAX_MULTI_CODES:
                    mask |= 1 << bit
            return mask
        if not isinstance(value, str):
            return NO_CODE
        found = self.lookup(fact).get(value)
        return found if found is not None else self.number(fact, value)


class IndexLoading(Exception):
    """The index is being read in the background; pages say so and come back later."""

    def __init__(self, read: int, total: int) -> None:
        super().__init__(f"{read} of {total} facts rows read")
        self.read, self.total = read, total


class FactsIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # one update at a time
        self._snapshot: Snapshot | None = None
        self._loader_lock = threading.Lock()  # apart: a page never waits for an update to start one
        self._loader: threading.Thread | None = None
        self.progress = (0, 0)  # (rows read, rows to read) of the load under way
        self.full_loads = 0  # how many times it started from nothing (tests and the benchmark)

    def current(self, *, wait: bool = True) -> Snapshot:
        """The index brought up to date with the database (call inside an app context).

        With ``wait=False`` (the pages), more than ``SYNC_LOAD_ROWS`` rows to read (a first
        load at a million records takes tens of seconds, longer than a request may) are read
        by a background thread instead: meanwhile the last snapshot still serves if it is of
        the current generation (it only lacks the newest rows), else :class:`IndexLoading`."""
        generation = int(db.session.scalar(sa.select(Installation.facts_generation).limit(1)) or 0)
        last = self._snapshot
        if last is not None and last.generation == generation and not self._newer_than(last.last_id):
            return last
        if not wait:
            usable = last if last is not None and last.generation == generation else None
            if self._loading():
                return self._meanwhile(usable)
            if self._rows_after(usable.last_id if usable else 0) > SYNC_LOAD_ROWS:
                self.load_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
                return self._meanwhile(usable)
        with self._lock:
            base = self._snapshot
            if base is None or base.generation != generation:
                base = _empty(generation)
                self.full_loads += 1
            self._snapshot = _extend(base, generation, self._report)
            return self._snapshot

    def load_in_background(self, app: Flask) -> threading.Thread:
        """Bring the index up to date in a thread of its own (at a worker's start, and when a
        page finds too many rows to read); one at a time."""
        with self._loader_lock:
            if self._loader is not None and self._loader.is_alive():
                return self._loader
            self.progress = (0, 0)

            def load() -> None:
                try:
                    with app.app_context():
                        self.current()
                except Exception as exc:  # noqa: BLE001 - the next page view tries again
                    log.warning("facts index: background load failed (%s)", type(exc).__name__)

            self._loader = threading.Thread(target=load, name="facts-index-load", daemon=True)
            self._loader.start()
            return self._loader

    def _loading(self) -> bool:
        return self._loader is not None and self._loader.is_alive()

    def _meanwhile(self, usable: Snapshot | None) -> Snapshot:
        if usable is not None:
            return usable
        raise IndexLoading(*self.progress)

    def _report(self, read: int, total: int) -> None:
        self.progress = (read, total)

    @staticmethod
    def _newer_than(last_id: int) -> bool:
        newer = sa.select(RecordFacts.id).where(RecordFacts.id > last_id).limit(1)
        return db.session.scalar(newer) is not None

    @staticmethod
    def _rows_after(last_id: int) -> int:
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(RecordFacts)
                                     .where(RecordFacts.id > last_id)) or 0)


def _extend(base: Snapshot, generation: int,
            report: Callable[[int, int], None] | None = None) -> Snapshot:
    kinds = {fact: True for fact in base.multi} | {fact: False for fact in base.single}
    batch = _Batch({f: list(c) for f, c in base.codes.items()} | {"\0station": list(base.stations)}, kinds)
    query = (sa.select(RecordFacts.id, RecordFacts.record_id, RecordFacts.station_id, RecordFacts.created_day,
                       ReceivedRecord.seq, RecordFacts.facts)
             .join(ReceivedRecord, ReceivedRecord.id == RecordFacts.record_id)
             .where(RecordFacts.id > base.last_id).order_by(RecordFacts.id))
    # Core rows, not ORM ones: the first load reads every row and the ORM's bookkeeping
    # per row costs more than the decoding.
    total = FactsIndex._rows_after(base.last_id) if report else 0
    result = db.session.connection().execute(query.execution_options(yield_per=BATCH))
    for row_id, record_id, station_id, created_day, seq, facts in result:
        batch.add(row_id, record_id, station_id, created_day, seq, facts)
        if report and len(batch.row_id) % BATCH == 0:
            report(len(batch.row_id), total)
    if report:
        report(len(batch.row_id), total)
    if not batch.row_id:
        return Snapshot(generation, base.last_id, base.row_id, base.record_id, base.station, base.day,
                        base.seq, base.stations, base.single, base.multi, base.codes)
    n_old, n_new = base.size, len(batch.row_id)
    single: dict[str, np.ndarray] = {}
    multi: dict[str, np.ndarray] = {}
    for fact, is_multi in batch.kinds.items():
        old = (base.multi if is_multi else base.single).get(fact)
        dtype = np.uint64 if is_multi else np.int16
        fill = 0 if is_multi else NO_CODE
        if old is None:
            old = np.full(n_old, fill, dtype)
        new = np.frombuffer(batch.values.get(fact, array("Q" if is_multi else "h")), dtype)
        pad = np.full(n_new - len(new), fill, dtype)
        (multi if is_multi else single)[fact] = np.concatenate([old, new, pad])
    return Snapshot(
        generation, batch.row_id[-1],
        np.concatenate([base.row_id, np.frombuffer(batch.row_id, np.int64)]),
        np.concatenate([base.record_id, np.frombuffer(batch.record_id, "S36")]),
        np.concatenate([base.station, np.frombuffer(batch.station, np.int32)]),
        np.concatenate([base.day, np.frombuffer(batch.day, np.int32)]),
        np.concatenate([base.seq, np.frombuffer(batch.seq, np.int64)]),
        tuple(batch.codes.pop("\0station")), single, multi, {f: tuple(c) for f, c in batch.codes.items()})


def index_for(app: Flask | None = None) -> FactsIndex:
    """This app's index (one per process: each web worker keeps its own)."""
    app = app or current_app
    found = app.extensions.get("tip_facts_index")
    if found is None:
        found = app.extensions.setdefault("tip_facts_index", FactsIndex())
    return found


def preload(app: Flask) -> None:
    """At a central web worker's start: read the index before the first coordinator asks."""
    if app.config["TIP"].role == "central":
        index_for(app).load_in_background(app)
