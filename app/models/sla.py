"""时限: each breach of an order's clock and each escalation, recorded once (the sweep writes them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class SlaEvent(db.Model):
    __tablename__ = "sla_events"
    __table_args__ = (
        UniqueConstraint("order_id", "clock", "level", name="uq_sla_events_once"),
        CheckConstraint("clock IN ('dispatch', 'acceptance')", name="clock"),
        CheckConstraint("level IN ('breach', 'escalation')", name="level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    clock: Mapped[str] = mapped_column(String(12))  # sla.DISPATCH or sla.ACCEPTANCE
    level: Mapped[str] = mapped_column(String(12))  # breach: past its target; escalation: past twice its target
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the target (or twice it) ran out
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
