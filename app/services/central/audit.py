"""Central's audit log: append-only, hash-chained and authenticated with a key outside the database.

Each entry's ``hash`` is SHA-256 over the previous entry's hash followed by the
canonical JSON of the entry's own fields (id, time, user, action, record id,
detail); the first entry's ``prev_hash`` is 64 zeros. Each entry's ``mac`` is
HMAC-SHA256 of that hash under the *audit key*, which is derived from the
instance config's ``secret_key`` and never stored in the database. So someone
who can write to the database but has not read the config can edit, insert or
reorder entries only by breaking a MAC: recomputing the SHA-256 chain is not
enough. :func:`check_chain` walks the log in id order and names the first entry
that does not fit, and why.

What MACs cannot show is the newest entries cut off at the end. For that,
:func:`make_checkpoint` signs the chain head (entry id and hash) with this host's
service key, certified by central's identity key (services/central/host.py; the
certificate goes into the file), as a small JSON file to keep off the server; checking the log
against a checkpoint (:func:`check_chain` with ``checkpoint=``) also demands
that the checkpointed entry is still there, unchanged, at its position. Since
its hash covers every entry before it, a checkpoint also catches a rewrite of
anything up to it by someone who holds the config (and so the audit key).
docs/keys.md ("Audit log") says who can do what.

Appends are serialised so the chain never forks, even with several workers:
each entry takes the next id after the last one (the primary key refuses a
second entry with the same id, and the loser retries on the new last entry,
inside a savepoint, so the action it records stays pending with it), and on
PostgreSQL a transaction-scoped advisory lock makes appenders queue instead of
retrying. An entry commits together with whatever its caller left pending, so
an audited change and its entry are one transaction.

On PostgreSQL the web tier's role may only INSERT and SELECT this table
(:mod:`.audit_grants`, ``flask audit grants``).

Appending, checking, checkpoints and the legacy seal stay in this one module: they
all depend on the exact bytes an entry's hash and MAC cover, and kept together a
change to that format cannot miss one of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from app.crypto import BadSignature, CryptoError, fingerprint, sign, verify
from app.extensions import db
from app.models import AuditEntry
from app.models.types import utcnow
from app.protocol.identity import certified_key
from app.protocol.messages import ProtocolError
from app.services import installation
from app.services.accounts import events as account_events
from app.services.errors import AuditCheckpointInvalid, AuditCheckpointRefused, AuditFailed

GENESIS = "0" * 64
MAX_DETAIL = 200
MAX_ATTEMPTS = 20
# Any constant will do: it names "the audit log" among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x7469_7061_7564  # "tipaud"

# What is recorded. Records and stations:
OPEN = "open"
IMPORT = "import"
ENROL_CODE = "enrol_code"
REVOKE = "revoke"
FACTS_REBUILD = "facts_rebuild"  # records opened to derive their de-identified facts (facts.py)
# People (written when app/services/accounts announces them; see init_app):
ACCOUNT_CREATED = account_events.CREATED
ACCOUNT_SWITCHED_OFF = account_events.SWITCHED_OFF
ACCOUNT_SWITCHED_ON = account_events.SWITCHED_ON
PASSPHRASE_RESET = account_events.PASSPHRASE_RESET
LOCK_ALL = account_events.LOCK_ALL
# Keys: a station re-keyed by an administrator (code issued, then redeemed).
STATION_REKEY = "station_rekey"
# Central's own keys (flask keys ...; services/central/keys.py and host.py):
KEY_ROTATED = "key_rotate"  # a new record key for central (same name and value as main)
KEY_RING = "key_ring"  # central's keys moved from the legacy layout into custodians' slots
HOST_CERTIFY = "host_certify"  # a host's service signing key certified by the identity key
FACTS_KEY = "key_ring_facts"  # central's facts key made, for a central from before facts
# The referral directory (services/central/directory.py): each change is a new signed version.
DIRECTORY_ADD = "directory_add"
DIRECTORY_EDIT = "directory_edit"
DIRECTORY_RETIRE = "directory_retire"
# Exports (de-identified or full):
EXPORT = "export"  # an export started: who, filters, kind, format, count (exports/produce.py)
EXPORT_DONE = "export_done"  # its file complete (SHA-256, size), or stopped
# Cases and referrals (services/central/cases.py, partners.py, packages.py). No free text
# of a referral ever goes into an entry: only ids and statuses.
ORGANISATION_KEY = "organisation_key"  # an organisation's key made, for its first case worker
CASE_ASSIGN = "case_assign"
CASE_STATUS = "case_status"
REFERRAL = "referral"
REFERRAL_ACCEPT = "referral_accept"
REFERRAL_DECLINE = "referral_decline"
REFERRAL_SERVICE = "referral_service"
REFERRAL_NOTE = "referral_note"
REFERRAL_CLOSE = "referral_close"
REFERRAL_READ = "referral_read"  # a case worker opened a referral's shared part
PACKAGE_EXPORT = "package_export"  # a cross-border referral package written
# The log itself: entries from before MACs authenticated (flask audit seal-legacy).
LEGACY_SEALED = "audit_sealed"

SYSTEM_ACTOR = "(system)"

_MAC_KEY_LABEL = b"tip-screen/v1/audit-mac-key"
_MAC_LABEL = b"tip-screen/v1/audit-entry\n"
CHECKPOINT_FORMAT = "tip-screen/audit-checkpoint/v1"
_CHECKPOINT_LABEL = b"tip-screen/v1/audit-checkpoint\n"
MAX_CHECKPOINT_BYTES = 4096

# Why an entry does not fit (ChainCheck.problem).
LINK = "link"              # its prev_hash is not the hash of the entry before: removed, inserted, moved
CONTENT = "content"        # its fields do not give its hash: edited
NO_MAC = "no_mac"          # written before MACs and not sealed, or its MAC was erased
BAD_MAC = "bad_mac"        # written or rewritten without the audit key
CHECKPOINT = "checkpoint"  # the checkpointed entry is gone or different: cut off or rewritten

PROBLEMS = {
    LINK: "does not follow the entry before it (an entry was removed, inserted or moved)",
    CONTENT: "does not match its own hash (it was edited)",
    NO_MAC: "has no MAC (written before MACs and never sealed, or its MAC was erased)",
    BAD_MAC: "has a MAC that does not verify (written or rewritten without the audit key)",
    CHECKPOINT: "is missing or differs from the checkpoint (entries were cut off or rewritten)",
}


def _at_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, *, id: int, at: datetime, username: str, action: str,
               record_id: str | None, detail: str) -> str:
    fields = {"id": id, "at": _at_text(at), "username": username, "action": action,
              "record_id": record_id, "detail": detail}
    return hashlib.sha256((prev_hash + _canonical(fields)).encode("utf-8")).hexdigest()


def _hash_of(entry: Any) -> str:
    return entry_hash(entry.prev_hash, id=entry.id, at=entry.at, username=entry.username,
                      action=entry.action, record_id=entry.record_id, detail=entry.detail)


def mac_key(secret_key: str) -> bytes:
    """The audit key: HMAC-SHA256(secret_key, label). It exists only where the config is read."""
    return hmac.new(secret_key.encode("utf-8"), _MAC_KEY_LABEL, hashlib.sha256).digest()


def entry_mac(key: bytes, hash_hex: str) -> str:
    """An entry's MAC: HMAC-SHA256 under the audit key of a label and the entry's hash (hex)."""
    return hmac.new(key, _MAC_LABEL + hash_hex.encode("ascii"), hashlib.sha256).hexdigest()


def _current_key() -> bytes:
    return mac_key(current_app.config["TIP"].secret_key)


def _serialise_appends() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def record(username: str, action: str, record_id: str | None = None, detail: str = "") -> AuditEntry:
    """Append one entry and commit it (with anything else pending in this session).

    Raises :class:`AuditFailed` if the entry could not be written: the caller
    must then not do or show what was to be recorded.
    """
    detail = detail[:MAX_DETAIL]
    key = _current_key()
    db.session.flush()  # the caller's pending changes: their errors are theirs, not a busy log
    for _attempt in range(MAX_ATTEMPTS):
        try:
            with db.session.begin_nested():
                _serialise_appends()
                last = db.session.execute(
                    sa.select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
                next_id, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
                at = utcnow()
                entry = AuditEntry(id=next_id, at=at, username=username[:64], action=action[:32],
                                   record_id=record_id, detail=detail, prev_hash=prev)
                entry.hash = entry_hash(prev, id=next_id, at=at, username=entry.username,
                                        action=entry.action, record_id=record_id, detail=detail)
                entry.mac = entry_mac(key, entry.hash)
                db.session.add(entry)
            db.session.commit()
            return entry
        except IntegrityError:
            # Another worker appended meanwhile: the savepoint is gone, chain onto its entry instead.
            continue
    raise AuditFailed("the audit log is too busy; nothing was recorded")


def _on_account_event(_app: Flask, *, action: str, actor: str | None, subject: str,
                      detail: str = "", **_: Any) -> None:
    text = f"{subject}: {detail}" if subject and detail else subject or detail
    record(actor or SYSTEM_ACTOR, action, detail=text)


def init_app(app: Flask) -> None:
    """Central: record what the account services announce (create, switch off/on, reset, lock all)."""
    account_events.account_event.connect(_on_account_event, sender=app)


# -- checking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A signed chain head, as read back from a checkpoint file (signature already checked)."""

    entry_id: int
    entry_hash: str
    entry_at: str
    made_at: str
    signing_key: str  # fingerprint of central's identity key (which certified the signing host)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    first_bad_id: int | None
    entries: int
    problem: str | None = None  # one of PROBLEMS' keys when not ok
    checkpoint_id: int | None = None  # the checkpointed entry that was found as it was

    @property
    def explanation(self) -> str:
        if self.ok:
            return ""
        return f"entry {self.first_bad_id} {PROBLEMS.get(self.problem or '', self.problem)}"


