"""Central: what stations pull, signed by this host's certified key: questionnaire versions and
the current record key (with the identity key's own statement naming it).

(The station keeps a questionnaire version it does not have yet and that validates; it
needs nothing else, so nothing else is sent: docs/sync.md, "Pull".)"""

from __future__ import annotations

from typing import Any

from app.protocol.messages import b64
from app.services import installation, questionnaires
from app.services.central import host as central_host
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
        # The record key comes with the identity key's own statement: a host key can sign
        # updates, but only the identity key (in custodians' slots) can name a record key.
        "keys": {"central_public_key": b64(inst.central_public_key),
                 "central_key_id": inst.central_key_id,
                 "fingerprint": central_keys.public_fingerprint(),
                 "record_key_statement": central_keys.record_key_statement()},
    }
    return central_host.sign(payload)
