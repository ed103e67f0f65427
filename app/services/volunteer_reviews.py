"""A volunteer's private review of how an order was organised, for the center's eyes only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Assignment, User, VolunteerReview
from ..models.orders import AssignmentState
from .errors import ValidationFailed


def may_review(job: Assignment) -> bool:
    """A completed job not yet reviewed (``reviewed`` is loaded with the job by the volunteer's page)."""
    return job.state == AssignmentState.COMPLETED.value and not job.reviewed


def give(job: Assignment, volunteer: User, stars: int, comment: str) -> VolunteerReview:
    """One review per completed job; commits (a second, even at the same moment, is refused)."""
    if job.volunteer_id != volunteer.id or job.state != AssignmentState.COMPLETED.value:
        raise ValidationFailed(None, _l("You can review a job once you have completed it."))
    review = VolunteerReview(assignment_id=job.id, order_id=job.order_id, volunteer_id=volunteer.id,
                             stars=stars, comment=comment.strip())
    db.session.add(review)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ValidationFailed(None, _l("You have reviewed this job already.")) from error
    return review


def of_order(order_id: int) -> list[VolunteerReview]:
    return list(db.session.scalars(select(VolunteerReview).where(VolunteerReview.order_id == order_id)
                                   .options(joinedload(VolunteerReview.volunteer)).order_by(VolunteerReview.id)))
