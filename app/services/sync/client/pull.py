"""Station side of the pull: new questionnaire versions and key updates, signed by central."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import key_id
from app.models import Installation
from app.protocol.messages import ProtocolError, open_statement, unb64
from app.questionnaire import DefinitionError, load_yaml, validate_data
from app.services import questionnaires
from app.services.errors import SyncFailed
from app.services.records import set_central_key
from app.services.sync.client.transport import request


def pull_updates(inst: Installation) -> int:
    """New questionnaire versions and key updates, accepted only with central's signature."""
    answer = request(inst, inst.central_url or "", "GET", "/api/v1/updates", sign_as=inst)
    try:
        payload = open_statement(answer, inst.central_signing_public_key or b"")
    except ProtocolError:
        raise SyncFailed(_l("Central's updates were not signed correctly. Nothing was changed.")) from None
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
    keys = payload.get("keys") or {}
    new_id = keys.get("central_key_id") if isinstance(keys, dict) else None
    if new_id and new_id != inst.central_key_id:
        public = unb64(keys.get("central_public_key"), "central key", max_len=100)
        if key_id(public) == keys.get("central_key_id"):
            set_central_key(public, key_id(public))
    return added
