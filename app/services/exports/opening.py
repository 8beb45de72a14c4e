"""A full export's records opened and turned into cells, here or in a second process.

Checking a signature, opening the HPKE-sealed key, decrypting and decoding the body and
filling a row's cells take most of a full export's time. :func:`opened_rows` shares that
work between the export's own process and one worker process (``python -m`` this module),
so both cores of a small server work on it while the export's process writes the file
(docs/exports.md "Two processes"). The worker gets the questionnaire definitions, the
stations' public keys and the record private keys over its standard input (a pipe; nothing
is written to disk), gives back each row encoded as the file's rows are (CSV or XLSX row
bytes, writers.py), and stops when that pipe closes, so it ends with the export, or with its
process if that dies.

:class:`RecordOpener` knows only the ordinary case: a record whose envelope matches its
row, verifies against its station's current key and opens with a record key it was given.
For any other record it answers None and the export's process reads that record the way
it always did (key history, "damaged", "key not held": produce.py), so either path gives
the same cells and the file's bytes do not depend on which process opened a record.
"""

from __future__ import annotations

import logging
import os
import pickle  # noqa: S403 - frames between this process and the worker it started, nowhere else
import queue
import select
import struct
import subprocess  # noqa: S404 - the worker: this interpreter running this module
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, NamedTuple

from flask_babel import lazy_gettext as _l

from app.crypto import EnvelopeOpener, Verifier, parse_envelope, verify_envelope
from app.protocol import body as record_body
from app.questionnaire import Definition
from app.services.errors import ExportFailed
from app.services.exports.cells import Cell
from app.services.exports.columns import FullRow, Group, full_columns
from app.services.exports.writers import CsvRows, XlsxRows

log = logging.getLogger(__name__)

BODY_FORMAT = 1  # the body format central reads (app/services/central/received.py)
IN_FLIGHT = 3  # batches the worker holds at once: one being opened, the next ones waiting
AHEAD = 10  # batches handed out but not yet written (bounds what waits in memory)
_LENGTH = struct.Struct(">Q")


class Item(NamedTuple):
    """One record to open: its row's facts and, unless it is gone, its stored envelope
    (a named tuple: a hundred thousand of them cross the pipe)."""

    meta: Mapping[str, Cell]  # record_id, station_id, station, seq, created_day, questionnaire, version
    envelope: bytes | None  # None: deleted (or its station is), the row says so
    sha256: str = ""


@dataclass(frozen=True)
class Columns:
    """What the worker needs to build the same columns as the export's process."""

    definitions: tuple[Definition, ...]
    lang: str
    htcds: bool
    answer_languages: bool

    def __reduce__(self) -> tuple[Any, ...]:
        # The definitions as they were read: what they cache once used holds functions, which
        # do not cross to the worker (it builds its own there).
        fresh = tuple(replace(d) for d in self.definitions)
        return (Columns, (fresh, self.lang, self.htcds, self.answer_languages))

    def groups(self) -> list[Group]:
        return full_columns(self.definitions, self.lang, htcds=self.htcds,
                            answer_languages=self.answer_languages)


@dataclass(frozen=True)
class Layout:
    """How the worker encodes its rows: CSV, or XLSX rows numbered from ``first_row``."""

    xlsx: bool
    first_row: int  # the sheet row of the file's first record (after the header rows)

    def encoder(self) -> CsvRows | XlsxRows:
        return XlsxRows() if self.xlsx else CsvRows()


