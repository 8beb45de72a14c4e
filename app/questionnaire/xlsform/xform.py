"""A definition as an ODK XForm: its XLSForm (:mod:`.export`) converted by pyxform.

Every language of the definition's texts is an itext translation; English is the
default. With ``public_key`` (base64 of the DER of an RSA public key) the form tells
Collect to encrypt each finalised submission to it; ``submission_url`` is where Collect
sends them.
"""

from __future__ import annotations

import io

from pyxform.xls2xform import convert

from ..model import Definition
from .export import workbook_rows
from .layout import SETTINGS
from .sheets import write_xlsx


class XFormError(ValueError):
    """pyxform refused the exported XLSForm (a definition the export cannot lay out)."""


def to_xform(definition: Definition, *, public_key: str | None = None,
             submission_url: str | None = None, validate: bool = False) -> str:
    """The definition as XForm XML (a ``str``). ``validate=True`` also runs ODK Validate
    (needs Java; raises :class:`XFormError` with its report when the form is invalid)."""
    sheets = workbook_rows(definition)
    settings = sheets[SETTINGS][0]
    if public_key is not None:
        settings["public_key"] = public_key
    if submission_url is not None:
        settings["submission_url"] = submission_url
    warnings: list[str] = []
    try:
        result = convert(io.BytesIO(write_xlsx(sheets)), warnings=warnings, validate=validate,
                         file_type=".xlsx", pretty_print=False)
    except Exception as error:  # noqa: BLE001 - pyxform and ODK Validate raise many kinds
        raise XFormError(str(error)) from error
    return result.xform
