"""Orders, their volunteer slots (assignments), the audit trail and ratings.

States are only ever changed by ``app.workflow.apply``.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .menu import Service
from .places import District
from .users import User


class OrderState(enum.StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    RATED = "rated"
    CONFIRMED = "confirmed"  # nobody rated it in time: the hours counted anyway
    DISPUTED = "disputed"  # the people served say something went wrong: the hours are held
    RESOLVED = "resolved"  # the center decided the dispute: credited, adjusted or void
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class AssignmentState(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"


ACTIVE_ASSIGNMENT_STATES = ("offered", "accepted", "checked_in", "completed")
HOLDING_ASSIGNMENT_STATES = ("accepted", "checked_in", "completed")
# The order states in which a volunteer holding a place is busy over its window.
BUSY_ORDER_STATES = ("dispatched", "accepted", "in_service")
# An order's window lies within one day (the form takes one date), so an
# overlapping one starts less than a day earlier: an index range on starts_at.
MAX_ORDER_SPAN = timedelta(days=1)
HALF_HOUR = timedelta(minutes=30)


_BEIJING = ZoneInfo("Asia/Shanghai")  # the day in an order number is the day people saw


def _in(values) -> str:
    return ", ".join(f"'{v.value if hasattr(v, 'value') else v}'" for v in values)


def order_number(submitted_at: datetime, order_id: int) -> str:
    """The order number people quote on the phone: the day it was placed (in Beijing) and the id."""
    return f"{submitted_at.astimezone(_BEIJING):%y%m%d}{order_id:05d}"


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(OrderState)})", name="state"),
        CheckConstraint("needed >= 1 AND needed <= 20", name="needed"),
        CheckConstraint("accepted_count >= 0 AND accepted_count <= needed", name="accepted_count"),
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_orders_queue", "state", "starts_at", "submitted_at"),
        Index("ix_orders_requester_recent", "requester_id", "submitted_at"),
        # A likely duplicate: the same requester, service and day (the queue's and order page's flag).
        Index("ix_orders_requester_service", "requester_id", "service_id", "starts_at"),
        # 全部订单 filtered by state, newest first.
        Index("ix_orders_state_id", "state", "id"),
        # The numbers of a period, by the day placed; the steps' times read from the index alone
        # (a year's medians and 90th percentiles at a million orders: 505 → 148 ms, sorted as doubles).
        Index("ix_orders_placed_steps", "submitted_at", "dispatched_at", "accepted_at", "completed_at"),
        # 全部订单 filtered by a service or a district, with or without a state, newest first: the page
        # walks the filter's own orders backwards, not every order until enough match (the newest
        # orders are rarely in a settled state: 50 000 read for a page of rated orders in a district).
        Index("ix_orders_service_newest", "service_id", "id"),
        Index("ix_orders_district_newest", "district_id", "id"),
        Index("ix_orders_state_service_newest", "state", "service_id", "id"),
        Index("ix_orders_state_district_newest", "state", "district_id", "id"),
        # The orders changed lately: the days whose daily figures are to be counted again.
        Index("ix_orders_updated_at", "updated_at"),
        # The dispatch queue: open orders, most urgent first.
        Index(
            "ix_orders_open_by_start",
            "starts_at",
            "submitted_at",
            "id",
            sqlite_where=text("state IN ('submitted', 'dispatched')"),
            postgresql_where=text("state IN ('submitted', 'dispatched')"),
        ),
        # The same, filtered by district (the queue's most used filter).
        Index(
            "ix_orders_open_by_district",
            "district_id",
            "starts_at",
            "submitted_at",
            "id",
            sqlite_where=text("state IN ('submitted', 'dispatched')"),
            postgresql_where=text("state IN ('submitted', 'dispatched')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    unit: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(40))
    contact_phone: Mapped[str] = mapped_column(String(20))
    audience_size: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    needed: Mapped[int] = mapped_column(Integer, default=1)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(20))  # set by app.workflow only
    # One-time token of the form that created the order: a resubmission finds it.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # 代下单: the coordinator who placed the order for its requester (None: the requester did).
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    placed_by: Mapped[User | None] = relationship(foreign_keys=[placed_by_id])
    district: Mapped[District] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="order", order_by="Assignment.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id"
    )
    rating: Mapped[Rating | None] = relationship(back_populates="order")
    # Another live order of the same requester, service and day (loaded where a page asks: the desk's).
    twin_id: Mapped[int | None] = query_expression()
    # What attendees said (count and average stars), loaded where a page shows it.
    feedback_count: Mapped[int | None] = query_expression()
    feedback_average: Mapped[float | None] = query_expression()

    @property
    def number(self) -> str:
        """The order number people quote on the phone."""
        return order_number(self.submitted_at, self.id)

    @property
    def shortfall(self) -> int:
        return self.needed - self.accepted_count

    @property
    def crew(self) -> list[Assignment]:
        """The volunteers holding a place, in the order they were offered it."""
        return sorted((a for a in self.assignments if a.holds_slot), key=lambda a: a.id)

    @property
    def open_offers(self) -> list[Assignment]:
        return [a for a in self.assignments if a.state == AssignmentState.OFFERED.value]

    @classmethod
    def overlapping(cls, starts_at, ends_at, starts_after) -> tuple[ColumnElement[bool], ...]:
        """The conditions of an order whose window overlaps ``starts_at``–``ends_at`` (values or parameters);
        ``starts_after``: ``starts_at - MAX_ORDER_SPAN``, so that an index range on the start finds them."""
        return (cls.starts_at < ends_at, cls.ends_at > starts_at, cls.starts_at > starts_after)


class Assignment(db.Model):
    """One volunteer's slot on an order."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(AssignmentState)})", name="state"),
        CheckConstraint("hours IS NULL OR (hours > 0 AND hours <= 24)", name="hours"),
        # One live slot per volunteer and order: a double-click offers once.
        Index(
            "uq_assignments_active_volunteer",
            "order_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text(f"state IN ({_in(ACTIVE_ASSIGNMENT_STATES)})"),
            postgresql_where=text(f"state IN ({_in(ACTIVE_ASSIGNMENT_STATES)})"),
        ),
        # A volunteer's jobs by state, newest first (我的任务): a short walk whatever the history.
        Index("ix_assignments_volunteer_state_id", "volunteer_id", "state", "id"),
        # A volunteer's credited hours (我的任务's total): an index-only range, not their whole history's rows.
        Index(
            "ix_assignments_volunteer_credited",
            "volunteer_id",
            "hours",
            sqlite_where=text("hours_credited IS true"),
            postgresql_where=text("hours_credited IS true"),
        ),
        # A volunteer's lapses (offers left to expire, late releases, no-shows) by when: the reliability beside
        # each suggestion and its weight in the matching score, a probe per volunteer.
        Index(
            "ix_assignments_lapses",
            "volunteer_id",
            "ended_at",
            sqlite_where=text("lapse IS NOT NULL"),
            postgresql_where=text("lapse IS NOT NULL"),
        ),
        # Matching's per-volunteer load and hours-this-month aggregates.
        Index("ix_assignments_state_volunteer", "state", "volunteer_id"),
        Index("ix_assignments_state_completed_at", "state", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20))  # set by app.workflow only
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "我会准时到": the volunteer said, after the day-before reminder, that they will come.
    attendance_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether the volunteer has reviewed the job's organisation (loaded with the volunteer's job page).
    reviewed: Mapped[bool | None] = query_expression()
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    summary: Mapped[str] = mapped_column(String(500), default="")
    hours_credited: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # How the place lapsed, when it did ("expired", "late_release", "no_show"): written with the event that
    # ended it (services.reliability), so that reliability is read per place, not from the audit trail.
    lapse: Mapped[str | None] = mapped_column(String(12))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="assignments")
    volunteer: Mapped[User] = relationship()

    @property
    def holds_slot(self) -> bool:
        return self.state in HOLDING_ASSIGNMENT_STATES

    def creditable_hours(self, until: datetime, tolerance: timedelta) -> Decimal:
        """The hours from check-in to ``until``, at most the service window plus ``tolerance``, in whole half hours."""
        if self.checked_in_at is None:
            return Decimal(0)
        window = self.order.ends_at - self.order.starts_at
        served = min(until - self.checked_in_at, window + tolerance)
        return Decimal(max(served // HALF_HOUR, 0)) / 2

    @property
    def sees_contact(self) -> bool:
        """Privacy rule: full phone and address only once the volunteer accepted."""
        return self.holds_slot


class OrderEvent(db.Model):
    """The audit trail: one row per applied transition."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(12))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # the hours a decision gave (resolving a dispute)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    assignment: Mapped[Assignment | None] = relationship()
    actor: Mapped[User | None] = relationship()


class Rating(db.Model):
    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="rating")