class RecordOpener:
    """Records opened with the keys it was given, and their cells."""

    def __init__(self, groups: Sequence[Group], *, deleted: str) -> None:
        self._fills = [g.cells for g in groups]
        self._deleted = deleted  # the "problem" word of a deleted record
        self._signing: dict[str, bytes] = {}
        self._verifiers: dict[str, Verifier] = {}
        self._record_keys: dict[str, bytes | None] = {}
        self._openers: dict[str, EnvelopeOpener] = {}

    def add_keys(self, signing: Mapping[str, bytes], record: Mapping[str, bytes | None]) -> None:
        """Stations' current public keys and record private keys (None: not held)."""
        self._signing.update(signing)
        self._record_keys.update(record)

    def cells(self, row: FullRow) -> list[Cell]:
        out: list[Cell] = []
        for fill in self._fills:
            out.extend(fill(row))
        return out

    def open(self, item: Item) -> list[Cell] | None:
        """The record's cells, or None: not the ordinary case, the caller reads it itself."""
        if item.envelope is None:
            return self.cells(FullRow(item.meta, problem=self._deleted))
        body = self._body(item)
        return None if body is None else self.cells(FullRow(item.meta, body))

    def open_batch(self, items: Iterable[Item]) -> list[list[Cell] | None]:
        return [self.open(item) for item in items]

    def _body(self, item: Item) -> dict[str, Any] | None:
        try:
            envelope = parse_envelope(item.envelope or b"")
            station_id = str(item.meta["station_id"])
            if str(envelope.record_id) != item.meta["record_id"] or envelope.header.station_id != station_id \
                    or envelope.sha256 != item.sha256:
                return None
            verify_envelope(envelope, self._verifier(station_id))
            opener = self._opener(envelope.header.central_key_id or "")
            if opener is None:
                return None
            body = record_body.decode(opener.open(envelope))
        except Exception:  # noqa: BLE001 - whatever went wrong, the export's process reads it the usual way
            return None
        if not isinstance(body, dict) or body.get("format") != BODY_FORMAT:
            return None
        return body

    def _verifier(self, station_id: str) -> Verifier:
        verifier = self._verifiers.get(station_id)
        if verifier is None:
            verifier = self._verifiers[station_id] = Verifier(self._signing[station_id])
        return verifier

    def _opener(self, key_id: str) -> EnvelopeOpener | None:
        opener = self._openers.get(key_id)
        if opener is None:
            private = self._record_keys.get(key_id)
            if private is None:
                return None
            opener = self._openers[key_id] = EnvelopeOpener(private)
        return opener


# --- frames over the pipes -------------------------------------------------------------------

def _send(out: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:  # an unbuffered pipe may take part of it at a time
        written = out.write(view)
        view = view[written or 0:]
    out.flush()


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    parts, left = [], n
    while left:
        part = stream.read(left)
        if not part:
            return None  # the other end went away
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _receive(stream: IO[bytes]) -> Any:
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    data = _read_exactly(stream, _LENGTH.unpack(head)[0])
    return None if data is None else pickle.loads(data)  # noqa: S301 - from our own worker or parent


# --- the worker process ----------------------------------------------------------------------

def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """The worker's loop: an opener from the first frame, then a batch of rows per batch frame,
    until the pipe closes. A failure is reported by its kind only (its text could quote an answer)."""
    # Frames are read as they come, on a thread of their own: the export's process may be
    # sending the next batch while this one writes its rows, and neither may wait for the other.
    frames: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        while True:
            message = _receive(inp)
            frames.put(message)
            if message is None:
                return

    threading.Thread(target=read, daemon=True).start()
    opener: RecordOpener | None = None
    layout = Layout(xlsx=False, first_row=1)
    encoder: CsvRows | XlsxRows = layout.encoder()
    while True:
        message = frames.get()
        if message is None:
            return
        try:
            if message[0] == "start":
                opener = RecordOpener(message[1].groups(), deleted=message[2])
                layout = message[3]
                encoder = layout.encoder()
                continue
            assert opener is not None  # noqa: S101 - the export's process sends "start" first
            _, position, signing, record, items = message
            opener.add_keys(signing, record)
            first = layout.first_row + position
            rows = [None if cells is None else encoder.encode(cells, first + k)
                    for k, cells in enumerate(opener.open_batch(items))]
        except Exception as exc:  # noqa: BLE001 - told to the export's process, which stops the export
            _send(out, ("failed", type(exc).__name__))
            return
        _send(out, ("rows", rows))


class Worker:
    """The worker process, seen from the export's process."""

    def __init__(self, columns: Columns, layout: Layout, *, deleted: str) -> None:
        root = str(Path(__file__).resolve().parents[3])  # where the app package is, for -m
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path}
        # Standard error goes nowhere: a traceback could quote a decrypted answer.
        self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, this module, no shell
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, bufsize=0, env=env, close_fds=True)
        self.pid = self._proc.pid
        self.outstanding = 0
        self._sent_signing: set[str] = set()
        self._sent_record: set[str] = set()
        self._call(("start", columns, deleted, layout))

    def _call(self, message: object) -> None:
        assert self._proc.stdin is not None  # noqa: S101 - opened with a pipe
        try:
            _send(self._proc.stdin, message)
        except OSError:  # the worker is gone: what it said (if anything) is read next
            pass

    def send(self, items: list[Item], position: int, signing: Mapping[str, bytes],
             record: Mapping[str, bytes | None]) -> None:
        """A batch to open (its first record the file's ``position``-th, from 0), with the keys
        the worker has not had yet."""
        new_signing = {k: v for k, v in signing.items() if k not in self._sent_signing}
        new_record = {k: v for k, v in record.items() if k not in self._sent_record}
        self._sent_signing.update(new_signing)
        self._sent_record.update(new_record)
        self._call(("batch", position, new_signing, new_record, items))
        self.outstanding += 1

    def ready(self) -> bool:
        """A batch's rows (or the worker's end) can be read without waiting."""
        assert self._proc.stdout is not None  # noqa: S101 - opened with a pipe
        return bool(select.select([self._proc.stdout], [], [], 0)[0])

    def receive(self) -> list[bytes | None]:
        """The oldest batch's rows, encoded, in order (None: a record for the export's process
        to read). Raises ExportFailed if the worker failed or died."""
        assert self._proc.stdout is not None  # noqa: S101 - opened with a pipe
        message = _receive(self._proc.stdout)
        if message is None or message[0] != "rows":
            why = message[1] if message is not None else f"ended with {self._proc.poll()}"
            log.error("export worker %s failed: %s", self.pid, why)
            raise ExportFailed(_l("The export stopped: the process opening the records failed. "
                                  "The file was not delivered whole; start the export again."))
        self.outstanding -= 1
        rows: list[bytes | None] = message[1]
        return rows

    def close(self) -> None:
        """Stop the worker: its input closed, it ends; one that does not is killed."""
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


