"""The figures kept beside the rows they count, in one place.

An order keeps how many volunteers hold a place on it (``accepted_count``);
a volunteer's profile keeps their open jobs, this month's hours, their
credited hours and their rating totals. Each figure is defined here once, as
a query over the rows it counts (``*_by_volunteer``, ``places_by_order``).
The workflow changes the figures as it changes states, through the functions
below, in the same transaction; ``recount`` sets every figure from its
definition (after a bulk load, after a hand edit: ``flask orders recount``);
``flask orders check`` compares the kept figures with the same definitions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Integer, Subquery, case, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .base import utcnow
from .hours import HourEntry, HourSource
from .orders import HOLDING_ASSIGNMENT_STATES, Assignment, AssignmentState, Order, OrderState, Rating
from .users import VolunteerProfile

# The assignment states that make a volunteer's open jobs (``VolunteerProfile.open_jobs``).
OPEN_JOB_STATES = (AssignmentState.OFFERED.value, AssignmentState.ACCEPTED.value, AssignmentState.CHECKED_IN.value)
COMPLETED = AssignmentState.COMPLETED.value


# --- the definitions: which rows each figure counts ------------------------------------


def _holds_place():
    return Assignment.state.in_(HOLDING_ASSIGNMENT_STATES)


def _open_job():
    return Assignment.state.in_(OPEN_JOB_STATES)


def _completed_in(month: date):
    return (Assignment.state == COMPLETED) & (Assignment.completed_at >= VolunteerProfile.month_start(month))


def _rated_crew():
    return (Rating.order_id == Assignment.order_id) & (Assignment.state == COMPLETED)


def places_by_order() -> Subquery:
    """(order_id, n): the volunteers holding a place on each order."""
    return (select(Assignment.order_id, func.count().label("n")).where(_holds_place())
            .group_by(Assignment.order_id).subquery())


def open_jobs_by_volunteer() -> Subquery:
    """(volunteer_id, n): each volunteer's open jobs."""
    return (select(Assignment.volunteer_id, func.count().label("n")).where(_open_job())
            .group_by(Assignment.volunteer_id).subquery())


def month_hours_by_volunteer(month: date) -> Subquery:
    """(volunteer_id, h): the hours of each volunteer's jobs completed in ``month``."""
    return (select(Assignment.volunteer_id, func.sum(Assignment.hours).label("h")).where(_completed_in(month))
            .group_by(Assignment.volunteer_id).subquery())


def credited_hours_by_volunteer() -> Subquery:
    """(volunteer_id, h): each volunteer's hours in the ledger."""
    return (select(HourEntry.volunteer_id.label("volunteer_id"), func.sum(HourEntry.hours).label("h"))
            .group_by(HourEntry.volunteer_id).subquery())


def ratings_by_volunteer() -> Subquery:
    """(volunteer_id, stars, n): the ratings of the orders each volunteer completed."""
    return (
        select(Assignment.volunteer_id, func.sum(Rating.stars).label("stars"), func.count(Rating.id).label("n"))
        .join(Rating, _rated_crew())
        .group_by(Assignment.volunteer_id)
        .subquery()
    )


# --- as the workflow changes states ----------------------------------------------------


