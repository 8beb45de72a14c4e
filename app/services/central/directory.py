"""Central: the referral directory administrators edit, each change a new signed version.

Every add, edit or retirement takes the newest version's organisations, changes one, and
stores the whole list again as the next version, signed by central's identity key (so the
administrator's session must have central's keys open: the custody key is in their slot).
Nothing is ever deleted: a retired organisation stays in the directory, marked, so stations
still name it on old referrals. Each change is one audit entry, committed with it.
See docs/referrals.md.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.crypto import CryptoError, fingerprint
from app.extensions import db
from app.models import DirectoryVersion
from app.models.types import utcnow
from app.protocol.directory import (
    ANSWER_FORMAT,
    FILE_FORMAT,
    FILE_VERSION,
    Organisation,
    organisations_from,
    to_json,
)
from app.protocol.identity import make_directory_statement
from app.protocol.messages import ProtocolError, b64, canonical, unb64
from app.services.central import audit
from app.services.central import keys as central_keys
from app.services.errors import NotFound, ValidationFailed

_ATTEMPTS = 5


def _newest() -> DirectoryVersion | None:
    return db.session.scalar(sa.select(DirectoryVersion).order_by(DirectoryVersion.version.desc()).limit(1))


def current_version() -> int:
    """The newest version's number (0: no directory made here yet)."""
    return int(db.session.scalar(sa.select(sa.func.max(DirectoryVersion.version))) or 0)


def _organisations_of(row: DirectoryVersion | None) -> tuple[Organisation, ...]:
    if row is None:
        return ()
    return organisations_from(json.loads(row.statement)["payload"]["organisations"])


def organisations() -> tuple[Organisation, ...]:
    """The newest version's organisations (retired ones too), in the order they were added."""
    return _organisations_of(_newest())


def organisation(org_id: str) -> Organisation:
    found = next((o for o in organisations() if o.id == org_id), None)
    if found is None:
        raise NotFound(_l("No such organisation in the directory."))
    return found


def newest_statement() -> dict[str, Any] | None:
    """What stations take: the newest version as the identity key signed it."""
    row = _newest()
    return None if row is None else dict(json.loads(row.statement))


def key_and_fingerprint(public_key: str, typed_fingerprint: str) -> tuple[str, str]:
    """A partner organisation's public key as given (base64 X25519, or nothing) and its
    fingerprint; a fingerprint typed in (read out by the organisation) must be the key's."""
    text = public_key.strip()
    if not text:
        if typed_fingerprint.strip():
            raise ValidationFailed(_l("A fingerprint needs the public key it belongs to."))
        return "", ""
    try:
        key = unb64(text, "public key", max_len=100)
        made = fingerprint(key)
    except (ProtocolError, CryptoError):
        raise ValidationFailed(_l("The public key is not a 32-byte X25519 key in base64.")) from None
    wanted = typed_fingerprint.strip().upper()
    if wanted and wanted != made:
        raise ValidationFailed(_l("The fingerprint does not match the public key (it is %(made)s). "
                                  "Check both with the organisation.", made=made))
    return b64(key), made


def _checked(items: list[dict[str, Any]]) -> None:
    """The form checks each field; this is the last word, the stations' own check."""
    try:
        organisations_from(items)
    except ProtocolError as exc:
        raise ValidationFailed(_l("The organisation cannot be stored as it is (%(why)s). Nothing was "
                                  "saved.", why=str(exc))) from None


def _change(custody: bytes, username: str, action: str, apply: Callable[[list[Organisation]], str]) -> int:
    """Apply one change to the newest organisations and store them as the next version, signed
    and audited in one transaction; if another change took that number first, apply it again
    on top of that one."""
    identity = central_keys.identity_private(custody)  # Locked: this session cannot sign
    for _attempt in range(_ATTEMPTS):
        row = _newest()
        listed = list(_organisations_of(row))
        detail = apply(listed)
        items = [to_json(o) for o in listed]
        _checked(items)  # what stations will check, checked before anything is signed
        version = (row.version if row else 0) + 1
        now = utcnow()
        statement = make_directory_statement(identity, version, now, items)
        try:
            with db.session.begin_nested():
                db.session.add(DirectoryVersion(version=version, statement=canonical(statement).decode(),
                                                created_at=now, made_by=username[:64]))
        except IntegrityError:
            continue
        audit.record(username, action, detail=f"directory version {version}: {detail}")
        return version
    raise ValidationFailed(_l("The directory is being changed by someone else right now. Nothing was "
                              "saved: try again."))


def add(custody: bytes, org: Organisation, *, username: str) -> tuple[str, int]:
    """A new organisation (its id made here); returns (id, the new version)."""
    new = replace(org, id=f"o-{secrets.token_hex(6)}", retired=False)

    def apply(listed: list[Organisation]) -> str:
        listed.append(new)
        return f"added {new.id}"

    return new.id, _change(custody, username, audit.DIRECTORY_ADD, apply)


def edit(custody: bytes, org_id: str, org: Organisation, *, username: str) -> int:
    """Replace what is said of one organisation (its id and retirement stay as they are)."""

    def apply(listed: list[Organisation]) -> str:
        for n, old in enumerate(listed):
            if old.id == org_id:
                listed[n] = replace(org, id=org_id, retired=old.retired)
                return f"edited {org_id}"
        raise NotFound(_l("No such organisation in the directory."))

    return _change(custody, username, audit.DIRECTORY_EDIT, apply)


def retire(custody: bytes, org_id: str, *, username: str) -> int | None:
    """Stop offering an organisation (it stays, marked retired). None: it was retired already."""
    if organisation(org_id).retired:
        return None

    def apply(listed: list[Organisation]) -> str:
        for n, old in enumerate(listed):
            if old.id == org_id:
                listed[n] = replace(old, retired=True)
        return f"retired {org_id}"

    return _change(custody, username, audit.DIRECTORY_RETIRE, apply)


def made_at(version: int) -> datetime | None:
    row = db.session.get(DirectoryVersion, version)
    return None if row is None else row.created_at


# -- files an administrator carries -----------------------------------------------------------

def export_file() -> bytes:
    """The newest signed directory as a file for ``flask directory import`` on a station."""
    statement = newest_statement()
    if statement is None:
        raise NotFound(_l("There is no directory yet: add an organisation first."))
    return _file({"format": FILE_FORMAT, "v": FILE_VERSION, "statement": statement})


def answer_file(station_id: str) -> bytes:
    """The answer to a station's USB bundle: what it would have pulled (the signed directory),
    for ``flask bundle answer`` on that station (docs/sync.md, "USB bundles")."""
    return _file({"format": ANSWER_FORMAT, "v": FILE_VERSION, "station_id": station_id,
                  "made_at": utcnow().isoformat(timespec="seconds"),
                  "referral_directory": newest_statement()})


def _file(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")
