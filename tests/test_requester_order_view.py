"""The requester's order page reads plain values; the workflow answers for them as for the model."""

from __future__ import annotations

import pytest

from app import workflow
from app.services import orders as order_service


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


@pytest.mark.parametrize("state", ["submitted", "dispatched", "accepted", "in_service", "completed", "rated",
                                   "rejected", "cancelled"])
def test_the_page_view_gets_the_models_answer_for_every_order_action_and_actor(db, users, make_order, state):
    order = make_order(state, needed=2)
    view = order_service.order_page_of_requester(order.id, users["requester"])
    assert view is not None and (view.id, view.state) == (order.id, order.state)
    for action in workflow.ORDER_ACTIONS:
        for actor in (users["requester"], users["volunteer2"], users["coordinator"], users["volunteer"]):
            assert workflow.can(view, action, actor) == workflow.can(order, action, actor), (state, action, actor.phone)
        assert workflow.can(view, action, workflow.SYSTEM) == workflow.can(order, action, workflow.SYSTEM)
    for action in workflow.ASSIGNMENT_ACTIONS:  # an order is never taken for an assignment
        assert not workflow.can(view, action, users["volunteer"])


def test_the_view_holds_what_the_page_shows(db, users, make_order):
    order = make_order("rated", needed=2)
    view = order_service.order_page_of_requester(order.id, users["requester"])
    holding = [a for a in sorted(order.assignments, key=lambda a: a.id) if a.holds_slot]
    assert [(m.name, m.phone, m.state) for m in view.crew] == [
        (a.volunteer.name, a.volunteer.phone, a.state) for a in holding]
    assert len(view.crew) == 2
    assert (view.service.name, view.district.name, view.number) == (
        order.service.name, order.district.name, order.number)
    assert (view.rating.stars, view.rating.comment) == (order.rating.stars, order.rating.comment)
    assert (view.starts_at, view.ends_at, view.accepted_count, view.needed) == (
        order.starts_at, order.ends_at, order.accepted_count, order.needed)


def test_offers_not_yet_accepted_are_not_crew_and_nothing_is_rated(db, users, make_order):
    order = make_order("dispatched", needed=2)
    view = order_service.order_page_of_requester(order.id, users["requester"])
    assert view.crew == () and view.rating is None
    assert len(order.assignments) == 2  # two open offers, neither shown as crew


def test_someone_elses_order_has_no_view(db, users, make_order):
    order = make_order("accepted")
    assert order_service.order_page_of_requester(order.id, users["volunteer2"]) is None
    assert order_service.order_page_of_requester(order.id + 1000, users["requester"]) is None
