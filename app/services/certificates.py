"""志愿服务记录证明: issuing a record of a volunteer's service, checking it, revoking it.

Before issuing, ``missing`` lists every required field that is empty (the volunteer's real name,
ID and 志愿者编号; the issuer's name, 负责人, 经办人 and contact, from the settings) and issuing
is refused until none is. The record freezes the ledger's rows of the period: each service with
its date and hours, corrections (补录) and adjustments marked as such. Its verification link is
the record's id signed with a salt of its own; the page it opens shows only the number, the
masked name, the hours, the issuer, the date and whether the record still stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from .. import labels
from ..dates import BEIJING, to_beijing
from ..extensions import db
from ..models import (
    Assignment,
    HourCorrection,
    HourEntry,
    Order,
    OrderEvent,
    ServiceCertificate,
    User,
    VolunteerProfile,
)
from ..models.base import utcnow
from .audit import log_action
from .errors import ValidationFailed
from .qr import qr_svg
from .settings import current_settings

SALT = "service-certificate"


@dataclass(frozen=True)
class Line:
    day: str  # YYYY-MM-DD, in Beijing
    service: str
    hours: Decimal
    source: str  # service | adjustment | hold | correction
    order_id: int | None = None  # the evidence: the order's timeline (check-in, check-out, confirmation)
    entry_id: int | None = None  # the ledger row (a correction's proposal and approver)


def missing(profile: VolunteerProfile) -> list[str]:
    """The required fields that are empty, named as a person reads them."""
    settings = current_settings()
    wanted = (
        (profile.real_name, _l("the volunteer's real name")),
        (profile.id_type and profile.id_number, _l("the volunteer's ID type and number")),
        (profile.volunteer_number, _l("the volunteer number (given on approval)")),
        (settings.center_name, _l("the center's name (settings)")),
        (settings.issuer_head, _l("the person in charge (settings)")),
        (settings.issuer_handler, _l("who handles records (settings)")),
        (settings.issuer_phone, _l("the center's contact phone (settings)")),
    )
    return [str(label) for value, label in wanted if not value]


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(), BEIJING),
            datetime.combine(end + timedelta(days=1), time(), BEIJING))


def lines_of(user_id: int, start: date, end: date) -> list[Line]:
    """The ledger's rows credited in the period (Beijing days), oldest first, each with the day it was served
    and what: the order's service, or a correction's (补录) own day and activity."""
    low, high = _utc_bounds(start, end)
    rows = db.session.execute(
        select(HourEntry, HourCorrection.served_on, HourCorrection.activity)
        .outerjoin(HourEntry.order).outerjoin(Order.service)
        .outerjoin(HourCorrection, HourCorrection.entry_id == HourEntry.id)
        .where(HourEntry.volunteer_id == user_id, HourEntry.created_at >= low, HourEntry.created_at < high)
        .options(contains_eager(HourEntry.order).contains_eager(Order.service))
        .order_by(HourEntry.created_at, HourEntry.id)
    )
    return [Line(day=_served_day(e, served_on), service=e.order.service.name if e.order else activity or e.note,
                 hours=e.hours, source=e.source, order_id=e.order_id, entry_id=e.id)
            for e, served_on, activity in rows]


def _served_day(entry: HourEntry, served_on: date | None) -> str:
    if entry.order is not None:
        return entry.order.starts_at.astimezone(BEIJING).date().isoformat()
    return (served_on or entry.created_at.astimezone(BEIJING).date()).isoformat()


def _next_number(year: int) -> str:
    last = db.session.scalar(select(func.max(ServiceCertificate.number))
                             .where(ServiceCertificate.number.like(f"{year}-%")))
    return f"{year}-{int(last.split('-')[1]) + 1 if last else 1:04d}"


def issue(admin: User, profile: VolunteerProfile, start: date, end: date, note: str = "") -> ServiceCertificate:
    """Issue the record of ``profile``'s service from ``start`` to ``end``; flushes, never commits.

    Its number is the year's next; two administrators issuing at once collide on the unique
    number, and the loser takes the following one (each try in a savepoint of its own, so a
    collision undoes nothing else of the caller's transaction)."""
    gaps = missing(profile)
    if gaps:
        raise ValidationFailed(None, _l("Complete these first: %(fields)s.", fields="、".join(gaps)))
    if end < start:
        raise ValidationFailed("period_end", _l("The end comes after the start."))
    lines = lines_of(profile.user_id, start, end)
    settings = current_settings()
    for _attempt in range(5):
        certificate = ServiceCertificate(
            number=_next_number(utcnow().astimezone(BEIJING).year), volunteer_id=profile.user_id,
            period_start=start, period_end=end, real_name=profile.real_name, id_type=profile.id_type,
            id_number=profile.id_number, volunteer_number=profile.volunteer_number,
            total_hours=sum((line.hours for line in lines), Decimal(0)),
            lines=json.dumps([{**vars(line), "hours": str(line.hours)} for line in lines], ensure_ascii=False),
            issuer_name=settings.center_name, issuer_head=settings.issuer_head,
            issuer_handler=settings.issuer_handler, issuer_phone=settings.issuer_phone,
            note=note.strip(), issued_by_id=admin.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:  # the number was taken a moment ago: the next one
            continue
        log_action(admin, "certificate.issue", "volunteer", profile.id, label=certificate.number,
                   after={"hours": str(certificate.total_hours), "period": f"{start}–{end}"})
        db.session.flush()
        return certificate
    raise ValidationFailed(None, _l("Could not number the record: try again."))


def revoke(admin: User, certificate: ServiceCertificate, reason: str) -> None:
    if not reason.strip():
        raise ValidationFailed("reason", _l("Say why the record no longer stands."))
    if certificate.revoked_at is not None:
        raise ValidationFailed(None, _l("This record was revoked already."))
    certificate.revoked_at, certificate.revoked_reason = utcnow(), reason.strip()
    log_action(admin, "certificate.revoke", "volunteer", certificate.volunteer_id, label=certificate.number,
               after={"reason": reason.strip()})


def lines_for_page(certificate: ServiceCertificate) -> list[Line]:
    return [Line(d["day"], d["service"], Decimal(d["hours"]), d["source"], d.get("order_id"), d.get("entry_id"))
            for d in json.loads(certificate.lines)]


# The steps that make an hour: how the volunteer checked in, checked out, and who confirmed it.
EVIDENCE_ACTIONS = ("check_in", "check_in_by_hand", "complete", "rate", "confirm", "resolve")


def _event_words(e: OrderEvent) -> str:
    who = e.actor.name if e.actor else str(_l("System"))
    what = str(labels.ACTIONS.get(e.action, e.action))
    extra = f"（{e.note}）" if e.note else ""
    return f"{to_beijing(e.created_at):%m-%d %H:%M} {what} · {who}{extra}"


def evidence(lines: list[Line], volunteer_id: int) -> dict[int | None, list[str]]:
    """For the administrator, by ledger row: the events behind each hour (the volunteer's check-in and
    check-out, the requester's confirmation or the auto-confirm, a dispute's decision), and for a
    correction its reason, evidence, proposer and approver. Two statements, whatever the lines."""
    order_ids = {line.order_id for line in lines if line.order_id}
    found: dict[int | None, list[str]] = {}
    if order_ids:
        events = db.session.scalars(
            select(OrderEvent).outerjoin(OrderEvent.assignment)
            .where(OrderEvent.order_id.in_(order_ids), OrderEvent.action.in_(EVIDENCE_ACTIONS),
                   or_(OrderEvent.assignment_id.is_(None), Assignment.volunteer_id == volunteer_id))
            .options(joinedload(OrderEvent.actor)).order_by(OrderEvent.id))
        by_order: dict[int, list[str]] = {}
        for e in events:
            by_order.setdefault(e.order_id, []).append(_event_words(e))
        found = {line.entry_id: by_order.get(line.order_id, []) for line in lines if line.order_id}
    corrections = [line.entry_id for line in lines if line.source == "correction" and line.entry_id]
    if corrections:
        for c in db.session.scalars(select(HourCorrection).where(HourCorrection.entry_id.in_(corrections))
                                    .options(joinedload(HourCorrection.proposed_by),
                                             joinedload(HourCorrection.decided_by))):
            found[c.entry_id] = [f"{c.reason}；{c.evidence}",
                                 f"{c.proposed_by.name} → {c.decided_by.name if c.decided_by else ''}"]
    return found


def of_volunteer(user_id: int) -> list[ServiceCertificate]:
    return list(db.session.scalars(select(ServiceCertificate).where(ServiceCertificate.volunteer_id == user_id)
                                   .order_by(ServiceCertificate.id.desc())))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(certificate: ServiceCertificate) -> str:
    return _serializer().dumps(certificate.id)


def by_token(token: str) -> ServiceCertificate | None:
    try:
        certificate_id = _serializer().loads(token)
    except BadSignature:
        return None
    return db.session.get(ServiceCertificate, certificate_id) if isinstance(certificate_id, int) else None


def masked_name(name: str) -> str:
    """张* / 欧阳** : the family name's first character, the rest hidden."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "*"


def page_context(certificate: ServiceCertificate) -> dict:
    """What the printed record shows besides its own columns: its lines and the verification link and QR."""
    link = url_for("verify.certificate", cert_token=token_for(certificate), _external=True)
    return {"lines": lines_for_page(certificate), "verify_link": link, "verify_qr": qr_svg(link)}
