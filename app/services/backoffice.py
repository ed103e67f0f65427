"""What the back-office home counts: the things that wait for someone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEntry, HourCorrection, Order, User, VolunteerProfile
from ..models.base import utcnow

RECENT = timedelta(days=7)


def waiting_counts() -> dict[str, int]:
    """Counts for the home page's tiles, in one statement."""
    since = utcnow() - RECENT

    def count(*where):
        return select(func.count()).where(*where).scalar_subquery()

    row = db.session.execute(select(
        count(Order.state == "submitted").label("to_dispatch"),
        count(Order.state == "submitted", Order.overdue_at.is_not(None)).label("overdue"),
        count(VolunteerProfile.status == "pending", VolunteerProfile.rejected_at.is_(None)).label("applications"),
        count(HourCorrection.status == "proposed").label("corrections"),
        count(User.active.is_(False)).label("deactivated"),
        count(AuditEntry.action == "setting.change", AuditEntry.created_at >= since).label("settings_changed"),
        count(AuditEntry.created_at >= since).label("actions"),
    )).one()
    return dict(row._mapping)
