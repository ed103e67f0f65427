"""Export jobs: a file too large to make inside a web request is made by the worker (``flask exports run``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .users import User


class ExportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(db.Model):
    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        # The worker takes the oldest waiting job; a person's page lists theirs.
        Index("ix_export_jobs_status", "status", "id"),
        Index("ix_export_jobs_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))  # what is exported: "orders"
    fmt: Mapped[str] = mapped_column(String(8))  # "xlsx" or "csv"
    filters: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the filter as it was asked
    with_contact: Mapped[bool] = mapped_column(default=False)  # the asker may see requesters' phones
    locale: Mapped[str] = mapped_column(String(12), default="zh_Hans_CN")  # the headers' language
    status: Mapped[str] = mapped_column(String(10), default=ExportState.QUEUED.value)
    rows: Mapped[int] = mapped_column(Integer, default=0)  # written so far
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportState.DONE, ExportState.FAILED)
