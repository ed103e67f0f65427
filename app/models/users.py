"""Accounts, their roles and the volunteer profile."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, time
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    case,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..dates import BEIJING
from ..extensions import db
from .base import UTCDateTime, utcnow
from .menu import Category, Service
from .places import District


class Role(enum.StrEnum):
    REQUESTER = "requester"
    VOLUNTEER = "volunteer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint(
            "role IN ('requester', 'volunteer', 'coordinator', 'admin')", name="role"
        ),
        # The people holding a role (the back office's search, the last-admin rule).
        Index("ix_user_roles_role", "role", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(80), default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on logout and password change: old cookies stop working.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator gave a temporary password: every page asks for a new one first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Whether this person also gets text messages (reminders, offers, changes to their orders).
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # An email address of their choosing, and whether the same notices also go there.
    email: Mapped[str | None] = mapped_column(String(120))
    email_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Someone without an account the center ordered for (代下单): no password of their own; their
    # orders' page opens from a signed link in the text message.
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The role whose page opens after signing in, chosen by someone holding several; none (or a role
    # taken away since): the roles' priority decides (services.accounts.start_role).
    start_page: Mapped[str | None] = mapped_column(String(20))

    role_rows: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    district: Mapped[District | None] = relationship()
    profile: Mapped[VolunteerProfile | None] = relationship(back_populates="user")

    # flask-login
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def has_role(self, *roles: str | Role) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return bool(self.roles & wanted)

    def set_roles(self, roles: list[str | Role]) -> None:
        values = {r.value if isinstance(r, Role) else r for r in roles}
        self.role_rows = [UserRole(role=v) for v in sorted(values)]

    def set_password(self, password: str) -> None:
        """A new password of the person's own: other sessions end, no change is pending any more."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_token = new_session_token()
        self.must_change_password = False

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def rotate_session(self) -> None:
        self.session_token = new_session_token()

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_phone(phone: str) -> str:
    """138****5678: keep the first three and last four digits."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


volunteer_services = Table(
    "volunteer_services",
    db.metadata,
    Column("profile_id", ForeignKey("volunteer_profiles.id"), primary_key=True),
    Column("service_id", ForeignKey("services.id"), primary_key=True),
    # The volunteers linked to an order's service: an index range (matching), not a scan.
    Index("ix_volunteer_services_service_id", "service_id", "profile_id"),
)
volunteer_categories = Table(
    "volunteer_categories",
    db.metadata,
    Column("profile_id", ForeignKey("volunteer_profiles.id"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
    # The volunteers linked to an order's category: an index range (matching), not a scan.
    Index("ix_volunteer_categories_category_id", "category_id", "profile_id"),
)
volunteer_districts = Table(
    "volunteer_districts",
    db.metadata,
    Column("profile_id", ForeignKey("volunteer_profiles.id"), primary_key=True),
    Column("district_id", ForeignKey("districts.id"), primary_key=True),
    # The volunteers linked to an order's district: an index range (matching), not a scan.
    Index("ix_volunteer_districts_district_id", "district_id", "profile_id"),
)

# Weekly availability: 7 days x 3 periods (morning, afternoon, evening) as bits.
PERIODS = ("morning", "afternoon", "evening")
ALL_WEEK = (1 << 21) - 1


def availability_bit(weekday: int, period: int) -> int:
    """The bit of ``VolunteerProfile.availability`` for a weekday (0-6) and period (0-2)."""
    return 1 << (weekday * 3 + period)


class VolunteerProfile(db.Model):
    __tablename__ = "volunteer_profiles"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'suspended')", name="status"),
        # 志愿者编号: printed on records, given once on approval, never reused.
        Index("ix_volunteer_profiles_volunteer_number", "volunteer_number", unique=True),
        # The application queue: the pending ones, oldest first.
        Index("ix_volunteer_profiles_status", "status", "applied_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    team: Mapped[str] = mapped_column(String(80), default="")
    bio: Mapped[str] = mapped_column(String(500), default="")
    availability: Mapped[int] = mapped_column(Integer, default=ALL_WEEK)
    # Stars of the rated orders this volunteer completed, kept by the workflow when an
    # order is rated: matching reads an average without scanning anyone's history.
    rating_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Hours credited to this volunteer over all rated orders, kept by the workflow the
    # same way: 我的任务 shows the total without summing years of jobs.
    hours_credited: Mapped[Decimal] = mapped_column(Numeric(8, 1), default=0, server_default="0")
    # The jobs this volunteer has open (offered, accepted, checked in), and the hours of the
    # jobs completed in the month ``month_hours_of`` (its first day, Beijing time; another
    # month counts as none), kept by the workflow on every change of a job: matching
    # scores every volunteer from this row alone.
    open_jobs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    month_hours: Mapped[Decimal] = mapped_column(Numeric(8, 1), default=0, server_default="0")
    month_hours_of: Mapped[date | None] = mapped_column(Date)
    # The application (志愿者申请): who the person is, as on their identity document. The
    # number is shown masked (``masked_id``) except to an administrator who reveals it.
    real_name: Mapped[str] = mapped_column(String(40), default="", server_default="")
    id_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    id_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    volunteer_number: Mapped[str | None] = mapped_column(String(12))
    skills: Mapped[str] = mapped_column(String(500), default="", server_default="")
    certificates: Mapped[str] = mapped_column(String(500), default="", server_default="")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A rejected application stays ``pending`` with ``rejected_at`` set (never suggested
    # either way); applying again clears it. The reason of the last rejection or suspension:
    decided_reason: Mapped[str] = mapped_column(String(30), default="", server_default="")
    decided_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="profile")
    services: Mapped[list[Service]] = relationship(secondary=volunteer_services)
    categories: Mapped[list[Category]] = relationship(secondary=volunteer_categories)
    districts: Mapped[list[District]] = relationship(secondary=volunteer_districts)
    away: Mapped[list[VolunteerAway]] = relationship(
        cascade="all, delete-orphan", order_by="VolunteerAway.starts_on")

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"

    @property
    def state(self) -> str:
        """pending, rejected, approved or suspended: the application as the pages name it."""
        return "rejected" if self.status == "pending" and self.rejected_at is not None else self.status

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    def available_at(self, weekday: int, period: int) -> bool:
        return bool(self.availability & availability_bit(weekday, period))

    @staticmethod
    def month_of(moment: datetime) -> date:
        """The month ``month_hours`` counts for a moment: its first day in Beijing time."""
        return moment.astimezone(BEIJING).date().replace(day=1)

    @staticmethod
    def month_start(month: date) -> datetime:
        """The moment ``month`` begins (``month_of`` gives it), Beijing time."""
        return datetime.combine(month, time(), BEIJING)

    @classmethod
    def hours_in(cls, month: date) -> ColumnElement:
        """SQL: the hours of the jobs completed in ``month`` (0 when the kept figure is older)."""
        return case((cls.month_hours_of == month, cls.month_hours), else_=0)


def mask_id_number(number: str) -> str:
    """1101**********1234: keep the first and last four characters."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


class VolunteerAway(db.Model):
    """A date or a range of dates a volunteer is away (both days included): not suggested then."""

    __tablename__ = "volunteer_away"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="range"),
        Index("ix_volunteer_away_starts_on", "starts_on", "ends_on", "profile_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
