"""A private network namespace with a non-loopback address, to test the station "on the local
network" without ever listening on this machine's real network.

``unshare --net`` makes the namespace (root, or unprivileged user namespaces); its loopback
device carries :data:`LAN_ADDRESS` (not 127/8, so the station treats it as the local network)
and a default route, so the address a phone would use is found as on a laptop. Processes are
started inside with ``nsenter``; test code runs inside on a thread that joins the namespace
(``setns`` affects only the calling thread), so no packet can reach a real interface.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tests.support.browser import skip_or_fail

LAN_ADDRESS = "10.77.0.1"
CLONE_NEWNET = 0x40000000
T = TypeVar("T")

SETUP = (f"ip link set lo up && ip addr add {LAN_ADDRESS}/32 dev lo && "
         f"ip route add default dev lo src {LAN_ADDRESS} && echo ready && exec sleep 3600")


class Namespace:
    def __init__(self, holder: subprocess.Popen[str]) -> None:
        self.holder = holder
        self.path = f"/proc/{holder.pid}/ns/net"

    def popen(self, command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``command`` inside the namespace."""
        return subprocess.Popen(["nsenter", f"--net={self.path}", "--", *command], **kwargs)

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on a thread inside the namespace; its result, or its exception."""
        out: dict[str, Any] = {}

        def inside() -> None:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
                out["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                out["error"] = exc
            finally:
                os.close(fd)

        thread = threading.Thread(target=inside, name="in-netns")
        thread.start()
        thread.join()
        if "error" in out:
            raise out["error"]
        value: T = out["value"]
        return value


@contextmanager
def lan_namespace() -> Iterator[Namespace]:
    if not sys.platform.startswith("linux") or not (shutil.which("unshare") and shutil.which("nsenter")):
        skip_or_fail("needs Linux network namespaces (unshare, nsenter)")
    holder = subprocess.Popen(["unshare", "--net", "--", "sh", "-c", SETUP], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    if holder.stdout.readline().strip() != "ready":
        holder.kill()
        _, err = holder.communicate(timeout=10)
        skip_or_fail(f"cannot make a network namespace here: {err.strip()}")
    try:
        yield Namespace(holder)
    finally:
        holder.kill()
        holder.communicate(timeout=10)
