"""What the people who attended a service say of it, without an account: stars and a comment,
one per device (a random cookie, kept as its hash), from the start of the service for 14 days."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class AttendeeFeedback(db.Model):
    __tablename__ = "attendee_feedback"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        # One per device and order, whatever races: the second is refused.
        UniqueConstraint("order_id", "device", name="uq_attendee_feedback_device"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(300), default="")
    device: Mapped[str] = mapped_column(String(64))  # sha256 of the device's cookie, never the cookie
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
