"""axe-core on the main pages of every role, in Debian's chromium: no serious or critical violation.

axe-core comes from the npm registry through `make assets` (tests/e2e/vendor/axe.min.js)
and reaches the page as a same-origin script, so the page's Content-Security-Policy
stays on while it runs. Phone-sized pages, and the dispatch console at a desk.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from app.seed import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_PATH = "/__axe-core.js"  # answered by the test's browser, never by the app
DESK = {"width": 1366, "height": 768}
BLOCKING = ("serious", "critical")


def axe_violations(page: Page, live_url: str) -> list[str]:
    """The serious and critical violations on the page, one line each with the elements."""
    page.wait_for_load_state("load")
    page.add_script_tag(url=f"{live_url}{AXE_PATH}")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) + (f" [{node['failureSummary'][:160]}]" if node.get('failureSummary')
                                                 else "") for node in v["nodes"][:5])
        for v in results["violations"] if v["impact"] in BLOCKING
    ]


@pytest.fixture
def visit(browser, browser_context_args, live_url):
    """``visit(phone or None, paths, viewport)``: the axe violations on each path, signed in as ``phone``."""
    contexts = []

    def _visit(phone: str | None, paths: list[str], viewport: dict | None = None) -> list[str]:
        context = browser.new_context(**{**browser_context_args, **({"viewport": viewport} if viewport else {})})
        contexts.append(context)
        context.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE),
                                                                  content_type="text/javascript"))
        page = context.new_page()
        if phone:
            page.goto(f"{live_url}/login")
            page.locator("#phone").fill(phone)
            page.locator("#password").fill(DEMO_PASSWORD)
            page.locator("#password").press("Enter")
            page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        found = []
        for path in paths:
            page.goto(f"{live_url}{path}")
            found += axe_violations(page, live_url)
        return found

    yield _visit
    for context in contexts:
        context.close()


def test_axe_finds_a_violation_when_there_is_one(visit, browser, browser_context_args, live_url):
    """The check itself works: an image without a text alternative is reported as critical."""
    context = browser.new_context(**browser_context_args)
    context.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page = context.new_page()
    page.goto(f"{live_url}/login")
    page.evaluate("() => { const i = document.createElement('img'); i.src = '/favicon.ico';"
                  " document.querySelector('main').appendChild(i); }")
    found = axe_violations(page, live_url)
    context.close()
    assert any("image-alt" in line for line in found), found


def test_main_pages_have_no_serious_or_critical_violations(visit, make_order):
    order = make_order("accepted")
    open_order = make_order()
    rated = make_order("rated")
    job = order.assignments[0].id
    found = visit(None, ["/login", "/register", "/", f"/services/{order.service_id}"])
    found += visit("13800000001", ["/", "/my/orders", f"/my/orders/new/{order.service_id}", f"/my/orders/{order.id}",
                                   f"/my/orders/{rated.id}", "/notifications/", "/account"])
    found += visit("13800000002", ["/jobs/", f"/jobs/{job}"])
    found += visit("13800000004", ["/account"])  # a volunteer who also orders: the choice of a start page
    found += visit("13800000003", ["/dispatch/", f"/dispatch/orders/{open_order.id}", f"/dispatch/orders/{order.id}"],
                   DESK)
    found += visit("13800000003", ["/dispatch/", f"/dispatch/orders/{open_order.id}"])
    assert not found, "\n".join(found)