Batch = tuple[list[Item], Mapping[str, bytes], Mapping[str, bytes | None]]


def opened_rows(batches: Iterator[Batch], opener: RecordOpener, worker: Worker | None, layout: Layout,
                read_here: Callable[[Item], list[Cell]]) -> Iterator[bytes]:
    """Every record's row, encoded as ``layout`` says, in the order of ``batches``. Each batch
    goes to the worker while it holds fewer than IN_FLIGHT, else is opened and encoded here at
    once (so neither process waits long for the other, and what waits holds bytes, not
    cells); a record neither could open in the ordinary way goes to ``read_here``."""
    encoder = layout.encoder()
    pending: deque[tuple[int, list[Item], list[bytes | None] | None]] = deque()
    position = 0  # records handed out so far

    def encoded(at: int, cells: list[Cell]) -> bytes:
        return encoder.encode(cells, layout.first_row + at)

    def here(first: int, items: list[Item]) -> list[bytes | None]:
        return [None if cells is None else encoded(first + k, cells)
                for k, cells in enumerate(opener.open_batch(items))]

    def written() -> Iterator[bytes]:
        first, items, rows = pending.popleft()
        if rows is None:
            assert worker is not None  # noqa: S101 - only the worker's batches wait for rows
            rows = worker.receive()
        for k, (item, row) in enumerate(zip(items, rows, strict=True)):
            yield row if row is not None else encoded(first + k, read_here(item))

    try:
        for items, signing, record in batches:
            if worker is not None and worker.outstanding < IN_FLIGHT:
                worker.send(items, position, signing, record)
                pending.append((position, items, None))
            else:
                opener.add_keys(signing, record)
                pending.append((position, items, here(position, items)))
            position += len(items)
            while pending and (pending[0][2] is not None or len(pending) >= AHEAD
                               or (worker is not None and worker.ready())):
                yield from written()
        while pending:
            yield from written()
    finally:
        if worker is not None:
            worker.close()


def main() -> None:
    """The worker's entry: frames on a copy of standard output, which itself goes to standard
    error (nowhere), so that nothing a library prints can break a frame."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    from app.services.exports import opening  # the module itself, not this __main__ copy of it

    opening.main()
