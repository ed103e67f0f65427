"""A new service, from the back office to a suggestion, in a real browser.

The administrator creates a service with its rules (3 days' notice, 60–120 minutes between 08:00
and 18:00, a crew of 2, offered in 经开区 and 大兴区, delivered by the volunteers who list it or its
category) and publishes it; a requester on a phone finds it on the menu, is offered those two
districts only, is refused a window outside the rules with the reason beside the field, and orders
within them; a new user applies to deliver it, free on that weekday's mornings only, and the
administrator approves them. 王主任 (administrator and coordinator) chooses to start on the dispatch
queue, signs out and in, lands there, and sees the newcomer suggested for the morning order, "free
at that time", and for an afternoon order of the same day, not.
"""

from __future__ import annotations

import re
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
DISTRICTS = ["大兴区", "经开区"]  # in the order the form lists districts
FREE = "该时段通常有空"


def _new_page(browser, browser_context_args, viewport: dict) -> Page:
    page = browser.new_context(**browser_context_args).new_page()
    page.set_viewport_size(viewport)
    return page


def _send_order(page: Page, day: date, starts: str, ends: str, address: str) -> None:
    page.locator("#service_date").fill(day.isoformat())
    page.locator("#start_time").fill(starts)
    page.locator("#end_time").fill(ends)
    page.locator("#audience_size").fill("30")
    page.locator("#address").fill(address)
    page.get_by_test_id("submit-order").click()


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
    districts = page.get_by_test_id("district_ids")
    for name in DISTRICTS:
        districts.get_by_label(name, exact=True).check()
    page.locator("#delivered_by").select_option(label="登记了该服务或其类别的志愿者")
    page.get_by_test_id("save-service").click()
    expect(page.get_by_test_id("error-max_duration_minutes")).to_be_visible()
    expect(page.locator("#summary")).to_have_value("识别电信诈骗的常见手法")  # what was typed stays
    for name in DISTRICTS:
        expect(districts.get_by_label(name, exact=True)).to_be_checked()
    expect(districts.locator("input:checked")).to_have_count(2)
    page.locator("#min_duration_minutes").fill("60")
    page.locator("#max_duration_minutes").fill("120")
    page.get_by_test_id("save-service").click()
    expect(page.get_by_role("alert")).to_contain_text("草稿")
    fits_the_screen(page)
    service = db.session.scalars(select(Service).where(Service.name == NAME)).one()
    assert sorted(d.name for d in service.districts) == DISTRICTS and service.delivered_by == "listed"
    page.goto(f"{live_url}/admin/menu")
    page.get_by_test_id(f"published-{service.id}").click()
    expect(page.locator(f"#service-{service.id}")).to_have_attribute("data-status", "published")

    # 2. A requester on a phone orders it: a window outside the rules is refused, beside the field.
    requester = _new_page(browser, browser_context_args, PHONE)
    log_in(requester, live_url, users["requester"].phone)
    requester.goto(f"{live_url}/")
    requester.get_by_role("link", name=NAME).first.click()
    requester.get_by_role("link", name="我要点单").first.click()
    expect(requester.locator("#district_id option")).to_have_text(["请选择…", *DISTRICTS])
    expect(requester.locator("#district_id option:checked")).to_have_text("经开区")  # the requester's own
    day = date.today() + timedelta(days=7)
    _send_order(requester, day, "07:00", "07:30", "荣华中路10号A座3层会议室")
    expect(requester.get_by_test_id("error-start_time")).to_contain_text("08:00")
    expect(requester.get_by_test_id("error-end_time")).to_contain_text("60")
    fits_the_screen(requester)
    requester.locator("#start_time").fill("09:00")
    requester.locator("#end_time").fill("10:30")
    requester.get_by_test_id("submit-order").click()
    expect(requester.get_by_test_id("order-state")).to_be_visible()
    order = db.session.scalars(select(Order).where(Order.service_id == service.id)).one()
    assert order.needed == 2 and order.district.name == "经开区"
    # Another for the same day's afternoon, outside the grid of the newcomer below.
    requester.goto(f"{live_url}/my/orders/new/{service.id}")
    _send_order(requester, day, "14:00", "15:30", "荣华中路10号B座2层")
    expect(requester.get_by_test_id("order-state")).to_be_visible()
    afternoon = db.session.scalars(select(Order).where(Order.service_id == service.id, Order.id != order.id)).one()

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

    # 4. 王主任, administrator and coordinator, starts on the dispatch queue from now on.
    page.get_by_test_id("account-link").click()
    expect(page.locator("#start_page option")).to_have_text(["按角色优先顺序（默认）", "管理后台", "派单队列"])
    page.locator("#start_page").select_option(label="派单队列")
    page.get_by_test_id("save-start-page").click()
    expect(page.get_by_role("alert")).to_contain_text("派单队列")
    fits_the_screen(page)
    page.get_by_role("button", name="退出", exact=True).click()
    log_in(page, live_url, users["admin"].phone)
    expect(page).to_have_url(re.compile(r"/dispatch/$"))
    expect(page.get_by_role("link", name="派单", exact=True)).to_have_attribute("aria-current", "page")

    # 5. From the queue, the newcomer is suggested: free at that time inside their grid only.
    page.locator(f'[data-testid="order-link"][href$="/orders/{order.id}"]').click()
    expect(page).to_have_url(re.compile(rf"/dispatch/orders/{order.id}$"))
    row = page.locator(f'[data-testid="candidate"][data-volunteer="{newcomer.id}"]')
    expect(row).to_contain_text("吴新")
    expect(row).to_contain_text(FREE)
    expect(row.locator("input[type=checkbox]")).to_be_visible()  # eligible: it can be picked
    page.goto(f"{live_url}/dispatch/orders/{afternoon.id}")
    row = page.locator(f'[data-testid="candidate"][data-volunteer="{newcomer.id}"]')
    expect(row).to_contain_text("吴新")
    expect(row).not_to_contain_text(FREE)
    fits_the_screen(page)
    assert errors == []
