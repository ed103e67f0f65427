"""志愿服务记录证明: a record of a volunteer's service over a period, issued by the center.

What it certifies is frozen at issue (the person, the services and hours, the issuer), so that a
record handed to an employer or a school reads the same later, and its verification page says
whether it still stands (a revoked record says so, with the date). The number is sequential per
year (2026-0001); a unique constraint keeps two administrators from giving out the same one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .users import User


class ServiceCertificate(db.Model):
    __tablename__ = "service_certificates"
    __table_args__ = (
        Index("ix_service_certificates_volunteer", "volunteer_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # 证明编号, e.g. 2026-0001
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    # The person as the record names them (民发〔2015〕149号): 姓名, 证件类型与号码, 志愿者编号.
    real_name: Mapped[str] = mapped_column(String(40))
    id_type: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(String(40))
    volunteer_number: Mapped[str] = mapped_column(String(12))
    total_hours: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    lines: Mapped[str] = mapped_column(Text)  # JSON: [{date, service, hours, source}], oldest first
    # The issuer: 名称, 负责人, 经办人, 联系方式 (from the settings when issued).
    issuer_name: Mapped[str] = mapped_column(String(80))
    issuer_head: Mapped[str] = mapped_column(String(40))
    issuer_handler: Mapped[str] = mapped_column(String(40))
    issuer_phone: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")  # 说明
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
