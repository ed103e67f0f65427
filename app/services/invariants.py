"""The invariants every order keeps; ``flask orders check`` reports breaches.

The kept figures are compared with their definitions in ``models.counters``.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Order, OrderEvent, VolunteerProfile, counters
from ..models.base import utcnow
from . import daily_figures


def broken_invariants() -> list[str]:
    problems: list[str] = []
    holding = counters.places_by_order()
    rows = db.session.execute(
        select(Order.id, Order.state, Order.needed, Order.accepted_count, func.coalesce(holding.c.n, 0))
        .outerjoin(holding, holding.c.order_id == Order.id)
    )
    for oid, state, needed, count, n in rows:
        if state in ("cancelled", "rejected"):
            if n:
                problems.append(f"order {oid}: {state} but {n} volunteer(s) still hold a slot")
            continue
        if count > needed:
            problems.append(f"order {oid}: {count} accepted for {needed} places")
        if state in ("dispatched", "accepted") and count != n:
            problems.append(f"order {oid}: counter says {count}, assignments say {n}")
        if state == "accepted" and count != needed:
            problems.append(f"order {oid}: accepted with {count} of {needed} places filled")
        if state == "dispatched" and count >= needed:
            problems.append(f"order {oid}: dispatched but all {needed} places are filled")
    last_event = (
        select(OrderEvent.order_id, func.max(OrderEvent.id).label("last_id"))
        .where(OrderEvent.entity == "order")
        .group_by(OrderEvent.order_id)
        .subquery()
    )
    mismatched = db.session.execute(
        select(Order.id, Order.state, OrderEvent.to_state)
        .join(last_event, last_event.c.order_id == Order.id)
        .join(OrderEvent, OrderEvent.id == last_event.c.last_id)
        .where(OrderEvent.to_state != Order.state)
    )
    for oid, state, to_state in mismatched:
        problems.append(f"order {oid}: state {state} but last event went to {to_state}")
    no_event = db.session.scalars(
        select(Order.id).where(~select(OrderEvent.id).where(OrderEvent.order_id == Order.id).exists())
    )
    for oid in no_event:
        problems.append(f"order {oid}: no event recorded")
    problems += _rating_totals_off()
    problems += _credited_hours_off()
    problems += _job_figures_off()
    problems += daily_figures.differences()
    return problems


def _job_figures_off() -> list[str]:
    """Each volunteer's kept open jobs and this month's hours equal what their jobs say."""
    profile, month = VolunteerProfile, VolunteerProfile.month_of(utcnow())
    open_jobs, hours = counters.open_jobs_by_volunteer(), counters.month_hours_by_volunteer(month)
    n_open, n_hours = func.coalesce(open_jobs.c.n, 0), func.coalesce(hours.c.h, 0)
    rows = db.session.execute(
        select(profile.user_id, profile.open_jobs, n_open, profile.hours_in(month), n_hours)
        .outerjoin(open_jobs, open_jobs.c.volunteer_id == profile.user_id)
        .outerjoin(hours, hours.c.volunteer_id == profile.user_id)
        .where(or_(profile.open_jobs != n_open, profile.hours_in(month) != n_hours))
    )
    return [
        f"volunteer {uid}: {kept_open} open jobs and {kept_hours} hours this month, "
        f"assignments say {n} and {h}"
        for uid, kept_open, n, kept_hours, h in rows
    ]


def _credited_hours_off() -> list[str]:
    """Each volunteer's kept credited hours equal the hours of their credited jobs."""
    earned = counters.credited_hours_by_volunteer()
    rows = db.session.execute(
        select(VolunteerProfile.user_id, VolunteerProfile.hours_credited, func.coalesce(earned.c.h, 0))
        .outerjoin(earned, earned.c.volunteer_id == VolunteerProfile.user_id)
        .where(VolunteerProfile.hours_credited != func.coalesce(earned.c.h, 0))
    )
    return [f"volunteer {uid}: {kept} hours credited, jobs say {hours}" for uid, kept, hours in rows]


def _rating_totals_off() -> list[str]:
    """Each volunteer's kept rating totals equal the ratings of the orders they completed."""
    earned = counters.ratings_by_volunteer()
    rows = db.session.execute(
        select(VolunteerProfile.user_id, VolunteerProfile.rating_sum, VolunteerProfile.rating_count,
               func.coalesce(earned.c.stars, 0), func.coalesce(earned.c.n, 0))
        .outerjoin(earned, earned.c.volunteer_id == VolunteerProfile.user_id)
        .where(or_(VolunteerProfile.rating_sum != func.coalesce(earned.c.stars, 0),
                   VolunteerProfile.rating_count != func.coalesce(earned.c.n, 0)))
    )
    return [
        f"volunteer {uid}: rating totals {kept_sum}/{kept_n}, completed orders say {stars}/{n}"
        for uid, kept_sum, kept_n, stars, n in rows
    ]
