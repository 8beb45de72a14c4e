"""Names vulture (tests/test_code_quality.py) counts as used although no Python in app/ reads them.

Each line says who does read it. Routes, CLI commands, context processors and
event listeners are left out by ``ignore_decorators`` in pyproject.toml. Before
adding a name here, check with grep (templates, tests, docs) that it is really
in use; if nothing reads it, delete it instead.
"""

# Read by the framework.
_.max_content_length  # Flask: the request's upload limit (app/central/routes.py, bundle import)
impl  # SQLAlchemy TypeDecorator (app/models/types.py)
cache_ok  # SQLAlchemy TypeDecorator
_.process_bind_param  # SQLAlchemy TypeDecorator
_.process_result_value  # SQLAlchemy TypeDecorator
_.session_expired  # flask.g, read as g.get("session_expired") (app/web/access.py)
profile  # the lru_cache key of users._dummy_hash: one dummy hash per KDF profile

# Read by templates (vulture does not read Jinja).
help  # Question.help: screening/section.html
screener_only  # Question.screener_only: screening/section.html
intro  # Section.intro: screening/section.html
first_bad_id  # ChainCheck.first_bad_id: central/audit.html
deleted  # ReceivedMeta.deleted: central/records.html
revoked  # StationRow.revoked: central/stations.html
readable  # Summary.readable: screening/list.html
waiting_for_key  # SyncOverview fields: sync/index.html
not_accepted
last_error
auto_interval_seconds
auto_running
auto_failures

# Read by the gettext extraction: interface words shown in both languages.
ANSWER_WORDS  # app/screening/labels.py

# Part of the engine's documented result and data (docs/questionnaire.md), checked by its tests.
languages  # Definition.languages
LANGUAGES  # the languages a shipped definition covers (tests/questionnaire/test_translations_complete.py)
explanation  # Outcome.explanation

# Observable state of the background sync worker, read by tests/central/test_background_sync.py.
_.stop
rounds
_.rounds
last_error_type
_.last_error_type

# Not read anywhere yet; owned by parallel work, reported to the lead rather than deleted here.
last_attempt_at  # background worker: set, never shown (app/services/sync/client/background.py)
_.last_attempt_at
auto_next_at  # SyncOverview: filled, not shown (app/services/sync/client/page.py)
delete_record  # central deletes a record, tombstone kept: tests only, no page or command (sync/ingest.py)
DEFAULT_MAX_LENGTH  # app/questionnaire/fields.py (field-type registry, being reworked)
_.option_values  # app/questionnaire/fields.py
field_type  # app/questionnaire/fields.py
