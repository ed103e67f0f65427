"""代下单: the desk orders for someone without an account, with their consent; the order is theirs (a guest
account, or theirs if the phone has one), says who placed it, and a text carries the signed link to a
page where they follow it, see the check-in code and rate it."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from app import workflow
from app.extensions import db as _db
from app.extensions import limiter
from app.models import Order, OutboxMessage, Service, User
from app.services import checkin_codes, proxy_orders
from app.services import orders as order_service
from tests.conftest import csrf_token, service_named


def _form(service_id: int, **overrides) -> dict:
    day = order_service.earliest_service_date(_db.session.get(Service, service_id))
    return {"service_id": str(service_id), "contact_name": "王大爷", "contact_phone": "13955550001",
            "unit": "亦庄社区", "service_date": (day + timedelta(days=1)).isoformat(), "start_time": "09:00",
            "end_time": "10:30", "district_id": "1", "address": "荣华中路10号", "audience_size": "20",
            "consent": "y", "form_token": "proxy-form-token-0001", **overrides}


def _post(client, data: dict):
    return client.post("/dispatch/proxy", data={**data, "csrf_token": csrf_token(client, "/dispatch/proxy")})


def test_the_desk_orders_for_a_person_without_an_account_who_follows_it_by_link(app, db, users, login_as):
    limiter.reset()
    service = service_named("交通安全法规宣讲")
    desk = login_as("coordinator")
    no_consent = _post(desk, {**_form(service.id), "consent": ""})
    assert no_consent.status_code == 422 and 'data-testid="error-consent"' in no_consent.get_data(as_text=True)
    assert "王大爷" in no_consent.get_data(as_text=True)
    assert _post(desk, _form(service.id)).status_code == 303
    order = _db.session.scalars(select(Order)).one()
    person = _db.session.get(User, order.requester_id)
    assert person.is_guest and person.phone == "13955550001" and person.has_role("requester")
    assert order.placed_by_id == users["coordinator"].id
    text = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.key == f"proxy:{order.id}")).one()
    assert text.to == "13955550001" and "/o/" in text.text
    link = "/o/" + text.text.split("/o/")[1]
    assert 'data-testid="placed-by"' in desk.get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    phone = app.test_client()
    page = phone.get(link).get_data(as_text=True)
    assert order.number in page and 'data-testid="order-state"' in page
    assert phone.get(link[:-2] + "zz").status_code == 404
    with app.test_request_context():
        other = proxy_orders.token_for(order)
    assert other == link.rsplit("/", 1)[1]


def test_the_person_sees_the_code_and_rates_from_the_link(app, db, users, make_order):
    limiter.reset()
    order = make_order("completed")
    with app.test_request_context():
        link = f"/o/{proxy_orders.token_for(order)}"
        code = checkin_codes.code_for(order)
    phone = app.test_client()
    with freeze_time(order.starts_at - timedelta(minutes=10)):
        assert code in phone.get(link).get_data(as_text=True)
    page = phone.get(link).get_data(as_text=True)
    assert 'data-testid="rate"' in page
    token = csrf_token(phone, link)
    assert phone.post(f"{link}/rate", data={"csrf_token": token, "stars": "5", "comment": "很好"}).status_code == 303
    _db.session.refresh(order)
    assert order.state == "rated" and order.rating.stars == 5
    assert phone.post(f"{link}/rate", data={"csrf_token": token, "stars": "4"}).status_code == 409


def test_a_phone_with_an_account_gets_the_order_in_that_account(db, users, login_as):
    limiter.reset()
    service = service_named("交通安全法规宣讲")
    desk = login_as("coordinator")
    assert _post(desk, _form(service.id, contact_phone=users["requester"].phone)).status_code == 303
    order = _db.session.scalars(select(Order)).one()
    assert order.requester_id == users["requester"].id
    assert not _db.session.get(User, users["requester"].id).is_guest


def test_the_later_texts_carry_the_persons_link_when_the_public_address_is_set(app, db, users, login_as):
    limiter.reset()
    service = service_named("交通安全法规宣讲")
    assert _post(login_as("coordinator"), _form(service.id)).status_code == 303
    order = _db.session.scalars(select(Order)).one()
    app.config["PUBLIC_URL"], before = "https://zyfw.example.cn/", app.config["PUBLIC_URL"]
    try:
        offer = order_service.dispatch_order(order, [users["volunteer"]], users["coordinator"])[0]
        workflow.apply(offer, "accept", users["volunteer"])  # the place is filled: the person is told by text
        _db.session.commit()
        with app.app_context():
            link = proxy_orders.public_link(order)
    finally:
        app.config["PUBLIC_URL"] = before
    texts = _db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.to == "13955550001",
                                                                 OutboxMessage.key != f"proxy:{order.id}")).all()
    assert link.startswith("https://zyfw.example.cn/o/") and texts and all(t.endswith(link) for t in texts)
    to_volunteer = _db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.to == users["volunteer"].phone))
    assert all("/o/" not in t for t in to_volunteer)  # only the person's own texts carry their link
