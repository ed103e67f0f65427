"""R8: a fault between a state change and its event leaves nothing behind.

``workflow.apply`` writes the state (a compare-and-set UPDATE) and then the
event. A fault injected in between (the event cannot be built) must make the
request answer the generic 500 page, leave the tables exactly as they were
(no state change, no event, no half-done follow-on) and leave the worker
healthy: the next request on the same client succeeds (no
``PendingRollbackError``).
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import workflow
from app.models import Assignment, Order, OrderEvent
from app.models.base import utcnow
from app.services.sweep import sweep
from tests.conftest import csrf_token
from tests.state_machine.test_transitions_exhaustive import _localized, fingerprint


class InjectedFault(RuntimeError):
    pass


@pytest.fixture
def generic_500(app):
    """Exceptions become the 500 page instead of reaching the test (for this test only)."""
    old = app.config["PROPAGATE_EXCEPTIONS"]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = old


@pytest.fixture
def fault(monkeypatch):
    """``fault(n)``: the n-th event ``apply`` builds from now on raises, after its state UPDATE ran."""
    real = workflow.OrderEvent
    state = {"calls": 0, "at": None, "raised": 0}

    def event(**values):
        state["calls"] += 1
        if state["calls"] == state["at"]:
            state["raised"] += 1
            raise InjectedFault("injected between the state change and its event")
        return real(**values)

    def arm(n: int) -> dict:
        state.update(calls=0, at=n, raised=0)
        monkeypatch.setattr(workflow, "OrderEvent", event)
        return state

    def disarm() -> None:
        monkeypatch.setattr(workflow, "OrderEvent", real)

    arm.disarm = disarm
    return arm


def _events(db) -> int:
    return db.session.scalar(select(func.count()).select_from(OrderEvent))


def _assert_generic_500(response) -> None:
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 500, body[:500]
    assert any(m in body for m in _localized("The error was recorded. Try again shortly.")), body
    for leak in ("Traceback", "InjectedFault", "injected", "sqlalchemy", "UPDATE ", "workflow.py"):
        assert leak not in body, leak


@pytest.mark.parametrize(("nth", "what"), [(1, "the accept event"), (2, "the fill event of the follow-on")])
def test_fault_in_accept_leaves_nothing(db, make_order, login_as, generic_500, fault, nth, what):
    order = make_order("dispatched")
    job = order.assignments[0].id
    volunteer = login_as("volunteer")
    token = csrf_token(volunteer, f"/jobs/{job}")
    before, events = fingerprint(db), _events(db)

    armed = fault(nth)
    response = volunteer.post(f"/jobs/{job}/accept", data={"csrf_token": token})
    assert armed["raised"] == 1, what
    _assert_generic_500(response)
    db.session.expire_all()
    assert fingerprint(db) == before, f"a fault in {what} left a change behind"
    assert _events(db) == events
    slot, order = db.session.get(Assignment, job), db.session.get(Order, order.id)
    assert (slot.state, order.state, order.accepted_count) == ("offered", "dispatched", 0)

    # The same client (and worker) carries on.
    fault.disarm()
    assert volunteer.get(f"/jobs/{job}").status_code == 200
    again = volunteer.post(f"/jobs/{job}/accept", data={"csrf_token": token})
    assert again.status_code == 303, again.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(Assignment, job).state == "accepted"
    assert db.session.get(Order, order.id).state == "accepted"
    assert _events(db) == events + 2  # accept and fill


def test_fault_in_a_follow_on_of_cancel_leaves_nothing(db, make_order, login_as, generic_500, fault):
    """Cancelling an accepted order: the fault hits the withdrawal of the volunteer, after the cancel."""
    order = make_order("accepted")
    requester = login_as("requester")
    token = csrf_token(requester, f"/my/orders/{order.id}")
    before, events = fingerprint(db), _events(db)

    armed = fault(2)
    form = {"csrf_token": token, "reason_code": "requester_withdrew", "note": ""}
    response = requester.post(f"/my/orders/{order.id}/cancel", data=form)
    assert armed["raised"] == 1
    _assert_generic_500(response)
    db.session.expire_all()
    assert fingerprint(db) == before
    assert _events(db) == events
    order = db.session.get(Order, order.id)
    assert (order.state, order.accepted_count, order.assignments[0].state) == ("accepted", 1, "accepted")

    fault.disarm()
    assert requester.get(f"/my/orders/{order.id}").status_code == 200
    assert requester.post(f"/my/orders/{order.id}/cancel", data=form).status_code == 303
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.state, order.accepted_count, order.assignments[0].state) == ("cancelled", 0, "withdrawn")
    assert _events(db) == events + 2  # cancel and the withdrawal


def test_fault_in_the_sweep_skips_nothing_and_doubles_nothing(db, make_order, fault):
    """The periodic sweep commits per offer: a fault in one expiry rolls back that one only."""
    order = make_order("dispatched", needed=2)
    offers = [a.id for a in order.assignments]
    db.session.execute(update(Assignment).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    before = fingerprint(db)
    fault(1)
    with pytest.raises(InjectedFault):
        sweep(24)
    db.session.rollback()
    assert fingerprint(db) == before
    fault.disarm()
    result = sweep(24)
    assert result.expired == 2
    db.session.expire_all()
    assert {db.session.get(Assignment, i).state for i in offers} == {"expired"}
