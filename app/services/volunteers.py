"""Volunteers (志愿者管理): apply, approve, reject, suspend, resume, edit one's profile.

Every step writes the audit log (before and after) and tells the person. A
rejected application stays ``pending`` with ``rejected_at`` set; only an
approved profile is ever suggested or offered (``matching``, ``dispatch``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import labels
from ..extensions import db
from ..models import Category, District, Notification, Role, Service, User, VolunteerAway, VolunteerProfile
from ..models.base import utcnow
from .audit import log_action
from .errors import ValidationFailed
from .settings import current_settings

NUMBER_PREFIX = "YZ"


@dataclass
class VolunteerDetails:
    """What a volunteer tells about themselves; identity only when applying."""

    services: list[Service] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    districts: list[District] = field(default_factory=list)
    availability: int = 0
    away: list[tuple[date, date]] = field(default_factory=list)
    skills: str = ""
    certificates: str = ""
    bio: str = ""
    real_name: str = ""
    id_type: str = ""
    id_number: str = ""


def _summary(profile: VolunteerProfile) -> dict[str, object]:
    """The profile as the audit log keeps it: names, the grid, the masked ID number, never the full one."""
    return {
        "status": profile.state,
        "services": sorted(s.name for s in profile.services),
        "categories": sorted(c.name for c in profile.categories),
        "districts": sorted(d.name for d in profile.districts),
        "availability": profile.availability,
        "away": [f"{a.starts_on.isoformat()}~{a.ends_on.isoformat()}" for a in profile.away],
        "id": profile.masked_id,
    }


def _label(profile: VolunteerProfile) -> str:
    return f"{profile.real_name or profile.user.name} {profile.volunteer_number or ''}".strip()


def _notify(profile: VolunteerProfile, kind: str) -> None:
    db.session.add(Notification(user_id=profile.user_id, kind=kind))


def _set_links(profile: VolunteerProfile, details: VolunteerDetails) -> None:
    profile.services = list(details.services)
    profile.categories = list(details.categories)
    profile.districts = list(details.districts)
    profile.availability = details.availability
    profile.away = [VolunteerAway(starts_on=a, ends_on=b) for a, b in sorted(details.away)]
    profile.skills, profile.certificates, profile.bio = details.skills, details.certificates, details.bio


def apply(user: User, details: VolunteerDetails) -> VolunteerProfile:
    """Apply (or apply again after a rejection): a pending profile. Refused for a volunteer already."""
    profile = user.profile
    if profile is not None and profile.state != "rejected" and profile.status != "pending":
        raise ValidationFailed(None, _l("You are a volunteer already."))
    before = _summary(profile) if profile is not None else None
    if profile is None:
        profile = VolunteerProfile(user=user, status="pending")
        db.session.add(profile)
    profile.status, profile.rejected_at = "pending", None
    profile.real_name, profile.id_type, profile.id_number = details.real_name, details.id_type, details.id_number
    profile.applied_at = utcnow()
    _set_links(profile, details)
    db.session.flush()
    log_action(user, "volunteer.apply", "volunteer", profile.id, label=_label(profile),
               before=before, after=_summary(profile))
    return profile


def update_profile(profile: VolunteerProfile, details: VolunteerDetails, actor: User) -> bool:
    """The volunteer's own changes. True when they now wait for approval again.

    With the setting ``volunteer_changes_need_approval``, an approved volunteer
    who changes what they deliver or where goes back to pending.
    """
    before = _summary(profile)
    scope_before = (before["services"], before["categories"], before["districts"])
    _set_links(profile, details)
    db.session.flush()
    after = _summary(profile)
    back_to_review = (profile.status == "approved" and current_settings().volunteer_changes_need_approval
                      and (after["services"], after["categories"], after["districts"]) != scope_before)
    if back_to_review:
        profile.status = "pending"
        profile.applied_at = utcnow()
        after["status"] = profile.state
        _notify(profile, "volunteer_pending")
    if after != before:
        log_action(actor, "volunteer.profile", "volunteer", profile.id, label=_label(profile),
                   before=before, after=after)
    db.session.flush()
    return back_to_review


# The decisions on an application, and the states each may be taken from: the pages ask
# ``decisions`` which to offer, the services below check the same table.
DECISIONS: dict[str, tuple[str, ...]] = {
    "approve": ("pending",), "reject": ("pending",), "suspend": ("approved",), "resume": ("suspended",),
}


def decisions(profile: VolunteerProfile) -> set[str]:
    """The decisions an administrator may take on ``profile`` now."""
    return {d for d, states in DECISIONS.items() if profile.state in states}


def decision_reason(profile: VolunteerProfile) -> str:
    """The reason of the last rejection or suspension, in words."""
    reasons = labels.VOLUNTEER_REJECT_REASONS if profile.state == "rejected" else labels.VOLUNTEER_SUSPEND_REASONS
    return str(reasons.get(profile.decided_reason, profile.decided_reason))


def _require(profile: VolunteerProfile, decision: str) -> None:
    if decision not in decisions(profile):
        raise ValidationFailed(None, _l("This volunteer's state has changed; reload the page."))


def next_number(year: int) -> str:
    """The next free 志愿者编号 of ``year``: YZ2026 then five digits."""
    prefix = f"{NUMBER_PREFIX}{year}"
    last = db.session.scalar(select(func.max(VolunteerProfile.volunteer_number))
                             .where(VolunteerProfile.volunteer_number.like(prefix + "%")))
    return f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:05d}"


def _decide(profile: VolunteerProfile, actor: User, action: str, status: str, notice: str,
            reason: str = "", note: str = "") -> None:
    before = profile.state
    profile.status = status
    profile.reviewed_at = utcnow()
    profile.decided_reason, profile.decided_note = reason, note
    after = {"status": profile.state, "reason": reason, "note": note} if reason else profile.state
    log_action(actor, action, "volunteer", profile.id, label=_label(profile), before=before, after=after)
    _notify(profile, notice)
    db.session.flush()


def approve(profile: VolunteerProfile, actor: User) -> None:
    """A pending application approved: a 志愿者编号 (kept if they had one) and the volunteer role."""
    _require(profile, "approve")
    if not profile.volunteer_number:
        profile.volunteer_number = next_number(utcnow().year)
    user = profile.user
    if not user.has_role(Role.VOLUNTEER):
        user.set_roles([*user.roles, Role.VOLUNTEER])
    _decide(profile, actor, "volunteer.approve", "approved", "volunteer_approved")


def reject(profile: VolunteerProfile, actor: User, reason: str, note: str = "") -> None:
    _require(profile, "reject")
    profile.rejected_at = utcnow()
    _decide(profile, actor, "volunteer.reject", "pending", "volunteer_rejected", reason, note)


def suspend(profile: VolunteerProfile, actor: User, reason: str, note: str = "") -> None:
    _require(profile, "suspend")
    _decide(profile, actor, "volunteer.suspend", "suspended", "volunteer_suspended", reason, note)


def resume(profile: VolunteerProfile, actor: User) -> None:
    _require(profile, "resume")
    _decide(profile, actor, "volunteer.resume", "approved", "volunteer_resumed")


def reveal_id(profile: VolunteerProfile, actor: User) -> str:
    """The full ID number, for an administrator who asked on purpose: written to the audit log."""
    log_action(actor, "volunteer.view_id", "volunteer", profile.id, label=_label(profile))
    db.session.flush()
    return profile.id_number


def applications(state: str, limit: int = 200) -> list[VolunteerProfile]:
    """The profiles in ``state`` (pending, rejected, approved, suspended), oldest application first."""
    from sqlalchemy.orm import selectinload

    query = select(VolunteerProfile).options(
        selectinload(VolunteerProfile.user), selectinload(VolunteerProfile.services),
        selectinload(VolunteerProfile.categories), selectinload(VolunteerProfile.districts))
    if state == "rejected":
        query = query.where(VolunteerProfile.status == "pending", VolunteerProfile.rejected_at.is_not(None))
    elif state == "pending":
        query = query.where(VolunteerProfile.status == "pending", VolunteerProfile.rejected_at.is_(None))
    else:
        query = query.where(VolunteerProfile.status == state)
    return list(db.session.scalars(query.order_by(VolunteerProfile.applied_at, VolunteerProfile.id).limit(limit)))
