"""Reminders before a service (24 hours and 2 hours before): to each volunteer holding a place and to
the requester, in the app and by text. Run by the sweep; each reminder is written once, whatever
how often or how many sweeps run: the notice is unique per (person, order, kind), and its text
goes to the outbox in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Assignment, Notification, Order, User
from ..models.base import utcnow
from ..models.expressions import in_constants
from ..models.orders import HOLDING_ASSIGNMENT_STATES
from .notifications import sms_text, with_guest_link
from .outbox import queue_message

# (kind, how long before the start): the nearer one is sent when both are due (a late booking).
REMINDERS = (("reminder_2h", timedelta(hours=2)), ("reminder_24h", timedelta(hours=24)))
REMINDED_STATES = ("dispatched", "accepted")


def _due(now: datetime) -> list[tuple[Order, str, list[int]]]:
    """(order, kind, people) for each order starting within 24 hours, with whom it concerns."""
    soon = list(db.session.scalars(
        select(Order).where(in_constants(Order.state, REMINDED_STATES), Order.starts_at > now,
                            Order.starts_at <= now + REMINDERS[-1][1]).order_by(Order.starts_at)
    ))
    crews: dict[int, list[int]] = {}
    for order_id, volunteer_id in db.session.execute(
        select(Assignment.order_id, Assignment.volunteer_id)
        .where(Assignment.order_id.in_([o.id for o in soon]),
               in_constants(Assignment.state, HOLDING_ASSIGNMENT_STATES))
    ):
        crews.setdefault(order_id, []).append(volunteer_id)
    found = []
    for order in soon:
        kind = next(k for k, before in REMINDERS if order.starts_at - now <= before)
        if order.id in crews:  # nobody holds a place yet: nothing to remind (the desk sees the queue)
            found.append((order, kind, [order.requester_id, *crews[order.id]]))
    return found


def send_reminders(now: datetime | None = None) -> int:
    """Write the reminders now due; each order's in a transaction of its own. How many were written."""
    now = now or utcnow()
    written = 0
    for order, kind, people in _due(now):
        keys = {uid: f"{kind}:{order.id}:{uid}" for uid in people}
        done = set(db.session.scalars(
            select(Notification.user_id).where(Notification.order_id == order.id, Notification.kind == kind)
        ))
        text = sms_text(kind, order)
        for user in db.session.scalars(select(User).where(User.id.in_(set(people) - done)).order_by(User.id)):
            # A unique index on (person, order, kind) for reminders: a second sweep alongside loses.
            db.session.add(Notification(user_id=user.id, order_id=order.id, kind=kind, created_at=now))
            queue_message(user, keys[user.id], with_guest_link(text, user, order), order_id=order.id)
            written += 1
        try:
            db.session.commit()
        except IntegrityError:  # another sweep wrote them a moment ago
            db.session.rollback()
            written -= len(set(people) - done)
    return written
