"""A coordinator's saved filters: a name and the query string of a case-list view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import SavedFilter
from app.services.analytics.filters import FilterError, Filters
from app.services.errors import ServiceError

MAX_SAVED = 50
# Ready-made for everyone: (its name, its query). Shown only when the facts it names are declared.
READY_MADE = ((_l("Children flagged in the last 7 days"), "period=7d&f.flags=flag_child"),)


@dataclass(frozen=True)
class Saved:
    id: int | None  # None: a ready-made filter (cannot be deleted)
    name: str
    query: str


def parse(query: str, today: date) -> Filters:
    return Filters.from_args(MultiDict(parse_qsl(query, keep_blank_values=False)), today)


def listed(user_id: int, declared_filter_codes: set[tuple[str, str]]) -> list[Saved]:
    ready = [Saved(None, str(name), query) for name, query in READY_MADE
             if all(pair in declared_filter_codes for pair in _fact_pairs(query))]
    own = db.session.scalars(sa.select(SavedFilter).where(SavedFilter.user_id == user_id)
                             .order_by(SavedFilter.name)).all()
    return ready + [Saved(s.id, s.name, s.query) for s in own]


def _fact_pairs(query: str) -> list[tuple[str, str]]:
    return [(k[2:], v) for k, v in parse_qsl(query) if k.startswith("f.")]


def save(user_id: int, name: str, filters: Filters) -> Saved:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise ServiceError(_l("Give the filter a name of 1 to 80 characters."))
    if filters.empty:
        raise ServiceError(_l("Choose at least one filter before saving."))
    query = urlencode(filters.to_query())
    if len(query) > 500:
        raise FilterError("these filters are too long to save")
    existing = db.session.scalars(sa.select(SavedFilter).where(SavedFilter.user_id == user_id)).all()
    if any(s.name == name for s in existing):
        raise ServiceError(_l("You already have a filter with that name."))
    if len(existing) >= MAX_SAVED:
        raise ServiceError(_l("You have %(n)d saved filters, the most there can be: delete one first.",
                              n=MAX_SAVED))
    row = SavedFilter(user_id=user_id, name=name, query=query)
    db.session.add(row)
    db.session.commit()
    return Saved(row.id, row.name, row.query)


def delete(user_id: int, filter_id: int) -> bool:
    """Only the user's own; False when there was none."""
    done = db.session.execute(sa.delete(SavedFilter).where(SavedFilter.id == filter_id,
                                                           SavedFilter.user_id == user_id))
    db.session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]
