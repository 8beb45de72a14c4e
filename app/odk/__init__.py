"""OpenRosa for ODK Collect and KoboCollect on the station's network (docs/odk.md)."""

from flask import Blueprint

bp = Blueprint("odk", __name__)

from app.odk import routes  # noqa: E402,F401  (routes attach themselves to bp)
