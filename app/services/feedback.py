"""Attendee feedback (观众评价): the people a service was for say how it was, without an account.

The requester's order page shows a link and its QR from the start of the service; the link carries
the order's id signed with its own salt, so it cannot be made for another order. Each device gives
one answer per order (a random cookie, stored only as its hash); the form closes 14 days after the
service ends. The counts and the average are read with the order where a page shows them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import AttendeeFeedback, Order
from ..models.base import utcnow
from .errors import ValidationFailed

OPEN_FOR = timedelta(days=14)
SALT = "attendee-feedback"
DEVICE_COOKIE = "attendee"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(order: Order) -> str:
    return _serializer().dumps(order.id)


def order_id_of(token: str) -> int | None:
    try:
        order_id = _serializer().loads(token)
    except BadSignature:
        return None
    return order_id if isinstance(order_id, int) else None


def opens_at(order: Order) -> datetime:
    return order.starts_at


def closes_at(order: Order) -> datetime:
    return order.ends_at + OPEN_FOR


def is_open(order: Order, now: datetime | None = None) -> bool:
    """From the start of the service until 14 days after it ended; never for a cancelled or rejected one."""
    now = now or utcnow()
    return order.state not in ("cancelled", "rejected") and opens_at(order) <= now < closes_at(order)


def new_device() -> str:
    return secrets.token_urlsafe(24)


def _digest(device: str) -> str:
    return hashlib.sha256(device.encode()).hexdigest()


def already_given(order: Order, device: str | None) -> bool:
    return bool(device) and db.session.scalar(
        select(AttendeeFeedback.id).where(AttendeeFeedback.order_id == order.id,
                                          AttendeeFeedback.device == _digest(device))
    ) is not None


def give(order: Order, device: str, stars: int, comment: str) -> AttendeeFeedback:
    """One answer from this device; commits (a second from the same device is refused, even at once)."""
    if not is_open(order):
        raise ValidationFailed(None, _l("Feedback on this service is closed."))
    answer = AttendeeFeedback(order_id=order.id, stars=stars, comment=comment.strip(), device=_digest(device))
    db.session.add(answer)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ValidationFailed(None, _l("This phone has already given its feedback. Thank you!")) from error
    return answer


def count_column(order_id: ColumnElement) -> ColumnElement:
    return (select(func.count(AttendeeFeedback.id)).where(AttendeeFeedback.order_id == order_id)
            .correlate_except(AttendeeFeedback).scalar_subquery())


def average_column(order_id: ColumnElement) -> ColumnElement:
    return (select(func.avg(AttendeeFeedback.stars)).where(AttendeeFeedback.order_id == order_id)
            .correlate_except(AttendeeFeedback).scalar_subquery())


def comments_of(order: Order, limit: int = 20) -> list[AttendeeFeedback]:
    return list(db.session.scalars(select(AttendeeFeedback).where(AttendeeFeedback.order_id == order.id)
                                   .order_by(AttendeeFeedback.id.desc()).limit(limit)))
