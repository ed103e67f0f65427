"""补录: hours proposed for a volunteer apart from check-in and check-out, and their decision.

A coordinator proposes (who, when, what, how many hours, why, the evidence); an administrator
who is not the proposer approves or rejects. Approval is a compare-and-set on the proposal
(proposed → approved), so two administrators pressing at once credit the hours once; it writes
one ledger row (source ``correction``) and the volunteer's total follows, as every credit does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from ..dates import to_beijing
from ..extensions import db
from ..models import CorrectionStatus, HourCorrection, HourEntry, HourSource, User, VolunteerProfile
from ..models.base import utcnow
from .audit import log_action
from .errors import ValidationFailed

# How far back a service may be proposed (the record of a year is usually closed by then).
LOOK_BACK = timedelta(days=366)
HALF_HOUR = Decimal("0.5")


@dataclass(frozen=True)
class Proposal:
    volunteer: str  # 志愿者编号 or phone number, as typed
    served_on: date
    hours: Decimal
    activity: str
    reason: str
    evidence: str


def find_volunteer(typed: str) -> VolunteerProfile | None:
    """An approved volunteer by 志愿者编号 or phone number."""
    typed = typed.strip()
    return db.session.scalar(
        select(VolunteerProfile).join(VolunteerProfile.user)
        .where(or_(VolunteerProfile.volunteer_number == typed, User.phone == typed),
               VolunteerProfile.status == "approved")
    ) if typed else None


def _proposal_errors(p: Proposal, profile: VolunteerProfile | None) -> list[tuple[str | None, object]]:
    errors: list[tuple[str | None, object]] = []
    if profile is None:
        errors.append(("volunteer", _l("No approved volunteer has this volunteer number or phone number.")))
    today = to_beijing(utcnow()).date()
    if p.served_on > today:
        errors.append(("served_on", _l("Hours are proposed for a service that has happened.")))
    elif p.served_on < today - LOOK_BACK:
        errors.append(("served_on", _l("At most a year back.")))
    if p.hours % HALF_HOUR:
        errors.append(("hours", _l("In half hours: 1, 1.5, 2…")))
    return errors


def propose(proposer: User, p: Proposal) -> HourCorrection:
    """A proposal waiting for an administrator; flushes, never commits."""
    profile = find_volunteer(p.volunteer)
    errors = _proposal_errors(p, profile)
    if errors:
        raise ValidationFailed.of(errors)
    correction = HourCorrection(volunteer_id=profile.user_id, hours=p.hours, served_on=p.served_on,
                                activity=p.activity, reason=p.reason, evidence=p.evidence,
                                proposed_by_id=proposer.id)
    db.session.add(correction)
    db.session.flush()
    log_action(proposer, "correction.propose", "correction", correction.id, label=profile.real_name,
               after={"hours": str(p.hours), "served_on": p.served_on.isoformat(), "activity": p.activity})
    return correction


def _decide(correction: HourCorrection, admin: User, status: str, note: str, entry_id: int | None = None) -> None:
    if correction.proposed_by_id == admin.id:
        raise ValidationFailed(None, _l("Someone other than the proposer decides on proposed hours."))
    taken = db.session.execute(
        update(HourCorrection)
        .where(HourCorrection.id == correction.id, HourCorrection.status == CorrectionStatus.PROPOSED.value)
        .values(status=status, decided_by_id=admin.id, decided_at=utcnow(), decision_note=note, entry_id=entry_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise ValidationFailed(None, _l("These hours were decided on already."))


def approve(correction: HourCorrection, admin: User, note: str = "") -> HourEntry:
    """Approve and credit the hours: one ledger row, the volunteer's total with it; flushes."""
    # The ledger row first, then the status and the link in one statement (the CHECK constraint:
    # approved ⇔ a ledger row); a lost compare-and-set raises, and the caller rolls the row back.
    entry = HourEntry(volunteer_id=correction.volunteer_id, hours=correction.hours,
                      source=HourSource.CORRECTION.value, actor_id=admin.id,
                      note=f"{correction.served_on:%Y-%m-%d} {correction.activity}"[:500])
    db.session.add(entry)
    db.session.flush()
    _decide(correction, admin, CorrectionStatus.APPROVED.value, note, entry.id)
    db.session.execute(
        update(VolunteerProfile).where(VolunteerProfile.user_id == correction.volunteer_id)
        .values(hours_credited=VolunteerProfile.hours_credited + correction.hours)
        .execution_options(synchronize_session=False)
    )
    log_action(admin, "correction.approve", "correction", correction.id, label=correction.volunteer.name,
               after={"hours": str(correction.hours)})
    return entry


def reject(correction: HourCorrection, admin: User, note: str) -> None:
    """Reject with a reason: nothing is credited; flushes."""
    if not note.strip():
        raise ValidationFailed("note", _l("Say why, for the proposer."))
    _decide(correction, admin, CorrectionStatus.REJECTED.value, note.strip())
    log_action(admin, "correction.reject", "correction", correction.id, label=correction.volunteer.name,
               after={"note": note.strip()})


def listing(*, proposed_by: User | None = None, limit: int = 100) -> list[HourCorrection]:
    """Waiting proposals first, then the decided ones; newest first in each."""
    query = (select(HourCorrection)
             .options(joinedload(HourCorrection.volunteer), joinedload(HourCorrection.proposed_by),
                      joinedload(HourCorrection.decided_by))
             .order_by((HourCorrection.status != CorrectionStatus.PROPOSED.value), HourCorrection.id.desc())
             .limit(limit))
    if proposed_by is not None:
        query = query.where(HourCorrection.proposed_by_id == proposed_by.id)
    return list(db.session.scalars(query))
