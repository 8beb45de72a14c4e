"""Station: the referral directory central signed, taken by pull or from a carried file.

A directory is taken only if central's identity key (pinned at enrolment) signed it and its
version is newer than the one held; anything else is refused with the reason and changes
nothing. The newest version taken replaces the shipped hotline list and offers its
organisations in the interview (docs/referrals.md); a station that never took one uses the
shipped ``directory.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import DirectoryVersion
from app.models.types import utcday
from app.protocol.directory import ANSWER_FORMAT, FILE_FORMAT, Organisation, organisations_from
from app.protocol.identity import open_directory_statement
from app.protocol.messages import ProtocolError, canonical, load_json
from app.services import installation
from app.services.errors import ValidationFailed

MAX_FILE_BYTES = 8 * 1024 * 1024
FROM_PULL = "pull"
FROM_FILE = "file"


class DirectoryRefused(ValidationFailed):
    """A directory that is not taken: not central's, damaged, or not newer than the one held."""


@dataclass(frozen=True)
class SignedDirectory:
    version: int
    issued_at: str
    organisations: tuple[Organisation, ...]

    def by_id(self, org_id: str) -> Organisation | None:
        return next((o for o in self.organisations if o.id == org_id), None)


def held_version() -> int:
    """The newest version this station took (0: none; it uses the shipped file)."""
    return int(db.session.scalar(sa.select(sa.func.max(DirectoryVersion.version))) or 0)


def _read(statement: object) -> SignedDirectory:
    identity = installation.get().central_signing_public_key
    if not identity:
        raise DirectoryRefused(_l("This station is not enrolled with central, so it cannot check "
                                  "central's signature on the directory. Nothing was changed."))
    try:
        payload = open_directory_statement(statement, identity)
        found = organisations_from(payload["organisations"])
    except ProtocolError as exc:
        raise DirectoryRefused(_l("The referral directory was not signed by this station's central, or "
                                  "it is damaged (%(why)s). Nothing was changed.", why=str(exc))) from None
    return SignedDirectory(int(payload["version"]), str(payload["issued_at"]), found)


def take(statement: object, *, source: str) -> int:
    """Check and store a signed directory; its version. DirectoryRefused: nothing changed."""
    read = _read(statement)
    held = held_version()
    if read.version <= held:
        raise DirectoryRefused(_l("This referral directory is version %(offered)d; this station has "
                                  "version %(held)d already. An older or the same version is not taken. "
                                  "Nothing was changed.", offered=read.version, held=held))
    # The day only, like every clear time on a station (docs/keys.md, "Every clear column").
    db.session.add(DirectoryVersion(version=read.version, statement=canonical(statement).decode(),
                                    made_by=source, created_at=utcday()))
    try:
        db.session.commit()
    except IntegrityError:  # another process took this very version a moment ago
        db.session.rollback()
        raise DirectoryRefused(_l("This station took referral directory version %(version)d already. "
                                  "Nothing was changed.", version=read.version)) from None
    if has_request_context():
        g.pop(_REQUEST_MEMO, None)  # this request now sees the new one
    return read.version


def take_file(data: bytes) -> int:
    """A directory file (``flask directory export`` at central) or a bundle answer file
    (``flask bundle import --answer``): check and store the directory it carries."""
    if len(data) > MAX_FILE_BYTES:
        raise DirectoryRefused(_l("This file is too large to be a referral directory. Nothing was changed."))
    try:
        content = load_json(data, "the file")
    except ProtocolError:
        content = None
    kind = content.get("format") if isinstance(content, dict) else None
    if kind == FILE_FORMAT and isinstance(content, dict):
        statement = content.get("statement")
    elif kind == ANSWER_FORMAT and isinstance(content, dict):
        if content.get("station_id") != installation.get().station_id:
            raise DirectoryRefused(_l("This answer file was made for another station. Nothing was changed."))
        statement = content.get("referral_directory")
        if statement is None:
            raise DirectoryRefused(_l("This answer file carries no referral directory (central has none "
                                      "yet). Nothing was changed."))
    else:
        raise DirectoryRefused(_l("This is not a referral directory file or a bundle answer file from "
                                  "central. Nothing was changed."))
    return take(statement, source=FROM_FILE)


_REQUEST_MEMO = "tip_directory_newest"


def newest() -> SignedDirectory | None:
    """The newest directory taken (read again only when a newer one was taken, by any process),
    asked once per request: an autosave needs it for the record's definition two or three times."""
    if not has_request_context():
        return _newest()
    if _REQUEST_MEMO not in g:
        setattr(g, _REQUEST_MEMO, _newest())
    found: SignedDirectory | None = g.get(_REQUEST_MEMO)
    return found


# Built once: SQLAlchemy keeps a kept statement's cache key (a new one's is worked out again).
_NEWEST_VERSION = sa.select(sa.func.max(DirectoryVersion.version))


def _newest() -> SignedDirectory | None:
    # Every interview page and autosave asks: only the number, the statement when it changed.
    version = db.session.connection().scalar(_NEWEST_VERSION)
    if version is None:
        return None
    cached: SignedDirectory | None = current_app.extensions.get("tip_signed_directory")
    if cached is not None and cached.version == version:
        return cached
    row = db.session.get(DirectoryVersion, version)
    if row is None:
        return None  # removed between the two reads: none held now
    # Checked when it was taken; read here without the signature (the row is this station's own).
    payload = json.loads(row.statement)["payload"]
    organisations = organisations_from(payload["organisations"])
    found = SignedDirectory(row.version, str(payload["issued_at"]), organisations)
    current_app.extensions["tip_signed_directory"] = found
    return found
