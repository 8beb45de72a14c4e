"""Producing an export: check the request, audit it, then stream the file (docs/exports.md).

:func:`start` does everything that can refuse before a byte exists: the options, the filters,
the records matching them, the unlocked key for a full export, and the audit entry ``export``
(who, which filters, how many records, which kind and format), committed. Only then does it
hand back :attr:`Export.chunks`, a generator that writes the file row by row and gives its
bytes a chunk at a time. Its last chunk is held back until a second entry, ``export_done``,
with the file's SHA-256 and size, is committed: a file whose checksum could not be recorded is
never delivered whole (a CSV loses its last rows, an XLSX or a zip its directory, so neither
opens). An export stopped half-way (the browser went away) is recorded as stopped.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO, cast

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, EnvelopeOpener, Verifier
from app.extensions import db
from app.languages import CODES
from app.models import ExportRun, ReceivedRecord, Station
from app.models.types import utcnow
from app.questionnaire import Definition
from app.questionnaire.facts import translate
from app.questionnaire.fields import N_
from app.services import questionnaires
from app.services.analytics import suppression, views
from app.services.analytics.filters import Filters
from app.services.analytics.index import Snapshot
from app.services.central import audit, received
from app.services.central import keys as central_keys
from app.services.errors import ExportRefused, Locked, RecordUnreadable
from app.services.exports.cells import Cell
from app.services.exports.columns import FactsRow, FullRow, Group, facts_columns
from app.services.exports.opening import Batch, Columns, Item, Layout, RecordOpener, Worker, opened_rows
from app.services.exports.sink import Sink
from app.services.exports.summary import summary_rows
from app.services.exports.writers import XLSX_MAX_ROWS, CsvTable, XlsxBook

log = logging.getLogger(__name__)

DEIDENTIFIED, FULL = "deidentified", "full"
KINDS = (DEIDENTIFIED, FULL)
CSV, XLSX, ZIP = "csv", "xlsx", "zip"
FORMATS = (CSV, XLSX, ZIP)
MIMETYPES = {CSV: "text/csv; charset=utf-8",
             XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ZIP: "application/zip"}
BATCH = 250  # records read from the database at a time (a full export holds a few batches)
HEADER_ROWS = 2  # column ids, then their labels
PROGRESS_EVERY = 500
MIN_PASSWORD = 16

# Why a record of a full export could not be read (its row says so in the "problem" column).
DAMAGED, DELETED, NO_KEY = "damaged", "deleted", "key_not_held"


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    format: str
    filters: Filters
    language: str = "en"
    htcds: bool = False  # columns named by the HTCDS names the definition declares
    answer_languages: bool = False  # full export: each answer's language on screen


@dataclass
class Export:
    filename: str
    mimetype: str
    records: int
    chunks: Iterator[bytes]


def new_run_id() -> str:
    """The id an export page gives the run it is about to start (to poll its progress)."""
    return secrets.token_hex(16)


def check_request(request: ExportRequest) -> None:
    if request.kind not in KINDS:
        raise ExportRefused(_l("Choose a de-identified or a full export."))
    if request.format not in FORMATS:
        raise ExportRefused(_l("Choose CSV, XLSX or a password-protected zip."))
    if request.language not in CODES:
        raise ExportRefused(_l("Choose one of the five languages for the labels."))


def start(request: ExportRequest, *, username: str, user_id: int | None, secret: bytes | None,
          today: date, password: str | None = None, run_id: str | None = None,
          report: Callable[[int, int], None] | None = None) -> Export:
    """Everything that can refuse, then the audit entry; the file follows from ``chunks``.

    Raises ExportRefused, FilterError, Locked (a full export without an unlocked key slot) or
    AuditFailed (nothing is produced)."""
    check_request(request)
    if request.format == ZIP and (not password or len(password) < MIN_PASSWORD):
        raise ExportRefused(_l("A password-protected zip needs the password the page showed."))
    if request.kind == FULL and secret is None:
        raise Locked(_l("A full export decrypts records: log out and log in again with your own "
                        "passphrase (your key slot), then export."))
    snap, chosen = views.matching(request.filters)
    count = int(chosen.size)
    threshold = views.threshold()
    if count == 0:
        raise ExportRefused(_l("No records match these filters: there is nothing to export."))
    if request.kind == DEIDENTIFIED and suppression.is_small(count, threshold):
        raise ExportRefused(_l("Only a few records match these filters (fewer than %(k)d): a de-identified "
                               "file of so few people is not produced. Widen the filters, or open the "
                               "records themselves.", k=threshold))
    if request.format == XLSX and count > XLSX_MAX_ROWS - HEADER_ROWS:
        raise ExportRefused(_l("Too many records for one worksheet: choose CSV."))
    if run_id is not None:
        if db.session.get(ExportRun, run_id) is not None:
            raise ExportRefused(_l("This export was already started. Reload the page to start another."))
        db.session.add(ExportRun(id=run_id, user_id=user_id, kind=request.kind, format=request.format,
                                 total=count, done=0, state="running"))
    _audit_start(username, request, count, run_id)  # commits the run row with it
    base = f"tip-screen-{request.kind}-{today.isoformat()}"
    filename = f"{base}.{request.format}"
    rows: Iterator[list[Cell] | bytes]
    if request.kind == FULL:
        assert secret is not None  # noqa: S101 - checked above
        spec = Columns(tuple(_definitions()), request.language, request.htcds, request.answer_languages)
        columns = spec.groups()
        layout = Layout(xlsx=request.format == XLSX, first_row=HEADER_ROWS + 1)
        rows = _full_rows(snap, _full_order(snap, chosen), secret, spec, layout, columns)
    else:
        columns = _deidentified_columns(request)
        rows = _cells(columns, _facts_rows(snap, _facts_order(snap, chosen)))
    run = _Run(request, username, run_id, count, report)
    chunks = run.chunks(columns, rows, password=password, member=f"{base}.csv", today=today)
    return Export(filename, MIMETYPES[request.format], count, chunks)


def _audit_start(username: str, request: ExportRequest, count: int, run_id: str | None) -> None:
    options = [request.language] + (["htcds"] if request.htcds else []) + \
        (["answer languages"] if request.answer_languages else [])
    query = "&".join(f"{k}={v}" for k, v in request.filters.to_query()) or "none"
    text = (f"run {run_id or 'cli'}: {request.kind} {request.format}, {count} records, "
            f"{', '.join(options)}; filters: {query}")
    # An entry holds 200 characters: a long filter goes on in the entries after it.
    pieces = [text[i:i + audit.MAX_DETAIL - 12] for i in range(0, len(text), audit.MAX_DETAIL - 12)]
    for n, piece in enumerate(pieces):
        audit.record(username, audit.EXPORT, detail=piece if n == 0 else f"(cont. {n + 1}) {piece}")


class _Run:
    """One export being written: progress, the closing audit entry, a stop recorded."""

    def __init__(self, request: ExportRequest, username: str, run_id: str | None, total: int,
                 report: Callable[[int, int], None] | None) -> None:
        self.request = request
        self.username = username
        self.run_id = run_id
        self.total = total
        self.report = report
        self.done = 0

    def _progress(self, state: str = "running", sha256: str | None = None) -> None:
        if self.report is not None:
            self.report(self.done, self.total)
        if self.run_id is not None:
            db.session.execute(sa.update(ExportRun).where(ExportRun.id == self.run_id).values(
                done=self.done, state=state, sha256=sha256, updated_at=utcnow()))
            db.session.commit()

    def _rows(self, table: Any, columns: list[Group], rows: Iterator[list[Cell] | bytes],
              sink: Sink) -> Iterator[bytes]:
        table.row([i for g in columns for i in g.ids], header=True)  # HEADER_ROWS of them
        table.row([label for g in columns for label in g.labels], header=True)
        for row in rows:
            if isinstance(row, bytes):
                table.encoded(row)  # a full export's row, encoded as table.row would have (opening.py)
            else:
                table.row(row)
            self.done += 1
            if self.done % PROGRESS_EVERY == 0:
                self._progress()
            if sink.full:
                yield sink.take()

    def chunks(self, columns: list[Group], rows: Iterator[list[Cell] | bytes], *, password: str | None,
               member: str, today: date) -> Iterator[bytes]:
        sink = Sink()
        finished = False
        try:
            if self.request.format == CSV:
                yield from self._rows(CsvTable(cast(BinaryIO, sink)), columns, rows, sink)
            elif self.request.format == XLSX:
                lang = self.request.language
                deidentified = self.request.kind == DEIDENTIFIED
                names = [translate(N_("Records"), lang)]
                if deidentified:
                    names.append(translate(N_("Summary"), lang))
                book = XlsxBook(cast(BinaryIO, sink), names)
                sheet = book.sheet(frozen_rows=2)
                yield from self._rows(sheet, columns, rows, sink)
                sheet.close()
                if deidentified:
                    summary = book.sheet(frozen_rows=1)
                    for cells in summary_rows(self.request.filters, lang, today):
                        summary.row(cells[1], header=cells[0])
                    summary.close()
                book.close()
            else:
                from app.services.exports.archive import open_aes_zip

                assert password is not None  # noqa: S101 - start() checked it
                with open_aes_zip(cast(BinaryIO, sink), password.encode("utf-8")) as archive, \
                        archive.member(member) as inner:
                    table = CsvTable(inner)
                    yield from self._rows(table, columns, rows, sink)
                    # (the member's last bytes reach the sink when it closes)
            last = sink.take()
            # The file is complete: its checksum is recorded before its last bytes leave.
            audit.record(self.username, audit.EXPORT_DONE,
                         detail=f"run {self.run_id or 'cli'}: {self.done} records, {sink.size} bytes, "
                                f"sha256 {sink.sha256}")
            self._progress("done", sink.sha256)
            finished = True
            yield last
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()  # a full export's worker process ends with the file
            if not finished:
                self._stopped(sink)

    def _stopped(self, sink: Sink) -> None:
        """The file was not delivered whole (the reader went away, or writing failed)."""
        try:
            db.session.rollback()
            audit.record(self.username, audit.EXPORT_DONE,
                         detail=f"run {self.run_id or 'cli'}: stopped after {self.done} of {self.total} "
                                f"records, {sink.size} bytes sent; not delivered whole")
            self._progress("failed")
        except Exception:  # noqa: BLE001 - already failing: the first error is the one to see
            log.exception("export run %s: the stop could not be recorded", self.run_id or "cli")


# --- de-identified rows -----------------------------------------------------------------------

def _deidentified_columns(request: ExportRequest) -> list[Group]:
    columns = facts_columns(views.specs(), questionnaires.latest(), request.language, htcds=request.htcds)
    return [Group.of(c) for c in columns]


def _facts_order(snap: Snapshot, chosen: np.ndarray) -> np.ndarray:
    """Sorted by the values themselves (station, then every fact), so a row's place in the file
    says nothing about when its record arrived."""
    keys = [snap.station[chosen]]
    keys += [snap.single[f][chosen] for f in sorted(snap.single)]
    keys += [snap.multi[f][chosen] for f in sorted(snap.multi)]
    return chosen[np.lexsort(keys[::-1])]


def _cells(columns: list[Group], rows: Iterator[Any]) -> Iterator[list[Cell]]:
    fills = [g.cells for g in columns]
    for row in rows:
        cells: list[Cell] = []
        for fill in fills:
            cells.extend(fill(row))
        yield cells


def _facts_rows(snap: Snapshot, order: np.ndarray) -> Iterator[FactsRow]:
    names = views.station_names()
    for i in order:
        i = int(i)
        station = snap.stations[snap.station[i]]
        yield FactsRow(names.get(station, station), snap.facts_of(i))


# --- full rows: records decrypted one batch at a time -----------------------------------------

def _full_order(snap: Snapshot, chosen: np.ndarray) -> np.ndarray:
    return chosen[np.lexsort((snap.seq[chosen], snap.station[chosen], snap.day[chosen]))]


def _definitions() -> list[Definition]:
    """The questionnaire versions to take columns from: the newest default one, then the others
    central holds (a question only an older version has gets its columns after the rest)."""
    newest = questionnaires.latest()
    others = sorted((d for d in questionnaires.all_definitions() if d.key != newest.key),
                    key=lambda d: d.version, reverse=True)
    return [newest, *others]


def _full_rows(snap: Snapshot, order: np.ndarray, secret: bytes, spec: Columns, layout: Layout,
               columns: list[Group]) -> Iterator[bytes]:
    """Each record's cells, one batch of envelopes read at a time and opened in the worker
    process or here (opening.py); a record out of the ordinary is read here by _full_row."""
    stations = {s.id: s for s in db.session.scalars(sa.select(Station))}
    signing = {s.id: s.signing_public_key for s in stations.values() if s.signing_public_key}
    private_keys: dict[str, bytes | None] = {}  # record key id -> its private key (None: not held)
    record_keys: dict[str, EnvelopeOpener | None] = {}
    verifiers: dict[str, Verifier] = {}
    ids = [snap.record_id[int(i)].decode() for i in order]
    t = ReceivedRecord
    fields = (t.id, t.station_id, t.seq, t.created_day, t.questionnaire_id, t.questionnaire_version,
              t.envelope, t.envelope_sha256, t.deleted_at, t.central_key_id)
    opener = RecordOpener(columns, deleted=DELETED)

    def batches() -> Iterator[Batch]:
        for batch, found in _envelopes(ids, fields):
            items = []
            for record_id in batch:
                rec = found.get(record_id)
                if rec is None:
                    continue  # deleted since the count: its facts are gone too
                station = stations.get(rec.station_id)
                meta: dict[str, Cell] = {
                    "record_id": rec.id, "station_id": rec.station_id,
                    "station": station.name if station else rec.station_id, "seq": rec.seq,
                    "created_day": rec.created_day, "questionnaire": rec.questionnaire_id,
                    "questionnaire_version": rec.questionnaire_version}
                gone = rec.envelope is None or rec.deleted_at is not None or station is None
                items.append(Item(meta, None if gone else rec.envelope, rec.envelope_sha256 or ""))
                key_id = rec.central_key_id or ""
                if key_id not in private_keys:
                    private_keys[key_id] = central_keys.record_private(secret, key_id)
            yield items, signing, dict(private_keys)

    def read_here(item: Item) -> list[Cell]:
        rec = db.session.get(ReceivedRecord, item.meta["record_id"])
        if rec is None:
            return opener.cells(FullRow(item.meta, problem=DELETED))
        row = _full_row(rec, stations, verifiers, record_keys, secret)
        db.session.expunge(rec)
        return opener.cells(row)

    worker = Worker(spec, layout, deleted=DELETED) if current_app.config["TIP"].export_worker else None
    yield from opened_rows(batches(), opener, worker, layout, read_here)


def _envelopes(ids: list[str], fields: tuple[Any, ...]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(ids, their rows by id), BATCH at a time, each read on a thread of its own while the
    one before is opened and written, so the export does not wait on the database between
    batches (the thread reads stored envelopes only, through a connection of its own)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def read(batch: list[str]) -> dict[str, Any]:
        with app.app_context():
            stmt = sa.select(*fields).where(ReceivedRecord.id.in_(batch))
            return {r.id: r for r in db.session.connection().execute(stmt)}

    batches = [ids[start:start + BATCH] for start in range(0, len(ids), BATCH)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
        ahead: Future[dict[str, Any]] | None = reader.submit(read, batches[0]) if batches else None
        for n, batch in enumerate(batches):
            assert ahead is not None  # noqa: S101 - submitted for every batch
            current = ahead
            ahead = reader.submit(read, batches[n + 1]) if n + 1 < len(batches) else None
            yield batch, current.result()


def _full_row(rec: ReceivedRecord, stations: dict[str, Station], verifiers: dict[str, Verifier],
              record_keys: dict[str, EnvelopeOpener | None], secret: bytes) -> FullRow:
    """One record checked and decrypted, its station's key and the record key each loaded once."""
    station = stations.get(rec.station_id)
    meta: dict[str, Cell] = {"record_id": rec.id, "station_id": rec.station_id,
                             "station": station.name if station else rec.station_id, "seq": rec.seq,
                             "created_day": rec.created_day, "questionnaire": rec.questionnaire_id,
                             "questionnaire_version": rec.questionnaire_version}
    if rec.envelope is None or rec.deleted_at is not None or station is None:
        return FullRow(meta, problem=DELETED)
    try:
        verifier = verifiers.get(station.id)
        if verifier is None:
            verifier = verifiers[station.id] = Verifier(station.signing_public_key)
        envelope = received.checked_envelope(rec, station, verifier)
        key_id = envelope.header.central_key_id or ""
        if key_id not in record_keys:
            private = central_keys.record_private(secret, key_id)
            record_keys[key_id] = EnvelopeOpener(private) if private is not None else None
        record_key = record_keys[key_id]
        if record_key is None:
            return FullRow(meta, problem=NO_KEY)
        return FullRow(meta, received.decrypted_body(envelope, record_key))
    except (RecordUnreadable, CryptoError):
        return FullRow(meta, problem=DAMAGED)
