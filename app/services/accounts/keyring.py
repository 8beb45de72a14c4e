"""The installation's key ring: key slots on disk, unlocked keys in memory only.

On a station each slot holds the user's key set (:class:`app.crypto.KeySet`):
their own X25519 private key, the station's signing key and, for
administrators only, the administrators' X25519 private key. A record's data
key is wrapped to its creator's and the administrators' public keys, so a
passphrase opens exactly its owner's records (an administrator's: every
record). On central the slot holds the custody key that opens central's key
ring (services/central/keys.py). Logging in opens the user's slot and keeps
the secret in this process's memory, under the login session's id, until
the first of: logout, the Lock button, an administrator's "lock all", or
``idle_timeout_minutes`` after the session's last request (swept at every
request and by a background timer every 30 seconds). It never reaches the
disk, the session cookie or a log. The session rows themselves are swept by
``sessions.sweep``. When the last key is dropped, listeners registered with
:meth:`UnlockedKeys.when_emptied` are told (run.py's serving process then hands
over to a fresh one: app/serve.py). See docs/keys.md.

One module (a little over 400 lines) because opening a slot and holding what it
opened are one concept: every way in (login, phone, re-key) ends in this store,
and every way out (logout, lock, sweep, a new passphrase) wipes what it holds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from app.crypto import (
    CryptoError,
    KeySet,
    aead_decrypt,
    aead_encrypt,
    generate_signing_key,
    generate_x25519,
    hpke_open,
    hpke_seal,
    is_legacy_secret,
    key_id,
    make_slot,
    open_slot,
    signing_public_key,
    slot_params,
    x25519_public_key,
)
from app.extensions import db
from app.models import Installation, KeySlot, User
from app.roles import Role
from app.services import installation
from app.services.accounts.kdf import kdf_params, kdf_turn
from app.services.errors import Locked, ServiceError

# Before migration 0009 the signing key was wrapped with the station data key (and is, on an
# upgraded station, until its last old slot is converted).
SIGNING_KEY_AAD = b"tip-screen/v1/station-signing-key"
STASH_AAD = b"tip-screen/v1/upgrade-admins-key"
ESCROW_INFO = b"tip-screen/v1/user-key-escrow:"  # || the user's id in ASCII digits
# A re-keyed station's new signing key, sealed to each user's own key (users.signing_update).
SIGNING_UPDATE_INFO = b"tip-screen/v1/signing-key-update:"  # || the user's id in ASCII digits
LEGACY_SLOT_SIZE = 91  # a slot around a bare 32-byte station data key
SWEEP_SECONDS = 30
# Keys a phone's account unlocked (app/services/odk/phones.py) are kept under
# PHONE_PREFIX || user id || ":" || an HMAC of the passphrase, so a user's can be dropped.
PHONE_PREFIX = "odk:"
# On central only these roles may open records, so only they get a slot.
CENTRAL_SLOT_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})




def local_key_id(station_key: bytes) -> str:
    """Id of a pre-0009 station data key (kept as the record-key id of an upgraded station)."""
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

    def get(self, session_id: str, *, touch: bool = True) -> bytes | None:
        """``touch=False``: not counted as a use (the idle clock keeps running)."""
        self.sweep()
        with self._lock:
            entry = self._keys.get(session_id)
            if entry is None:
                return None
            if touch:
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

    def drop_prefix(self, prefix: str) -> None:
        """Drop every key whose id starts with ``prefix`` (a user's phone entries)."""
        with self._lock:
            ids = [sid for sid in self._keys if sid.startswith(prefix)]
        for sid in ids:
            self.drop(sid)

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


def delete_slot(user: User) -> None:
    """The account is switched off: its passphrase opens nothing any more (no commit)."""
    db.session.execute(sa.delete(KeySlot).where(KeySlot.user_id == user.id))
    finish_upgrade()


def has_slot(user: User) -> bool:
    return db.session.scalar(sa.select(KeySlot.id).where(KeySlot.user_id == user.id)) is not None


def slot_of(user: User) -> KeySlot | None:
    return db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == user.id))


