"""The dashboard's daily figures: a period's numbers from the kept days equal a direct count of the orders,
whatever the orders, the filter or the moment; a change is counted at once and kept by the next rebuild."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from app.dates import BEIJING
from app.extensions import db as _db
from app.models import DailyFigure, DailyFiguresRebuilt, Order, Rating, Service
from app.models.orders import OrderState
from app.services import daily_figures, reports
from app.services.reports import Period, Scope

NOW = datetime(2027, 3, 20, 4, 0, tzinfo=BEIJING)  # a Saturday noon in Beijing, 04:00 UTC
FIRST = date(2027, 2, 20)
DAYS = 28
STATES = [s.value for s in OrderState]

an_order = st.fixed_dictionaries({
    "day": st.integers(0, DAYS),  # days after FIRST: the last is NOW's own day
    "minute": st.integers(0, 24 * 60 - 1),
    "state": st.sampled_from(STATES),
    "service": st.integers(0, 2),
    "district": st.sampled_from([1, 17]),
    "overdue": st.booleans(),
    "audience": st.integers(1, 300),
    "stars": st.one_of(st.none(), st.integers(1, 5)),
})


def _insert_orders(orders: list[dict], requester_id: int, services: list[int]) -> None:
    rows, ratings = [], []
    for i, o in enumerate(orders):
        placed = datetime.combine(FIRST + timedelta(days=o["day"]), time(), BEIJING) + timedelta(minutes=o["minute"])
        placed = min(placed, NOW - timedelta(minutes=1))
        rows.append(dict(service_id=services[o["service"]], requester_id=requester_id, district_id=o["district"],
                         unit="单位", address="地址", contact_name="名", contact_phone="13800000001",
                         audience_size=o["audience"], note="", starts_at=placed + timedelta(days=3),
                         ends_at=placed + timedelta(days=3, hours=1), needed=1, accepted_count=0,
                         state=o["state"], form_token=f"daily-{i}", submitted_at=placed, updated_at=placed,
                         overdue_at=placed if o["overdue"] else None))
    if not rows:
        return
    _db.session.execute(insert(Order), rows)
    ids = dict(_db.session.execute(select(Order.form_token, Order.id).where(Order.form_token.like("daily-%"))).all())
    ratings = [dict(order_id=ids[f"daily-{i}"], stars=o["stars"], comment="", created_at=NOW)
               for i, o in enumerate(orders) if o["stars"]]
    if ratings:
        _db.session.execute(insert(Rating), ratings)
    _db.session.commit()


def _clear() -> None:
    for model in (DailyFigure, DailyFiguresRebuilt, Rating, Order):
        _db.session.execute(delete(model))
    _db.session.commit()


def _services() -> list[int]:
    return list(_db.session.scalars(select(Service.id).order_by(Service.id).limit(3)))


def _scopes(services: list[int]) -> list[Scope]:
    category = _db.session.get(Service, services[0]).category_id
    return [Scope(), Scope(district_id=17), Scope(service_id=services[1]), Scope(category_id=category),
            Scope(district_id=17, service_id=services[0])]  # the last is counted from the orders always


def _numbers(period: Period, scope: Scope) -> tuple:
    f = reports.figures(period, scope)
    return f.by_state, f.overdue, f.people_served, f.stars, f.trend


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=st.lists(an_order, max_size=40), first=st.integers(0, DAYS), length=st.integers(0, DAYS))
def test_the_kept_days_add_up_to_a_direct_count(db, users, orders, first, length):
    _clear()
    services = _services()
    _insert_orders(orders, users["requester"].id, services)
    period = Period(FIRST + timedelta(days=first), FIRST + timedelta(days=min(first + length, DAYS)))
    with freeze_time(NOW):
        direct = {scope: _numbers(period, scope) for scope in _scopes(services)}  # never rebuilt: from the orders
        daily_figures.rebuild()
        for scope, numbers in direct.items():
            assert _numbers(period, scope) == numbers, scope


def test_a_change_counts_at_once_and_is_kept_by_the_next_rebuild(db, users):
    _clear()
    services = _services()
    orders = [dict(day=d, minute=600, state="submitted", service=0, district=1, overdue=False, audience=10, stars=None)
              for d in (1, 2, 2, 5)]
    _insert_orders(orders, users["requester"].id, services)
    period = Period(FIRST, FIRST + timedelta(days=DAYS))
    with freeze_time(NOW):
        assert daily_figures.rebuild() == 3  # the days with orders, counted the first time
        assert _db.session.scalar(select(DailyFigure.orders).where(
            DailyFigure.day == (FIRST + timedelta(days=2)).isoformat(), DailyFigure.service_id == 0,
            DailyFigure.district_id == 0)) == 2
        assert reports.figures(period).by_state == {"submitted": 4}
    later = NOW + timedelta(minutes=30)
    with freeze_time(later):
        changed = _db.session.scalar(select(Order.id).order_by(Order.id).limit(1))
        _db.session.execute(update(Order).where(Order.id == changed).values(state="cancelled", updated_at=later))
        _db.session.commit()
        assert reports.figures(period).by_state == {"submitted": 3, "cancelled": 1}  # at once, from the orders
        assert daily_figures.rebuild() == 1  # only the day of the order that changed
        assert reports.figures(period).by_state == {"submitted": 3, "cancelled": 1}
    with freeze_time(later + timedelta(hours=1)):
        assert daily_figures.rebuild() == 1  # changed within the margin before the last rebuild: once more
        assert reports.figures(period).by_state == {"submitted": 3, "cancelled": 1}  # from the kept rows alone
    with freeze_time(later + timedelta(hours=2)):
        assert daily_figures.rebuild() == 0


def test_the_orders_check_names_a_kept_day_that_differs_from_its_orders(db, users):
    from app.services.invariants import broken_invariants

    _clear()
    _insert_orders([dict(day=3, minute=60, state="rated", service=1, district=17, overdue=False, audience=5,
                         stars=4)], users["requester"].id, _services())
    with freeze_time(NOW):
        daily_figures.rebuild()
        assert daily_figures.differences() == []
        _db.session.execute(update(DailyFigure).values(orders=DailyFigure.orders + 1))
        _db.session.commit()
        day = (FIRST + timedelta(days=3)).isoformat()
        assert f"daily figures {day} rated: kept 2, the orders say 1" in broken_invariants()
