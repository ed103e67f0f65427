"""A new service, from the back office to a suggestion, in a real browser.

The administrator creates a service with its rules (3 days' notice, 60–120 minutes between 08:00
and 18:00, a crew of 2) and publishes it; a requester on a phone finds it on the menu, is refused
a window outside the rules with the reason beside the field, and orders within them; a new user
applies to deliver it, the administrator approves them, and the coordinator sees them suggested.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.models import Order, Service
from app.services import matching
from tests.conftest import make_user
from tests.e2e.test_dispatch_browser import DESK, fits_the_screen, log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
NAME = "老年人防诈骗讲座"


def _new_page(browser, browser_context_args, viewport: dict) -> Page:
    page = browser.new_context(**browser_context_args).new_page()
    page.set_viewport_size(viewport)
    return page


def test_a_service_made_in_the_back_office_is_ordered_within_its_rules_and_delivered(
        page: Page, browser, browser_context_args, live_url, db, users):
    newcomer = make_user("13966660002", "吴新", ["requester"])
    db.session.commit()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. The administrator creates the service with its rules, then publishes it.
    page.set_viewport_size(DESK)
    log_in(page, live_url, users["admin"].phone)
    page.goto(f"{live_url}/admin/menu")
    page.get_by_test_id("new-service").click()
    page.locator("#category_id").select_option(label="文明实践宣讲")
    page.locator("#name").fill(NAME)
    page.locator("#summary").fill("识别电信诈骗的常见手法")
    page.locator("#min_notice_days").fill("3")
    page.locator("#default_volunteers").fill("2")
    page.locator("#duration_minutes").fill("90")
    page.locator("#min_duration_minutes").fill("120")  # mistyped: longer than the longest
    page.locator("#max_duration_minutes").fill("60")
    page.locator("#earliest_start").fill("08:00")
    page.locator("#latest_end").fill("18:00")
    page.get_by_test_id("save-service").click()
    expect(page.get_by_test_id("error-max_duration_minutes")).to_be_visible()
    expect(page.locator("#summary")).to_have_value("识别电信诈骗的常见手法")  # what was typed stays
    page.locator("#min_duration_minutes").fill("60")
    page.locator("#max_duration_minutes").fill("120")
    page.get_by_test_id("save-service").click()
    expect(page.get_by_role("alert")).to_contain_text("草稿")
    fits_the_screen(page)
    service = db.session.scalars(select(Service).where(Service.name == NAME)).one()
    page.goto(f"{live_url}/admin/menu")
    page.get_by_test_id(f"published-{service.id}").click()
    expect(page.locator(f"#service-{service.id}")).to_have_attribute("data-status", "published")

    # 2. A requester on a phone orders it: a window outside the rules is refused, beside the field.
    requester = _new_page(browser, browser_context_args, PHONE)
    log_in(requester, live_url, users["requester"].phone)
    requester.goto(f"{live_url}/")
    requester.get_by_role("link", name=NAME).first.click()
    requester.get_by_role("link", name="我要点单").first.click()
    day = date.today() + timedelta(days=7)
    requester.locator("#service_date").fill(day.isoformat())
    requester.locator("#start_time").fill("07:00")
    requester.locator("#end_time").fill("07:30")
    requester.locator("#audience_size").fill("30")
    requester.locator("#address").fill("荣华中路10号A座3层会议室")
    requester.get_by_test_id("submit-order").click()
    expect(requester.get_by_test_id("error-start_time")).to_contain_text("08:00")
    expect(requester.get_by_test_id("error-end_time")).to_contain_text("60")
    fits_the_screen(requester)
    requester.locator("#start_time").fill("09:00")
    requester.locator("#end_time").fill("10:30")
    requester.get_by_test_id("submit-order").click()
    expect(requester.get_by_test_id("order-state")).to_be_visible()
    order = db.session.scalars(select(Order).where(Order.service_id == service.id)).one()
    assert order.needed == 2

    # 3. A new user applies to deliver it; the administrator approves them.
    applicant = _new_page(browser, browser_context_args, PHONE)
    log_in(applicant, live_url, newcomer.phone)
    applicant.goto(f"{live_url}/jobs/apply")
    applicant.locator("#real_name").fill("吴新")
    applicant.locator("#id_type").select_option("resident_id")
    applicant.locator("#id_number").fill("11010519491231002X")
    applicant.get_by_test_id("services").get_by_label(NAME).check()
    starts = order.starts_at.astimezone(matching.BEIJING)
    applicant.get_by_test_id(f"slot-{starts.weekday()}-0").check()  # free on that weekday's mornings
    applicant.get_by_test_id("send-application").click()
    expect(applicant.get_by_test_id("application-pending")).to_be_visible()
    page.goto(f"{live_url}/admin/volunteers")
    page.get_by_test_id("volunteer-list").get_by_role("link", name="吴新").click()
    page.get_by_test_id("approve-volunteer").click()
    expect(page.get_by_test_id("volunteer-state")).to_have_text("已通过")

    # 4. The coordinator sees them suggested for the order.
    coordinator = _new_page(browser, browser_context_args, DESK)
    log_in(coordinator, live_url, users["coordinator"].phone)
    coordinator.goto(f"{live_url}/dispatch/orders/{order.id}")
    row = coordinator.locator(f'[data-testid="candidate"][data-volunteer="{newcomer.id}"]')
    expect(row).to_contain_text("吴新")
    expect(row).to_contain_text("该时段通常有空")
    assert errors == []
