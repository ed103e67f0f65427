"""Will the crew be there? "我会准时到" after the day-before reminder, and flags for the desk.

A volunteer holding an accepted place confirms from a day before the start until the start. The
sweep flags to the order's coordinators, once per order: a crew member who has not confirmed two
hours before the start ("unconfirmed"), and one who has not checked in fifteen minutes after it
("not_checked_in"), so that someone calls them while there is still time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Assignment, Notification, Order, Role, User
from ..models.base import utcnow
from ..models.orders import AssignmentState, OrderState
from .errors import ValidationFailed
from .notifications import active_ids_with

CONFIRM_FROM = timedelta(hours=24)
UNCONFIRMED_AT = timedelta(hours=2)  # before the start
LATE_AFTER = timedelta(minutes=15)  # after the start


def may_confirm(job: Assignment, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (job.state == AssignmentState.ACCEPTED.value and job.attendance_confirmed_at is None
            and job.order.starts_at - CONFIRM_FROM <= now < job.order.starts_at)


def confirm(job: Assignment, volunteer: User, now: datetime | None = None) -> None:
    """The volunteer's word that they will come; flushes. A second press changes nothing."""
    now = now or utcnow()
    if job.volunteer_id != volunteer.id or not may_confirm(job, now):
        raise ValidationFailed(None, _l("You can confirm from a day before the service until it starts."))
    db.session.execute(
        update(Assignment)
        .where(Assignment.id == job.id, Assignment.attendance_confirmed_at.is_(None),
               Assignment.state == AssignmentState.ACCEPTED.value)
        .values(attendance_confirmed_at=now).execution_options(synchronize_session=False)
    )
    db.session.refresh(job)


def _missing(now: datetime) -> list[tuple[int, str]]:
    """(order id, kind) of each order with a crew member to flag now."""
    accepted = (select(Assignment.order_id).join(Order, Order.id == Assignment.order_id)
                .where(Assignment.state == AssignmentState.ACCEPTED.value,
                       Order.state.in_((OrderState.ACCEPTED.value, OrderState.DISPATCHED.value,
                                        OrderState.IN_SERVICE.value))))
    unconfirmed = accepted.where(Assignment.attendance_confirmed_at.is_(None),
                                 Order.starts_at <= now + UNCONFIRMED_AT, Order.starts_at > now)
    late = accepted.where(Order.starts_at <= now - LATE_AFTER, Order.ends_at > now)
    return ([(o, "unconfirmed") for o in db.session.scalars(unconfirmed.distinct())]
            + [(o, "not_checked_in") for o in db.session.scalars(late.distinct())])


def flag_missing(now: datetime | None = None) -> int:
    """Tell the coordinators of each order with someone missing, once per order and kind."""
    now = now or utcnow()
    desk = active_ids_with(Role.COORDINATOR)
    written = 0
    for order_id, kind in _missing(now):
        told = set(db.session.scalars(select(Notification.user_id)
                                      .where(Notification.order_id == order_id, Notification.kind == kind)))
        new = [uid for uid in desk if uid not in told]
        db.session.add_all(Notification(user_id=uid, order_id=order_id, kind=kind, created_at=now) for uid in new)
        try:
            db.session.commit()
            written += len(new)
        except IntegrityError:  # another sweep wrote them a moment ago
            db.session.rollback()
    return written
