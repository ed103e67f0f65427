"""Check-in that proves presence: the code and QR on the requester's page, from the window's opening;
a volunteer checks in with the code of their own order only, and wrong codes are limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import update

from app import workflow
from app.extensions import db as _db
from app.extensions import limiter
from app.models import Assignment, Order, OrderEvent
from app.services import checkin_codes
from tests.conftest import csrf_token


def _job(order: Order) -> Assignment:
    return order.assignments[0]


def _post(client, job_id: int, **data):
    return client.post(f"/jobs/{job_id}/check-in", data={"csrf_token": csrf_token(client, f"/jobs/{job_id}"), **data})


def test_each_order_has_its_own_code_and_moving_the_order_changes_it(app, db, make_order):
    a, b = make_order("accepted"), make_order("accepted")
    with app.test_request_context():
        assert checkin_codes.code_for(a) != checkin_codes.code_for(b)
        assert len(checkin_codes.code_for(a)) == 6 and checkin_codes.code_for(a).isdigit()
        before = checkin_codes.code_for(a)
        _db.session.execute(update(Order).where(Order.id == a.id).values(
            starts_at=a.starts_at + timedelta(hours=1), ends_at=a.ends_at + timedelta(hours=1)))
        _db.session.refresh(a)
        assert checkin_codes.code_for(a) != before


def test_the_requester_sees_the_code_from_the_moment_check_in_opens(app, db, make_order, login_as):
    order = make_order("accepted")
    opens = workflow.check_in_opens(order)
    with app.test_request_context():
        code = checkin_codes.code_for(order)
    for moment, shown in ((opens - timedelta(minutes=1), False), (opens, True),
                          (workflow.check_in_closes(order) - timedelta(minutes=1), True),
                          (workflow.check_in_closes(order), False)):
        with freeze_time(moment):
            page = login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True)
        assert (code in page and 'data-testid="check-in-code"' in page) is shown, moment
        if shown:  # the QR sits in the same card as the code
            assert "<svg" in page.split('data-testid="check-in-code"')[1].split("</div></div>")[0]


def test_only_the_code_of_this_order_checks_in_and_the_timeline_says_how(app, db, make_order, login_as):
    order, other = make_order("accepted"), make_order("accepted")
    with app.test_request_context():
        their_code = checkin_codes.code_for(other)
        code = checkin_codes.code_for(order)
    with freeze_time(order.starts_at - timedelta(minutes=5)):
        volunteer = login_as("volunteer")
        wrong = _post(volunteer, _job(order).id, code=their_code)
        assert wrong.status_code == 422
        assert "签到码不正确" in wrong.get_data(as_text=True)
        _db.session.refresh(_job(order))
        assert _job(order).state == "accepted"
        assert _post(volunteer, _job(order).id, code=f" {code} ").status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Assignment, _job(order).id).state == "checked_in"
    event = _db.session.query(OrderEvent).filter_by(order_id=order.id, action="check_in").one()
    assert "签到码" in event.note or "code" in event.note


def test_the_qr_opens_the_signed_in_volunteers_own_job_and_checks_in_with_its_token(app, db, make_order, login_as):
    order, other = make_order("accepted"), make_order("accepted")
    with app.test_request_context():
        token, other_token = checkin_codes.token_for(order), checkin_codes.token_for(other)
    with freeze_time(order.starts_at - timedelta(minutes=5)):
        volunteer = login_as("volunteer")
        page = volunteer.get(f"/jobs/check-in/{token}")
        assert page.status_code == 200 and 'data-testid="check-in-by-qr"' in page.get_data(as_text=True)
        assert volunteer.get(f"/jobs/check-in/{token[:-2]}xx").status_code == 404  # forged
        assert login_as("volunteer2").get(f"/jobs/check-in/{token}").status_code == 404  # not their order
        replayed = _post(volunteer, _job(order).id, token=other_token)  # another order's QR
        assert replayed.status_code == 422
        assert _post(volunteer, _job(order).id, token=token).status_code == 303
    event = _db.session.query(OrderEvent).filter_by(order_id=order.id, action="check_in").one()
    assert "二维码" in event.note or "QR" in event.note


def test_five_wrong_codes_then_a_wait(app, db, make_order, login_as):
    order = make_order("accepted")
    limiter.reset()  # counts kept by the earlier tests' wrong codes
    with freeze_time(datetime.now(UTC)) as clock:  # the limiter's memory storage expires keys on a timer
        _db.session.execute(update(Order).where(Order.id == order.id).values(
            starts_at=datetime.now(UTC) + timedelta(minutes=10), ends_at=datetime.now(UTC) + timedelta(minutes=100)))
        _db.session.commit()
        volunteer = login_as("volunteer")
        for i in range(5):
            assert _post(volunteer, _job(order).id, code="999999" if i % 2 else "888888").status_code == 422, i
        with app.test_request_context():
            code = checkin_codes.code_for(_db.session.get(Order, order.id))
        assert _post(volunteer, _job(order).id, code=code).status_code == 429  # even the right code waits
        clock.tick(timedelta(minutes=10, seconds=1))
        assert _post(volunteer, _job(order).id, code=code).status_code == 303
