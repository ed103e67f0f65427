"""The order form keeps what was typed and says what is wrong beside the field;
nobody reaches an order or a job that is not theirs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import func, select

from app.models import Assignment, Order
from app.services.orders import earliest_service_date
from tests.conftest import csrf_token, service_named

SERVICE = "交通安全法规宣讲"


def translated(app, message: str, **values) -> str:
    """``message`` as the page shows it: in Chinese, HTML-escaped."""
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        return str(escape(gettext(message, **values)))


def form_page(client, service) -> tuple[str, dict[str, str]]:
    """Open the order form; return its URL and its hidden fields."""
    url = f"/my/orders/new/{service.id}"
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = re.search(r'id="form_token" name="form_token" type="hidden" value="([^"]+)"', html).group(1)
    return url, {"csrf_token": csrf_token(client, url), "form_token": token}


def valid_form(service, hidden: dict[str, str], **overrides) -> dict[str, str]:
    form = {
        **hidden,
        "service_date": (earliest_service_date(service) + timedelta(days=3)).isoformat(),
        "start_time": "09:00",
        "end_time": "10:30",
        "district_id": "17",
        "address": "荣华中路10号A座3层",
        "unit": "北京亦庄智造科技有限公司",
        "contact_name": "张明",
        "contact_phone": "13800000001",
        "audience_size": "40",
        "note": "请带投影仪",
    }
    form.update(overrides)
    return form


def field_block(html: str, name: str) -> str:
    """The markup of one field: its label, input, message and help text."""
    start = html.index(f'class="mb-3 field-{name}"')
    following = [i for i in (html.find('class="mb-3 field-', start + 1), html.find("</form>", start)) if i > 0]
    return html[start:min(following)]


def error_beside(html: str, name: str) -> str:
    """The error shown under field ``name`` (asserting it is there, tied to the input)."""
    block = field_block(html, name)
    assert f'id="{name}"' in block
    assert 'aria-invalid="true"' in block and f'aria-describedby="{name}-error"' in block
    match = re.search(rf'<div class="invalid-feedback d-block" id="{name}-error"[^>]*>(.*?)</div>', block, re.S)
    assert match, f"no message beside {name}"
    assert match.group(1).strip()
    return match.group(1).strip()


def order_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Order.id)))


# --- bad input -------------------------------------------------------------------------------


def test_the_form_proposes_a_slot_and_the_earliest_date(login_as, db):
    service = service_named(SERVICE)
    html = login_as("requester").get(f"/my/orders/new/{service.id}").get_data(as_text=True)
    earliest = earliest_service_date(service).isoformat()
    assert f'min="{earliest}"' in html and f'value="{earliest}"' in html
    end = (9 * 60 + service.duration_minutes) // 60, (9 * 60 + service.duration_minutes) % 60
    assert 'id="start_time"' in html and 'value="09:00"' in html
    assert f'value="{end[0]:02d}:{end[1]:02d}"' in html


def test_empty_form_rerenders_with_messages_and_keeps_what_was_typed(app, login_as, db):
    client = login_as("requester")
    service = service_named(SERVICE)
    url, hidden = form_page(client, service)
    typed = {"address": "荣华中路10号", "note": "请带投影仪<和话筒>"}
    empty = dict.fromkeys(("service_date", "start_time", "end_time", "unit", "contact_name",
                           "contact_phone", "audience_size"), "")
    response = client.post(url, data={**hidden, **empty, "district_id": "17", **typed})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert translated(app, "Please correct the marked fields.") in html
    assert error_beside(html, "service_date") == translated(app, "Choose a date.")
    assert error_beside(html, "start_time") == translated(app, "Choose a time.")
    assert error_beside(html, "end_time") == translated(app, "Choose a time.")
    assert error_beside(html, "audience_size") == translated(app, "Enter a number.")
    for name in ("unit", "contact_name", "contact_phone"):
        error_beside(html, name)
    # What was typed is still there, escaped; fields without a problem carry no message.
    assert 'value="荣华中路10号"' in field_block(html, "address")
    assert "请带投影仪&lt;和话筒&gt;</textarea>" in field_block(html, "note")
    assert "invalid-feedback" not in field_block(html, "address")
    assert re.search(r'<option selected value="17">|<option value="17" selected', field_block(html, "district_id"))
    assert order_count(db) == 0


def test_oversized_fields_rerender_with_messages(login_as, db):
    client = login_as("requester")
    service = service_named(SERVICE)
    url, hidden = form_page(client, service)
    long_note = "很" * 501
    response = client.post(url, data=valid_form(service, hidden, address="路" * 201, note=long_note,
                                                 audience_size="100000"))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "200" in error_beside(html, "address")
    assert "500" in error_beside(html, "note")
    error_beside(html, "audience_size")
    assert long_note + "</textarea>" in field_block(html, "note")
    assert 'value="北京亦庄智造科技有限公司"' in field_block(html, "unit")
    assert order_count(db) == 0


def test_a_date_before_the_minimum_notice_is_refused_beside_the_date(app, login_as, db):
    client = login_as("requester")
    service = service_named(SERVICE)
    earliest = earliest_service_date(service)
    too_soon = earliest - timedelta(days=1)
    url, hidden = form_page(client, service)
    response = client.post(url, data=valid_form(service, hidden, service_date=too_soon.isoformat()))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    expected = translated(
        app, "This service needs %(days)s days' notice: the earliest date is %(date)s.",
        days=service.min_notice_days, date=earliest.isoformat(),
    )
    assert error_beside(html, "service_date") == expected
    assert f'value="{too_soon.isoformat()}"' in field_block(html, "service_date")
    assert 'value="荣华中路10号A座3层"' in field_block(html, "address")
    assert order_count(db) == 0


def test_an_end_before_the_start_is_refused_beside_the_end(app, login_as, db):
    client = login_as("requester")
    service = service_named(SERVICE)
    url, hidden = form_page(client, service)
    response = client.post(url, data=valid_form(service, hidden, start_time="15:00", end_time="14:00"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "end_time") == translated(app, "The end must be after the start.")
    assert order_count(db) == 0


def test_posting_the_same_form_twice_creates_one_order(login_as, db):
    client = login_as("requester")
    service = service_named(SERVICE)
    url, hidden = form_page(client, service)
    form = valid_form(service, hidden)
    first = client.post(url, data=form)
    second = client.post(url, data=form)

    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert re.fullmatch(r"/my/orders/\d+", first.location)
    assert order_count(db) == 1
    # A fresh form is a fresh order (the same slot again asks first: see below).
    url, hidden = form_page(client, service)
    third = client.post(url, data=valid_form(service, hidden, start_time="14:00", end_time="15:30"))
    assert third.status_code == 303 and third.location != first.location
    assert order_count(db) == 2


# --- access -------------------------------------------------------------------------------


def test_a_requester_opening_another_requesters_order_gets_404(login_as, make_order, db):
    theirs = make_order("completed", requester="volunteer2")
    client = login_as("requester")
    assert client.get(f"/my/orders/{theirs.id}").status_code == 404
    token = csrf_token(client, "/my/orders")
    assert client.post(f"/my/orders/{theirs.id}/cancel",
                       data={"csrf_token": token, "reason_code": "other"}).status_code == 404
    assert client.post(f"/my/orders/{theirs.id}/rate", data={"csrf_token": token, "stars": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, theirs.id).state == "completed"
    # The owner does see it.
    assert login_as("volunteer2").get(f"/my/orders/{theirs.id}").status_code == 200


def test_a_volunteer_cannot_accept_a_job_not_offered_to_them(login_as, make_order, users, db):
    order = make_order("dispatched")  # offered to 李华 (users["volunteer"])
    job = order.assignments[0]
    assert job.volunteer_id == users["volunteer"].id
    other = login_as("volunteer3")
    token = csrf_token(other, "/jobs/")
    assert other.get(f"/jobs/{job.id}").status_code == 404
    for action in ("accept", "check-in"):
        assert other.post(f"/jobs/{job.id}/{action}", data={"csrf_token": token}).status_code == 404
    assert other.post(f"/jobs/{job.id}/decline", data={"csrf_token": token, "reason_code": "other"}).status_code == 404
    assert f"/jobs/{job.id}" not in other.get("/jobs/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, job.id).state == "offered"


@pytest.mark.parametrize("path", [
    "/my/orders", "/my/orders/new/1", "/my/orders/1", "/jobs/", "/jobs/1", "/dispatch/", "/notifications/",
])
def test_anonymous_is_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert "next=" in response.location


# --- every broken rule at once; the same order again; the number's day -----------------------


def test_every_broken_rule_is_shown_at_once_beside_its_field(app, login_as, db):
    service = service_named(SERVICE)
    client = login_as("requester")
    url, hidden = form_page(client, service)
    too_early = (earliest_service_date(service) - timedelta(days=1)).isoformat()
    form = valid_form(service, hidden, service_date=too_early, start_time="11:00", end_time="10:00",
                      audience_size=str(service.audience_limit + 1), address="")
    response = client.post(url, data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("service_date", "end_time", "audience_size", "address"):
        error_beside(html, name)  # all four in the same answer, not one round each
    assert "请带投影仪" in html and 'value="11:00"' in html  # what was typed is kept
    assert order_count(db) == 0


def test_the_same_order_again_soon_asks_before_placing_a_second(app, login_as, db):
    service = service_named(SERVICE)
    client = login_as("requester")
    url, hidden = form_page(client, service)
    assert client.post(url, data=valid_form(service, hidden)).status_code == 303
    url, hidden = form_page(client, service)  # back to the form: a new form, the same order
    asked = client.post(url, data=valid_form(service, hidden))
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-testid="duplicate"' in html
    assert order_count(db) == 1
    again = client.post(url, data=valid_form(service, hidden, again="y"))
    assert again.status_code == 303 and order_count(db) == 2
    other_hours = client.post(url, data=valid_form(service, form_page(client, service)[1], start_time="14:00",
                                                   end_time="15:30"))
    assert other_hours.status_code == 303 and order_count(db) == 3  # another slot is not a duplicate


def test_the_order_number_carries_the_day_in_beijing(make_order, db):
    from datetime import UTC, datetime

    order = make_order()
    order.submitted_at = datetime(2026, 12, 2, 16, 41, tzinfo=UTC)  # 00:41 on 3 December in Beijing
    assert order.number == f"261203{order.id:05d}"
