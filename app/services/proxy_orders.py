"""代下单: the center orders for someone without an account (an elderly worker, a community member).

The coordinator records the person (name, phone, unit) and that they agreed; the order is theirs:
an existing account with that phone, or else a guest account with no password of its own. It says
who placed it. The person follows it through a signed link sent by text message: a page with the
order's state, the check-in code when that exists, and the rating, as a requester's own page has.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Order, Role, User, UserRole
from . import orders as order_service
from .audit import log_action
from .errors import ValidationFailed
from .outbox import queue_message

SALT = "guest-order"


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    unit: str
    consent: bool


def _person_of(p: Person) -> User:
    """The account of ``p``'s phone, or a new guest account (requester, no usable password)."""
    user = db.session.scalar(select(User).where(User.phone == p.phone))
    if user is not None:
        if not user.has_role(Role.REQUESTER.value):
            db.session.add(UserRole(user_id=user.id, role=Role.REQUESTER.value))
        return user
    user = User(phone=p.phone, name=p.name.strip(), unit=p.unit.strip(), is_guest=True,
                password_hash=generate_password_hash(secrets.token_urlsafe(32), method="scrypt"))
    db.session.add(user)
    db.session.flush()
    db.session.add(UserRole(user_id=user.id, role=Role.REQUESTER.value))
    return user


def place_for(coordinator: User, p: Person, req: order_service.OrderRequest) -> Order:
    """Place ``req`` for ``p``; flushes. Refused without the person's consent."""
    if not p.consent:
        raise ValidationFailed("consent", _l("Ask the person first: the order and their phone number are kept."))
    person = _person_of(p)
    order = order_service.place_order(person, req)
    order.placed_by_id = coordinator.id
    db.session.flush()
    log_action(coordinator, "order.proxy", "user", person.id, label=order.number,
               after={"consent": True, "phone": p.phone[-4:]})
    return order


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(order: Order) -> str:
    return _serializer().dumps([order.id, order.requester_id])


def order_of(token: str) -> Order | None:
    """The order a link was made for, while its requester is still the one it was made for."""
    try:
        order_id, requester_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    order = db.session.get(Order, order_id) if isinstance(order_id, int) else None
    return order if order is not None and order.requester_id == requester_id else None


def text_the_link(order: Order, link: str) -> None:
    """Tell the person, by text, that the order was placed for them, with the link to follow it."""
    queue_message(order.requester, f"proxy:{order.id}",
              f"中心已为您代下单 {order.number}（{order.service.name}）。查看进度、签到码和评价：{link}",
              order_id=order.id)


def public_link(order: Order) -> str | None:
    """The person's link to their order as the public site spells it (``PUBLIC_URL``), for the texts
    written outside a request (the sweep's reminders, another person's step); None when it is not set."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base:
        return None
    path = current_app.url_map.bind("localhost").build("guest.order", {"guest_token": token_for(order)})
    return base + path
