"""In-app notifications: one row per person told about an order event or about their volunteer application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

ONCE_PER_ORDER = "kind IN ('reminder_24h', 'reminder_2h', 'unconfirmed', 'not_checked_in')"


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_user_latest", "user_id", "id"),
        # A reminder or an attendance flag is written once per person and order, however many sweeps run.
        Index("uq_notifications_reminder", "user_id", "order_id", "kind", unique=True,
              sqlite_where=text(ONCE_PER_ORDER),
              postgresql_where=text(ONCE_PER_ORDER)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # None for a notice about the person's volunteer application (``kind`` says which).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("order_events.id"))
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event = relationship("OrderEvent")
    order = relationship("Order")
