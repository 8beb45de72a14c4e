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
checked_if  # FieldState methods: screening/fields/*.html, screening/_specials.html
checked_in
selected
error_text  # Shown fields: screening/_question.html
has_error
error_hidden
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
disk_full  # SyncOverview: sync/index.html
auto_failures

# Read by the gettext extraction: interface words shown in both languages.
ANSWER_WORDS  # app/screening/labels.py
SLIP_WORDS  # app/screening/labels.py: the slip's headings, there so pybabel extracts them
handover_advice  # Directory.handover_advice: read by templates/screening/slip.html

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
auto_busy_until  # SyncOverview: read by templates/sync/index.html
delete_record  # central deletes a record, tombstone kept: tests only, no page or command (sync/ingest.py)
DEFAULT_MAX_LENGTH  # app/questionnaire/fields.py (field-type registry, being reworked)
_.option_values  # app/questionnaire/fields.py
field_type  # app/questionnaire/fields.py

# Read by .ci scripts and tests (merged work of issue 10 and 11).
generated_css  # app/languages/fonts.py: .ci/sync_languages.py writes fonts.css with it
english_name  # Language.english_name: the declaration's readable name; tests/i18n/test_language_list.py
INPUT_KINDS  # fields/base.py: the input kinds a type may declare; tests/questionnaire/test_field_registry.py
example  # FieldType.example: one valid definition per type; the registry test validates and renders it
ACCOUNT_CREATED  # audit actions written through accounts/events.py by name; tests/central/test_pages.py
ACCOUNT_SWITCHED_OFF
ACCOUNT_SWITCHED_ON
KEY_ROTATED  # audit actions reserved for key rotation and exports (issue 11, 14)
EXPORT
entry_at  # Checkpoint fields, written to and read from the checkpoint file
checkpoint_id
sessions_ended  # housekeeping.Round: what one sweep did (tests, and the timer's debug log)
records_shredded
request_schema  # api/openapi.py: a documented request's schema, for tests (fuzzing, the description test)
AUTH_PROBLEMS  # protocol/problems.py: the problems that mean "not authenticated"; the route-walk test
_.accepting  # waitress: the server and channel flags app/serve.py sets to drain a serving process
_.will_close
valid_from  # StationKey.valid_from: when the key came into use; the key history in docs/keys.md and its tests
post_worker_init  # app/gunicorn_conf.py: a gunicorn server hook, read by gunicorn -c python:app.gunicorn_conf
worker_class  # app/gunicorn_conf.py: gunicorn settings (gthread workers), read by gunicorn -c
threads
# cheroot (app/serve_https.py): a hook and server attributes cheroot reads, set as its prepare() would
error_log  # cheroot calls server.error_log for every connection problem
_.ssl_adapter
_._interrupt
_.software
_.ready
_._start_time
get_cookie_secure  # flask.sessions.SessionInterface hook (app/web/headers.py): Secure per request
_.session_interface  # Flask reads app.session_interface

# The facts API (app/questionnaire/facts.py, docs/analytics.md) that other parts call.
value_label  # FactSpec.value_label: central's dashboard and case list; tests/questionnaire/test_facts.py
_.indexed_at  # RecordFacts.indexed_at: when a row was written (read by people querying the table)
_.records_this_month  # StationRow.records_this_month: templates/central/stations.html
full_loads  # FactsIndex.full_loads: full reloads so far; its tests and bench/bench_dashboard.py
two_way  # suppression.two_way: tables with row and column totals; its brute-force test
_.row_totals
_.column_totals
has_next  # CasePage.has_next: read by templates/central/cases.html

# The referral directory (docs/referrals.md).
_.widget  # WTForms reads a field class's widget and option_widget (app/central/directory_forms.py)
_.option_widget
phone  # OrganisationForm fields: rendered by templates/central/directory_edit.html, read back by name
messaging
hours
name_en
name_th
name_my
name_lo
name_km
description_en
description_th
description_my
description_lo
description_km
_.validate_description_en  # WTForms calls validate_<field> methods
_.name_fields  # OrganisationForm: templates/central/directory_edit.html
_.description_fields
_.contact_fields
made_by  # DirectoryVersion.made_by: who made each version (central) or how it came (station)
withheld_cross_border  # Offer: templates/screening/fields/referral.html
withheld_mdt
_.offered_ids

# HTCDS names and the AES export archive (issue 14): the API the exports (app/services/exports)
# build on, merged ahead of them; tests/questionnaire/test_htcds.py and tests/exports/test_archive.py.
tier_value  # app/questionnaire/htcds.py: what the tier is written as under vic_TraffickingStatus
question_columns  # app/questionnaire/htcds.py: a full export's HTCDS-named columns
fact_columns  # app/questionnaire/htcds.py: a de-identified export's HTCDS-named columns
PASSWORD_BITS  # app/services/exports/archive.py: the password's strength, checked by its test
new_password  # app/services/exports/archive.py
open_aes_zip  # app/services/exports/archive.py
_.member  # AesZipWriter.member
_.fp  # pyzipper's ZipFile.fp, cleared so that a failed export gets no central directory

# Exports (issue 14, app/services/exports):
_.started_at  # ExportRun.started_at / updated_at: when a run began and last moved (kept for operators)
_.updated_at
uncsv_text  # cells.uncsv_text: how a reader undoes the CSV apostrophe (docs/exports.md; the tests use it)
_.tell  # Sink.tell: zipfile asks where it is in an unseekable stream
# Cases and referrals: columns read in templates and kept for the record (app/models/cases.py).
answered_at  # when the organisation accepted or declined
organisation_key_id  # which organisation key the shared part is sealed to
steps  # SharedPart.steps / ReferralTrail.steps, read by the templates
