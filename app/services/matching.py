"""Which volunteers to offer an order to, ranked, with the reasons shown.

Eligibility rules block a volunteer outright (not approved, declined this
order, busy at that time, away that day, already on it, outside who may
deliver it); the rest are scored. Who may deliver an order: a volunteer who
lists its service or its category (or, for a service delivered by teams, a
member of a team that covers it) and, when their profile names districts,
serves its district. The weights
live in ``WEIGHTS`` and nowhere else; a lapse (``services.reliability``) lowers a score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import product
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Date,
    Float,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ..extensions import db, read_rows
from ..models import Assignment, Order, Service, User, UserRole, VolunteerAway, VolunteerProfile
from ..models.base import utcnow
from ..models.expressions import in_constants
from ..models.menu import DeliveredBy
from ..models.orders import ACTIVE_ASSIGNMENT_STATES, BUSY_ORDER_STATES, HOLDING_ASSIGNMENT_STATES, MAX_ORDER_SPAN
from ..models.teams import team_members, team_services
from ..models.users import availability_bit, volunteer_categories, volunteer_districts, volunteer_services
from . import reliability

BEIJING = ZoneInfo("Asia/Shanghai")

WEIGHTS = {
    "service": 40.0,  # delivers exactly this service
    "category": 20.0,  # delivers something in this category
    "district": 25.0,  # serves the order's district
    "available": 15.0,  # the weekly grid covers every period of the order's window
    "per_open_job": -5.0,  # spreads work: each open job costs
    "per_star": 4.0,  # average rating above 3 stars
    "per_hour_this_month": -0.5,  # fairness: fewer hours this month first
    "per_lapse": -6.0,  # reliability: each offer left to expire, late release or no-show in 90 days
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

    def free_in(self, slot: int) -> bool:
        """The grid has every period of ``slot`` (a mask of ``slot_mask``)."""
        return self.availability & slot == slot


@dataclass
class Candidate:
    volunteer: Volunteer
    score: float = 0.0
    why: str | None = None  # why not proposed, a key of ``BLOCKS``; None when eligible
    open_jobs: int = 0
    average_rating: float | None = None
    hours_this_month: Decimal = Decimal(0)
    lapses: int = 0  # offers left to expire, late releases and no-shows lately (services.reliability)
    reason_keys: list[tuple] = field(default_factory=list)  # ("service",), ("open_jobs", 2)...

    @property
    def eligible(self) -> bool:
        return self.why is None

    @property
    def blocked(self) -> object | None:
        """Why not proposed, in words; None when eligible."""
        return BLOCKS[self.why] if self.why else None

    @property
    def reasons(self) -> list:
        return [reason_text(key) for key in self.reason_keys]


def reason_text(key: tuple) -> object:
    """One reason of a score in words; ``key`` as ``score()`` notes it."""
    what, *value = key
    if what == "open_jobs":
        return _l("%(n)s open jobs", n=value[0])
    if what == "rating":
        return _l("Rated %(r).1f", r=value[0])
    if what == "hours":
        return _l("%(h)s h this month", h=value[0])
    if what == "lapses":
        return _l("Let the center down %(n)s times in 90 days", n=value[0])
    return REASONS[what]


REASONS = {
    "service": _l("Delivers this service"),
    "category": _l("Delivers this category"),
    "district": _l("Serves this district"),
    "available": _l("Usually free then"),
}


def period_of(moment: datetime) -> tuple[int, int]:
    """(weekday 0-6, period 0 morning / 1 afternoon / 2 evening) in Beijing time."""
    local = moment.astimezone(BEIJING)
    period = 0 if local.hour < 12 else 1 if local.hour < 18 else 2
    return local.weekday(), period


# The periods of the weekly grid in minutes of the day, Beijing time: [from, until).
PERIOD_MINUTES = ((0, 12 * 60), (12 * 60, 18 * 60), (18 * 60, 24 * 60))


def slot_mask(starts_at: datetime, ends_at: datetime) -> int:
    """The grid's bits of every period the window [starts_at, ends_at) touches, on its first day.

    "Free at that time" means the grid has all of them: 11:00–13:00 needs the
    morning and the afternoon; 10:00–12:00 the morning alone.
    """
    start = starts_at.astimezone(BEIJING)
    weekday, period = period_of(starts_at)
    first = start.hour * 60 + start.minute
    last = first + max(int((ends_at - starts_at).total_seconds() // 60), 0)
    mask = 0
    for p, (lo, hi) in enumerate(PERIOD_MINUTES):
        if first < hi and last > lo:
            mask |= availability_bit(weekday, p)
    return mask or availability_bit(weekday, period)


BLOCKS = {  # why a volunteer is not proposed, in the order the checks apply
    "not_approved": _l("Not an approved volunteer"),
    "on_order": _l("Already on this order"),
    "declined": _l("Declined this order"),
    "busy": _l("Busy at that time"),
    "away": _l("Away on that date"),
    "requester": _l("Placed this order"),
    "not_qualified": _l("Does not deliver this service here"),
}
# Blocked volunteers are listed in this order: the ones this order concerns first.
BLOCK_ORDER = ("on_order", "declined", "busy", "away", "requester", "not_approved", "not_qualified")


class ThisOrder:
    """The order's values as bound parameters: each statement is built once and run for any order.

    ``_params`` gives their values for one order.
    """

    id = bindparam("order_id", type_=Integer)
    service_id = bindparam("service_id", type_=Integer)
    category_id = bindparam("category_id", type_=Integer)
    district_id = bindparam("district_id", type_=Integer)
    requester_id = bindparam("requester_id", type_=Integer)
    starts_at = bindparam("starts_at", type_=Order.__table__.c.starts_at.type)
    ends_at = bindparam("ends_at", type_=Order.__table__.c.ends_at.type)
    # An order's window lies within one day (the form takes one date), so an
    # overlapping one starts less than a day earlier: an index range on starts_at.
    overlap_from = bindparam("overlap_from", type_=Order.__table__.c.starts_at.type)
    month = bindparam("month", type_=Date)  # this month, as ``VolunteerProfile.month_of`` gives it
    slot_bit = bindparam("slot_bit", type_=Integer)  # the order's weekday and periods in availability (a mask)
    day = bindparam("day", type_=Date)  # the order's date, Beijing time (dates away)
    only = bindparam("only", expanding=True)  # the volunteers to rank (``rank(only=...)``)
    by_teams = bindparam("by_teams", type_=Boolean)  # the service is delivered by the teams that cover it
    lapses_since = bindparam("lapses_since", type_=Assignment.__table__.c.ended_at.type)  # reliability's window


def _params(order: Order, now: datetime, only: list[int] | None) -> dict:
    """The values of ``ThisOrder``'s parameters for ``order``, this month as of ``now``."""
    return {
        "order_id": order.id, "service_id": order.service_id, "category_id": order.service.category_id,
        "district_id": order.district_id, "requester_id": order.requester_id,
        "starts_at": order.starts_at, "ends_at": order.ends_at, "overlap_from": order.starts_at - MAX_ORDER_SPAN,
        "month": VolunteerProfile.month_of(now), "slot_bit": slot_mask(order.starts_at, order.ends_at),
        "day": order.starts_at.astimezone(BEIJING).date(), "by_teams": order.service.by_teams_only,
        "lapses_since": reliability.since(now),
        **({"only": only} if only is not None else {}),
    }


