"""The clock in the table: when an offer can be answered, a volunteer can check in, a job can be
closed, and how many hours a check-out may record. Each rule at its edges, a minute either side,
with a frozen clock; the values come from the center's settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time

from app import workflow
from app.dates import BEIJING
from app.models import Assignment, Order
from app.services import orders as order_service
from app.services.settings import update_settings
from tests.conftest import order_request, service_named
from tests.state_machine.test_transitions_exhaustive import text

MINUTE = timedelta(minutes=1)


def _job(order: Order, volunteer) -> Assignment:
    return next(a for a in order.assignments if a.volunteer_id == volunteer.id)


def _end_of_service_day(order: Order) -> datetime:
    day = order.ends_at.astimezone(BEIJING).date() + timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), BEIJING)


@pytest.mark.parametrize(("moment", "allowed"), [
    (lambda o: o.starts_at - timedelta(minutes=60) - MINUTE, False),
    (lambda o: o.starts_at - timedelta(minutes=60), True),
    (lambda o: o.ends_at, True),
    (lambda o: _end_of_service_day(o) - MINUTE, True),
    (_end_of_service_day, False),
])
def test_check_in_opens_an_hour_before_and_closes_at_the_end_of_the_day(db, users, make_order, moment, allowed):
    order = make_order("accepted")
    job = _job(order, users["volunteer"])
    with freeze_time(moment(order)):
        assert workflow.can(job, "check_in", users["volunteer"]) is allowed
        if allowed:
            workflow.apply(job, "check_in", users["volunteer"])
            assert job.state == "checked_in"
        else:
            with pytest.raises(workflow.IllegalTransition) as err:
                workflow.apply(job, "check_in", users["volunteer"])
            assert "Check-in" in text(err.value.message)
    db.session.rollback()


def test_the_check_in_window_follows_the_setting(db, users, make_order):
    order = make_order("accepted")
    job = _job(order, users["volunteer"])
    update_settings({"check_in_opens_minutes": 15}, users["admin"])
    db.session.commit()
    with freeze_time(order.starts_at - timedelta(minutes=16)):
        assert not workflow.can(job, "check_in", users["volunteer"])
        assert workflow.check_in_opens_later(job) == order.starts_at - timedelta(minutes=15)
    with freeze_time(order.starts_at - timedelta(minutes=15)):
        assert workflow.can(job, "check_in", users["volunteer"])
        assert workflow.check_in_opens_later(job) is None


def test_the_day_before_nobody_checks_in_and_the_page_says_when(db, users, make_order, login_as):
    order = make_order("accepted")
    job = _job(order, users["volunteer"])
    page = login_as("volunteer").get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-testid="check-in-opens"' in page and 'data-testid="check-in"' not in page


def test_a_job_is_completed_only_once_the_service_started(db, users, make_order):
    order = make_order("accepted")
    job = _job(order, users["volunteer"])
    with freeze_time(order.starts_at - timedelta(minutes=30)):
        workflow.apply(job, "check_in", users["volunteer"])
    db.session.commit()
    with freeze_time(order.starts_at - MINUTE):
        assert not workflow.can(job, "complete", users["volunteer"])
        with pytest.raises(workflow.IllegalTransition) as err:
            workflow.apply(job, "complete", users["volunteer"], hours="0.5", summary="好")
        assert "started" in text(err.value.message)
    db.session.rollback()
    with freeze_time(order.starts_at):
        assert workflow.can(job, "complete", users["volunteer"])


@pytest.mark.parametrize(("served", "most"), [
    (timedelta(minutes=29), Decimal("0")),
    (timedelta(minutes=30), Decimal("0.5")),
    (timedelta(minutes=89), Decimal("1")),
    (timedelta(hours=2), Decimal("2")),
    (timedelta(hours=2, minutes=30), Decimal("2.5")),  # the 2-hour window plus the 30 minutes' tolerance
    (timedelta(hours=9), Decimal("2.5")),
])
def test_hours_are_the_time_served_capped_and_rounded_down(db, users, make_order, served, most):
    order = make_order("accepted")
    job = _job(order, users["volunteer"])
    with freeze_time(order.starts_at):
        workflow.apply(job, "check_in", users["volunteer"])
    db.session.commit()
    with freeze_time(order.starts_at + served):
        assert workflow.hours_allowed(job) == most
        if most:
            with pytest.raises(workflow.MissingInput) as err:
                workflow.apply(job, "complete", users["volunteer"], hours=str(most + Decimal("0.5")), summary="好")
            assert err.value.field == "hours"
            db.session.rollback()
            workflow.apply(job, "complete", users["volunteer"], hours=str(most), summary="好")
            assert job.hours == most
        else:
            with pytest.raises(workflow.MissingInput):
                workflow.apply(job, "complete", users["volunteer"], hours="0.5", summary="好")


def test_hours_go_by_half_hours_and_may_be_fewer(db, users, make_order):
    order = make_order("accepted")
    job = _job(order, users["volunteer"])
    with freeze_time(order.starts_at):
        workflow.apply(job, "check_in", users["volunteer"])
    db.session.commit()
    with freeze_time(order.ends_at):
        with pytest.raises(workflow.MissingInput):
            workflow.apply(job, "complete", users["volunteer"], hours="1.2", summary="好")
        db.session.rollback()
        workflow.apply(job, "complete", users["volunteer"], hours="1", summary="好")
    assert job.hours == Decimal("1")


@pytest.mark.parametrize(("offset", "allowed"), [(-MINUTE, True), (timedelta(0), False)])
def test_an_offer_is_answered_before_its_deadline(db, users, make_order, offset, allowed):
    order = make_order("dispatched")
    job = _job(order, users["volunteer"])
    with freeze_time(job.expires_at + offset):
        assert workflow.can(job, "accept", users["volunteer"]) is allowed


def _order_at(users, day_offset: int, start: str, end: str) -> Order:
    svc = service_named("交通安全法规宣讲")
    day = order_request(svc).service_date + timedelta(days=day_offset)
    hour = lambda s: datetime.strptime(s, "%H:%M").time()  # noqa: E731
    return order_service.place_order(users["requester"], order_request(
        svc, service_date=day, start_time=hour(start), end_time=hour(end)))


@pytest.mark.parametrize(("start", "end", "clash"), [
    ("08:00", "09:00", False),  # ends as the other starts
    ("08:00", "09:01", True),
    ("10:59", "12:00", True),
    ("11:00", "12:00", False),  # starts as the other ends
])
def test_a_volunteer_cannot_accept_two_jobs_at_the_same_time(db, users, start, end, clash):
    vol, coord = users["volunteer"], users["coordinator"]
    first = _order_at(users, 0, "09:00", "11:00")
    second = _order_at(users, 0, start, end)
    order_service.dispatch_order(first, [vol], coord)
    order_service.dispatch_order(second, [vol], coord)
    db.session.commit()
    workflow.apply(_job(first, vol), "accept", vol)
    db.session.commit()
    if clash:
        with pytest.raises(workflow.Conflict) as err:
            workflow.apply(_job(second, vol), "accept", vol)
        assert "already have a job" in text(err.value.message)
        db.session.rollback()
    else:
        workflow.apply(_job(second, vol), "accept", vol)
        db.session.commit()
        assert _job(second, vol).state == "accepted"


def test_the_center_checks_a_volunteer_in_by_hand_with_a_reason_on_the_record(db, users, make_order, login_as):
    from sqlalchemy import select

    from app.models import Notification, OrderEvent
    from tests.conftest import csrf_token, service_under_way

    later = make_order("accepted")
    order = make_order("accepted")
    service_under_way(order)
    db.session.commit()
    coordinator = login_as("coordinator")
    page = coordinator.get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    assert "代为签到" in page
    token = csrf_token(coordinator, f"/dispatch/orders/{order.id}")
    job, early = order.crew[0], later.crew[0]
    no_reason = coordinator.post(f"/dispatch/assignments/{job.id}/check-in",
                                 data={"csrf_token": token, "reason_code": "", "note": "电话确认"})
    assert no_reason.status_code == 422 and "电话确认" in no_reason.get_data(as_text=True)
    form = {"csrf_token": token, "reason_code": "phone_trouble", "note": "电话确认已到"}
    assert coordinator.post(f"/dispatch/assignments/{early.id}/check-in", data=form).status_code == 409  # days ahead
    assert coordinator.post(f"/dispatch/assignments/{job.id}/check-in", data=form).status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "in_service"
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.assignment_id == job.id)
                               .order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.reason_code) == ("check_in_by_hand", users["coordinator"].id,
                                                                 "phone_trouble")
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.event_id == event.id)))
    assert told == {users["requester"].id, users["volunteer"].id}
    timeline = login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True)
    assert "中心代为签到" in timeline and "志愿者手机无法签到" in timeline
