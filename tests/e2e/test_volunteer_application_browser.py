"""A new volunteer in a real browser: apply on a phone, approved at the desk, suggested by the grid.

A new user applies at 375 px for 交通安全法规宣讲, free on the order's weekday
mornings only; the administrator approves them; the coordinator sees them
suggested for the order, "该时段通常有空" while the order is in the morning
and not once it moves to the afternoon.
"""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from app.models import Order
from app.services import matching
from app.services import orders as order_service
from tests.conftest import make_user, order_request, service_named
from tests.e2e.test_accessibility_browser import visit  # noqa: F401 (the fixture)
from tests.e2e.test_dispatch_browser import DESK, fits_the_screen, log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
FREE = "该时段通常有空"


def test_apply_approve_and_be_suggested_inside_the_grid(page: Page, browser, browser_context_args, live_url,
                                                        db, users):
    traffic = service_named("交通安全法规宣讲")
    order = order_service.place_order(users["requester"], order_request(traffic))  # 09:00-11:00
    newcomer = make_user("13966660001", "周新", ["requester"])
    db.session.commit()
    day = order.starts_at.astimezone(matching.BEIJING).date()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. The newcomer applies on a phone.
    page.set_viewport_size(PHONE)
    log_in(page, live_url, newcomer.phone)
    page.goto(f"{live_url}/jobs/apply")
    fits_the_screen(page)
    page.locator("#real_name").fill("周新")
    page.locator("#id_type").select_option("resident_id")
    page.locator("#id_number").fill("110105194912310021")  # a wrong check digit first
    page.get_by_test_id("services").get_by_label("交通安全法规宣讲").check()
    page.get_by_test_id(f"slot-{day.weekday()}-0").check()
    page.get_by_test_id("send-application").click()
    expect(page.get_by_test_id("error-id_number")).to_be_visible()
    expect(page.locator("#real_name")).to_have_value("周新")  # what was typed stays
    fits_the_screen(page)
    page.locator("#id_number").fill("11010519491231002X")
    page.get_by_test_id("send-application").click()
    expect(page.get_by_test_id("application-pending")).to_be_visible()
    expect(page.get_by_test_id("masked-id")).to_have_text("1101**********002X")
    fits_the_screen(page)

    # 2. The administrator approves at the desk.
    admin = browser.new_context(**browser_context_args).new_page()
    admin.set_viewport_size(DESK)
    log_in(admin, live_url, users["admin"].phone)
    admin.goto(f"{live_url}/admin/volunteers")
    admin.get_by_test_id("volunteer-list").get_by_role("link", name="周新").click()
    expect(admin.get_by_test_id("masked-id")).to_have_text("1101**********002X")
    admin.get_by_test_id("approve-volunteer").click()
    expect(admin.get_by_test_id("volunteer-state")).to_have_text("已通过")
    expect(admin.get_by_test_id("volunteer-number")).to_have_text(re.compile(rf"^YZ{datetime.now().year}\d{{5}}$"))
    fits_the_screen(admin)

    # 3. The coordinator sees them suggested, free only inside the grid.
    coordinator = browser.new_context(**browser_context_args).new_page()
    coordinator.set_viewport_size(DESK)
    log_in(coordinator, live_url, users["coordinator"].phone)
    coordinator.goto(f"{live_url}/dispatch/orders/{order.id}")
    row = coordinator.locator(f'[data-testid="candidate"][data-volunteer="{newcomer.id}"]')
    expect(row).to_contain_text("周新")
    expect(row).to_contain_text(FREE)
    expect(row.locator("input[type=checkbox]")).to_be_visible()  # eligible: it can be picked

    afternoon = {k: datetime.combine(day, t, matching.BEIJING) for k, t in (("starts_at", time(14)),
                                                                          ("ends_at", time(15, 30)))}
    db.session.execute(update(Order).where(Order.id == order.id).values(**afternoon))
    db.session.commit()
    coordinator.reload()
    expect(row).to_contain_text("周新")
    expect(row).not_to_contain_text(FREE)

    # 4. The newcomer is told.
    page.goto(f"{live_url}/notifications/")
    expect(page.get_by_test_id("notifications")).to_contain_text("您的志愿者申请已通过")
    fits_the_screen(page)
    assert errors == []


def test_the_volunteer_pages_have_no_serious_or_critical_violations(visit, db, users):  # noqa: F811
    """The application and the profile, on a phone (the grid is a table of checkboxes, each labelled)."""
    found = visit(users["requester"].phone, ["/jobs/apply"], PHONE)
    found += visit(users["volunteer"].phone, ["/jobs/profile"], PHONE)
    assert not found, "\n".join(found)
