"""Station side of the pull: new questionnaire versions, key updates and the referral
directory, signed by central.

The station says what it holds (every questionnaire version, the record key id it seals
to, its directory version) in the signed request, and central answers only what changed, or 204 when nothing
did: an empty sync costs a few hundred bytes (docs/sync.md, "Pull")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, key_id
from app.extensions import db
from app.models import Installation
from app.models.types import day_of
from app.protocol.identity import open_central_statement, open_record_key_statement
from app.protocol.messages import ProtocolError, unb64
from app.questionnaire import DefinitionError, load_yaml, validate_data
from app.services import questionnaires, referrals
from app.services.errors import SyncFailed
from app.services.records import central_now, set_central_key
from app.services.sync.client.enrolment import take_facts_key
from app.services.sync.client.feedback import referrals_seen, take_statuses
from app.services.sync.client.transport import request


def pull_updates(inst: Installation) -> int:
    """New questionnaire versions and key updates, accepted only with central's signature."""
    answer = request(inst, inst.central_url or "", "POST", "/api/v1/updates", _held(inst), sign_as=inst)
    if answer is None:  # 204: nothing new (an unsigned "nothing" can change nothing here)
        return 0
    try:
        # By central's time (this clock moved by the offset central measured), not this clock's.
        payload = open_central_statement(answer, inst.central_signing_public_key or b"", central_now())
    except (ProtocolError, CryptoError):
        raise SyncFailed(_l("Central's updates were not signed correctly. Nothing was changed.")) from None
    directory = payload.get("referral_directory")
    if directory is not None:
        # Checked before anything else is taken: a directory refused changes nothing at all.
        try:
            referrals.take(directory, source=referrals.FROM_PULL)
        except referrals.DirectoryRefused as exc:
            raise SyncFailed(exc.message) from None
    added = 0
    target = Path(current_app.instance_path) / "questionnaires"
    for item in payload.get("questionnaires", []):
        if not isinstance(item, dict) or not isinstance(item.get("yaml"), str):
            continue
        if questionnaires.get(str(item.get("id")), str(item.get("version"))) is not None:
            continue
        try:
            if validate_data(load_yaml(item["yaml"])):
                continue
        except (yaml.YAMLError, DefinitionError):
            continue
        target.mkdir(parents=True, exist_ok=True)
        name = f"{item['id']}-{item['version']}.yaml".replace("/", "_")
        (target / name).write_text(item["yaml"], encoding="utf-8")
        added += 1
    if added:
        current_app.extensions.pop("tip_questionnaires", None)
    _take_record_key(inst, payload)
    take_facts_key(inst, payload.get("facts_key_statement"), inst.central_signing_public_key or b"")
    take_statuses(payload.get("referral_statuses"))
    db.session.commit()
    return added


def _held(inst: Installation) -> bytes:
    """The pull request's body: questionnaire id -> versions held here, and the record key id."""
    held: dict[str, list[str]] = {}
    for definition in questionnaires.all_definitions():
        held.setdefault(definition.id, []).append(definition.version)
    return json.dumps({"questionnaires": held, "central_key_id": inst.central_key_id,
                       "facts_key_id": inst.facts_key_id, "directory_version": referrals.held_version(),
                       "referrals_seen": referrals_seen()},
                      separators=(",", ":")).encode()


def _take_record_key(inst: Installation, payload: dict[str, Any]) -> None:
    """A new record key, only under the identity key's own signature (a host key signs the
    updates but cannot name a record key) and only if newer than the one in use. Later
    records are sealed to it; the Sync page says when it changed and to which key id."""
    keys = payload.get("keys") or {}
    new_id = keys.get("central_key_id") if isinstance(keys, dict) else None
    if not new_id or new_id == inst.central_key_id:
        return
    identity = inst.central_signing_public_key or b""
    try:
        if keys.get("record_key_statement") is not None:
            public, ident, since = open_record_key_statement(keys["record_key_statement"], identity)
        elif "host_certificate" not in payload:
            # A central from before the key ring: its identity key signed the whole answer.
            public = unb64(keys.get("central_public_key"), "central key", max_len=100)
            ident, since = key_id(public), day_of(datetime.now(UTC))  # clear times: the day
        else:
            return
    except (ProtocolError, CryptoError):
        return
    current = inst.central_key_since
    if ident != new_id or (current is not None and since <= current.replace(tzinfo=current.tzinfo or UTC)):
        return
    inst.central_key_since = since
    inst.central_key_changed_at = since
    db.session.flush()
    set_central_key(public, ident)
