"""The hours ledger: every credit and debit of a volunteer's hours is a row.

A volunteer's credited hours are the sum of their rows (kept on the profile
as ``hours_credited`` by ``counters``, checked by ``flask orders check``).
A service's hours are written once per assignment, when the people served
confirm it or the auto-confirm does: a unique index says so too. Rows are
only ever added; a correction is another row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .orders import Order
from .users import User


class HourSource(enum.StrEnum):
    SERVICE = "service"  # a job's hours, from check-in to check-out, confirmed
    HOLD = "hold"  # held back while a dispute is open (the service hours, negative)
    ADJUSTMENT = "adjustment"  # changed by the center with a reason
    CORRECTION = "correction"  # 补录: proposed and approved apart from check-in/out


def _in(values) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class HourEntry(db.Model):
    __tablename__ = "hour_entries"
    __table_args__ = (
        CheckConstraint(f"source IN ({_in(HourSource)})", name="source"),
        CheckConstraint("hours <> 0", name="hours"),
        # A job's service hours are credited once, whatever races.
        Index("uq_hour_entries_service", "assignment_id", unique=True,
              sqlite_where=text("source = 'service'"), postgresql_where=text("source = 'service'")),
        # ... and held once (a dispute is opened once).
        Index("uq_hour_entries_hold", "assignment_id", unique=True,
              sqlite_where=text("source = 'hold'"), postgresql_where=text("source = 'hold'")),
        # A volunteer's record, by date.
        Index("ix_hour_entries_volunteer", "volunteer_id", "created_at"),
        # The hours credited in a period and by whom (the dashboard), read from the index alone.
        Index("ix_hour_entries_credited", "created_at", "volunteer_id", "hours"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    source: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    order: Mapped[Order | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


# The star levels (星级志愿者) by credited hours.
STAR_LEVELS: tuple[int, ...] = (100, 300, 600, 1000, 1500)


@dataclass(frozen=True)
class StarProgress:
    stars: int  # 0 to 5
    next_at: int | None  # the hours of the next star; None at five stars
    to_next: Decimal  # hours still to go


def star_progress(hours: Decimal) -> StarProgress:
    """The star level a volunteer's credited hours reach, and how far the next one is."""
    stars = sum(hours >= level for level in STAR_LEVELS)
    if stars == len(STAR_LEVELS):
        return StarProgress(stars, None, Decimal(0))
    next_at = STAR_LEVELS[stars]
    return StarProgress(stars, next_at, Decimal(next_at) - hours)
