"""SQLAlchemy models: plain tables, no crypto and no request handling."""

from app.models.session import AuthSession
from app.models.station import Installation
from app.models.user import User

__all__ = ["AuthSession", "Installation", "User"]