_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.username, AuditEntry.action, AuditEntry.record_id,
            AuditEntry.detail, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.mac)


def _walk(page: int = 1000) -> Iterator[Any]:
    """Every entry in id order as plain rows, a page at a time (no ORM objects kept, no cursor left open)."""
    after = None
    while True:
        query = sa.select(*_COLUMNS).order_by(AuditEntry.id).limit(page)
        if after is not None:
            query = query.where(AuditEntry.id > after)
        rows = db.session.execute(query).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id


def _problem(entry: Any, prev: str, key: bytes) -> str | None:
    if entry.prev_hash != prev:
        return LINK
    if entry.hash != _hash_of(entry):
        return CONTENT
    if entry.mac is None:
        return NO_MAC
    if not hmac.compare_digest(str(entry.mac), entry_mac(key, entry.hash)):
        return BAD_MAC
    return None


def check_chain(checkpoint: Checkpoint | None = None) -> ChainCheck:
    """Every entry links to the one before, matches its hash and carries a valid MAC; with a
    checkpoint, the checkpointed entry is also still there with the checkpointed hash."""
    key = _current_key()
    prev = GENESIS
    count = 0
    found = None
    for entry in _walk():
        count += 1
        problem = _problem(entry, prev, key)
        if problem is None and checkpoint is not None and entry.id >= checkpoint.entry_id and found is None:
            if entry.id != checkpoint.entry_id or entry.hash != checkpoint.entry_hash:
                problem = CHECKPOINT
            else:
                found = entry.id
        if problem is not None:
            return ChainCheck(False, entry.id, count, problem)
        prev = entry.hash
    if checkpoint is not None and found is None:
        return ChainCheck(False, checkpoint.entry_id, count, CHECKPOINT)
    return ChainCheck(True, None, count, checkpoint_id=found)


