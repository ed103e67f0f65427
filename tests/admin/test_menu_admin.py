"""菜单管理: services with their delivery rules, categories, order and life cycle, from the browser's
forms; every step in the audit log; a stale edit refused; the public menu changes at once."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select, update

from app.extensions import db as _db
from app.models import AuditEntry, Category, District, Order, Service, Team
from app.services.menu import published_menu
from app.services.orders.ordering import rule_errors
from tests.conftest import csrf_token, service_named

SERVICE_FORM = {
    "category_id": "1", "name": "老年人防诈骗讲座", "summary": "识别电信诈骗的常见手法",
    "description": "面向社区老年人", "duration_minutes": "90", "min_duration_minutes": "60",
    "max_duration_minutes": "120", "earliest_start": "08:00", "latest_end": "18:00",
    "default_volunteers": "2", "min_notice_days": "3", "audience_limit": "80", "dispatch_mode": "dispatch",
}


def _post(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/admin/menu")})


def _on_menu(name: str) -> bool:
    return any(s["name"] == name for c in published_menu() for s in c["services"])


def _actions() -> list[str]:
    return list(_db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_new_service_is_a_draft_until_published_then_on_the_menu_with_its_rules(db, login_as):
    admin = login_as("admin")
    made = _post(admin, "/admin/menu/services/new", SERVICE_FORM)
    assert made.status_code == 303
    service = _db.session.scalars(select(Service).where(Service.name == SERVICE_FORM["name"])).one()
    assert (service.status, service.min_duration_minutes, service.max_duration_minutes) == ("draft", 60, 120)
    assert f"{service.earliest_start:%H:%M}-{service.latest_end:%H:%M}" == "08:00-18:00"
    assert not _on_menu(service.name)
    assert _post(admin, f"/admin/menu/services/{service.id}/published", {}).status_code == 303
    assert _on_menu(service.name)  # at once: the kept menu was forgotten with the commit
    page = login_as("requester").get(f"/my/orders/new/{service.id}").get_data(as_text=True)
    assert SERVICE_FORM["name"] in page
    assert _actions() == ["service.create", "service.published"]


def test_bad_input_comes_back_with_what_was_typed_and_every_message_beside_its_field(db, login_as):
    admin = login_as("admin")
    response = _post(admin, "/admin/menu/services/new", {
        **SERVICE_FORM, "name": "交通安全法规宣讲",  # taken
        "min_duration_minutes": "120", "max_duration_minutes": "60", "latest_end": "07:00",
        "summary": "我写的简介"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("name", "max_duration_minutes", "latest_end"):
        assert f'data-testid="error-{field}"' in page, field
    assert "我写的简介" in page and 'value="120"' in page
    assert _db.session.scalar(select(Service.id).where(Service.summary == "我写的简介")) is None
    assert _actions() == []


def test_an_edit_from_a_stale_page_is_refused_and_overwrites_nothing(db, login_as):
    service = service_named("交通安全法规宣讲")
    admin = login_as("admin")
    form = {**SERVICE_FORM, "name": service.name, "category_id": str(service.category_id),
            "version": str(service.version_id)}
    assert _post(admin, f"/admin/menu/services/{service.id}", {**form, "summary": "第一位管理员"}).status_code == 303
    stale = _post(admin, f"/admin/menu/services/{service.id}", {**form, "summary": "第二位管理员"})
    assert stale.status_code == 409
    assert "Reload" in stale.get_data(as_text=True) or "刷新" in stale.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Service, service.id).summary == "第一位管理员"
    entry = _db.session.scalars(select(AuditEntry).where(AuditEntry.action == "service.edit")).one()
    assert "第一位管理员" in entry.after and "summary" in entry.before


def test_a_service_with_open_orders_is_not_retired_and_one_without_is(db, login_as, make_order):
    order = make_order("submitted")
    admin = login_as("admin")
    refused = _post(admin, f"/admin/menu/services/{order.service_id}/retired", {})
    assert refused.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Service, order.service_id).status == "published"
    other = service_named("垃圾分类指导")
    assert _post(admin, f"/admin/menu/services/{other.id}/retired", {}).status_code == 303
    assert not _on_menu(other.name)


def test_services_and_categories_move_up_and_down_on_the_menu(db, login_as):
    admin = login_as("admin")
    first, second = _db.session.scalars(select(Category).order_by(Category.position, Category.id).limit(2))
    assert _post(admin, f"/admin/menu/categories/{second.id}/up", {}).status_code == 303
    assert [c["name"] for c in published_menu()][:2] == [second.name, first.name]
    services = sorted(first.services, key=lambda s: (s.position, s.id))
    _post(admin, f"/admin/menu/services/{services[0].id}/down", {})
    _db.session.expire_all()
    now = sorted(_db.session.get(Category, first.id).services, key=lambda s: (s.position, s.id))
    assert [s.id for s in now[:2]] == [services[1].id, services[0].id]
    assert _post(admin, f"/admin/menu/services/{now[0].id}/up", {}).status_code == 303  # at the top: nothing
    assert _actions() == ["category.move", "service.move"]


def test_a_category_is_added_and_renamed(db, login_as):
    admin = login_as("admin")
    assert _post(admin, "/admin/menu/categories/new", {"name": "法律援助", "icon": "award"}).status_code == 303
    category = _db.session.scalars(select(Category).where(Category.name == "法律援助")).one()
    taken = _post(admin, f"/admin/menu/categories/{category.id}", {"name": first_category_name(), "icon": "heart"})
    assert taken.status_code == 422 and 'data-testid="error-name"' in taken.get_data(as_text=True)
    renamed = _post(admin, f"/admin/menu/categories/{category.id}", {"name": "法律咨询", "icon": "heart"})
    assert renamed.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Category, category.id).name == "法律咨询"


def first_category_name() -> str:
    return _db.session.scalar(select(Category.name).order_by(Category.position).limit(1))


def test_the_menu_page_lists_every_service_with_its_status(db, login_as):
    _db.session.execute(update(Service).where(Service.name == "垃圾分类指导").values(status="retired"))
    _db.session.commit()
    page = login_as("admin").get("/admin/menu").get_data(as_text=True)
    assert page.count('data-testid="menu-service"') == _db.session.query(Service).count()
    assert 'data-status="retired"' in page
    assert login_as("coordinator").get("/admin/menu").status_code == 403


def test_delivery_by_teams_needs_a_team_that_covers_the_service_and_shows_on_its_page(db, login_as, users):
    service = service_named("交通安全法规宣讲")
    admin = login_as("admin")
    form = {**SERVICE_FORM, "name": service.name, "category_id": str(service.category_id),
            "version": str(service.version_id), "delivered_by": "teams"}
    refused = _post(admin, f"/admin/menu/services/{service.id}", form)
    assert refused.status_code == 422 and 'data-testid="error-delivered_by"' in refused.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Service, service.id).delivered_by == "listed"

    _db.session.add(Team(name="法规宣讲队", members=[users["volunteer"]], services=[service]))
    _db.session.commit()
    page = admin.get(f"/admin/menu/services/{service.id}").get_data(as_text=True)
    assert "法规宣讲队" in page
    assert _post(admin, f"/admin/menu/services/{service.id}", form).status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Service, service.id).delivered_by == "teams"
    shown = login_as("requester").get(f"/services/{service.id}").get_data(as_text=True)
    assert 'data-testid="delivered-by-teams"' in shown and "法规宣讲队" in shown
    entry = _db.session.scalars(select(AuditEntry).where(AuditEntry.action == "service.edit")).one()
    assert '"delivered_by": "teams"' in entry.after


def _district(code: str) -> District:
    return _db.session.scalars(select(District).where(District.code == code)).one()


def test_a_service_offered_in_named_districts_refuses_an_order_elsewhere_beside_the_field(db, login_as):
    bda, daxing, chaoyang = _district("bda"), _district("daxing"), _district("chaoyang")
    admin = login_as("admin")
    made = _post(admin, "/admin/menu/services/new", {**SERVICE_FORM, "district_ids": [str(bda.id), str(daxing.id)]})
    assert made.status_code == 303
    service = _db.session.scalars(select(Service).where(Service.name == SERVICE_FORM["name"])).one()
    assert [d.code for d in service.districts] == ["daxing", "bda"]  # in the center's order of districts
    assert _post(admin, f"/admin/menu/services/{service.id}/published", {}).status_code == 303
    assert "大兴区" in login_as("requester").get(f"/services/{service.id}").get_data(as_text=True)

    requester = login_as("requester")
    form_page = requester.get(f"/my/orders/new/{service.id}").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="(\d+)"', form_page.split('name="district_id"')[1].split("</select>")[0])
    assert offered == ["0", str(daxing.id), str(bda.id)]
    day = date.today() + timedelta(days=service.min_notice_days + 2)
    order = {"service_date": day.isoformat(), "start_time": "09:00", "end_time": "10:30",
             "district_id": str(chaoyang.id), "address": "朝阳路1号", "unit": "某单位", "contact_name": "张明",
             "contact_phone": "13800000001", "audience_size": "30", "form_token": "t" * 24}
    refused = requester.post(f"/my/orders/new/{service.id}",
                             data={**order, "csrf_token": csrf_token(requester, f"/my/orders/new/{service.id}")})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'data-testid="error-district_id"' in page and "朝阳路1号" in page
    assert rule_errors(service, district_id=chaoyang.id) and not rule_errors(service, district_id=bda.id)
    assert _db.session.scalar(select(Order.id).where(Order.service_id == service.id)) is None
