"""The settings service: typed defaults, stored changes with their history, read by the workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.models import AuditEntry, Order
from app.models.base import utcnow
from app.services import orders as order_service
from app.services.audit import decoded, entries_for
from app.services.errors import ValidationFailed
from app.services.settings import DEFAULTS, current_settings, update_settings


def test_defaults_until_the_center_changes_something(db):
    settings = current_settings()
    assert settings == DEFAULTS
    assert (settings.dispatch_deadline_hours, settings.offer_deadline_hours, settings.auto_confirm_days) == (24, 24, 7)
    assert settings.requester_approval is False


def test_a_change_is_stored_read_at_once_and_written_to_history(db, users):
    admin = users["admin"]
    assert current_settings().offer_deadline_hours == 24  # now kept in the cache
    changed = update_settings({"offer_deadline_hours": 6, "center_name": " 亦庄中心 ", "auto_confirm_days": 7}, admin)
    db.session.commit()
    assert sorted(changed) == ["center_name", "offer_deadline_hours"]  # auto-confirm days did not change
    settings = current_settings()
    assert (settings.offer_deadline_hours, settings.center_name) == (6, "亦庄中心")
    history = entries_for("setting")
    assert {(e.target_key, decoded(e.before), decoded(e.after), e.actor_id) for e in history} == {
        ("offer_deadline_hours", 24, 6, admin.id),
        ("center_name", DEFAULTS.center_name, "亦庄中心", admin.id),
    }


def test_a_value_out_of_bounds_changes_nothing(db, users):
    with pytest.raises(ValidationFailed) as err:
        update_settings({"center_name": "新名称", "offer_deadline_hours": 0}, users["admin"])
    assert err.value.field == "offer_deadline_hours"
    db.session.rollback()
    assert current_settings() == DEFAULTS
    assert db.session.scalar(select(AuditEntry.id)) is None
    with pytest.raises(KeyError):
        update_settings({"secret_key": "x"}, users["admin"])


def test_the_offer_deadline_in_force_is_stamped_on_new_offers(db, users, make_order):
    update_settings({"offer_deadline_hours": 3}, users["admin"])
    db.session.commit()
    order = make_order("submitted")
    before = utcnow()
    offer = order_service.dispatch_order(order, [users["volunteer"]], users["coordinator"])[0]
    db.session.commit()
    assert before + timedelta(hours=3) <= offer.expires_at <= utcnow() + timedelta(hours=3)


def test_the_sweep_flags_overdue_by_the_dispatch_deadline_in_force(app, db, users, make_order):
    order = make_order("submitted")
    db.session.execute(update(Order).where(Order.id == order.id).values(submitted_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "overdue=0" in runner.invoke(args=["orders", "sweep"]).output  # 3 hours < the default 24
    update_settings({"dispatch_deadline_hours": 2}, users["admin"])
    db.session.commit()
    assert "overdue=1" in runner.invoke(args=["orders", "sweep"]).output
