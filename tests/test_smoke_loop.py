"""The whole loop through HTTP, with CSRF on, as three people."""

from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time

from app.models import Order
from app.services import checkin_codes
from tests.conftest import csrf_token, order_request, service_named


def test_order_dispatch_accept_complete_rate(db, login_as, users):
    requester, coordinator, volunteer = login_as("requester"), login_as("coordinator"), login_as("volunteer")
    service = service_named("交通安全法规宣讲")
    req = order_request(service)
    page = requester.get(f"/my/orders/new/{service.id}").get_data(as_text=True)
    token = re.search(r'id="form_token" name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": csrf_token(requester, f"/my/orders/new/{service.id}"),
        "form_token": token,
        "service_date": req.service_date.isoformat(),
        "start_time": "09:00", "end_time": "10:30", "district_id": "17",
        "address": req.address, "unit": req.unit, "contact_name": "张明",
        "contact_phone": "13800000001", "audience_size": "50", "note": "",
    }
    first = requester.post(f"/my/orders/new/{service.id}", data=form)
    second = requester.post(f"/my/orders/new/{service.id}", data=form)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    order_id = int(first.location.rsplit("/", 1)[1])

    token = csrf_token(coordinator, f"/dispatch/orders/{order_id}")
    assert coordinator.post(f"/dispatch/orders/{order_id}/dispatch-top", data={"csrf_token": token}).status_code == 303

    jobs = volunteer.get("/jobs/").get_data(as_text=True)
    job_id = int(re.search(r"/jobs/(\d+)/accept", jobs).group(1))
    job_page = volunteer.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "138****0001" in job_page and "13800000001" not in job_page
    token = csrf_token(volunteer, f"/jobs/{job_id}")
    assert volunteer.post(f"/jobs/{job_id}/accept", data={"csrf_token": token}).status_code == 303
    assert "13800000001" in volunteer.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert volunteer.post(f"/jobs/{job_id}/accept", data={"csrf_token": token}).status_code == 409
    # Days before the service: no check-in yet.
    assert volunteer.post(f"/jobs/{job_id}/check-in", data={"csrf_token": token}).status_code == 409
    order = db.session.get(Order, order_id)
    with freeze_time(order.starts_at - timedelta(minutes=10)):  # on site, ten minutes early
        on_site = login_as("volunteer")
        token = csrf_token(on_site, f"/jobs/{job_id}")
        wrong = on_site.post(f"/jobs/{job_id}/check-in", data={"csrf_token": token, "code": "000000"})
        assert wrong.status_code == 422 and 'data-testid="error-code"' in wrong.get_data(as_text=True)
        code = checkin_codes.code_for(order)
        assert code in login_as("requester").get(f"/my/orders/{order_id}").get_data(as_text=True)
        assert on_site.post(f"/jobs/{job_id}/check-in", data={"csrf_token": token, "code": code}).status_code == 303
    with freeze_time(order.ends_at + timedelta(minutes=40)):  # 1.5 h window + 30 min counted: 2 h at most
        on_site = login_as("volunteer")
        token = csrf_token(on_site, f"/jobs/{job_id}")
        report = {"csrf_token": token, "hours": "2.5", "summary": "顺利"}
        too_many = on_site.post(f"/jobs/{job_id}/complete", data=report)
        assert too_many.status_code == 422
        body = too_many.get_data(as_text=True)
        assert "is-invalid" in body and 'value="2.5"' in body and "顺利" in body  # kept, with the reason beside it
        done = on_site.post(f"/jobs/{job_id}/complete", data={"csrf_token": token, "hours": "2", "summary": "顺利"})
        assert done.status_code == 303
    rated = requester.post(f"/my/orders/{order_id}/rate", data={"csrf_token": token_for(requester, order_id),
                                                                "stars": "5", "comment": "很好"})
    assert rated.status_code == 303
    page = requester.get(f"/my/orders/{order_id}").get_data(as_text=True)
    for words in ("订单已提交", "已派单", "志愿者已接单", "志愿者已签到", "服务已完成", "已评价"):
        assert words in page, words


def token_for(client, order_id: int) -> str:
    return csrf_token(client, f"/my/orders/{order_id}")
