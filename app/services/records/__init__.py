"""A station's screening records: every answer, name and outcome lives only inside an envelope.

The package is the API (``records.create(...)``); each module holds one part:

- :mod:`.store`      how a record is encrypted, loaded and saved (compare-and-swap)
- :mod:`.drafts`     start, save answers, switch languages, discard
- :mod:`.sealing`    finalise, score, seal to central and sign
- :mod:`.outbox`     what waits for central, receipts, what central would not take
- :mod:`.retention`  after receipt and retention, unreadable here
- :mod:`.listing`    the officer's list
- :mod:`.rewrap`     upgrading from one station key: old rows re-wrapped to their people
"""

from app.services.records.drafts import (
    TEXT_TYPES,
    SaveResult,
    create,
    definition_for,
    discard,
    mark_demo,
    open_record,
    save_answers,
    set_languages,
    unsaved_answers_key,
)
from app.services.records.listing import ListState, Summary, list_for
from app.services.records.outbox import (
    in_outbox,
    outbox,
    pending_count,
    record_receipt,
    record_receipts,
    retry_sync_problems,
    sync_problems,
)
from app.services.records.retention import central_now, checkpoint, follow_clock, purge_expired
from app.services.records.sealing import (
    MIN_OVERRIDE_REASON,
    after_unlock,
    finalise,
    outcome_dict,
    seal_waiting,
    set_central_key,
)
from app.services.records.store import BODY_FORMAT, OpenRecord, can_open, decrypt_record

__all__ = [
    "BODY_FORMAT", "MIN_OVERRIDE_REASON", "TEXT_TYPES", "ListState", "OpenRecord", "SaveResult", "Summary",
    "after_unlock", "can_open", "central_now", "checkpoint", "create", "decrypt_record", "definition_for",
    "discard", "finalise", "follow_clock", "in_outbox", "list_for", "mark_demo", "open_record", "outbox",
    "outcome_dict", "pending_count", "purge_expired", "record_receipt", "record_receipts",
    "retry_sync_problems", "save_answers", "seal_waiting", "set_central_key", "set_languages",
    "sync_problems", "unsaved_answers_key",
]
