"""An offer past its answer deadline cannot be accepted, even before the sweep runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app import workflow
from app.models import Assignment
from app.models.base import utcnow
from tests.conftest import csrf_token


def _lapse(db, assignment: Assignment) -> None:
    db.session.execute(
        update(Assignment).where(Assignment.id == assignment.id).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


def test_lapsed_offer_cannot_be_accepted(db, make_order):
    order = make_order("dispatched")
    offer = order.assignments[0]
    _lapse(db, offer)
    db.session.refresh(offer)
    assert not workflow.can(offer, "accept", offer.volunteer)
    assert "decline" in workflow.allowed_actions(offer, offer.volunteer)
    with pytest.raises(workflow.IllegalTransition) as err:
        workflow.apply(offer, "accept", offer.volunteer)
    assert any(word in str(err.value.message) for word in ("超时", "expired"))
    db.session.rollback()
    db.session.refresh(offer)
    assert offer.state == "offered"


def test_lapsed_offer_answers_409_over_http(db, make_order, login_as):
    order = make_order("dispatched")
    offer = order.assignments[0]
    _lapse(db, offer)
    volunteer = login_as("volunteer")
    token = csrf_token(volunteer, f"/jobs/{offer.id}")
    response = volunteer.post(f"/jobs/{offer.id}/accept", data={"csrf_token": token})
    assert response.status_code == 409
    assert "该派单已超时" in response.get_data(as_text=True)
