"""抢单: orders of a service open to claims go to the board; volunteers who may deliver them take places."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from app import workflow
from app.extensions import db as _db
from app.models import Assignment, Notification, Order, Team
from app.models.menu import DeliveredBy
from app.services import orders as order_service
from app.services.settings import update_settings
from tests.conftest import order_request, service_named

CLAIMED = "文明交通引导"  # open to claims in the seed; 李华 and 王芳 deliver it, 赵强 does not


def _place(users, service: str = CLAIMED, needed: int = 2, days: int = 0, start: time = time(9)) -> Order:
    svc = service_named(service)
    day = date.today() + timedelta(days=svc.min_notice_days + 3 + days)
    order = order_service.place_order(users["requester"], order_request(
        svc, service_date=day, start_time=start, end_time=time(start.hour + 2)))
    order.needed = needed
    _db.session.commit()
    return order


def _board(client) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="claimable" data-order="(\d+)"', client.get("/jobs/claims")
                                       .get_data(as_text=True))]


def _claim(client, order: Order):
    from tests.conftest import csrf_token

    return client.post(f"/jobs/claims/{order.id}", data={"csrf_token": csrf_token(client, "/jobs/claims")})


def test_an_order_of_a_claim_service_goes_to_the_board_and_the_requester_is_told(db, users):
    claimed, dispatched = _place(users), _place(users, "交通安全法规宣讲", needed=1, days=1)
    assert claimed.state == "dispatched" and dispatched.state == "submitted"
    kinds = set(_db.session.scalars(select(Notification.kind).where(Notification.user_id == users["requester"].id)))
    assert "open_claims" in kinds


def test_the_board_shows_an_order_only_to_who_may_deliver_it(db, users, login_as):
    order = _place(users)
    assert _board(login_as("volunteer")) == [order.id]
    assert _board(login_as("volunteer3")) == []
    assert _claim(login_as("volunteer3"), order).status_code == 303  # refused with a message
    assert _db.session.scalars(select(Assignment).where(Assignment.order_id == order.id)).all() == []


def test_a_claim_takes_a_place_and_the_last_one_fills_the_order(db, users, login_as):
    order = _place(users)
    li, wang = login_as("volunteer"), login_as("volunteer2")
    response = _claim(li, order)
    assert response.status_code == 303 and "/jobs/" in response.location
    _db.session.refresh(order)
    assert (order.state, order.accepted_count) == ("dispatched", 1)
    assert _board(li) == [] and _board(wang) == [order.id]  # one place each
    assert _claim(wang, order).status_code == 303
    _db.session.refresh(order)
    assert (order.state, order.accepted_count) == ("accepted", 2)
    assert _board(wang) == [] and _board(login_as("volunteer")) == []
    events = [e.action for e in order.events]
    assert events.count("claim") == 2 and "fill" in events


def test_a_full_order_refuses_the_next_claim_with_409(db, users, login_as):
    order = _place(users, needed=1)
    assert _claim(login_as("volunteer"), order).status_code == 303
    response = _claim(login_as("volunteer2"), order)
    assert response.status_code == 409
    assert "名额已满" in response.get_data(as_text=True) or "已满" in response.get_data(as_text=True)


def test_a_volunteer_holds_no_more_claimed_places_than_the_limit(db, users, login_as):
    update_settings({"claim_limit": 1}, users["admin"])
    _db.session.commit()
    first, second = _place(users), _place(users, days=1)
    client = login_as("volunteer")
    assert _claim(client, first).status_code == 303
    page = client.get(_claim(client, second).location).get_data(as_text=True)
    assert "您已持有 1 个抢单名额" in page
    assert not _db.session.scalars(select(Assignment).where(Assignment.order_id == second.id)).all()


def test_two_claims_at_the_same_time_leave_one(db, users, login_as):
    first, clash = _place(users), _place(users, days=0, start=time(10))  # 09-11 and 10-12 the same day
    client = login_as("volunteer")
    assert _claim(client, first).status_code == 303
    response = _claim(client, clash)
    assert response.status_code == 409 and f"您在该时段已有其他任务：{first.number} {CLAIMED}" in response.get_data(
        as_text=True)  # the job held is named


def test_a_place_is_given_back_with_a_reason_and_the_order_reopens(db, users, login_as):
    from tests.conftest import csrf_token

    order = _place(users, needed=1)
    client = login_as("volunteer")
    job_url = _claim(client, order).location
    job_id = int(job_url.rstrip("/").split("/")[-1])
    _db.session.refresh(order)
    assert order.state == "accepted"
    empty = client.post(f"/jobs/{job_id}/release", data={"csrf_token": csrf_token(client, job_url)})
    assert empty.status_code == 422 and "请选择原因" in empty.get_data(as_text=True)
    done = client.post(f"/jobs/{job_id}/release", data={"csrf_token": csrf_token(client, job_url),
                                                         "reason_code": "schedule_changed"})
    assert done.status_code == 303
    _db.session.refresh(order)
    assert (order.state, order.accepted_count) == ("dispatched", 0)
    assert _board(login_as("volunteer2")) == [order.id]


@pytest.mark.parametrize(("offset", "allowed"), [(-timedelta(minutes=1), True), (timedelta(0), False)])
def test_claims_and_releases_close_when_the_service_starts(db, users, offset, allowed):
    order = _place(users, needed=2)
    with freeze_time(order.starts_at + offset):
        job = Assignment(order=order, volunteer_id=users["volunteer"].id)
        if allowed:
            workflow.apply(job, "claim", users["volunteer"])
            workflow.apply(job, "release", users["volunteer"], reason_code="schedule_changed")
            assert job.state == "withdrawn"
        else:
            with pytest.raises(workflow.IllegalTransition):
                workflow.apply(job, "claim", users["volunteer"])


def test_a_service_delivered_by_teams_goes_on_the_board_of_its_teams_members_only(db, users, login_as):
    order = _place(users)
    service = order.service
    _db.session.add(Team(name="引导队", members=[users["volunteer3"]], services=[service]))
    service.delivered_by = DeliveredBy.TEAMS.value
    _db.session.commit()
    assert _board(login_as("volunteer3")) == [order.id]
    assert _board(login_as("volunteer")) == []  # lists the service, but is in no team that covers it
