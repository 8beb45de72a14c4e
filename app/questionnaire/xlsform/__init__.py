"""XLSForm in and out (docs/xlsform.md).

``to_xlsform(definition) -> bytes`` writes an .xlsx that imports back to an equal
definition; ``to_xform(definition, *, public_key=None, submission_url=None) -> str`` is the
ODK XForm pyxform makes of it, every language as itext.
"""

from __future__ import annotations

from .export import to_xlsform
from .xform import XFormError, to_xform

__all__ = ["XFormError", "to_xform", "to_xlsform"]
