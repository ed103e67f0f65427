"""补录: hours a coordinator proposes for a volunteer, apart from check-in and check-out, with a
reason and the evidence; an administrator other than the proposer approves or rejects them. An
approved proposal is one ledger row (source ``correction``), labelled apart from service hours,
as 志愿汇 keeps 荣誉时长 apart from 信用时长."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .hours import HourEntry
from .users import User


class CorrectionStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class HourCorrection(db.Model):
    __tablename__ = "hour_corrections"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'approved', 'rejected')", name="status"),
        CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
        # Approved and only approved: with its ledger row.
        CheckConstraint("(status = 'approved') = (entry_id IS NOT NULL)", name="entry"),
        # The proposals waiting for a decision, oldest first; a volunteer's proposals.
        Index("ix_hour_corrections_status", "status", "id"),
        Index("ix_hour_corrections_volunteer", "volunteer_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    served_on: Mapped[dt.date] = mapped_column(Date)
    activity: Mapped[str] = mapped_column(String(100))  # what the service was
    reason: Mapped[str] = mapped_column(String(500))  # why it was not recorded at the time
    evidence: Mapped[str] = mapped_column(String(500))  # where the proof is: a sign-in sheet, photos
    status: Mapped[str] = mapped_column(String(10), default=CorrectionStatus.PROPOSED.value)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("hour_entries.id"), unique=True)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    entry: Mapped[HourEntry | None] = relationship()
