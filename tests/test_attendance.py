"""我会准时到 and the desk's attendance flags: a volunteer confirms from a day before; the sweep tells
the coordinators, once, of anyone unconfirmed two hours before or not checked in 15 minutes after."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Assignment, Notification
from app.services import attendance
from app.services.sweep import sweep
from tests.conftest import check_in_at_the_start, csrf_token


def _flags(kind: str) -> list[tuple[int, int]]:
    return sorted(_db.session.execute(select(Notification.user_id, Notification.order_id)
                                      .where(Notification.kind == kind)).all())


def test_the_volunteer_confirms_from_a_day_before_until_the_start(db, users, make_order, login_as):
    order = make_order("accepted")
    job = order.assignments[0]
    for moment, allowed in ((order.starts_at - timedelta(hours=24, minutes=1), False),
                            (order.starts_at - timedelta(hours=24), True),
                            (order.starts_at, False)):
        with freeze_time(moment):
            assert attendance.may_confirm(job) is allowed, moment
    with freeze_time(order.starts_at - timedelta(hours=3)):
        volunteer = login_as("volunteer")
        page = volunteer.get(f"/jobs/{job.id}").get_data(as_text=True)
        assert 'data-testid="on-my-way"' in page
        token = csrf_token(volunteer, f"/jobs/{job.id}")
        assert volunteer.post(f"/jobs/{job.id}/on-my-way", data={"csrf_token": token}).status_code == 303
        assert 'data-testid="attendance-confirmed"' in volunteer.get(f"/jobs/{job.id}").get_data(as_text=True)
        assert volunteer.post(f"/jobs/{job.id}/on-my-way", data={"csrf_token": token}).status_code == 409
        desk = login_as("coordinator").get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
        assert f'data-testid="confirmed-{job.id}"' in desk
    _db.session.expire_all()
    assert _db.session.get(Assignment, job.id).attendance_confirmed_at is not None


def test_the_desk_hears_once_of_a_volunteer_unconfirmed_two_hours_before(db, users, make_order):
    order = make_order("accepted")
    sweep(24, now=order.starts_at - timedelta(hours=2, minutes=1))
    assert _flags("unconfirmed") == []
    sweep(24, now=order.starts_at - timedelta(hours=2))
    sweep(24, now=order.starts_at - timedelta(hours=1))
    flags = _flags("unconfirmed")
    assert users["coordinator"].id in {u for u, _o in flags} and {o for _u, o in flags} == {order.id}
    assert len({u for u, _o in flags}) == len(flags)  # each coordinator once, however many sweeps


def test_a_confirmed_volunteer_is_not_flagged_unconfirmed(db, users, make_order):
    order = make_order("accepted")
    attendance.confirm(order.assignments[0], users["volunteer"], now=order.starts_at - timedelta(hours=5))
    _db.session.commit()
    sweep(24, now=order.starts_at - timedelta(hours=1))
    assert _flags("unconfirmed") == []


def test_the_desk_hears_of_a_volunteer_not_checked_in_fifteen_minutes_after_the_start(db, users, make_order):
    order, on_time = make_order("accepted"), make_order("accepted", start_offset_days=1)
    check_in_at_the_start(on_time, on_time.assignments)
    _db.session.commit()
    sweep(24, now=order.starts_at + timedelta(minutes=14))
    assert _flags("not_checked_in") == []
    sweep(24, now=order.starts_at + timedelta(minutes=15))
    flagged_orders = {o for _u, o in _flags("not_checked_in")}
    assert flagged_orders == {order.id}
    sweep(24, now=on_time.starts_at + timedelta(minutes=20))
    assert on_time.id not in {o for _u, o in _flags("not_checked_in")}
    assert len(_flags("not_checked_in")) == len(set(_flags("not_checked_in")))
