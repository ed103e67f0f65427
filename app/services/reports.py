"""The center's numbers (数据看板 · 菜单分析): a period's orders, times, ratings, hours and reasons.

Orders count in the period they were placed (Beijing days); hours in the
period the ledger credited them. Every figure is read from the rows that
prove it: the orders, their events, the ratings and the hours ledger.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from .. import workflow
from ..dates import BEIJING
from ..extensions import db
from ..models import (
    Assignment,
    Category,
    District,
    HourEntry,
    HourSource,
    Order,
    OrderEvent,
    Rating,
    Service,
    User,
    VolunteerProfile,
    team_members,
)
from ..models.expressions import beijing_day, hours_between
from ..models.hours import star_progress
from ..models.menu import DeliveredBy
from ..models.orders import HOLDING_ASSIGNMENT_STATES, OrderState
from . import daily_figures
from .matching import in_covering_team, links_to, may_deliver

PERIOD_KINDS = ("week", "month", "quarter", "year", "last_week", "last_month", "last_quarter", "last_year", "custom")
LAST = "last_"  # the period of that kind before the one holding today (the month just closed, last year)
LONGEST_PERIOD = timedelta(days=3 * 366)  # a custom period longer than this is refused

# How an order ended up, for the rates.
DELIVERED_STATES = frozenset({
    OrderState.COMPLETED, OrderState.RATED, OrderState.CONFIRMED, OrderState.DISPUTED, OrderState.RESOLVED,
})
OPEN_STATES = frozenset({OrderState.SUBMITTED, OrderState.DISPATCHED, OrderState.ACCEPTED, OrderState.IN_SERVICE})


@dataclass(frozen=True)
class Period:
    start: date  # the first Beijing day
    end: date  # the last Beijing day, included
    kind: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC moments: from its first midnight to the midnight after its last day."""
        start = datetime.combine(self.start, time(), BEIJING)
        return start, datetime.combine(self.end + timedelta(days=1), time(), BEIJING)

    def previous(self) -> Period:
        """The period of the same kind just before (the same number of days for a custom one)."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = _add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1), self.kind)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.kind)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The period of ``kind`` holding ``today``, or the one before it for ``last_<kind>`` (the month just
    closed, for its report; last year, in January); a custom one from ``start`` to ``end``."""
    if kind.startswith(LAST) and kind in PERIOD_KINDS:
        return period_of(kind.removeprefix(LAST), today).previous()
    if kind == "week":
        first = today - timedelta(days=today.weekday())
        return Period(first, first + timedelta(days=6), kind)
    if kind == "quarter":
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period(first, _add_months(first, 3) - timedelta(days=1), kind)
    if kind == "year":
        return Period(date(today.year, 1, 1), date(today.year, 12, 31), kind)
    if kind == "custom" and start and end:
        return Period(start, end, kind)
    first = today.replace(day=1)
    return Period(first, _add_months(first, 1) - timedelta(days=1), "month")


@dataclass(frozen=True)
class Scope:
    """Which orders the numbers count: all, or one district, category, service or team (服务队)."""

    district_id: int | None = None
    category_id: int | None = None
    service_id: int | None = None
    team_id: int | None = None  # the orders a member of the team served, and the hours the members gave

    def conditions(self) -> list:
        found = []
        if self.district_id:
            found.append(Order.district_id == self.district_id)
        if self.service_id:
            found.append(Order.service_id == self.service_id)
        if self.category_id:
            found.append(Order.service_id.in_(select(Service.id).where(Service.category_id == self.category_id)))
        if self.team_id:
            found.append(Order.id.in_(
                select(Assignment.order_id)
                .join(team_members, team_members.c.user_id == Assignment.volunteer_id)
                .where(team_members.c.team_id == self.team_id, Assignment.state.in_(HOLDING_ASSIGNMENT_STATES))
            ))
        return found

    def kept_filter(self) -> dict | None:
        """The scope as the daily figures know it (``daily_figures.day_counts``), or None when they cannot
        answer it: a team, or a district together with a service or category."""
        if self.team_id or (self.district_id and (self.service_id or self.category_id)):
            return None
        return {"service_id": self.service_id, "category_id": self.category_id, "district_id": self.district_id}

    def volunteer_conditions(self, volunteer_id) -> list:
        """For the hours: only the team's members' own (another volunteer on the same order is not the team)."""
        if not self.team_id:
            return []
        return [volunteer_id.in_(select(team_members.c.user_id).where(team_members.c.team_id == self.team_id))]


