"""A stand-in for the htcds branch's archive module (same API), until it lands: replaced by it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import pyzipper

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def new_password() -> str:
    """Five groups of five characters from 31: 123 bits."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(5))


class _Writer:
    def __init__(self, archive: Any) -> None:
        self._archive = archive

    def member(self, name: str) -> IO[bytes]:
        return self._archive.open(name, "w", force_zip64=True)


@contextmanager
def open_aes_zip(out: IO[bytes], password: bytes) -> Iterator[_Writer]:
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password)
        yield _Writer(archive)