def entries(limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    """The newest entries first (a page of at most ``limit``)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))


# -- checkpoints -------------------------------------------------------------------------
# Checkpoints and sealing are command-line work on the server: their messages are English,
# as every CLI message is (the pages never raise these).


def _signed_bytes(fields: dict[str, Any]) -> bytes:
    return _CHECKPOINT_LABEL + _canonical(fields).encode("utf-8")


def _signing_fingerprint() -> str:
    return fingerprint(installation.get_central().signing_public_key or b"")


def make_checkpoint(signing_key: bytes, certificate: dict[str, Any] | None) -> bytes:
    """The chain head signed with this host's service key (``signing_key``, vouched for by
    ``certificate`` from central's identity key: services/central/host.py), as a small JSON
    document (UTF-8 bytes). ``certificate`` None: a central not yet moved to the key ring,
    signing with its legacy key, which is the identity key itself.

    Refused (:class:`AuditCheckpointRefused`) when the log is empty or does not
    verify: signing a damaged chain would vouch for it.
    """
    check = check_chain()
    if not check.ok:
        raise AuditCheckpointRefused(f"The audit log does not verify (entry {check.first_bad_id}), "
                                     "so no checkpoint was made.")
    head = db.session.execute(sa.select(AuditEntry.id, AuditEntry.hash, AuditEntry.at)
                              .order_by(AuditEntry.id.desc()).limit(1)).first()
    if head is None:
        raise AuditCheckpointRefused("The audit log is empty: there is nothing to checkpoint.")
    fields = {"format": CHECKPOINT_FORMAT, "installation": installation.get_central().name,
              "entry_id": int(head.id), "entry_hash": str(head.hash), "entry_at": _at_text(head.at),
              "made_at": _at_text(utcnow()), "signing_key": _signing_fingerprint()}
    if certificate is not None:
        fields["host_certificate"] = certificate
    signature = sign(signing_key, _signed_bytes(fields))
    document = {**fields, "signature": base64.b64encode(signature).decode("ascii")}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def read_checkpoint(data: bytes) -> Checkpoint:
    """A checkpoint file, checked: well-formed and signed by a host this central's identity key
    certified (the certificate valid when the checkpoint was made), or by the identity key itself."""
    invalid = "This is not a tip-screen audit checkpoint."
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise AuditCheckpointInvalid(invalid)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AuditCheckpointInvalid(invalid) from None
    if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
        raise AuditCheckpointInvalid(invalid)
    fields = {k: v for k, v in document.items() if k != "signature"}
    entry_id, entry_hash_hex = fields.get("entry_id"), fields.get("entry_hash")
    if not isinstance(entry_id, int) or isinstance(entry_id, bool) or entry_id < 1 \
            or not isinstance(entry_hash_hex, str) or not _HASH_RE.match(entry_hash_hex) \
            or not all(isinstance(fields.get(k), str) for k in ("entry_at", "made_at", "signing_key")):
        raise AuditCheckpointInvalid(invalid)
    if fields["signing_key"] != _signing_fingerprint():
        raise AuditCheckpointInvalid(f"This checkpoint was signed by another key ({fields['signing_key']}) "
                                     f"than this central's signing key ({_signing_fingerprint()}).")
    identity = installation.get_central().signing_public_key or b""
    try:
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
        certificate = fields.get("host_certificate")
        key = identity if certificate is None else \
            certified_key(certificate, identity, datetime.fromisoformat(fields["made_at"]))
        verify(key, _signed_bytes(fields), signature)
    except (binascii.Error, ValueError, BadSignature, CryptoError, ProtocolError):
        raise AuditCheckpointInvalid("This checkpoint's signature does not verify: the file was "
                                     "changed or was not made by this central.") from None
    return Checkpoint(entry_id=entry_id, entry_hash=entry_hash_hex, entry_at=fields["entry_at"],
                      made_at=fields["made_at"], signing_key=fields["signing_key"])


# -- entries from before MACs ---------------------------------------------------------------


def seal_legacy(username: str) -> int:
    """Authenticate the entries written before revision 0007 (no MAC yet), once, after the upgrade.

    Only a leading run of entries without a MAC is sealed, and only if the
    whole hash chain is intact; the sealing itself is recorded. Returns how
    many entries were sealed (0: nothing to do). Run it as the database owner:
    the web tier's role cannot update audit rows.
    """
    key = _current_key()
    prev = GENESIS
    legacy: list[tuple[int, str]] = []
    authenticated = False
    for entry in _walk():
        if entry.prev_hash != prev or entry.hash != _hash_of(entry):
            raise AuditCheckpointRefused(f"The audit log's hash chain is broken at entry {entry.id}; "
                                         "nothing was sealed.")
        authenticated = authenticated or entry.mac is not None
        if entry.mac is None:
            if authenticated:
                raise AuditCheckpointRefused(f"Entry {entry.id} has no MAC but comes after authenticated "
                                             "entries; nothing was sealed.")
            legacy.append((int(entry.id), str(entry.hash)))
        prev = entry.hash
    if not legacy:
        return 0
    for entry_id, hash_hex in legacy:
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == entry_id)
                           .values(mac=entry_mac(key, hash_hex)))
    record(username, LEGACY_SEALED, detail=f"entries {legacy[0][0]} to {legacy[-1][0]}, written before MACs")
    return len(legacy)
