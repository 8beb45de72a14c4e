"""Both ends of the sync wire.

- :mod:`.client`        the station: transport, enrolment, push, pull, bundles (a package)
- :mod:`.station_auth`  central: who signed this request, and is its counter fresh
- :mod:`.ingest`        central: take in envelopes, answer with receipts
- :mod:`.updates`       central: what stations pull, signed
- :mod:`.problems`      both: the numbered sync problems in the reader's language
"""
