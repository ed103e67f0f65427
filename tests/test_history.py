"""全部订单: every order in any state, found by its filters, with its hours and rating."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest

from app import workflow
from app.extensions import db as _db
from app.models import Rating, VolunteerProfile


def _numbers(page: str) -> list[str]:
    return re.findall(r'data-testid="order-link">(\d+)<', page)


def test_every_state_is_listed_newest_first_with_its_hours_and_rating(db, login_as, make_order):
    made = [make_order(state) for state in ("submitted", "dispatched", "rejected", "cancelled", "rated")]
    page = login_as("coordinator").get("/dispatch/history").get_data(as_text=True)
    assert _numbers(page) == [o.number for o in reversed(made)]
    rated = made[-1]
    row = re.search(rf'<tr [^>]*data-order="{rated.id}">.*?</tr>', page, re.S).group(0)
    assert "★★★★★" in row and '"hours">2.0<' in row  # the crew's hours and the rating given


@pytest.mark.parametrize("query, kept", [
    ("state=rated", ["rated"]),
    ("stars=5", ["rated"]),
    ("stars=2", []),
    ("volunteer=李华", ["dispatched", "rated"]),
    ("state=cancelled&volunteer=李华", []),
])
def test_filters_keep_the_orders_they_name(db, login_as, make_order, query, kept):
    made = {state: make_order(state) for state in ("submitted", "dispatched", "cancelled", "rated")}
    page = login_as("coordinator").get(f"/dispatch/history?{query}").get_data(as_text=True)
    assert sorted(_numbers(page)) == sorted(made[s].number for s in kept)


def test_a_volunteer_is_found_by_their_volunteer_number(db, login_as, make_order, users):
    order = make_order("accepted")
    profile = _db.session.query(VolunteerProfile).filter_by(user_id=users["volunteer"].id).one()
    profile.volunteer_number = "YZ2026000123"
    make_order("submitted")
    _db.session.commit()
    page = login_as("coordinator").get("/dispatch/history?volunteer=YZ2026000123").get_data(as_text=True)
    assert _numbers(page) == [order.number]


def test_an_order_number_finds_its_order(db, login_as, make_order):
    first, _second = make_order("rated"), make_order("submitted")
    page = login_as("coordinator").get(f"/dispatch/history?q={first.number}").get_data(as_text=True)
    assert _numbers(page) == [first.number]


def test_pages_follow_each_other_without_gaps_or_repeats(app, db, login_as, make_order):
    made = [make_order() for _ in range(5)]
    client = login_as("coordinator")
    app.config["QUEUE_PAGE_SIZE"], size = 2, app.config["QUEUE_PAGE_SIZE"]
    try:
        seen, url = [], "/dispatch/history"
        while url:
            page = client.get(url).get_data(as_text=True)
            seen += _numbers(page)
            older = re.search(r'href="([^"]+)" data-testid="next-page"', page)
            url = older.group(1).replace("&amp;", "&") if older else None
        assert seen == [o.number for o in reversed(made)]
        back = client.get(f"/dispatch/history?before={made[2].id}").get_data(as_text=True)
        assert _numbers(back) == [made[4].number, made[3].number]
    finally:
        app.config["QUEUE_PAGE_SIZE"] = size


@pytest.mark.parametrize("query, message", [
    ("date_from=2026-12-10&date_to=2026-12-01", "结束日期早于开始日期"),
    ("date_to=9999-01-01", "请选择2000年至2099年之间的日期"),
])
def test_impossible_dates_are_named_beside_their_field(db, login_as, make_order, query, message):
    make_order()
    response = login_as("coordinator").get(f"/dispatch/history?{query}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_a_rating_of_one_star_reaches_the_desk(db, login_as, make_order):
    order = make_order("rated")
    _db.session.query(Rating).filter_by(order_id=order.id).update({"stars": 1})
    _db.session.commit()
    page = login_as("coordinator").get("/dispatch/history?stars=1").get_data(as_text=True)
    assert _numbers(page) == [order.number]


def test_a_likely_duplicate_is_flagged_in_the_queue_and_on_the_order_page(db, login_as, users):
    from app.services import orders as order_service
    from tests.conftest import order_request, service_named

    svc = service_named("交通安全法规宣讲")
    day = date.today() + timedelta(days=svc.min_notice_days + 3)
    first = order_service.place_order(users["requester"], order_request(svc, service_date=day))
    later = order_service.place_order(users["requester"], order_request(svc, service_date=day, start_time=time(15),
                                                                        end_time=time(16)))
    other_day = order_service.place_order(users["requester"], order_request(svc, service_date=day + timedelta(days=1)))
    _db.session.commit()
    client = login_as("coordinator")
    queue = client.get("/dispatch/").get_data(as_text=True)
    flagged = re.findall(r'data-order="(\d+)".*?(likely-duplicate|</tr>)', queue, re.S)
    assert {int(o) for o, mark in flagged if mark == "likely-duplicate"} == {first.id, later.id}
    page = client.get(f"/dispatch/orders/{first.id}").get_data(as_text=True)
    assert 'data-testid="likely-duplicate"' in page and f'/dispatch/orders/{later.id}"' in page
    assert 'data-testid="likely-duplicate"' not in client.get(f"/dispatch/orders/{other_day.id}").get_data(as_text=True)
    workflow.apply(later, "cancel", users["requester"], reason_code="duplicate")
    _db.session.commit()
    assert 'data-testid="likely-duplicate"' not in client.get(f"/dispatch/orders/{first.id}").get_data(as_text=True)


def test_the_history_keeps_the_orders_a_teams_members_served(db, users, make_order, login_as):
    from app.models import Team

    served, other = make_order("rated"), make_order("rated", start_offset_days=3)  # both served by 李华
    team = Team(name="历史队", members=[users["volunteer"]])
    empty = Team(name="空队", members=[users["volunteer4"]])
    db.session.add_all([team, empty])
    db.session.commit()
    desk = login_as("coordinator")
    page = desk.get(f"/dispatch/history?team_id={team.id}").get_data(as_text=True)
    assert served.number in page and other.number in page
    none = desk.get(f"/dispatch/history?team_id={empty.id}").get_data(as_text=True)
    assert served.number not in none


def test_an_order_page_leads_back_to_where_the_order_is_listed(db, login_as, make_order):
    """The queue while the order takes offers; 全部订单 once it is settled (it left the queue)."""
    client = login_as("coordinator")
    waiting, rated = make_order("submitted"), make_order("rated")
    waiting_page = client.get(f"/dispatch/orders/{waiting.id}").get_data(as_text=True)
    assert 'data-testid="back-to-queue"' in waiting_page and 'data-testid="back-to-history"' not in waiting_page
    rated_page = client.get(f"/dispatch/orders/{rated.id}").get_data(as_text=True)
    assert 'href="/dispatch/history" data-testid="back-to-history"' in rated_page
    assert 'data-testid="back-to-queue"' not in rated_page
