"""Which volunteers to offer an order to, ranked, with the reasons shown.

Eligibility rules block a volunteer outright (not approved, declined this
order, busy at that time, already on it); the rest are scored. The weights
live in ``WEIGHTS`` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, func, literal, select, union_all

from ..extensions import db
from ..models import Assignment, Order, User, UserRole, VolunteerProfile
from ..models.base import utcnow
from ..models.orders import ACTIVE_ASSIGNMENT_STATES, HOLDING_ASSIGNMENT_STATES
from ..models.users import availability_bit, volunteer_categories, volunteer_districts, volunteer_services

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


class Volunteer(NamedTuple):
    """What ranking needs of a volunteer, read as one plain row (no ORM objects)."""

    id: int
    name: str
    team: str
    approved: bool
    availability: int
    delivers_service: bool
    delivers_category: bool
    serves_district: bool

    def available_at(self, weekday: int, period: int) -> bool:
        return bool(self.availability & availability_bit(weekday, period))


@dataclass
class Candidate:
    volunteer: Volunteer
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


BLOCKS = {  # why a volunteer is not proposed, in the order the checks apply
    "not_approved": _l("Not an approved volunteer"),
    "on_order": _l("Already on this order"),
    "declined": _l("Declined this order"),
    "busy": _l("Busy at that time"),
    "requester": _l("Placed this order"),
}
# Blocked volunteers are listed in this order: the ones this order concerns first.
BLOCK_ORDER = ("on_order", "declined", "busy", "requester", "not_approved")
OPEN_JOB_STATES = ("offered", "accepted", "checked_in")


def _month_start(now: datetime) -> datetime:
    local = now.astimezone(BEIJING)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _busy(order: Order) -> Select:
    """Volunteers holding a slot on another order overlapping this one's window."""
    return (
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


def _on_order(order: Order, *states: str) -> Select:
    return select(Assignment.volunteer_id).where(Assignment.order_id == order.id, Assignment.state.in_(states))


def _blocked_ids(order: Order, limit: int | None) -> Select:
    """The ids of blocked volunteers worth listing, found without ranking anyone.

    The ones this order concerns (on it, declined it, busy then, placed it)
    are few and come from short index ranges; the not approved ones follow,
    ``limit`` of them at most.
    """
    unapproved = (
        select(VolunteerProfile.user_id)
        .where(VolunteerProfile.status != "approved")
        .order_by(VolunteerProfile.user_id)
        .limit(limit)
        .subquery()
    )
    return union_all(
        _on_order(order, *ACTIVE_ASSIGNMENT_STATES, "declined"),
        _busy(order),
        select(literal(order.requester_id)),
        select(unapproved.c.user_id),
    )


def _ranking(order: Order, now: datetime, among: Select | list[int] | None = None
             ) -> tuple[Select, ColumnElement, ColumnElement, ColumnElement]:
    """Active volunteers with the facts, the score and the block of ``order``, as SQL.

    The database scores and sorts, so a page asks for the few rows it shows
    whatever the number of volunteers. Per-volunteer figures come from index
    ranges (open jobs, this month's hours) and from the rating totals the
    workflow keeps on the profile; the score repeats ``score()`` below.
    ``among`` (ids, or a statement of ids) limits every part to those volunteers.
    Returns the statement, the score, the block (why not; NULL when eligible)
    and the eligibility as plain conditions the planner can estimate.
    """
    profile = VolunteerProfile
    weekday, period = period_of(order.starts_at)

    def linked(table, column, value, flag: str):
        return select(table.c.profile_id, literal(1).label("s") if flag == "s" else literal(0).label("s"),
                      literal(1 if flag == "c" else 0).label("c"), literal(1 if flag == "d" else 0).label("d")
                      ).where(column == value)

    # One row per linked profile with what it is linked to: joined once (a hash join),
    # not probed per volunteer.
    every_link = union_all(
        linked(volunteer_services, volunteer_services.c.service_id, order.service_id, "s"),
        linked(volunteer_categories, volunteer_categories.c.category_id, order.service.category_id, "c"),
        linked(volunteer_districts, volunteer_districts.c.district_id, order.district_id, "d"),
    ).subquery()
    links = (
        select(every_link.c.profile_id, func.max(every_link.c.s).label("s"), func.max(every_link.c.c).label("c"),
               func.max(every_link.c.d).label("d"))
        .group_by(every_link.c.profile_id)
        .subquery()
    )

    def per_volunteer(query: Select) -> Select:
        return query if among is None else query.where(Assignment.volunteer_id.in_(among))

    delivers_service = func.coalesce(links.c.s, 0) == 1
    delivers_category = func.coalesce(links.c.c, 0) == 1
    serves_district = func.coalesce(links.c.d, 0) == 1
    availability = func.coalesce(profile.availability, 0)
    open_jobs = per_volunteer(
        select(Assignment.volunteer_id, func.count().label("n"))
        .where(Assignment.state.in_(OPEN_JOB_STATES))
    ).group_by(Assignment.volunteer_id).subquery()
    hours = per_volunteer(
        select(Assignment.volunteer_id, func.sum(Assignment.hours).label("h"))
        .where(Assignment.state == "completed", Assignment.completed_at >= _month_start(now))
    ).group_by(Assignment.volunteer_id).subquery()
    n_open = func.coalesce(open_jobs.c.n, 0)
    n_hours = func.coalesce(hours.c.h, 0)
    rating_sum, rating_count = func.coalesce(profile.rating_sum, 0), func.coalesce(profile.rating_count, 0)
    w = {k: literal(v, Float) for k, v in WEIGHTS.items()}
    score_sql = (
        case((delivers_service, w["service"]), (delivers_category, w["category"]), else_=0.0)
        + case((serves_district, w["district"]), else_=0.0)
        + case((availability.op("&")(availability_bit(weekday, period)) != 0, w["available"]), else_=0.0)
        + w["per_open_job"] * n_open
        + case((rating_count > 0, w["per_star"] * (cast(rating_sum, Float) / rating_count - 3)), else_=0.0)
        + w["per_hour_this_month"] * cast(n_hours, Float)
    )
    on_order = _on_order(order, *ACTIVE_ASSIGNMENT_STATES)
    declined = _on_order(order, "declined")
    busy = _busy(order)
    block = case(
        (func.coalesce(profile.status, "") != "approved", "not_approved"),
        (User.id.in_(on_order), "on_order"),
        (User.id.in_(declined), "declined"),
        (User.id.in_(busy), "busy"),
        (User.id == order.requester_id, "requester"),
        else_=None,
    )
    eligible = and_(
        profile.status == "approved",
        User.id.not_in(on_order),
        User.id.not_in(declined),
        User.id.not_in(busy),
        User.id != order.requester_id,
    )
    query = (
        select(
            User.id, User.name, func.coalesce(profile.team, ""), profile.status == "approved", availability,
            delivers_service, delivers_category, serves_district,
            n_open, rating_sum, rating_count, n_hours, block,
        )
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "volunteer"))
        .outerjoin(profile, profile.user_id == User.id)
        .outerjoin(links, links.c.profile_id == profile.id)
        .outerjoin(open_jobs, open_jobs.c.volunteer_id == User.id)
        .outerjoin(hours, hours.c.volunteer_id == User.id)
        .where(User.active.is_(True))
    )
    if among is not None:
        query = query.where(User.id.in_(among))
    return query, score_sql, block, eligible


