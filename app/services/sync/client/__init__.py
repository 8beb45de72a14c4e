"""The station's sync client. The package is the API (``sync_client.sync()``); each module holds one part:

- :mod:`.transport`   HTTP(S) to central, TLS pinning, signed request headers (no records, no protocol)
- :mod:`.enrolment`   enrol with a single-use code
- :mod:`.push`        ask what central holds, upload the rest, settle receipts
- :mod:`.pull`        signed questionnaire versions and key updates
- :mod:`.bundles`     USB bundle files
- :mod:`.report`      ``status --json`` and the last result
- :mod:`.background`  the timer thread that syncs by itself (run.py)
- :mod:`.page`        what the Sync page shows and does
"""

from app.services.records import pending_count
from app.services.sync.client.bundles import export_bundle
from app.services.sync.client.enrolment import enrol
from app.services.sync.client.pull import pull_updates
from app.services.sync.client.push import SyncSummary, sync
from app.services.sync.client.report import status
from app.services.sync.client.transport import check_url

__all__ = ["SyncSummary", "check_url", "enrol", "export_bundle", "pending_count",
           "pull_updates", "status", "sync"]
