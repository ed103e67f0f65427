"""The whole loop in a real browser: 点单 → 派单 → 接单 → 签到 → 完成 → 评单.

Three people, each in their own browser context on a phone-sized screen
(390×844, zh-CN). Along the way every page is checked for what a user must
never meet: a request to another host (no CDN), a Content-Security-Policy
violation, a script error, a failed asset.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from freezegun import freeze_time
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from app.models import Order
from app.seed import DEMO_PASSWORD
from app.services.orders import earliest_service_date
from tests.conftest import service_named

pytestmark = pytest.mark.e2e

# Collects every CSP violation of the page into window.__cspViolations and
# reports it to the test, so a violation on a page left quickly is not lost.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const v = {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
             sample: e.sample, page: document.location.href};
  window.__cspViolations.push(v);
  if (window.reportCsp) { window.reportCsp(v); }
});
"""

LOCAL_HOSTS = {"127.0.0.1"}
DESK = {"width": 1366, "height": 768}  # the coordinator works at a desk (DESIGN.md)
TIMELINE = ("订单已提交", "已派单", "志愿者已接单", "志愿者已签到", "服务已完成", "已评价")


class Watch:
    """What the browser did across all contexts of the test."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.sent: list[tuple[str, str]] = []
        self.responses: list[tuple[str, int]] = []
        self.csp: list[dict] = []
        self.errors: list[str] = []

    def attach(self, context: BrowserContext) -> None:
        context.add_init_script(CSP_LISTENER)
        context.expose_function("reportCsp", self._csp)
        context.on("request", lambda r: (self.requests.append(r.url), self.sent.append((r.method, r.url))))
        context.on("response", lambda r: self.responses.append((r.url, r.status)))
        context.on("page", lambda p: p.on("pageerror", lambda e: self.errors.append(str(e))))

    def posts_to(self, path: str) -> int:
        return sum(1 for method, url in self.sent if method == "POST" and urlsplit(url).path == path)

    def _csp(self, violation: dict) -> None:
        self.csp.append(violation)

    def non_local(self) -> list[str]:
        out = []
        for url in self.requests + [u for u, _ in self.responses]:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out

    def failed_assets(self) -> list[tuple[str, int]]:
        return [(u, s) for u, s in self.responses if s >= 400 and "/static/" in u or s >= 500]


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def open_as(browser, browser_context_args, live_url, watch):
    """``open_as(phone)``: a new browser context, logged in through the login form.

    Phone-sized unless ``viewport`` says otherwise.
    """
    contexts: list[BrowserContext] = []

    def _open(phone: str, viewport: dict | None = None) -> Page:
        context = browser.new_context(**{**browser_context_args, **({"viewport": viewport} if viewport else {})})
        contexts.append(context)
        watch.attach(context)
        page = context.new_page()
        page.goto(f"{live_url}/login")
        page.locator("#phone").fill(phone)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        settled(page)
        return page

    yield _open
    for context in contexts:
        context.close()


def on_the_clock(moment):
    """The app's clock (the live server runs in this process) at ``moment``, ticking on;
    Playwright's own event loop keeps the real time."""
    return freeze_time(moment, tick=True, ignore=["playwright", "asyncio", "greenlet"])


def settled(page: Page) -> None:
    """The page loaded without CSP violations and without horizontal scrolling."""
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_the_csp_listener_sees_violations(open_as, live_url, watch):
    """The detector itself works: an inline script is blocked and reported."""
    page = open_as("13800000001")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert watch.csp and watch.csp[0]["directive"].startswith("script-src")


