"""Daily figures: the dashboard's counts per day the orders were placed, state, service and district.

A period's numbers are a sum of days. The days settled (no order placed on them changed since the
figures were last rebuilt) are read from ``daily_figures``, a row per day and state at each grain;
the others — today, and any day an order of which changed since — are counted from the orders
themselves, so the numbers are exact at every moment.

**Rebuilt by the sweep, not kept by the workflow's events.** The sweep (every minute) counts again
the whole days whose orders changed since its last run (``orders.updated_at``, indexed): a few
days' orders, read through the index on ``submitted_at``. Kept by the events instead, every state
change of every order would update the same few rows of its day in its own transaction — the rows
every request that changes an order would then wait on — and any path that changes an order outside
the workflow (a migration, a repair) would leave them wrong for good. Recounting a day is idempotent:
a sweep that fails or runs twice leaves the same rows.

A team's numbers (orders its members served) and a district combined with a service or category
are counted from the orders directly: the figures are kept at the three grains the dashboard's
single filters use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import g, has_request_context
from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, text, update

from ..dates import BEIJING
from ..extensions import db
from ..models import DailyFigure, DailyFiguresRebuilt, Order, Rating, Service
from ..models.base import utcnow
from ..models.daily_figures import ALL
from ..models.expressions import beijing_day

# An order changed in a transaction that committed after a rebuild began may carry an earlier
# ``updated_at``: the days of orders changed this long before a rebuild are counted again by the
# next one, and counted directly until then.
MARGIN = timedelta(minutes=5)
REBUILD_LOCK = 20261204  # the PostgreSQL advisory lock a rebuild holds until it commits
STARS = (1, 2, 3, 4, 5)
MEASURES = ("orders", "overdue", "audience", *(f"stars_{n}" for n in STARS))


@dataclass(frozen=True)
class DayCounts:
    """The orders placed on ``day`` now in ``state``: how many, how many overdue, their audience, their ratings."""

    day: date
    state: str
    orders: int
    overdue: int
    audience: int
    stars: tuple[int, int, int, int, int]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BEIJING)


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """``days`` as runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def placed_on(days: Iterable[date]):
    """The orders placed on ``days`` (Beijing), as ranges of ``submitted_at`` its index serves."""
    return or_(*(and_(Order.submitted_at >= _midnight(first), Order.submitted_at < _midnight(last + timedelta(1)))
                 for first, last in _day_ranges(days)))


def _counted(keys: list, where: list):
    """Orders counted by ``keys`` (the placed day first), with the measures, from the orders themselves.

    Each order's rating is looked up by its order (the unique index), not joined: a day's orders read a
    few hundred ratings, never the whole table a hash join would scan."""
    rating = select(Rating.stars).where(Rating.order_id == Order.id).scalar_subquery()
    orders = select(*(key.label(f"k{i}") for i, key in enumerate(keys)), Order.id, Order.overdue_at,
                    Order.audience_size, rating.label("stars")).where(*where).subquery()
    grouped = [orders.c[f"k{i}"] for i in range(len(keys))]
    stars = [func.count(case((orders.c.stars == n, 1))) for n in STARS]
    return (
        select(*grouped, func.count(orders.c.id), func.count(orders.c.overdue_at),
               func.coalesce(func.sum(orders.c.audience_size), 0), *stars)
        .group_by(*grouped)
    )


GRAINS = {
    "all": (literal(ALL), literal(ALL)),
    "service": (Order.service_id, literal(ALL)),
    "district": (literal(ALL), Order.district_id),
}


def recount(days: Iterable[date]) -> None:
    """Count ``days`` again from their orders, at every grain (flushes within the caller's transaction)."""
    days = sorted(set(days))
    if not days:
        return
    db.session.execute(delete(DailyFigure).where(DailyFigure.day.in_([d.isoformat() for d in days])))
    placed = placed_on(days)
    columns = ["day", "service_id", "district_id", "state", *MEASURES]
    for service, district in GRAINS.values():
        keys = [beijing_day(Order.submitted_at), service, district, Order.state]
        db.session.execute(insert(DailyFigure).from_select(columns, _counted(keys, [placed])))


def _changed_days(since: datetime | None) -> list[date]:
    """The days orders were placed on, of the orders changed since ``since`` (every day when None)."""
    day = beijing_day(Order.submitted_at)
    query = select(day).distinct()
    if since is not None:
        query = query.where(Order.updated_at >= since)
    return [date.fromisoformat(d) for d in db.session.scalars(query)]


