"""A volunteer reviews how an order was organised, once per completed job, for the center's eyes only."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import VolunteerReview
from tests.conftest import csrf_token


def _post(client, job_id: int, **data):
    return client.post(f"/jobs/{job_id}/review", data={"csrf_token": csrf_token(client, f"/jobs/{job_id}"), **data})


def test_a_completed_job_is_reviewed_once_and_only_the_desk_reads_it(db, users, make_order, login_as):
    order = make_order("rated")
    job = order.assignments[0]
    volunteer = login_as("volunteer")
    assert 'data-testid="review-form"' in volunteer.get(f"/jobs/{job.id}").get_data(as_text=True)
    bad = _post(volunteer, job.id, stars="7", comment="我写的评价")
    assert bad.status_code == 422 and "我写的评价" in bad.get_data(as_text=True)
    assert _post(volunteer, job.id, stars="3", comment="现场没有投影仪").status_code == 303
    assert 'data-testid="review-form"' not in volunteer.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert _post(volunteer, job.id, stars="5").status_code == 409
    assert _db.session.scalar(select(func.count()).select_from(VolunteerReview)) == 1
    desk = login_as("coordinator").get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    assert "现场没有投影仪" in desk
    assert "现场没有投影仪" not in login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True)


def test_a_job_not_completed_takes_no_review(db, users, make_order, login_as):
    order = make_order("accepted")
    job = order.assignments[0]
    volunteer = login_as("volunteer")
    assert 'data-testid="review-form"' not in volunteer.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert _post(volunteer, job.id, stars="4").status_code == 409
    assert _db.session.scalar(select(func.count()).select_from(VolunteerReview)) == 0
