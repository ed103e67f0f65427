"""The back office's home, settings page and audit log, over HTTP as the administrator."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from app.models import Assignment
from app.models.base import utcnow
from app.services.settings import DEFAULTS, current_settings
from tests.conftest import csrf_token

# The settings form as the defaults fill it (a switch that is off is not sent).
SETTINGS_FORM = {key: str(value) for key, value in asdict(DEFAULTS).items() if not isinstance(value, bool)}


def _save(client, **changes):
    token = csrf_token(client, "/admin/settings")
    return client.post("/admin/settings", data={**SETTINGS_FORM, **changes, "csrf_token": token})


def test_only_the_admin_role_opens_the_back_office(login_as, client):
    assert client.get("/admin/").status_code == 302  # anonymous: to the login page
    for role in ("requester", "volunteer", "coordinator"):
        assert login_as(role).get("/admin/settings").status_code == 403, role
    page = login_as("admin").get("/admin/")
    assert page.status_code == 200
    assert 'data-testid="waiting-counts"' in page.get_data(as_text=True)


def test_home_counts_what_waits(login_as, make_order):
    make_order("submitted")
    make_order("submitted")
    body = login_as("admin").get("/admin/").get_data(as_text=True)
    tile = body.split('data-testid="count-to_dispatch"', 1)[1].split("</div>\n  </div>", 1)[0]
    assert ">2</a>" in tile


def test_a_settings_edit_changes_the_offer_deadline_and_is_in_the_history(db, users, login_as, make_order):
    admin = login_as("admin")
    response = _save(admin, offer_deadline_hours="2", issuer_head="王主任", issuer_phone="010-6788 1234",
                     requester_approval="y")
    assert response.status_code == 303
    settings = current_settings()
    assert (settings.offer_deadline_hours, settings.issuer_head, settings.requester_approval) == (2, "王主任", True)
    page = admin.get("/admin/settings").get_data(as_text=True)
    history = page.split('data-testid="settings-history"', 1)[1]
    assert "接单时限（小时）" in history and "24" in history and "王主任" in history
    assert "王主任" in admin.get("/admin/audit?action=setting.change").get_data(as_text=True)
    # the coordinator's next dispatch stamps the new deadline
    order = make_order("submitted")
    coordinator = login_as("coordinator")
    token = csrf_token(coordinator, f"/dispatch/orders/{order.id}")
    coordinator.post(f"/dispatch/orders/{order.id}/dispatch",
                     data={"csrf_token": token, "volunteer_ids": [users["volunteer"].id]})
    db.session.expire_all()
    offer = db.session.query(Assignment).filter_by(order_id=order.id).one()
    assert utcnow() + timedelta(hours=1, minutes=55) < offer.expires_at <= utcnow() + timedelta(hours=2)


def test_bad_settings_come_back_with_what_was_typed_and_a_message_beside_the_field(login_as):
    admin = login_as("admin")
    response = _save(admin, offer_deadline_hours="0", dispatch_deadline_hours="abc", center_name="",
                     issuer_phone="call me", issuer_handler="李经办")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for name in ("offer_deadline_hours", "dispatch_deadline_hours", "center_name", "issuer_phone"):
        assert f'data-testid="error-{name}"' in body, name
    assert 'value="李经办"' in body and 'value="call me"' in body
    assert current_settings().offer_deadline_hours == 24


def test_saving_unchanged_settings_writes_nothing(login_as):
    admin = login_as("admin")
    assert _save(admin).status_code == 303
    assert 'data-testid="audit-row"' not in admin.get("/admin/audit").get_data(as_text=True)


def test_the_audit_log_filters_and_cannot_be_changed(app, login_as):
    admin = login_as("admin")
    _save(admin, auto_confirm_days="10")
    log = admin.get("/admin/audit?target_type=setting").get_data(as_text=True)
    assert log.count('data-testid="audit-row"') == 1 and "自动确认天数" in log
    assert 'data-testid="audit-row"' not in admin.get("/admin/audit?action=user.roles").get_data(as_text=True)
    assert admin.get("/admin/audit?date_from=not-a-date").status_code == 200
    writes = [r for r in app.url_map.iter_rules() if r.endpoint == "admin.audit"]
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in writes)
