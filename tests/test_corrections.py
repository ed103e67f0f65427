"""补录: a coordinator proposes hours with a reason and evidence; an administrator other than the
proposer approves (one ledger row, the total follows, labelled apart) or rejects (nothing credited)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import HourCorrection, HourEntry, VolunteerProfile
from app.services import corrections
from app.services.errors import ValidationFailed
from app.services.invariants import broken_invariants
from tests.conftest import csrf_token, make_user


def _form(volunteer: str, **overrides) -> dict:
    return {"volunteer": volunteer, "served_on": (date.today() - timedelta(days=3)).isoformat(), "hours": "2.5",
            "activity": "社区防诈骗宣讲（纸质签到）", "reason": "活动现场网络中断，未能签到",
            "evidence": "纸质签到表，存中心档案柜", **overrides}


def _profile(users, key: str = "volunteer") -> VolunteerProfile:
    return _db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.user_id == users[key].id)).one()


def _propose(client, data: dict):
    token = csrf_token(client, "/dispatch/corrections")
    return client.post("/dispatch/corrections", data={**data, "csrf_token": token})


def test_proposed_then_approved_by_another_person_credits_the_hours_once(db, users, login_as):
    profile = _profile(users)
    before = profile.hours_credited
    assert _propose(login_as("coordinator"), _form(profile.volunteer_number)).status_code == 303
    correction = _db.session.scalars(select(HourCorrection)).one()
    assert correction.status == "proposed"
    assert _db.session.scalar(select(HourEntry.id).where(HourEntry.source == "correction")) is None

    admin = login_as("admin")
    page = admin.get("/admin/corrections").get_data(as_text=True)
    assert "纸质签到表" in page and f'data-testid="approve-{correction.id}"' in page
    token = csrf_token(admin, "/admin/corrections")
    assert admin.post(f"/admin/corrections/{correction.id}/approve",
                      data={f"c{correction.id}-csrf_token": token}).status_code == 303
    again = admin.post(f"/admin/corrections/{correction.id}/approve", data={f"c{correction.id}-csrf_token": token})
    assert again.status_code == 409  # decided already: nothing more
    _db.session.expire_all()
    entries = _db.session.scalars(select(HourEntry).where(HourEntry.source == "correction")).all()
    assert [(e.volunteer_id, e.hours) for e in entries] == [(users["volunteer"].id, Decimal("2.5"))]
    assert _profile(users).hours_credited == before + Decimal("2.5")
    assert _db.session.get(HourCorrection, correction.id).entry_id == entries[0].id
    assert not broken_invariants()
    hours_page = login_as("volunteer").get("/jobs/hours").get_data(as_text=True)
    assert "补录" in hours_page


def test_the_proposer_cannot_approve_their_own(db, users, login_as):
    both = make_user("13800000088", "调度兼管理", ["coordinator", "admin"])
    _db.session.commit()
    correction = corrections.propose(both, corrections.Proposal(
        _profile(users).volunteer_number, date.today(), Decimal("1"), "讲座", "漏签", "照片"))
    _db.session.commit()
    with pytest.raises(ValidationFailed):
        corrections.approve(correction, both)
    _db.session.rollback()
    assert _db.session.get(HourCorrection, correction.id).status == "proposed"
    assert _db.session.scalar(select(HourEntry.id).where(HourEntry.source == "correction")) is None


def test_a_rejection_needs_a_reason_and_credits_nothing(db, users, login_as):
    _propose(login_as("coordinator"), _form(users["volunteer"].phone))
    correction = _db.session.scalars(select(HourCorrection)).one()
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/corrections")
    no_reason = admin.post(f"/admin/corrections/{correction.id}/reject", data={f"c{correction.id}-csrf_token": token})
    assert no_reason.status_code == 422 and f'id="c{correction.id}-note-error"' in no_reason.get_data(as_text=True)
    done = admin.post(f"/admin/corrections/{correction.id}/reject",
                      data={f"c{correction.id}-csrf_token": token, f"c{correction.id}-note": "签到表上没有此人"})
    assert done.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(HourCorrection, correction.id).status == "rejected"
    assert _db.session.scalar(select(HourEntry.id).where(HourEntry.source == "correction")) is None
    mine = login_as("coordinator").get("/dispatch/corrections").get_data(as_text=True)
    assert "签到表上没有此人" in mine


def test_bad_input_comes_back_with_every_message_beside_its_field(db, users, login_as):
    coordinator = login_as("coordinator")
    future = (date.today() + timedelta(days=2)).isoformat()
    response = _propose(coordinator, _form("YZ-nobody", served_on=future, hours="1.3", evidence="照片在群里"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for name in ("volunteer", "served_on", "hours"):
        assert f'data-testid="error-{name}"' in page, name
    assert "照片在群里" in page and "YZ-nobody" in page
    assert _db.session.scalar(select(HourCorrection.id)) is None


def test_only_the_desk_proposes_and_only_administrators_decide(db, users, login_as):
    assert login_as("volunteer").get("/dispatch/corrections").status_code == 403
    assert login_as("coordinator").get("/admin/corrections").status_code == 403
