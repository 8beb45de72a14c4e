"""Two network namespaces, a station's and central's, each joined to this one by a veth pair.

Nothing routes between the two: the only way from the station to central is the link
emulator listening here (on the station's side) and connecting on (to central's side).

    [station ns] 10.A.B.2 -- 10.A.B.1 [here: link emulator] 10.A.B.5 -- 10.A.B.6 [central ns]

Needs root (CAP_NET_ADMIN) and ``ip``; :func:`namespaces_or_skip` says why not otherwise.
A socket keeps the namespace it was made in, so :func:`in_namespace` makes central's
listening socket in a thread that entered central's namespace, and the server runs here.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

from tests.support.browser import skip_or_fail

CLONE_NEWNET = 0x40000000
T = TypeVar("T")


@dataclass(frozen=True)
class Namespaces:
    station: str  # namespace names, for `ip netns exec`
    central: str
    station_side: str  # the address the station reaches the emulator at
    emulator_to_central: str  # where central's namespace is reached from here
    central_address: str  # central's address inside its namespace


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def why_not() -> str | None:
    if shutil.which("ip") is None:
        return "the link tests need iproute2's `ip` to make network namespaces"
    if os.geteuid() != 0:
        return "the link tests make network namespaces and need root (CAP_NET_ADMIN)"
    probe = f"tsprobe{os.getpid()}"
    try:
        _ip("netns", "add", probe)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"network namespaces cannot be made here ({exc})"
    with suppress(subprocess.CalledProcessError, OSError):
        _ip("netns", "del", probe)
    return None


@contextmanager
def two_namespaces() -> Iterator[Namespaces]:
    reason = why_not()
    if reason is not None:
        skip_or_fail(reason)
    pid = os.getpid()
    a, b = 1 + pid // 250 % 250, pid % 250  # 10.a.b.0/29: one subnet per test process
    tag = f"tl{pid % 100000}"
    ns = Namespaces(f"{tag}st", f"{tag}ce", f"10.{a}.{b}.1", f"10.{a}.{b}.5", f"10.{a}.{b}.6")
    made: list[str] = []
    try:
        for name, here, there, mine, theirs in ((ns.station, f"{tag}s0", f"{tag}s1", ns.station_side,
                                                 f"10.{a}.{b}.2"),
                                                (ns.central, f"{tag}c0", f"{tag}c1", ns.emulator_to_central,
                                                 ns.central_address)):
            _ip("netns", "add", name)
            made.append(name)
            _ip("link", "add", here, "type", "veth", "peer", "name", there)
            made.append(here)
            _ip("link", "set", there, "netns", name)
            _ip("addr", "add", f"{mine}/30", "dev", here)
            _ip("link", "set", here, "up")
            _ip("-n", name, "addr", "add", f"{theirs}/30", "dev", there)
            _ip("-n", name, "link", "set", there, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        yield ns
    finally:
        for name in reversed(made):
            with suppress(subprocess.CalledProcessError, OSError):
                if name.endswith("0"):
                    _ip("link", "del", name)  # its peer goes with it
                else:
                    _ip("netns", "del", name)


def in_namespace(name: str, make: Callable[[], T], timeout: float = 30) -> T:
    """``make()`` run in a thread that entered namespace ``name``: sockets it creates live
    there (this thread's namespace is unchanged)."""
    out: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/run/netns/{name}", "rb") as handle:
                if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {name} failed")
            out.append(make())
        except BaseException as exc:  # handed to the caller
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"in-{name}")
    thread.start()
    thread.join(timeout=timeout)
    if thread.is_alive():
        raise TimeoutError(f"still running in {name} after {timeout} s")
    if errors:
        raise errors[0]
    return out[0]
