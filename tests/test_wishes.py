"""心愿: a requester describes a need no menu item fits; the desk answers why not, or turns it into an
order of a menu service in the requester's name (the service's rules apply); either way they are told."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db as _db
from app.models import Notification, Order, Wish
from app.templating import notification_link
from tests.conftest import csrf_token, service_named


def _wish_form(**overrides) -> dict:
    start = date.today() + timedelta(days=10)
    return {"title": "社区老人智能手机教学", "description": "教老人用手机挂号、视频通话", "category_id": "0",
            "date_from": start.isoformat(), "date_to": (start + timedelta(days=14)).isoformat(),
            "district_id": "1", "address": "荣华中路10号活动室", "audience_size": "20", **overrides}


def _make(login_as, **overrides):
    client = login_as("requester")
    return client, client.post("/my/wishes/new", data={**_wish_form(**overrides),
                                                        "csrf_token": csrf_token(client, "/my/wishes/new")})


def test_a_wish_reaches_the_desk_and_becomes_an_order_within_its_dates(db, users, login_as):
    requester, made = _make(login_as)
    assert made.status_code == 303
    wish = _db.session.scalars(select(Wish)).one()
    assert users["coordinator"].id in set(_db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "wish_submitted")))
    desk = login_as("coordinator")
    assert "社区老人智能手机教学" in desk.get("/dispatch/wishes").get_data(as_text=True)
    service = service_named("办公软件技能培训")
    url = f"/dispatch/wishes/{wish.id}/convert"
    token = csrf_token(desk, f"/dispatch/wishes/{wish.id}")
    outside = desk.post(url, data={"csrf_token": token, "convert-service_id": service.id,
                                   "convert-service_date": (wish.date_to + timedelta(days=1)).isoformat(),
                                   "convert-start_time": "09:00", "convert-end_time": "11:00"})
    assert outside.status_code == 422 and 'data-testid="error-convert-service_date"' in outside.get_data(as_text=True)
    day = wish.date_from + timedelta(days=2)
    done = desk.post(url, data={"csrf_token": token, "convert-service_id": service.id,
                                "convert-service_date": day.isoformat(),
                                "convert-start_time": "09:00", "convert-end_time": "11:00"})
    assert done.status_code == 303
    order = _db.session.scalars(select(Order)).one()
    assert (order.requester_id, order.service_id, order.state) == (users["requester"].id, service.id, "submitted")
    assert order.address == wish.address and "心愿" in order.note
    _db.session.refresh(wish)
    assert (wish.status, wish.order_id) == ("converted", order.id)
    page = requester.get("/my/wishes").get_data(as_text=True)
    assert f'href="/my/orders/{order.id}"' in page
    again = desk.post(f"/dispatch/wishes/{wish.id}/reject", data={
        "csrf_token": token, "reject-reason_code": "out_of_scope"})
    assert again.status_code == 409  # answered already


def test_a_wish_answered_why_not_tells_the_requester(app, db, users, login_as):
    requester, _made = _make(login_as)
    wish = _db.session.scalars(select(Wish)).one()
    desk = login_as("coordinator")
    token = csrf_token(desk, f"/dispatch/wishes/{wish.id}")
    no_reason = desk.post(f"/dispatch/wishes/{wish.id}/reject", data={"csrf_token": token, "reject-note": "我的说明"})
    assert no_reason.status_code == 422 and "我的说明" in no_reason.get_data(as_text=True)
    assert desk.post(f"/dispatch/wishes/{wish.id}/reject", data={
        "csrf_token": token, "reject-reason_code": "on_the_menu", "reject-note": "请点“办公软件技能培训”",
    }).status_code == 303
    page = requester.get("/my/wishes").get_data(as_text=True)
    assert 'data-status="rejected"' in page and "办公软件技能培训" in page
    notice = _db.session.scalars(select(Notification).where(Notification.kind == "wish_rejected",
                                                            Notification.user_id == users["requester"].id)).one()
    with app.test_request_context():
        assert notification_link(notice) == "/my/wishes"
    assert "心愿" in requester.get("/notifications/").get_data(as_text=True)


def test_bad_dates_come_back_with_what_was_typed(db, users, login_as):
    past = (date.today() - timedelta(days=1)).isoformat()
    _client, response = _make(login_as, date_from=past, date_to=past, description="我写的描述")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'data-testid="error-date_from"' in body and "我写的描述" in body
    assert _db.session.scalar(select(Wish.id)) is None


def test_only_requesters_wish_and_only_the_desk_answers(db, users, login_as):
    assert login_as("volunteer").get("/my/wishes/new").status_code == 403
    assert login_as("requester").get("/dispatch/wishes").status_code == 403


def test_the_menu_analysis_counts_wishes_by_category_and_district(db, users, login_as):
    _make(login_as, category_id="1")
    _make(login_as, title="另一个心愿", category_id="1")
    page = login_as("coordinator").get("/reports/services?period=year").get_data(as_text=True)
    table = page.split('data-testid="wish-counts"')[1].split("</table>")[0]
    assert '<td class="text-end">2</td>' in table