def rank(
    order: Order,
    now: datetime | None = None,
    eligible: int | None = None,
    blocked: int | None = None,
    only: Iterable[int] | None = None,
) -> list[Candidate]:
    """Volunteers for ``order``: the eligible ones by score, then the blocked ones.

    ``eligible`` and ``blocked`` cap each part (None: all); ``only`` limits the
    ranking to these volunteer ids (to check a coordinator's picks). Blocked
    volunteers are listed by why (``BLOCK_ORDER``), then by id.
    """
    now = now or utcnow()
    only = list(only) if only is not None else None
    weekday, period = period_of(order.starts_at)
    parts = []
    for is_eligible, limit in ((True, eligible), (False, blocked)):
        if limit == 0:
            continue
        if is_eligible:
            query, score_sql, _block, can_take = _ranking(order, now, only)
            part = query.where(can_take).order_by(score_sql.desc(), User.id).limit(limit)
        else:
            among = only if only is not None else _blocked_ids(order, limit)
            query, _score, block, _can_take = _ranking(order, now, among)
            part = query.where(block.is_not(None))
        found = []
        why_of: dict[int, str] = {}
        for (vid, name, team, approved, availability, s, c, d,
             n_open, rating_sum, rating_count, n_hours, why) in db.session.execute(part):
            why_of[vid] = why
            candidate = Candidate(
                Volunteer(vid, name, team, bool(approved), availability, bool(s), bool(c), bool(d)),
                open_jobs=n_open,
                average_rating=rating_sum / rating_count if rating_count else None,
                hours_this_month=Decimal(n_hours or 0),
                blocked=BLOCKS[why] if why else None,
            )
            score(candidate, order, weekday, period)
            found.append(candidate)
        if is_eligible:  # the database chose the rows; Python's exact score orders them
            found.sort(key=lambda c: (-c.score, c.volunteer.id))
        else:
            found.sort(key=lambda c: (BLOCK_ORDER.index(why_of[c.volunteer.id]), c.volunteer.id))
            found = found[:limit] if limit is not None else found
        parts += found
    return parts


def score(c: Candidate, order: Order, weekday: int, period: int) -> None:
    """Fill ``c.score`` and ``c.reasons`` from the weights."""
    v = c.volunteer
    if v.delivers_service:
        c.score += WEIGHTS["service"]
        c.reasons.append(_l("Delivers this service"))
    elif v.delivers_category:
        c.score += WEIGHTS["category"]
        c.reasons.append(_l("Delivers this category"))
    if v.serves_district:
        c.score += WEIGHTS["district"]
        c.reasons.append(_l("Serves this district"))
    if v.available_at(weekday, period):
        c.score += WEIGHTS["available"]
        c.reasons.append(_l("Usually free then"))
    c.score += WEIGHTS["per_open_job"] * c.open_jobs
    c.reasons.append(_l("%(n)s open jobs", n=c.open_jobs))
    if c.average_rating is not None:
        c.score += WEIGHTS["per_star"] * (c.average_rating - 3)
        c.reasons.append(_l("Rated %(r).1f", r=c.average_rating))
    c.score += WEIGHTS["per_hour_this_month"] * float(c.hours_this_month)
    c.reasons.append(_l("%(h)s h this month", h=c.hours_this_month))


def users_of(volunteers: list[Volunteer]) -> list[User]:
    """The accounts behind ranked volunteers, in the same order (to offer them the order)."""
    ids = [v.id for v in volunteers]
    found = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def top(order: Order, n: int) -> list[User]:
    return users_of([c.volunteer for c in rank(order, eligible=n, blocked=0)])