def _busy() -> Select:
    """Volunteers holding a slot on another order overlapping this one's window."""
    return (
        select(Assignment.volunteer_id)
        .join(Order, Order.id == Assignment.order_id)
        .where(
            in_constants(Assignment.state, HOLDING_ASSIGNMENT_STATES),
            Order.id != ThisOrder.id,
            *Order.overlapping(ThisOrder.starts_at, ThisOrder.ends_at, ThisOrder.overlap_from),
            in_constants(Order.state, BUSY_ORDER_STATES),
        )
    )


def _away() -> Select:
    """The profiles away on the order's date."""
    return select(VolunteerAway.profile_id).where(VolunteerAway.starts_on <= ThisOrder.day,
                                                 VolunteerAway.ends_on >= ThisOrder.day)


def links_to(service_id: ColumnElement, category_id: ColumnElement,
             district_id: ColumnElement) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """Whether ``VolunteerProfile`` lists the service, lists the category and serves the district
    given as columns of another row (an order): the arguments of ``may_deliver``."""
    def linked(table, column, value):
        return (select(table.c.profile_id).where(table.c.profile_id == VolunteerProfile.id, column == value)
                .correlate_except(table).exists())

    return (linked(volunteer_services, volunteer_services.c.service_id, service_id),
            linked(volunteer_categories, volunteer_categories.c.category_id, category_id),
            linked(volunteer_districts, volunteer_districts.c.district_id, district_id))