def open_user_slot(user: User, passphrase: str, *, opened: bytes | None = None) -> bytes | None:
    """The secret from the user's slot; on central None without one (a station refuses).

    ``opened``: what the slot held, already opened with this passphrase by the login check
    (:func:`app.services.accounts.users.authenticate`), so a login derives a key once.
    A slot made with other KDF parameters than this installation's is re-made with them.

    On a station: the packed key set. A slot from before migration 0009 (the bare station
    data key) is converted to a key set on the spot; the returned set then also carries
    the old key, for :func:`app.services.records.after_unlock` to re-wrap old records."""
    row = slot_of(user)
    inst = installation.find()
    if row is None:
        if inst is not None and inst.role == "station":
            # Switched off, then on again: the slot was deleted; a new passphrase makes one.
            raise ServiceError(_l("Your key could not be unlocked. Ask an administrator to set a "
                                  "new passphrase for you."))
        return None
    secret = opened
    if secret is None:
        try:
            with kdf_turn():
                secret = open_slot(row.slot, passphrase)
        except CryptoError:
            raise ServiceError(_l("Your key could not be unlocked. Ask an administrator to set a "
                                  "new passphrase for you.")) from None
    if inst is None or inst.role != "station":
        _refresh_parameters(row, passphrase, secret)
        return secret
    if is_legacy_secret(secret):
        keys = _convert_legacy_slot(inst, user, passphrase, secret)
    else:
        try:
            keys = KeySet.unpack(secret)
        except CryptoError:
            return secret  # not a key set: station_keys() refuses it
    keys = _take_new_signing_key(inst, user, passphrase, keys)
    _refresh_parameters(row, passphrase, secret)  # a no-op when a step above re-made the slot
    return keys.pack()


def _refresh_parameters(row: KeySlot, passphrase: str, secret: bytes) -> None:
    """A slot from before a change of KDF parameters opens with its own (they are in the slot)
    and is re-made with the current ones: one more derivation, once per slot."""
    if slot_params(row.slot) == kdf_params():
        return
    with kdf_turn():
        row.slot = make_slot(passphrase, secret, kdf_params())
    db.session.commit()


def station_keys(secret: bytes | None) -> KeySet:
    """The key set a station session holds; :class:`Locked` if it holds none."""
    if secret is None:
        raise Locked(_l("Unlock the key first: log in again as an administrator."))
    try:
        return KeySet.unpack(secret)
    except CryptoError:
        raise Locked(_l("Unlock the key first: log in again as an administrator.")) from None


def key_set(secret: bytes | None) -> KeySet | None:
    """The session's key set on a station, None on central or without a key."""
    try:
        return station_keys(secret)
    except Locked:
        return None


def _escrow(inst: Installation, user: User, own: bytes) -> None:
    assert inst.admins_public_key is not None  # noqa: S101 - made at setup or conversion
    user.public_key = x25519_public_key(own)
    user.key_escrow = hpke_seal(inst.admins_public_key, own, ESCROW_INFO + str(user.id).encode())


def _own_key(user: User, admins_private: bytes | None) -> bytes | None:
    """The user's existing private key, from its escrow (needs the administrators' key)."""
    if user.key_escrow is None or admins_private is None:
        return None
    try:
        return hpke_open(admins_private, user.key_escrow, ESCROW_INFO + str(user.id).encode())
    except CryptoError:
        return None  # a damaged escrow: a new key pair (the old records stay the admins')


def give_key_pair(inst: Installation, user: User) -> bytes:
    """A new key pair for ``user`` (private half escrowed to the administrators); its public key."""
    own, public = generate_x25519()
    _escrow(inst, user, own)
    return public


def make_station_slot(user: User, passphrase: str, creator_secret: bytes | None) -> None:
    """The user's key set, wrapped under their passphrase (no commit).

    ``creator_secret`` is the session secret of the administrator making it: their key set
    gives the signing key and the administrators' key (to a new administrator, and to open
    an existing escrow so a reset keeps the user's key pair and records)."""
    inst = installation.get()
    creator = station_keys(creator_secret)
    if creator.admins is None:
        raise Locked(_l("Unlock the key first: log in again as an administrator."))
    db.session.flush()  # the user's id names its escrow
    own = _own_key(user, creator.admins)
    if own is None or user.public_key != x25519_public_key(own):
        own, _ = generate_x25519()
        _escrow(inst, user, own)
    keys = KeySet(own=own, signing=current_signing_key(creator) or creator.signing,
                  admins=creator.admins if user.role is Role.ADMIN else None)
    put_slot(user, passphrase, keys.pack(), inst.local_key_id or "")
    finish_upgrade()


