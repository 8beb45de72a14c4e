"""The settings QR code that sets up ODK Collect (or KoboCollect) on a phone by a scan.

Collect's format (ODK docs, "Settings QR codes"): a JSON object with ``general`` and
``admin`` settings, compressed with zlib and written as base64. Settings the code leaves out
are reset to Collect's defaults when it is scanned. It never holds a passphrase: the officer
types theirs on the phone.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from app.services.odk.phones import PHONE_ROLES


def collect_settings(server_url: str, username: str, project_name: str) -> dict[str, Any]:
    return {
        "general": {
            "server_url": server_url.rstrip("/"),
            "username": username,
            # The phone's list follows the station's: new versions come, removed forms go.
            "form_update_mode": "match_exactly",
            # Finalised submissions are sent as soon as the station's Wi-Fi is in reach, and
            # the encrypted copy leaves the phone once the station has it.
            "autosend": "wifi_only",
            "delete_send": True,
        },
        "admin": {
            # The officer cannot point the phone at another server from the phone itself.
            "change_server": False,
        },
        "project": {"name": project_name, "icon": "T", "color": "#1f6f8b"},
    }


def encode(settings: dict[str, Any]) -> str:
    """What the QR code carries: base64 of the zlib-compressed JSON."""
    return base64.b64encode(zlib.compress(json.dumps(settings).encode())).decode()


def decode(payload: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)))
    return value


def phone_role(role: object) -> bool:
    return role in PHONE_ROLES