def in_covering_team(service_id: ColumnElement) -> ColumnElement:
    """Whether ``VolunteerProfile``'s volunteer is a member of a team (服务队) that covers the service."""
    return (
        select(team_members.c.user_id)
        .join(team_services, team_services.c.team_id == team_members.c.team_id)
        .where(team_members.c.user_id == VolunteerProfile.user_id, team_services.c.service_id == service_id)
        .correlate_except(team_members, team_services)
        .exists()
    )


def may_deliver(delivers_service: ColumnElement, delivers_category: ColumnElement,
                serves_district: ColumnElement, in_team: ColumnElement, by_teams: ColumnElement) -> ColumnElement:
    """Who may deliver the order: lists its service or category (a member of a covering team, when the
    service is delivered by teams); and serves its district, or names none."""
    names_districts = select(volunteer_districts.c.profile_id).where(
        volunteer_districts.c.profile_id == VolunteerProfile.id).exists()
    qualified = or_(and_(~by_teams, or_(delivers_service, delivers_category)), and_(by_teams, in_team))
    return and_(qualified, or_(serves_district, ~names_districts))


def may_deliver_the_order() -> ColumnElement:
    """``may_deliver`` for the ``Order`` and ``Service`` of the enclosing query (correlated to both)."""
    return may_deliver(*links_to(Order.service_id, Service.category_id, Order.district_id),
                       in_covering_team(Order.service_id), Service.delivered_by == DeliveredBy.TEAMS.value)


def _may_deliver_this_order(flags: tuple[ColumnElement, ColumnElement, ColumnElement]) -> ColumnElement:
    return may_deliver(*flags, in_covering_team(ThisOrder.service_id), ThisOrder.by_teams)


@cache
def _busy_ids() -> Select:
    """``_busy`` as a CTE: a statement that asks in several places reads the busy volunteers once."""
    return select(_busy().cte("busy"))


def _on_order(*states: str) -> Select:
    return select(Assignment.volunteer_id).where(
        Assignment.order_id == ThisOrder.id, in_constants(Assignment.state, states))


def _blocked_ids(limit: int | None) -> CompoundSelect:
    """The ids of blocked volunteers worth listing, found without ranking anyone.

    Listed by why (``BLOCK_ORDER``), then by id, ``limit`` at most: everyone on
    the order or who declined it (a few), the requester, and of the busy and
    of the not approved volunteers the first ``limit`` by id that the list
    would show as such. A busy volunteer shows as busy when approved and not
    on the order; in a city, hundreds are busy at any time, so only those
    few are ranked.
    """
    concerned = _on_order(*ACTIVE_ASSIGNMENT_STATES, "declined")
    busy = _busy_ids().selected_columns[0]
    shown_busy = (
        select(busy)
        .join(VolunteerProfile, VolunteerProfile.user_id == busy)
        .where(VolunteerProfile.status == "approved", busy.not_in(concerned))
        .group_by(busy)
        .order_by(busy)
        .limit(limit)
        .subquery()
    )
    shown_away = (
        select(VolunteerAway.profile_id.label("profile_id"))
        .where(VolunteerAway.starts_on <= ThisOrder.day, VolunteerAway.ends_on >= ThisOrder.day)
        .group_by(VolunteerAway.profile_id)
        .order_by(VolunteerAway.profile_id)
        .limit(limit)
        .subquery()
    )
    away = (
        select(VolunteerProfile.user_id)
        .join(shown_away, shown_away.c.profile_id == VolunteerProfile.id)
        .where(VolunteerProfile.status == "approved", VolunteerProfile.user_id.not_in(concerned))
    )
    unapproved = (
        select(VolunteerProfile.user_id)
        .where(VolunteerProfile.status != "approved")
        .order_by(VolunteerProfile.user_id)
        .limit(limit)
        .subquery()
    )
    return union_all(
        concerned,
        select(shown_busy.c[0]),
        away,
        select(ThisOrder.requester_id),
        select(unapproved.c.user_id),
    )


