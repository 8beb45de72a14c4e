from flask import Blueprint

bp = Blueprint("central", __name__, url_prefix="/central")

from app.central import case_routes, directory_routes, exports, routes  # noqa: E402,F401
from app.central.labels import template_helpers  # noqa: E402
from app.central.live import live_helpers  # noqa: E402
from app.central.workspace import helpers as workspace_helpers  # noqa: E402
from app.web.directory_words import directory_helpers  # noqa: E402

bp.context_processor(template_helpers)
bp.context_processor(live_helpers)
bp.context_processor(workspace_helpers)
bp.context_processor(directory_helpers)
