"""The volunteer's side: their jobs (assignments), grouped as 我的任务 shows them, and their hours."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sqlalchemy import Select, bindparam, case, select, union_all
from sqlalchemy.orm import contains_eager, joinedload, load_only, raiseload, with_expression

from ...extensions import db
from ...models import Assignment, District, Order, Service, User, VolunteerProfile, VolunteerReview
from ...models.expressions import in_constants
from ...models.orders import HOLDING_ASSIGNMENT_STATES, AssignmentState

JOB_GROUPS = {
    "offers": (AssignmentState.OFFERED.value,),
    "upcoming": (AssignmentState.ACCEPTED.value, AssignmentState.CHECKED_IN.value),
    "done": (AssignmentState.COMPLETED.value,),
}
GROUP_OF_STATE = {state: key for key, states in JOB_GROUPS.items() for state in states}

JOBS_SHOWN, DONE_SHOWN = 20, 10  # cards on 我的任务 in all, and of them finished ones at most


@cache
def _jobs_query(limit: int, done: int) -> Select:
    open_states = [*JOB_GROUPS["offers"], *JOB_GROUPS["upcoming"]]
    done_last = case((Assignment.state == AssignmentState.COMPLETED.value, 1), else_=0)

    def newest(states, n: int):
        return (
            select(Assignment.id)
            .where(Assignment.volunteer_id == bindparam("volunteer_id"), in_constants(Assignment.state, states))
            .order_by(Assignment.id.desc())
            .limit(n)
            .subquery()
        )

    # The newest ``limit`` open and ``done`` finished ones, each a short walk of
    # ix_assignments_volunteer_state_id, whatever the length of the history.
    picked = [newest(open_states, limit), newest(JOB_GROUPS["done"], done)]
    # The hours credited over the volunteer's whole record ride along with each job.
    hours = (
        select(VolunteerProfile.hours_credited)
        .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
        .scalar_subquery()
    )
    # Only what a card shows and what the workflow reads to offer its button.
    return (
        select(Assignment, hours)
        .join(Assignment.order)
        .join(Order.service)
        .join(Order.district)
        .options(
            load_only(Assignment.state, Assignment.volunteer_id, Assignment.expires_at),
            contains_eager(Assignment.order).options(
                load_only(Order.state, Order.requester_id, Order.starts_at, Order.ends_at),
                contains_eager(Order.service).load_only(Service.name),
                contains_eager(Order.district).load_only(District.name),
            ),
            raiseload("*"),
        )
        .where(Assignment.id.in_(union_all(*(select(p.c.id) for p in picked))))
        .order_by(done_last, Assignment.id.desc())
        .limit(limit)
    )


@dataclass
class VolunteerJobs:
    groups: dict[str, list[Assignment]]  # offers, upcoming, done
    hours: Decimal  # credited over the whole record


def jobs_of_volunteer(user: User, limit: int = JOBS_SHOWN, done: int = DONE_SHOWN) -> VolunteerJobs:
    """The volunteer's jobs grouped as offers, upcoming and done, and the hours credited.

    Open ones (offers, upcoming) come first, then the ``done`` most recent
    finished ones, ``limit`` in all: a volunteer with years of service still
    gets a short page (the hours credited over all of them sit on top).
    """
    rows = db.session.execute(_jobs_query(limit, min(done, limit)), {"volunteer_id": user.id}).all()
    grouped: dict[str, list[Assignment]] = {k: [] for k in JOB_GROUPS}
    for job, _hours in rows:
        if job.state in GROUP_OF_STATE:
            grouped[GROUP_OF_STATE[job.state]].append(job)
    grouped["offers"].sort(key=lambda j: j.order.starts_at)
    grouped["upcoming"].sort(key=lambda j: j.order.starts_at)
    hours = Decimal(rows[0][1] or 0) if rows else credited_hours(user)
    return VolunteerJobs(grouped, hours)


@cache
def _credited_hours_query() -> Select:
    # Kept on the profile by the workflow when an order is rated.
    return select(VolunteerProfile.hours_credited).where(VolunteerProfile.user_id == bindparam("volunteer_id"))


def credited_hours(user: User) -> Decimal:
    total = db.session.scalar(_credited_hours_query(), {"volunteer_id": user.id})
    return Decimal(total or 0)


def volunteer_job_on(order_id: int, user: User) -> Assignment | None:
    """The volunteer's place on an order that they still hold (the check-in QR leads there)."""
    found = db.session.scalar(
        select(Assignment.id)
        .where(Assignment.order_id == order_id, Assignment.volunteer_id == user.id,
               in_constants(Assignment.state, HOLDING_ASSIGNMENT_STATES))
        .order_by(Assignment.id.desc()).limit(1)
    )
    return assignment_for_volunteer(found, user) if found else None


def assignment_for_volunteer(assignment_id: int, user: User) -> Assignment | None:
    """The volunteer's own job with its order; None when not theirs."""
    return db.session.scalar(
        select(Assignment)
        .where(Assignment.id == assignment_id, Assignment.volunteer_id == user.id)
        .options(
            with_expression(Assignment.reviewed, select(VolunteerReview.id)
                            .where(VolunteerReview.assignment_id == Assignment.id).exists()),
            joinedload(Assignment.order).options(
                joinedload(Order.service), joinedload(Order.district), joinedload(Order.rating)
            )
        )
    )
