"""Who hears about what: in-app notifications written from workflow events.

``on_event`` is called by ``app.workflow.apply`` for every event it writes,
inside the same transaction, so a notification exists exactly when its
event does.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import func, select, update

from .. import labels, workflow
from ..dates import BEIJING
from ..extensions import db
from ..models import HourEntry, Notification, OrderEvent, Role, User, UserRole, VolunteerProfile
from ..models.base import utcnow
from ..models.hours import star_progress
from ..models.orders import AssignmentState
from . import proxy_orders
from .outbox import queue_message

# action -> who is told: "requester", "volunteer" (of the assignment), "crew" (who completed the order),
# "coordinators"
RECIPIENTS: dict[str, tuple[str, ...]] = {
    "dispatch": ("requester",),
    "offer": ("volunteer",),
    "fill": ("requester",),
    "reject": ("requester",),
    "cancel": ("requester", "coordinators"),
    "accept": ("coordinators",),  # one volunteer of the crew said yes
    "claim": ("coordinators",),  # a volunteer took a place from the claim board
    "release": ("coordinators",),  # ... and gave it back
    "open_claims": ("requester",),
    "reopen": ("coordinators",),  # a place opened again: someone must fill it
    "check_in": ("requester",),  # the volunteer is on site
    "check_in_by_hand": ("requester", "volunteer"),
    "complete": ("coordinators",),  # one volunteer closed their part
    "decline": ("coordinators",),
    "expire": ("coordinators", "volunteer"),
    "withdraw": ("volunteer",),
    "start": ("requester",),
    "finish": ("requester",),
    "rate": ("coordinators", "crew"),
    "confirm": ("crew",),
    "dispute": ("coordinators", "crew"),
    "resolve": ("requester", "crew"),
    "submit": ("coordinators",),
}


def active_ids_with(role: Role) -> list[int]:
    """The ids of the active accounts holding ``role`` (the desk: coordinators; escalations: administrators)."""
    return list(
        db.session.scalars(
            select(UserRole.user_id)
            .join(User, User.id == UserRole.user_id)
            .where(UserRole.role == role.value, User.active.is_(True))
        )
    )


def recipients_of(event: OrderEvent) -> set[int]:
    wanted = RECIPIENTS.get(event.action, ())
    ids: set[int] = set()
    if "requester" in wanted:
        ids.add(event.order.requester_id)
    if "volunteer" in wanted and event.assignment is not None:
        ids.add(event.assignment.volunteer_id)
    if "crew" in wanted:
        ids.update(a.volunteer_id for a in event.order.assignments if a.state == AssignmentState.COMPLETED.value)
    if "coordinators" in wanted:
        ids.update(active_ids_with(Role.COORDINATOR))
    if event.actor_id is not None:
        ids.discard(event.actor_id)  # nobody is told what they did themselves
    return ids


@workflow.event_recorded.connect
def _on_event_recorded(event: OrderEvent, **_extra) -> None:
    on_event(event)


def on_event(event: OrderEvent) -> list[Notification]:
    """Write one notification per recipient of ``event``."""
    if event.action == "withdraw" and event.reason_code == "slots_filled":
        kind = "offer_closed"
    else:
        kind = event.action
    rows = [
        Notification(user_id=uid, order_id=event.order_id, event_id=event.id, kind=kind)
        for uid in sorted(recipients_of(event))
    ]
    if event.action in CREDITING_ACTIONS:
        rows += [Notification(user_id=uid, order_id=event.order_id, event_id=event.id, kind="star_reached")
                 for uid in reached_a_star(event)]
    db.session.add_all(rows)
    _text_the_ones_who_take_texts(event, kind, [r.user_id for r in rows])
    return rows


# The notices that also go out as a text message (to those who take them): what someone must act on.
TEXTED = ("offer", "fill", "reject", "cancel", "withdraw", "finish", "open_claims", "reopen")


def sms_text(kind: str, order) -> str:
    """A notice as a text message, in Chinese: the order number, the service and its day, never
    an address or anybody's phone number."""
    with force_locale("zh_Hans_CN"):
        notice = str(labels.NOTIFICATIONS[kind]) % {"number": order.number}
        return f"{notice}（{order.service.name}，{order.starts_at.astimezone(BEIJING):%m-%d %H:%M}）"


def _text_the_ones_who_take_texts(event: OrderEvent, kind: str, user_ids: list[int]) -> None:
    if kind not in TEXTED or not user_ids:
        return
    text = sms_text(kind, event.order)
    for user in db.session.scalars(select(User).where(User.id.in_(user_ids))):
        queue_message(user, f"event:{event.id}:{user.id}", with_guest_link(text, user, event.order),
                  order_id=event.order_id)


def with_guest_link(text: str, user: User, order) -> str:
    """A person without an account (代下单) follows the order by its link: every text to them carries it."""
    if user.is_guest and order.requester_id == user.id and (link := proxy_orders.public_link(order)):
        return f"{text} {link}"
    return text


# The events after which a crew's hours may have grown (their follow-ons write the ledger first).
CREDITING_ACTIONS = ("rate", "confirm", "resolve")


def reached_a_star(event: OrderEvent) -> list[int]:
    """The volunteers whose hours, credited for ``event``'s order just now, took them to a new star level."""
    credited_now = (
        select(HourEntry.volunteer_id, func.sum(HourEntry.hours).label("delta"))
        .where(HourEntry.order_id == event.order_id, HourEntry.created_at == event.created_at)
        .group_by(HourEntry.volunteer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(VolunteerProfile.user_id, VolunteerProfile.hours_credited, credited_now.c.delta)
        .join(credited_now, credited_now.c.volunteer_id == VolunteerProfile.user_id)
    )
    return sorted(uid for uid, total, delta in rows
                  if delta > 0 and star_progress(total - delta).stars < star_progress(total).stars)


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def latest_for(user: User, limit: int = 50) -> list[Notification]:
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .options(joinedload(Notification.event), joinedload(Notification.order))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def notification_of(user: User, notification_id: int) -> Notification | None:
    """``user``'s own notification, or None (somebody else's is nobody's business)."""
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