def _placed_in(period: Period, scope: Scope) -> list:
    start, end = period.bounds()
    return [Order.submitted_at >= start, Order.submitted_at < end, *scope.conditions()]


def _quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) of ``values``, None when there are none."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass
class Durations:
    """Median and 90th percentile of a step's duration, in hours."""

    median: float | None
    p90: float | None
    count: int

    @classmethod
    def of(cls, values: list[float]) -> Durations:
        return cls(_quantile(values, 0.5), _quantile(values, 0.9), len(values))


@dataclass
class Figures:
    """A period's numbers (see ``figures``)."""

    period: Period
    by_state: dict[str, int]
    total: int
    delivered: int
    cancelled: int
    rejected: int
    open: int
    overdue: int
    to_dispatch: Durations
    to_accept: Durations
    to_complete: Durations
    stars: dict[int, int]
    people_served: int
    hours: Decimal
    active_volunteers: int
    trend: list[tuple[date, int, Decimal]] = field(default_factory=list)  # (week or month's first day, orders, hours)
    trend_by: str = "week"  # "week" or "month"

    def rate(self, part: int) -> float | None:
        """``part`` as a share of the orders that are settled (delivered, cancelled or rejected)."""
        settled = self.delivered + self.cancelled + self.rejected
        return part / settled if settled else None

    @property
    def completion_rate(self) -> float | None:
        return self.rate(self.delivered)

    @property
    def cancellation_rate(self) -> float | None:
        return self.rate(self.cancelled)

    @property
    def rejection_rate(self) -> float | None:
        return self.rate(self.rejected)

    @property
    def on_time_rate(self) -> float | None:
        """Orders whose clocks (时限: dispatch, then filling the crew, in working hours against their category's
        targets) never ran out: not marked overdue by the sweep."""
        return (self.total - self.overdue) / self.total if self.total else None

    @property
    def ratings(self) -> int:
        return sum(self.stars.values())

    @property
    def average_stars(self) -> float | None:
        return sum(s * n for s, n in self.stars.items()) / self.ratings if self.ratings else None

    @property
    def satisfied_share(self) -> float | None:
        """The share of ratings with 4 or 5 stars."""
        return (self.stars[4] + self.stars[5]) / self.ratings if self.ratings else None


