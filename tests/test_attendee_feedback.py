"""观众评价: attendees answer without an account through the order's signed link, one answer per
device, from the start of the service until 14 days after it; the requester and the desk see the
count and the average; the page shows nothing of who ordered it or where."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from app.extensions import db as _db
from app.extensions import limiter
from app.models import AttendeeFeedback
from app.services import feedback
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()


def _link(app, order) -> str:
    with app.test_request_context():
        return f"/feedback/{feedback.token_for(order)}"


def _answer(client, url: str, stars: str = "5", comment: str = ""):
    return client.post(url, data={"csrf_token": csrf_token(client, url), "stars": stars, "comment": comment})


def _answers() -> int:
    return _db.session.scalar(select(func.count()).select_from(AttendeeFeedback))


def test_one_answer_per_device_and_the_order_pages_count_them(app, db, make_order, login_as):
    order = make_order("completed")
    url = _link(app, order)
    with freeze_time(order.ends_at + timedelta(hours=1)):
        phone = app.test_client()
        page = phone.get(url).get_data(as_text=True)
        assert order.service.name in page
        for private in (order.address, order.contact_phone, order.unit, order.contact_name):
            assert private not in page
        assert _answer(phone, url, "4", "讲得清楚").status_code == 303
        assert 'data-testid="feedback-given"' in phone.get(url).get_data(as_text=True)
        again = _answer(phone, url, "1")
        assert again.status_code == 303 and _answers() == 1  # the same device: refused
        assert _answer(app.test_client(), url, "5").status_code == 303  # another phone
        assert _answers() == 2
        requester_page = login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True)
        assert 'data-testid="feedback-link"' in requester_page and url in requester_page
        assert "4.5" in requester_page.split('data-testid="feedback-summary"')[1][:200]
        desk = login_as("coordinator").get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
        assert "4.5" in desk.split('data-testid="feedback-summary"')[1].split("</p>")[0]


def test_open_from_the_start_until_fourteen_days_after_the_end(app, db, make_order):
    order = make_order("accepted")
    url = _link(app, order)
    for moment, accepted in ((order.starts_at - timedelta(minutes=1), False), (order.starts_at, True),
                             (order.ends_at + timedelta(days=14, minutes=-1), True),
                             (order.ends_at + timedelta(days=14), False)):
        with freeze_time(moment):
            before = _answers()
            phone = app.test_client()
            shown = phone.get(url).get_data(as_text=True)
            assert ('data-testid="feedback-form"' in shown) is accepted, moment
            _answer(phone, url)
            assert _answers() == before + accepted, moment


def test_a_forged_or_changed_link_is_a_missing_page_and_a_bad_answer_loses_nothing(app, db, make_order):
    order = make_order("completed")
    url = _link(app, order)
    phone = app.test_client()
    assert phone.get(url[:-3] + "abc").status_code == 404
    assert phone.get("/feedback/5").status_code == 404
    with freeze_time(order.ends_at + timedelta(hours=1)):
        response = _answer(phone, url, stars="9", comment="我写的意见")
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert 'data-testid="error-stars"' in body and "我写的意见" in body
    assert _answers() == 0


def test_a_cancelled_order_takes_no_feedback(app, db, make_order):
    order = make_order("cancelled")
    url = _link(app, order)
    with freeze_time(order.starts_at + timedelta(minutes=5)):
        phone = app.test_client()
        assert 'data-testid="feedback-closed"' in phone.get(url).get_data(as_text=True)
        _answer(phone, url)
    assert _answers() == 0
