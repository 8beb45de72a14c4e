"""A password-protected zip that common tools open: WinZip AES-256 (AE-2), written as a stream.

A full export can be handed over as such an archive, its password shown once
(docs/exports.md). ``open_aes_zip(out, password)`` gives a writer whose
``member(name)`` is a writable stream: rows go in chunk by chunk and out, compressed and
encrypted, to ``out`` (a file, a pipe or a response stream; it need not seek), so no
member is ever held whole in memory. 7-Zip and pyzipper open it (tests/exports/), as does
any tool that reads WinZip AES; Windows Explorer's built-in zip support reads no AES zip.

The zip format encrypts contents, not member names or sizes: names are restricted to
plain file names here so that no answer can end up in one. WinZip AES derives its key
with 1,000 rounds of PBKDF2-SHA1, too few to protect a guessable password, so
``new_password`` draws about 119 random bits.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, cast

import pyzipper

# Lower-case letters and digits without the look-alikes 0/o, 1/l/i: read aloud, copied
# by hand or typed on a phone without doubt.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # noqa: S105 - characters, not a password
PASSWORD_GROUPS = 6
GROUP_LENGTH = 4  # "k7mq-x3hv-...": six groups of four, the dashes part of the password
PASSWORD_BITS = PASSWORD_GROUPS * GROUP_LENGTH * math.log2(len(PASSWORD_ALPHABET))

MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def new_password() -> str:
    """A fresh random archive password, about 119 bits (``PASSWORD_BITS``)."""
    drawn = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUPS * GROUP_LENGTH))
    return "-".join(drawn[i : i + GROUP_LENGTH] for i in range(0, len(drawn), GROUP_LENGTH))


class AesZipWriter:
    """Adds members to an archive opened by :func:`open_aes_zip`, one at a time."""

    def __init__(self, archive: pyzipper.AESZipFile) -> None:
        self._archive = archive

    def member(self, name: str) -> BinaryIO:
        """A writable stream for the member ``name`` (a plain file name such as
        ``records.csv``): write it in chunks, then close it (``with writer.member(...) as
        f:``) before the next member."""
        if MEMBER_NAME.match(name) is None or ".." in name:
            raise ValueError(f"not a plain file name for an archive member: {name!r}")
        # force_zip64: the size is not known in advance and a large export may pass 4 GiB.
        return cast(BinaryIO, self._archive.open(name, "w", force_zip64=True))


@contextmanager
def open_aes_zip(out: BinaryIO, password: bytes) -> Iterator[AesZipWriter]:
    """Write an AES-256 zip to ``out`` (left open) for the block's duration.

    If the block raises, the archive is left without its central directory, so no tool
    opens a cut-off export as if it were whole.
    """
    if not password:
        raise ValueError("an archive password is required")
    archive = pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES)
    archive.setpassword(password)
    archive.setencryption(pyzipper.WZ_AES, nbits=256)
    try:
        yield AesZipWriter(archive)
    except BaseException:
        # Forget the output: neither close() nor ZipFile.__del__ then writes the directory.
        archive.fp = None
        raise
    archive.close()