def test_order_dispatch_accept_complete_rate_in_the_browser(open_as, live_url, watch, db):
    service = service_named("交通安全法规宣讲")
    day = earliest_service_date(service) + timedelta(days=2)

    # --- the requester finds the service and orders it ---------------------------------
    requester = open_as("13800000001")
    requester.goto(f"{live_url}/")
    settled(requester)
    requester.get_by_role("searchbox").fill("交通安全")
    requester.get_by_role("searchbox").press("Enter")
    settled(requester)
    requester.get_by_role("link", name="交通安全法规宣讲").click()
    settled(requester)
    expect(requester.get_by_role("heading", level=1)).to_have_text("交通安全法规宣讲")
    requester.get_by_test_id("order-button").click()
    settled(requester)
    requester.locator("#service_date").fill(day.isoformat())
    requester.locator("#start_time").fill("09:00")
    requester.locator("#end_time").fill("10:30")
    requester.locator("#address").fill("荣华中路10号A座3层会议室")
    requester.locator("#audience_size").fill("40")
    requester.locator("#note").fill("请提前十分钟到场")
    form_path = urlsplit(requester.url).path
    requester.get_by_test_id("submit-order").dblclick()  # a double tap must not order twice
    requester.wait_for_url(re.compile(r"/my/orders/\d+$"))
    settled(requester)
    assert watch.posts_to(form_path) == 1  # the second tap was not even sent
    order_url = requester.url
    expect(requester.get_by_test_id("order-state")).to_have_text("待派单")
    expect(requester.get_by_test_id("timeline")).to_contain_text("订单已提交")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Order.id))) == 1
    number = db.session.scalar(select(Order)).number

    # --- the coordinator, at the desk, dispatches it to 李华 ---------------------------------
    coordinator = open_as("13800000003", viewport=DESK)
    coordinator.goto(f"{live_url}/dispatch/")
    settled(coordinator)
    coordinator.get_by_role("link", name=number).click()
    settled(coordinator)
    coordinator.get_by_role("checkbox", name="李华").check()
    coordinator.get_by_test_id("dispatch-selected").click()
    settled(coordinator)
    expect(coordinator.get_by_test_id("slots")).to_contain_text("李华")

    # --- the volunteer accepts, checks in and completes -------------------------------
    volunteer = open_as("13800000002")
    tabbar = volunteer.get_by_test_id("tabbar")  # on a phone, under the thumb
    expect(tabbar.get_by_test_id("unread-badge")).to_have_text("1")  # "you have a new job"
    tabbar.get_by_role("link", name="我的任务").click()
    settled(volunteer)
    volunteer.get_by_role("link", name="交通安全法规宣讲").first.click()
    settled(volunteer)
    facts = volunteer.get_by_test_id("order-facts")
    expect(facts).to_contain_text("138****0001")  # privacy: masked until accepted
    expect(facts).not_to_contain_text("13800000001")
    expect(facts).not_to_contain_text("荣华中路")
    accept = volunteer.get_by_test_id("accept")
    expect(accept).to_be_in_viewport()  # the one action that matters, within reach
    accept.click()
    settled(volunteer)
    expect(facts).to_contain_text("13800000001")
    expect(facts).to_contain_text("荣华中路10号A座3层会议室")
    expect(volunteer.get_by_test_id("check-in")).to_have_count(0)  # days before the service: not yet
    expect(volunteer.get_by_test_id("check-in-opens")).to_contain_text("现场签到")
    job_url = volunteer.url
    db.session.expire_all()
    order = db.session.scalar(select(Order))
    # The service day: the server's clock moves (the browser's need not); each visit signs in anew.
    with on_the_clock(order.starts_at - timedelta(minutes=10)):
        host = open_as("13800000001")  # the requester, on site: their page shows the code
        host.goto(f"{live_url}/my/orders/{order.id}")
        code = host.get_by_test_id("code").inner_text().strip()
        expect(host.get_by_test_id("check-in-code").locator("svg")).to_be_visible()  # the QR
        volunteer = open_as("13800000002")
        volunteer.goto(job_url)
        volunteer.get_by_label("签到码").fill(code)
        volunteer.get_by_test_id("check-in").click()
        settled(volunteer)
        expect(volunteer.get_by_test_id("job-state")).to_have_text("已签到")
    with on_the_clock(order.ends_at + timedelta(minutes=45)):
        volunteer = open_as("13800000002")
        volunteer.goto(job_url)
        hours = volunteer.get_by_label("服务时长（小时）")
        expect(hours).to_have_value("2.0")  # 1.5 hours' window and 30 minutes over: at most 2
        hours.fill("2.5")
        volunteer.locator("#summary").fill("宣讲顺利完成，现场互动良好。")
        volunteer.get_by_test_id("complete").click()
        settled(volunteer)
        expect(volunteer.locator("#summary")).to_have_value("宣讲顺利完成，现场互动良好。")  # kept
        hours.fill("2")
        volunteer.get_by_test_id("complete").click()
        settled(volunteer)
        expect(volunteer.get_by_test_id("job-state")).to_have_text("已完成")

    # --- the requester rates five stars -------------------------------------------------
    requester.goto(order_url)
    settled(requester)
    expect(requester.get_by_test_id("order-state")).to_have_text("待评价")
    requester.get_by_test_id("star-5").click()
    expect(requester.locator("#stars-0")).to_be_checked()
    requester.locator("#comment").fill("讲得很好，同事们收获很大")
    requester.get_by_test_id("rate").click()
    settled(requester)

    # --- the whole timeline, in Chinese ---------------------------------------------------
    expect(requester.get_by_test_id("order-state")).to_have_text("已评价")
    timeline = requester.get_by_test_id("timeline")
    for words in TIMELINE:
        expect(timeline).to_contain_text(words)
    expect(requester.get_by_test_id("rating")).to_contain_text("讲得很好")

    # --- nothing left this machine, nothing was blocked, nothing broke ----------------
    assert watch.requests, "no request was recorded"
    assert watch.non_local() == []
    assert watch.csp == []
    assert watch.errors == []
    assert watch.failed_assets() == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Order.id))) == 1
