"""The dispatch console in a real browser, at a desk (1366×768, zh-CN).

The coordinator filters the queue, opens an order and dispatches it to the
top suggestion; the volunteer then finds the offer among their notifications.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from app.seed import DEMO_PASSWORD
from app.services import orders as order_service
from tests.conftest import order_request, service_named

pytestmark = pytest.mark.e2e

DESK = {"width": 1366, "height": 768}


def log_in(page: Page, live_url: str, phone: str) -> None:
    page.goto(f"{live_url}/login")
    page.locator("#phone").fill(phone)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def fits_the_screen(page: Page) -> None:
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_coordinator_filters_opens_and_dispatches_to_the_top(page: Page, browser, browser_context_args,
                                                             live_url, db, users):
    for service, unit in (("交通安全法规宣讲", "星河电子有限公司"), ("插花艺术体验", "经开区工会"),
                          ("生物多样性科普", "亦庄第二小学")):
        svc = service_named(service)
        day = date.today() + timedelta(days=svc.min_notice_days + 3)
        order_service.place_order(users["requester"], order_request(svc, service_date=day, unit=unit))
    db.session.commit()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.set_viewport_size(DESK)
    log_in(page, live_url, users["coordinator"].phone)
    page.goto(f"{live_url}/dispatch/")
    fits_the_screen(page)
    expect(page.get_by_test_id("order-link")).to_have_count(3)

    page.locator("#q").fill("星河")
    page.get_by_test_id("filter").click()
    fits_the_screen(page)
    links = page.get_by_test_id("order-link")
    expect(links).to_have_count(1)
    expect(page.locator("#q")).to_have_value("星河")  # the filter stays put
    number = links.first.inner_text()

    links.first.click()
    fits_the_screen(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("交通安全法规宣讲")
    top = page.get_by_test_id("candidate").first
    top_name = top.locator("label").inner_text()
    assert top_name == "李华"  # delivers exactly this service, in this district
    expect(page.get_by_test_id("dispatch-top")).to_be_in_viewport()
    page.get_by_test_id("dispatch-top").click()
    fits_the_screen(page)
    expect(page.get_by_test_id("slots")).to_contain_text(top_name)
    expect(page.locator('[data-testid="slot"][data-state="offered"]')).to_have_count(1)

    # The order is fully offered now: it left the queue.
    page.get_by_test_id("back-to-queue").click()
    expect(page.get_by_test_id("order-link")).to_have_count(2)
    assert errors == []

    volunteer = browser.new_context(**browser_context_args).new_page()
    log_in(volunteer, live_url, users["volunteer"].phone)
    volunteer.goto(f"{live_url}/notifications/")
    expect(volunteer.get_by_test_id("notifications")).to_contain_text(number)
    expect(volunteer.get_by_test_id("unread-badge")).to_have_text("1")
    volunteer.context.close()
