from flask import Blueprint

bp = Blueprint("screening", __name__, url_prefix="/screenings")

from app.screening import routes  # noqa: E402,F401
from app.screening.labels import template_helpers, words  # noqa: E402
from app.web.directory_words import directory_helpers  # noqa: E402

bp.context_processor(template_helpers)
bp.context_processor(directory_helpers)
# A filter, not a context helper: the text macros are imported without the page's context.
bp.add_app_template_filter(words, "words")
