"""The volunteer's jobs: offers, upcoming, done; accept, decline, check in, complete."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import workflow
from ..access import role_required
from ..auth import audit
from ..extensions import db, limiter
from ..forms import ActionForm, reason_form_for
from ..models.hours import star_progress
from ..services import attendance, checkin_codes, photos, volunteer_reviews
from ..services import orders as order_service
from ..services.errors import ValidationFailed
from . import bp
from .forms import CheckInForm, CompleteForm, ReviewForm


def _my_job_or_404(assignment_id: int):
    job = order_service.assignment_for_volunteer(assignment_id, current_user)
    if job is None:
        abort(404)
    return job


def _render_job(job, status=200, **forms):
    forms.setdefault("action_form", ActionForm())
    forms.setdefault("decline_form", reason_form_for("decline", "volunteer"))
    forms.setdefault("release_form", reason_form_for("release", "volunteer"))
    most_hours = workflow.hours_allowed(job) if job.checked_in_at else None
    forms.setdefault("complete_form", CompleteForm(hours=most_hours or None))
    forms.setdefault("check_in_form", CheckInForm(formdata=None))
    forms.setdefault("review_form", ReviewForm(formdata=None))
    return render_template("volunteer/job.html", job=job, order=job.order, most_hours=most_hours,
                           may_confirm=attendance.may_confirm(job), may_review=volunteer_reviews.may_review(job),
                           check_in_later=workflow.check_in_opens_later(job), job_photos=photos.of_job(job),
                           **forms), status


@bp.route("/")
@role_required("volunteer")
def jobs():
    jobs = order_service.jobs_of_volunteer(current_user)
    return render_template("volunteer/jobs.html", groups=jobs.groups, hours=jobs.hours, stars=star_progress(jobs.hours),
                           accept_form=ActionForm())


@bp.route("/<int:assignment_id>")
@role_required("volunteer")
def job(assignment_id: int):
    return _render_job(_my_job_or_404(assignment_id))


def _simple_action(assignment_id: int, action: str, message: str):
    job = _my_job_or_404(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    workflow.apply(job, action, current_user)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("volunteer.job", assignment_id=assignment_id), 303)


@bp.route("/<int:assignment_id>/accept", methods=["POST"])
@role_required("volunteer")
def accept(assignment_id: int):
    return _simple_action(assignment_id, "accept", _("You accepted the job. Thank you!"))


def _wrong_code(response) -> bool:
    """Only a wrong code counts towards the limit (it re-renders the page, 422)."""
    return response.status_code == 422


def _check_in_key() -> str:
    """Wrong codes count per volunteer and job: five tries, then a wait."""
    return f"check-in:{current_user.get_id()}:{request.view_args.get('assignment_id')}"


@bp.route("/<int:assignment_id>/check-in", methods=["POST"])
@role_required("volunteer")
@limiter.limit("5 per 10 minutes", methods=["POST"], key_func=_check_in_key, deduct_when=_wrong_code)
def check_in(assignment_id: int):
    """Check in with the order's code, typed, or the token its QR carried; a wrong one is refused and logged."""
    job = _my_job_or_404(assignment_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _render_job(job, 422, check_in_form=form)
    if not workflow.can(job, "check_in", current_user):
        workflow.apply(job, "check_in", current_user)  # refused: the state machine says why (409)
    how = checkin_codes.proof(job.order, form.code.data, form.token.data)
    if how is None:
        audit.record("check_in", "wrong_code", user_id=current_user.id, assignment=job.id, order=job.order_id)
        form.code.errors.append(_("This is not the code of this order. Ask the requester for the code on their page."))
        return _render_job(job, 422, check_in_form=form)
    workflow.apply(job, "check_in", current_user, note=how)
    db.session.commit()
    flash(_("Checked in. Have a good service!"), "success")
    return redirect(url_for("volunteer.job", assignment_id=assignment_id), 303)


@bp.route("/<int:assignment_id>/on-my-way", methods=["POST"])
@role_required("volunteer")
def confirm_attendance(assignment_id: int):
    """我会准时到: the volunteer's word, from a day before the service, that they will come."""
    job = _my_job_or_404(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attendance.confirm(job, current_user)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        flash(str(err.message), "warning")
        return _render_job(job, 409)
    flash(_("Thank you: the center knows you will be there."), "success")
    return redirect(url_for("volunteer.job", assignment_id=assignment_id), 303)


@bp.route("/<int:assignment_id>/review", methods=["POST"])
@role_required("volunteer")
def review(assignment_id: int):
    """The volunteer's private review of how the order was organised, once the job is completed."""
    job = _my_job_or_404(assignment_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_job(job, 422, review_form=form)
    try:
        volunteer_reviews.give(job, current_user, form.stars.data, form.comment.data or "")
    except ValidationFailed as err:
        flash(str(err.message), "warning")
        return _render_job(job, 409)
    flash(_("Thank you: only the center reads it."), "success")
    return redirect(url_for("volunteer.job", assignment_id=assignment_id), 303)


@bp.route("/check-in/<token>")
@role_required("volunteer")
def check_in_link(token: str):
    """Where the QR on the requester's page leads: this volunteer's job on that order, ready to check in."""
    found = checkin_codes.order_id_of(token)
    job = order_service.volunteer_job_on(found[0], current_user) if found else None
    if job is None:
        abort(404)
    return _render_job(job, check_in_form=CheckInForm(formdata=None, token=token))


@bp.route("/<int:assignment_id>/decline", methods=["POST"])
@role_required("volunteer")
def decline(assignment_id: int):
    job = _my_job_or_404(assignment_id)
    form = reason_form_for("decline", "volunteer")
    if form.validate_on_submit():
        workflow.apply(job, "decline", current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(_("You declined the job."), "info")
        return redirect(url_for("volunteer.jobs"), 303)
    return _render_job(job, 422, decline_form=form)


@bp.route("/<int:assignment_id>/complete", methods=["POST"])
@role_required("volunteer")
def complete(assignment_id: int):
    job = _my_job_or_404(assignment_id)
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            pictures = photos.read_uploads(request.files.getlist(form.photos.name))
            workflow.apply(job, "complete", current_user, hours=form.hours.data, summary=form.summary.data)
        except (workflow.MissingInput, ValidationFailed) as err:  # said beside the field; nothing kept
            db.session.rollback()
            getattr(form, err.field).errors.append(err.message)
        else:
            photos.keep(job, pictures)
            db.session.commit()
            flash(_("Job completed. Your hours count once the requester confirms."), "success")
            return redirect(url_for("volunteer.job", assignment_id=assignment_id), 303)
    return _render_job(job, 422, complete_form=form)
