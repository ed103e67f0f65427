"""The open jobs and this month's hours kept on the volunteer's profile by the workflow.

Every transition that opens or closes a job moves ``open_jobs`` by one in the
transaction of the change; completing a job adds its hours to ``month_hours``
of the month it was completed in. ``flask orders check`` compares both with
the assignments.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app import workflow
from app.models import Assignment, Order, User, VolunteerProfile
from app.models.base import utcnow
from app.services import orders as order_service
from app.services.invariants import broken_invariants
from app.services.sweep import sweep
from bench.benchdata import Generator, Sizes
from tests.conftest import check_in_at_the_start


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def kept(user: User) -> tuple[int, Decimal]:
    """The volunteer's kept open jobs and hours this month, as the database has them."""
    profile = VolunteerProfile
    month = profile.month_of(utcnow())
    open_jobs, hours = workflow.db.session.execute(
        select(profile.open_jobs, profile.hours_in(month)).where(profile.user_id == user.id)
    ).one()
    return open_jobs, Decimal(hours)


def slot_of(order: Order, volunteer: User) -> Assignment:
    return workflow.db.session.scalar(
        select(Assignment).where(Assignment.order_id == order.id, Assignment.volunteer_id == volunteer.id)
    )


def offered(make_order, users, *names: str, needed: int = 1) -> Order:
    """A dispatched order with an offer to each of ``names``."""
    order = make_order("submitted", needed=needed)
    order_service.dispatch_order(order, [users[n] for n in names], users["coordinator"])
    workflow.db.session.commit()
    return order


def test_offer_opens_a_job_and_accept_and_check_in_keep_it_open(db, users, make_order):
    volunteer = users["volunteer"]
    order = offered(make_order, users, "volunteer")
    assert kept(volunteer) == (1, 0)
    slot = slot_of(order, volunteer)
    workflow.apply(slot, "accept", volunteer)
    assert kept(volunteer) == (1, 0)
    check_in_at_the_start(order, [slot])
    assert kept(volunteer) == (1, 0)
    assert broken_invariants() == []


def test_complete_closes_the_job_and_adds_its_hours_to_this_month(db, users, make_order):
    make_order("completed", needed=2)  # volunteer and volunteer3, 2 hours each
    assert kept(users["volunteer"]) == (0, Decimal("2"))
    assert kept(users["volunteer3"]) == (0, Decimal("2"))
    make_order("completed")
    assert kept(users["volunteer"]) == (0, Decimal("4"))
    assert broken_invariants() == []


def test_hours_of_an_earlier_month_count_as_none_and_restart(db, users, make_order):
    volunteer = users["volunteer"]
    last_month = (VolunteerProfile.month_of(utcnow()) - timedelta(days=1)).replace(day=1)
    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.user_id == volunteer.id)
                       .values(month_hours=9, month_hours_of=last_month))
    db.session.commit()
    assert kept(volunteer) == (0, 0)
    assert broken_invariants() == []
    make_order("completed")
    assert kept(volunteer) == (0, Decimal("2"))
    assert broken_invariants() == []


@pytest.mark.parametrize("action", ["decline", "withdraw"])
def test_an_answered_or_withdrawn_offer_closes_the_job(db, users, make_order, action):
    volunteer = users["volunteer"]
    order = offered(make_order, users, "volunteer", "volunteer3", needed=2)
    actor = volunteer if action == "decline" else users["coordinator"]
    workflow.apply(slot_of(order, volunteer), action, actor, reason_code="other")
    assert kept(volunteer) == (0, 0)
    assert kept(users["volunteer3"]) == (1, 0)
    assert broken_invariants() == []


def test_withdrawing_an_accepted_job_closes_it(db, users, make_order):
    order = make_order("accepted")
    volunteer = users["volunteer"]
    assert kept(volunteer) == (1, 0)
    workflow.apply(slot_of(order, volunteer), "withdraw", users["coordinator"], reason_code="other")
    assert order.state == "dispatched"  # reopened: no job opens or closes with it
    assert kept(volunteer) == (0, 0)
    assert broken_invariants() == []


def test_the_last_accept_closes_the_other_offers(db, users, make_order):
    order = offered(make_order, users, "volunteer", "volunteer3", needed=1)
    workflow.apply(slot_of(order, users["volunteer"]), "accept", users["volunteer"])
    assert order.state == "accepted"
    assert kept(users["volunteer"]) == (1, 0)
    assert kept(users["volunteer3"]) == (0, 0)  # withdrawn: all places filled
    assert broken_invariants() == []


@pytest.mark.parametrize("closing", ["cancel", "reject"])
def test_closing_the_order_closes_every_job_on_it(db, users, make_order, closing):
    order = offered(make_order, users, "volunteer", "volunteer3", needed=2)
    workflow.apply(slot_of(order, users["volunteer"]), "accept", users["volunteer"])
    actor = users["requester"] if closing == "cancel" else users["coordinator"]
    reason = "requester_withdrew" if closing == "cancel" else "out_of_scope"
    workflow.apply(order, closing, actor, reason_code=reason)
    assert kept(users["volunteer"]) == (0, 0) and kept(users["volunteer3"]) == (0, 0)
    assert broken_invariants() == []


def test_the_sweep_expiring_an_offer_closes_the_job(db, users, make_order):
    order = offered(make_order, users, "volunteer")
    db.session.execute(update(Assignment).where(Assignment.order_id == order.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert sweep(24).expired == 1
    assert kept(users["volunteer"]) == (0, 0)
    assert broken_invariants() == []


def test_a_failed_transition_leaves_the_count_alone(db, users, make_order):
    order = offered(make_order, users, "volunteer", "volunteer3", needed=1)
    workflow.apply(slot_of(order, users["volunteer"]), "accept", users["volunteer"])
    db.session.commit()
    with pytest.raises(workflow.IllegalTransition):
        workflow.apply(slot_of(order, users["volunteer3"]), "accept", users["volunteer3"])
    db.session.rollback()
    assert kept(users["volunteer"]) == (1, 0) and kept(users["volunteer3"]) == (0, 0)


def test_the_check_catches_a_wrong_count_or_wrong_hours(db, users, make_order):
    make_order("completed")
    volunteer = users["volunteer"]
    make_order("dispatched")  # volunteer: one open offer
    assert kept(volunteer) == (1, Decimal("2")) and broken_invariants() == []
    mine = VolunteerProfile.user_id == volunteer.id
    db.session.execute(update(VolunteerProfile).where(mine).values(open_jobs=7))
    assert any(f"volunteer {volunteer.id}: 7 open jobs" in p and "assignments say 1 and 2" in p
               for p in broken_invariants())
    db.session.execute(update(VolunteerProfile).where(mine).values(open_jobs=1, month_hours=5))
    assert any(f"volunteer {volunteer.id}: 1 open jobs and 5.0 hours this month" in p for p in broken_invariants())
    db.session.execute(update(VolunteerProfile).where(mine).values(month_hours=2, month_hours_of=date(2000, 1, 1)))
    assert any(f"volunteer {volunteer.id}:" in p for p in broken_invariants())
    db.session.rollback()


def test_the_benchmark_data_keeps_the_figures_too(db):
    Generator(Sizes(orders=300, requesters=2, volunteers=8, coordinators=1, units=2), seed=7,
              echo=lambda *_: None).run()
    open_jobs = db.session.scalar(select(func.sum(VolunteerProfile.open_jobs)))
    assert open_jobs and open_jobs == db.session.scalar(
        select(func.count()).where(Assignment.state.in_(workflow.OPEN_JOB_STATES)))
    assert broken_invariants() == []
