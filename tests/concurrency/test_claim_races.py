"""Claims racing on real connections: the last place goes to one volunteer; one volunteer's two
overlapping claims leave one (R3-R7, on PostgreSQL and on the SQLite file database)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select

from app import workflow
from app.extensions import db as _db
from app.models import Assignment, Order, User
from app.services.orders.claims import claim_order
from tests.conftest import run_concurrently
from tests.test_claims import _place


def _claim_as(order_id: int, user_id: int):
    order, user = _db.session.get(Order, order_id), _db.session.get(User, user_id)
    job = claim_order(order, user, claim_limit=5)
    _db.session.commit()
    return job.id


def test_the_last_place_goes_to_one_of_two_volunteers(app, db, users):
    claimants = [users["volunteer"].id, users["volunteer2"].id]
    for _round in range(3):
        order = _place(users, needed=1, days=_round)
        results = run_concurrently(app, 2, lambda i, o=order.id: _claim_as(o, claimants[i]))
        won = [r for r in results if isinstance(r, int)]
        lost = [r for r in results if not isinstance(r, int)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], workflow.WorkflowError), lost
        _db.session.expire_all()
        order = _db.session.get(Order, order.id)
        assert (order.state, order.accepted_count) == ("accepted", 1)


def test_one_volunteer_claiming_two_overlapping_orders_holds_one(app, db, users):
    first = _place(users, needed=2, days=5)
    second = _place(users, needed=2, days=5, start=time(10))
    ids = [first.id, second.id]
    me = users["volunteer"].id
    results = run_concurrently(app, 2, lambda i: _claim_as(ids[i], me))
    assert sum(isinstance(r, int) for r in results) == 1, results
    _db.session.expire_all()
    held = _db.session.scalar(select(func.count(Assignment.id)).where(
        Assignment.volunteer_id == me, Assignment.state == "accepted"))
    assert held == 1
