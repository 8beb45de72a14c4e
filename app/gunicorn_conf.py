"""gunicorn settings for central: ``gunicorn -c python:app.gunicorn_conf ... 'app:create_app()'``.

create_app starts no thread (tests, the CLI and other servers get none), so each gunicorn
worker starts the housekeeping timer itself once it has loaded the app: dead sessions and
their wrapped keys are then swept every 30 s even when no request comes in, and starts
reading the facts index (the dashboard's counts) so that the first coordinator does not wait;
the questionnaire definitions (which ingest checks facts against) are parsed before the
worker takes its first request.

Each worker serves requests on several threads: when more stations push at once than
central admits (``ingest_slots``, app/services/sync/admission.py), the others are answered
503 with Retry-After straight away instead of waiting behind the uploads in the listen queue
until their client gives up.
"""

from __future__ import annotations

from typing import Any

worker_class = "gthread"
threads = 8


def post_worker_init(worker: Any) -> None:
    from app.services import housekeeping, questionnaires
    from app.services.analytics import index

    housekeeping.start(worker.wsgi)
    with worker.wsgi.app_context():  # parsed once here, not in the first sync request's time
        questionnaires.all_definitions()
    index.preload(worker.wsgi)  # the dashboard's counts, read in the background
