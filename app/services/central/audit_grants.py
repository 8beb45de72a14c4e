"""The PostgreSQL privileges that keep the audit log append-only for the web tier.

The web tier's role may do its work on every table but may only INSERT and SELECT
the audit log; docs/keys.md ("Audit log") says why and how to apply them.
"""

from __future__ import annotations

import re

from app.extensions import db
from app.models import AuditEntry

_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grants_sql(role: str) -> str:
    """SQL, run by the tables' owner, that lets ``role`` (the web tier) do its work on this
    database but only INSERT and SELECT the audit log: no UPDATE, DELETE or TRUNCATE.
    ValueError for a role name that is not plain, or a database that is not PostgreSQL."""
    if not _ROLE_RE.match(role):
        raise ValueError("A role name is a-z, 0-9 and _, starting with a letter or _.")
    engine = db.engine
    if engine.dialect.name != "postgresql":
        raise ValueError(f"Grants are for PostgreSQL; this central uses {engine.dialect.name}.")
    table = AuditEntry.__tablename__
    quoted_db = '"' + str(engine.url.database or "").replace('"', '""') + '"'
    return "\n".join([
        f"-- tip-screen: privileges of the web tier's role {role} (docs/keys.md, \"Audit log\").",
        "-- Run as the owner of the tables (the role that runs 'flask db upgrade'), after every upgrade.",
        f"-- {role} must not own the tables and must not be a superuser.",
        f"GRANT CONNECT ON DATABASE {quoted_db} TO {role};",
        f"GRANT USAGE ON SCHEMA public TO {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role};",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role};",
        "",
    ])
