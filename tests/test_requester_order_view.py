"""The requester's order page: their own order only, with its crew, rating and the actions open to them."""

from __future__ import annotations

import pytest

from app import workflow
from app.services import orders as order_service


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def test_the_page_holds_the_crew_in_offer_order_and_the_rating(db, users, make_order):
    order = make_order("rated", needed=2)
    order_id = order.id
    holding = [(a.volunteer.name, a.volunteer.phone, a.state)
               for a in sorted(order.assignments, key=lambda a: a.id) if a.holds_slot]
    stars = order.rating.stars
    db.session.expire_all()
    page = order_service.order_for_requester(order_id, users["requester"])
    assert [(a.volunteer.name, a.volunteer.phone, a.state) for a in page.crew] == holding
    assert len(page.crew) == 2 and page.rating.stars == stars


def test_offers_not_yet_accepted_are_not_crew_and_nothing_is_rated(db, users, make_order):
    order = make_order("dispatched", needed=2)
    page = order_service.order_for_requester(order.id, users["requester"])
    assert page.crew == [] and page.rating is None
    assert len(order.assignments) == 2  # two open offers, neither shown as crew


@pytest.mark.parametrize("state", ["completed", "accepted", "rated"])
def test_the_buttons_are_the_workflows_answer(db, users, make_order, login_as, state):
    order = make_order(state)
    html = login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True)
    assert ('data-testid="rate"' in html) == workflow.can(order, "rate", users["requester"])
    assert ('id="cancel' in html) == workflow.can(order, "cancel", users["requester"])


def test_someone_elses_order_is_not_found(db, users, make_order):
    order = make_order("accepted")
    assert order_service.order_for_requester(order.id, users["volunteer2"]) is None
    assert order_service.order_for_requester(order.id + 1000, users["requester"]) is None
