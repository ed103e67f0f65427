"""Reminders a day and two hours before a service, and the outbox of text messages that carries
them and the notices people must act on: written with the change, sent once, retried, optional."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import workflow
from app.extensions import db as _db
from app.models import Notification, Order, OutboxMessage, User
from app.services import outbox, reminders
from app.services.sweep import sweep
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


class FailingChannel:
    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    def send(self, to: str, text: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway unreachable")
        self.sent.append((to, text))


@pytest.fixture
def channel(app):
    def install(failures: int = 0) -> FailingChannel:
        app.extensions["sms_channel"] = made = FailingChannel(failures)
        return made
    yield install
    app.extensions.pop("sms_channel", None)


def texts(kind_prefix: str) -> list[OutboxMessage]:
    return list(_db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like(kind_prefix + "%"))
                                    .order_by(OutboxMessage.id)))


def reminded(kind: str) -> list[int]:
    return sorted(_db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def test_a_day_before_the_requester_and_the_crew_are_reminded_once_however_often_the_sweep_runs(
        db, users, make_order):
    order = make_order("accepted")
    a_day_before = order.starts_at - timedelta(hours=23, minutes=59)
    assert reminders.send_reminders(order.starts_at - timedelta(hours=24, minutes=1)) == 0  # not yet
    assert reminders.send_reminders(a_day_before) == 2
    assert reminders.send_reminders(a_day_before) == 0
    sweep(24, now=a_day_before + timedelta(minutes=1))
    assert reminded("reminder_24h") == sorted([users["requester"].id, users["volunteer"].id])
    sms = texts("reminder_24h")
    assert sorted(m.to for m in sms) == sorted([users["requester"].phone, users["volunteer"].phone])
    assert order.number in sms[0].text and order.address not in sms[0].text


def test_two_hours_before_the_nearer_reminder_goes_out_and_then_nothing_more(db, users, make_order):
    order = make_order("accepted")
    assert reminders.send_reminders(order.starts_at - timedelta(hours=2)) == 2  # the late sweep: 2h only
    assert reminded("reminder_24h") == []
    assert reminders.send_reminders(order.starts_at - timedelta(minutes=1)) == 0
    assert reminders.send_reminders(order.starts_at + timedelta(minutes=1)) == 0  # started: no reminder


def test_an_order_nobody_holds_or_that_was_cancelled_is_not_reminded(db, users, make_order):
    submitted, cancelled = make_order("submitted"), make_order("cancelled")
    for order in (submitted, cancelled):
        assert reminders.send_reminders(order.starts_at - timedelta(hours=1)) == 0
    assert texts("reminder_") == [] and reminded("reminder_2h") == []


def test_a_person_who_takes_no_texts_is_reminded_in_the_app_only(db, users, make_order):
    _db.session.execute(update(User).where(User.id == users["volunteer"].id).values(sms_opt_in=False))
    order = make_order("accepted")
    reminders.send_reminders(order.starts_at - timedelta(hours=1))
    assert reminded("reminder_2h") == sorted([users["requester"].id, users["volunteer"].id])
    assert [m.user_id for m in texts("reminder_2h")] == [users["requester"].id]


def test_an_offer_is_texted_with_the_change_and_a_rolled_back_change_leaves_no_text(db, users, make_order):
    order = make_order("submitted")
    from app.services import orders as order_service

    order_service.dispatch_order(order, [users["volunteer2"]], users["coordinator"])
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    _db.session.refresh(order)
    order_service.dispatch_order(order, [users["volunteer2"]], users["coordinator"])
    _db.session.commit()
    (offer,) = texts("event:")
    assert offer.user_id == users["volunteer2"].id and offer.status == "pending"
    assert "【亦联盟志愿服务】" in offer.text and order.number in offer.text


def test_each_text_is_sent_once_even_when_two_deliveries_run(db, users, make_order, channel):
    sent = channel()
    make_order("accepted")
    due = _db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert due > 0
    assert outbox.deliver_due().sent == due
    assert outbox.deliver_due().sent == 0
    assert len(sent.sent) == due
    assert set(_db.session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_a_failed_send_is_tried_again_later_then_given_up(db, users, make_order, channel):
    failing = channel(failures=outbox.MAX_ATTEMPTS)
    order = make_order("submitted")
    _db.session.execute(update(OutboxMessage).values(status="sent"))  # only the next one is due
    workflow.apply(order, "reject", users["coordinator"], reason_code="out_of_scope")
    _db.session.commit()
    (message,) = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))
    now = message.next_attempt_at
    first = outbox.deliver_due(now)
    assert (first.sent, first.retried) == (0, 1)
    assert outbox.deliver_due(now + timedelta(seconds=59)).retried == 0  # waits a minute
    for minutes in (1, 1 + 2, 1 + 2 + 4):
        assert outbox.deliver_due(now + timedelta(minutes=minutes)).retried == 1
    assert outbox.deliver_due(now + timedelta(minutes=1 + 2 + 4 + 8)).failed == 1
    _db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "unreachable" in message.last_error and failing.sent == []


def test_a_text_recovers_after_a_failure(db, users, make_order, channel):
    sent = channel(failures=1)
    order = make_order("submitted")
    workflow.apply(order, "reject", users["coordinator"], reason_code="out_of_scope")
    _db.session.commit()
    start = max(_db.session.scalars(select(OutboxMessage.next_attempt_at)))
    outbox.deliver_due(start)
    outbox.deliver_due(start + timedelta(minutes=1))
    assert [to for to, _t in sent.sent] == [users["requester"].phone]


def test_a_person_turns_text_messages_off_and_on_from_the_account_page(db, users, login_as):
    client = login_as("requester")
    page = client.get("/account").get_data(as_text=True)
    assert 'name="sms_opt_in"' in page and "checked" in page
    response = client.post("/account/messages", data={"csrf_token": csrf_token(client, "/account")},
                           follow_redirects=True)
    assert response.status_code == 200
    _db.session.expire_all()
    assert _db.session.get(User, users["requester"].id).sms_opt_in is False
    client.post("/account/messages", data={"csrf_token": csrf_token(client, "/account"), "sms_opt_in": "y"})
    _db.session.expire_all()
    assert _db.session.get(User, users["requester"].id).sms_opt_in is True


def test_a_text_names_the_order_and_its_day_never_an_address_or_a_phone(db, users, make_order):
    order: Order = make_order("accepted")
    for message in texts("event:"):
        assert order.address not in message.text and order.contact_phone not in message.text
        assert len(message.text) <= 300


def _mailbox(app):
    """The in-memory email backend's outbox (MAIL_BACKEND = "locmem" in the tests), emptied."""
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    return mailman


