"""The station's published questionnaires as ODK XForms, each carrying the station's RSA key.

Every questionnaire this station offers is served at ``/forms/<id>/<version>``; the form
list names the latest version of each (older versions stay downloadable, so a phone that
still holds one can send what it filled). The XForm is ``xlsform.to_xform`` of the
definition with the station's public key: made once per process and kept in memory, since
pyxform takes a while and the result only changes with the key.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from flask import current_app

from app.questionnaire import Definition
from app.questionnaire.definition import _version_key as version_key
from app.services import questionnaires

CACHE = "tip_odk_xforms"  # app.extensions: (id, version, public key) -> ServedForm


@dataclass(frozen=True)
class ServedForm:
    definition: Definition
    xml: bytes

    @property
    def md5_hex(self) -> str:
        return hashlib.md5(self.xml, usedforsecurity=False).hexdigest()


def xform(definition: Definition, public_key: bytes) -> ServedForm:
    cache: dict[tuple[str, str, bytes], ServedForm] = current_app.extensions.setdefault(CACHE, {})
    key = (definition.id, definition.version, public_key)
    if key not in cache:
        # pyxform and openpyxl take most of a second to import: only when a phone asks.
        from app.questionnaire.xlsform import to_xform

        text = to_xform(definition, public_key=base64.b64encode(public_key).decode())
        cache[key] = ServedForm(definition, text.encode())
    return cache[key]


def listed() -> list[Definition]:
    """The latest version of each questionnaire this station offers."""
    latest: dict[str, Definition] = {}
    for d in questionnaires.all_definitions():
        if d.id not in latest or version_key(d.version) > version_key(latest[d.id].version):
            latest[d.id] = d
    return [latest[k] for k in sorted(latest)]


def find(questionnaire_id: str, version: str) -> Definition | None:
    return questionnaires.get(questionnaire_id, version)