def _take_turns() -> None:
    """Two rebuilds at once take turns, from before either reads the mark: PostgreSQL's advisory lock;
    on SQLite the database's write lock, which a write statement takes (one changing no row will do).
    Read first, both would find no mark and both insert it."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBUILD_LOCK})
    else:
        mark = DailyFiguresRebuilt
        db.session.execute(update(mark).where(mark.id == 0).values(at=mark.at))


def rebuild(now: datetime | None = None) -> int:
    """Bring the figures up to date: count again every day an order of which changed since the last
    rebuild (all days the first time); commits. Returns how many days were counted."""
    now = now or utcnow()
    _take_turns()
    mark = db.session.get(DailyFiguresRebuilt, 1, populate_existing=True)
    days = _changed_days(mark.at - MARGIN if mark else None)
    for first in range(0, len(days), 200):  # a few hundred days a statement at most
        recount(days[first:first + 200])
    if mark is None:
        db.session.add(DailyFiguresRebuilt(id=1, at=now))
    else:
        mark.at = now
    db.session.commit()
    return len(days)


def _changes() -> list[date] | None:
    """The days of the orders changed since the last rebuild; None when the figures were never rebuilt.
    Asked once a request (a page compares two periods)."""
    if has_request_context() and "daily_figure_changes" in g:
        return g.daily_figure_changes
    mark = db.session.get(DailyFiguresRebuilt, 1)
    found = None if mark is None else _changed_days(mark.at - MARGIN)
    if has_request_context():
        g.daily_figure_changes = found
    return found


def _fresh_days(period_start: date, period_end: date, today: date) -> set[date] | None:
    """The days of the period to count from the orders: today and the days of orders changed since the
    last rebuild. None when the figures were never rebuilt (count the whole period from the orders)."""
    changed = _changes()
    if changed is None:
        return None
    fresh = {d for d in changed if period_start <= d <= period_end}
    if period_start <= today <= period_end:
        fresh.add(today)
    return fresh


def _service_ids_of(category_id: int):
    return select(Service.id).where(Service.category_id == category_id).scalar_subquery()


def _kept(first: date, last: date, fresh: set[date], service_id: int | None, category_id: int | None,
          district_id: int | None) -> list[DayCounts]:
    """The kept rows of the days from ``first`` to ``last`` but ``fresh``, at the grain the filter names."""
    fig = DailyFigure
    where = [fig.day >= first.isoformat(), fig.day <= last.isoformat()]
    if fresh:
        where.append(fig.day.not_in([d.isoformat() for d in fresh]))
    if service_id or category_id:
        where += [fig.district_id == ALL,
                  fig.service_id == service_id if service_id else fig.service_id.in_(_service_ids_of(category_id))]
        if service_id and category_id:
            where.append(fig.service_id.in_(_service_ids_of(category_id)))
    else:
        where += [fig.service_id == ALL, fig.district_id == (district_id or ALL)]
    sums = [func.sum(getattr(fig, m)) for m in MEASURES]
    rows = db.session.execute(select(fig.day, fig.state, *sums).where(*where).group_by(fig.day, fig.state))
    return [_counts(*row) for row in rows]


def _counts(day, state: str, orders, overdue, audience, *stars) -> DayCounts:
    return DayCounts(day if isinstance(day, date) else date.fromisoformat(day), state, int(orders), int(overdue),
                     int(audience), tuple(int(n) for n in stars))


def day_counts(first: date, last: date, conditions: list, *, kept: dict | None) -> list[DayCounts]:
    """The orders placed from ``first`` to ``last`` (Beijing days, both included) and matching ``conditions``,
    counted by day and state.

    ``kept``: the filter as the kept figures know it (``service_id``, ``category_id``, ``district_id``, at most
    one of service/category with a district not at all), or None when they cannot answer it (a team, or a
    district with a service): then every day is counted from the orders.
    """
    today = utcnow().astimezone(BEIJING).date()
    fresh = _fresh_days(first, last, today) if kept is not None else None
    in_period = [Order.submitted_at >= _midnight(first), Order.submitted_at < _midnight(last + timedelta(1))]
    direct_where = [*in_period, *conditions]
    found: list[DayCounts] = []
    if fresh is not None:
        found = _kept(first, last, fresh, **kept)
        if not fresh:
            return found
        direct_where.append(placed_on(fresh))
    rows = db.session.execute(_counted([beijing_day(Order.submitted_at), Order.state], direct_where))
    return found + [_counts(*row) for row in rows]


def differences() -> list[str]:
    """The kept days whose orders by state differ from a count of the orders themselves (``flask orders check``);
    the days changed since the last rebuild, and today, are not kept yet and not compared."""
    changed = _changes()
    if changed is None:
        return []
    skip = {d.isoformat() for d in changed} | {utcnow().astimezone(BEIJING).date().isoformat()}
    kept = {(day, state): n for day, state, n in db.session.execute(
        select(DailyFigure.day, DailyFigure.state, DailyFigure.orders)
        .where(DailyFigure.service_id == ALL, DailyFigure.district_id == ALL))}
    day = beijing_day(Order.submitted_at)
    direct = {(d, state): n for d, state, n in db.session.execute(
        select(day, Order.state, func.count()).group_by(day, Order.state))}
    return [f"daily figures {d} {state}: kept {kept.get((d, state), 0)}, the orders say {direct.get((d, state), 0)}"
            for d, state in sorted(set(kept) | set(direct))
            if d not in skip and kept.get((d, state), 0) != direct.get((d, state), 0)]