def _links(among: str | None = None) -> Subquery:
    """(profile_id, s, c, d): one row per profile linked to the order's service, category or district.

    Joined once (a hash join), not probed per volunteer. ``among``: only the
    profiles linked to the service or the district (``"either"``), or to both
    (``"both"``); see ``_shortlisted``.
    """
    service, category, district = _link_queries()
    if among == "both":  # one row a profile: a profile has one link to a service, one to a district
        linked = volunteer_services.c.profile_id
        return (
            select(linked, literal(1).label("s"), case((linked.in_(category), 1), else_=0).label("c"),
                   literal(1).label("d"))
            .join(volunteer_districts, and_(volunteer_districts.c.profile_id == linked,
                                            volunteer_districts.c.district_id == ThisOrder.district_id))
            .where(volunteer_services.c.service_id == ThisOrder.service_id)
            .subquery()
        )
    if among == "either":
        category = category.where(volunteer_categories.c.profile_id.in_(union_all(service, district)))
    parts = [(service, "s"), (category, "c"), (district, "d")]
    if among is None:  # everyone who may deliver: the members of the teams that cover it too, with no link
        parts.append((_covering_team_members(), ""))
    every_link = union_all(*(
        query.add_columns(*(literal(int(flag == name)).label(name) for name in "scd"))
        for query, flag in parts
    )).subquery()
    return (
        select(every_link.c.profile_id, *(func.max(every_link.c[name]).label(name) for name in "scd"))
        .group_by(every_link.c.profile_id)
        .subquery()
    )


def _covering_team_members() -> Select:
    """The profiles of the members of the teams that cover the order's service."""
    member = aliased(VolunteerProfile, name="member_profiles")
    return (
        select(member.id)
        .join(team_members, team_members.c.user_id == member.user_id)
        .join(team_services, and_(team_services.c.team_id == team_members.c.team_id,
                                  team_services.c.service_id == ThisOrder.service_id))
    )


def _link_queries() -> tuple[Select, Select, Select]:
    """The profiles linked to the order's service, to its category and to its district."""
    return (
        select(volunteer_services.c.profile_id).where(volunteer_services.c.service_id == ThisOrder.service_id),
        select(volunteer_categories.c.profile_id).where(volunteer_categories.c.category_id == ThisOrder.category_id),
        select(volunteer_districts.c.profile_id).where(volunteer_districts.c.district_id == ThisOrder.district_id),
    )


def _link_flags() -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """Whether the profile delivers the service, the category, serves the district.

    Looked up one by one in the link tables' indexes: for a few volunteers;
    everyone is joined to the links at once (``_links``).
    """
    service, category, district = (query.where(query.selected_columns[0] == VolunteerProfile.id).exists()
                                   for query in _link_queries())
    return service, category, district


FACTS = ("team", "approved", "availability", "s", "c", "d", "open_jobs", "rating_sum", "rating_count", "hours",
         "lapses")


