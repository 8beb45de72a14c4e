"""Count what a piece of work costs on the wire to PostgreSQL: round trips and statements.

Round trips are read from libpq's own protocol trace of every connection the engine opens
(psycopg's ``pgconn.trace``): each time the client stops sending and waits for the server's
answer is one. That counts what a statement count misses (BEGIN, COMMIT, a pool's ping) and
counts a pipelined batch as the one wait it is. Statements are counted with SQLAlchemy's
``before_cursor_execute`` event, for the reader who wants to see which ones they were.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Trips:
    round_trips: int = 0
    statements: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # the frontend's messages, for a failing assert

    def __str__(self) -> str:
        return f"{self.round_trips} round trips; statements: {self.statements}"


def _turns(trace: str) -> tuple[int, list[str]]:
    """Round trips in one connection's trace: a run of client messages (F) ended by the
    server's answer (B) is one."""
    turns, sent, last = 0, [], ""
    for line in trace.splitlines():
        side = line.split("\t", 1)[0]
        if side == "F":
            sent.append(" ".join(line.split("\t")[2:])[:80])
        if side == "B" and last == "F":
            turns += 1
        if side in ("F", "B"):
            last = side
    return turns, sent


@contextmanager
def counting(engine: Engine) -> Iterator[Trips]:
    """Everything ``engine`` sends inside the block. The pool is emptied first, so every
    connection the block uses is one it opens, traced from its first use (its set-up
    before the ``connect`` event is not counted: a pooled connection does not repeat it)."""
    trips = Trips()
    files: list[tuple[Any, IO[bytes]]] = []

    def traced(dbapi_connection: Any, _record: Any) -> None:
        out = tempfile.TemporaryFile()
        dbapi_connection.pgconn.trace(out.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS
                                                | psycopg.pq.Trace.REGRESS_MODE)
        files.append((dbapi_connection, out))

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        trips.statements.append(" ".join(sql.split())[:80])

    engine.dispose()
    event.listen(engine, "connect", traced)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield trips
    finally:
        event.remove(engine, "connect", traced)
        event.remove(engine, "before_cursor_execute", statement)
        for dbapi_connection, out in files:
            if not dbapi_connection.closed:
                dbapi_connection.pgconn.untrace()  # flushes libpq's buffer
            out.seek(0)
            turns, sent = _turns(out.read().decode("utf-8", "replace"))
            out.close()
            trips.round_trips += turns
            trips.messages.extend(sent)
        engine.dispose()
