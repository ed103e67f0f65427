"""The center's settings: one place every part of the app reads them from.

Each setting is a field of ``CenterSettings`` with its typed default; a row of
``settings`` exists only for what the center changed. Reads go through the
application cache (``reference.kept``: Redis in production, so every app
server sees an edit at once; the commit that changes a row deletes the kept
copy). Secrets and infrastructure stay in the environment (``config.py``).

Another capability adds a setting by adding a field here (with its bounds
in ``BOUNDS`` when it is a number) and its words in ``labels.SETTINGS``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Setting, User
from ..models.base import utcnow
from .audit import log_action
from .errors import ValidationFailed
from .reference import kept


@dataclass(frozen=True)
class CenterSettings:
    # Hours after it was placed before an order not yet dispatched is flagged overdue.
    dispatch_deadline_hours: int = 24
    # Hours a volunteer has to answer an offer (stamped on each new offer).
    offer_deadline_hours: int = 24
    # Working hours from dispatch until the crew is full (the acceptance clock), unless the category sets its own.
    accept_target_hours: int = 48
    # The working calendar the clocks count in (时限): weekdays (1 Monday … 7 Sunday), hours, public holidays.
    work_days: str = "1234567"
    work_hours: str = "00:00-24:00"
    holidays: str = ""
    # Days after completion before the hours count as confirmed when the requester says nothing.
    auto_confirm_days: int = 7
    # Minutes before the start from which a volunteer can check in.
    check_in_opens_minutes: int = 60
    # Minutes past the service window that still count towards the hours served.
    hours_tolerance_minutes: int = 30
    # Places a volunteer may hold from the claim board at once (抢单), so that nobody hoards them.
    claim_limit: int = 3
    # The issuer that printed records of service carry (名称, 负责人, 经办人, 联系电话).
    center_name: str = "经开区新时代文明实践中心"
    issuer_head: str = ""
    issuer_handler: str = ""
    issuer_phone: str = ""
    # Whether a newly registered requester waits for approval before ordering.
    requester_approval: bool = False
    # Whether an approved volunteer who changes their services or districts waits for approval again.
    volunteer_changes_need_approval: bool = False


DEFAULTS = CenterSettings()
KINDS: dict[str, type] = {f.name: type(getattr(DEFAULTS, f.name)) for f in fields(CenterSettings)}
# (smallest, largest) of each number; the longest text of each text.
BOUNDS: dict[str, tuple[int, int]] = {
    "dispatch_deadline_hours": (1, 720),
    "offer_deadline_hours": (1, 720),
    "accept_target_hours": (1, 720),
    "auto_confirm_days": (1, 60),
    "check_in_opens_minutes": (0, 720),
    "hours_tolerance_minutes": (0, 240),
    "claim_limit": (1, 20),
}
MAX_LENGTH: dict[str, int] = {"center_name": 80, "issuer_head": 40, "issuer_handler": 40, "issuer_phone": 20,
                              "work_days": 7, "work_hours": 11, "holidays": 2000}


def current_settings() -> CenterSettings:
    """The settings in force: the stored values over the defaults."""
    stored = kept("settings", _read_stored)
    return replace(DEFAULTS, **{k: v for k, v in stored.items() if k in KINDS})


def _read_stored() -> dict[str, object]:
    rows = db.session.execute(select(Setting.key, Setting.value))
    return {key: json.loads(value) for key, value in rows}


def _checked(key: str, value: object) -> object:
    """``value`` as the setting's type, or ``ValidationFailed`` on ``key``."""
    kind = KINDS[key]
    if kind is bool:
        return bool(value)
    if kind is int:
        low, high = BOUNDS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationFailed(key, _l("Between %(low)s and %(high)s.", low=low, high=high))
        return value
    text = str(value or "").strip()
    if len(text) > MAX_LENGTH[key]:
        raise ValidationFailed(key, _l("At most %(n)s characters.", n=MAX_LENGTH[key]))
    if key in TEXT_RULES:
        well_formed, message = TEXT_RULES[key]
        if not well_formed(text):
            raise ValidationFailed(key, message)
    return text


def _weekdays(text: str) -> bool:
    return bool(text) and set(text) <= set("1234567") and len(set(text)) == len(text)


def _hours(text: str) -> bool:
    from .sla import parse_hours

    return parse_hours(text) is not None


def _holidays(text: str) -> bool:
    from .sla import parse_holidays

    return parse_holidays(text) is not None


# The texts with a form of their own: (is it well formed, what to say when not).
TEXT_RULES = {
    "work_days": (_weekdays, _l("The weekdays as digits, 1 for Monday to 7 for Sunday: 12345.")),
    "work_hours": (_hours, _l("From and until on one day, like 09:00-17:30.")),
    "holidays": (_holidays, _l("Dates like 2027-01-01, one a line.")),
}


def update_settings(values: dict[str, object], actor: User) -> list[str]:
    """Store what differs from the settings in force; one audit entry per change.

    Returns the keys that changed. Raises ``ValidationFailed`` (naming the
    field) for a value out of its bounds, ``KeyError`` for a key that is no
    setting; nothing is written then.
    """
    unknown = set(values) - set(KINDS)
    if unknown:
        raise KeyError(f"no such settings: {sorted(unknown)}")
    checked = {key: _checked(key, value) for key, value in values.items()}
    now_in_force = asdict(current_settings())
    changed = [key for key, value in checked.items() if value != now_in_force[key]]
    for key in changed:
        row = db.session.get(Setting, key)
        if row is None:
            row = Setting(key=key)
            db.session.add(row)
        row.value = json.dumps(checked[key], ensure_ascii=False)
        row.updated_at = utcnow()
        row.updated_by_id = actor.id
        log_action(actor, "setting.change", "setting", key, label=key,
                   before=now_in_force[key], after=checked[key])
    db.session.flush()
    return changed
