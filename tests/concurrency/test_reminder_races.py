"""Two sweeps at once (cron overlapping itself, or two hosts): each reminder is written once and
each text message sent once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Notification, OutboxMessage
from app.services import outbox, reminders
from tests.conftest import run_concurrently


class CountingChannel:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append(to)


def test_two_sweeps_remind_each_person_once_and_text_them_once(app, db, make_order, users):
    order = make_order("accepted", needed=3)
    now = order.starts_at - timedelta(hours=1)
    written = run_concurrently(app, 4, lambda _i: reminders.send_reminders(now))
    assert not [r for r in written if isinstance(r, Exception)], written
    _db.session.expire_all()
    rows = _db.session.execute(
        select(Notification.user_id, Notification.order_id, Notification.kind)
        .where(Notification.kind.like("reminder_%"))
    ).all()
    assert len(rows) == len(set(rows)) == 1 + 3  # the requester and each volunteer, once
    assert sum(written) == len(rows)

    app.extensions["sms_channel"] = channel = CountingChannel()
    try:
        due = _db.session.scalar(select(func.count()).select_from(OutboxMessage))
        results = run_concurrently(app, 4, lambda _i: outbox.deliver_due(now + timedelta(minutes=1)))
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(r.sent for r in results) == len(channel.sent) == due
    finally:
        app.extensions.pop("sms_channel", None)