def take_place(session: Session, order: Order) -> bool:
    """One more volunteer holds a place on ``order``; False when every place is taken."""
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.state == OrderState.DISPATCHED.value, Order.accepted_count < Order.needed)
        .values(accepted_count=Order.accepted_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(order, "accepted_count", order.accepted_count + 1)
    return True


def free_place(session: Session, order: Order) -> None:
    """A volunteer holding a place on ``order`` left it."""
    session.execute(
        update(Order)
        .where(Order.id == order.id, Order.accepted_count > 0)
        .values(accepted_count=Order.accepted_count - 1)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(order, "accepted_count", max(order.accepted_count - 1, 0))


def count_job(session: Session, assignment: Assignment, from_state: str, to_state: str, now: datetime) -> None:
    """Keep the volunteer's open jobs and this month's hours as ``assignment`` moves.

    Increments in SQL, in the transaction of the change, so concurrent changes
    of one volunteer's jobs add up instead of overwriting each other.
    """
    profile = VolunteerProfile
    values: dict[str, object] = {}
    change = (to_state in OPEN_JOB_STATES) - (from_state in OPEN_JOB_STATES)
    if change:
        values["open_jobs"] = profile.open_jobs + change
    if to_state == COMPLETED:
        month, hours = profile.month_of(now), assignment.hours
        values["month_hours"] = case((profile.month_hours_of == month, profile.month_hours + hours), else_=hours)
        values["month_hours_of"] = month
    if values:
        session.execute(
            update(profile)
            .where(profile.user_id == assignment.volunteer_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _crew_done(order: Order):
    return (Assignment.order_id == order.id, Assignment.state == COMPLETED)


def _write_to_ledger(session: Session, order: Order, source: HourSource, hours, now: datetime, *,
                     actor_id: int | None = None, note: str = "", only: tuple = ()) -> None:
    """One ledger row per job the crew completed (``only``: conditions on which), and each one's total follows.

    The rows are written in one INSERT … SELECT; the profiles add up exactly the
    rows of this order and source (each is written once: the unique indexes).
    """
    crew = (*_crew_done(order), *only)
    session.execute(
        insert(HourEntry).from_select(
            ["volunteer_id", "order_id", "assignment_id", "hours", "source", "actor_id", "note", "created_at"],
            select(Assignment.volunteer_id, Assignment.order_id, Assignment.id, hours,
                   literal(source.value), literal(actor_id, Integer), literal(note),
                   literal(now, HourEntry.created_at.type))
            .where(*crew),
        )
    )
    written = (
        select(func.sum(HourEntry.hours))
        .where(HourEntry.order_id == order.id, HourEntry.source == source.value,
               HourEntry.volunteer_id == VolunteerProfile.user_id)
        .scalar_subquery()
    )
    session.execute(
        update(VolunteerProfile)
        .where(VolunteerProfile.user_id.in_(select(Assignment.volunteer_id).where(*crew)))
        .values(hours_credited=VolunteerProfile.hours_credited + func.coalesce(written, 0))
        .execution_options(synchronize_session=False)
    )


def credit_crew(session: Session, order: Order, now: datetime) -> None:
    """The service of ``order`` is confirmed: each of its crew's hours goes into the ledger, once."""
    not_yet = Assignment.hours_credited.is_(False)
    _write_to_ledger(session, order, HourSource.SERVICE, Assignment.hours, now, only=(not_yet,))
    session.execute(
        update(Assignment).where(*_crew_done(order), not_yet).values(hours_credited=True)
        .execution_options(synchronize_session=False)
    )


def hold_crew(session: Session, order: Order, now: datetime) -> None:
    """A dispute opened: the crew's credited hours are held back (a negative row each) until it is decided."""
    _write_to_ledger(session, order, HourSource.HOLD, -Assignment.hours, now,
                     only=(Assignment.hours_credited.is_(True),))


def settle_crew(session: Session, order: Order, hours: Decimal | None, now: datetime, actor_id: int,
                note: str) -> None:
    """The dispute is decided: each of the crew gets ``hours`` back (``None``: the hours logged)."""
    amount = Assignment.hours if hours is None else literal(hours, HourEntry.hours.type)
    _write_to_ledger(session, order, HourSource.ADJUSTMENT, amount, now, actor_id=actor_id, note=note)


def count_rating(session: Session, order: Order) -> None:
    """The people served rated ``order``: its stars count for each of its crew."""
    crew = (Assignment.order_id == order.id, Assignment.state == COMPLETED)
    stars = select(Rating.stars).where(Rating.order_id == order.id).scalar_subquery()
    rated = select(func.count(Rating.id)).where(Rating.order_id == order.id).scalar_subquery()
    session.execute(
        update(VolunteerProfile)
        .where(VolunteerProfile.user_id.in_(select(Assignment.volunteer_id).where(*crew)))
        .values(
            rating_sum=VolunteerProfile.rating_sum + func.coalesce(stars, 0),
            rating_count=VolunteerProfile.rating_count + rated,
        )
        .execution_options(synchronize_session=False)
    )


# --- all of them from the rows ---------------------------------------------------------


def recount(bind: Session | Connection, now: datetime | None = None) -> None:
    """Set every kept figure from its definition (set-based UPDATEs, an index walk per row; the caller commits)."""
    profile, month = VolunteerProfile, VolunteerProfile.month_of(now or utcnow())
    mine = Assignment.volunteer_id == profile.user_id

    def per_profile(value, *conditions):
        return func.coalesce(select(value).where(mine, *conditions).scalar_subquery(), 0)

    held = select(func.count()).where(Assignment.order_id == Order.id, _holds_place()).scalar_subquery()
    ledger = select(func.sum(HourEntry.hours)).where(HourEntry.volunteer_id == profile.user_id)
    bind.execute(  # only the orders whose count is off are written
        update(Order).where(Order.accepted_count != held).values(accepted_count=held)
        .execution_options(synchronize_session=False)
    )
    bind.execute(
        update(profile)
        .values(
            open_jobs=per_profile(func.count(), _open_job()),
            month_hours=per_profile(func.sum(Assignment.hours), _completed_in(month)),
            month_hours_of=month,
            hours_credited=func.coalesce(ledger.scalar_subquery(), 0),
            rating_sum=per_profile(func.sum(Rating.stars), _rated_crew()),
            rating_count=per_profile(func.count(Rating.id), _rated_crew()),
        )
        .execution_options(synchronize_session=False)
    )