def _week_of(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _placed_hours_in(period: Period, scope: Scope) -> list:
    start, end = period.bounds()
    found = [HourEntry.created_at >= start, HourEntry.created_at < end,
             *scope.volunteer_conditions(HourEntry.volunteer_id)]
    if conditions := scope.conditions():
        found.append(HourEntry.order_id.in_(select(Order.id).where(*conditions)))
    return found


STEPS = {"dispatch": Order.dispatched_at, "accept": Order.accepted_at, "complete": Order.completed_at}


def _durations(period: Period, scope: Scope) -> dict[str, Durations]:
    """Median and 90th percentile of each step's time since the order was placed: computed by
    PostgreSQL (``percentile_cont``, one statement); on SQLite from the durations read."""
    placed = _placed_in(period, scope)
    waited = {step: hours_between(moment, Order.submitted_at) for step, moment in STEPS.items()}
    if db.session.get_bind().dialect.name == "postgresql":
        columns = []
        for step, hours in waited.items():
            columns += [func.percentile_cont(0.5).within_group(hours).label(f"{step}_p50"),
                        func.percentile_cont(0.9).within_group(hours).label(f"{step}_p90"),
                        func.count(hours).label(f"{step}_n")]
        row = db.session.execute(select(*columns).where(*placed)).one()
        return {step: Durations(*(getattr(row, f"{step}_{part}") for part in ("p50", "p90", "n"))) for step in STEPS}
    values: dict[str, list[float]] = {step: [] for step in STEPS}
    for row in db.session.execute(select(*waited.values()).where(*placed)):
        for step, hours in zip(STEPS, row, strict=True):
            if hours is not None:
                values[step].append(hours)
    return {step: Durations.of(found) for step, found in values.items()}


def figures(period: Period, scope: Scope = Scope(), *, detail: bool = True) -> Figures:
    """A period's numbers: the orders by state and star, day by day (``daily_figures``: the days settled
    from the kept figures, the others from the orders), the hours and the volunteers credited, and the
    steps' times. ``detail=False``: the totals alone (the period before, for the comparison), without the
    trend and the times."""
    days = daily_figures.day_counts(period.start, period.end, scope.conditions(), kept=scope.kept_filter())
    by_state: Counter[str] = Counter()
    overdue = people = 0
    stars: dict[int, int] = {n: 0 for n in range(1, 6)}
    for counted in days:
        by_state[counted.state] += counted.orders
        overdue += counted.overdue
        people += counted.audience if counted.state in DELIVERED_STATES else 0
        for n, rated in zip(daily_figures.STARS, counted.stars, strict=True):
            stars[n] += rated
    hour_rows = _placed_hours_in(period, scope)
    hours, volunteers = db.session.execute(
        select(func.coalesce(func.sum(HourEntry.hours), 0), func.count(HourEntry.volunteer_id.distinct()))
        .where(*hour_rows)
    ).one()
    found = Figures(
        period=period, by_state=dict(by_state), total=sum(by_state.values()),
        delivered=sum(by_state[s] for s in DELIVERED_STATES), cancelled=by_state[OrderState.CANCELLED],
        rejected=by_state[OrderState.REJECTED], open=sum(by_state[s] for s in OPEN_STATES), overdue=overdue,
        to_dispatch=Durations.of([]), to_accept=Durations.of([]), to_complete=Durations.of([]),
        stars=stars, people_served=people, hours=Decimal(hours), active_volunteers=volunteers,
    )
    if detail:
        times = _durations(period, scope)
        found.to_dispatch, found.to_accept, found.to_complete = times["dispatch"], times["accept"], times["complete"]
        found.trend, found.trend_by = _trend(period, days, hour_rows)
    return found


def _trend(period: Period, days: list[daily_figures.DayCounts],
           hour_rows: list) -> tuple[list[tuple[date, int, Decimal]], str]:
    """Orders placed and hours credited by week (a period of up to 92 days) or by month."""
    trend_by = "week" if period.days <= 92 else "month"
    bucket_of = _week_of if trend_by == "week" else _month_of
    orders: Counter[date] = Counter()
    hours: defaultdict[date, Decimal] = defaultdict(Decimal)
    for counted in days:
        orders[bucket_of(counted.day)] += counted.orders
    credited_day = beijing_day(HourEntry.created_at)
    for day, total in db.session.execute(
        select(credited_day, func.sum(HourEntry.hours)).where(*hour_rows).group_by(credited_day)
    ):
        hours[bucket_of(date.fromisoformat(day))] += Decimal(total)
    buckets = sorted(set(orders) | set(hours))
    return [(b, orders[b], hours[b]) for b in buckets], trend_by


# --- per menu item --------------------------------------------------------------------------

# The reasons that say the center could not deliver what was ordered.
UNMET_REASONS = ("no_volunteer",)


@dataclass
class ServiceFigures:
    service_id: int
    name: str
    category: str
    orders: int = 0
    accepted: int = 0  # reached a full crew at some point
    delivered: int = 0
    cancelled: int = 0
    rejected: int = 0
    unmet: int = 0  # rejected for want of a volunteer
    stars_sum: int = 0
    ratings: int = 0
    hours: Decimal = Decimal(0)
    median_to_dispatch: float | None = None  # hours from placed to dispatched
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, reason) -> times

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.orders if self.orders else None

    @property
    def average_stars(self) -> float | None:
        return self.stars_sum / self.ratings if self.ratings else None



