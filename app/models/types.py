"""Portable column types shared by the models (the same schema runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def day_of(moment: datetime) -> datetime:
    """Midnight UTC of that moment's day: clear metadata DESIGN.md keeps to the day."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def utcday() -> datetime:
    """Today, midnight UTC (the default of creation times kept to the day)."""
    return day_of(utcnow())


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones); always returned time-zone aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use time-zone aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)