def bootstrap_secret(inst: Installation) -> bytes:
    """First run on a station: new administrators' and signing keys, as the key set that
    creates the first administrator (its ``own`` is never stored: only a creator's)."""
    admins_private, admins_public = generate_x25519()
    signing_private, signing_public = generate_signing_key()
    inst.admins_public_key = admins_public
    inst.local_key_id = key_id(admins_public)
    inst.signing_public_key = signing_public
    return KeySet(own=admins_private, signing=signing_private, admins=admins_private).pack()


def _convert_legacy_slot(inst: Installation, user: User, passphrase: str, station_key: bytes) -> KeySet:
    """A slot from before 0009: make the user's key set from what the old key opens."""
    if inst.signing_key_wrapped is None:  # every other old slot is converted: this one is stale
        raise ServiceError(_l("This station has no signing key."))
    try:
        signing = aead_decrypt(station_key, inst.signing_key_wrapped, SIGNING_KEY_AAD)
        if inst.admins_public_key is None:
            admins_private, inst.admins_public_key = generate_x25519()
            inst.upgrade_stash = aead_encrypt(station_key, admins_private, STASH_AAD)
        else:
            admins_private = aead_decrypt(station_key, inst.upgrade_stash or b"", STASH_AAD)
    except CryptoError:
        raise ServiceError(_l("Your key could not be unlocked. Ask an administrator to set a "
                              "new passphrase for you.")) from None
    own = _own_key(user, admins_private)
    if own is None:
        own, _ = generate_x25519()
        _escrow(inst, user, own)
    keys = KeySet(own=own, signing=signing,
                  admins=admins_private if user.role is Role.ADMIN else None)
    put_slot(user, passphrase, keys.pack(), inst.local_key_id or "")
    finish_upgrade()
    db.session.commit()
    return KeySet(own=keys.own, signing=keys.signing, admins=keys.admins, legacy=station_key)


def hand_out_signing_key(inst: Installation, signing_private: bytes) -> int:
    """A re-key (``enrol --rekey``): seal the station's new signing key to every user with a
    slot, who cannot be given a new slot without their passphrase (no commit). A user with
    no key pair yet (a slot from before 0009) is given one, escrowed, as :mod:`rewrap` does.
    Returns how many users."""
    users = list(db.session.scalars(sa.select(User).join(KeySlot, KeySlot.user_id == User.id)))
    for user in users:
        if user.public_key is None:
            give_key_pair(inst, user)
        assert user.public_key is not None  # noqa: S101 - just given
        user.signing_update = hpke_seal(user.public_key, signing_private,
                                        SIGNING_UPDATE_INFO + str(user.id).encode())
    return len(users)


def current_signing_key(keys: KeySet) -> bytes | None:
    """The station's current signing key for the holder of ``keys``: their own, or, after a
    re-key their slot has not caught up with yet, the new one sealed to their key. None if
    neither is current (the caller leaves the record waiting: an old key would be refused)."""
    inst = installation.get()
    if inst.signing_public_key is None or signing_public_key(keys.signing) == inst.signing_public_key:
        return keys.signing
    user = db.session.scalar(sa.select(User).where(User.public_key == keys.public))
    if user is None or user.signing_update is None:
        return None
    try:
        signing = hpke_open(keys.own, user.signing_update,
                            SIGNING_UPDATE_INFO + str(user.id).encode())
    except CryptoError:
        return None
    return signing if signing_public_key(signing) == inst.signing_public_key else None


def _take_new_signing_key(inst: Installation, user: User, passphrase: str, keys: KeySet) -> KeySet:
    """At login after a re-key: the slot takes the new signing key (one more derivation)."""
    if inst.signing_public_key is None or signing_public_key(keys.signing) == inst.signing_public_key:
        return keys
    signing = current_signing_key(keys)
    if signing is None:
        return keys  # nothing sealed to this user: sealing waits for an administrator's login
    keys = replace(keys, signing=signing)
    put_slot(user, passphrase, keys.without_legacy().pack(), inst.local_key_id or "")
    db.session.commit()
    return keys


def legacy_slots() -> int:
    """How many slots still hold the bare pre-0009 station data key."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(KeySlot)
                                 .where(sa.func.length(KeySlot.slot) == LEGACY_SLOT_SIZE)) or 0)


def finish_upgrade() -> None:
    """Once no old slot is left, drop what only the old station key opened (no commit)."""
    inst = installation.find()
    if inst is None or inst.role != "station" or inst.upgrade_stash is None and (
            inst.signing_key_wrapped is None):
        return
    db.session.flush()
    if legacy_slots() == 0:
        inst.upgrade_stash = None
        inst.signing_key_wrapped = None
