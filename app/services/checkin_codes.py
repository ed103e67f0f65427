"""Check-in that proves presence: a 6-digit code and a QR link, shown on the requester's order page
from the check-in window on, which the volunteer types or scans on arrival.

The code is an HMAC of the order and its window under the app's secret: nothing is stored, it
cannot be worked out from another order's code, and it changes if the order is moved. The QR
carries a signed token of the order, valid until check-in closes: it only opens the check-in
page of the volunteer who is signed in, who still presses the button (a POST with its CSRF token).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from .. import workflow
from ..models import Order
from ..models.base import utcnow

SALT = "check-in"


def _key() -> bytes:
    return hashlib.sha256((SALT + current_app.config["SECRET_KEY"]).encode()).digest()


def code_for(order: Order) -> str:
    """The order's check-in code: six digits, bound to the order and its window."""
    message = f"{order.id}:{order.starts_at.isoformat()}:{order.ends_at.isoformat()}".encode()
    digest = hmac.new(_key(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def code_matches(order: Order, typed: str) -> bool:
    return hmac.compare_digest(code_for(order), (typed or "").strip())


def shown_now(order: Order, now: datetime | None = None) -> bool:
    """The requester sees the code while check-in is open and someone holds a place."""
    now = now or utcnow()
    return order.accepted_count > 0 and workflow.check_in_opens(order) <= now < workflow.check_in_closes(order)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(order: Order) -> str:
    return _serializer().dumps([order.id, code_for(order)])


def order_id_of(token: str) -> tuple[int, str] | None:
    """(order id, code) a QR token carries, or None for a forged one."""
    try:
        order_id, code = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return (order_id, code) if isinstance(order_id, int) and isinstance(code, str) else None


def proof(order: Order, typed: str | None, token: str | None) -> str | None:
    """How the volunteer proved they are there, as the timeline will say it; None when they did not."""
    if token:
        found = order_id_of(token)
        if found == (order.id, code_for(order)):
            return str(_l("Checked in by scanning the order's QR code"))
        return None
    if typed and code_matches(order, typed):
        return str(_l("Checked in with the order's code"))
    return None
