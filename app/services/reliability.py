"""How reliable a volunteer has been lately: what the desk sees beside each suggestion.

Counted over the last ``WINDOW`` for each volunteer, from the state machine's own record:

- **expired**: offers left unanswered until they expired;
- **late releases**: places given back less than ``LATE`` before the service started;
- **no-shows**: places the center withdrew once the service had started (the volunteer did not come).

One statement for the few volunteers a page shows, reading only their places that ended in the window
(a volunteer's places by state through ``ix_assignments_volunteer_state_id``, a place's events through
``ix_order_events_assignment_id``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import literal, select, union_all

from ..extensions import db
from ..models import Assignment, Order, OrderEvent
from ..models.base import utcnow
from ..models.orders import AssignmentState

WINDOW = timedelta(days=90)
LATE = timedelta(hours=24)


@dataclass(frozen=True)
class Reliability:
    expired: int = 0
    late_releases: int = 0
    no_shows: int = 0

    def __bool__(self) -> bool:
        return bool(self.expired or self.late_releases or self.no_shows)


def of_volunteers(volunteer_ids: list[int], now: datetime | None = None) -> dict[int, Reliability]:
    """Each of ``volunteer_ids`` with anything to show (the others: nothing to say). One statement: the
    expired offers and the accepted places given up, with when each happened and when its service started."""
    since = (now or utcnow()) - WINDOW  # asked even for no volunteers: a page's statements stay the same
    mine = Assignment.volunteer_id.in_(volunteer_ids)
    expired = (
        select(Assignment.volunteer_id, literal("expire").label("action"), Assignment.ended_at.label("at"),
               Order.starts_at)
        .join(Order, Order.id == Assignment.order_id)
        .where(mine, Assignment.state == AssignmentState.EXPIRED.value, Assignment.ended_at >= since)
    )
    given_up = (
        select(Assignment.volunteer_id, OrderEvent.action, OrderEvent.created_at.label("at"), Order.starts_at)
        .join(OrderEvent, OrderEvent.assignment_id == Assignment.id)
        .join(Order, Order.id == Assignment.order_id)
        .where(mine, Assignment.state == AssignmentState.WITHDRAWN.value, Assignment.ended_at >= since,
               OrderEvent.created_at >= since, OrderEvent.from_state == AssignmentState.ACCEPTED.value,
               OrderEvent.action.in_(("release", "withdraw")))
    )
    counts: dict[int, Counter] = {}
    for volunteer_id, action, at, starts_at in db.session.execute(union_all(expired, given_up)):
        kind = _kind(action, at, starts_at)
        if kind:
            counts.setdefault(volunteer_id, Counter())[kind] += 1
    return {vid: Reliability(c["expired"], c["late_releases"], c["no_shows"]) for vid, c in counts.items()}


def _kind(action: str, at: datetime, starts_at: datetime) -> str | None:
    if action == "expire":
        return "expired"
    if action == "release" and at > starts_at - LATE:
        return "late_releases"
    if action == "withdraw" and at >= starts_at:
        return "no_shows"
    return None