def _facts(flags: tuple[ColumnElement, ColumnElement, ColumnElement]) -> tuple[list[ColumnElement], ColumnElement]:
    """What ranking reads of each profile (``FACTS``, labelled) and the score, as SQL.

    The score repeats ``score()`` below with the same ``WEIGHTS`` (a test holds
    the two equal for every kind of volunteer); the figures are the ones the workflow
    keeps on the profile (open jobs, this month's hours as of ``now``'s month,
    rating totals).
    """
    profile = VolunteerProfile
    delivers_service, delivers_category, serves_district = flags
    availability = func.coalesce(profile.availability, 0)
    n_open = func.coalesce(profile.open_jobs, 0)
    n_hours = func.coalesce(profile.hours_in(ThisOrder.month), 0)
    rating_sum, rating_count = func.coalesce(profile.rating_sum, 0), func.coalesce(profile.rating_count, 0)
    n_lapses = reliability.lapses_of(profile.user_id, ThisOrder.lapses_since)
    w = {k: literal(v, Float) for k, v in WEIGHTS.items()}
    score_sql = (
        case((delivers_service, w["service"]), (delivers_category, w["category"]), else_=0.0)
        + case((serves_district, w["district"]), else_=0.0)
        + case((availability.op("&")(ThisOrder.slot_bit) == ThisOrder.slot_bit, w["available"]), else_=0.0)
        + w["per_open_job"] * n_open
        + case((rating_count > 0, w["per_star"] * (cast(rating_sum, Float) / rating_count - 3)), else_=0.0)
        + w["per_hour_this_month"] * cast(n_hours, Float)
        + w["per_lapse"] * n_lapses
    )
    values = (func.coalesce(profile.team, ""), profile.status == "approved", availability, *flags,
              n_open, rating_sum, rating_count, n_hours, n_lapses)
    return [value.label(name) for value, name in zip(values, FACTS, strict=True)], score_sql


def _ranking(among: Select | CompoundSelect | BindParameter) -> tuple[Select, ColumnElement]:
    """A few volunteers (``among``: a statement of ids, or ``ThisOrder.only``) with their facts, block and score.

    Returns the statement (its last columns are the block and the score) and
    the block: why not (NULL when eligible), in ``BLOCKS``.
    """
    profile = VolunteerProfile
    flags = _link_flags()
    facts, score_sql = _facts(flags)
    on_order, declined, busy = _blocking()
    block = case(
        (func.coalesce(profile.status, "") != "approved", "not_approved"),
        (User.id.in_(on_order), "on_order"),
        (User.id.in_(declined), "declined"),
        (User.id.in_(busy), "busy"),
        (profile.id.in_(_away()), "away"),
        (User.id == ThisOrder.requester_id, "requester"),
        (~_may_deliver_this_order(flags), "not_qualified"),
        else_=None,
    )
    query = (
        select(User.id, User.name, *facts, block.label("block"), score_sql.label("score"))
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "volunteer"))
        .outerjoin(profile, profile.user_id == User.id)
        .where(User.active.is_(True), User.id.in_(among))
    )
    return query, block


def _blocking() -> tuple[Select, Select, Select]:
    """The volunteers on the order, the ones who declined it, and the ones busy then."""
    return _on_order(*ACTIVE_ASSIGNMENT_STATES), _on_order("declined"), _busy_ids()


NO_CAP = 2**62  # a LIMIT that both databases read as none


def _best(limit: int | None, among: str | None = None, unless: ColumnElement | None = None) -> Select:
    """The ``limit`` best eligible volunteers (``among``: of the ones linked so, see ``_links``).

    The approved profiles are scored and sorted first, from their own row and the
    links alone; the accounts and the blocks are then checked down that order
    until ``limit`` pass, so they are read for a few volunteers, not for all.
    ``unless``: a condition on the order alone that, when true, makes it none at
    all; it caps the scan at 0 rows, a cap both databases apply before reading
    any profile (a condition in the WHERE clause would be tested on each).
    """
    profile = VolunteerProfile
    links = _links(among)
    flags = tuple(func.coalesce(links.c[name], 0) == 1 for name in "scd")
    facts, score_sql = _facts(flags)
    score = score_sql.label("score")  # sorted by its name: computed once a profile, not again to sort
    scored = (
        select(profile.user_id.label("id"), profile.id.label("profile_id"), *facts, score)
        .join(links, links.c.profile_id == profile.id)
        .where(profile.status == "approved", _may_deliver_this_order(flags))
        .order_by(score.desc(), profile.user_id)
        .limit(None if unless is None else case((unless, 0), else_=NO_CAP))
        .offset(0)  # keeps the order: the checks below walk it and stop at ``limit``
        .subquery()
    )
    on_order, declined, busy = _blocking()
    return (
        select(scored.c.id, User.name, *(scored.c[name] for name in FACTS), null().label("block"), scored.c.score)
        .join(User, User.id == scored.c.id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "volunteer"))
        .where(User.active.is_(True), scored.c.id.not_in(on_order), scored.c.id.not_in(declined),
               scored.c.id.not_in(busy), scored.c.profile_id.not_in(_away()), scored.c.id != ThisOrder.requester_id)
        .order_by(scored.c.score.desc(), scored.c.id)
        .limit(limit)
    )