def _role_of_event():
    """SQL: the role an event's actor acted in (the system, the requester who owns the order, else the center)."""
    return case(
        (OrderEvent.actor_id.is_(None), workflow.SYSTEM_ROLE),
        (OrderEvent.actor_id == Order.requester_id, workflow.REQUESTER),
        (OrderEvent.action.in_(_volunteer_actions()), workflow.VOLUNTEER),
        else_=workflow.COORDINATOR,
    )


def _volunteer_actions() -> tuple[str, ...]:
    return tuple(t.action for t in workflow.TRANSITIONS if workflow.VOLUNTEER in t.roles)


def reason_counts(period: Period, scope: Scope = Scope()) -> list[tuple[str, str, str, int]]:
    """Every reason recorded on the orders placed in the period, counted by step, by the role of
    who gave it and by reason: (action, role, reason, times), most frequent first."""
    role = _role_of_event().label("role")
    rows = db.session.execute(
        select(OrderEvent.action, role, OrderEvent.reason_code, func.count())
        .select_from(OrderEvent)
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.reason_code.is_not(None), *_placed_in(period, scope))
        .group_by(OrderEvent.action, role, OrderEvent.reason_code)
        .order_by(func.count().desc(), OrderEvent.action, OrderEvent.reason_code)
    )
    return [tuple(r) for r in rows]


def _median_to_dispatch(placed: list) -> dict[int, float]:
    """Each service's median hours from placed to dispatched (``percentile_cont`` on PostgreSQL)."""
    waited = hours_between(Order.dispatched_at, Order.submitted_at)
    if db.session.get_bind().dialect.name == "postgresql":
        return dict(db.session.execute(
            select(Order.service_id, func.percentile_cont(0.5).within_group(waited))
            .where(*placed, Order.dispatched_at.is_not(None)).group_by(Order.service_id)
        ).all())
    by_service: defaultdict[int, list[float]] = defaultdict(list)
    for sid, hours in db.session.execute(select(Order.service_id, waited).where(*placed,
                                                                              Order.dispatched_at.is_not(None))):
        by_service[sid].append(hours)
    return {sid: _quantile(values, 0.5) for sid, values in by_service.items()}


def service_figures(period: Period, scope: Scope = Scope()) -> list[ServiceFigures]:
    """The numbers of every menu item ordered in the period, and of the published items nobody ordered.
    Six statements, each grouped by the database: the categories, the services, the orders, their
    times to dispatch, their reasons, the crew hours."""
    found: dict[int, ServiceFigures] = {}
    services = select(Service.id, Service.name, Service.category_id).order_by(Service.category_id, Service.id)
    if scope.service_id:
        services = services.where(Service.id == scope.service_id)
    if scope.category_id:
        services = services.where(Service.category_id == scope.category_id)
    names = dict(db.session.execute(select(Category.id, Category.name)).all())
    for sid, name, category_id in db.session.execute(services):
        found[sid] = ServiceFigures(sid, name, names.get(category_id, ""))
    placed = _placed_in(period, scope)
    # Each order's rating by its unique index: a period's orders read their own ratings, not the whole table.
    rating = select(Rating.stars).where(Rating.order_id == Order.id).scalar_subquery()
    o = select(Order.service_id, Order.accepted_at, Order.state, rating.label("stars")).where(*placed).subquery()
    for sid, orders, accepted, delivered, cancelled, rejected, stars_sum, ratings in db.session.execute(
        select(o.c.service_id, func.count(), func.count(o.c.accepted_at),
               func.count().filter(o.c.state.in_(DELIVERED_STATES)),
               func.count().filter(o.c.state == OrderState.CANCELLED),
               func.count().filter(o.c.state == OrderState.REJECTED),
               func.coalesce(func.sum(o.c.stars), 0), func.count(o.c.stars))
        .group_by(o.c.service_id)
    ):
        if (item := found.get(sid)) is not None:
            item.orders, item.accepted, item.delivered = orders, accepted, delivered
            item.cancelled, item.rejected, item.stars_sum, item.ratings = cancelled, rejected, stars_sum, ratings
    for sid, median in _median_to_dispatch(placed).items():
        if (item := found.get(sid)) is not None:
            item.median_to_dispatch = median
    for sid, action, reason, times in db.session.execute(
        select(Order.service_id, OrderEvent.action, OrderEvent.reason_code, func.count())
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.reason_code.is_not(None), *placed)
        .group_by(Order.service_id, OrderEvent.action, OrderEvent.reason_code)
    ):
        if (item := found.get(sid)) is not None:
            item.reasons[(action, reason)] += times
            if action == "reject" and reason in UNMET_REASONS:
                item.unmet += times
    for sid, hours in db.session.execute(
        select(Order.service_id, func.sum(Assignment.hours))
        .join(Order, Order.id == Assignment.order_id)
        .where(Assignment.state.in_(HOLDING_ASSIGNMENT_STATES), Assignment.hours.is_not(None), *placed)
        .group_by(Order.service_id)
    ):
        if (item := found.get(sid)) is not None:
            item.hours = Decimal(hours or 0)
    return list(found.values())


