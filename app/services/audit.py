"""The audit log of back-office actions: written by the services that act, read by the log page.

Security events of every visitor (sign-ins, refusals) are lines on the
``app.audit`` logger (``app.auth.audit``); what an administrator changes is
kept here, in the database, with the values before and after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..dates import BEIJING
from ..extensions import db
from ..models import AuditEntry, User
from .paging import newest_first


def log_action(actor: User | None, action: str, target_type: str, target_key: str | int, *,
               label: str = "", before: object = None, after: object = None) -> AuditEntry:
    """Add one entry (``before``/``after``: JSON-able values, never a password)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_key=str(target_key),
        target_label=label[:120],
        before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    target_type: str | None = None
    actor_id: int | None = None
    target_key: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: int | None


def _filtered(f: AuditFilter) -> Select:
    query = select(AuditEntry).options(joinedload(AuditEntry.actor))
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.target_type:
        query = query.where(AuditEntry.target_type == f.target_type)
    if f.target_key:
        query = query.where(AuditEntry.target_key == f.target_key)
    if f.actor_id:
        query = query.where(AuditEntry.actor_id == f.actor_id)
    if f.date_from:
        query = query.where(AuditEntry.created_at >= datetime.combine(f.date_from, time(), BEIJING))
    if f.date_to:
        query = query.where(AuditEntry.created_at < datetime.combine(f.date_to + timedelta(days=1), time(), BEIJING))
    return query


def audit_page(f: AuditFilter, after: int | None = None, per_page: int = 50) -> AuditPage:
    """The newest entries matching ``f``, older than the entry ``after`` (keyset paging)."""
    return AuditPage(*newest_first(_filtered(f), AuditEntry.id, after, per_page))


def entries_for(target_type: str, target_key: str | int | None = None, limit: int = 20) -> list[AuditEntry]:
    """The latest entries about one target (a person), or about any of one type (the settings)."""
    f = AuditFilter(target_type=target_type, target_key=None if target_key is None else str(target_key))
    return audit_page(f, per_page=limit).entries


def decoded(value: str | None) -> object:
    """A stored before/after value, back as data (None when there was none)."""
    return None if value is None else json.loads(value)
