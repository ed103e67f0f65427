"""我的任务 reads jobs as plain rows; the workflow's checks answer for them as for the models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app import workflow
from app.models import Assignment
from app.models.base import utcnow
from app.services import orders as order_service


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def _views_of(volunteer) -> dict[int, order_service.VolunteerJob]:
    groups, _hours = order_service.jobs_of_volunteer(volunteer)
    return {job.id: job for jobs in groups.values() for job in jobs}


@pytest.mark.parametrize("lapsed", [False, True])
def test_a_job_view_gets_the_models_answer_for_every_action_and_actor(db, users, make_order, lapsed):
    offered = make_order("dispatched").assignments[0]  # an offer to "volunteer"
    accepted = make_order("accepted", start_offset_days=3).assignments[0]
    in_service = make_order("in_service", start_offset_days=6).assignments[0]
    done = make_order("completed", start_offset_days=9).assignments[0]
    if lapsed:
        db.session.execute(update(Assignment).where(Assignment.id == offered.id)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    views = _views_of(users["volunteer"])
    assert set(views) == {offered.id, accepted.id, in_service.id, done.id}
    for model in (offered, accepted, in_service, done):
        db.session.refresh(model)
        for action in workflow.ASSIGNMENT_ACTIONS:
            for actor in (users["volunteer"], users["volunteer3"], users["coordinator"], users["requester"]):
                assert workflow.can(views[model.id], action, actor) == workflow.can(model, action, actor), (
                    model.state, action, actor.phone)
    assert workflow.can(views[offered.id], "accept", users["volunteer"]) is not lapsed


def test_the_groups_hold_each_job_once_in_its_place(db, users, make_order):
    offered = make_order("dispatched").assignments[0]
    accepted = make_order("accepted", start_offset_days=3).assignments[0]
    done = make_order("completed", start_offset_days=6).assignments[0]
    db.session.commit()
    groups, _hours = order_service.jobs_of_volunteer(users["volunteer"])
    assert {key: [job.id for job in jobs] for key, jobs in groups.items()} == {
        "offers": [offered.id], "upcoming": [accepted.id], "done": [done.id],
    }
    job = groups["upcoming"][0]
    assert (job.order.id, job.order.starts_at, job.service_name) == (
        accepted.order_id, accepted.order.starts_at, accepted.order.service.name)
