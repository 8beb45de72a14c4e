"""Key derivation at this installation: which parameters (tests ask for cheap ones), and how
many derivations may run or wait at once.

Each Argon2id run takes about half a second of every core, and the crypto package runs
them one at a time. Without a bound, a burst of logins would queue without end and hold
a worker each; beyond :data:`MAX_WAITING` derivations, a login waits at most
:data:`WAIT_SECONDS` for its turn and is then told plainly that the server is busy.
The bound is per process (each gunicorn worker has its own).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import PRODUCTION_KDF, TEST_KDF, KdfParams
from app.services.errors import LoginBusy

MAX_WAITING = 4  # derivations running or waiting in this process
WAIT_SECONDS = 5.0
_TURNS = threading.BoundedSemaphore(MAX_WAITING)


def kdf_params() -> KdfParams:
    return TEST_KDF if current_app.config["TIP"].kdf_profile == "test" else PRODUCTION_KDF


@contextmanager
def kdf_turn(wait: float | None = None) -> Iterator[None]:
    """Hold one of the process's derivation turns; :class:`LoginBusy` if none frees in time."""
    if not _TURNS.acquire(timeout=WAIT_SECONDS if wait is None else wait):
        raise LoginBusy(_l("Many people are logging in at once. Try again in a moment."))
    try:
        yield
    finally:
        _TURNS.release()
