"""Deadlines: expire unanswered offers, record the clocks (时限) that ran out, confirm
completed orders nobody rated within the auto-confirm days (their hours count), remind the
people of a service a day and two hours before, and send the text messages due.

Safe to run every minute beside the web workers and twice at once: each
expiry is a workflow transition (a compare-and-set), so an offer accepted or
expired a moment earlier is simply skipped, and a clock's breach is written
once (a unique row, with its notifications in the same transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, text

from .. import workflow
from ..extensions import db
from ..models import Assignment, Order
from ..models.base import utcnow
from ..models.orders import AssignmentState, OrderState
from . import daily_figures
from .attendance import flag_missing
from .outbox import deliver_due
from .reminders import send_reminders
from .settings import current_settings
from .sla import check_clocks


@dataclass
class SweepResult:
    expired: int = 0
    overdue: int = 0
    confirmed: int = 0
    skipped: int = 0
    reminded: int = 0
    flagged: int = 0
    texts_sent: int = 0
    days_counted: int = 0


SWEEP_LOCK = 20261203  # the PostgreSQL advisory lock only one sweep holds at a time


@contextmanager
def only_sweep() -> Iterator[bool]:
    """Whether this is the only sweep running (on PostgreSQL, an advisory lock held on a
    connection of its own for the whole run, so app servers on several hosts can all run the
    sweep from cron); True elsewhere, where one host's ``flock`` does it."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as connection:
        held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SWEEP_LOCK}).scalar()
        try:
            yield bool(held)
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEP_LOCK})
            connection.commit()


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
    result.expired = _apply_each(Assignment, due, "expire", result)
    settings = current_settings()
    result.overdue = check_clocks(now, replace(settings, dispatch_deadline_hours=dispatch_deadline_hours))
    result.confirmed = _apply_each(Order, _unrated(settings.auto_confirm_days, now), "confirm", result)
    result.reminded = send_reminders(now)
    result.flagged = flag_missing(now)
    result.texts_sent = deliver_due(now).sent  # the texts the steps above wrote go out now
    result.days_counted = daily_figures.rebuild(now)  # last: the days whose orders the steps above changed too
    return result


def _unrated(auto_confirm_days: int, now: datetime) -> list[int]:
    """Completed orders nobody rated within the auto-confirm days (an index range on the state)."""
    cutoff = now - timedelta(days=auto_confirm_days)
    ids = list(db.session.scalars(
        select(Order.id)
        .where(Order.state == OrderState.COMPLETED.value, Order.completed_at <= cutoff)
        .order_by(Order.id)
    ))
    db.session.rollback()
    return ids


def _apply_each(model, ids: list[int], action: str, result: SweepResult) -> int:
    """``action`` on each row by the system, a transaction each; returns how many it changed."""
    done = 0
    for target_id in ids:
        target = db.session.get(model, target_id)
        try:
            workflow.apply(target, action, workflow.SYSTEM)
            db.session.commit()
            done += 1
        except workflow.WorkflowError:  # answered, rated or changed a moment ago
            db.session.rollback()
            result.skipped += 1
    return done
