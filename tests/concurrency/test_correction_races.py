"""Two administrators approve the same proposed hours at once: one credit, one refusal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db as _db
from app.models import HourCorrection, HourEntry, User, VolunteerProfile
from app.services import corrections
from app.services.errors import ValidationFailed
from tests.conftest import IS_PG, make_user, run_concurrently


def test_two_approvals_at_once_credit_the_hours_once(app, db, users):
    admins = [make_user(f"1380000009{i}", f"管理员{i}", ["admin"]).id for i in range(2)]
    profile = _db.session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.user_id == users["volunteer"].id)).one()
    before = profile.hours_credited
    correction = corrections.propose(users["coordinator"], corrections.Proposal(
        profile.volunteer_number, date.today(), Decimal("3"), "义诊咨询", "漏签", "签到表"))
    _db.session.commit()
    correction_id = correction.id

    def approve(i: int):
        row = _db.session.get(HourCorrection, correction_id)
        corrections.approve(row, _db.session.get(User, admins[i]))
        _db.session.commit()
        return "approved"

    results = run_concurrently(app, 2, approve)
    assert results.count("approved") == 1, results
    loser = next(r for r in results if r != "approved")
    # PostgreSQL: the second compare-and-set waits for the first, then finds the proposal decided.
    # SQLite: one writer at a time; the second is refused a lock or finds it decided.
    assert isinstance(loser, ValidationFailed) if IS_PG else isinstance(loser, Exception), loser
    _db.session.expire_all()
    assert len(_db.session.scalars(select(HourEntry).where(HourEntry.source == "correction")).all()) == 1
    assert _db.session.get(VolunteerProfile, profile.id).hours_credited == before + 3
