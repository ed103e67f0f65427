"""Who hears what: every role gets the notifications the dispatch console promises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import workflow
from app.models import Assignment, Notification, Role, User, UserRole
from app.models.base import utcnow
from app.services import notifications
from app.services import orders as order_service
from app.services.sweep import sweep
from tests.conftest import check_in_at_the_start, csrf_token


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def told(kind: str) -> set[int]:
    return set(workflow.db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


@pytest.fixture
def coordinators(db, users) -> set[int]:
    ids = set(db.session.scalars(select(UserRole.user_id).where(UserRole.role == Role.COORDINATOR.value)))
    assert users["coordinator"].id in ids
    return ids


def test_coordinators_hear_of_new_orders(db, users, make_order, coordinators):
    make_order("submitted")
    assert told("submit") == coordinators


def test_the_requester_hears_of_dispatch_acceptance_completion(db, users, make_order):
    make_order("completed")
    requester = {users["requester"].id}
    assert told("dispatch") == told("fill") == told("finish") == requester
    assert told("start") == requester


def test_the_requester_hears_of_rejection_and_cancellation_by_the_center(db, users, make_order):
    rejected = make_order("submitted")
    workflow.apply(rejected, "reject", users["coordinator"], reason_code="out_of_scope")
    cancelled = make_order("accepted")
    workflow.apply(cancelled, "cancel", users["coordinator"], reason_code="no_volunteer")
    db.session.commit()
    assert told("reject") == told("cancel") - {users["admin"].id} == {users["requester"].id}
    # The volunteer who had accepted hears they are off the job.
    assert told("withdraw") == {users["volunteer"].id}


def test_coordinators_hear_when_the_requester_cancels(db, users, make_order, coordinators):
    make_order("cancelled")
    assert told("cancel") == coordinators  # not the requester: nobody is told what they did


def test_the_volunteer_hears_of_offers_and_withdrawals(db, users, make_order):
    order = make_order("dispatched")
    assert told("offer") == {users["volunteer"].id}
    workflow.apply(order.assignments[0], "withdraw", users["coordinator"], reason_code="schedule_changed")
    db.session.commit()
    assert told("withdraw") == {users["volunteer"].id}


def test_the_others_hear_when_the_crew_is_complete(db, users, make_order):
    order = make_order("submitted", needed=1)
    offers = order_service.dispatch_order(order, [users["volunteer"], users["volunteer3"]], users["coordinator"])
    workflow.apply(offers[0], "accept", users["volunteer"])
    db.session.commit()
    assert told("offer_closed") == {users["volunteer3"].id}


def test_coordinators_hear_of_declines_and_expiries(db, users, make_order, coordinators):
    declined = make_order("dispatched")
    offer = declined.assignments[0]
    workflow.apply(offer, "decline", offer.volunteer, reason_code="too_far")
    db.session.commit()
    assert told("decline") == coordinators

    expiring = make_order("dispatched")
    db.session.execute(update(Assignment).where(Assignment.order_id == expiring.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert sweep(24).expired == 1
    assert told("expire") == coordinators | {users["volunteer"].id}


def test_every_promised_action_has_recipients_and_words():
    from app import labels

    promised = {
        "volunteer": {"offer", "withdraw"},
        "requester": {"dispatch", "fill", "check_in", "finish", "reject", "cancel", "resolve"},
        "coordinators": {"accept", "reopen", "complete", "decline", "expire", "submit", "dispute"},
        "crew": {"rate", "confirm", "dispute", "resolve"},
    }
    for who, actions in promised.items():
        for action in actions:
            assert who in notifications.RECIPIENTS[action], (who, action)
    for kind in {*notifications.RECIPIENTS, "offer_closed"}:
        assert kind in labels.NOTIFICATIONS, kind


def test_the_unread_badge_counts_and_clears(db, users, make_order, login_as):
    make_order("dispatched")
    volunteer = login_as("volunteer")
    page = volunteer.get("/notifications/").get_data(as_text=True)
    assert 'data-testid="unread-badge-desktop">1<' in page
    assert notifications.unread_count(db.session.get(User, users["volunteer"].id)) == 1
    notifications.mark_all_read(users["volunteer"])
    db.session.commit()
    assert "unread-badge-desktop" not in volunteer.get("/notifications/").get_data(as_text=True)


def test_a_long_unread_list_shows_99_plus_and_costs_no_more(db, users, make_order, login_as, count_queries):
    from app.models import OrderEvent

    order = make_order("submitted")
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id))
    coordinator = login_as("coordinator")
    coordinator.get("/")
    with count_queries() as few:
        assert 'data-testid="unread-badge-desktop">1<' in coordinator.get("/").get_data(as_text=True)
    db.session.add_all(Notification(user_id=users["coordinator"].id, order_id=order.id, event_id=event.id,
                                    kind="submit") for _ in range(150))
    db.session.commit()
    with count_queries() as many:
        page = coordinator.get("/").get_data(as_text=True)
    assert 'data-testid="unread-badge-desktop">99+<' in page
    assert 'data-testid="unread-badge">99+<' in page
    assert few.count == many.count


def test_every_hand_off_tells_the_next_person(db, users, make_order, coordinators):
    """An individual accept and completion reach the desk, a check-in the requester."""
    order = make_order("accepted")
    assert told("accept") == coordinators
    check_in_at_the_start(order, order.crew)
    db.session.commit()
    assert told("check_in") == {users["requester"].id}
    workflow.apply(order.crew[0], "complete", users["volunteer"], hours="2", summary="好")
    db.session.commit()
    assert told("complete") == coordinators


def test_opening_a_notice_marks_it_read_and_goes_to_its_order(db, users, make_order, login_as):
    make_order("dispatched")
    notice = db.session.scalar(select(Notification).where(Notification.user_id == users["volunteer"].id))
    volunteer = login_as("volunteer")
    page = volunteer.get("/notifications/").get_data(as_text=True)
    assert f"/notifications/{notice.id}/open" in page
    token = csrf_token(volunteer, "/notifications/")
    requester = login_as("requester")  # not theirs
    assert requester.post(f"/notifications/{notice.id}/open",
                          data={"csrf_token": csrf_token(requester, "/notifications/")}).status_code == 404
    opened = volunteer.post(f"/notifications/{notice.id}/open", data={"csrf_token": token})
    assert opened.status_code == 303 and opened.location.endswith(f"/jobs/{notice.event.assignment_id}")
    db.session.expire_all()
    assert db.session.get(Notification, notice.id).read_at is not None
    assert notifications.unread_count(db.session.get(User, users["volunteer"].id)) == 0
