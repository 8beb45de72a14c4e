"""Processes seen through /proc (Linux): the live children of a process."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid``, zombies left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except OSError:
                continue  # ended while we looked
            if int(ppid) == pid and state != "Z":
                found.append(int(entry.name))
    return found
