"""Who listens on a port, for run.py's "already in use" message (Linux: /proc; else None).

A listening socket appears in /proc/net/tcp (or tcp6) in state 0A with its inode; the
process holding it has a ``socket:[inode]`` among its open files. Processes of other users
cannot be looked into without privileges: then the port's owner is simply not named.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

LISTEN = "0A"
PROC = Path("/proc")


def _listening_inodes(port: int) -> set[str]:
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    found.add(fields[9])
    return found


def _holder(inodes: set[str]) -> int | None:
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        return int(entry.name)
    return None


def who_listens(port: int) -> str | None:
    """A short description of the process listening on ``port``, or None if unknown."""
    inodes = _listening_inodes(port)
    pid = _holder(inodes) if inodes else None
    if pid is None:
        return None
    try:
        argv = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"process {pid}"
    args = [a.decode(errors="replace") for a in argv if a]
    command = " ".join(args)[:120]
    if any(Path(a).name == "run.py" for a in args[:2]) or args[1:3] == ["-m", "app.serve"]:
        return f"tip-screen (process {pid}: {command})"
    return f"process {pid} ({command})"