def _link_terms(s: bool, c: bool, d: bool) -> tuple[str, ...]:
    """The weights a volunteer's links earn: the service, else its category; and the district."""
    return (("service",) if s else ("category",) if c else ()) + (("district",) if d else ())


def _link_score(s: bool, c: bool, d: bool) -> float:
    """What a volunteer's links add to the score, as ``score()`` counts them."""
    return sum(WEIGHTS[term] for term in _link_terms(s, c, d))


def _ceiling_outside(tier: Callable[[bool, bool, bool], bool]) -> float | None:
    """The most a volunteer who may deliver but is outside ``tier`` (a test of the links) can score.

    Their best links (the service or its category, at least), free then, the
    best average (1 to 5 stars); open jobs and this month's hours only lower a
    score (None if a weight ever makes them raise it, and then nobody is left out).
    """
    if WEIGHTS["per_open_job"] > 0 or WEIGHTS["per_hour_this_month"] > 0 or WEIGHTS["per_lapse"] > 0:
        return None
    links = max(_link_score(s, c, d) for s, c, d in product((False, True), repeat=3)
                if (s or c) and not tier(s, c, d))
    return links + max(WEIGHTS["available"], 0.0) + 2 * abs(WEIGHTS["per_star"])


# The shortlists tried before everybody is ranked, narrowest first, with the most a
# volunteer outside each can score. In a city most volunteers serve the center's own
# district: for an order there, "either" is nearly everybody and "both" a few hundred.
TIERS = (
    ("both", _ceiling_outside(lambda s, c, d: s and d)),
    ("either", _ceiling_outside(lambda s, c, d: s or d)),
)
UNLINKED_CEILING = TIERS[-1][1]  # without a link to the order's service or district: by its category
FLOAT_SLACK = 1e-6  # the database adds the score in floating point


def _shortlisted(limit: int) -> CompoundSelect | Select:
    """The ``limit`` best eligible volunteers, usually found among the few linked strongly.

    One statement: the best ``limit`` of the volunteers linked to the order's
    service and district first; when there are that many and the last of them
    scores above the most anybody else can (``TIERS``), nobody else can reach
    them and they are the answer. Otherwise the same with the volunteers linked
    to the service or the district; otherwise every volunteer is ranked. A
    shortlist settled caps the scan of every wider one at 0 rows (see ``_best``),
    so only the first that settles is read.
    """
    if any(ceiling is None for _, ceiling in TIERS):
        return _best(limit)
    parts: list[Select] = []
    settled_before: ColumnElement | None = None
    for among, ceiling in TIERS:
        best = _best(limit, among=among, unless=settled_before).cte(f"linked_{among}")
        settled = (
            select(and_(func.count() == limit, func.min(best.c.score) > ceiling + FLOAT_SLACK))
            .select_from(best)
            .scalar_subquery()
        )
        parts.append(select(best).where(settled))  # empty when a narrower one settled: capped at 0 rows
        settled_before = settled if settled_before is None else or_(settled_before, settled)
    everyone = _best(limit, unless=settled_before).subquery()
    return union_all(*parts, select(everyone))


