"""Central: what stations pull, signed by this host's certified key: questionnaire versions,
the current record and facts keys (each with the identity key's own statement naming it) and
the newest referral directory (the identity key's own statement too).

Only what the station lacks is sent: it says which questionnaire versions it holds and
which record key it seals to and which directory version it holds (in its signed request),
and gets the other versions, the key if central's is another, the directory if central's is
newer; nothing at all (None: 204) when it has it all.
(The station needs nothing else, so nothing else is sent: docs/sync.md, "Pull".)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.protocol.messages import b64
from app.services import installation, questionnaires
from app.services.central import cases as central_cases
from app.services.central import directory as central_directory
from app.services.central import host as central_host
from app.services.central import keys as central_keys


def signed_updates(held: Mapping[str, Sequence[str]], central_key_id: str | None,
                   facts_key_id: str | None = None, directory_version: int = 0, *,
                   station_id: str = "", referrals_seen: int = 0) -> dict[str, Any] | None:
    """``held``: questionnaire id -> the versions the station has. None when nothing is new."""
    inst = installation.get_central()
    assert inst.central_public_key is not None  # noqa: S101
    items = []
    for definition in questionnaires.all_definitions():
        if definition.path is None or definition.version in held.get(definition.id, ()):
            continue
        items.append({"id": definition.id, "version": definition.version,
                      "yaml": definition.path.read_text(encoding="utf-8")})
    payload: dict[str, Any] = {"questionnaires": items}
    if central_key_id != inst.central_key_id:
        # The record key comes with the identity key's own statement: a host key can sign
        # updates, but only the identity key (in custodians' slots) can name a record key.
        payload["keys"] = {"central_public_key": b64(inst.central_public_key),
                           "central_key_id": inst.central_key_id,
                           "fingerprint": central_keys.public_fingerprint(),
                           "record_key_statement": central_keys.record_key_statement()}
    facts = central_keys.facts_key_statement() if facts_key_id != inst.facts_key_id else None
    if facts is not None:
        payload["facts_key_statement"] = facts  # the identity key's own word, as for the record key
    if central_directory.current_version() > directory_version:
        payload["referral_directory"] = central_directory.newest_statement()
    # The referrals of the station's own records that changed since it last heard: ids, status, time.
    statuses = central_cases.feedback_for(station_id, referrals_seen) if station_id else []
    if statuses:
        payload["referral_statuses"] = statuses
    if not items and "keys" not in payload and facts is None and "referral_directory" not in payload \
            and not statuses:
        return None
    return central_host.sign(payload)
