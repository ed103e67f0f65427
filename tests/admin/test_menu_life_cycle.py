"""The menu's life cycle: draft invisible, published visible, retired hidden while its past orders still show."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.models import ServiceStatus
from app.services.audit import decoded, entries_for
from app.services.errors import ValidationFailed
from app.services.menu import published_menu
from app.services.menu_admin import open_order_count, set_status
from app.services.reference import forget
from tests.conftest import service_named

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
