"""The service menu: categories and the services they hold."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, Time, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .places import District

if TYPE_CHECKING:
    pass

# The districts a service is offered in; none: every district.
service_districts = Table(
    "service_districts",
    db.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id"), primary_key=True),
)


class DispatchMode(enum.StrEnum):
    DISPATCH = "dispatch"
    CLAIM = "claim"


class DeliveredBy(enum.StrEnum):
    """Who may deliver a service's orders (besides serving the order's district, when they name districts)."""

    LISTED = "listed"  # volunteers who list the service or its category on their profile
    TEAMS = "teams"  # members of the teams (服务队) that cover the service


class ServiceStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    icon: Mapped[str] = mapped_column(String(40), default="heart")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # 时限 for this category's orders, in working hours; None: the settings' (dispatch deadline, acceptance target).
    dispatch_target_hours: Mapped[int | None] = mapped_column(Integer)
    accept_target_hours: Mapped[int | None] = mapped_column(Integer)

    services: Mapped[list[Service]] = relationship(
        back_populates="category", order_by="Service.position"
    )


class Service(db.Model):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        CheckConstraint("default_volunteers >= 1", name="default_volunteers"),
        CheckConstraint("min_notice_days >= 0", name="min_notice_days"),
        CheckConstraint("dispatch_mode IN ('dispatch', 'claim')", name="dispatch_mode"),
        CheckConstraint("delivered_by IN ('listed', 'teams')", name="delivered_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    summary: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    default_volunteers: Mapped[int] = mapped_column(Integer, default=1)
    min_notice_days: Mapped[int] = mapped_column(Integer, default=3)
    audience_limit: Mapped[int] = mapped_column(Integer, default=100)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    # "dispatch": the center offers each order to volunteers; "claim": its orders go to the claim board
    # (抢单), where volunteers who may deliver it take a place themselves.
    dispatch_mode: Mapped[str] = mapped_column(String(10), default=DispatchMode.DISPATCH.value,
                                               server_default=DispatchMode.DISPATCH.value)
    delivered_by: Mapped[str] = mapped_column(String(10), default=DeliveredBy.LISTED.value,
                                              server_default=DeliveredBy.LISTED.value)
    status: Mapped[str] = mapped_column(String(12), default=ServiceStatus.PUBLISHED.value)
    # Made by the center for one 心愿 (a need no menu item fits): ordered once, for that wish, never on the menu.
    one_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Delivery rules an order's window must fit; None: no rule.
    min_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    max_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    earliest_start: Mapped[dt.time | None] = mapped_column(Time)
    latest_end: Mapped[dt.time | None] = mapped_column(Time)

    # Bumped by every change through the ORM: an edit made from a stale page is refused
    # (StaleDataError) instead of overwriting another administrator's.
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    category: Mapped[Category] = relationship(back_populates="services")
    districts: Mapped[list[District]] = relationship(secondary=service_districts, order_by=District.position)

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def by_teams_only(self) -> bool:
        """Only members of the teams that cover it may deliver it."""
        return self.delivered_by == DeliveredBy.TEAMS.value

    @property
    def is_claimable(self) -> bool:
        """Open for qualified volunteers to claim (the claim board) rather than dispatched by the center."""
        return self.dispatch_mode == DispatchMode.CLAIM.value

    @property
    def is_orderable(self) -> bool:
        """On the menu: anyone may order it (a one-off service is ordered only for its wish)."""
        return self.status == ServiceStatus.PUBLISHED.value and not self.one_off
