"""The desk's history (全部订单): every order in any state, newest first, one keyset page at a time.

The same filter chooses the rows of an export (``history_rows``), so that what
the screen shows is what the spreadsheet holds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, time, timedelta
from functools import cache

from sqlalchemy import Row, Select, bindparam, func, select

from ...extensions import read_rows
from ...models import Assignment, District, Order, Rating, Service, User, VolunteerProfile, team_members
from ...models.expressions import in_constants
from ...models.orders import ACTIVE_ASSIGNMENT_STATES, HOLDING_ASSIGNMENT_STATES
from .ordering import beijing_to_utc
from .queue import filter_conditions, like_term, parse_order_number


@dataclass
class HistoryFilter:
    state: str | None = None
    category_id: int | None = None
    service_id: int | None = None
    district_id: int | None = None
    date_from: date | None = None  # the service's day, Beijing time
    date_to: date | None = None
    stars: int | None = None  # the rating given, 1-5
    overdue_only: bool = False
    q: str = ""  # an order number, a unit or a requester's name
    volunteer: str = ""  # a volunteer's name or 志愿者编号
    team_id: int | None = None  # a member of this team served (or holds a place on) the order

    @property
    def is_empty(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class HistoryShape:
    """Which conditions a history statement has: one statement is built and kept per shape."""

    state: bool
    category: bool
    service: bool
    district: bool
    date_from: bool
    date_to: bool
    stars: bool
    overdue_only: bool
    term: bool
    number: bool
    volunteer: bool
    team: bool
    direction: str | None  # "after" (older), "before" (newer) or None (the newest page)


def _shape_and_params(f: HistoryFilter, direction: str | None = None, position: int | None = None):
    term = (f.q or "").strip()
    number = parse_order_number(term) if term else None
    volunteer = (f.volunteer or "").strip()
    params = {
        "order_state": f.state, "category_id": f.category_id, "service_id": f.service_id,
        "district_id": f.district_id, "stars": f.stars,
        "starts_from": beijing_to_utc(f.date_from, time(0)) if f.date_from else None,
        "starts_before": beijing_to_utc(f.date_to + timedelta(days=1), time(0)) if f.date_to else None,
        "term": like_term(term) if term else None, "number": number,
        "volunteer": like_term(volunteer) if volunteer else None, "volunteer_number": volunteer,
        "position": position, "team_id": f.team_id,
    }
    shape = HistoryShape(
        bool(f.state), bool(f.category_id), bool(f.service_id), bool(f.district_id), bool(f.date_from),
        bool(f.date_to), bool(f.stars), bool(f.overdue_only), bool(term), number is not None, bool(volunteer),
        bool(f.team_id), direction,
    )
    return shape, params


def _filtered_ids(shape: HistoryShape) -> Select:
    """The ids of the orders a filter keeps (conditions on the orders table, and subqueries for the rest)."""
    picked = select(Order.id)
    if shape.state:
        picked = picked.where(Order.state == bindparam("order_state"))
    picked = picked.where(*filter_conditions(shape))
    if shape.stars:
        picked = picked.where(Order.id.in_(select(Rating.order_id).where(Rating.stars == bindparam("stars"))))
    if shape.volunteer:
        people = select(User.id).where(User.name.like(bindparam("volunteer"), escape="/")).union(
            select(VolunteerProfile.user_id).where(VolunteerProfile.volunteer_number == bindparam("volunteer_number"))
        )
        picked = picked.where(Order.id.in_(
            select(Assignment.order_id).where(
                Assignment.volunteer_id.in_(people), in_constants(Assignment.state, ACTIVE_ASSIGNMENT_STATES)
            )
        ))
    if shape.team:
        members = select(team_members.c.user_id).where(team_members.c.team_id == bindparam("team_id"))
        picked = picked.where(Order.id.in_(
            select(Assignment.order_id).where(
                Assignment.volunteer_id.in_(members), in_constants(Assignment.state, ACTIVE_ASSIGNMENT_STATES)
            )
        ))
    return picked


def crew_hours_column(order_id) -> Select:
    """The hours the crew of an order reported (a correlated sum; None before anyone completed)."""
    return (
        select(func.sum(Assignment.hours))
        .where(Assignment.order_id == order_id, in_constants(Assignment.state, HOLDING_ASSIGNMENT_STATES))
        .scalar_subquery()
    )


@cache
def _history_statement(shape: HistoryShape, limit: int | None) -> Select:
    """One page (``limit``) or all (None) of the orders a filter keeps, newest first, with the names shown."""
    picked = _filtered_ids(shape)
    if shape.direction == "after":
        picked = picked.where(Order.id < bindparam("position"))
    elif shape.direction == "before":
        picked = picked.where(Order.id > bindparam("position"))
    backwards = shape.direction == "before"
    picked = picked.order_by(Order.id.asc() if backwards else Order.id.desc())
    if limit is not None:
        picked = picked.limit(limit)
    page = picked.subquery()
    return (
        select(
            Order.id, Order.state, Order.starts_at, Order.ends_at, Order.submitted_at, Order.overdue_at,
            Order.unit, Order.audience_size, Order.needed, Order.accepted_count,
            Service.name.label("service_name"), District.name.label("district_name"),
            User.name.label("requester_name"), Rating.stars.label("stars"),
            crew_hours_column(Order.id).label("hours"),
        )
        .join(page, page.c.id == Order.id)
        .join(Service, Service.id == Order.service_id)
        .join(District, District.id == Order.district_id)
        .join(User, User.id == Order.requester_id)
        .outerjoin(Rating, Rating.order_id == Order.id)
        .order_by(Order.id.asc() if backwards else Order.id.desc())
    )


@dataclass
class HistoryPage:
    rows: list[Row]
    next_cursor: int | None  # older orders, or None at the end
    prev_cursor: int | None  # newer orders, or None on the newest page


def order_history(
    f: HistoryFilter, after: int | None = None, before: int | None = None, per_page: int = 50
) -> HistoryPage:
    """One page of every order a filter keeps, newest first; ``after``/``before`` are order ids
    from a previous page. Keyset paging on the id: no COUNT, the same cost on any page."""
    direction, position = ("after", after) if after else ("before", before) if before else (None, None)
    shape, params = _shape_and_params(f, direction, position)
    found = list(read_rows(_history_statement(shape, per_page + 1), params))
    more = len(found) > per_page
    rows = found[:per_page]
    if direction == "before":
        rows.reverse()
        return HistoryPage(rows, rows[-1].id if rows else None, rows[0].id if more else None)
    return HistoryPage(rows, rows[-1].id if more else None, rows[0].id if rows and position else None)


def kept_ids(f: HistoryFilter) -> tuple[Select, dict]:
    """The ids of every order a filter keeps, and their parameters: exports select their columns by it."""
    shape, params = _shape_and_params(f)
    return _filtered_ids(shape), params
