"""Deadlines: expire unanswered offers, flag orders not dispatched in time.

Safe to run every minute beside the web workers and twice at once: each
expiry is a workflow transition (a compare-and-set), so an offer accepted or
expired a moment earlier is simply skipped, and the overdue flag is a
conditional UPDATE.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from sqlalchemy import select, update

from .. import workflow
from ..extensions import db
from ..models import Assignment, Order
from ..models.base import utcnow


@dataclass
class SweepResult:
    expired: int = 0
    overdue: int = 0
    skipped: int = 0


def sweep(dispatch_deadline_hours: int, now: datetime | None = None) -> SweepResult:
    """Run one sweep; commits per item so a lost race costs only that item."""
    now = now or utcnow()
    result = SweepResult()
    due = list(
        db.session.scalars(
            select(Assignment.id)
            .where(Assignment.state == "offered", Assignment.expires_at < now)
            .order_by(Assignment.id)
        )
    )
    db.session.rollback()
    # From cron there is no request; a lost race still renders its (lazy) message.
    with nullcontext() if has_request_context() else current_app.test_request_context():
        for assignment_id in due:
            assignment = db.session.get(Assignment, assignment_id)
            try:
                workflow.apply(assignment, "expire", workflow.SYSTEM, reason_code=None)
                db.session.commit()
                result.expired += 1
            except workflow.WorkflowError:
                db.session.rollback()
                result.skipped += 1
    cutoff = now - timedelta(hours=dispatch_deadline_hours)
    flagged = db.session.execute(
        update(Order)
        .where(
            Order.state == "submitted",
            Order.submitted_at < cutoff,
            Order.overdue_at.is_(None),
        )
        .values(overdue_at=now)
        .execution_options(synchronize_session=False)
    )
    result.overdue = flagged.rowcount
    db.session.commit()
    return result