def test_a_person_who_chose_email_gets_each_reminder_once_by_email_too(app, db, users, make_order):
    sent_mail = _mailbox(app)
    requester = users["requester"]
    requester.email, requester.email_opt_in = "zhangming@example.com", True
    _db.session.commit()
    order = make_order("accepted")
    two_hours_before = order.starts_at - timedelta(hours=1, minutes=59)
    assert reminders.send_reminders(two_hours_before) == 2
    _db.session.commit()
    emails = [m for m in texts("reminder_2h:") if m.channel == "email"]
    assert [(m.user_id, m.to) for m in emails] == [(requester.id, "zhangming@example.com")]
    outbox.deliver_due(two_hours_before)
    outbox.deliver_due(two_hours_before + timedelta(minutes=1))  # a second sweep sends nothing again
    written = list(_db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.channel == "email")
                                       .order_by(OutboxMessage.id)))  # the acceptance's notice, then the reminder
    assert [(m.to, m.body) for m in sent_mail.outbox] == [(["zhangming@example.com"], text) for text in written]
    assert [m.body for m in sent_mail.outbox].count(emails[0].text) == 1
    assert order.number in sent_mail.outbox[0].body and order.address not in sent_mail.outbox[0].body


def test_an_email_written_in_a_transaction_that_rolled_back_is_never_sent(app, db, users, make_order):
    sent_mail = _mailbox(app)
    requester = users["requester"]
    requester.email, requester.email_opt_in = "zhangming@example.com", True
    _db.session.commit()
    outbox.queue_message(requester, "test:rolled-back", "不会发出")
    _db.session.rollback()
    outbox.deliver_due()
    assert sent_mail.outbox == [] and not texts("test:")


def test_a_person_chooses_email_on_the_account_page_and_a_bad_address_is_kept_beside_its_field(
        db, users, login_as):
    client = login_as("requester")
    token = csrf_token(client, "/account")
    bad = client.post("/account/messages", data={"csrf_token": token, "sms_opt_in": "y",
                                                 "email": "zhangming@", "email_opt_in": "y"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'data-testid="error-email"' in body and 'value="zhangming@"' in body
    missing = client.post("/account/messages", data={"csrf_token": token, "email_opt_in": "y"})
    assert missing.status_code == 422 and 'data-testid="error-email"' in missing.get_data(as_text=True)
    _db.session.expire_all()
    assert (users["requester"].email, users["requester"].email_opt_in) == (None, False)
    assert client.post("/account/messages", data={"csrf_token": token, "email": " zm@example.com ",
                                                  "email_opt_in": "y"}).status_code == 303
    _db.session.expire_all()
    me = _db.session.get(User, users["requester"].id)
    assert (me.sms_opt_in, me.email, me.email_opt_in) == (False, "zm@example.com", True)
