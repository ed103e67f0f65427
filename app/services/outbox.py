"""Messages beyond the app: written to the outbox with the change that causes them, sent after the commit.

``queue_message`` adds a message in the caller's transaction (a rollback takes it
away) on each channel the person chose: a text message to their phone, an
email to the address they gave. ``deliver_due`` (run by the sweep) sends what
is due through each message's channel: each message is first claimed with a
compare-and-set (pending -> sending), so two sweeps never send it twice; a
failed send is tried again later (1, 2, 4, 8 minutes), then given up and left
for the desk. Real SMS gateways plug in as a ``Channel``; the one shipped
writes each message to the log and, when ``SMS_OUTBOX_FILE`` is set, to that
file (one JSON line each), for development and the tests. Email goes through
Flask-Mailman (SMTP in production; the console or in-memory backend otherwise).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from flask_mailman import EmailMessage
from sqlalchemy import select, update

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, User
from ..models.base import utcnow

SIGNATURE = "【亦联盟志愿服务】"
SMS, EMAIL = "sms", "email"
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


class EmailChannel:
    """One email per message, through the configured Flask-Mailman backend."""

    def send(self, to: str, text: str) -> None:
        EmailMessage(subject=SIGNATURE.strip("【】"), body=text, to=[to]).send()


def channel(name: str = SMS) -> Channel:
    if name == EMAIL:
        return current_app.extensions.get("email_channel") or EmailChannel()
    return current_app.extensions.get("sms_channel") or ConsoleChannel()


def queue_message(user: User, key: str, text: str, order_id: int | None = None) -> list[OutboxMessage]:
    """The message to ``user`` in this transaction, on each channel they chose: a text message unless they
    turned them off, an email when they gave an address and asked for it."""
    body = (SIGNATURE + text)[:300]
    messages = []
    if user.sms_opt_in:
        messages.append(OutboxMessage(key=key[:80], user_id=user.id, order_id=order_id, channel=SMS,
                                      to=user.phone, text=body))
    if user.email_opt_in and user.email:
        messages.append(OutboxMessage(key=f"{key[:74]}:email", user_id=user.id, order_id=order_id,
                                      channel=EMAIL, to=user.email, text=body))
    db.session.add_all(messages)
    return messages


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
            channel(message.channel).send(message.to, message.text)
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
