"""OpenRosa answers for a phone's form app: headers, refusals, and HTTP Basic.

Every answer on the phone routes carries ``X-OpenRosa-Version: 1.0`` and a ``Date`` (the
OpenRosa specification asks for both); refusals are an ``OpenRosaResponse`` whose message
Collect shows to the person holding the phone.
"""

from __future__ import annotations

from email.utils import formatdate

from flask import Response, request
from flask_babel import gettext as _

from app.protocol.openrosa import OPENROSA_VERSION, response
from app.services.accounts.users import LOCAL_OPERATOR
from app.services.errors import Locked, LoginBusy, LoginFailed, LoginThrottled
from app.services.odk import phones

REALM = "tip-screen"


def answer(body: bytes, status: int = 200, *, content_type: str = "text/xml; charset=utf-8") -> Response:
    out = Response(body, status=status, content_type=content_type)
    out.headers["X-OpenRosa-Version"] = OPENROSA_VERSION
    out.headers["Date"] = formatdate(usegmt=True)
    return out


def message(text: str, status: int, *, nature: str = "") -> Response:
    return answer(response(text, nature=nature), status)


def challenge(text: str) -> Response:
    out = message(text, 401)
    out.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return out


def authenticate() -> phones.Phone | Response:
    """The phone's account, or the answer that refuses it."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
        return challenge(_("Enter your tip-screen username and passphrase in the app's server settings."))
    source = request.remote_addr or "unknown"
    if source == LOCAL_OPERATOR:
        source = "unknown"
    try:
        phone = phones.authenticate(auth.username, auth.password, source=source)
    except LoginFailed as exc:
        return challenge(str(exc))
    except LoginThrottled as exc:
        return message(str(exc), 429)
    except LoginBusy as exc:
        return message(str(exc), 503)
    except Locked:
        return message(_("Your key could not be unlocked. Ask an administrator to set a new "
                         "passphrase for you."), 403)
    if phone is None:
        return message(_("This account cannot send screenings from a phone. Use an officer's or "
                         "an outreach worker's account."), 403)
    return phone
