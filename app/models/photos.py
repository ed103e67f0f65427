"""结项 photos: a volunteer's pictures of a finished job, kept re-encoded outside the web root."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class CompletionPhoto(db.Model):
    __tablename__ = "completion_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(40), unique=True)  # random, under PHOTO_DIR
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the re-encoded JPEG
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
