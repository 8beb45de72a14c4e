"""Look for a text in files and byte strings, in every encoding it could be stored in."""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

# The test harness keeps its own job output here; it is not the app's temp data.
SKIP_TEMP_PREFIXES = ("bash_jobs",)
MAX_SCAN_BYTES = 256 * 1024 * 1024


def forms(text: str) -> dict[str, bytes]:
    """Every way the text could reach a disk: UTF-8, UTF-16 both ways, JSON and URL escapes."""
    out = {
        "utf-8": text.encode("utf-8"),
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "json-escaped": json.dumps(text)[1:-1].encode("ascii"),
        "url-quoted": urllib.parse.quote(text).encode("ascii"),
        "url-quoted-plus": urllib.parse.quote_plus(text).encode("ascii"),
    }
    return out


def hits(data: bytes, texts: Iterable[str]) -> list[tuple[str, str]]:
    """(text, encoding) for every text found in ``data``."""
    found = []
    lowered = data.lower()
    for text in texts:
        for name, needle in forms(text).items():
            # Escaped forms differ only in hex case between encoders.
            haystack = lowered if name.startswith(("json", "url")) else data
            probe = needle.lower() if name.startswith(("json", "url")) else needle
            if probe in haystack:
                found.append((text, name))
    return found


def files_under(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


def scan_files(paths: Iterable[Path], texts: Iterable[str]) -> list[tuple[str, str, str]]:
    """(path, text, encoding) for every hit; unreadable or vanished files are skipped."""
    texts = list(texts)
    found = []
    for path in paths:
        try:
            if path.stat().st_size > MAX_SCAN_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        found.extend((str(path), text, enc) for text, enc in hits(data, texts))
    return found


def temp_files_since(start: float) -> list[Path]:
    """Files in the system temp directory changed since ``start`` (what this test may have written)."""
    root = Path(tempfile.gettempdir())
    out = []
    for dirpath, dirs, names in os.walk(root):
        if Path(dirpath) == root:
            dirs[:] = [d for d in dirs if not d.startswith(SKIP_TEMP_PREFIXES)]
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if path.is_file() and not path.is_symlink() and max(st.st_mtime, st.st_ctime) >= start - 1:
                out.append(path)
    return out


def labels(found: list[tuple[str, str, str]], texts: list[str]) -> list[tuple[str, int, str]]:
    """Hits with each text replaced by its index, so a failure message does not itself leak it."""
    return [(path, texts.index(text), enc) for path, text, enc in found]