@cache
def _statement(eligible: bool, limit: int | None, only: bool) -> Select | CompoundSelect:
    """The eligible (or the blocked) volunteers, ``limit`` at most, for any order: built once.

    ``only``: among the ids bound as ``only``.
    """
    if only:
        query, block = _ranking(ThisOrder.only)
        return query.where(block.is_(None) if eligible else block.is_not(None))
    if eligible:
        return _best(None) if limit is None else _shortlisted(limit)
    query, block = _ranking(_blocked_ids(limit))
    listed_first = case({why: i for i, why in enumerate(BLOCK_ORDER)}, value=block)
    return query.where(block.is_not(None)).order_by(listed_first, User.id).limit(limit)


@cache
def _ranking_statement(eligible: int | None, blocked: int | None, only: bool) -> Select | CompoundSelect | None:
    """One statement for both parts ``rank`` lists: the eligible (``eligible`` at most) and the blocked.

    A part capped at 0 is left out; None when both are. Rows of the two parts
    are told apart by their block (NULL for the eligible).
    """
    parts = [_statement(is_eligible, limit, only) for is_eligible, limit in ((True, eligible), (False, blocked))
             if limit != 0]
    if len(parts) < 2:
        return parts[0] if parts else None
    if only:  # the same few volunteers either way: all of them, each with its block
        return _ranking(ThisOrder.only)[0]
    return union_all(*(select(part.subquery()) for part in parts))


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
    only = list(only) if only is not None else None
    statement = _ranking_statement(eligible, blocked, only is not None)
    if statement is None:
        return []
    weekday, period = period_of(order.starts_at)
    slot = slot_mask(order.starts_at, order.ends_at)
    found: dict[bool, list[Candidate]] = {True: [], False: []}
    for (vid, name, team, approved, availability, s, c, d, n_open, rating_sum, rating_count, n_hours, n_lapses,
         why, _score) in read_rows(statement, _params(order, now or utcnow(), only)):
        candidate = Candidate(
            Volunteer(vid, name, team, bool(approved), availability, bool(s), bool(c), bool(d)),
            open_jobs=n_open,
            average_rating=rating_sum / rating_count if rating_count else None,
            hours_this_month=Decimal(n_hours or 0),
            lapses=n_lapses or 0,
            why=why,
        )
        score(candidate, order, weekday, period, slot)
        found[candidate.eligible].append(candidate)
    # The database chose the rows; Python's exact score orders them.
    best = sorted(found[True], key=lambda c: (-c.score, c.volunteer.id))
    blocked_ones = sorted(found[False], key=lambda c: (BLOCK_ORDER.index(c.why), c.volunteer.id))
    return best[:eligible] + blocked_ones[:blocked]


def score(c: Candidate, order: Order, weekday: int, period: int, slot: int | None = None) -> None:
    """Fill ``c.score`` and ``c.reason_keys`` from the weights.

    ``slot``: the grid's bits of the order's window (``slot_mask``); the one
    period ``weekday`` and ``period`` name when not given.
    """
    v = c.volunteer
    reasons = c.reason_keys
    for term in _link_terms(v.delivers_service, v.delivers_category, v.serves_district):
        c.score += WEIGHTS[term]
        reasons.append((term,))
    if v.free_in(availability_bit(weekday, period) if slot is None else slot):
        c.score += WEIGHTS["available"]
        reasons.append(("available",))
    c.score += WEIGHTS["per_open_job"] * c.open_jobs
    reasons.append(("open_jobs", c.open_jobs))
    if c.average_rating is not None:
        c.score += WEIGHTS["per_star"] * (c.average_rating - 3)
        reasons.append(("rating", c.average_rating))
    c.score += WEIGHTS["per_hour_this_month"] * float(c.hours_this_month)
    reasons.append(("hours", c.hours_this_month))
    if c.lapses:
        c.score += WEIGHTS["per_lapse"] * c.lapses
        reasons.append(("lapses", c.lapses))


def users_of(volunteers: list[Volunteer]) -> list[User]:
    """The accounts behind ranked volunteers, in the same order (to offer them the order)."""
    ids = [v.id for v in volunteers]
    found = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def top(order: Order, n: int) -> list[User]:
    return users_of([c.volunteer for c in rank(order, eligible=n, blocked=0)])
