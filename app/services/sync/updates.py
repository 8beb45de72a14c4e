"""Central: what stations pull, signed by central: questionnaire versions and the current key.

(The station keeps a questionnaire version it does not have yet and that validates; it
needs nothing else, so nothing else is sent: docs/sync.md, "Pull".)"""

from __future__ import annotations

from typing import Any

from app.crypto import fingerprint
from app.protocol.messages import b64, sign_statement
from app.services import installation, questionnaires
from app.services.central import keys as central_keys


def signed_updates() -> dict[str, Any]:
    inst = installation.get_central()
    assert inst.central_public_key is not None  # noqa: S101
    items = []
    for definition in questionnaires.all_definitions():
        if definition.path is None:
            continue
        items.append({"id": definition.id, "version": definition.version,
                      "yaml": definition.path.read_text(encoding="utf-8")})
    payload = {
        "questionnaires": items,
        "keys": {"central_public_key": b64(inst.central_public_key),
                 "central_key_id": inst.central_key_id,
                 "fingerprint": fingerprint(inst.central_public_key)},
    }
    return sign_statement(payload, central_keys.signing_key())
