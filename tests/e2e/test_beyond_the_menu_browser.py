"""Beyond the menu, in a real browser: an order placed for someone, a claim from the board, reminders, 时限.

The coordinator, at the desk, orders an open-claim service for a person without an account (代下单);
a volunteer on a 375 px phone claims it from the board, and a second claim of theirs over the same
hours is refused with the job they hold named. The sweep then runs in this process at frozen moments,
twice at each: a day and two hours before the service the person and the crew get one text each. Last,
an order nobody dispatched runs past its category's time limit: its clock is red on the desk's queue
and the coordinators are told.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from app.models import Notification, Order, OutboxMessage, Role, SlaEvent, User
from app.models.base import utcnow
from app.services import orders as order_service
from app.services import sla
from app.services.notifications import active_ids_with
from app.services.settings import current_settings
from app.services.sweep import sweep
from tests.conftest import order_request, service_named
from tests.e2e.test_dispatch_browser import DESK, fits_the_screen, log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
CLAIMED = "文明交通引导"  # open to claims in the seed; 李华 delivers it
PERSON = {"name": "王大爷", "phone": "13955550001", "unit": "亦庄社区退休职工之家"}
# What each reminder says (zh), and how long before the start it is due.
REMINDERS = {"reminder_24h": ("将在一天内开始服务", timedelta(hours=24)),
             "reminder_2h": ("将在两小时内开始服务", timedelta(hours=2))}


class SmsBackend:
    """The console SMS channel's file (``SMS_OUTBOX_FILE``): what reached the gateway, a JSON line each.

    A channel's backend says whom it reaches, where, and what it delivered.
    """

    name = "sms"

    def __init__(self, path: Path) -> None:
        self.path = path

    def reaches(self, user: User) -> bool:
        return user.sms_opt_in

    def address(self, user: User) -> str:
        return user.phone

    def delivered(self) -> list[tuple[str, str]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [(m["to"], m["text"]) for m in map(json.loads, lines)]


class EmailBackend:
    """Flask-Mailman's in-memory backend (the tests' ``MAIL_BACKEND``): every email sent, kept in a list."""

    name = "email"

    def __init__(self, app) -> None:
        self.mailman = app.extensions["mailman"]
        self.mailman.outbox = []

    def reaches(self, user: User) -> bool:
        return user.email_opt_in and bool(user.email)

    def address(self, user: User) -> str | None:
        return user.email

    def delivered(self) -> list[tuple[str, str]]:
        return [(to, message.body) for message in self.mailman.outbox for to in message.to]


@pytest.fixture
def backends(app, tmp_path, monkeypatch) -> list[SmsBackend | EmailBackend]:
    monkeypatch.setitem(app.config, "SMS_OUTBOX_FILE", str(tmp_path / "sms.jsonl"))
    return [SmsBackend(tmp_path / "sms.jsonl"), EmailBackend(app)]


@pytest.fixture
def open_as(browser, browser_context_args):
    """``open_as(phone, viewport)``: a browser context of its own, signed in; its script errors collected."""
    contexts, errors = [], []

    def _open(live_url: str, phone: str, viewport: dict) -> Page:
        context = browser.new_context(**{**browser_context_args, "viewport": viewport})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, live_url, phone)
        return page

    _open.errors = errors
    yield _open
    for context in contexts:
        context.close()


def _run_the_sweep_twice(at: datetime) -> None:
    """The sweep as cron runs it, on the clock frozen at ``at``; run again at once (a second cron, a retry)."""
    with freeze_time(at):
        for _ in range(2):
            sweep(current_settings().dispatch_deadline_hours)


def _reminders_to(backend: SmsBackend | EmailBackend, user: User, number: str) -> dict[str, int]:
    """How many of each reminder of order ``number`` reached ``user`` through ``backend``."""
    texts = [text for to, text in backend.delivered() if to == backend.address(user) and number in text]
    return {kind: sum(words in text for text in texts) for kind, (words, _before) in REMINDERS.items()}


def _place_for_the_person(desk: Page, live_url: str, day) -> str:
    """The coordinator fills the 代下单 form for the open-claim service; the number of the order placed."""
    service = service_named(CLAIMED)
    desk.goto(f"{live_url}/dispatch/")
    desk.get_by_role("link", name="代下单").first.click()
    fits_the_screen(desk)
    desk.locator("#service_id").select_option(label=f"{service.category.name} · {CLAIMED}")
    typed = {"contact_name": PERSON["name"], "contact_phone": PERSON["phone"], "unit": PERSON["unit"],
             "service_date": day.isoformat(), "start_time": "09:00", "end_time": "10:30",
             "address": "荣华中路10号路口", "audience_size": "20"}
    for name, value in typed.items():
        desk.locator(f"#{name}").fill(value)
    desk.locator("#district_id").select_option("17")
    desk.get_by_test_id("place-proxy").click()  # without the person's consent: refused, nothing kept
    expect(desk.get_by_test_id("error-consent")).to_be_visible()
    expect(desk.locator("#contact_name")).to_have_value(PERSON["name"])
    desk.locator("#consent").check()
    desk.get_by_test_id("place-proxy").click()
    desk.wait_for_url(re.compile(r"/dispatch/orders/\d+$"))
    fits_the_screen(desk)
    expect(desk.get_by_test_id("placed-by")).to_be_visible()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(CLAIMED)
    return re.search(r"/dispatch/orders/(\d+)$", desk.url)[1]


def test_a_proxy_order_claimed_on_a_phone_reminded_once_and_a_late_order_turns_red(
        live_url, db, users, backends, open_as):
    service = service_named(CLAIMED)
    day = order_service.earliest_service_date(service) + timedelta(days=1)

    # --- 代下单: the coordinator orders for 王大爷, who has no account ------------------------------
    desk = open_as(live_url, users["coordinator"].phone, DESK)
    order = db.session.get(Order, int(_place_for_the_person(desk, live_url, day)))
    person = db.session.get(User, order.requester_id)
    assert (person.is_guest, person.phone, person.name) == (True, PERSON["phone"], PERSON["name"])
    assert order.placed_by_id == users["coordinator"].id and order.state == "dispatched"  # straight to the board
    # Another order of the service the same morning, 10:00–12:00: it overlaps 09:00–10:30.
    clash = order_service.place_order(users["requester"], order_request(
        service, service_date=day, start_time=time(10), end_time=time(12)))
    db.session.commit()

    # --- 抢单 on a 375 px phone --------------------------------------------------------------------
    phone = open_as(live_url, users["volunteer"].phone, PHONE)
    phone.get_by_test_id("tabbar").get_by_role("link", name="我的任务").click()
    phone.get_by_test_id("claim-board-link").click()
    fits_the_screen(phone)
    board = phone.get_by_test_id("claimable")
    expect(board).to_have_count(2)
    expect(board.first).to_have_attribute("data-order", str(order.id))  # soonest first
    claim = phone.get_by_test_id(f"claim-{order.id}")
    expect(claim).to_be_in_viewport()
    claim.click()
    phone.wait_for_url(re.compile(r"/jobs/\d+$"))
    fits_the_screen(phone)
    expect(phone.get_by_test_id("job-state")).to_have_text("已接单")
    phone.get_by_test_id("tabbar").get_by_role("link", name="我的任务").click()
    phone.get_by_test_id("claim-board-link").click()
    fits_the_screen(phone)
    expect(board).to_have_count(1)  # the order taken is off the board; the other still on it
    phone.get_by_test_id(f"claim-{clash.id}").click()
    fits_the_screen(phone)
    refusal = phone.get_by_test_id("error-message")
    expect(refusal).to_contain_text("您在该时段已有其他任务")
    expect(refusal).to_contain_text(f"{order.number} {CLAIMED}")  # the job held, named
    phone.get_by_test_id("error-back").click()  # a way back to the board it came from
    phone.wait_for_url(f"{live_url}/jobs/claims")
    expect(phone.get_by_test_id(f"claim-{clash.id}")).to_be_visible()  # nothing taken
    db.session.expire_all()
    assert (order.accepted_count, clash.accepted_count) == (1, 0)

    # --- 李华 asks for email as well, on the phone -----------------------------------------------------
    phone.goto(f"{live_url}/account")
    phone.locator("#email").fill("lihua@")  # mistyped: kept beside its field
    phone.locator("#email_opt_in").check()
    phone.get_by_test_id("save-messages").click()
    expect(phone.get_by_test_id("error-email")).to_be_visible()
    expect(phone.locator("#email")).to_have_value("lihua@")
    fits_the_screen(phone)
    phone.locator("#email").fill("lihua@example.com")
    phone.get_by_test_id("save-messages").click()
    expect(phone.locator(".alert-success")).to_contain_text("短信和电子邮件")
    db.session.expire_all()
    assert (users["volunteer"].email, users["volunteer"].email_opt_in) == ("lihua@example.com", True)

    # --- reminders: a day and two hours before, once each, whatever how often the sweep runs --------
    crew = [users["volunteer"]]
    for kind, (_words, before) in REMINDERS.items():
        _run_the_sweep_twice(order.starts_at - before - timedelta(minutes=1))  # not yet
        assert all(_reminders_to(b, p, order.number)[kind] == 0 for b in backends for p in [person, *crew])
        due = order.starts_at - before + timedelta(minutes=1)
        _run_the_sweep_twice(due)
        for backend in backends:
            for someone in [person, *crew]:
                got = _reminders_to(backend, someone, order.number)
                expected = 1 if backend.reaches(someone) else 0
                assert got[kind] == expected, (backend.name, someone.name, kind, got)
        sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id,
                                                              OutboxMessage.key.like(f"{kind}:%"))).all()
        assert sorted((m.channel, m.to) for m in sent) == sorted(
            (b.name, b.address(u)) for b in backends for u in [person, *crew] if b.reaches(u))
        assert ("email", "lihua@example.com") in {(m.channel, m.to) for m in sent}
        assert {(m.status, m.sent_at) for m in sent} == {("sent", due)}  # on the frozen clock's time
    for backend in backends:  # and the order nobody holds a place on is reminded to nobody
        assert _reminders_to(backend, users["requester"], clash.number) == {kind: 0 for kind in REMINDERS}
    db.session.rollback()

    # --- 时限: an order nobody dispatched runs past its category's target ------------------------------
    late = order_service.place_order(users["requester"], order_request(service_named("交通安全法规宣讲")))
    db.session.flush()
    target = sla.clocks_of([late])[late.id].due_at - late.submitted_at
    db.session.execute(update(Order).where(Order.id == late.id)
                       .values(submitted_at=utcnow() - target - timedelta(hours=1)))
    db.session.commit()
    due_at = sla.clocks_of([late])[late.id].due_at
    _run_the_sweep_twice(due_at)  # to the minute: not late yet
    assert db.session.scalars(select(SlaEvent).where(SlaEvent.order_id == late.id)).all() == []
    _run_the_sweep_twice(due_at + timedelta(minutes=1))
    events = db.session.scalars(select(SlaEvent).where(SlaEvent.order_id == late.id)).all()
    assert [(e.clock, e.level) for e in events] == [("dispatch", "breach")]
    told = db.session.scalars(select(Notification.user_id).where(Notification.order_id == late.id,
                                                                 Notification.kind == "sla_breach")).all()
    assert sorted(told) == sorted(active_ids_with(Role.COORDINATOR))  # each coordinator, once
    db.session.rollback()

    desk.goto(f"{live_url}/dispatch/")
    fits_the_screen(desk)
    row = desk.locator(f'tr[data-order="{late.id}"]')
    expect(row.get_by_test_id("sla-clock")).to_have_attribute("data-clock", "dispatch")
    expect(row.get_by_test_id("sla-clock")).to_have_class(re.compile(r"\btext-bg-danger\b"))
    expect(row.get_by_test_id("overdue")).to_be_visible()
    desk.goto(f"{live_url}/notifications/")
    notice = desk.get_by_test_id("open-notice").filter(has_text=f"订单 {late.number} 已超出时限")
    expect(notice).to_have_count(1)
    notice.click()  # the notice opens the order at the desk, its clock red there too
    desk.wait_for_url(re.compile(rf"/dispatch/orders/{late.id}$"))
    expect(desk.get_by_test_id("sla-clock")).to_have_class(re.compile(r"\btext-bg-danger\b"))
    assert open_as.errors == []
