"""How reliable a volunteer has been lately: shown beside each suggestion and weighed in its score.

A place **lapses** when the volunteer lets the center down, counted over the last ``WINDOW``:

- **expired**: an offer left unanswered until it expired;
- **late release**: a place given back less than ``LATE`` before the service started;
- **no-show**: a place the center withdrew once the service had started (the volunteer did not come).

The rule is ``lapse_of``; the workflow's event that ends a place writes its lapse on the place
(``Assignment.lapse``), so that the figures and the matching score read the places alone, through
one partial index (``ix_assignments_lapses``): a probe per volunteer, whatever the history.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update

from .. import workflow
from ..extensions import db
from ..models import Assignment, Order, OrderEvent
from ..models.base import utcnow
from ..models.orders import AssignmentState

WINDOW = timedelta(days=90)
LATE = timedelta(hours=24)
EXPIRED, LATE_RELEASE, NO_SHOW = "expired", "late_release", "no_show"


@dataclass(frozen=True)
class Reliability:
    expired: int = 0
    late_releases: int = 0
    no_shows: int = 0

    def __bool__(self) -> bool:
        return bool(self.expired or self.late_releases or self.no_shows)


def lapse_of(action: str, from_state: str | None, at: datetime, starts_at: datetime) -> str | None:
    """How a place ended by ``action`` at ``at`` lapsed, for a service starting at ``starts_at``; None: it did not."""
    if action == "expire":
        return EXPIRED
    if from_state != AssignmentState.ACCEPTED.value:
        return None  # an offer withdrawn (the places filled) is nobody's lapse
    if action == "release" and at > starts_at - LATE:
        return LATE_RELEASE
    if action == "withdraw" and at >= starts_at:
        return NO_SHOW
    return None


@workflow.event_recorded.connect
def _on_event_recorded(event: OrderEvent, **_extra) -> None:
    """Write the lapse of the place an event ended, in the event's transaction."""
    if event.assignment_id is None:
        return
    order = db.session.get(Order, event.order_id)  # the workflow's own, already loaded
    kind = lapse_of(event.action, event.from_state, event.created_at, order.starts_at)
    if kind is not None:
        db.session.execute(update(Assignment).where(Assignment.id == event.assignment_id).values(lapse=kind)
                           .execution_options(synchronize_session=False))


def since(now: datetime | None = None) -> datetime:
    """The start of the window lapses are counted over."""
    return (now or utcnow()) - WINDOW


def lapses_of(volunteer_id: ColumnElement, window_start: ColumnElement) -> ColumnElement:
    """How many places of ``volunteer_id`` (a column of the enclosing query) lapsed since ``window_start``, as SQL."""
    return (
        select(func.count()).select_from(Assignment)
        .where(Assignment.volunteer_id == volunteer_id, Assignment.lapse.is_not(None),
               Assignment.ended_at >= window_start)
        .scalar_subquery()
    )


def of_volunteers(volunteer_ids: list[int], now: datetime | None = None) -> dict[int, Reliability]:
    """Each of ``volunteer_ids`` with anything to show (the others: nothing to say). One statement."""
    counts: dict[int, Counter] = {}
    for volunteer_id, kind, n in db.session.execute(
        select(Assignment.volunteer_id, Assignment.lapse, func.count())
        .where(Assignment.volunteer_id.in_(volunteer_ids), Assignment.lapse.is_not(None),
               Assignment.ended_at >= since(now))
        .group_by(Assignment.volunteer_id, Assignment.lapse)
    ):
        counts.setdefault(volunteer_id, Counter())[kind] = n
    return {vid: Reliability(c[EXPIRED], c[LATE_RELEASE], c[NO_SHOW]) for vid, c in counts.items()}
