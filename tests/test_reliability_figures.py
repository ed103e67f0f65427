"""What went wrong lately, beside each suggestion: offers left to expire, places given back late, no-shows
(a place the center withdrew once the service had started), over the last 90 days and nothing older."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select, update

from app import workflow
from app.extensions import db as _db
from app.models import Assignment, Order
from app.models.base import utcnow
from app.services import reliability
from app.services.sweep import sweep


def _place_of(order: Order, volunteer) -> Assignment:
    return _db.session.scalars(select(Assignment).where(Assignment.order_id == order.id,
                                                        Assignment.volunteer_id == volunteer.id)).one()


def test_each_kind_is_counted_in_its_window_and_shown_beside_the_suggestion(db, users, make_order, login_as):
    volunteer, desk = users["volunteer"], users["coordinator"]
    late, early, absent = (make_order("accepted") for _ in range(3))
    with freeze_time(late.starts_at - timedelta(hours=23)):  # less than a day before: late
        workflow.apply(_place_of(late, volunteer), "release", volunteer, reason_code="schedule_changed")
    with freeze_time(early.starts_at - timedelta(hours=25)):  # more than a day before: not held against them
        workflow.apply(_place_of(early, volunteer), "release", volunteer, reason_code="schedule_changed")
    with freeze_time(absent.starts_at + timedelta(minutes=30)):  # the service had started: a no-show
        workflow.apply(_place_of(absent, volunteer), "withdraw", desk, reason_code="volunteer_unavailable")
    unanswered = make_order("dispatched")
    _db.session.execute(update(Assignment).where(Assignment.order_id == unanswered.id)
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
    _db.session.commit()
    sweep(24)

    assert reliability.of_volunteers([volunteer.id, users["volunteer3"].id]) == {
        volunteer.id: reliability.Reliability(expired=1, late_releases=1, no_shows=1)}
    assert reliability.of_volunteers([volunteer.id], now=utcnow() + timedelta(days=200)) == {}  # all older than 90 days

    order = make_order("submitted")
    _db.session.commit()
    page = login_as("coordinator").get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    row = page.split(f'data-volunteer="{volunteer.id}"')[1].split("</tr>")[0]
    assert 'data-testid="reliability"' in row


@pytest.mark.parametrize(("action", "from_state", "offset", "lapse"), [
    ("expire", "offered", timedelta(days=-3), "expired"),
    ("release", "accepted", timedelta(hours=-24), None),  # a day before to the minute: in time
    ("release", "accepted", timedelta(hours=-24, seconds=1), "late_release"),
    ("withdraw", "accepted", timedelta(seconds=-1), None),  # the center changed its plans before the start
    ("withdraw", "accepted", timedelta(0), "no_show"),
    ("withdraw", "offered", timedelta(hours=1), None),  # an offer closed: nobody's lapse
    ("decline", "offered", timedelta(hours=-1), None),
])
def test_how_a_place_lapsed_at_the_edges(action, from_state, offset, lapse):
    starts = utcnow() + timedelta(days=5)
    assert reliability.lapse_of(action, from_state, starts + offset, starts) == lapse


def test_the_workflow_writes_the_lapse_with_the_event_and_the_score_weighs_it(db, users, make_order):
    from app.services.matching import WEIGHTS, rank

    volunteer = users["volunteer"]
    late = make_order("accepted")
    with freeze_time(late.starts_at - timedelta(hours=2)):
        workflow.apply(_place_of(late, volunteer), "release", volunteer, reason_code="schedule_changed")
    _db.session.commit()
    assert _place_of(late, volunteer).lapse == "late_release"
    order = make_order("submitted")
    _db.session.commit()
    found = {c.volunteer.id: c for c in rank(order)}
    mine = found[volunteer.id]
    assert mine.lapses == 1 and ("lapses", 1) in mine.reason_keys
    assert reliability.of_volunteers([volunteer.id])[volunteer.id].late_releases == 1
    # The same volunteer, ranked a year on (the lapse out of the window), gains the weight back.
    later = {c.volunteer.id: c for c in rank(order, now=utcnow() + timedelta(days=365))}[volunteer.id]
    hours = WEIGHTS["per_hour_this_month"] * float(later.hours_this_month - mine.hours_this_month)
    assert later.lapses == 0 and later.score - mine.score == pytest.approx(-WEIGHTS["per_lapse"] + hours)
