"""The service layer: the only code that commits. Routes and the CLI call these functions.

One package per domain (README, "Layout", says where a new piece goes):

- ``records/``   a station's screening records: drafts, sealing, outbox and receipts, retention
- ``accounts/``  people and their keys: users, passphrases, sessions, key slots
- ``sync/``      both ends of the wire: the station's client (``sync/client/``) and central's
                 ingest, request authentication and signed updates
- ``central/``   central's own state: its keys, stations and enrolment codes, received records, audit

Shared pieces, one home each: ``errors`` (every error type), ``installation`` (the one row),
``questionnaires`` (the definitions on offer), ``setup`` (first run), ``health``, ``demo``,
``housekeeping`` (the 30-second timer: dead sessions swept, records past retention shredded).
"""