def uncovered_demand(period: Period, scope: Scope = Scope()) -> list[tuple[str, str, int]]:
    """(service, district, orders): what was ordered where no approved volunteer may deliver it
    (matching's rule: lists the service or its category, and serves the district or names none).
    The list a center recruits by. The orders are counted by service and district first, so that the
    rule is asked once a pair, not once an order."""
    demand = (
        select(Order.service_id, Order.district_id, func.count().label("n"))
        .where(*_placed_in(period, scope))
        .group_by(Order.service_id, Order.district_id)
        .subquery()
    )
    covering = (
        select(VolunteerProfile.id)
        .where(VolunteerProfile.status == "approved",
               may_deliver(*links_to(demand.c.service_id, Service.category_id, demand.c.district_id),
                           in_covering_team(demand.c.service_id), Service.delivered_by == DeliveredBy.TEAMS.value))
        .correlate(demand, Service)
        .exists()
    )
    rows = db.session.execute(
        select(Service.name, District.name, demand.c.n)
        .select_from(demand)
        .join(Service, Service.id == demand.c.service_id)
        .join(District, District.id == demand.c.district_id)
        .where(~covering)
        .order_by(demand.c.n.desc(), Service.name, District.name)
    )
    return [tuple(r) for r in rows]


@dataclass
class VolunteerHours:
    user_id: int
    name: str
    volunteer_number: str | None
    team: str
    hours: Decimal  # credited in the period (the ledger's rows, corrections included)
    jobs: int  # services credited in the period
    total: Decimal  # credited in all

    @property
    def stars(self) -> int:
        return star_progress(self.total).stars


def hours_by_volunteer(period: Period, scope: Scope = Scope()) -> list[VolunteerHours]:
    """Each volunteer's hours credited in the period, most first: one statement."""
    start, end = period.bounds()
    jobs = func.count(HourEntry.id).filter(HourEntry.source == HourSource.SERVICE.value)
    rows = (
        select(User.id, User.name, VolunteerProfile.volunteer_number, VolunteerProfile.team,
               func.sum(HourEntry.hours), jobs, VolunteerProfile.hours_credited)
        .select_from(HourEntry)
        .join(User, User.id == HourEntry.volunteer_id)
        .outerjoin(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(HourEntry.created_at >= start, HourEntry.created_at < end,
               *scope.volunteer_conditions(HourEntry.volunteer_id))
        .group_by(User.id, User.name, VolunteerProfile.volunteer_number, VolunteerProfile.team,
                  VolunteerProfile.hours_credited)
        .order_by(func.sum(HourEntry.hours).desc(), User.id)
    )
    if conditions := scope.conditions():
        rows = rows.join(Order, Order.id == HourEntry.order_id).where(*conditions)
    return [VolunteerHours(uid, name, number, team or "", Decimal(hours), n, Decimal(total or 0))
            for uid, name, number, team, hours, n, total in db.session.execute(rows)]
