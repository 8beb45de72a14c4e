"""The upload frame: sealed envelopes as raw bytes in one request body (pure).

Envelopes are binary; carried as base64 inside JSON they grew by a third. The frame
(docs/sync.md, "Push and receipts") is a small length-prefixed layout, big-endian::

    magic "TSRB" (4) || version 01 (1) || pending u32 || count u16
    count x ( record id (16, uuid.UUID.bytes) || u32 length || envelope (length) )

The station signs these exact bytes (the request signature covers SHA-256 of the body),
central reads the count before any record and refuses a frame that is cut short, longer
than it says, or holds more records than a request may carry. The id travels beside the
envelope (as in the JSON it replaces) so central can name a record whose envelope it
cannot read.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable

from app.protocol.messages import ProtocolError

CONTENT_TYPE = "application/vnd.tip-screen.records"
MAGIC = b"TSRB"
VERSION = 1
_HEAD = struct.Struct(">4sBIH")  # magic, version, pending, count
_ITEM = struct.Struct(">16sI")  # record id, envelope length
HEAD_SIZE = _HEAD.size  # 11
ITEM_OVERHEAD = _ITEM.size  # 20 bytes per record besides its envelope
MAX_PENDING = 2**32 - 1


class FrameError(ProtocolError):
    """A body that is not a well-formed upload frame."""


class TooManyRecords(FrameError):
    """A well-formed frame head that announces more records than a request may carry."""


def encode_records(pending: int, items: Iterable[tuple[str, bytes]]) -> bytes:
    """The frame for ``items`` (record id, envelope); ``pending`` is clamped to a u32."""
    parts = [b""]
    count = 0
    for record_id, envelope in items:
        parts.append(_ITEM.pack(uuid.UUID(record_id).bytes, len(envelope)))
        parts.append(envelope)
        count += 1
    parts[0] = _HEAD.pack(MAGIC, VERSION, max(0, min(MAX_PENDING, pending)), count)
    return b"".join(parts)


def decode_records(data: bytes, max_records: int) -> tuple[int, list[tuple[str, bytes]]]:
    """(pending, [(record id, envelope)]) from a frame, or FrameError naming what is wrong.
    The count is checked against ``max_records`` before any record is read."""
    if len(data) < HEAD_SIZE or data[:4] != MAGIC:
        raise FrameError(f"the body is not a tip-screen upload frame (it must start with {MAGIC.decode()})")
    _magic, version, pending, count = _HEAD.unpack_from(data)
    if version != VERSION:
        raise FrameError(f"upload frame version {version} is not supported (this central reads {VERSION})")
    if count > max_records:
        raise TooManyRecords(f"At most {max_records} records per request.")
    view = memoryview(data)
    offset = HEAD_SIZE
    items: list[tuple[str, bytes]] = []
    for n in range(count):
        if len(data) - offset < ITEM_OVERHEAD:
            raise FrameError(f"records[{n}]: the frame ends before the record's id and length")
        raw_id, length = _ITEM.unpack_from(data, offset)
        offset += ITEM_OVERHEAD
        if length > len(data) - offset:
            raise FrameError(f"records[{n}]: the frame ends {length - (len(data) - offset)} bytes "
                             "before the envelope does")
        items.append((str(uuid.UUID(bytes=raw_id)), bytes(view[offset:offset + length])))
        offset += length
    if offset != len(data):
        raise FrameError(f"{len(data) - offset} bytes follow the last record")
    return pending, items
