"""Text messages: written to the outbox with the change that causes them, sent after the commit.

``queue_sms`` adds a message in the caller's transaction (a rollback takes it
away). ``deliver_due`` (run by the sweep) sends what is due through the
configured channel: each message is first claimed with a compare-and-set
(pending -> sending), so two sweeps never send it twice; a failed send is
tried again later (1, 2, 4, 8 minutes), then given up and left for the desk.
Real SMS gateways plug in as a ``Channel``; the one shipped writes each
message to the log and, when ``SMS_OUTBOX_FILE`` is set, to that file (one
JSON line each), for development and the tests.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, User
from ..models.base import utcnow

SIGNATURE = "【亦联盟志愿服务】"
MAX_ATTEMPTS = 5
logger = logging.getLogger("app.sms")


class Channel(Protocol):
    def send(self, to: str, text: str) -> None:
        """Hand one message to the gateway; raise on failure."""


class ConsoleChannel:
    """Writes each message to the log, and to ``SMS_OUTBOX_FILE`` when set (a JSON line each)."""

    def send(self, to: str, text: str) -> None:
        logger.info("sms to %s: %s", to, text)
        path = current_app.config.get("SMS_OUTBOX_FILE")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps({"to": to, "text": text}, ensure_ascii=False) + "\n")


def channel() -> Channel:
    return current_app.extensions.get("sms_channel") or ConsoleChannel()


def queue_sms(user: User, key: str, text: str, order_id: int | None = None) -> OutboxMessage | None:
    """A text message to ``user`` in this transaction, unless they do not take them."""
    if not user.sms_opt_in:
        return None
    message = OutboxMessage(key=key[:80], user_id=user.id, order_id=order_id, to=user.phone,
                            text=(SIGNATURE + text)[:300])
    db.session.add(message)
    return message


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** (attempts - 1))


def deliver_due(now: datetime | None = None, limit: int = 200) -> Delivery:
    """Send the messages due, each once: a transaction to claim it, one to record how it went."""
    now = now or utcnow()
    result = Delivery()
    due = list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)
    ))
    db.session.rollback()
    for message_id in due:
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.SENDING.value, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue  # another sweep has it
        message = db.session.get(OutboxMessage, message_id)
        try:
            channel().send(message.to, message.text)
        except Exception as error:  # the gateway refused or was unreachable: later, or never
            message.last_error = str(error)[:200]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED.value
                result.failed += 1
            else:
                message.status = OutboxStatus.PENDING.value
                message.next_attempt_at = now + _backoff(message.attempts)
                result.retried += 1
        else:
            message.status, message.sent_at = OutboxStatus.SENT.value, utcnow()
            result.sent += 1
        db.session.commit()
    return result
