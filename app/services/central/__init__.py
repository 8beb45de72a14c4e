"""Central's own state, as its people see it; each module is imported by name:

- :mod:`.keys`       central's record key (custodians' slots) and signing key
- :mod:`.enrolment`  single-use codes; registering a station that redeems one
- :mod:`.stations`   the stations overview, codes issued and revocations (audited)
- :mod:`.received`   the records received: metadata, opening one (audited), bundle imports
- :mod:`.audit`      the append-only audit log: hash-chained, MACs, signed checkpoints
- :mod:`.audit_grants` the PostgreSQL privileges that keep it append-only for the web tier
"""
