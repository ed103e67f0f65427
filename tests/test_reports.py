"""The numbers: periods, the dashboard's figures against a direct count, reasons by role, unmet demand."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app import workflow
from app.dates import BEIJING
from app.extensions import db as _db
from app.models import HourEntry, Order, Rating, Team
from app.models.base import utcnow
from app.services import reports
from app.services.reports import Period, Scope, period_of
from tests.conftest import service_named


@pytest.mark.parametrize("kind, today, first, last", [
    ("week", date(2026, 12, 3), date(2026, 11, 30), date(2026, 12, 6)),  # a Thursday: Monday to Sunday
    ("week", date(2026, 11, 30), date(2026, 11, 30), date(2026, 12, 6)),
    ("month", date(2026, 2, 28), date(2026, 2, 1), date(2026, 2, 28)),
    ("month", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
    ("quarter", date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31)),
    ("quarter", date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31)),
    ("year", date(2026, 6, 15), date(2026, 1, 1), date(2026, 12, 31)),
    # The period just closed: the monthly report's month, the union's year (asked in January).
    ("last_week", date(2026, 11, 30), date(2026, 11, 23), date(2026, 11, 29)),
    ("last_month", date(2026, 12, 4), date(2026, 11, 1), date(2026, 11, 30)),
    ("last_month", date(2026, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),
    ("last_month", date(2028, 3, 31), date(2028, 2, 1), date(2028, 2, 29)),
    ("last_quarter", date(2026, 2, 10), date(2025, 10, 1), date(2025, 12, 31)),
    ("last_year", date(2027, 1, 1), date(2026, 1, 1), date(2026, 12, 31)),
])
def test_a_period_holds_its_first_and_last_day(kind, today, first, last):
    period = period_of(kind, today)
    assert (period.start, period.end) == (first, last)


def test_the_period_before_last_month_is_the_month_before_it():
    assert period_of("last_month", date(2026, 1, 15)).previous() == Period(date(2025, 11, 1), date(2025, 11, 30),
                                                                           "month")


def test_the_dashboard_shows_last_month_when_asked(db, login_as):
    page = login_as("coordinator").get("/reports/?period=last_month")
    assert page.status_code == 200
    last = period_of("last_month", utcnow().astimezone(BEIJING).date())
    assert f"{last.start:%Y-%m-%d} – {last.end:%Y-%m-%d}" in page.get_data(as_text=True)


def test_the_period_before_is_of_the_same_kind():
    assert period_of("month", date(2026, 1, 15)).previous() == Period(date(2025, 12, 1), date(2025, 12, 31), "month")
    assert period_of("quarter", date(2026, 2, 1)).previous() == Period(date(2025, 10, 1), date(2025, 12, 31), "quarter")
    custom = period_of("custom", date(2026, 1, 1), date(2026, 3, 10), date(2026, 3, 19))
    assert custom.previous() == Period(date(2026, 2, 28), date(2026, 3, 9), "custom")


def test_a_period_is_counted_in_beijing_days():
    start, end = Period(date(2026, 12, 1), date(2026, 12, 1)).bounds()
    assert start.astimezone(BEIJING).hour == 0 and (end - start).days == 1
    assert start.utcoffset().total_seconds() == 8 * 3600


STATES = ("submitted", "dispatched", "accepted", "rejected", "cancelled", "completed", "rated", "confirmed")


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(states=st.lists(st.sampled_from(STATES), min_size=1, max_size=5))
def test_the_figures_equal_a_direct_count(db, make_order, states):
    for state in states:
        make_order(state)
    today = utcnow().astimezone(BEIJING).date()
    figures = reports.figures(period_of("month", today))
    # The direct count, by another road: every order and rating row, in Python.
    orders = _db.session.scalars(select(Order)).all()
    this_month = [o for o in orders if o.submitted_at.astimezone(BEIJING).date().replace(day=1) == today.replace(day=1)]
    assert figures.by_state == dict(Counter(o.state for o in this_month))
    assert figures.total == len(this_month)
    stars = Counter(r.stars for r in _db.session.scalars(select(Rating)) if r.order in this_month)
    assert figures.stars == {n: stars[n] for n in range(1, 6)}
    credited = _db.session.scalar(select(func.coalesce(func.sum(HourEntry.hours), 0)))
    assert figures.hours == Decimal(credited)
    assert sum(o for _w, o, _h in figures.trend) == figures.total
    settled = [o for o in this_month if o.state in reports.DELIVERED_STATES | {"cancelled", "rejected"}]
    delivered = [o for o in settled if o.state in reports.DELIVERED_STATES]
    assert figures.completion_rate == (len(delivered) / len(settled) if settled else None)
    waited = [(o.dispatched_at - o.submitted_at).total_seconds() / 3600 for o in this_month if o.dispatched_at]
    for got, q in ((figures.to_dispatch.median, 0.5), (figures.to_dispatch.p90, 0.9)):
        expected = reports._quantile(waited, q)
        assert (got is None) == (expected is None) and (got is None or abs(got - expected) < 1e-3)


def test_reasons_are_counted_by_step_and_by_who_gave_them(db, make_order, users):
    make_order("rejected")  # the center: out_of_scope
    make_order("cancelled")  # the requester: requester_withdrew
    offered = make_order("dispatched")
    workflow.apply(offered.assignments[0], "decline", users["volunteer"], reason_code="too_far")
    _db.session.commit()
    today = utcnow().astimezone(BEIJING).date()
    counted = {(action, role, reason): n for action, role, reason, n in reports.reason_counts(period_of("year", today))}
    assert counted == {
        ("reject", "coordinator", "out_of_scope"): 1,
        ("cancel", "requester", "requester_withdrew"): 1,
        ("decline", "volunteer", "too_far"): 1,
    }


def test_a_menu_item_counts_its_orders_hours_and_unmet_demand(db, make_order, users):
    rated = make_order("rated")
    unmet = make_order()
    workflow.apply(unmet, "reject", users["coordinator"], reason_code="no_volunteer")
    _db.session.commit()
    today = utcnow().astimezone(BEIJING).date()
    items = {i.service_id: i for i in reports.service_figures(period_of("year", today))}
    item = items[rated.service_id]
    assert (item.orders, item.delivered, item.rejected, item.unmet) == (2, 1, 1, 1)
    assert item.hours == Decimal("2.0") and item.average_stars == 5
    assert item.reasons[("reject", "no_volunteer")] == 1
    nobody = items[service_named("插花艺术体验").id]
    assert nobody.orders == 0  # on the menu, never ordered: still listed


def test_orders_where_no_volunteer_may_deliver_are_the_unmet_demand(db, make_order):
    covered = make_order(service="交通安全法规宣讲")  # the demo volunteers deliver it
    today = utcnow().astimezone(BEIJING).date()
    before = dict(((s, d), n) for s, d, n in reports.uncovered_demand(period_of("year", today)))
    assert (covered.service.name, covered.district.name) not in before
    from app.models import VolunteerProfile
    for profile in _db.session.scalars(select(VolunteerProfile)):
        profile.status = "suspended"
    _db.session.commit()
    after = dict(((s, d), n) for s, d, n in reports.uncovered_demand(period_of("year", today)))
    assert after[(covered.service.name, covered.district.name)] == 1


def test_a_scope_counts_only_its_own_orders(db, make_order):
    one = make_order(service="交通安全法规宣讲")
    make_order(service="插花艺术体验")
    today = utcnow().astimezone(BEIJING).date()
    figures = reports.figures(period_of("month", today), Scope(service_id=one.service_id))
    assert figures.total == 1


def test_the_dashboard_shows_the_months_figures(db, login_as, make_order):
    make_order("rated")
    make_order("cancelled")
    page = login_as("coordinator").get("/reports/").get_data(as_text=True)
    assert 'data-testid="kpi-orders">2 ' in page
    assert 'data-testid="kpi-completion">50%' in page
    assert 'id="chart-data"' in page and "echarts" in page


@pytest.mark.parametrize("query, message", [
    ("period=custom&start=2026-12-10&end=2026-12-01", "结束日期早于开始日期"),
    ("period=custom&start=9999-01-01&end=9999-12-31", "请选择2000年至2099年之间的日期"),
    ("period=custom&start=2020-01-01&end=2026-01-01", "时间跨度最多三年"),
    ("period=custom", "请填写开始日期"),
    ("district_id=999999", "不是有效的选择"),
])
def test_impossible_filters_get_a_message_not_an_error(db, login_as, query, message):
    for url in ("/reports/", "/reports/services"):
        response = login_as("admin").get(f"{url}?{query}")
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)


def test_the_menu_analysis_lists_every_menu_item(db, login_as, make_order):
    make_order("rated")
    page = login_as("coordinator").get("/reports/services").get_data(as_text=True)
    assert page.count("data-service=") >= 35  # the whole menu, ordered or not


def test_uncovered_demand_looks_at_each_orders_own_district(db, users):
    from app.models import District
    from app.services import orders as order_service
    from tests.conftest import order_request

    svc = service_named("交通安全法规宣讲")
    haidian = _db.session.scalar(select(District).where(District.name == "海淀区"))
    here = order_service.place_order(users["requester"], order_request(svc))
    far = order_service.place_order(users["requester"], order_request(svc, district_id=haidian.id))
    _db.session.commit()
    today = utcnow().astimezone(BEIJING).date()
    uncovered = {(s, d): n for s, d, n in reports.uncovered_demand(period_of("year", today))}
    assert uncovered == {(svc.name, "海淀区"): 1}  # every demo volunteer names 经开区, none 海淀区
    assert here.district.name != "海淀区" and far.district_id == haidian.id


def test_a_team_scope_counts_the_orders_its_members_served_and_their_own_hours(db, make_order, users, login_as):
    team = Team(name="统计一队", members=[users["volunteer3"]])
    _db.session.add(team)
    _db.session.commit()
    served = make_order("rated", needed=2)  # 李华 and a member of the team
    make_order("rated")  # 李华 alone
    period = period_of("month", utcnow().astimezone(BEIJING).date())
    figures = reports.figures(period, Scope(team_id=team.id))
    members_hours = _db.session.scalar(select(func.sum(HourEntry.hours)).where(
        HourEntry.volunteer_id == users["volunteer3"].id, HourEntry.order_id == served.id))
    assert (figures.total, figures.hours, figures.active_volunteers) == (1, members_hours, 1)
    assert [v.user_id for v in reports.hours_by_volunteer(period, Scope(team_id=team.id))] == [users["volunteer3"].id]
    page = login_as("coordinator").get(f"/reports/?team_id={team.id}").get_data(as_text=True)
    assert 'data-testid="kpi-orders">1 ' in page and "统计一队" in page
