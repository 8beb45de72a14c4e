"""The installation's key ring: key slots on disk, unlocked keys in memory only.

On a station the secret in each slot is the station data key; on central it
is the custody key that opens central's key ring (services/central/keys.py).
Logging in opens the user's slot and keeps the secret in this process's
memory, under the login session's id, until the first of: logout, the Lock
button, an administrator's "lock all", or ``idle_timeout_minutes`` after the
session's last request (swept at every request and by a background timer
every 30 seconds). It never reaches the disk, the session cookie or a log.
The session rows themselves are swept by ``sessions.sweep``. When the last
key is dropped, listeners registered with :meth:`UnlockedKeys.when_emptied`
are told (run.py's serving process then hands over to a fresh one:
app/serve.py). See docs/keys.md.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from app.crypto import (
    CryptoError,
    aead_decrypt,
    make_slot,
    open_slot,
)
from app.extensions import db
from app.models import Installation, KeySlot, User
from app.roles import Role
from app.services.accounts.kdf import kdf_params, kdf_turn
from app.services.errors import ServiceError

SIGNING_KEY_AAD = b"tip-screen/v1/station-signing-key"
SWEEP_SECONDS = 30
# On central only these roles may open records, so only they get a slot.
CENTRAL_SLOT_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})




def local_key_id(station_key: bytes) -> str:
    return hashlib.sha256(b"tip-screen/local-key-id:" + station_key).hexdigest()[:16]


class UnlockedKeys:
    """Secrets of logged-in sessions, in memory, each forgotten after its idle timeout."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._keys: dict[str, tuple[bytearray, float]] = {}
        self._lock = threading.Lock()
        self._timer: threading.Thread | None = None
        self._emptied: list[Callable[[], None]] = []

    def when_emptied(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` each time the last unlocked key is dropped (not while already empty)."""
        self._emptied.append(listener)

    def put(self, session_id: str, secret: bytes) -> None:
        with self._lock:
            self._keys[session_id] = (bytearray(secret), time.monotonic())
        self._start_sweeper()

    def get(self, session_id: str) -> bytes | None:
        self.sweep()
        with self._lock:
            entry = self._keys.get(session_id)
            if entry is None:
                return None
            self._keys[session_id] = (entry[0], time.monotonic())
            return bytes(entry[0])

    def holds(self, session_id: str) -> bool:
        """Whether the session's key is still here (without counting as a use)."""
        with self._lock:
            return session_id in self._keys

    def drop(self, session_id: str) -> None:
        with self._lock:
            entry = self._keys.pop(session_id, None)
            emptied = entry is not None and not self._keys
        if entry:
            _wipe(entry[0])
        self._tell(emptied)

    def drop_all(self) -> None:
        with self._lock:
            entries = list(self._keys.values())
            self._keys.clear()
        for secret, _ in entries:
            _wipe(secret)
        self._tell(bool(entries))

    def sweep(self) -> None:
        cutoff = time.monotonic() - self.idle_seconds
        with self._lock:
            stale = [sid for sid, (_, seen) in self._keys.items() if seen < cutoff]
            dropped = [self._keys.pop(sid)[0] for sid in stale]
            emptied = bool(dropped) and not self._keys
        for secret in dropped:
            _wipe(secret)
        self._tell(emptied)

    def _tell(self, emptied: bool) -> None:
        if emptied:
            for listener in self._emptied:
                listener()

    def __len__(self) -> int:
        return len(self._keys)

    def _start_sweeper(self) -> None:
        if self._timer is not None:
            return

        def loop() -> None:
            while True:
                time.sleep(SWEEP_SECONDS)
                self.sweep()

        self._timer = threading.Thread(target=loop, name="tip-key-sweeper", daemon=True)
        self._timer.start()


def _wipe(secret: bytearray) -> None:
    # Best effort: Python may hold other copies, but not in this buffer.
    for i in range(len(secret)):
        secret[i] = 0


def init_app(app: Flask) -> None:
    app.extensions["tip_keys"] = UnlockedKeys(app.config["TIP"].idle_timeout_minutes * 60)


def unlocked() -> UnlockedKeys:
    keys: UnlockedKeys = current_app.extensions["tip_keys"]
    return keys


def needs_slot(role: Role, installation_role: str) -> bool:
    return installation_role == "station" or role in CENTRAL_SLOT_ROLES


def put_slot(user: User, passphrase: str, secret: bytes, key_ident: str) -> None:
    """Create or replace the user's slot (no commit: the caller's transaction)."""
    blob = make_slot(passphrase, secret, kdf_params())
    existing = db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == user.id))
    if existing is None:
        db.session.add(KeySlot(user_id=user.id, key_id=key_ident, slot=blob))
    else:
        existing.slot = blob
        existing.key_id = key_ident


def has_slot(user: User) -> bool:
    return db.session.scalar(sa.select(KeySlot.id).where(KeySlot.user_id == user.id)) is not None


def open_user_slot(user: User, passphrase: str) -> bytes | None:
    """The secret from the user's slot, or None if the user has no slot."""
    row = db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == user.id))
    if row is None:
        return None
    try:
        with kdf_turn():
            return open_slot(row.slot, passphrase)
    except CryptoError:
        raise ServiceError(_l("Your key could not be unlocked. Ask an administrator to set a "
                              "new passphrase for you.")) from None


def signing_key(inst: Installation, station_key: bytes) -> bytes:
    if inst.signing_key_wrapped is None:
        raise ServiceError(_l("This station has no signing key."))
    return aead_decrypt(station_key, inst.signing_key_wrapped, SIGNING_KEY_AAD)

