"""The dashboard's counts kept per Beijing day (the day orders were placed), so that a period's numbers
read a row per day and state instead of every order: ``services.daily_figures`` rebuilds them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime

ALL = 0  # service_id or district_id of a row that counts every service or every district


class DailyFigure(db.Model):
    """The orders placed on ``day`` that are now in ``state``, at one of three grains: every order
    (service 0, district 0), one service (district 0), or one district (service 0)."""

    __tablename__ = "daily_figures"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, Beijing
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)  # of them, flagged by the clocks (时限)
    audience: Mapped[int] = mapped_column(Integer)  # their audience, added up
    stars_1: Mapped[int] = mapped_column(Integer)  # of them, rated with 1 star; and so on
    stars_2: Mapped[int] = mapped_column(Integer)
    stars_3: Mapped[int] = mapped_column(Integer)
    stars_4: Mapped[int] = mapped_column(Integer)
    stars_5: Mapped[int] = mapped_column(Integer)


class DailyFiguresRebuilt(db.Model):
    """One row: when the daily figures were last brought up to date (the orders changed since were not)."""

    __tablename__ = "daily_figures_rebuilt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
