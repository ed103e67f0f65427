"""Hours you can trust, and the record that proves them, in a real browser.

The volunteer and the requester on a 375 px phone, the coordinator and the administrator at a desk:
the volunteer is refused check-in the day before, checks in on the day with the code shown on the
requester's page and checks out; the requester confirms with five stars and the hours appear in the
ledger and the star progress; the requester then reports a problem and the center credits adjusted
hours; a coordinator proposes a 补录 that another person, the administrator, approves; the
administrator issues a 志愿服务记录证明, the volunteer downloads its PDF (every field there, the Chinese
set in a CJK font) and its QR's link, opened in a fresh browser with no session, shows the record as
valid with the name masked and nothing private.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from app.dates import BEIJING
from app.extensions import limiter
from app.models import Order, VolunteerProfile
from app.services import checkin_codes
from tests.e2e.test_dispatch_browser import DESK, fits_the_screen, log_in
from tests.e2e.test_loop_browser import on_the_clock
from tests.e2e.test_volunteer_application_browser import PHONE

pytestmark = pytest.mark.e2e

ISSUER = {"center_name": "亦庄职工志愿服务中心", "issuer_head": "王主任", "issuer_handler": "陈静",
          "issuer_phone": "010-67856789"}
PRIVATE = re.compile(r"1[3-9]\d{9}|\d{17}[\dXx]")  # a mobile number, an ID number


class People:
    """Each person in a browser context of their own, signed in through the login form."""

    def __init__(self, browser, browser_context_args, live_url: str) -> None:
        self.browser, self.args, self.live_url = browser, browser_context_args, live_url
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def stranger(self, viewport: dict = PHONE) -> Page:
        context = self.browser.new_context(**{**self.args, "viewport": viewport})
        assert context.cookies() == []
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def signed_in(self, phone: str, viewport: dict = PHONE) -> Page:
        page = self.stranger(viewport)
        log_in(page, self.live_url, phone)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser, browser_context_args, live_url):
    crowd = People(browser, browser_context_args, live_url)
    yield crowd
    crowd.close()


def visit(page: Page, url: str) -> None:
    page.goto(url)
    fits_the_screen(page)


def sticks_out(page: Page) -> list[str]:
    """The parts of the record wider than the record itself (a table pushed out by a long number)."""
    return page.evaluate("""() => {
      const card = document.querySelector('[data-testid=certificate]').getBoundingClientRect();
      return [...document.querySelectorAll('[data-testid=certificate] table')]
        .filter(t => t.getBoundingClientRect().right > card.right + 0.5)
        .map(t => t.innerText.slice(0, 40));
    }""")


def pdf_text_and_fonts(data: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    return "".join(text.split()), fonts


def test_checked_in_rated_disputed_corrected_and_certified_in_the_browser(
        app, db, users, make_order, people, live_url):
    limiter.reset()  # wrong codes counted by earlier tests
    order = make_order("accepted")  # 交通安全法规宣讲, 09:00–11:00 some days ahead, 李华 on it
    job_url = f"{live_url}/jobs/{order.crew[0].id}"
    order_url = f"{live_url}/my/orders/{order.id}"
    with app.test_request_context():
        code = checkin_codes.code_for(order)
    profile = db.session.scalars(select(VolunteerProfile)
                                 .where(VolunteerProfile.user_id == users["volunteer"].id)).one()
    service_day = order.starts_at.astimezone(BEIJING).date()

    # --- the day before: no code on the requester's page, and the volunteer is refused --------------
    with on_the_clock(order.starts_at - timedelta(days=1)):
        requester = people.signed_in(users["requester"].phone)
        visit(requester, order_url)
        expect(requester.get_by_test_id("order-state")).to_have_text("待服务")
        expect(requester.get_by_test_id("check-in-code")).to_have_count(0)
        volunteer = people.signed_in(users["volunteer"].phone)
        visit(volunteer, job_url)
        expect(volunteer.get_by_test_id("check-in")).to_have_count(0)
        expect(volunteer.get_by_test_id("check-in-opens")).to_contain_text("现场签到")
        # Even the right code, sent early from this page's session, is refused.
        token = volunteer.locator("input[name$='csrf_token']").first.get_attribute("value")
        early = volunteer.request.post(f"{job_url}/check-in", form={"csrf_token": token, "code": code})
        assert early.status == 409, early.status
        assert "服务开始前" in early.text() and "分钟起才能签到" in early.text()  # and told why
        visit(volunteer, job_url)
        expect(volunteer.get_by_test_id("job-state")).to_have_text("已接单")

    # --- the day: the volunteer types the code shown on the requester's page --------------------------
    with on_the_clock(order.starts_at - timedelta(minutes=10)):
        requester = people.signed_in(users["requester"].phone)
        visit(requester, order_url)
        shown = requester.get_by_test_id("code").inner_text().strip()
        assert shown == code
        expect(requester.get_by_test_id("check-in-code").locator("svg")).to_be_visible()  # its QR
        volunteer = people.signed_in(users["volunteer"].phone)
        visit(volunteer, job_url)
        volunteer.get_by_label("签到码").fill(f"{int(shown) ^ 1:06d}")  # one digit off
        volunteer.get_by_test_id("check-in").click()
        fits_the_screen(volunteer)
        expect(volunteer.get_by_test_id("error-code")).to_contain_text("签到码不正确")
        volunteer.get_by_label("签到码").fill(shown)
        volunteer.get_by_test_id("check-in").click()
        fits_the_screen(volunteer)
        expect(volunteer.get_by_test_id("job-state")).to_have_text("已签到")

    with on_the_clock(order.ends_at + timedelta(minutes=5)):
        # --- check-out: two hours, the window ------------------------------------------------------
        volunteer = people.signed_in(users["volunteer"].phone)
        visit(volunteer, job_url)
        expect(volunteer.get_by_label("服务时长（小时）")).to_have_value("2.0")
        volunteer.locator("#summary").fill("宣讲顺利完成。")
        volunteer.get_by_test_id("complete").click()
        fits_the_screen(volunteer)
        expect(volunteer.get_by_test_id("job-state")).to_have_text("已完成")
        expect(volunteer.get_by_test_id("job-result")).to_contain_text("待点单人确认")  # not credited yet

        # --- five stars: the hours count -----------------------------------------------------------
        requester = people.signed_in(users["requester"].phone)
        visit(requester, order_url)
        requester.get_by_test_id("star-5").click()
        requester.get_by_test_id("rate").click()
        fits_the_screen(requester)
        expect(requester.get_by_test_id("order-state")).to_have_text("已评价")

        visit(volunteer, f"{live_url}/jobs/")
        expect(volunteer.get_by_test_id("star-level")).to_contain_text("还差 98.0 小时")
        volunteer.get_by_test_id("credited-hours").click()  # to the ledger
        fits_the_screen(volunteer)
        expect(volunteer.get_by_test_id("credited-hours")).to_contain_text("2.0")
        ledger = volunteer.get_by_test_id("hours-ledger").locator("li")
        expect(ledger).to_have_count(1)
        expect(ledger.first).to_contain_text("交通安全法规宣讲")
        expect(ledger.first).to_contain_text(order.number)
        expect(ledger.first).to_contain_text("服务（签到至签退）")
        expect(ledger.first).to_contain_text("+2.0")
        expect(volunteer.get_by_test_id("star-level")).to_contain_text("距下一星级（100 小时）还差 98.0 小时")

        # --- the requester reports a problem; the center credits adjusted hours ----------------------
        requester.get_by_text("服务有问题").click()
        dispute = requester.locator("#dispute-form")
        dispute.get_by_label("出了什么问题").select_option("hours_wrong")
        dispute.get_by_role("textbox").fill("实际只讲了一个半小时")
        dispute.get_by_role("button", name="反映问题").click()
        fits_the_screen(requester)
        expect(requester.get_by_test_id("order-state")).to_have_text("有异议")

        visit(volunteer, job_url)
        expect(volunteer.get_by_test_id("hours-held")).to_have_text("中心核实问题期间暂缓记入")

        coordinator = people.signed_in(users["coordinator"].phone, DESK)
        visit(coordinator, f"{live_url}/notifications/")
        coordinator.get_by_text(f"订单{order.number}有服务问题反映").click()
        fits_the_screen(coordinator)
        resolve = coordinator.get_by_test_id("resolve")
        resolve.get_by_label("处理结果").select_option("adjust")
        resolve.get_by_label("每位志愿者的时长").fill("1.5")
        resolve.get_by_label("原因").fill("与服务单位核实，实际服务一个半小时")
        resolve.get_by_test_id("resolve-button").click()
        fits_the_screen(coordinator)
        expect(coordinator.get_by_role("heading", level=1)).to_contain_text("异议已处理")
        expect(coordinator.get_by_test_id("resolve")).to_have_count(0)  # decided once

        visit(requester, order_url)
        expect(requester.get_by_test_id("order-state")).to_have_text("异议已处理")
        expect(requester.get_by_test_id("timeline")).to_contain_text("与服务单位核实")

        visit(volunteer, f"{live_url}/jobs/hours")
        expect(volunteer.get_by_test_id("credited-hours")).to_contain_text("1.5")
        expect(ledger).to_have_count(3)  # the credit, its hold, the center's decision: newest first
        expect(ledger.nth(0)).to_contain_text("中心处理")
        expect(ledger.nth(0)).to_contain_text("+1.5")
        expect(ledger.nth(1)).to_contain_text("异议期间暂扣")
        expect(ledger.nth(1)).to_contain_text("-2.0")
        expect(volunteer.get_by_test_id("star-level")).to_contain_text("还差 98.5 小时")

        # --- 补录: the coordinator proposes, the administrator (another person) approves -----------------
        served_on = service_day - timedelta(days=3)
        visit(coordinator, f"{live_url}/dispatch/")
        coordinator.get_by_test_id("desk-tabs").get_by_role("link", name="补录时长").click()
        fits_the_screen(coordinator)
        form = coordinator.get_by_test_id("correction-form")
        for name, value in (("volunteer", profile.volunteer_number), ("served_on", served_on.isoformat()),
                            ("hours", "2.5"), ("activity", "社区防诈骗宣讲（纸质签到）"),
                            ("reason", "活动现场网络中断，未能签到"), ("evidence", "纸质签到表，存中心档案柜")):
            form.locator(f"#{name}").fill(value)
        coordinator.get_by_test_id("propose").click()
        fits_the_screen(coordinator)
        mine = coordinator.get_by_test_id("my-corrections").locator("li")
        expect(mine).to_have_count(1)
        expect(mine.first).to_have_attribute("data-status", "proposed")

        admin = people.signed_in(users["admin"].phone, DESK)
        visit(admin, f"{live_url}/admin/")
        waiting = admin.get_by_test_id("count-corrections")
        expect(waiting).to_contain_text("待审核的补录")
        expect(waiting.get_by_role("link")).to_have_text("1")
        waiting.get_by_role("link").click()
        fits_the_screen(admin)
        proposal = admin.get_by_test_id("correction")
        expect(proposal).to_contain_text("纸质签到表，存中心档案柜")
        expect(proposal).to_contain_text("陈静")  # proposed by someone else
        proposal.get_by_role("button", name="通过").click()
        fits_the_screen(admin)
        expect(admin.get_by_test_id("correction")).to_have_attribute("data-status", "approved")
        visit(coordinator, f"{live_url}/dispatch/corrections")
        expect(mine.first).to_have_attribute("data-status", "approved")

        visit(volunteer, f"{live_url}/jobs/hours")
        expect(volunteer.get_by_test_id("credited-hours")).to_contain_text("4.0")
        expect(ledger).to_have_count(4)
        expect(ledger.first).to_contain_text("补录")  # labelled apart from checked-in hours
        expect(ledger.first).to_contain_text(f"{served_on.isoformat()} 社区防诈骗宣讲")
        expect(ledger.first).to_contain_text("+2.5")
        expect(ledger.first).not_to_contain_text("服务（签到至签退）")
        expect(volunteer.get_by_test_id("star-level")).to_contain_text("还差 96.0 小时")

        # --- the administrator fills in the issuer and issues the record ---------------------------------
        visit(admin, f"{live_url}/admin/settings")
        for name, value in ISSUER.items():
            admin.locator(f"#{name}").fill(value)
        admin.get_by_test_id("save-settings").click()
        fits_the_screen(admin)
        visit(admin, f"{live_url}/admin/volunteers/{profile.id}")
        admin.get_by_test_id("issue-certificate").click()
        fits_the_screen(admin)
        expect(admin.get_by_test_id("missing-fields")).to_have_count(0)
        admin.locator("#period_start").fill((served_on - timedelta(days=30)).isoformat())
        admin.locator("#period_end").fill(service_day.isoformat())
        admin.get_by_test_id("issue").click()
        fits_the_screen(admin)
        certificate = admin.get_by_test_id("certificate")
        expect(certificate).to_contain_text("志愿服务记录证明")
        number = re.search(r"\d{4}-\d{4}", certificate.locator(".number").inner_text()).group(0)
        assert number == f"{service_day.year}-0001"
        expect(admin.get_by_test_id("cert-hours")).to_have_text("4.0")
        expect(certificate).to_contain_text("（补录）")

        # --- the volunteer finds it among their hours and downloads the PDF ------------------------------
        visit(volunteer, f"{live_url}/jobs/hours")
        volunteer.get_by_test_id("my-certificates").get_by_role("link", name=number).click()
        fits_the_screen(volunteer)
        expect(volunteer.get_by_test_id("cert-name")).to_have_text(profile.real_name)
        expect(volunteer.get_by_test_id("cert-id")).to_have_text(profile.id_number)
        assert sticks_out(volunteer) == []  # the ID number's table stays inside the record on a phone
        with volunteer.expect_download() as download:
            volunteer.get_by_test_id("pdf").click()
        assert number in download.value.suggested_filename
        data = Path(download.value.path()).read_bytes()
        assert data[:5] == b"%PDF-"
        text, fonts = pdf_text_and_fonts(data)
        for shown in ("志愿服务记录证明", number, "姓名", profile.real_name, "证件号码", profile.id_number,
                      "志愿者编号", profile.volunteer_number, "交通安全法规宣讲", "1.5", "2.5", "4.0", "补录",
                      *ISSUER.values()):
            assert shown in text, shown
        assert any("CJK" in font for font in fonts), fonts  # the Chinese is set in a CJK font, not boxes

        # --- its QR's link, opened by someone with no session ------------------------------------------
        expect(volunteer.get_by_test_id("certificate").locator(".verify-qr svg")).to_be_visible()
        link = volunteer.get_by_test_id("verify-link").inner_text().strip()
        assert link.startswith(f"{live_url}/verify/"), link
        assert link in admin.get_by_test_id("verify-link").inner_text()  # one link, whoever prints it
        stranger = people.stranger()
        visit(stranger, link)
        expect(stranger.get_by_test_id("verify-state")).to_contain_text("此证明有效")
        facts = stranger.get_by_test_id("verify-facts")
        expect(facts).to_contain_text(number)
        expect(stranger.get_by_test_id("verify-name")).to_have_text(profile.real_name[0] + "*")
        expect(facts).to_contain_text("4.0")
        body = stranger.locator("body").inner_text()
        assert profile.real_name not in body and profile.id_number not in body
        assert users["volunteer"].phone not in body and not PRIVATE.search(body), body

    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "resolved"
    assert db.session.get(VolunteerProfile, profile.id).hours_credited == Decimal("4.0")
    assert people.errors == []
