"""时限: clocks counted in working hours on the center's calendar; a breach and an escalation each
recorded and told once; the desk sees the clock's colour."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.dates import BEIJING
from app.extensions import db as _db
from app.models import Category, Notification, Order, SlaEvent
from app.services import sla
from app.services.settings import DEFAULTS, update_settings
from app.services.sweep import sweep
from tests.conftest import csrf_token

WEEKDAYS_9_TO_530 = replace(DEFAULTS, work_days="12345", work_hours="09:00-17:30", holidays="2027-01-04")
CALENDAR = sla.WorkingCalendar.of(WEEKDAYS_9_TO_530)
FRIDAY = datetime(2027, 1, 1, 16, 0, tzinfo=BEIJING)  # 2027-01-01 is a Friday; Monday the 4th a holiday


def _bj(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=BEIJING)


@pytest.mark.parametrize(("since", "hours", "due"), [
    (FRIDAY, 1, _bj(1, 17)),                       # within the day
    (FRIDAY, 1.5, _bj(1, 17, 30)),                 # to the minute the day ends
    (FRIDAY, 2, _bj(5, 9, 30)),                    # over the weekend and the holiday: Tuesday
    (_bj(2, 10), 1, _bj(5, 10)),                   # placed on a Saturday: the clock starts on Tuesday
    (_bj(5, 7), 1, _bj(5, 10)),                    # before hours: from 09:00
    (_bj(5, 20), 8.5, _bj(6, 17, 30)),             # after hours: the whole next day
])
def test_working_hours_skip_nights_weekends_and_holidays(since, hours, due):
    assert CALENDAR.add(since.astimezone(BEIJING), hours) == due


def test_every_hour_counts_by_default():
    calendar = sla.WorkingCalendar.of(DEFAULTS)
    assert calendar.always and calendar.add(FRIDAY, 30) == FRIDAY + timedelta(hours=30)


def test_the_settings_refuse_a_calendar_that_is_not_one(db, users):
    from app.services.errors import ValidationFailed

    for key, value in (("work_days", "1289"), ("work_hours", "17:30-09:00"), ("holidays", "2027-13-01")):
        with pytest.raises(ValidationFailed) as refused:
            update_settings({key: value}, users["admin"])
        assert refused.value.field == key


def test_a_clock_is_green_then_amber_then_red():
    order = type("Row", (), dict(state="submitted", submitted_at=FRIDAY, dispatched_at=None, accepted_count=0,
                                needed=1))
    clock = sla.running_clock(order, CALENDAR, {sla.DISPATCH: 4, sla.ACCEPTANCE: 8})
    assert (clock.kind, clock.due_at) == (sla.DISPATCH, _bj(5, 11, 30))
    assert clock.colour(_bj(5, 10, 29)) == "green"  # 1 h 30 on Friday, 1 h 29 on Tuesday: under three quarters
    assert clock.colour(_bj(5, 10, 30)) == "amber"  # three of the four working hours
    assert clock.colour(_bj(5, 11, 30)) == "amber" and clock.colour(_bj(5, 11, 31)) == "red"
    assert clock.escalate_at == _bj(5, 15, 30)


def _placed_on_friday(make_order) -> Order:
    order = make_order("submitted")
    _db.session.execute(update(Order).where(Order.id == order.id).values(submitted_at=FRIDAY))
    _db.session.commit()
    return order


def _told(kind: str) -> set[int]:
    return set(_db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def test_the_sweep_records_a_breach_once_and_escalates_at_twice_the_target(db, users, make_order):
    update_settings({"work_days": "12345", "work_hours": "09:00-17:30", "holidays": "2027-01-04"}, users["admin"])
    category = _db.session.get(Category, make_order("cancelled").service.category_id)
    category.dispatch_target_hours = 4  # the category's own limit, over the settings' 24
    _db.session.commit()
    order = _placed_on_friday(make_order)

    assert sweep(24, now=_bj(5, 11, 30)).overdue == 0  # due to the minute: not yet
    assert sweep(24, now=_bj(5, 11, 31)).overdue == 1
    assert sweep(24, now=_bj(5, 11, 32)).overdue == 0  # once
    events = _db.session.scalars(select(SlaEvent)).all()
    assert [(e.order_id, e.clock, e.level, e.due_at) for e in events] == [
        (order.id, "dispatch", "breach", _bj(5, 11, 30))]
    assert users["coordinator"].id in _told("sla_breach") and users["requester"].id not in _told("sla_breach")
    assert _db.session.scalar(select(Order.overdue_at).where(Order.id == order.id)) is not None

    sweep(24, now=_bj(5, 15, 30))
    assert not _told("sla_escalation")
    sweep(24, now=_bj(5, 15, 31))
    sweep(24, now=_bj(5, 15, 32))
    assert _told("sla_escalation") == {users["admin"].id}
    assert _db.session.scalar(select(func.count()).select_from(SlaEvent)) == 2


def test_the_desk_sees_the_clock_on_the_queue_and_the_order(db, users, make_order, login_as):
    order = make_order("submitted")
    stale = make_order("submitted")
    _db.session.execute(update(Order).where(Order.id == stale.id)
                        .values(submitted_at=stale.submitted_at - timedelta(hours=30)))
    _db.session.commit()
    desk = login_as("coordinator")
    queue = desk.get("/dispatch/").get_data(as_text=True)
    row = queue.split(f'data-order="{order.id}"')[1].split("</tr>")[0]
    late = queue.split(f'data-order="{stale.id}"')[1].split("</tr>")[0]
    assert 'data-clock="dispatch"' in row and "text-bg-success" in row
    assert "text-bg-danger" in late
    page = desk.get(f"/dispatch/orders/{stale.id}").get_data(as_text=True)
    assert 'data-testid="sla-clock"' in page and "text-bg-danger" in page


def test_the_settings_page_keeps_a_bad_calendar_beside_its_field(db, login_as):
    admin = login_as("admin")
    form = admin.get("/admin/settings").get_data(as_text=True)
    assert 'name="work_hours"' in form
    from app.services.settings import current_settings

    values = {k: str(v) for k, v in asdict(current_settings()).items() if not isinstance(v, bool)}
    got = admin.post("/admin/settings", data={**values, "work_hours": "9点到5点", "work_days": "12345",
                                              "csrf_token": csrf_token(admin, "/admin/settings")})
    assert got.status_code == 422
    page = got.get_data(as_text=True)
    assert 'data-testid="error-work_hours"' in page and "9点到5点" in page
    assert "error-work_days" not in page


def test_a_breach_notice_opens_the_desks_order_page(db, users, make_order, login_as):
    order = make_order("submitted")
    _db.session.execute(update(Order).where(Order.id == order.id)
                        .values(submitted_at=order.submitted_at - timedelta(hours=30)))
    _db.session.commit()
    sweep(24)
    notice = _db.session.scalars(select(Notification).where(Notification.kind == "sla_breach",
                                                            Notification.user_id == users["coordinator"].id)).one()
    desk = login_as("coordinator")
    page = desk.get("/notifications/").get_data(as_text=True)
    assert order.number in page
    opened = desk.post(f"/notifications/{notice.id}/open", data={"csrf_token": csrf_token(desk, "/notifications/")})
    assert opened.headers["Location"].endswith(f"/dispatch/orders/{order.id}")
