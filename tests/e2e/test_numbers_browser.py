"""The desk's numbers in a real browser: 全部订单, the dashboard's charts, and the spreadsheet.

The coordinator finds a completed order in 全部订单 with its rating and hours,
opens this month's dashboard (the charts are drawn, nothing is asked of
another host, no script error) and downloads the xlsx, whose totals are the
dashboard's. At 375 px the queue and the history are cards: nothing scrolls
sideways.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_dispatch_browser import DESK, fits_the_screen, log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}


def test_the_coordinator_finds_an_order_reads_the_month_and_takes_the_spreadsheet(page: Page, live_url, db, users,
                                                                                   make_order):
    rated = make_order("rated")
    for state in ("submitted", "cancelled", "accepted"):
        make_order(state)
    errors: list[str] = []
    off_host: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: off_host.append(r.url)
            if urlsplit(r.url).netloc != urlsplit(live_url).netloc and not r.url.startswith("data:") else None)

    page.set_viewport_size(DESK)
    log_in(page, live_url, users["coordinator"].phone)
    page.goto(f"{live_url}/dispatch/")
    page.get_by_test_id("desk-tabs").get_by_role("link", name="全部订单").click()
    fits_the_screen(page)
    page.locator("#state").select_option("rated")
    page.get_by_test_id("filter").click()
    row = page.locator(f'tr[data-order="{rated.id}"]')
    expect(row).to_be_visible()
    expect(page.get_by_test_id("order-link")).to_have_count(1)
    expect(row.get_by_test_id("stars")).to_contain_text("★★★★★")
    expect(row.get_by_test_id("hours")).to_have_text("2.0")

    page.get_by_test_id("desk-tabs").get_by_role("link", name="数据看板").click()
    fits_the_screen(page)
    expect(page.get_by_test_id("kpi-orders")).to_contain_text("4")
    for chart in ("states", "trend", "stars"):
        expect(page.locator(f'[data-chart="{chart}"] canvas')).to_have_count(1)
    hours_on_dashboard = float(page.get_by_test_id("kpi-hours").inner_text().split()[0])

    page.get_by_test_id("desk-tabs").get_by_role("link", name="全部订单").click()
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert len(rows) == 4  # the dashboard's 4 orders this month
    assert sum(r["时长"] or 0 for r in rows) == hours_on_dashboard == 2.0
    assert errors == [] and off_host == []

    page.set_viewport_size(PHONE)
    for url in ("/dispatch/", "/dispatch/history", "/reports/", "/reports/services"):
        page.goto(f"{live_url}{url}")
        fits_the_screen(page)  # the menu analysis's wide table scrolls inside its own box
