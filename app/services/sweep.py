"""Deadlines: expire unanswered offers, flag orders not dispatched in time.

Safe to run every minute beside the web workers and twice at once: each
expiry is a workflow transition (a compare-and-set), so an offer accepted or
expired a moment earlier is simply skipped, and the overdue flag is a
conditional UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from .. import workflow
from ..extensions import db
from ..models import Assignment, Order
from ..models.base import utcnow
from ..models.orders import AssignmentState, OrderState


@dataclass
class SweepResult:
    expired: int = 0
    overdue: int = 0
    skipped: int = 0


def sweep(dispatch_deadline_hours: int, now: datetime | None = None) -> SweepResult:
    """Run one sweep, a job of its own (``flask orders sweep``): it commits each item,
    so a lost race costs only that item and no row stays locked for the whole run."""
    now = now or utcnow()
    result = SweepResult()
    due = list(
        db.session.scalars(
            select(Assignment.id)
            .where(Assignment.state == AssignmentState.OFFERED.value, Assignment.expires_at < now)
            .order_by(Assignment.id)
        )
    )
    db.session.rollback()
    for assignment_id in due:
        assignment = db.session.get(Assignment, assignment_id)
        try:
            workflow.apply(assignment, "expire", workflow.SYSTEM)
            db.session.commit()
            result.expired += 1
        except workflow.WorkflowError:  # answered or expired a moment ago
            db.session.rollback()
            result.skipped += 1
    cutoff = now - timedelta(hours=dispatch_deadline_hours)
    flagged = db.session.execute(
        update(Order)
        .where(
            Order.state == OrderState.SUBMITTED.value,
            Order.submitted_at < cutoff,
            Order.overdue_at.is_(None),
        )
        .values(overdue_at=now)
        .execution_options(synchronize_session=False)
    )
    result.overdue = flagged.rowcount
    db.session.commit()
    return result
