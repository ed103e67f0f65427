"""An order's timeline: its events, oldest first, as plain rows (events never change once written)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Row, Select, and_, bindparam, case, or_, select
from sqlalchemy.orm import aliased

from ...extensions import read_rows
from ...models import Assignment, OrderEvent, User


@cache
def _timeline_query() -> Select:
    actor = aliased(User)
    volunteer = aliased(User)
    # Whom the event concerned, when that was not its actor (None: the system acted, or no one).
    concerned = case(
        (and_(Assignment.volunteer_id.is_not(None),
              or_(OrderEvent.actor_id.is_(None), OrderEvent.actor_id != Assignment.volunteer_id)),
         volunteer.name),
        else_=None,
    )
    return (
        select(OrderEvent.id, OrderEvent.entity, OrderEvent.action, OrderEvent.to_state, OrderEvent.created_at,
               actor.name.label("actor_name"), concerned.label("volunteer_name"), OrderEvent.reason_code,
               OrderEvent.note)
        .outerjoin(actor, actor.id == OrderEvent.actor_id)
        .outerjoin(Assignment, Assignment.id == OrderEvent.assignment_id)
        .outerjoin(volunteer, volunteer.id == Assignment.volunteer_id)
        .where(OrderEvent.order_id == bindparam("order_id"))
        .order_by(OrderEvent.id)
    )


def timeline(order_id: int) -> list[Row]:
    """The order's events, oldest first (the caller has checked access).

    Each row: id, entity, action, to_state, created_at, actor_name (None: the
    system), volunteer_name, reason_code, note.
    """
    return list(read_rows(_timeline_query(), {"order_id": order_id}))
