"""A volunteer's record of hours, read from the ledger (``models.hours``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, load_only

from ..dates import to_beijing
from ..extensions import db
from ..models import HourEntry, Order, Service, User, VolunteerProfile
from ..models.hours import StarProgress, star_progress


@dataclass(frozen=True)
class HoursRecord:
    total: Decimal
    stars: StarProgress
    by_year: list[tuple[int, Decimal]]  # newest first
    entries: list[HourEntry]  # newest first, each with its order and service


def record_of(user: User) -> HoursRecord:
    """Every credit and debit of ``user``'s hours, the sums per year (in Beijing) and the total."""
    entries = list(db.session.scalars(
        select(HourEntry)
        .outerjoin(HourEntry.order).outerjoin(Order.service)
        .where(HourEntry.volunteer_id == user.id)
        .options(
            load_only(HourEntry.hours, HourEntry.source, HourEntry.note, HourEntry.created_at,
                      HourEntry.assignment_id),
            contains_eager(HourEntry.order).options(
                load_only(Order.submitted_at, Order.starts_at),
                contains_eager(Order.service).load_only(Service.name),
            ),
        )
        .order_by(HourEntry.created_at.desc(), HourEntry.id.desc())
    ))
    years: dict[int, Decimal] = defaultdict(Decimal)
    for entry in entries:
        years[to_beijing(entry.created_at).year] += entry.hours
    total = db.session.scalar(select(VolunteerProfile.hours_credited).where(VolunteerProfile.user_id == user.id))
    total = total or Decimal(0)
    return HoursRecord(total, star_progress(total), sorted(years.items(), reverse=True), entries)
