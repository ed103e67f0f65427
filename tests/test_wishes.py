"""心愿: a requester describes a need no menu item fits; the desk answers why not, or turns it into an
order of a menu service in the requester's name (the service's rules apply); either way they are told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from app.dates import BEIJING
from app.extensions import db as _db
from app.models import Notification, Order, Wish
from app.services import orders as order_service
from app.services import wishes
from app.services.errors import ValidationFailed
from app.templating import notification_link
from tests.conftest import csrf_token, login, make_user, service_named


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


def _asked(login_as, question: str = "活动室有投影仪吗？"):
    requester, _made = _make(login_as)
    wish = _db.session.scalars(select(Wish)).one()
    desk = login_as("coordinator")
    token = csrf_token(desk, f"/dispatch/wishes/{wish.id}")
    return requester, desk, token, wish, desk.post(f"/dispatch/wishes/{wish.id}/ask",
                                                   data={"csrf_token": token, "ask-question": question})


def test_the_desk_asks_and_the_requester_answers_on_their_wishes_page(app, db, users, login_as):
    requester, desk, token, wish, asked = _asked(login_as)
    assert asked.status_code == 303
    _db.session.refresh(wish)
    assert (wish.status, wish.question) == ("asked", "活动室有投影仪吗？")
    assert users["requester"].id in set(_db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "wish_asked")))
    page = requester.get("/my/wishes").get_data(as_text=True)
    assert "活动室有投影仪吗？" in page and 'data-testid="answer-wish-form"' in page
    # While asked, the desk cannot decide it (nor ask again) until the answer comes.
    assert desk.post(f"/dispatch/wishes/{wish.id}/reject", data={
        "csrf_token": token, "reject-reason_code": "out_of_scope"}).status_code == 409
    answer_token = csrf_token(requester, "/my/wishes")
    empty = requester.post(f"/my/wishes/{wish.id}/answer",
                           data={"csrf_token": answer_token, f"wish{wish.id}-answer": ""})
    assert empty.status_code == 422 and f'data-testid="error-wish{wish.id}-answer"' in empty.get_data(as_text=True)
    assert requester.post(f"/my/wishes/{wish.id}/answer", data={
        "csrf_token": answer_token, f"wish{wish.id}-answer": "有，也有音响"}).status_code == 303
    _db.session.refresh(wish)
    assert (wish.status, wish.answer) == ("submitted", "有，也有音响")
    assert users["coordinator"].id in set(_db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "wish_answered")))
    assert "有，也有音响" in desk.get(f"/dispatch/wishes/{wish.id}").get_data(as_text=True)
    again = requester.post(f"/my/wishes/{wish.id}/answer", data={
        "csrf_token": answer_token, f"wish{wish.id}-answer": "再说一次"})
    assert again.status_code == 409  # answered already: nothing is saved twice
    _db.session.refresh(wish)
    assert wish.answer == "有，也有音响"


def test_only_its_requester_answers_a_wish(app, db, users, login_as):
    _requester, _desk, _token, wish, _ = _asked(login_as)
    make_user("13955550001", "别人", ["requester"])
    _db.session.commit()
    other = app.test_client()
    login(other, "13955550001")
    token = csrf_token(other, "/my/wishes")
    assert other.post(f"/my/wishes/{wish.id}/answer",
                      data={"csrf_token": token, f"wish{wish.id}-answer": "x"}).status_code == 404
    _db.session.refresh(wish)
    assert (wish.status, wish.answer) == ("asked", "")


def test_waiting_for_the_requester_is_off_the_review_clock(db, users, login_as):
    from app.services import sla
    from app.services.settings import current_settings

    with freeze_time("2027-01-05 01:00:00"):  # Tuesday 09:00 in Beijing
        _requester, _desk, _token, wish, _ = _asked(login_as)
    _db.session.refresh(wish)
    target = current_settings().dispatch_deadline_hours
    calendar = sla.WorkingCalendar.of(current_settings())
    assert sla.wish_clock(wish, calendar, target) is None  # asked: no clock runs
    with freeze_time("2027-01-05 06:00:00"):  # five hours later the requester answers
        wishes.answer(wish, users["requester"], "有")
        _db.session.commit()
    assert wish.paused_minutes == 5 * 60
    clock = sla.wish_clock(wish, calendar, target)
    assert clock.kind == "review"
    assert clock.due_at == wish.created_at + timedelta(hours=target + 5)


def test_working_minutes_between_two_moments_skip_nights_and_weekends():
    from app.services import sla
    from app.services.settings import DEFAULTS

    calendar = sla.WorkingCalendar.of(replace(DEFAULTS, work_days="12345", work_hours="09:00-17:30"))
    friday_4pm = datetime(2027, 1, 1, 16, 0, tzinfo=BEIJING)
    assert calendar.minutes_between(friday_4pm, datetime(2027, 1, 4, 10, 0, tzinfo=BEIJING)) == 90 + 60
    assert calendar.minutes_between(friday_4pm, friday_4pm - timedelta(hours=1)) == 0
    assert sla.WorkingCalendar.of(DEFAULTS).minutes_between(friday_4pm, friday_4pm + timedelta(days=2)) == 2880


def test_a_wish_taken_on_as_a_one_off_service_is_ordered_but_never_on_the_menu(db, users, login_as):
    requester, _made = _make(login_as)
    wish = _db.session.scalars(select(Wish)).one()
    desk = login_as("coordinator")
    token = csrf_token(desk, f"/dispatch/wishes/{wish.id}")
    form = {"csrf_token": token, "oneoff-category_id": "1", "oneoff-name": "老人智能手机一对一教学",
            "oneoff-crew": "2", "oneoff-service_date": (wish.date_from + timedelta(days=1)).isoformat(),
            "oneoff-start_time": "09:00", "oneoff-end_time": "11:00"}
    taken_name = service_named("办公软件技能培训").name
    clash = desk.post(f"/dispatch/wishes/{wish.id}/one-off", data={**form, "oneoff-name": taken_name})
    assert clash.status_code == 422 and 'data-testid="error-oneoff-name"' in clash.get_data(as_text=True)
    assert 'value="2"' in clash.get_data(as_text=True)  # what was typed stays
    assert desk.post(f"/dispatch/wishes/{wish.id}/one-off", data=form).status_code == 303
    order = _db.session.scalars(select(Order)).one()
    service = order.service
    assert service.one_off and service.name == "老人智能手机一对一教学" and order.needed == 2
    assert (order.requester_id, order.state) == (users["requester"].id, "submitted")
    _db.session.refresh(wish)
    assert (wish.status, wish.order_id) == ("converted", order.id)
    assert "老人智能手机一对一教学" not in requester.get("/").get_data(as_text=True)
    assert requester.get(f"/services/{service.id}").status_code == 404
    assert requester.get(f"/my/orders/new/{service.id}").status_code == 404  # nobody orders it from the menu
    with pytest.raises(ValidationFailed):
        order_service.place_order(users["requester"], replace(_request_like(order), form_token="again"))
    assert _db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert "老人智能手机一对一教学" not in login_as("admin").get("/admin/menu").get_data(as_text=True)
    assert f'href="/my/orders/{order.id}"' in requester.get("/my/wishes").get_data(as_text=True)


def _request_like(order: Order) -> order_service.OrderRequest:
    local = order.starts_at.astimezone(BEIJING)
    return order_service.OrderRequest(
        service_id=order.service_id, service_date=local.date(), start_time=local.time(),
        end_time=order.ends_at.astimezone(BEIJING).time(), district_id=order.district_id, address=order.address,
        unit=order.unit, contact_name=order.contact_name, contact_phone=order.contact_phone,
        audience_size=order.audience_size, note="", form_token="x")


def test_a_one_off_service_given_to_a_team_is_suggested_to_its_members(db, users, login_as):
    from app.models import Team
    from app.services.matching import rank
    from tests.test_matching import volunteer

    member = volunteer("13933340001", "队员")  # lists nothing: only the team makes them qualified
    team = Team(name="手机教学队", members=[member])
    _db.session.add(team)
    _db.session.commit()
    _requester, _made = _make(login_as)
    wish = _db.session.scalars(select(Wish)).one()
    desk = login_as("coordinator")
    token = csrf_token(desk, f"/dispatch/wishes/{wish.id}")
    assert "手机教学队" in desk.get(f"/dispatch/wishes/{wish.id}").get_data(as_text=True)
    assert desk.post(f"/dispatch/wishes/{wish.id}/one-off", data={
        "csrf_token": token, "oneoff-category_id": "1", "oneoff-name": "手机一对一", "oneoff-crew": "1",
        "oneoff-team_id": str(team.id), "oneoff-service_date": wish.date_from.isoformat(),
        "oneoff-start_time": "14:00", "oneoff-end_time": "16:00"}).status_code == 303
    order = _db.session.scalars(select(Order)).one()
    _db.session.refresh(team)
    assert order.service.by_teams_only and [s.id for s in team.services] == [order.service_id]
    eligible = {c.volunteer.id for c in rank(order) if c.eligible}
    assert member.id in eligible


def test_the_desk_orders_only_what_is_on_the_menu(db, users, login_as):
    requester, _made = _make(login_as)
    _make(login_as, title="第二个心愿")
    first, second = _db.session.scalars(select(Wish).order_by(Wish.id)).all()
    desk = login_as("coordinator")
    token = csrf_token(desk, f"/dispatch/wishes/{first.id}")
    assert desk.post(f"/dispatch/wishes/{first.id}/one-off", data={
        "csrf_token": token, "oneoff-category_id": "1", "oneoff-name": "只为此心愿", "oneoff-crew": "1",
        "oneoff-service_date": first.date_from.isoformat(), "oneoff-start_time": "09:00",
        "oneoff-end_time": "10:00"}).status_code == 303
    one_off = _db.session.scalar(select(Order.service_id))
    on_the_menu = service_named("办公软件技能培训").id
    for page in (f"/dispatch/wishes/{second.id}", "/dispatch/proxy"):
        body = desk.get(page).get_data(as_text=True)
        assert f'<option value="{on_the_menu}"' in body and f'<option value="{one_off}"' not in body, page
    assert "只为此心愿" in desk.get("/dispatch/").get_data(as_text=True)  # its order is in the queue all the same
