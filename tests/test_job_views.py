"""我的任务 loads only the columns its cards show: the workflow's checks answer for them as for the full models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app import workflow
from app.models import Assignment, User
from app.models.base import utcnow
from app.services import orders as order_service


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def _views_of(db, volunteer) -> dict[int, Assignment]:
    """The jobs as the page loads them, alone in the session: nothing else loaded fills them in."""
    volunteer_id = volunteer.id
    db.session.expunge_all()
    jobs = order_service.jobs_of_volunteer(db.session.get(User, volunteer_id))
    return {job.id: job for group in jobs.groups.values() for job in group}


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
    expected = {a.id for a in (offered, accepted, in_service, done)}
    offered_id = offered.id
    actor_ids = [users[name].id for name in ("volunteer", "volunteer3", "coordinator", "requester")]
    views = _views_of(db, users["volunteer"])
    assert set(views) == expected
    db.session.expunge_all()  # the models, loaded in full afresh
    actors = [db.session.get(User, i) for i in actor_ids]
    for model in (db.session.get(Assignment, i) for i in expected):
        for action in workflow.ASSIGNMENT_ACTIONS:
            for actor in actors:
                assert workflow.can(views[model.id], action, actor) == workflow.can(model, action, actor), (
                    model.state, action, actor.phone)
    assert workflow.can(views[offered_id], "accept", actors[0]) is not lapsed


def test_the_groups_hold_each_job_once_in_its_place(db, users, make_order):
    offered = make_order("dispatched").assignments[0]
    accepted = make_order("accepted", start_offset_days=3).assignments[0]
    done = make_order("completed", start_offset_days=6).assignments[0]
    db.session.commit()
    groups = order_service.jobs_of_volunteer(users["volunteer"]).groups
    assert {key: [job.id for job in jobs] for key, jobs in groups.items()} == {
        "offers": [offered.id], "upcoming": [accepted.id], "done": [done.id],
    }
    job = groups["upcoming"][0]
    assert (job.order.id, job.order.starts_at, job.order.service.name) == (
        accepted.order_id, accepted.order.starts_at, accepted.order.service.name)
