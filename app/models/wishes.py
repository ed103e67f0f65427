"""心愿 (custom requests): a need that no menu item fits, described by a requester and reviewed by
the center, which asks the requester a question, rejects it with a reason, or turns it into an order
of a service on the menu or of a one-off service made for it (the normal loop from there). Counted
per district and category, so that the menu learns."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .menu import Category
from .orders import Order
from .places import District
from .users import User


class WishStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for the center (its review clock runs)
    ASKED = "asked"  # waiting for the requester's answer to the center's question (the clock stops)
    REJECTED = "rejected"
    CONVERTED = "converted"  # an order of a menu service was made of it


class Wish(db.Model):
    __tablename__ = "wishes"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'asked', 'rejected', 'converted')", name="status"),
        CheckConstraint("date_to >= date_from", name="window"),
        CheckConstraint("(status = 'converted') = (order_id IS NOT NULL)", name="order"),
        Index("ix_wishes_status", "status", "id"),
        Index("ix_wishes_requester", "requester_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(1000))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))  # the requester's guess
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    address: Mapped[str] = mapped_column(String(200))
    audience_size: Mapped[int] = mapped_column(Integer)
    date_from: Mapped[dt.date] = mapped_column(Date)
    date_to: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=WishStatus.SUBMITTED.value)
    reason_code: Mapped[str] = mapped_column(String(30), default="")
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    # The center's last question and the requester's answer to it.
    question: Mapped[str] = mapped_column(String(500), default="", server_default="")
    answer: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    asked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # while the requester is asked
    # Working minutes spent waiting for the requester's answers: off the center's review clock.
    paused_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    category: Mapped[Category | None] = relationship()
    district: Mapped[District] = relationship()
    order: Mapped[Order | None] = relationship()

    @property
    def waits_for_center(self) -> bool:
        return self.status == WishStatus.SUBMITTED.value

    @property
    def waits_for_requester(self) -> bool:
        return self.status == WishStatus.ASKED.value
