"""Which volunteers to offer an order to, ranked, with the reasons shown.

Eligibility rules block a volunteer outright (not approved, declined this
order, busy at that time, already on it); the rest are scored. The weights
live in ``WEIGHTS`` and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Assignment, Order, Rating, User, UserRole, VolunteerProfile
from ..models.base import utcnow
from ..models.orders import ACTIVE_ASSIGNMENT_STATES, HOLDING_ASSIGNMENT_STATES

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_ORDER_SPAN = timedelta(days=1)

WEIGHTS = {
    "service": 40.0,  # delivers exactly this service
    "category": 20.0,  # delivers something in this category
    "district": 25.0,  # serves the order's district
    "available": 15.0,  # weekly availability covers the time
    "per_open_job": -5.0,  # spreads work: each open job costs
    "per_star": 4.0,  # average rating above 3 stars
    "per_hour_this_month": -0.5,  # fairness: fewer hours this month first
}


@dataclass
class Candidate:
    volunteer: User
    score: float = 0.0
    reasons: list = field(default_factory=list)
    blocked: object | None = None  # why not proposed; None when eligible
    open_jobs: int = 0
    average_rating: float | None = None
    hours_this_month: Decimal = Decimal(0)

    @property
    def eligible(self) -> bool:
        return self.blocked is None


def period_of(moment: datetime) -> tuple[int, int]:
    """(weekday 0-6, period 0 morning / 1 afternoon / 2 evening) in Beijing time."""
    local = moment.astimezone(BEIJING)
    period = 0 if local.hour < 12 else 1 if local.hour < 18 else 2
    return local.weekday(), period


def _volunteers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "volunteer"))
            .where(User.active.is_(True))
            .options(
                selectinload(User.profile).options(
                    selectinload(VolunteerProfile.services),
                    selectinload(VolunteerProfile.categories),
                    selectinload(VolunteerProfile.districts),
                )
            )
            .order_by(User.id)
        )
    )


def _busy_ids(order: Order) -> set[int]:
    """Volunteers holding a slot on another order overlapping this one's window."""
    return set(
        db.session.scalars(
            select(Assignment.volunteer_id)
            .join(Order, Order.id == Assignment.order_id)
            .where(
                Assignment.state.in_(HOLDING_ASSIGNMENT_STATES),
                Order.id != order.id,
                Order.starts_at < order.ends_at,
                Order.ends_at > order.starts_at,
                # An order's window lies within one day (the form takes one date), so an
                # overlapping one starts less than a day earlier: an index range on starts_at.
                Order.starts_at > order.starts_at - MAX_ORDER_SPAN,
                Order.state.in_(("accepted", "dispatched", "in_service")),
            )
        )
    )


def _open_jobs() -> dict[int, int]:
    rows = db.session.execute(
        select(Assignment.volunteer_id, func.count())
        .where(Assignment.state.in_(("offered", "accepted", "checked_in")))
        .group_by(Assignment.volunteer_id)
    )
    return {vid: n for vid, n in rows}


def _average_ratings() -> dict[int, float]:
    rows = db.session.execute(
        select(Assignment.volunteer_id, func.avg(Rating.stars))
        .join(Rating, Rating.order_id == Assignment.order_id)
        .where(Assignment.state == "completed")
        .group_by(Assignment.volunteer_id)
    )
    return {vid: float(avg) for vid, avg in rows if avg is not None}


def _hours_this_month(now: datetime) -> dict[int, Decimal]:
    local = now.astimezone(BEIJING)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = db.session.execute(
        select(Assignment.volunteer_id, func.sum(Assignment.hours))
        .where(Assignment.state == "completed", Assignment.completed_at >= start)
        .group_by(Assignment.volunteer_id)
    )
    return {vid: Decimal(total or 0) for vid, total in rows}


def rank(order: Order, now: datetime | None = None) -> list[Candidate]:
    """Every volunteer for ``order``: eligible ones by score, then the blocked ones."""
    now = now or utcnow()
    declined = {a.volunteer_id for a in order.assignments if a.state == "declined"}
    live = {a.volunteer_id for a in order.assignments if a.state in ACTIVE_ASSIGNMENT_STATES}
    busy = _busy_ids(order)
    loads, ratings, hours = _open_jobs(), _average_ratings(), _hours_this_month(now)
    weekday, period = period_of(order.starts_at)

    candidates = []
    for user in _volunteers():
        c = Candidate(
            user,
            open_jobs=loads.get(user.id, 0),
            average_rating=ratings.get(user.id),
            hours_this_month=hours.get(user.id, Decimal(0)),
        )
        score(c, order, weekday, period)
        profile = user.profile
        if profile is None or not profile.is_approved:
            c.blocked = _l("Not an approved volunteer")
        elif user.id in live:
            c.blocked = _l("Already on this order")
        elif user.id in declined:
            c.blocked = _l("Declined this order")
        elif user.id in busy:
            c.blocked = _l("Busy at that time")
        elif user.id == order.requester_id:
            c.blocked = _l("Placed this order")
        candidates.append(c)
    candidates.sort(key=lambda c: (not c.eligible, -c.score, c.volunteer.id))
    return candidates


def score(c: Candidate, order: Order, weekday: int, period: int) -> None:
    """Fill ``c.score`` and ``c.reasons`` from the weights."""
    profile = c.volunteer.profile
    if profile is not None:
        if any(s.id == order.service_id for s in profile.services):
            c.score += WEIGHTS["service"]
            c.reasons.append(_l("Delivers this service"))
        elif any(cat.id == order.service.category_id for cat in profile.categories):
            c.score += WEIGHTS["category"]
            c.reasons.append(_l("Delivers this category"))
        if any(d.id == order.district_id for d in profile.districts):
            c.score += WEIGHTS["district"]
            c.reasons.append(_l("Serves this district"))
        if profile.available_at(weekday, period):
            c.score += WEIGHTS["available"]
            c.reasons.append(_l("Usually free then"))
    c.score += WEIGHTS["per_open_job"] * c.open_jobs
    c.reasons.append(_l("%(n)s open jobs", n=c.open_jobs))
    if c.average_rating is not None:
        c.score += WEIGHTS["per_star"] * (c.average_rating - 3)
        c.reasons.append(_l("Rated %(r).1f", r=c.average_rating))
    c.score += WEIGHTS["per_hour_this_month"] * float(c.hours_this_month)
    c.reasons.append(_l("%(h)s h this month", h=c.hours_this_month))


def top(order: Order, n: int) -> list[User]:
    return [c.volunteer for c in rank(order) if c.eligible][:n]
