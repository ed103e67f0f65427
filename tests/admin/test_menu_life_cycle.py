"""The menu's life cycle: draft invisible, published visible, retired hidden while its past orders still show."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.models import OrderEvent, ServiceStatus
from app.models.orders import order_number
from app.services.audit import decoded, entries_for
from app.services.errors import ValidationFailed
from app.services.menu import published_menu
from app.services.menu_admin import (
    CANCEL_OPEN_ORDERS,
    KEEP_OPEN_ORDERS,
    RETIRED_REASON,
    open_order_count,
    set_status,
)
from app.services.reference import forget
from tests.conftest import csrf_token, service_named

NAME = "交通安全法规宣讲"


def _on_menu(name: str) -> bool:
    return any(s["name"] == name for c in published_menu() for s in c["services"])


def test_draft_invisible_published_visible_retired_hidden(db, client, users):
    service = service_named(NAME)
    assert _on_menu(NAME)  # now kept in the cache
    db.session.execute(update(type(service)).where(type(service).id == service.id)
                       .values(status=ServiceStatus.DRAFT.value))
    db.session.commit()
    forget()  # a change made around the ORM
    assert not _on_menu(NAME)
    assert client.get(f"/services/{service.id}").status_code == 404

    set_status(users["admin"], service, ServiceStatus.PUBLISHED.value)
    db.session.commit()
    assert _on_menu(NAME)  # the commit deleted the kept menu
    assert client.get(f"/services/{service.id}").status_code == 200

    set_status(users["admin"], service, ServiceStatus.RETIRED.value)
    db.session.commit()
    assert not _on_menu(NAME)
    assert {(e.action, e.actor_id, decoded(e.before)["status"], decoded(e.after)["status"])
            for e in entries_for("service")} == {
        ("service.published", users["admin"].id, "draft", "published"),
        ("service.retired", users["admin"].id, "published", "retired"),
    }


def test_retiring_with_open_orders_is_refused_naming_the_count(db, users, make_order):
    order = make_order("dispatched")
    make_order("submitted")
    service = order.service
    assert open_order_count(service) == 2
    with pytest.raises(ValidationFailed) as refused:
        set_status(users["admin"], service, ServiceStatus.RETIRED.value)
    assert "2" in str(refused.value)
    assert service.status == ServiceStatus.PUBLISHED.value
    assert order.state == "dispatched"  # no order changed state


def test_a_retired_service_keeps_its_past_orders(db, users, make_order, login_as):
    order = make_order("cancelled")
    db.session.commit()
    service = order.service
    set_status(users["admin"], service, ServiceStatus.RETIRED.value)
    db.session.commit()
    assert not _on_menu(service.name)
    page = login_as("requester").get(f"/my/orders/{order.id}")
    assert page.status_code == 200
    assert service.name in page.get_data(as_text=True)


def test_a_move_the_life_cycle_does_not_know_is_refused(db, users):
    service = service_named(NAME)
    with pytest.raises(ValidationFailed):
        set_status(users["admin"], service, ServiceStatus.DRAFT.value)


# --- retiring a service that still has open orders ------------------------------------------------


def test_retiring_and_keeping_the_open_orders_changes_no_order(db, users, make_order):
    orders = [make_order("submitted"), make_order("accepted")]
    service = orders[0].service
    set_status(users["admin"], service, ServiceStatus.RETIRED.value, KEEP_OPEN_ORDERS)
    db.session.commit()
    assert service.status == ServiceStatus.RETIRED.value
    assert [o.state for o in orders] == ["submitted", "accepted"]
    assert "orders_cancelled" not in decoded(entries_for("service")[0].after)


def test_retiring_and_cancelling_goes_through_the_workflow_and_spares_the_order_under_way(db, users, make_order):
    waiting, offered, booked, under_way = (make_order(s) for s in ("submitted", "dispatched", "accepted",
                                                                   "in_service"))
    service = waiting.service
    set_status(users["admin"], service, ServiceStatus.RETIRED.value, CANCEL_OPEN_ORDERS, note="菜单调整")
    db.session.commit()
    assert [o.state for o in (waiting, offered, booked)] == ["cancelled"] * 3
    assert under_way.state == "in_service"
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.action == "cancel")).all()
    assert {(e.order_id, e.actor_id, e.reason_code, e.note) for e in events} == {
        (o.id, users["admin"].id, RETIRED_REASON, "菜单调整") for o in (waiting, offered, booked)}
    assert decoded(entries_for("service")[0].after) == {"status": "retired", "orders_cancelled": 3}


def test_retiring_asks_first_and_the_form_keeps_what_was_typed(db, users, make_order, login_as):
    order = make_order("submitted")
    service = order.service
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/menu")
    asked = admin.post(f"/admin/menu/services/{service.id}/retired", data={"csrf_token": token})
    assert asked.status_code == 303
    assert asked.headers["Location"].endswith(f"/admin/menu/services/{service.id}/retire")
    page = admin.get(f"/admin/menu/services/{service.id}/retire")
    assert order_number(order.submitted_at, order.id) in page.get_data(as_text=True)

    unanswered = admin.post(f"/admin/menu/services/{service.id}/retire",
                            data={"csrf_token": token, "note": "下月恢复"})
    assert unanswered.status_code == 422
    html = unanswered.get_data(as_text=True)
    assert 'data-testid="error-open_orders"' in html and "下月恢复" in html
    db.session.expire_all()
    assert service.status == ServiceStatus.PUBLISHED.value

    done = admin.post(f"/admin/menu/services/{service.id}/retire",
                      data={"csrf_token": token, "open_orders": CANCEL_OPEN_ORDERS, "note": "下月恢复"})
    assert done.status_code == 303
    db.session.expire_all()
    assert (service.status, order.state) == (ServiceStatus.RETIRED.value, "cancelled")
    again = admin.post(f"/admin/menu/services/{service.id}/retire",
                       data={"csrf_token": token, "open_orders": KEEP_OPEN_ORDERS})
    assert again.status_code == 409 and 'data-testid="not-retirable"' in again.get_data(as_text=True)
