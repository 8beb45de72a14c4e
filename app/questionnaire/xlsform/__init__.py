"""XLSForm in and out (docs/xlsform.md).

``to_xlsform(definition) -> bytes`` writes an .xlsx that imports back to an equal
definition; ``to_xform(definition, *, public_key=None, submission_url=None) -> str`` is the
ODK XForm pyxform makes of it, every language as itext; ``from_xlsform(data) -> Imported``
reads an XLSForm into a definition or raises :class:`XLSFormError` (sheet, row, column).
"""

from __future__ import annotations

from .export import to_xlsform
from .importing import Imported, definition_yaml, from_xlsform
from .problems import XLSFormError, XLSProblem
from .xform import XFormError, to_xform

__all__ = ["Imported", "XFormError", "XLSFormError", "XLSProblem", "definition_yaml",
           "from_xlsform", "to_xform", "to_xlsform"]
