"""Where a writer's bytes go: collected in memory a chunk at a time, and hashed on the way out."""

from __future__ import annotations

import hashlib

CHUNK = 64 * 1024  # hand bytes on once this many are waiting


class Sink:
    """A write-only, unseekable file: :meth:`take` returns what was written since the last call.

    The SHA-256 and the size cover every byte taken, so once the last chunk is taken they are
    the checksum and the size of the file as delivered. ``zipfile`` (and pyzipper) write to it
    in streaming mode (it has no ``seek``), with a data descriptor after each member."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._waiting = 0
        self._written = 0
        self.size = 0
        self._sha = hashlib.sha256()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        data = bytes(data)
        self._parts.append(data)
        self._waiting += len(data)
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    @property
    def full(self) -> bool:
        return self._waiting >= CHUNK

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        self._waiting = 0
        self._sha.update(out)
        self.size += len(out)
        return out

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()
